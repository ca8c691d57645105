"""Gateway throughput and latency against nameko's own HTTP-to-RPC ceiling.

One run: fresh database and vhost; tenancy, auth and gateway as separate
processes (`sempapel servico ...`); one municipality with one user (the
`sempapel` command); the bench's nameko echo pair (bench/nameko_echo.py) as
two more processes on the same broker and vhost. Then, at 10 concurrent
closed-loop clients for 10 s each:

  (a) GET /api/v1/me            gateway -> auth.me (DB read) -> tenancy.obter_municipio (DB read)
  (b) GET /api/v1/saude/tenancy gateway -> tenancy.health (one RPC, no DB)
  (c) GET /echo                 nameko @http -> RpcProxy -> @rpc echo (the ceiling)

and the ratios (a)/(c), (b)/(c) of req/s and of p50. Login (argon2id-bound by
design) is measured at 10 clients twice: all clients on the one user (the row
is locked during the password check, so one account's logins serialize) and
with one user per client.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from load import (
    LOAD_HEADERS,
    PYTHON,
    REPO,
    SEMPAPEL,
    CpuProbe,
    Processes,
    Req,
    add_common_options,
    bench_infrastructure,
    exit_on_sigterm,
    fmt,
    free_port,
    http_json,
    load_row,
    login_bearer,
    login_request,
    machine_note,
    merge,
    print_cpu,
    print_table,
    ratio,
    run_checked,
    run_load,
    service_env,
)

IBGE, NOME, UF = "5208004", "Formosa", "GO"
LOGIN, SENHA = "bench", "senha-de-bench-123"


def wait_route(base: str, path: str, headers: dict[str, str] | None = None, timeout=30.0) -> None:
    """Until the route answers 200 (every RPC consumer behind it is connected)."""
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        try:
            status, body = http_json(base, "GET", path, headers=headers, timeout=5)
            if status == 200:
                return
            last = (status, body)
        except OSError as exc:
            last = exc
        time.sleep(0.2)
    raise TimeoutError(f"{path} não respondeu 200 em {timeout}s: {last}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10, help="concurrent clients (10)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measure (10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="discarded seconds before (2)")
    parser.add_argument(
        "--rounds", type=int, default=1, help="(a), (b), (c) repeated in turn, pooled (1)"
    )
    parser.add_argument("--login-duration", type=float, default=10.0, help="seconds (10)")
    add_common_options(parser)
    args = parser.parse_args()
    exit_on_sigterm()
    print(f"máquina no início: {machine_note()}", flush=True)

    with (
        bench_infrastructure(args.database, args.vhost, args.keep),
        Processes(keep_logs=args.keep) as procs,
    ):
        env = service_env(args.database, args.vhost)
        run_checked(
            [SEMPAPEL, "municipio", "provisionar", "--ibge", IBGE, "--nome", NOME, "--uf", UF],
            env,
        )
        run_checked(
            [SEMPAPEL, "usuario", "criar", "--municipio", IBGE, "--login", LOGIN, "--nome", "B"],
            env,
            input_text=SENHA + "\n",
        )
        extra = [[IBGE, f"bench{i}", f"Bench {i}", SENHA] for i in range(1, args.clients)]
        out = run_checked(
            [PYTHON, str(REPO / "bench" / "tenant_ops.py"), "users", "--concurrency", "4"],
            env,
            input_text=json.dumps(extra),
        )
        if json.loads(out)["errors"]:
            raise RuntimeError(f"usuários: {out}")

        started = {}
        for name in ("tenancy", "auth", "gateway"):
            started[name] = procs.start_service(name, args.database, args.vhost)
        amqp = env["SEMPAPEL_AMQP_URI"]
        echo_port = free_port()
        for role, port in (("rpc", free_port()), ("http", echo_port)):
            argv = [PYTHON, str(REPO / "bench" / "nameko_echo.py"), role]
            argv += ["--amqp-uri", amqp, "--port", str(port)]
            started[f"echo-{role}"] = (
                procs.start(f"echo-{role}", argv, env, f"http://127.0.0.1:{port}/healthz"),
                f"http://127.0.0.1:{port}",
            )
        for proc, _ in started.values():
            proc.wait_ready()
        gateway = started["gateway"][1]
        echo = started["echo-http"][1]

        bearer = login_bearer(gateway, IBGE, LOGIN, SENHA)
        wait_route(gateway, "/api/v1/me", bearer)
        wait_route(gateway, "/api/v1/saude/tenancy")
        wait_route(echo, "/echo")

        me = Req("GET", "/api/v1/me", headers=bearer)
        saude = Req("GET", "/api/v1/saude/tenancy")
        echo_req = Req("GET", "/echo")
        probe = CpuProbe({name: proc.proc.pid for name, (proc, _) in started.items()})
        common = {
            "clients": args.clients,
            "duration": args.duration,
            "warmup": args.warmup,
            "cpu_probe": probe,
        }
        rounds: dict[str, list] = {"a": [], "b": [], "c": []}
        for _ in range(args.rounds):  # interleaved, so that drift hits all three alike
            rounds["c"].append(run_load(echo, lambda i, n: echo_req, **common))
            rounds["b"].append(run_load(gateway, lambda i, n: saude, **common))
            rounds["a"].append(run_load(gateway, lambda i, n: me, **common))
        results = {
            "a": merge(rounds["a"], "(a) /me"),
            "b": merge(rounds["b"], "(b) /saude/tenancy"),
            "c": merge(rounds["c"], "(c) nameko echo"),
        }
        one_user = login_request(IBGE, LOGIN, SENHA)
        results["login1"] = run_load(
            gateway,
            lambda i, n: one_user,
            name="login, 1 usuário",
            clients=args.clients,
            duration=args.login_duration,
            warmup=args.warmup,
            cpu_probe=probe,
        )
        per_client = [login_request(IBGE, LOGIN, SENHA)] + [
            login_request(IBGE, f"bench{i}", SENHA) for i in range(1, args.clients)
        ]
        results["loginN"] = run_load(
            gateway,
            lambda i, n: per_client[i],
            name=f"login, {args.clients} usuários",
            clients=args.clients,
            duration=args.login_duration,
            warmup=args.warmup,
            cpu_probe=probe,
        )

    print_table(
        LOAD_HEADERS,
        [load_row(results[k]) for k in ("a", "b", "c", "login1", "loginN")],
        title=f"gateway vs nameko echo, {args.clients} clientes, "
        f"{args.rounds} x {args.duration:g} s cada",
    )
    a, b, c = results["a"], results["b"], results["c"]
    print_table(
        ("razão", "req/s", "p50"),
        [
            ["(a)/(c)", fmt(ratio(a.rps, c.rps), 2), fmt(ratio(a.p50, c.p50), 2)],
            ["(b)/(c)", fmt(ratio(b.rps, c.rps), 2), fmt(ratio(b.p50, c.p50), 2)],
        ],
        title="razões em relação ao teto do nameko (c)",
    )
    print_cpu(list(results.values()))
    print(f"\nmáquina no fim: {machine_note()}")
    failed = [r for r in results.values() if r.errors]
    for r in failed:
        print(f"erros em {r.name}: {r.errors}; exemplos: {r.error_samples}", file=sys.stderr)
    if args.json_path:
        with open(args.json_path, "w") as fh:
            json.dump({k: r.summary() for k, r in results.items()}, fh, indent=2)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

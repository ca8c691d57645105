"""What changes when the platform goes from the 6 pilot municipalities to 1,000.

One run, fresh database and vhost, tenancy + auth + gateway as processes:

1. provision the six pilots (5203302, 5205109, 5208004, 5211800, 5212204,
   5217104) and one user in each;
2. at 6 municipalities measure
   - the time to provision one new municipality with `provision()` (fast path:
     tables from metadata, version stamped) and, as the baseline, the same steps
     replaying every migration (`upgrade(..., fast_path=False)`), median of
     `--samples` throw-away municipalities each, dropped afterwards;
   - the wall time of `sempapel migrar` over all (nothing to do), with the
     default number of worker processes and with 2 (the machine's cores);
   - login and GET /api/v1/me at `--clients` closed-loop clients, with the
     users of six municipalities (each client logs in with its own users, so
     no two clients wait on one account's row lock), plus GET /api/v1/municipios
     (the login page's list, which grows with the registry);
3. provision the rest up to `--municipios` (default 1000) from municipios.csv in
   `--processes` helper processes of `--concurrency` greenthreads, timed;
4. one user in each of six municipalities spread over the new ones, and the
   same measures as in 2 at 1,000;
5. `ANALYZE pg_catalog.pg_class, pg_catalog.pg_namespace` and the schema
   measures once more: every schema holds tables of the same names, and
   without fresh catalog statistics PostgreSQL looks a table up by name across
   all schemas (autovacuum refreshes them in time where it is on; the output
   says whether it is). Prints every figure and the ratios 1000/6.

The service code runs in helper processes (bench/tenant_ops.py, `sempapel`);
this process only generates load.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from typing import Any

from load import (
    LOAD_HEADERS,
    PYTHON,
    REPO,
    SEMPAPEL,
    CpuProbe,
    LoadResult,
    Processes,
    Req,
    add_common_options,
    bench_infrastructure,
    checkpoint,
    exit_on_sigterm,
    fmt,
    http_json,
    load_row,
    login_bearer,
    login_request,
    machine_note,
    municipios,
    print_cpu,
    print_table,
    ratio,
    run_checked,
    run_load,
    run_sql,
    service_env,
)

SENHA = "senha-de-bench-123"
TENANT_OPS = str(REPO / "bench" / "tenant_ops.py")


def ops(env: dict[str, str], command: str, items: list[Any], concurrency: int = 4) -> Any:
    argv = [PYTHON, TENANT_OPS, command, "--concurrency", str(concurrency)]
    out = json.loads(run_checked(argv, env, input_text=json.dumps(items)))
    if isinstance(out, dict) and out.get("errors"):
        raise RuntimeError(f"{command}: {out['errors']}")
    return out


def provision_parallel(
    env: dict[str, str], items: list[list[str]], processes: int, concurrency: int
) -> tuple[float, int]:
    """Provision `items` in `processes` helper processes; (wall seconds, provisioned)."""
    chunks = [items[i::processes] for i in range(processes) if items[i::processes]]
    started = time.perf_counter()
    children = [
        subprocess.Popen(
            [PYTHON, TENANT_OPS, "provision", "--concurrency", str(concurrency)],
            env=env,
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        for _ in chunks
    ]
    done = 0
    try:
        for child, chunk in zip(children, chunks, strict=True):
            out, _ = child.communicate(json.dumps(chunk), timeout=900)
            if child.returncode != 0:
                raise RuntimeError(f"provisionamento falhou (código {child.returncode})")
            result = json.loads(out)
            if result["errors"]:
                raise RuntimeError(f"provisionamento: {result['errors']}")
            done += result["done"]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    return time.perf_counter() - started, done


def time_migrar(env: dict[str, str], workers: str) -> tuple[float, str]:
    argv = [SEMPAPEL, "migrar"] + ([] if workers == "padrao" else ["--workers", workers])
    started = time.perf_counter()
    out = run_checked(argv, env)
    return time.perf_counter() - started, out.strip()


def measure_schemas(
    label: str, env: dict[str, str], throwaway: list[list[str]], args: argparse.Namespace
) -> dict[str, Any]:
    """Provisioning one more (both roads) and `sempapel migrar` at the current size."""
    figures: dict[str, Any] = {"label": label}
    samples = ops(env, "time-provision", throwaway)
    for mode in ("fast", "replay"):
        kept = samples[mode][1:]  # the first of each parses the migration scripts
        figures[f"provision_{mode}_ms"] = 1000 * statistics.median(s["total"] for s in kept)
        figures[f"parts_{mode}_ms"] = 1000 * statistics.median(s["parts"] for s in kept)
    for workers in args.migrar_workers:
        figures[f"migrar_{workers}_s"], figures[f"migrar_{workers}_out"] = time_migrar(env, workers)
    started = time.perf_counter()
    run_checked([SEMPAPEL, "config"], env)
    figures["cli_start_s"] = time.perf_counter() - started
    return figures


def measure_load(
    label: str,
    gateway: str,
    users: list[tuple[str, str]],
    args: argparse.Namespace,
    probe: CpuProbe,
) -> dict[str, LoadResult]:
    """Login, /me and the municipality list at `args.clients` clients."""
    tokens = [login_bearer(gateway, ibge, login, SENHA) for ibge, login in users]
    me = [Req("GET", "/api/v1/me", headers=h) for h in tokens]
    logins = [login_request(ibge, login, SENHA) for ibge, login in users]
    n, c = len(users), args.clients
    # Client i logs in with users i, i + c, ...: never the same account as another client.
    own = [[logins[j] for j in range(i % n, n, c)] or [logins[i % n]] for i in range(c)]
    lista = Req("GET", "/api/v1/municipios")
    common = {"clients": c, "duration": args.duration, "warmup": args.warmup, "cpu_probe": probe}
    checkpoint(args.database)
    return {
        "me": run_load(gateway, lambda i, k: me[(i + k) % n], name=f"/me @{label}", **common),
        "login": run_load(
            gateway, lambda i, k: own[i][k % len(own[i])], name=f"login @{label}", **common
        ),
        "municipios": run_load(gateway, lambda i, k: lista, name=f"/municipios @{label}", **common),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--municipios", type=int, default=1000, help="the big number (1000)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (4)")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per measure (8)")
    parser.add_argument("--warmup", type=float, default=2.0, help="discarded seconds before (2)")
    parser.add_argument("--samples", type=int, default=10, help="provisioning samples (10)")
    parser.add_argument("--processes", type=int, default=1, help="provisioning processes (1)")
    parser.add_argument(
        "--concurrency", type=int, default=4, help="greenthreads per provisioning process (4)"
    )
    parser.add_argument(
        "--migrar-workers",
        type=lambda v: [w.strip() for w in v.split(",") if w.strip()],
        default=["padrao", "2"],
        help="`sempapel migrar` runs to time, comma-separated: 'padrao' (the settings' "
        "default, SEMPAPEL_MIGRATION_WORKERS) and/or numbers of workers (padrao,2)",
    )
    add_common_options(parser)
    args = parser.parse_args()
    exit_on_sigterm()
    print(f"máquina no início: {machine_note()}", flush=True)

    every = municipios()
    throwaway_count = args.samples + 1
    if not 6 < args.municipios <= len(every) - throwaway_count:
        parser.error(f"--municipios entre 7 e {len(every) - throwaway_count}")
    big = [list(m) for m in every[: args.municipios]]
    throwaway = [list(m) for m in every[-throwaway_count:]]
    pilots, rest = big[:6], big[6:]
    # Six municipalities spread over the new ones, first to last (fewer if there are fewer).
    spread = [rest[i] for i in sorted({(len(rest) - 1) * k // 5 for k in range(6)})]

    with (
        bench_infrastructure(args.database, args.vhost, args.keep),
        Processes(keep_logs=args.keep) as procs,
    ):
        env = service_env(args.database, args.vhost)
        t_pilots, _ = provision_parallel(env, pilots, 1, args.concurrency)
        ops(env, "users", [[m[0], "bench", f"Bench {m[1]}", SENHA] for m in pilots])
        names = ("tenancy", "auth", "gateway")
        started = [procs.start_service(s, args.database, args.vhost) for s in names]
        for proc, _ in started:
            proc.wait_ready()
        gateway = started[-1][1]
        probe = CpuProbe({n: p.proc.pid for n, (p, _) in zip(names, started, strict=True)})

        small = measure_schemas("6", env, throwaway, args)
        small.update(measure_load("6", gateway, [(m[0], "bench") for m in pilots], args, probe))
        print(f"6 municípios medidos; provisionando mais {len(rest)} ...", file=sys.stderr)
        t_bulk, done = provision_parallel(env, rest, args.processes, args.concurrency)
        status, lista = http_json(gateway, "GET", "/api/v1/municipios")
        if status != 200 or len(lista) != args.municipios or done != len(rest):
            raise RuntimeError(
                f"esperava {args.municipios} municípios ativos, {status} {len(lista)}"
            )
        ops(env, "users", [[m[0], "bench", f"Bench {m[1]}", SENHA] for m in spread])
        label = str(args.municipios)
        large = measure_schemas(label, env, throwaway, args)
        large.update(measure_load(label, gateway, [(m[0], "bench") for m in spread], args, probe))
        autovacuum = run_sql(args.database, "SHOW autovacuum")[0]
        run_sql(args.database, "ANALYZE pg_catalog.pg_class", "ANALYZE pg_catalog.pg_namespace")
        analyzed = measure_schemas(f"{label}+ANALYZE", env, throwaway, args)

    report(args, t_pilots, t_bulk, len(rest), small, large, analyzed)
    print(f"autovacuum do PostgreSQL: {autovacuum}")
    print_cpu([f[k] for k in ("login", "me", "municipios") for f in (small, large)])
    print(f"\nmáquina no fim: {machine_note()}")
    failed = [
        r for f in (small, large) for r in f.values() if isinstance(r, LoadResult) and r.errors
    ]
    for r in failed:
        print(f"erros em {r.name}: {r.errors}; exemplos: {r.error_samples}", file=sys.stderr)
    if args.json_path:
        with open(args.json_path, "w") as fh:
            json.dump(
                {
                    "pilots_s": t_pilots,
                    "bulk_s": t_bulk,
                    "bulk_count": len(rest),
                    **{
                        f["label"]: {
                            k: (v.summary() if isinstance(v, LoadResult) else v)
                            for k, v in f.items()
                        }
                        for f in (small, large, analyzed)
                    },
                },
                fh,
                indent=2,
            )
    return 1 if failed else 0


def report(
    args: argparse.Namespace,
    t_pilots: float,
    t_bulk: float,
    bulk: int,
    small: dict[str, Any],
    large: dict[str, Any],
    analyzed: dict[str, Any],
) -> None:
    n = args.municipios
    print_table(
        ("provisionamento", "segundos", "por município ms", "municípios/s"),
        [
            [
                "6 pilotos (1 processo)",
                fmt(t_pilots, 2),
                fmt(1000 * t_pilots / 6, 1),
                fmt(6 / t_pilots),
            ],
            [
                f"mais {bulk} ({args.processes} proc. x {args.concurrency} greenthreads)",
                fmt(t_bulk, 2),
                fmt(1000 * t_bulk / bulk, 1),
                fmt(bulk / t_bulk),
            ],
        ],
        title="provisionamento em lote (parede, com a partida dos processos auxiliares)",
    )
    rows = []
    measures = [
        ("provision_fast_ms", "provisionar 1 novo, fast path (ms, mediana)", 1),
        ("provision_replay_ms", "provisionar 1 novo, replay das migrações (ms)", 1),
        ("parts_fast_ms", "  só as partes do schema, fast path (ms)", 1),
        ("parts_replay_ms", "  só as partes do schema, replay (ms)", 1),
    ]
    for workers in args.migrar_workers:
        label = "workers do padrão" if workers == "padrao" else f"--workers {workers}"
        measures.append((f"migrar_{workers}_s", f"sempapel migrar ({label}), nada a fazer (s)", 2))
    measures.append(("cli_start_s", "partida do comando, para comparar (sempapel config, s)", 2))
    for key, name, digits in measures:
        rows.append(
            [
                name,
                fmt(small[key], digits),
                fmt(large[key], digits),
                fmt(ratio(large[key], small[key]), 2),
                fmt(analyzed[key], digits),
                fmt(ratio(analyzed[key], small[key]), 2),
            ]
        )
    rows.append(
        [
            "razão replay/fast path",
            *(
                fmt(ratio(f["provision_replay_ms"], f["provision_fast_ms"]), 2)
                for f in (small, large)
            ),
            "",
            fmt(ratio(analyzed["provision_replay_ms"], analyzed["provision_fast_ms"]), 2),
            "",
        ]
    )
    print_table(
        ("medida", "@6", f"@{n}", f"{n}/6", f"@{n} após ANALYZE", "/6"),
        rows,
        title="esquemas (após ANALYZE = estatísticas do catálogo atualizadas)",
    )
    for workers in args.migrar_workers:
        for f in (small, large, analyzed):
            print(f"saída do migrar ({workers}) @{f['label']}: {f[f'migrar_{workers}_out']}")
    print_table(
        LOAD_HEADERS,
        [load_row(f[k]) for k in ("login", "me", "municipios") for f in (small, large)],
        title=f"latência com {args.clients} clientes, usuários em 6 municípios",
    )
    rows = []
    for k in ("login", "me", "municipios"):
        s, b = small[k], large[k]
        rows.append(
            [
                f"{k} {n}/6",
                fmt(ratio(b.rps, s.rps), 2),
                fmt(ratio(b.p50, s.p50), 2),
                fmt(ratio(b.p99, s.p99), 2),
            ]
        )
    print_table(("razão", "req/s", "p50", "p99"), rows, title=f"razões {n} vs 6 municípios")


if __name__ == "__main__":
    sys.exit(main())

"""Processes through the gateway: opening, reading and the inbox at 100,000, against nameko's echo.

One run: fresh database and vhost; tenancy, auth, processos and gateway as
separate processes (`sempapel servico ...`); the nameko echo pair
(bench/nameko_echo.py) on the same broker and vhost, as bench_gateway.py
starts it. One municipality (Formosa, 5208004), an administrator (`sempapel
usuario criar --administrador`) who creates unit PROT through the API and
gives one user per client a permission there, so that each client logs in
with its own token carrying PROT. Then, at 10 closed-loop clients (each its
own keep-alive connection and user), after a warm-up:

  1. POST /api/v1/processos          open a public process (numbered, history, outbox event)
  2. GET  /api/v1/processos/{id}     read one, ids spread over those opened in 1
  3. GET  /api/v1/caixa?limite=50    the inbox's first page with only the processes of 1
     (the baseline); then 100,000 processes open in PROT are loaded straight into
     the database (bench/processos_ops.py, COPY) and ANALYZEd, and the first page
     is measured again, and deep pages: each client walks the pages by their
     `proxima` cursors, from the first page to the last, then again.
  4. GET  /echo                      nameko's HTTP -> RPC ceiling (the bare echo pair);
     4b. GET /api/v1/saude/processos  the gateway -> RPC echo: the platform's gateway
     calling processos.health, no token, no database. 4, 4b and 2 are measured in turn
     `--rounds` times (3), and read is set against each ceiling on the median of the
     rounds' ratios, so that a burst of other work on the machine does not decide it

It prints req/s and p50/p90/p99, the ratios open req/s / 150 (the target),
read req/s / echo req/s (target 0.65) and inbox p50 at 100,000 / baseline, and
the CPU milliseconds per request in every process. The cursors of the deep
pages come from the helper (the service's own `_cursor`, the inbox's order);
a few are checked against the `proxima` the API gives before measuring.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.parse

from bench_gateway import wait_route
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
    free_port,
    http_json,
    load_row,
    login_bearer,
    machine_note,
    merge,
    print_cpu,
    print_table,
    ratio,
    run_checked,
    run_load,
    run_sql,
    service_env,
)

IBGE, NOME, UF = "5208004", "Formosa", "GO"
SCHEMA = f"mun_{IBGE}"  # the platform's schema for a municipality (as the tests name it)
ADMIN, SENHA = "bench_adm", "senha-de-bench-123"
SIGLA = "PROT"
PREFIXO_CARGA = "99999999"  # NIPE prefix of the bulk-loaded numbers: never the municipality's
META_ABRIR = 150.0  # processes opened per second
META_LER = 0.65  # read req/s / echo req/s
OPS = str(REPO / "bench" / "processos_ops.py")


def checked(status: int, body: object, expected: int, what: str) -> object:
    if status != expected:
        raise RuntimeError(f"{what}: HTTP {status} (esperado {expected}): {body}")
    return body


def inbox_path(limite: int, cursor: str | None = None) -> str:
    path = f"/api/v1/caixa?grupo=recebidos&limite={limite}"
    return path if cursor is None else f"{path}&apos={urllib.parse.quote(cursor)}"


def all_ids(gateway: str, headers: dict[str, str]) -> list[str]:
    """Every process open in the unit, following `proxima` at the largest page size."""
    ids: list[str] = []
    cursor = None
    while True:
        status, body = http_json(gateway, "GET", inbox_path(200, cursor), headers=headers)
        checked(status, body, 200, "caixa")
        ids += [item["id"] for item in body["itens"]]
        cursor = body["proxima"]
        if cursor is None:
            return ids


def check_cursors(
    gateway: str, headers: dict[str, str], paths: list[str], cursors: list[str], limite: int
) -> int:
    """The API's `proxima` on a few pages (the first ones, deep ones, the last) is ours."""
    last = len(paths) - 1
    picks = sorted({0, 1, 2, last // 3, last // 2, last - 1, last} & set(range(last + 1)))
    for k in picks:
        status, body = http_json(gateway, "GET", paths[k], headers=headers)
        checked(status, body, 200, f"caixa, página {k + 1}")
        expected = cursors[k] if k < len(cursors) else None
        if body["proxima"] != expected:
            raise RuntimeError(
                f"página {k + 1}: proxima {body['proxima']!r}, o auxiliar deu {expected!r}"
            )
        if k < last and len(body["itens"]) != limite:
            raise RuntimeError(f"página {k + 1}: {len(body['itens'])} itens, esperados {limite}")
    return len(picks)


def outbox_pending(database: str) -> tuple[int, int]:
    """(events not yet relayed, all events) in the municipality's processos outbox."""
    pending, total = run_sql(
        database,
        f"SELECT count(*) FILTER (WHERE enviado_em IS NULL), count(*) "
        f"FROM {SCHEMA}.outbox_processos",
    )
    return int(pending), int(total)


def wait_outbox(database: str, timeout: float) -> tuple[int, int, float]:
    """Pending events when called, all events, and seconds until none is pending (NaN: never)."""
    started = time.perf_counter()
    first, total = outbox_pending(database)
    pending = first
    while pending and time.perf_counter() - started < timeout:
        time.sleep(0.2)
        pending, total = outbox_pending(database)
    return first, total, (time.perf_counter() - started) if not pending else float("nan")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10, help="concurrent clients (10)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measure (10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="discarded seconds before (2)")
    parser.add_argument(
        "--bulk", type=int, default=100_000, help="processes loaded into the unit (100,000)"
    )
    parser.add_argument("--page", type=int, default=50, help="inbox page size, limite (50)")
    parser.add_argument(
        "--eco",
        choices=("transientes", "persistentes"),
        default="transientes",
        help="the echo's RPC messages: transient as the platform's (default), or persistent "
        "as nameko ships",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="echo and read measured in turn this many times; the target uses the median of "
        "the rounds' ratios (3)",
    )
    add_common_options(parser)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    exit_on_sigterm()
    begin = time.perf_counter()
    print(f"máquina no início: {machine_note()}", flush=True)
    results: dict[str, LoadResult] = {}
    facts: dict[str, object] = {}

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
            [SEMPAPEL, "usuario", "criar", "--municipio", IBGE, "--login", ADMIN]
            + ["--nome", "Administração do bench", "--administrador"],
            env,
            input_text=SENHA + "\n",
        )
        logins = [f"prot{i}" for i in range(args.clients)]
        out = run_checked(
            [PYTHON, str(REPO / "bench" / "tenant_ops.py"), "users", "--concurrency", "4"],
            env,
            input_text=json.dumps([[IBGE, lg, f"Protocolo {lg}", SENHA] for lg in logins]),
        )
        if json.loads(out)["errors"]:
            raise RuntimeError(f"usuários: {out}")

        started = {}
        for name in ("tenancy", "auth", "processos", "gateway"):
            started[name] = procs.start_service(name, args.database, args.vhost)
        amqp = env["SEMPAPEL_AMQP_URI"]
        for role, port in (("rpc", free_port()), ("http", free_port())):
            argv = [PYTHON, str(REPO / "bench" / "nameko_echo.py"), role]
            argv += ["--amqp-uri", amqp, "--port", str(port), "--mensagens", args.eco]
            started[f"echo-{role}"] = (
                procs.start(f"echo-{role}", argv, env, f"http://127.0.0.1:{port}/healthz"),
                f"http://127.0.0.1:{port}",
            )
        for proc, _ in started.values():
            proc.wait_ready()
        gateway = started["gateway"][1]
        echo = started["echo-http"][1]

        # The unit, the permissions and one token per client, through the API.
        admin = login_bearer(gateway, IBGE, ADMIN, SENHA)
        wait_route(gateway, "/api/v1/me", admin)
        unidade = {"sigla": SIGLA, "nome": "Protocolo", "unidade_superior": None}
        checked(*http_json(gateway, "POST", "/api/v1/unidades", unidade, admin), 201, "unidade")
        for login in logins:
            path = f"/api/v1/usuarios/{login}/permissoes/{SIGLA}"
            status, body = http_json(gateway, "PUT", path, {"perfil": "basico"}, admin)
            checked(status, body, 200, f"permissão de {login}")
        tipos = checked(
            *http_json(gateway, "GET", "/api/v1/tipos-processo", headers=admin), 200, "tipos"
        )
        tipo = next(
            t for t in tipos if t["nivel_acesso_sugerido"] == "publico" and t.get("ativo", True)
        )
        tokens = [login_bearer(gateway, IBGE, login, SENHA) for login in logins]
        wait_route(gateway, inbox_path(1), tokens[0])
        wait_route(echo, "/echo")

        def open_request(i: int, n: int) -> Req:
            body = {
                "tipo_processo": tipo["id"],
                "especificacao": f"Pedido de bench {i}-{n}",
                "interessados": [{"nome": "Maria", "cpf_cnpj": "529.982.247-25"}],
            }
            headers = {**tokens[i], "Content-Type": "application/json"}
            return Req("POST", "/api/v1/processos", json.dumps(body).encode(), headers)

        one = open_request(0, -1)  # one of each first, so that a broken route fails early
        status, body = http_json(gateway, "POST", one.path, json.loads(one.body), tokens[0])
        checked(status, body, 201, "abrir processo")
        checked(
            *http_json(gateway, "GET", f"/api/v1/processos/{body['id']}", headers=tokens[0]),
            200,
            "ler processo",
        )

        probe = CpuProbe({name: proc.proc.pid for name, (proc, _) in started.items()})
        common = {
            "clients": args.clients,
            "duration": args.duration,
            "warmup": args.warmup,
            "cpu_probe": probe,
        }

        # 1. Opening.
        checkpoint(args.database)
        results["abrir"] = run_load(
            gateway, open_request, name="1. POST /processos", expect_status=201, **common
        )
        first, total, drained = wait_outbox(args.database, 60.0)
        facts["outbox"] = {"pendentes_no_fim": first, "eventos": total, "esvaziou_em_s": drained}

        # 4. and 2. The ceiling, then reading, back to back.
        ids = all_ids(gateway, tokens[0])
        read_paths = [f"/api/v1/processos/{pid}" for pid in ids]
        echo_req = Req("GET", "/echo")
        checkpoint(args.database)
        saude_req = Req("GET", "/api/v1/saude/processos")
        rodadas: dict[str, list[LoadResult]] = {"eco": [], "saude": [], "ler": []}
        for rodada in range(args.rounds):  # in turn, so that the machine's drift hits all
            rodadas["eco"].append(
                run_load(
                    echo, lambda i, n: echo_req, name=f"4. nameko eco ({rodada + 1})", **common
                )
            )
            rodadas["saude"].append(
                run_load(
                    gateway,
                    lambda i, n: saude_req,
                    name=f"4b. gateway -> processos.health ({rodada + 1})",
                    **common,
                )
            )
            rodadas["ler"].append(
                run_load(
                    gateway,
                    lambda i, n: Req(
                        "GET",
                        read_paths[(i + n * args.clients) % len(read_paths)],
                        headers=tokens[i],
                    ),
                    name=f"2. GET /processos/{{id}} ({rodada + 1})",
                    **common,
                )
            )
        results["eco"] = merge(rodadas["eco"], "4. nameko eco")
        results["saude"] = merge(rodadas["saude"], "4b. GET /saude/processos (gateway eco)")
        results["ler"] = merge(rodadas["ler"], "2. GET /processos/{id}")
        for teto in ("eco", "saude"):
            facts[f"rodadas_ler_{teto}"] = [
                ratio(ler.rps, base.rps)
                for ler, base in zip(rodadas["ler"], rodadas[teto], strict=True)
            ]

        # 3. The inbox: baseline, bulk load, first page and deep pages at 100,000.
        tables = ", ".join(
            f"{SCHEMA}.{t}" for t in ("processo", "interessado", "proc_unidade", "andamento")
        )
        run_sql(args.database, f"ANALYZE {tables}")  # the same statistics state as after the load
        checkpoint(args.database)
        first_page = inbox_path(args.page)
        facts["abertos_base"] = len(ids)
        results["caixa_base"] = run_load(
            gateway,
            lambda i, n: Req("GET", first_page, headers=tokens[i]),
            name=f"3. caixa 1ª página, {len(ids):,} abertos",
            **common,
        )
        t0 = time.perf_counter()
        carga = json.loads(
            run_checked(
                [PYTHON, OPS, "carregar"],
                env,
                input_text=json.dumps(
                    {"ibge": IBGE, "sigla": SIGLA, "quantos": args.bulk, "prefixo": PREFIXO_CARGA}
                ),
            )
        )
        carga["total_s"] = time.perf_counter() - t0
        facts["carga"] = carga
        checkpoint(args.database)
        pages = json.loads(
            run_checked(
                [PYTHON, OPS, "cursores"],
                env,
                input_text=json.dumps({"ibge": IBGE, "sigla": SIGLA, "limite": args.page}),
            )
        )
        cursors = pages["cursores"]
        page_paths = [first_page] + [inbox_path(args.page, c) for c in cursors]
        facts["paginas"] = {"abertos": pages["total"], "paginas": len(page_paths)}
        facts["paginas"]["conferidas"] = check_cursors(
            gateway, tokens[0], page_paths, cursors, args.page
        )
        abertos = pages["total"]
        results["caixa_cheia"] = run_load(
            gateway,
            lambda i, n: Req("GET", first_page, headers=tokens[i]),
            name=f"3. caixa 1ª página, {abertos:,} abertos",
            **common,
        )
        offsets = [i * len(page_paths) // args.clients for i in range(args.clients)]
        results["caixa_funda"] = run_load(
            gateway,
            lambda i, n: Req(
                "GET", page_paths[(offsets[i] + n) % len(page_paths)], headers=tokens[i]
            ),
            name=f"3. caixa, páginas seguidas, {abertos:,} abertos",
            **common,
        )

    order = ("abrir", "ler", "eco", "saude", "caixa_base", "caixa_cheia", "caixa_funda")
    print_table(
        LOAD_HEADERS,
        [load_row(results[k]) for k in order],
        title=f"processos pelo gateway, {args.clients} clientes, {args.duration:g} s cada "
        f"(eco com mensagens {args.eco}; eco e leitura: {args.rounds} rodadas alternadas, somadas; "
        f"aquecimento {args.warmup:g} s)",
    )
    abrir, ler, eco = results["abrir"], results["ler"], results["eco"]
    base, cheia, funda = results["caixa_base"], results["caixa_cheia"], results["caixa_funda"]
    ratios = {
        "abrir_meta": ratio(abrir.rps, META_ABRIR),
        "ler_eco": statistics.median(facts["rodadas_ler_eco"]),
        "ler_saude": statistics.median(facts["rodadas_ler_saude"]),
        "ler_eco_somado": ratio(ler.rps, eco.rps),
        "caixa_p50": ratio(cheia.p50, base.p50),
        "funda_p50": ratio(funda.p50, base.p50),
    }

    def met(value: float, target: float) -> str:
        return "sim" if value >= target else f"não (faltam {100 * (1 - value / target):.0f} %)"

    print_table(
        ("razão", "valor", "meta", "atingida"),
        [
            [
                f"abrir req/s / {META_ABRIR:g}",
                fmt(ratios["abrir_meta"], 2),
                "≥ 1.00",
                met(ratios["abrir_meta"], 1.0),
            ],
            [
                f"ler req/s / eco req/s, mediana de {args.rounds} rodadas ("
                + ", ".join(fmt(r, 2) for r in facts["rodadas_ler_eco"])
                + ")",
                fmt(ratios["ler_eco"], 2),
                f"≥ {META_LER}",
                met(ratios["ler_eco"], META_LER),
            ],
            ["ler req/s / eco req/s, rodadas somadas", fmt(ratios["ler_eco_somado"], 2), "", ""],
            [
                "ler req/s / gateway eco req/s, mediana ("
                + ", ".join(fmt(r, 2) for r in facts["rodadas_ler_saude"])
                + ")",
                fmt(ratios["ler_saude"], 2),
                f"≥ {META_LER}",
                met(ratios["ler_saude"], META_LER),
            ],
            [
                f"caixa 1ª página p50, {abertos:,} / {len(ids):,}",
                fmt(ratios["caixa_p50"], 2),
                "",
                "",
            ],
            [
                f"caixa páginas seguidas p50 / 1ª página, {len(ids):,}",
                fmt(ratios["funda_p50"], 2),
                "",
                "",
            ],
        ],
        title="razões",
    )
    print_cpu([results[k] for k in order])
    carga = facts["carga"]
    outbox = facts["outbox"]
    print(
        f"\ncarga direta: {carga['inseridos']:,} processos em {carga['copy_s']:.1f} s (COPY, "
        f"uma transação) + ANALYZE {carga['analyze_s']:.1f} s; {carga['total_s']:.1f} s com o "
        f"processo auxiliar; abertos na unidade {carga['abertos_antes']:,} -> "
        f"{carga['abertos_depois']:,}; {facts['paginas']['paginas']:,} páginas de {args.page}, "
        f"{facts['paginas']['conferidas']} conferidas com o proxima da API"
    )
    print(
        f"outbox de processos no fim da medida 1: {outbox['pendentes_no_fim']} de "
        f"{outbox['eventos']:,} eventos pendentes; esvaziou em {fmt(outbox['esvaziou_em_s'], 1)} s"
    )
    print(f"\nmáquina no fim: {machine_note()}")
    print(f"tempo total: {time.perf_counter() - begin:.0f} s")
    failed = [r for r in results.values() if r.errors]
    for r in failed:
        print(f"erros em {r.name}: {r.errors}; exemplos: {r.error_samples}", file=sys.stderr)
    undrained = outbox["esvaziou_em_s"] != outbox["esvaziou_em_s"]  # NaN: never drained
    if undrained:
        print("erro: o outbox não esvaziou em 60 s", file=sys.stderr)
    if args.json_path:
        with open(args.json_path, "w") as fh:
            json.dump(
                {
                    "medidas": {k: r.summary() for k, r in results.items()},
                    "razoes": ratios,
                    **facts,
                },
                fh,
                indent=2,
                default=str,
            )
    return 1 if failed or undrained else 0


if __name__ == "__main__":
    sys.exit(main())

"""Helper process of bench_planilha.py: one import stage, timed, printed as JSON.

Runs the same functions as `sempapel planilha importar` and the tenancy RPC
(importacao.ler, importacao.importar) in a fresh process, so that the parent
can read this process's peak memory (ru_maxrss) from wait4.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message="\nEventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from services.chassis.config import Settings  # noqa: E402
from services.chassis.database import engine_from_settings  # noqa: E402
from services.chassis.tenant import Tenant  # noqa: E402
from services.chassis.tenant_session import TenantEngines  # noqa: E402
from services.tenancy.handlers import importacao, unidades  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "modo", choices=("nada", "ler", "simular", "importar", "unidades_uma_a_uma")
    )
    parser.add_argument("--municipio", required=True)
    parser.add_argument("--arquivo")
    parser.add_argument("--quantas", type=int, default=200)
    args = parser.parse_args()
    engine = engine_from_settings(Settings.from_env())
    uow = lambda: TenantEngines(engine).unit_of_work(Tenant(args.municipio))  # noqa: E731
    result: dict = {"modo": args.modo}
    started = time.perf_counter()
    if args.modo in ("ler", "simular", "importar"):
        data = Path(args.arquivo).read_bytes()
        linhas = importacao.ler([(Path(args.arquivo).name, data)])
        result["ler_s"] = time.perf_counter() - started
        result["linhas"] = {k: len(v) for k, v in linhas.items()}
        if args.modo != "ler":
            report = importacao.importar(uow(), linhas, simular=args.modo == "simular")
            result["resumo"] = report["resumo"]
            result["codigos"] = len(report["codigos_ativacao"])
    elif args.modo == "unidades_uma_a_uma":
        # What the admin API does for each unit it creates: one transaction each.
        unidades.criar(uow(), "RAIZ", "Raiz")
        started = time.perf_counter()
        for n in range(args.quantas):
            unidades.criar(uow(), f"U{n:05d}", f"Unidade {n}", "RAIZ")
    result["segundos"] = time.perf_counter() - started
    print(json.dumps(result))


if __name__ == "__main__":
    main()

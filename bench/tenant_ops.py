"""Benchmark helper process: provisioning, users and timings through the platform's own code.

This process is monkey-patched by eventlet, like `sempapel`, so it runs the
code exactly as the `sempapel` command does, with greenthreads for concurrency
and psycogreen making PostgreSQL waits yield.
The benchmarks start it as a subprocess, hand it JSON on stdin and read JSON
from stdout, so their own process stays free of eventlet.

    tenant_ops.py provision  [--concurrency N]   stdin: [[ibge, nome, uf], ...]
    tenant_ops.py users      [--concurrency N]   stdin: [[ibge, login, nome, senha], ...]
    tenant_ops.py time-provision                 stdin: [[ibge, nome, uf], ...] (throw-away)
    tenant_ops.py drop                           stdin: [ibge, ...]

`time-provision` provisions each throw-away municipality twice, once with the
real `provision()` (fast path: tables from metadata, version table stamped) and
once replaying every migration (`upgrade(..., fast_path=False)`, same steps
otherwise), dropping it after each, and reports the times of both.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message="\nEventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()  # as `sempapel` does, before anything opens a socket

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from sqlalchemy import Engine, delete, text, update  # noqa: E402

import services.operador.cli as cli  # noqa: E402
from services.chassis.config import Settings  # noqa: E402
from services.chassis.database import engine_from_settings  # noqa: E402
from services.chassis.schema_migrations import discover_parts, upgrade_part  # noqa: E402
from services.chassis.tenant import schema_for  # noqa: E402
from services.tenancy import provisioning  # noqa: E402
from services.tenancy.tables import STATUS_ATIVO, STATUS_PROVISIONANDO, municipio  # noqa: E402


def _engine() -> Engine:
    return engine_from_settings(Settings.from_env())


def _in_pool(items: list[Any], concurrency: int, fn: Any) -> tuple[float, list[str]]:
    errors: list[str] = []

    def one(item: Any) -> None:
        try:
            fn(item)
        except Exception as exc:  # noqa: BLE001 - reported, the batch goes on
            errors.append(f"{item[0]}: {type(exc).__name__}: {exc}")

    started = time.perf_counter()
    pool = eventlet.GreenPool(max(1, concurrency))
    for item in items:
        pool.spawn_n(one, item)
    pool.waitall()
    return time.perf_counter() - started, errors


def cmd_provision(items: list[list[str]], concurrency: int) -> dict[str, Any]:
    engine = _engine()
    provisioning.ensure_global_schema(engine)  # once, before concurrent provisioning
    seconds, errors = _in_pool(
        items, concurrency, lambda m: provisioning.provision(engine, m[0], m[1], m[2])
    )
    engine.dispose()
    return {"done": len(items) - len(errors), "seconds": seconds, "errors": errors[:10]}


def cmd_users(items: list[list[str]], concurrency: int) -> dict[str, Any]:
    seconds, errors = _in_pool(
        items, concurrency, lambda u: cli.criar_usuario(u[0], u[1], u[2], u[3])
    )
    return {"done": len(items) - len(errors), "seconds": seconds, "errors": errors[:10]}


def provision_replaying(engine: Engine, ibge: str, nome: str, uf: str, after_step: Any) -> None:
    """`provision()` step for step, except that each part replays its migrations."""
    ibge, nome, uf = provisioning.validate_new(ibge, nome, uf)
    provisioning.ensure_global_schema(engine)
    found = provisioning._register(engine, ibge, nome, uf)
    schema = schema_for(ibge)
    with engine.begin() as conn:
        provisioning.create_schema(conn, schema)
    after_step("schema")
    for part in discover_parts():
        with engine.begin() as conn:
            upgrade_part(conn, schema, part, fast_path=False)
        after_step(f"part:{part.name}")
    if found.status == STATUS_PROVISIONANDO:
        with engine.begin() as conn:
            conn.execute(
                update(municipio)
                .where(municipio.c.ibge == ibge, municipio.c.status == STATUS_PROVISIONANDO)
                .values(status=STATUS_ATIVO)
            )


def drop(engine: Engine, ibges: list[str]) -> None:
    with engine.begin() as conn:
        for ibge in ibges:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema_for(ibge)}" CASCADE'))
        conn.execute(delete(municipio).where(municipio.c.ibge.in_(ibges)))


def cmd_time_provision(items: list[list[str]]) -> dict[str, Any]:
    engine = _engine()
    provisioning.ensure_global_schema(engine)
    discover_parts()
    samples: dict[str, list[dict[str, float]]] = {"fast": [], "replay": []}
    for ibge, nome, uf in items:
        drop(engine, [ibge])
        for mode in ("fast", "replay"):
            marks: dict[str, float] = {}

            def mark(step: str, marks: dict[str, float] = marks) -> None:
                marks[step] = time.perf_counter()

            started = time.perf_counter()
            if mode == "fast":
                provisioning.provision(engine, ibge, nome, uf, after_step=mark)
            else:
                provision_replaying(engine, ibge, nome, uf, mark)
            total = time.perf_counter() - started
            last_part = max(v for k, v in marks.items() if k.startswith("part:"))
            samples[mode].append({"total": total, "parts": last_part - marks["schema"]})
            drop(engine, [ibge])
    engine.dispose()
    return samples


def cmd_drop(ibges: list[str]) -> dict[str, Any]:
    engine = _engine()
    drop(engine, ibges)
    engine.dispose()
    return {"dropped": len(ibges)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("provision", "users", "time-provision", "drop"))
    parser.add_argument("--concurrency", type=int, default=4, help="greenthreads at once")
    args = parser.parse_args()
    items = json.load(sys.stdin)
    if args.command == "provision":
        result = cmd_provision(items, args.concurrency)
    elif args.command == "users":
        result = cmd_users(items, args.concurrency)
    elif args.command == "time-provision":
        result = cmd_time_provision(items)
    else:
        result = cmd_drop(items)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

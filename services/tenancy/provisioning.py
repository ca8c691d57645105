"""Provisioning municipalities and migrating their schemas.

Provisioning is a sequence of steps, each idempotent and each committed on its
own: register the municipality (status ``provisionando``), create its schema,
bring every service's part of the schema to head, mark it ``ativo``. Running it
again after a failure at any step finishes the job; running it on a finished
municipality changes nothing.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.chassis.dialect_only import postgresql_only
from services.chassis.errors import Conflito, DadosInvalidos
from services.chassis.schema_migrations import (
    TenantSchemaPart,
    discover_parts,
    lock_shared_objects,
    upgrade,
    upgrade_part,
)
from services.chassis.tenant import SCHEMA_PATTERN, schema_for, validar_ibge
from services.tenancy import catalogo_padrao, migration_worker, registry
from services.tenancy.tables import (
    GLOBAL_SCHEMA,
    MIGRATIONS_DIR,
    STATUS_ATIVO,
    STATUS_PROVISIONANDO,
    VERSION_TABLE,
    metadata,
    municipio,
)

UFS = frozenset(
    "AC AL AP AM BA CE DF ES GO MA MT MS MG PA PB PR PE PI RJ RN RS RO RR SC SP SE TO".split()
)

StepHook = Callable[[str], None]


def _now() -> datetime:
    return datetime.now(UTC)


def create_schema(conn: Connection, schema: str) -> None:
    """CREATE SCHEMA for PostgreSQL; on Oracle a schema is a user without a password."""
    statement = text(create_schema_sql(conn.dialect.name, schema, conn))
    if conn.dialect.name == "postgresql":
        statement = postgresql_only(statement)  # Oracle's branch is CREATE USER, portable there
    conn.execute(statement)


def create_schema_sql(dialect: str, schema: str, conn: Connection | None = None) -> str:
    """DDL for one schema; the name is re-checked here because DDL cannot bind it."""
    if schema != GLOBAL_SCHEMA and not SCHEMA_PATTERN.fullmatch(schema):
        raise DadosInvalidos("Nome de schema inválido.")
    if dialect == "oracle":
        exists = (
            conn is not None
            and conn.execute(
                text("SELECT 1 FROM all_users WHERE username = :u"), {"u": schema.upper()}
            ).first()
        )
        if exists:
            return "SELECT 1 FROM dual"
        return f"CREATE USER {schema} NO AUTHENTICATION QUOTA UNLIMITED ON users"
    return f'CREATE SCHEMA IF NOT EXISTS "{schema}"'


def ensure_global_schema(engine: Engine) -> str:
    with engine.begin() as conn:
        lock_shared_objects(conn)  # every provisioning runs this: one at a time
        create_schema(conn, GLOBAL_SCHEMA)
        return upgrade(conn, GLOBAL_SCHEMA, metadata, MIGRATIONS_DIR, VERSION_TABLE)


def validate_new(ibge: str, nome: str, uf: str) -> tuple[str, str, str]:
    validar_ibge(ibge)
    nome = " ".join(nome.split())
    uf = uf.strip().upper()
    if not nome or len(nome) > 120:
        raise DadosInvalidos("Nome do município é obrigatório (até 120 caracteres).")
    if uf not in UFS:
        raise DadosInvalidos(f"UF inválida: {uf!r}.")
    return ibge, nome, uf


@dataclass
class SchemaReport:
    ibge: str
    parts: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    catalogo: str | None = None


def _register(engine: Engine, ibge: str, nome: str, uf: str) -> registry.Municipio:
    with engine.begin() as conn:
        existing = registry.find(conn, ibge)
        if existing is None:
            now = _now()
            values = {
                "ibge": ibge,
                "nome": nome,
                "uf": uf,
                "schema_name": schema_for(ibge),
                "status": STATUS_PROVISIONANDO,
                "criado_em": now,
                "atualizado_em": now,
            }
            if conn.dialect.name == "postgresql":
                conn.execute(
                    postgresql_only(pg_insert(municipio).values(**values).on_conflict_do_nothing())
                )
            else:
                conn.execute(municipio.insert().values(**values))
            existing = registry.find(conn, ibge)
        elif (existing.nome, existing.uf) != (nome, uf):
            raise Conflito(
                f"O município {ibge} já está cadastrado como {existing.nome}/{existing.uf}.",
                code="municipio_divergente",
            )
    assert existing is not None
    return existing


def migrate_schema(
    engine: Engine,
    ibge: str,
    parts: Iterable[TenantSchemaPart],
    after_step: StepHook | None = None,
) -> SchemaReport:
    schema = schema_for(ibge)
    report = SchemaReport(ibge)
    with engine.begin() as conn:
        create_schema(conn, schema)
    if after_step:
        after_step("schema")
    for part in parts:
        with engine.begin() as conn:
            report.parts[part.name] = upgrade_part(conn, schema, part)
        if after_step:
            after_step(f"part:{part.name}")
    return report


def provision(
    engine: Engine,
    ibge: str,
    nome: str,
    uf: str,
    parts: list[TenantSchemaPart] | None = None,
    after_step: StepHook | None = None,
) -> SchemaReport:
    ibge, nome, uf = validate_new(ibge, nome, uf)
    ensure_global_schema(engine)
    found = _register(engine, ibge, nome, uf)
    report = migrate_schema(engine, ibge, parts or discover_parts(), after_step)
    with engine.begin() as conn:
        routed = conn.execution_options(schema_translate_map={None: schema_for(ibge)})
        report.catalogo = "seeded" if catalogo_padrao.semear(routed) else "current"
    if after_step:
        after_step("catalogo")
    if found.status == STATUS_PROVISIONANDO:
        with engine.begin() as conn:
            conn.execute(
                update(municipio)
                .where(municipio.c.ibge == ibge, municipio.c.status == STATUS_PROVISIONANDO)
                .values(status=STATUS_ATIVO, atualizado_em=_now())
            )
    return report


def set_status(engine: Engine, ibge: str, status: str) -> registry.Municipio:
    registry.get(engine, ibge)
    with engine.begin() as conn:
        conn.execute(
            update(municipio)
            .where(municipio.c.ibge == ibge, municipio.c.status != status)
            .values(status=status, atualizado_em=_now())
        )
    return registry.get(engine, ibge)


def _split(items: list[str], count: int) -> list[list[str]]:
    return [batch for batch in (items[n::count] for n in range(count)) if batch]


def migrate_all(
    engine: Engine,
    workers: int,
    only: str | None = None,
    on_done: Callable[[SchemaReport], None] | None = None,
    parts_env: str | None = None,
) -> list[SchemaReport]:
    """Bring every registered municipality's schema to head, in `workers` parallel batches.

    Each batch runs in its own process (see migration_worker). Resumable by
    construction: each schema records its own revision per part, so a run that
    was stopped skips what it finished and redoes what it had not. One schema
    failing is reported and does not stop the others.
    """
    ensure_global_schema(engine)
    if only:
        registry.get(engine, only)
    ibges = [only] if only else [m.ibge for m in registry.list_all(engine)]
    env = dict(os.environ)
    if parts_env is not None:
        env[migration_worker.PARTS_ENV] = parts_env
    procs = [_start_worker(batch, env) for batch in _split(ibges, max(1, workers))]
    return _collect(procs, on_done or (lambda report: None))


def _start_worker(batch: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, set[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.tenancy.migration_worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    proc.stdin.write(json.dumps(batch))
    proc.stdin.close()
    return proc, set(batch)


def _collect(
    procs: list[tuple[subprocess.Popen, set[str]]], on_done: Callable[[SchemaReport], None]
) -> list[SchemaReport]:
    """Each worker's reports as they come; a worker that dies leaves its rest as errors."""
    reports: list[SchemaReport] = []
    selector = selectors.DefaultSelector()
    for proc, batch in procs:
        selector.register(proc.stdout, selectors.EVENT_READ, (proc, batch))
    while selector.get_map():
        for key, _ in selector.select():
            proc, batch = key.data
            line = key.fileobj.readline()
            if line:
                data = json.loads(line)
                batch.discard(data["ibge"])
                found = [SchemaReport(data["ibge"], data["parts"], data.get("error"))]
            else:
                selector.unregister(key.fileobj)
                proc.wait()
                error = f"worker saiu com {proc.returncode}"
                found = [SchemaReport(ibge, error=error) for ibge in sorted(batch)]
            for report in found:
                reports.append(report)
                on_done(report)
    return reports

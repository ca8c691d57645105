"""Oracle cannot run here: what can be checked is the SQL we would send it."""

from __future__ import annotations

import io
import re

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from oracle_statements import as_oracle_19c, oracle_19c
from sqlalchemy import DateTime, select
from sqlalchemy.dialects import oracle
from sqlalchemy.schema import CreateIndex, CreateTable

from services.auth.tables import usuario
from services.chassis.schema_migrations import discover_parts, script_directory
from services.chassis.sql_types import UtcDateTime
from services.tenancy import provisioning
from services.tenancy.tables import MIGRATIONS_DIR, VERSION_TABLE
from services.tenancy.tables import metadata as global_metadata


def all_tables():
    tables = list(global_metadata.tables.values())
    for part in discover_parts():
        tables.extend(part.metadata.tables.values())
    return tables


def test_every_table_compiles_for_oracle_with_identifiers_within_30_bytes():
    dialect = oracle_19c()
    for table in all_tables():
        ddl = str(CreateTable(table).compile(dialect=dialect))
        assert "CREATE TABLE" in ddl
        assert "BOOLEAN" not in ddl  # 23ai's; 19c keeps a Boolean in SMALLINT
        names = [table.name, *[c.name for c in table.columns]]
        names += [c.name for c in table.constraints if c.name]
        names += [i.name for i in table.indexes]
        for index in table.indexes:
            str(CreateIndex(index).compile(dialect=dialect))
        for name in names:
            assert len(str(name).encode()) <= 30, (table.name, name)


def test_every_moment_is_an_utc_timestamp_with_microseconds_on_oracle():
    """No DATE column (whole seconds, no zone): every date-time column is UtcDateTime."""
    dialect = oracle_19c()
    for table in all_tables():
        for column in table.columns:
            if column.type._type_affinity is DateTime:
                assert isinstance(column.type, UtcDateTime), (table.name, column.name)
                assert column.type.compile(dialect=dialect) == "TIMESTAMP(6)"
        assert not re.search(r"\bDATE\b", str(CreateTable(table).compile(dialect=dialect)))


def oracle_ddl_of_migrations(migrations_dir, version_table) -> str:
    """What Alembic would run on an empty Oracle 19c schema (offline mode: no database)."""
    script = script_directory(migrations_dir)
    out = io.StringIO()
    env = EnvironmentContext(
        Config(output_buffer=out),
        script,
        fn=lambda rev, context: script._upgrade_revs("heads", "base"),
        as_sql=True,
        destination_rev="heads",
    )
    with env:
        env.configure(dialect_name="oracle", output_buffer=out, version_table=version_table)
        as_oracle_19c(env.get_context().dialect)
        env.run_migrations()
    return out.getvalue()


def test_migrations_create_the_same_timestamp_columns_on_oracle_as_the_tables():
    parts = [(p.migrations_dir, p.version_table, p.metadata) for p in discover_parts()]
    parts.append((MIGRATIONS_DIR, VERSION_TABLE, global_metadata))
    for migrations_dir, version_table, metadata in parts:
        ddl = oracle_ddl_of_migrations(migrations_dir, version_table)
        assert not re.search(r"\bDATE\b", ddl), migrations_dir
        assert "BOOLEAN" not in ddl, migrations_dir
        from_migrations = set(re.findall(r"(\w+) TIMESTAMP\(6\)", ddl))
        from_tables = {
            c.name
            for t in metadata.tables.values()
            for c in t.columns
            if isinstance(c.type, UtcDateTime)
        }
        assert from_migrations == from_tables, migrations_dir


def test_tenant_queries_are_routed_to_the_schema_on_oracle():
    query = select(usuario.c.nome).where(usuario.c.login == "maria")
    dialect = oracle.dialect()
    compiled = query.compile(dialect=dialect, schema_translate_map={None: "mun_5208004"})
    # Compiled once with a placeholder (one cache entry for every tenant) ...
    assert "__[SCHEMA__none].usuario" in compiled.string
    # ... and the schema is put in when the statement runs.
    routed = compiled.preparer._render_schema_translates(compiled.string, {None: "mun_5208004"})
    assert "mun_5208004.usuario" in routed.lower()


def test_oracle_schema_is_a_user_without_password_and_names_are_checked():
    sql = provisioning.create_schema_sql("oracle", "mun_5208004")
    assert sql == "CREATE USER mun_5208004 NO AUTHENTICATION QUOTA UNLIMITED ON users"
    assert provisioning.create_schema_sql("postgresql", "mun_5208004") == (
        'CREATE SCHEMA IF NOT EXISTS "mun_5208004"'
    )


def test_a_process_read_compiles_for_oracle_and_runs_there_unprepared():
    """The process read gathers its parts with a UNION ALL of plain columns (no JSON
    aggregation, which differs between the two databases); server-side PREPARE is
    PostgreSQL's, so on Oracle the statement is executed as it is."""
    from types import SimpleNamespace

    from services.chassis.prepared_statements import execute_statement
    from services.processos import repository

    sql = str(repository.DETALHE.compile(dialect=oracle_19c()))
    assert sql.count("UNION ALL") == 6
    assert "CAST(NULL AS TIMESTAMP" not in sql  # a read names only the columns it needs
    assert "json" not in sql.lower()
    assert ") x ON 1 = 1" in sql  # Oracle has no boolean literal to join on
    sent = []
    conn = SimpleNamespace(
        dialect=oracle.dialect(),
        execute=lambda statement, params: (
            sent.append((statement, params)) or SimpleNamespace(all=lambda: [])
        ),
    )
    assert execute_statement(conn, repository.LEITURA, {"pid": "a" * 32}) == []
    assert sent == [(repository.LEITURA, {"pid": "a" * 32})]

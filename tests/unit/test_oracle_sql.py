"""Oracle cannot run here: what can be checked is the SQL we would send it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import oracle
from sqlalchemy.schema import CreateIndex, CreateTable

from services.auth.tables import usuario
from services.chassis.schema_migrations import discover_parts
from services.tenancy import provisioning
from services.tenancy.tables import metadata as global_metadata


def all_tables():
    tables = list(global_metadata.tables.values())
    for part in discover_parts():
        tables.extend(part.metadata.tables.values())
    return tables


def test_every_table_compiles_for_oracle_with_identifiers_within_30_bytes():
    dialect = oracle.dialect()
    for table in all_tables():
        ddl = str(CreateTable(table).compile(dialect=dialect))
        assert "CREATE TABLE" in ddl
        names = [table.name, *[c.name for c in table.columns]]
        names += [c.name for c in table.constraints if c.name]
        names += [i.name for i in table.indexes]
        for index in table.indexes:
            str(CreateIndex(index).compile(dialect=dialect))
        for name in names:
            assert len(str(name).encode()) <= 30, (table.name, name)


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

    sql = str(repository.DETALHE.compile(dialect=oracle.dialect()))
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

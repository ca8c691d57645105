"""Prepared statements on a real PostgreSQL: once per connection and schema, bounded."""

from __future__ import annotations

from sqlalchemy import bindparam, select, text

from services.auth.tables import usuario
from services.chassis import prepared_statements
from services.chassis.prepared_statements import execute_statement
from services.chassis.tenant import Tenant
from services.chassis.tenant_session import TenantEngines

POR_LOGIN = select(usuario.c.login, usuario.c.nome).where(usuario.c.login == bindparam("login"))


def _prepared(conn) -> list[str]:
    return sorted(conn.exec_driver_sql("SELECT statement FROM pg_prepared_statements").scalars())


def test_each_connection_prepares_a_statement_once_per_schema(engine, two_schemas):
    engines = TenantEngines(engine)
    try:
        with engines.reading(Tenant("5208004")) as uow:
            conn = uow.session.connection()
            for _ in range(3):
                rows = execute_statement(conn, POR_LOGIN, {"login": "sessao_formosa"})
                assert [r.login for r in rows] == ["sessao_formosa"]
            assert execute_statement(conn, POR_LOGIN, {"login": "sessao_catalao"}) == []
            (formosa,) = _prepared(conn)
            assert "mun_5208004.usuario" in formosa and "$1" in formosa
            assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_generic_plan"
        with engines.reading(Tenant("5205109")) as uow:  # the same pooled connection
            conn = uow.session.connection()
            rows = execute_statement(conn, POR_LOGIN, {"login": "sessao_catalao"})
            assert [r.login for r in rows] == ["sessao_catalao"]
            assert len(_prepared(conn)) == 2  # one text per schema
    finally:
        engines.dispose()


def test_a_connection_keeps_a_bounded_number_and_a_new_one_prepares_anew(
    engine, two_schemas, monkeypatch
):
    monkeypatch.setattr(prepared_statements, "PER_CONNECTION", 1)
    engines = TenantEngines(engine)
    try:
        with engines.reading(Tenant("5208004")) as uow:
            conn = uow.session.connection()
            execute_statement(conn, POR_LOGIN, {"login": "x"})
            with engines.reading(Tenant("5205109")) as other:
                assert other.session.connection().connection.dbapi_connection is not (
                    conn.connection.dbapi_connection
                )
            sql = text("SELECT 1")  # a second statement evicts the first
            prepared_statements.execute_prepared(conn, sql.text, {})
            (left,) = _prepared(conn)
            assert left.endswith(" AS SELECT 1")
            conn.invalidate()  # the pool replaces the DBAPI connection; its record forgets
        with engines.reading(Tenant("5208004")) as uow:
            conn = uow.session.connection()
            assert _prepared(conn) == []
            rows = execute_statement(conn, POR_LOGIN, {"login": "sessao_formosa"})
            assert [r.nome for r in rows] and len(_prepared(conn)) == 1
    finally:
        engines.dispose()

"""The tenant-scoped session on a real PostgreSQL: routing, isolation, one statement cache."""

from __future__ import annotations

import psycopg2.extensions
import pytest
from sqlalchemy import event, func, select, text

from services.auth.domain.usuario import Usuario
from services.auth.tables import usuario
from services.chassis.errors import DadosInvalidos
from services.chassis.tenant import Tenant
from services.chassis.tenant_session import TenantEngines


def logins(engines: TenantEngines, ibge: str) -> set[str]:
    with engines.unit_of_work(Tenant(ibge)) as uow:
        return set(uow.session.scalars(select(Usuario.login)))


def test_each_unit_of_work_sees_only_its_own_schema(engine, two_schemas):
    engines = TenantEngines(engine)
    formosa, catalao = logins(engines, "5208004"), logins(engines, "5205109")
    assert "sessao_formosa" in formosa and "sessao_formosa" not in catalao
    assert "sessao_catalao" in catalao and "sessao_catalao" not in formosa


def test_all_tenants_share_one_compiled_statement(engine, two_schemas):
    engines = TenantEngines(engine)
    query = select(func.count()).select_from(usuario).where(usuario.c.ativo.is_(True))
    with engines.unit_of_work(Tenant("5208004")) as uow:
        uow.session.execute(query)
    size = len(engine._compiled_cache)
    for ibge in ("5205109", "5208004", "5205109"):
        with engines.unit_of_work(Tenant(ibge)) as uow:
            uow.session.execute(query)
    assert len(engine._compiled_cache) == size


def test_leaving_a_unit_of_work_without_commit_rolls_back(engine, two_schemas):
    engines = TenantEngines(engine)
    with engines.unit_of_work(Tenant("5208004")) as uow:
        found = uow.session.scalars(select(Usuario).where(usuario.c.login == "sessao_formosa"))
        found.one().nome = "Nome que não fica"
        uow.session.flush()
    with engines.unit_of_work(Tenant("5208004")) as uow:
        nome = uow.session.scalars(
            select(Usuario.nome).where(usuario.c.login == "sessao_formosa")
        ).one()
    assert nome != "Nome que não fica"


def test_a_crafted_tenant_never_opens_a_session(engine):
    engines = TenantEngines(engine)
    for crafted in ["pg_catalog", "../x", "5208004; DROP SCHEMA public"]:
        with pytest.raises(DadosInvalidos):
            engines.unit_of_work(Tenant(crafted))


def test_a_reading_unit_sends_only_its_statements_on_its_own_autocommit_pool(engine, two_schemas):
    engines = TenantEngines(engine)
    tenant = Tenant("5208004")
    sent: list[str] = []

    def record(conn, cursor, statement, *args):
        sent.append(statement.split()[0].upper())

    with engines.unit_of_work(tenant) as uow:
        writer_pid = uow.session.scalar(text("SELECT pg_backend_pid()"))
    event.listen(engines.reader, "before_cursor_execute", record)
    try:
        for _ in range(2):  # the second time on the same pooled connection
            with engines.reading(tenant) as uow:
                assert "sessao_formosa" in set(uow.session.scalars(select(Usuario.login)))
                dbapi = uow.session.connection().connection.dbapi_connection
                reader_pid = uow.session.scalar(text("SELECT pg_backend_pid()"))
                assert dbapi.autocommit
                assert dbapi.status == psycopg2.extensions.STATUS_READY  # no BEGIN was sent
    finally:
        event.remove(engines.reader, "before_cursor_execute", record)
        engines.dispose()
    assert sent == ["SELECT"] * 4
    assert reader_pid != writer_pid
    with TenantEngines(engine).unit_of_work(tenant) as uow:  # the writers' pool is untouched
        assert not uow.session.connection().connection.dbapi_connection.autocommit

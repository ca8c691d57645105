"""UtcDateTime: the same instant on PostgreSQL and Oracle, never a naive datetime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, MetaData, String, Table, create_engine, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable

from services.chassis.sql_types import DataHoraSemFuso, UtcDateTime

BRASILIA = timezone(timedelta(hours=-3))

tabela = Table(
    "evento_teste",
    MetaData(),
    Column("id", String(32), primary_key=True),
    Column("criado_em", UtcDateTime(), nullable=False),
)


@pytest.fixture(scope="module")
def oracle():
    """python-oracledb's dialect as production runs it (no connection is made)."""
    return create_engine("oracle+oracledb://sempapel@localhost/?service_name=x").dialect


def processors(dialect):
    typ = tabela.c.criado_em.type
    return typ._cached_bind_processor(dialect), typ._cached_result_processor(dialect, None)


def test_the_column_is_timestamp_with_time_zone_on_postgresql_and_timestamp_6_on_oracle(oracle):
    assert "criado_em TIMESTAMP WITH TIME ZONE NOT NULL" in str(
        CreateTable(tabela).compile(dialect=postgresql.dialect())
    )
    assert "criado_em TIMESTAMP(6) NOT NULL" in str(CreateTable(tabela).compile(dialect=oracle))


def test_oracle_binds_it_as_timestamp_not_as_date(oracle):
    """A DATE bind would drop the microseconds of every comparison (setinputsizes)."""
    impl = tabela.c.criado_em.type._unwrapped_dialect_impl(oracle)
    assert impl.get_dbapi_type(oracle.dbapi) is oracle.dbapi.DB_TYPE_TIMESTAMP
    query = select(tabela).where(tabela.c.criado_em < datetime.now(UTC))
    sizes = query.compile(dialect=oracle)._get_set_input_sizes_lookup()
    assert list(sizes.values()) == [oracle.dbapi.DB_TYPE_TIMESTAMP]


def test_oracle_round_trip_keeps_microseconds_and_gives_back_aware_utc(oracle):
    bind, result = processors(oracle)
    instante = datetime(2026, 3, 1, 22, 30, 5, 123456, tzinfo=BRASILIA)
    enviado = bind(instante)
    assert enviado == datetime(2026, 3, 2, 1, 30, 5, 123456)  # UTC, naive for the driver
    assert enviado.tzinfo is None
    lido = result(enviado)  # python-oracledb gives TIMESTAMP back naive
    assert lido == instante
    assert lido.tzinfo is UTC
    assert lido.microsecond == 123456


def test_postgresql_binds_the_aware_datetime_and_gives_back_utc():
    dialect = postgresql.dialect()
    bind, result = processors(dialect)
    instante = datetime(2026, 3, 1, 22, 30, 5, 123456, tzinfo=BRASILIA)
    assert bind(instante) is instante  # timestamptz stores the instant itself
    lido = result(instante)  # psycopg2 answers in the session's zone
    assert lido == instante and lido.tzinfo is UTC
    utc = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    assert result(utc) is utc


@pytest.mark.parametrize("dialeto", ["postgresql", "oracle"])
def test_a_naive_datetime_is_refused_with_a_clear_error(dialeto, oracle):
    dialect = oracle if dialeto == "oracle" else postgresql.dialect()
    bind, _ = processors(dialect)
    with pytest.raises(DataHoraSemFuso, match="sem fuso horário"):
        bind(datetime(2026, 3, 1, 12, 0))
    with pytest.raises(TypeError):
        bind("2026-03-01T12:00:00+00:00")
    assert bind(None) is None


def test_only_datetimes_take_its_processing(oracle):
    """`coluna - timedelta` stays an interval, not a refused 'datetime'."""
    expressao = tabela.c.criado_em - timedelta(days=1)
    assert not isinstance(expressao.right.type, UtcDateTime)
    comparacao = tabela.c.criado_em < datetime.now(UTC)
    assert isinstance(comparacao.right.type, UtcDateTime)

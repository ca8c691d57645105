"""UtcDateTime on a real PostgreSQL: the instant, to the microsecond, always back in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, MetaData, String, Table, insert, select, text
from sqlalchemy.exc import StatementError

from services.chassis.sql_types import DataHoraSemFuso, UtcDateTime

tabela = Table(
    "instante_teste",
    MetaData(),
    Column("id", String(8), primary_key=True),
    Column("em", UtcDateTime(), nullable=False),
)


def test_an_instant_comes_back_equal_in_utc_whatever_the_session_zone(engine):
    instante = datetime(2026, 3, 1, 22, 30, 5, 123456, tzinfo=timezone(timedelta(hours=-3)))
    with engine.connect() as conn:
        tabela.create(conn)
        conn.execute(text("SET LOCAL TIME ZONE 'America/Sao_Paulo'"))
        conn.execute(insert(tabela).values(id="a", em=instante))
        lido = conn.execute(select(tabela.c.em)).scalar_one()
        antes = conn.execute(
            select(tabela.c.id).where(tabela.c.em < instante + timedelta(microseconds=1))
        ).all()
        conn.rollback()
    assert lido == instante
    assert lido.tzinfo is UTC
    assert lido.microsecond == 123456
    assert antes == [("a",)]


def test_a_naive_datetime_never_reaches_the_database(engine):
    with engine.connect() as conn:
        tabela.create(conn)
        with pytest.raises(StatementError) as erro:
            conn.execute(insert(tabela).values(id="b", em=datetime(2026, 3, 1, 12, 0)))
        conn.rollback()
    assert isinstance(erro.value.orig, DataHoraSemFuso)

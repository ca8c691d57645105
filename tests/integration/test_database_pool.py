"""The pool pings a connection only after it sat idle, and replaces a dead one unseen."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from services.chassis.database import engine_from_settings


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT pg_backend_pid()"))


def _kill(other_engine, pid: int) -> None:
    """Terminate a backend from another pool, as a database restart would."""
    with other_engine.connect() as conn:
        assert conn.scalar(text("SELECT pg_terminate_backend(:p)"), {"p": pid})


def _age_pool(engine, seconds: float) -> None:
    for record in engine.pool._pool.queue:
        record.info["sempapel_idle_since"] -= seconds


@pytest.fixture
def pool_engine(settings, engine):  # `engine`: the test database exists
    engine = engine_from_settings(settings, pool_size=2, max_overflow=0)
    yield engine
    engine.dispose()


def test_an_idle_connection_killed_by_the_server_is_replaced_before_use(pool_engine, engine):
    pid = _backend_pid(pool_engine)
    _kill(engine, pid)
    _age_pool(pool_engine, 60)
    # The pooled connection idled past the limit: it fails its ping and a fresh one
    # takes its place; the caller sees only a working connection.
    with pool_engine.connect() as conn:
        assert conn.scalar(text("SELECT pg_backend_pid()")) != pid
    with pool_engine.connect() as conn:
        assert conn.scalar(text("SELECT 1")) == 1


def test_a_connection_in_steady_use_is_not_pinged(pool_engine, engine):
    # Without the idle time the checkout does not ping: the killed connection is handed
    # out and fails on use, which invalidates the pool; the next checkout works.
    pid = _backend_pid(pool_engine)
    _kill(engine, pid)
    with pytest.raises(OperationalError):
        with pool_engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    with pool_engine.connect() as conn:
        assert conn.scalar(text("SELECT 1")) == 1

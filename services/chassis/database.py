"""One engine and pool per process, with a driver that yields to eventlet.

psycopg2 blocks the whole process while it waits for PostgreSQL unless a wait
callback hands control back to the eventlet hub; psycogreen installs that
callback. python-oracledb in thin mode is pure Python and yields by itself.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message="\nEventlet is deprecated")
import time  # noqa: E402
from typing import Any  # noqa: E402

import psycogreen.eventlet  # noqa: E402
from sqlalchemy import Engine, create_engine, event, text  # noqa: E402
from sqlalchemy.exc import DisconnectionError  # noqa: E402

from services.chassis.config import Settings  # noqa: E402
from services.chassis.dialect_only import postgresql_only  # noqa: E402

_green_patched = False


def make_driver_green() -> None:
    global _green_patched
    if not _green_patched:
        psycogreen.eventlet.patch_psycopg()
        _green_patched = True


IDLE_PING_SECONDS = 5.0


def engine_from_settings(settings: Settings, **overrides: object) -> Engine:
    if settings.database_url.startswith("postgresql"):
        make_driver_green()
    options: dict[str, object] = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
    }
    return _pooled_engine(settings.database_url, **{**options, **overrides})


def reading_engine(engine: Engine) -> Engine:
    """A second pool, of autocommit connections, for reads: no BEGIN and no ROLLBACK
    around a read's statements. Switching a pooled connection to autocommit and back
    instead costs a round trip at every checkin (psycopg2's set_isolation_level)."""
    pool = engine.pool
    return _pooled_engine(
        engine.url,
        isolation_level="AUTOCOMMIT",
        pool_size=pool.size(),
        max_overflow=getattr(pool, "_max_overflow", 0),
    )


def _pooled_engine(url: Any, **options: Any) -> Engine:
    """Every pool of the platform: recycled after 30 min, pinged only after sitting idle."""
    if str(url).startswith("oracle"):
        options["thick_mode"] = None  # thin mode: pure Python, cooperative under eventlet
    engine = create_engine(url, pool_recycle=1800, **options)
    ping_when_idle(engine)
    return engine


def ping_when_idle(engine: Engine, idle_seconds: float = IDLE_PING_SECONDS) -> None:
    """Test a pooled connection on checkout only if it sat idle for `idle_seconds`.

    `pool_pre_ping` pings on every checkout: one more round trip per unit of work,
    a fifth of a process read's. Connections die while idle (a database restart, a
    firewall's idle timeout); one in steady use has just proved itself. A dead one
    is replaced before the caller sees it, and a failure in mid-use still
    invalidates the whole pool (SQLAlchemy's disconnect handling).
    """
    probe = "SELECT 1 FROM dual" if engine.dialect.name == "oracle" else "SELECT 1"

    @event.listens_for(engine, "checkin")
    def _mark(dbapi_connection: Any, record: Any) -> None:
        record.info["sempapel_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.get("sempapel_idle_since")
        if since is None or time.monotonic() - since < idle_seconds:
            return  # new, or in steady use
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute(probe)
                cursor.fetchall()
            finally:
                cursor.close()
            dbapi_connection.rollback()
        except Exception as exc:  # noqa: BLE001 - any failure means: not usable
            raise DisconnectionError(f"conexão ociosa perdida: {exc}") from exc


def ping(engine: Engine) -> None:
    if engine.dialect.name == "oracle":
        probe = text("SELECT 1 FROM dual")
    else:
        probe = postgresql_only(text("SELECT 1"))
    with engine.connect() as conn:
        conn.execute(probe)

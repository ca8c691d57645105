"""One engine and pool per process, with a driver that yields to eventlet.

psycopg2 blocks the whole process while it waits for PostgreSQL unless a wait
callback hands control back to the eventlet hub; psycogreen installs that
callback. python-oracledb in thin mode is pure Python and yields by itself.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message="\nEventlet is deprecated")
import psycogreen.eventlet  # noqa: E402
from sqlalchemy import Engine, create_engine, text  # noqa: E402

from services.chassis.config import Settings  # noqa: E402

_green_patched = False


def make_driver_green() -> None:
    global _green_patched
    if not _green_patched:
        psycogreen.eventlet.patch_psycopg()
        _green_patched = True


def engine_from_settings(settings: Settings, **overrides: object) -> Engine:
    url = settings.database_url
    if url.startswith("postgresql"):
        make_driver_green()
    options: dict[str, object] = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_pre_ping": True,
        "pool_recycle": 1800,
    }
    if url.startswith("oracle"):
        options["thick_mode"] = None  # thin mode: pure Python, cooperative under eventlet
    options.update(overrides)
    return create_engine(url, **options)


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1" if engine.dialect.name != "oracle" else "SELECT 1 FROM dual"))

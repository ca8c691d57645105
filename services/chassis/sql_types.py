"""Column types that mean the same thing on PostgreSQL and on Oracle.

`UtcDateTime` is every moment the platform stores (created, sent, signed,
locked until...). `DateTime(timezone=True)` is `TIMESTAMP WITH TIME ZONE` on
PostgreSQL but `DATE` on Oracle: whole seconds (the outbox orders its events by
time) and no zone (naive datetimes made the lockout comparison raise, and Solr
refuses dates without an offset).

On Oracle the column is `TIMESTAMP(6)` holding UTC, not `TIMESTAMP(6) WITH TIME
ZONE`, because python-oracledb (thin and thick) returns a naive datetime for a
`WITH TIME ZONE` value and binds an aware datetime's wall-clock digits with the
zone set to UTC, whatever its offset (python-oracledb issues #274, #373, #374):
the zone would be lost both ways. Converting to UTC here, before the driver
sees the value, and giving UTC back is exact with either type; the plain
`TIMESTAMP` keeps the comparisons index-friendly (no zone arithmetic) and
says what it holds. It is bound as `TIMESTAMP` (SQLAlchemy's setinputsizes),
not as `DATE`, so comparisons keep their microseconds too.

On PostgreSQL the column stays `TIMESTAMP WITH TIME ZONE`, as the existing
schemas were created: no migration.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.types import TIMESTAMP, TypeDecorator, TypeEngine

ORACLE_DDL = "TIMESTAMP(6)"  # microseconds, as datetime keeps them


class DataHoraSemFuso(ValueError):
    """A datetime without a time zone reached the database: a bug, not an input error."""


class UtcDateTime(TypeDecorator[datetime]):
    """An instant: aware datetimes in (any zone, stored as UTC), aware UTC datetimes out.

    A naive datetime is refused when bound: which zone it meant cannot be known.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "oracle":
            return dialect.type_descriptor(TIMESTAMP(timezone=False))
        return dialect.type_descriptor(DateTime(timezone=True))

    def coerce_compared_value(self, op: Any, value: Any) -> TypeEngine[Any]:
        """Only datetimes take this type's processing (`coluna - timedelta` stays an interval)."""
        if isinstance(value, datetime):
            return self
        return self.impl_instance.coerce_compared_value(op, value)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UtcDateTime espera datetime, recebeu {type(value).__name__}")
        if value.utcoffset() is None:
            raise DataHoraSemFuso(
                f"datetime sem fuso horário ({value.isoformat()}): use datetime.now(UTC) "
                "ou um datetime com tzinfo"
            )
        if dialect.name == "oracle":
            return value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # Oracle's TIMESTAMP: UTC by construction
            return value.replace(tzinfo=UTC)
        if value.tzinfo is not UTC:  # PostgreSQL: in the session's zone
            return value.astimezone(UTC)
        return value


@compiles(UtcDateTime, "oracle")
def _oracle_ddl(type_: UtcDateTime, compiler: Any, **kw: Any) -> str:
    """Spelled out: `TIMESTAMP` alone is also 6 digits on Oracle, but says less."""
    return ORACLE_DDL

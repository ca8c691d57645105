"""Statements issued on one database only, declared where they are issued.

The platform's SQL is portable: SQLAlchemy Core, compiled for PostgreSQL (tests,
a single machine) or for Oracle (production). A few statements are chosen by
dialect on purpose: the PostgreSQL search backend, server-side PREPARE/EXECUTE,
catalog queries, `SET search_path`... Each one says so with the execution
option `sempapel_dialecto` (`postgresql_only`, or `postgresql_only_options` for
`exec_driver_sql`), the one way to declare it.

The test suite compiles every other statement it saw run for Oracle 19c and
fails on PostgreSQL-only SQL (tests/oracle_statements.py): a statement that is
not declared must be portable.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.sql.base import Executable

DIALECT_OPTION = "sempapel_dialecto"
# On a declared statement: the statement other databases run in its place (the Oracle
# check compiles that one instead).
STANDS_FOR_OPTION = "sempapel_equivalente"

_Statement = TypeVar("_Statement", bound=Executable)


def postgresql_only(statement: _Statement) -> _Statement:
    """`statement`, declared as issued only on PostgreSQL (its code path is chosen by dialect)."""
    return statement.execution_options(**{DIALECT_OPTION: "postgresql"})


def postgresql_only_options(stands_for: Executable | None = None) -> dict[str, Any]:
    """Execution options declaring driver SQL (`exec_driver_sql`) as PostgreSQL's only.

    `stands_for`: the portable statement other databases execute instead, if any."""
    options: dict[str, Any] = {DIALECT_OPTION: "postgresql"}
    if stands_for is not None:
        options[STANDS_FOR_OPTION] = stands_for
    return options

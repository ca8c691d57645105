"""Server-side prepared statements on PostgreSQL, one set per pooled connection.

psycopg2 sends every statement as text, so PostgreSQL plans it at every call.
For the hottest reads that planning is a large share of the database's work (a
search: 0.5-1 ms of ~6; a process read: ~0.12 ms of ~0.2). So each connection
PREPAREs each statement once and then EXECUTEs it by name, with
`plan_cache_mode = force_generic_plan` for the session: under the default,
PostgreSQL kept custom plans for the search, whose generic plan's estimate
looked dearer though it is the same walk. psycopg2 prepares nothing else, so
only these statements are affected.

The names live in the pool record's `info`, which SQLAlchemy clears when it
replaces the DBAPI connection, so a new connection prepares anew. A connection
keeps at most `PER_CONNECTION` statements (a municipality's schema is part of
the text): the least recently used one is deallocated. Other databases run the
statement as usual (python-oracledb keeps its own statement cache).
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects.postgresql import psycopg2 as pg_psycopg2
from sqlalchemy.sql.base import Executable

from services.chassis.dialect_only import postgresql_only_options

PER_CONNECTION = 64
RENDERED = 4096  # statement texts kept, per (statement, schema)
INFO_KEY = "sempapel_prepared"
_PARAMETER = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")
_NAMED = pg_psycopg2.dialect(paramstyle="named")
_rendered: OrderedDict[tuple[int, str | None], str] = OrderedDict()


@dataclass
class Prepared:
    name: str
    parameters: list[str]


def positional(sql: str) -> tuple[str, list[str]]:
    """`:name` bound parameters as `$n` (a name used twice is one parameter)."""
    names: list[str] = []

    def number(m: re.Match[str]) -> str:
        if m.group(1) not in names:
            names.append(m.group(1))
        return f"${names.index(m.group(1)) + 1}"

    return _PARAMETER.sub(number, sql), names


def execute_prepared(
    conn: Connection, sql: str, params: dict[str, Any], stands_for: Executable | None = None
) -> list[Any]:
    """Run `sql` (our own text, `:name` parameters) as a prepared statement on `conn`.

    Through `exec_driver_sql`, so SQLAlchemy's error and disconnect handling applies.
    PostgreSQL only, and declared so (chassis/dialect_only.py); `stands_for` is the
    portable statement other databases execute instead, if there is one."""
    only_here = postgresql_only_options(stands_for)
    prepared: OrderedDict[str, Prepared] = conn.connection.info.setdefault(INFO_KEY, OrderedDict())
    p = prepared.get(sql)
    if p is None:
        if not prepared:
            conn.exec_driver_sql(
                "SET plan_cache_mode = force_generic_plan", execution_options=only_here
            )
        while len(prepared) >= PER_CONNECTION:
            _, old = prepared.popitem(last=False)
            conn.exec_driver_sql(f"DEALLOCATE {old.name}", execution_options=only_here)
        body, names = positional(sql)
        name = "sp_" + hashlib.sha1(sql.encode(), usedforsecurity=False).hexdigest()[:24]
        # psycopg2 reads % as its own placeholders even with no parameters given.
        conn.exec_driver_sql(
            f"PREPARE {name} AS {body.replace('%', '%%')}", execution_options=only_here
        )
        p = prepared[sql] = Prepared(name, names)
    else:
        prepared.move_to_end(sql)
    if not p.parameters:  # EXECUTE takes no empty parentheses
        return conn.exec_driver_sql(f"EXECUTE {p.name}", execution_options=only_here).all()
    marks = ", ".join(["%s"] * len(p.parameters))
    return conn.exec_driver_sql(
        f"EXECUTE {p.name}({marks})",
        tuple(params[n] for n in p.parameters),
        execution_options=only_here,
    ).all()


def execute_statement(conn: Connection, statement: Any, params: dict[str, Any]) -> list[Any]:
    """A Core statement built once at import (it is known by its identity), prepared on
    PostgreSQL with the connection's schema translation rendered into its text; executed
    as usual on other databases."""
    if conn.dialect.name != "postgresql":
        return conn.execute(statement, params).all()
    schemas = conn.get_execution_options().get("schema_translate_map")
    key = (id(statement), (schemas or {}).get(None))
    sql = _rendered.get(key)
    if sql is None:
        compiled = statement.compile(dialect=_NAMED, schema_translate_map=schemas)
        sql = compiled.string
        if schemas:
            sql = compiled.preparer._render_schema_translates(sql, schemas)
        _rendered[key] = sql
        if len(_rendered) > RENDERED:
            _rendered.popitem(last=False)
    return execute_prepared(conn, sql, params, stands_for=statement)

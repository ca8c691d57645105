"""Alembic, applied per schema, with a fast path for new schemas.

Each service that keeps tables in the municipality schemas declares a
`TenantSchemaPart`: its tables (declared without a schema) and its Alembic
script folder. Every part has its own version table inside each schema
(``alembic_version_<part>``), so services migrate independently.

An existing schema is upgraded by replaying the pending revisions. A schema
where the part has no version table yet takes the fast path: the tables are
created from the current metadata and the version table is stamped at head,
as Alembic recommends for new databases; a test proves both roads end in the
same schema. On PostgreSQL each part runs in one transaction (DDL is
transactional), so a failure leaves the part untouched and a re-run resumes.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, text

from services.chassis.dialect_only import postgresql_only

ENTRY_POINT_GROUP = "sempapel.tenant_schema"

# Explicit, short constraint names: the same on PostgreSQL and Oracle (30 bytes),
# and the same whether a schema was created from metadata or by migrations.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}


SHARED_OBJECTS_LOCK = "sempapel: objetos compartilhados por todos os schemas"


def lock_shared_objects(conn: Connection) -> None:
    """Serialize, until the transaction ends, the making of what every schema shares (the
    global schema, extensions, search configurations and functions in `public`).

    PostgreSQL's `CREATE ... IF NOT EXISTS` and `CREATE OR REPLACE` race when two
    transactions run them at once (a unique violation, "tuple concurrently updated"), as
    provisioning several municipalities of a new installation does: under this lock the
    second waits for the first's commit and finds its objects made. A transaction-level
    advisory lock, so it never outlives a failure. Other databases: nothing (on Oracle
    those objects are the operator's, made once)."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            postgresql_only(text("SELECT pg_advisory_xact_lock(hashtext(:nome))")),
            {"nome": SHARED_OBJECTS_LOCK},
        )


def tenant_metadata() -> MetaData:
    """MetaData for tables that live in every municipality schema (declared without one)."""
    return MetaData(naming_convention=NAMING_CONVENTION)


@dataclass(frozen=True)
class TenantSchemaPart:
    name: str
    metadata: MetaData
    migrations_dir: Path
    # Objects made by PostgreSQL-only DDL outside the portable metadata (e.g. busca's
    # tsvector column and GIN index), so schema comparisons know to expect them.
    postgres_only: tuple[str, ...] = ()

    @property
    def version_table(self) -> str:
        return f"alembic_version_{self.name}"


def discover_parts() -> list[TenantSchemaPart]:
    """Every installed service's tenant schema part, in a stable order."""
    parts = [ep.load() for ep in entry_points(group=ENTRY_POINT_GROUP)]
    return sorted(parts, key=lambda p: p.name)


def script_directory(migrations_dir: Path) -> ScriptDirectory:
    """Parsed once per process, and again only if a revision file is added."""
    return _script_directory(migrations_dir, (migrations_dir / "versions").stat().st_mtime_ns)


@functools.cache
def _script_directory(migrations_dir: Path, versions_mtime: int) -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    return ScriptDirectory.from_config(config)


def head_of(migrations_dir: Path) -> tuple[str, ...]:
    return tuple(sorted(script_directory(migrations_dir).get_heads()))


def current_revisions(connection: Connection, schema: str, version_table: str) -> tuple[str, ...]:
    context = MigrationContext.configure(
        connection,
        opts={"version_table": version_table, "version_table_schema": schema},
    )
    return tuple(sorted(context.get_current_heads()))


# Alembic's `op` and `context` are module-level proxies: one replay at a time per
# process (parallel runs use several processes, see tenancy's migration_worker).
_ALEMBIC_GLOBALS = threading.Lock()
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,29}")


def _route_unqualified_names(connection: Connection, schema: str) -> None:
    """Point unqualified names at the schema for this transaction.

    schema_translate_map covers statements built from Table objects, but several
    Alembic operations (add_column, alter_column, create_index ...) render bare
    table names; they must land in the same schema.
    """
    if not _IDENTIFIER.fullmatch(schema):
        raise ValueError(f"invalid schema name: {schema!r}")
    if connection.dialect.name == "postgresql":
        connection.execute(postgresql_only(text(f'SET LOCAL search_path TO "{schema}"')))
    elif connection.dialect.name == "oracle":
        connection.execute(text(f"ALTER SESSION SET CURRENT_SCHEMA = {schema}"))


def upgrade(
    connection: Connection,
    schema: str,
    metadata: MetaData,
    migrations_dir: Path,
    version_table: str,
    fast_path: bool = True,
) -> str:
    """Bring one part of one schema to head; returns what it did: created, upgraded, current."""
    script = script_directory(migrations_dir)
    routed = connection.execution_options(schema_translate_map={None: schema})
    _route_unqualified_names(routed, schema)
    current = current_revisions(routed, schema, version_table)
    head = head_of(migrations_dir)
    if current == head:
        return "current"
    if not current and fast_path:
        metadata.create_all(routed, checkfirst=True)
        context = MigrationContext.configure(
            routed, opts={"version_table": version_table, "version_table_schema": schema}
        )
        context.stamp(script, "heads")
        return "created"

    def run_pending(rev: object, context: object) -> list:
        return script._upgrade_revs("heads", rev)

    env = EnvironmentContext(Config(), script, fn=run_pending, destination_rev="heads")
    with env:
        env.configure(
            connection=routed,
            target_metadata=metadata,
            version_table=version_table,
            version_table_schema=schema,
        )
        env.run_migrations()
    return "upgraded"


def upgrade_part(
    connection: Connection, schema: str, part: TenantSchemaPart, fast_path: bool = True
) -> str:
    return upgrade(
        connection, schema, part.metadata, part.migrations_dir, part.version_table, fast_path
    )

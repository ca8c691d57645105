"""The tenant-scoped session: the heart of schema-per-municipality routing.

Tenant tables are declared once, without a schema. A unit of work opens a
session on the shared engine with ``schema_translate_map={None: schema}`` for
the caller's municipality, so every tenant shares one pool and one compiled
statement cache (SQLAlchemy renders the schema at execution time).

The tenant comes from the caller's verified token. Only login and operator
commands name a municipality explicitly, through `for_municipio`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from nameko.extensions import DependencyProvider
from sqlalchemy import Engine, text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from services.chassis.call_context import identity_of
from services.chassis.config import Settings
from services.chassis.database import engine_from_settings, reading_engine
from services.chassis.dialect_only import postgresql_only
from services.chassis.errors import BancoIndisponivel, NaoAutenticado
from services.chassis.tenant import SCHEMA_PATTERN, Tenant
from services.chassis.tokens import TokenService

if TYPE_CHECKING:
    from services.chassis.outbox import OutboxRelayer


# A service's repositories, by the attribute name a unit of work gives them under
# (`{"processos": ProcessoRepository}` -> `uow.processos`), each built from the session.
Repositories = Mapping[str, Callable[[Session, Tenant], Any]]
NO_REPOSITORIES: Repositories = MappingProxyType({})


class UnitOfWork:
    """One transaction in one municipality's schema; leaving it without commit rolls back.

    Inside `with uow:` each of the service's repositories is an attribute, bound to the
    session (cosmicpython's unit of work: handlers load, call the domain, commit)."""

    def __init__(
        self, engine: Engine, tenant: Tenant, repositories: Repositories = NO_REPOSITORIES
    ) -> None:
        self.tenant = tenant
        self._engine = engine
        self._repositories = repositories
        self.session: Session | None = None
        self._after_commit: list[Callable[[], None]] = []

    def __enter__(self) -> UnitOfWork:
        self.session = Session(bind=self._engine, expire_on_commit=False)
        for name, repository in self._repositories.items():
            setattr(self, name, repository(self.session, self.tenant))
        return self

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the transaction has committed (never if it rolls back)."""
        self._after_commit.append(callback)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        # close() rolls back anything uncommitted and detaches objects without
        # expiring them, so a handler may return what it loaded.
        assert self.session is not None
        self.session.close()
        if isinstance(exc, OperationalError | InterfaceError):
            # The database is unreachable or failed mid-transaction: nothing was committed,
            # and the caller gets a 503, not an internal error.
            raise BancoIndisponivel() from exc

    def commit(self) -> None:
        assert self.session is not None
        self.session.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def rollback(self) -> None:
        assert self.session is not None
        self.session.rollback()


class TenantEngines:
    """The shared engine, seen through each municipality's schema translation."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reader: Engine | None = None
        self._by_schema: dict[tuple[str, bool], Engine] = {}

    def for_tenant(self, tenant: Tenant, read_only: bool = False) -> Engine:
        key = (tenant.schema, read_only)
        routed = self._by_schema.get(key)
        if routed is None:
            base = self.reader if read_only else self.engine
            routed = base.execution_options(schema_translate_map={None: tenant.schema})
            self._by_schema[key] = routed
        return routed

    @property
    def reader(self) -> Engine:
        """The pool of autocommit connections behind `reading`, made on first use."""
        if self._reader is None:
            self._reader = reading_engine(self.engine)
        return self._reader

    def dispose(self) -> None:
        self.engine.dispose()
        if self._reader is not None:
            self._reader.dispose()

    def unit_of_work(
        self, tenant: Tenant, repositories: Repositories = NO_REPOSITORIES
    ) -> UnitOfWork:
        return UnitOfWork(self.for_tenant(tenant), tenant, repositories)

    def reading(self, tenant: Tenant, repositories: Repositories = NO_REPOSITORIES) -> UnitOfWork:
        """A unit of work for reads only: each statement on its own, on the autocommit pool,
        with no BEGIN and no ROLLBACK around them (two round trips of a read's four).
        Each statement sees what is committed, as in a READ COMMITTED transaction."""
        return UnitOfWork(self.for_tenant(tenant, read_only=True), tenant, repositories)


class TenantScope:
    """What a worker gets: units of work bound to its caller's municipality.

    Units of work that may write wake the service's outbox relay when they commit (when
    the service has one), so a handler never has to remember to: its events go out at once.
    """

    def __init__(
        self,
        engines: TenantEngines,
        worker_ctx: Any,
        tokens: TokenService,
        relay: OutboxRelayer | None = None,
        repositories: Repositories = NO_REPOSITORIES,
    ) -> None:
        self._engines = engines
        self._worker_ctx = worker_ctx
        self._tokens = tokens
        self._relay = relay
        self._repositories = repositories

    @property
    def tenant(self) -> Tenant:
        identity = identity_of(self._worker_ctx, self._tokens)
        if identity is None:
            raise NaoAutenticado()
        return identity.tenant

    @property
    def engines(self) -> TenantEngines:
        """Every municipality's engine: for sweeps over all of them (timers, not requests)."""
        return self._engines

    def unit_of_work(self) -> UnitOfWork:
        return self._announcing(self._engines.unit_of_work(self.tenant, self._repositories))

    def reading(self) -> UnitOfWork:
        """The caller's municipality, for reads only (see `TenantEngines.reading`)."""
        return self._engines.reading(self.tenant, self._repositories)

    def for_municipio(self, ibge: str) -> UnitOfWork:
        """Calls without a token: login (the municipality the user picked) and consumers of
        events (the municipality the event names, validated as an IBGE code)."""
        return self._announcing(self._engines.unit_of_work(Tenant(ibge), self._repositories))

    def reading_for_municipio(self, ibge: str) -> UnitOfWork:
        """`for_municipio`, for reads only (see `TenantEngines.reading`)."""
        return self._engines.reading(Tenant(ibge), self._repositories)

    def _announcing(self, uow: UnitOfWork) -> UnitOfWork:
        if self._relay is not None:
            relay, tenant = self._relay, uow.tenant
            uow.on_commit(lambda: relay.notify(tenant))
        return uow


class TenantDatabase(DependencyProvider):
    """The tenant-scoped database of a service; with `relay`, its outbox relay too.

    `TenantDatabase(relay=OutboxRelayer(outbox, SOURCE), repositories={...})`: the relay is
    a sub-extension (nameko binds and runs it with the container) and every writing unit of
    work wakes it after its commit; every unit of work carries the repositories.
    """

    def __init__(
        self,
        relay: OutboxRelayer | None = None,
        repositories: Repositories | None = None,
    ) -> None:
        self.relay = relay
        self.repositories = dict(repositories or {})

    def setup(self) -> None:
        settings = Settings.from_env()
        self.tokens = TokenService.from_settings(settings)
        self.engines = TenantEngines(engine_from_settings(settings))

    def stop(self) -> None:
        self.engines.dispose()

    def get_dependency(self, worker_ctx: Any) -> TenantScope:
        return TenantScope(self.engines, worker_ctx, self.tokens, self.relay, self.repositories)


def tenants_with_table(engine: Engine, table_name: str) -> list[Tenant]:
    """Municipality schemas holding `table_name`, for work that sweeps every municipality.

    One catalog query rather than has_table() per schema: 3 ms instead of 1.9 s
    for 850 schemas on PostgreSQL.
    """
    if engine.dialect.name == "oracle":
        query = text("SELECT owner FROM all_tables WHERE table_name = :name")
        name = table_name.upper()  # unquoted identifiers are stored upper case
    else:
        query = postgresql_only(
            text("SELECT table_schema FROM information_schema.tables WHERE table_name = :name")
        )
        name = table_name
    with engine.connect() as conn:
        schemas = {owner.lower() for owner in conn.scalars(query, {"name": name})}
    return [
        Tenant(schema.removeprefix("mun_"))
        for schema in sorted(schemas)
        if SCHEMA_PATTERN.fullmatch(schema)
    ]

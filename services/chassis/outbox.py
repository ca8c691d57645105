"""The transactional outbox: events are written with the change, then relayed to RabbitMQ.

A service records each domain event in `outbox_<service>`, inside the
municipality's schema, in the same transaction as the change it reports, so an
event exists if and only if its change committed. A relay then publishes the
pending rows to the topic exchange with publisher confirms and marks them sent.

Delivery is at least once: a relay that dies between the broker's confirm and
the mark publishes the row again later, with the same CloudEvents `id`, so
consumers deduplicate by id. Rows are claimed with ``FOR UPDATE SKIP LOCKED``,
so two relay replicas never publish the same row at the same time.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import amqp.exceptions
import eventlet
import eventlet.queue
import kombu
import kombu.exceptions
import sqlalchemy.exc
import structlog
from kombu.entity import PERSISTENT_DELIVERY_MODE
from nameko.extensions import Extension
from sqlalchemy import (
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from services.chassis.config import Settings
from services.chassis.database import engine_from_settings
from services.chassis.dialect_only import postgresql_only
from services.chassis.errors import ConfiguracaoInvalida
from services.chassis.events import EXCHANGE
from services.chassis.sql_types import UtcDateTime
from services.chassis.tenant import Tenant
from services.chassis.tenant_session import TenantEngines, tenants_with_table

_log = structlog.get_logger("sempapel.outbox")

CONTENT_TYPE = "application/cloudevents+json"
_SERVICE_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
_IDENTIFIER_MAX_BYTES = 30  # Oracle 12.1


def outbox_table(metadata: MetaData, service: str) -> Table:
    """Declare `outbox_<service>` (no schema: tenant tables are routed per municipality)."""
    name = f"outbox_{service}"
    index_name = f"ix_{name}_pendentes"
    # The index name is the longest identifier: it bounds the service name.
    if not _SERVICE_PATTERN.fullmatch(service) or len(index_name.encode()) > _IDENTIFIER_MAX_BYTES:
        raise ValueError(f"service name {service!r} must be [a-z0-9_], at most 10 characters")
    table = Table(
        name,
        metadata,
        Column("id", String(32), primary_key=True),
        Column("tipo", String(60), nullable=False),
        Column("assunto", String(64), nullable=False),
        Column("dados", Text, nullable=False),
        Column("criado_em", UtcDateTime(), nullable=False),
        Column("enviado_em", UtcDateTime(), nullable=True),
        Column("tentativas", Integer, nullable=False, default=0, server_default=text("0")),
    )
    Index(index_name, table.c.enviado_em, table.c.criado_em)
    return table


def record_event(
    session: Session | Connection, table: Table, tipo: str, assunto: str, dados: dict
) -> str:
    """Insert one pending event in the caller's transaction (never commits); return its id."""
    event_id = uuid.uuid4().hex
    session.execute(
        insert(table).values(
            id=event_id,
            tipo=tipo,
            assunto=assunto,
            dados=json.dumps(dados, ensure_ascii=False, default=str),
            # Taken here, not from the database: now() is the transaction start on
            # PostgreSQL, and events of one transaction must keep their order.
            criado_em=datetime.now(UTC),
            tentativas=0,
        )
    )
    return event_id


def _rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None:  # a driver that drops the zone still stored UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def cloud_event(row: Any, ibge: str, source: str) -> dict:
    """CloudEvents 1.0, structured mode; `municipio` is an extension attribute."""
    return {
        "specversion": "1.0",
        "id": row.id,
        "source": source,
        "type": row.tipo,
        "subject": row.assunto,
        "time": _rfc3339(row.criado_em),
        "datacontenttype": "application/json",
        "municipio": ibge,
        "data": json.loads(row.dados),
    }


class OutboxRelay:
    """Publishes the pending rows of one outbox table, for any municipality.

    `flush` publishes in batches; each batch is one database transaction that
    holds its rows locked while they are published. On any failure the batch
    rolls back (its rows stay pending, nothing is lost, rows already confirmed
    are published again later with the same id), the attempt is counted on the
    row that failed, and the exception is re-raised. Greenthreads may share a
    relay (its calls are serialized by a lock); each replica has its own.
    """

    confirm_timeout: float = 10.0  # seconds to wait for the broker's ack of one message
    connect_timeout: float = 5.0

    def __init__(
        self,
        engines: TenantEngines,
        table: Table,
        amqp_uri: str,
        source: str,
        exchange: str = EXCHANGE,
        batch: int = 100,
        retention_hours: float = 168.0,
    ) -> None:
        if batch < 1:
            raise ValueError("batch must be at least 1")
        self.engines = engines
        self.table = table
        self.amqp_uri = amqp_uri
        self.source = source
        self.exchange = kombu.Exchange(exchange, type="topic", durable=True)
        self.batch = batch
        self.retention = timedelta(hours=retention_hours)
        # Test hook: called after each confirmed publish, before the row is marked.
        self.after_publish: Callable[[dict], None] | None = None
        self._connection: kombu.Connection | None = None
        self._producer: kombu.Producer | None = None
        self._lock = threading.Lock()

    # -- database --------------------------------------------------------------

    def _claim(self, conn: Connection) -> list[Row]:
        table = self.table
        query = (
            select(table)
            .where(table.c.enviado_em.is_(None))
            .order_by(table.c.criado_em, table.c.id)
            .with_for_update(skip_locked=True)
        )
        if conn.dialect.name == "oracle":
            # Oracle refuses FETCH FIRST with FOR UPDATE; with SKIP LOCKED it locks
            # rows as they are fetched, so fetching `batch` rows claims only those.
            result = conn.execute(query)
            try:
                return list(result.fetchmany(self.batch))
            finally:
                result.close()
        return list(conn.execute(postgresql_only(query.limit(self.batch))))

    def _count_failed_attempt(self, tenant: Tenant, event_id: str) -> None:
        table = self.table
        try:
            with self.engines.for_tenant(tenant).begin() as conn:
                conn.execute(
                    update(table)
                    .where(table.c.id == event_id, table.c.enviado_em.is_(None))
                    .values(tentativas=table.c.tentativas + 1)
                )
        except Exception:
            _log.warning("outbox_tentativa_nao_contada", municipio=tenant.ibge, evento=event_id)

    # -- broker ----------------------------------------------------------------

    def _get_producer(self) -> kombu.Producer:
        if self._producer is None:
            connection = kombu.Connection(
                self.amqp_uri,
                # py-amqp puts every channel in confirm mode and makes basic_publish
                # wait for the broker's basic.ack (basic.nack raises MessageNacked).
                transport_options={"confirm_publish": True},
                connect_timeout=self.connect_timeout,
            )
            try:
                channel = connection.channel()
                self.exchange(channel).declare()
                self._producer = kombu.Producer(channel, exchange=self.exchange, auto_declare=False)
            except Exception:
                _release(connection)
                raise
            self._connection = connection
        return self._producer

    def _publish(self, event: dict) -> None:
        body = json.dumps(event, ensure_ascii=False).encode("utf-8")
        for attempt in (1, 2):
            producer = self._get_producer()
            connection = self._connection
            try:
                producer.publish(
                    body,
                    routing_key=event["type"],
                    content_type=CONTENT_TYPE,
                    content_encoding="utf-8",
                    message_id=event["id"],
                    delivery_mode=PERSISTENT_DELIVERY_MODE,
                    timeout=self.confirm_timeout,
                    confirm_timeout=self.confirm_timeout,
                )
                return
            except Exception as exc:
                # Whatever failed, the channel may be closed or waiting for a
                # confirm: start the next publish on a fresh connection.
                self.close()
                recoverable = connection is not None and isinstance(
                    exc, connection.connection_errors
                )
                if attempt == 2 or not recoverable:
                    raise
                # A connection that broke while idle: reconnect once and retry.
                _log.warning("outbox_reconectando", erro=repr(exc))

    def close(self) -> None:
        """Drop the broker connection; the next publish opens a new one."""
        connection, self._connection, self._producer = self._connection, None, None
        if connection is not None:
            _release(connection)

    # -- relaying --------------------------------------------------------------

    def flush(self, tenant: Tenant) -> int:
        """Publish every pending event of `tenant`, in order; return how many were published."""
        with self._lock:
            total = 0
            while True:
                claimed = self._flush_batch(tenant)
                total += claimed
                if claimed < self.batch:
                    if total:
                        _log.info("outbox_publicado", municipio=tenant.ibge, eventos=total)
                    return total

    def _flush_batch(self, tenant: Tenant) -> int:
        table = self.table
        current: str | None = None
        try:
            with self.engines.for_tenant(tenant).begin() as conn:
                rows = self._claim(conn)
                if not rows:
                    return 0
                for row in rows:
                    current = row.id
                    event = cloud_event(row, tenant.ibge, self.source)
                    self._publish(event)
                    if self.after_publish is not None:
                        self.after_publish(event)
                current = None
                conn.execute(
                    update(table)
                    .where(table.c.id.in_([row.id for row in rows]))
                    .values(enviado_em=datetime.now(UTC), tentativas=table.c.tentativas + 1)
                )
            return len(rows)
        except Exception:
            _log.error("outbox_falhou", municipio=tenant.ibge, evento=current, exc_info=True)
            if current is not None:
                self._count_failed_attempt(tenant, current)
            raise

    def tenants(self) -> list[Tenant]:
        """Municipality schemas that hold this outbox table."""
        return tenants_with_table(self.engines.engine, self.table.name)

    def sweep(self) -> int:
        """Flush every municipality; one municipality's failure does not stop the others.

        An outage (broker or database unreachable) does stop the sweep and is
        re-raised: every other municipality would fail the same way.
        """
        total = 0
        for tenant in self.tenants():
            try:
                total += self.flush(tenant)
                self.purge(tenant)
            except _OUTAGES:
                raise
            except Exception:  # noqa: S112 - flush logged it; the rows stay pending
                continue
        return total

    def purge(self, tenant: Tenant) -> int:
        """Delete events sent longer ago than the retention: the table would only grow.

        Consumers that were down longer than that catch up from the source (a reindex),
        not from the outbox.
        """
        table = self.table
        limite = datetime.now(UTC) - self.retention
        with self.engines.for_tenant(tenant).begin() as conn:
            apagados = conn.execute(
                delete(table).where(table.c.enviado_em.is_not(None), table.c.enviado_em < limite)
            ).rowcount
        if apagados:
            _log.info("outbox_expurgado", municipio=tenant.ibge, eventos=apagados)
        return apagados


_OUTAGES = (
    OSError,
    amqp.exceptions.ConnectionError,
    kombu.exceptions.OperationalError,
    sqlalchemy.exc.OperationalError,
)


def _release(connection: kombu.Connection) -> None:
    try:
        connection.release()
    except Exception:  # already broken: nothing left to close cleanly
        _log.debug("outbox_conexao_fechada_com_erro")


_STOP = object()


class OutboxRelayer(Extension):
    """Runs an OutboxRelay in the service process, as a sub-extension of `TenantDatabase`.

    A background greenthread flushes a municipality as soon as a worker calls
    `notify` after its commit, and sweeps every municipality each
    SEMPAPEL_OUTBOX_SWEEP_SECONDS to pick up events whose notification was lost
    (a process that died after its commit). SEMPAPEL_OUTBOX_RELAY=off starts no
    loop: events wait in the tables.
    """

    stop_grace_seconds: float = 15.0
    error_pause_seconds: float = 1.0

    def __init__(self, table: Table, source: str) -> None:
        self.table = table
        self.source = source
        self.relay: OutboxRelay | None = None
        self.enabled = False
        self.sweep_seconds = 5.0
        self._queue: eventlet.queue.Queue | None = None
        self._queued: set[Tenant] = set()
        self._running = False
        self._thread: Any = None

    def setup(self) -> None:
        settings = Settings.from_env()
        mode = settings.outbox_relay.strip().lower()
        if mode not in ("on", "off"):
            raise ConfiguracaoInvalida("SEMPAPEL_OUTBOX_RELAY deve ser 'on' ou 'off'.")
        if settings.outbox_sweep_seconds <= 0:
            raise ConfiguracaoInvalida("SEMPAPEL_OUTBOX_SWEEP_SECONDS deve ser maior que zero.")
        self.enabled = mode == "on"
        self.sweep_seconds = settings.outbox_sweep_seconds
        # The relay holds one database connection at a time: a small pool of its own.
        engine = engine_from_settings(settings, pool_size=2, max_overflow=2)
        self.relay = OutboxRelay(
            TenantEngines(engine),
            self.table,
            settings.amqp_uri,
            self.source,
            retention_hours=settings.outbox_retention_hours,
        )
        self._queue = eventlet.queue.Queue()
        self._queued = set()

    def start(self) -> None:
        if self.enabled:
            self._running = True
            self._thread = self.container.spawn_managed_thread(self._run, identifier="outbox_relay")

    def stop(self) -> None:
        self._halt(wait=True)

    def kill(self) -> None:
        self._halt(wait=False)

    def notify(self, tenant: Tenant) -> None:
        """Queue `tenant` for a flush, once however many commits arrive before it runs."""
        if not self._running or tenant in self._queued:
            return
        self._queued.add(tenant)
        self._queue.put_nowait(tenant)

    def flush_now(self, tenant: Tenant) -> int:
        """Flush at once, in the caller's greenthread (tests, operators)."""
        return self.relay.flush(tenant)

    def _halt(self, wait: bool) -> None:
        self._running = False
        thread, self._thread = self._thread, None
        if thread is not None:
            if wait:
                self._queue.put_nowait(_STOP)
                with eventlet.Timeout(self.stop_grace_seconds, False):
                    _wait_quietly(thread)
            thread.kill()
        if self.relay is not None:
            try:
                self.relay.close()
                self.relay.engines.engine.dispose()
            except Exception:  # stop and kill must not raise: the container is going
                _log.warning("outbox_relay_encerrado_com_erro", exc_info=True)

    def _run(self) -> None:
        next_sweep = time.monotonic() + self.sweep_seconds
        while self._running:
            try:
                item = self._queue.get(timeout=max(0.0, next_sweep - time.monotonic()))
            except eventlet.queue.Empty:
                item = None
            if item is _STOP or not self._running:
                return
            try:
                if isinstance(item, Tenant):
                    self._queued.discard(item)  # before flushing: a later commit queues again
                    self.relay.flush(item)
                # Sweep on time even when notifications never let the queue go empty.
                if time.monotonic() >= next_sweep:
                    self.relay.sweep()
                    next_sweep = time.monotonic() + self.sweep_seconds
            except Exception as exc:  # logged in full by flush, or here in one line
                _log.error("outbox_relay_pausa", erro=repr(exc))
                next_sweep = time.monotonic() + self.sweep_seconds
                eventlet.sleep(self.error_pause_seconds)


def _wait_quietly(thread: Any) -> None:
    try:
        thread.wait()
    except Exception:  # noqa: S110 - the loop logs its own errors
        pass

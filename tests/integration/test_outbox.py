"""The transactional outbox and its relay on a real PostgreSQL and a real RabbitMQ.

Each test gets fresh municipality schemas (codes 53999xx, used by no other test)
holding the outbox of a fake service "teste", and its own queue bound to the
events exchange with "teste.#", deleted at the end.
"""

from __future__ import annotations

import re
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta

import amqp.exceptions
import eventlet
import kombu
import pytest
from nameko.containers import ServiceContainer
from nameko.rpc import rpc
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import select, text, update
from sqlalchemy.dialects import oracle
from sqlalchemy.schema import CreateIndex, CreateTable

from services.chassis.config import Settings
from services.chassis.events import EXCHANGE
from services.chassis.outbox import (
    CONTENT_TYPE,
    OutboxRelay,
    OutboxRelayer,
    cloud_event,
    outbox_table,
    record_event,
)
from services.chassis.schema_migrations import tenant_metadata
from services.chassis.tenant import Tenant
from services.chassis.tenant_session import TenantDatabase, TenantEngines

pytestmark = pytest.mark.timeout(90)

METADATA = tenant_metadata()
TABLE = outbox_table(METADATA, "teste")
SOURCE = "/sempapel/teste"
TIPO = "teste.criado"
IBGE_A, IBGE_B, IBGE_SEM_TABELA = "5399901", "5399902", "5399903"
CLOUDEVENT_KEYS = {
    "specversion",
    "id",
    "source",
    "type",
    "subject",
    "time",
    "datacontenttype",
    "municipio",
    "data",
}
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


class SimulatedCrash(Exception):
    pass


@pytest.fixture
def schemas(engine):
    """Two municipalities with the outbox table, one without it."""
    names = [f"mun_{ibge}" for ibge in (IBGE_A, IBGE_B, IBGE_SEM_TABELA)]

    def drop() -> None:
        with engine.begin() as conn:
            for name in names:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))

    drop()
    with engine.begin() as conn:
        for name in names:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        for ibge in (IBGE_A, IBGE_B):
            METADATA.create_all(conn.execution_options(schema_translate_map={None: f"mun_{ibge}"}))
    yield TenantEngines(engine)
    drop()


class Received:
    """A queue of our own on the events exchange; reads what the relay published."""

    def __init__(self, amqp_uri: str) -> None:
        self.connection = kombu.Connection(amqp_uri)
        exchange = kombu.Exchange(EXCHANGE, type="topic", durable=True)
        self.queue = kombu.Queue(
            f"teste-outbox-{uuid.uuid4().hex[:8]}",
            exchange,
            routing_key="teste.#",
            durable=False,
            exclusive=True,
        )
        self.simple = self.connection.SimpleQueue(self.queue)
        self.messages: list[kombu.Message] = []

    def _get(self, timeout: float) -> bool:
        try:
            message = self.simple.get(timeout=timeout)
        except self.simple.Empty:
            return False
        message.ack()
        self.messages.append(message)
        return True

    def wait_for(self, count: int, deadline: float = 15.0) -> list[kombu.Message]:
        """Read until `count` messages arrived in total (or the deadline passes)."""
        end = time.monotonic() + deadline
        while len(self.messages) < count and time.monotonic() < end:
            self._get(timeout=0.5)
        return self.messages

    def drain(self, idle: float = 0.5) -> list[kombu.Message]:
        """Read everything already routed to the queue (publishes were confirmed)."""
        while self._get(timeout=idle):
            pass
        return self.messages

    def bodies(self) -> list[dict]:
        import json

        return [json.loads(m.body) for m in self.messages]

    def close(self) -> None:
        try:
            self.simple.close()  # cancels the consumer before the queue goes
            self.queue.bind(self.connection.default_channel).delete()
        finally:
            self.connection.release()


@pytest.fixture
def received(settings, engine):
    reader = Received(settings.amqp_uri)
    yield reader
    reader.close()


def record(engines: TenantEngines, ibge: str, count: int, commit: bool = True) -> list[str]:
    ids = []
    with engines.unit_of_work(Tenant(ibge)) as uow:
        for n in range(count):
            ids.append(
                record_event(uow.session, TABLE, TIPO, f"proc-{n}", {"n": n, "nome": "São João"})
            )
        if commit:
            uow.commit()
    return ids


def rows(engines: TenantEngines, ibge: str) -> list:
    with engines.for_tenant(Tenant(ibge)).connect() as conn:
        return list(conn.execute(select(TABLE).order_by(TABLE.c.criado_em, TABLE.c.id)))


def relay_for(engines: TenantEngines, settings: Settings, **options) -> OutboxRelay:
    return OutboxRelay(engines, TABLE, settings.amqp_uri, SOURCE, **options)


def test_table_identifiers_fit_oracle():
    metadata = tenant_metadata()
    table = outbox_table(metadata, "documentos")
    dialect = oracle.dialect()
    str(CreateTable(table).compile(dialect=dialect))
    names = [table.name, *(c.name for c in table.columns), *(i.name for i in table.indexes)]
    names += [c.name for c in table.constraints if c.name]
    assert "ix_outbox_documentos_pendentes" in names
    assert all(len(name.encode()) <= 30 for name in names)
    for index in table.indexes:
        str(CreateIndex(index).compile(dialect=dialect))
    with pytest.raises(ValueError):
        outbox_table(tenant_metadata(), "documentos2")
    with pytest.raises(ValueError):
        outbox_table(tenant_metadata(), "Processos")


def test_an_event_exists_only_if_its_transaction_commits(schemas):
    record(schemas, IBGE_A, 2, commit=False)
    assert rows(schemas, IBGE_A) == []

    [event_id] = record(schemas, IBGE_A, 1)
    [row] = rows(schemas, IBGE_A)
    assert row.id == event_id and len(event_id) == 32
    assert row.enviado_em is None and row.tentativas == 0
    assert row.tipo == TIPO and row.assunto == "proc-0"
    assert '"São João"' in row.dados  # ensure_ascii=False


def test_events_wait_without_relay_then_flush_publishes_cloudevents_in_order(
    schemas, settings, received
):
    ids = record(schemas, IBGE_A, 3) + record(schemas, IBGE_A, 2)
    # No relay runs: the changes committed and their events wait.
    assert received.drain(idle=0.5) == []
    assert [r.id for r in rows(schemas, IBGE_A)] == ids
    assert all(r.enviado_em is None for r in rows(schemas, IBGE_A))

    relay = relay_for(schemas, settings, batch=2)  # several batches
    try:
        assert relay.flush(Tenant(IBGE_A)) == 5
        messages = received.wait_for(5)
        assert [m.properties["message_id"] for m in messages] == ids
        for message, event in zip(messages, received.bodies(), strict=True):
            assert set(event) == CLOUDEVENT_KEYS
            assert event["specversion"] == "1.0"
            assert event["source"] == SOURCE
            assert event["type"] == TIPO == message.delivery_info["routing_key"]
            assert event["id"] == message.properties["message_id"]
            assert event["subject"].startswith("proc-")
            assert event["datacontenttype"] == "application/json"
            assert event["municipio"] == IBGE_A
            assert event["data"]["nome"] == "São João"
            assert RFC3339.fullmatch(event["time"]) and datetime.fromisoformat(event["time"])
            assert message.content_type == CONTENT_TYPE
            assert message.properties["delivery_mode"] == 2
        assert [e["data"]["n"] for e in received.bodies()] == [0, 1, 2, 0, 1]

        stored = rows(schemas, IBGE_A)
        assert all(r.enviado_em is not None and r.tentativas == 1 for r in stored)
        assert relay.flush(Tenant(IBGE_A)) == 0
        assert len(received.drain()) == 5
    finally:
        relay.close()


def test_cloud_event_time_is_utc_rfc3339(schemas):
    [event_id] = record(schemas, IBGE_A, 1)
    [row] = rows(schemas, IBGE_A)
    event = cloud_event(row, IBGE_A, SOURCE)
    assert event["id"] == event_id and event["time"].endswith("Z")
    assert datetime.fromisoformat(event["time"]) == row.criado_em


def test_crash_between_publish_and_mark_loses_nothing(schemas, settings, received):
    ids = record(schemas, IBGE_A, 4)
    crashing = relay_for(schemas, settings)

    def crash(event: dict) -> None:
        raise SimulatedCrash(event["id"])

    crashing.after_publish = crash
    with pytest.raises(SimulatedCrash):
        crashing.flush(Tenant(IBGE_A))
    crashing.close()

    # The first event reached the broker, but nothing was marked.
    assert [m.properties["message_id"] for m in received.wait_for(1)] == [ids[0]]
    stored = rows(schemas, IBGE_A)
    assert all(r.enviado_em is None for r in stored)
    assert [r.tentativas for r in stored] == [1, 0, 0, 0]  # the failed attempt is counted

    relay = relay_for(schemas, settings)
    try:
        assert relay.flush(Tenant(IBGE_A)) == 4
    finally:
        relay.close()
    messages = received.wait_for(5)
    received.drain()
    assert len(messages) == 5
    assert [m.properties["message_id"] for m in messages] == [ids[0], *ids]  # same id again

    seen: set[str] = set()
    handled = []
    for event in received.bodies():  # a deduplicating consumer
        if event["id"] not in seen:
            seen.add(event["id"])
            handled.append(event["id"])
    assert handled == ids
    assert all(r.enviado_em is not None for r in rows(schemas, IBGE_A))


def test_a_row_locked_by_one_relay_is_skipped_by_another(schemas, settings, received):
    ids = record(schemas, IBGE_A, 30)
    first = relay_for(schemas, settings, batch=10)
    second = relay_for(schemas, settings, batch=10)
    by_second = []

    def second_runs_while_first_holds_its_batch(event: dict) -> None:
        if not by_second:
            by_second.append(second.flush(Tenant(IBGE_A)))

    first.after_publish = second_runs_while_first_holds_its_batch
    try:
        # The first relay holds ten rows; the second publishes the other twenty.
        assert first.flush(Tenant(IBGE_A)) == 10
        assert by_second == [20]
    finally:
        first.close()
        second.close()
    messages = received.wait_for(30)
    received.drain()
    assert sorted(m.properties["message_id"] for m in messages) == sorted(ids)


def test_two_relays_flushing_concurrently_never_publish_a_row_twice(schemas, settings, received):
    ids = record(schemas, IBGE_A, 300)
    relays = [relay_for(schemas, settings, batch=25) for _ in range(2)]
    try:
        threads = [eventlet.spawn(relay.flush, Tenant(IBGE_A)) for relay in relays]
        counts = [thread.wait() for thread in threads]
    finally:
        for relay in relays:
            relay.close()
    assert sum(counts) == 300
    messages = received.wait_for(300)
    received.drain(idle=1.0)
    published = [m.properties["message_id"] for m in messages]
    assert len(published) == 300  # no duplicates
    assert set(published) == set(ids)
    assert all(r.enviado_em is not None and r.tentativas == 1 for r in rows(schemas, IBGE_A))


def test_a_publish_the_broker_refuses_rolls_back(schemas, settings):
    """With confirms, a broker-side refusal raises instead of losing the message."""
    exchange = f"sempapel.teste.{uuid.uuid4().hex[:8]}"
    relay = relay_for(schemas, settings, exchange=exchange)
    with kombu.Connection(settings.amqp_uri) as admin:
        try:
            record(schemas, IBGE_A, 1)
            assert relay.flush(Tenant(IBGE_A)) == 1  # declares the exchange
            kombu.Exchange(exchange, type="topic").bind(admin.default_channel).delete()

            ids = record(schemas, IBGE_A, 2)
            with pytest.raises(amqp.exceptions.NotFound):
                relay.flush(Tenant(IBGE_A))
            pending = [r for r in rows(schemas, IBGE_A) if r.enviado_em is None]
            assert [r.id for r in pending] == ids
            assert [r.tentativas for r in pending] == [1, 0]

            # A new connection declares the exchange again: the events go out.
            assert relay.flush(Tenant(IBGE_A)) == 2
            assert all(r.enviado_em is not None for r in rows(schemas, IBGE_A))
        finally:
            relay.close()
            kombu.Exchange(exchange, type="topic").bind(admin.default_channel).delete()


def test_a_broken_connection_is_replaced(schemas, settings, received):
    relay = relay_for(schemas, settings)
    try:
        record(schemas, IBGE_A, 1)
        assert relay.flush(Tenant(IBGE_A)) == 1
        relay._connection.connection.sock.shutdown(socket.SHUT_RDWR)

        record(schemas, IBGE_A, 1)
        assert relay.flush(Tenant(IBGE_A)) == 1
    finally:
        relay.close()
    assert len(received.wait_for(2)) == 2


def test_sweep_flushes_every_municipality_that_has_the_table(schemas, settings, received):
    ids = record(schemas, IBGE_A, 2) + record(schemas, IBGE_B, 3)
    relay = relay_for(schemas, settings)
    try:
        found = {t.ibge for t in relay.tenants()}
        assert {IBGE_A, IBGE_B} <= found and IBGE_SEM_TABELA not in found
        assert relay.sweep() == 5
        assert relay.sweep() == 0
    finally:
        relay.close()
    received.wait_for(5)
    received.drain()
    assert sorted(m.properties["message_id"] for m in received.messages) == sorted(ids)
    assert {e["municipio"] for e in received.bodies()} == {IBGE_A, IBGE_B}


def test_sweep_purges_events_sent_longer_ago_than_the_retention(schemas, settings, received):
    ids = record(schemas, IBGE_A, 3)
    relay = relay_for(schemas, settings)
    try:
        assert relay.flush(Tenant(IBGE_A)) == 3
        table, routed = TABLE, schemas.for_tenant(Tenant(IBGE_A))
        with routed.begin() as conn:  # one sent long ago, one sent now, one still pending
            conn.execute(
                update(table)
                .where(table.c.id == ids[0])
                .values(enviado_em=datetime.now(UTC) - timedelta(days=30))
            )
            conn.execute(update(table).where(table.c.id == ids[2]).values(enviado_em=None))
        assert relay.purge(Tenant(IBGE_A)) == 1
        with routed.connect() as conn:
            left = set(conn.scalars(select(table.c.id)))
        assert ids[0] not in left and {ids[1], ids[2]} <= left
    finally:
        relay.close()


# -- the relay in a real nameko container, wired by TenantDatabase ----------------


def service_class(service_name: str) -> type:
    class Servico:
        name = service_name
        db = TenantDatabase(relay=OutboxRelayer(TABLE, SOURCE))

        @rpc
        def gerar(self, ibge: str, assunto: str) -> str:
            """No notify here: the unit of work from TenantDatabase wakes the relay itself."""
            uow = self.db.for_municipio(ibge)
            with uow:
                event_id = record_event(uow.session, TABLE, TIPO, assunto, {"assunto": assunto})
                uow.commit()
            return event_id

    return Servico


@pytest.fixture
def container(settings):
    started = []

    def _start() -> ServiceContainer:
        name = f"teste_outbox_{uuid.uuid4().hex[:8]}"
        running = ServiceContainer(service_class(name), settings.nameko_config())
        running.start()
        started.append(running)
        return running

    yield _start
    for running in started:
        with eventlet.Timeout(15, False):
            running.stop()
        if not running._died.ready():
            running.kill()


def call_gerar(settings: Settings, running: ServiceContainer, assunto: str) -> str:
    with ServiceRpcProxy(running.service_name, settings.nameko_config(), timeout=10) as proxy:
        return proxy.gerar(IBGE_A, assunto)


def relayer_of(running: ServiceContainer) -> OutboxRelayer:
    [db] = [d for d in running.dependencies if isinstance(d, TenantDatabase)]
    assert db.relay in running.subextensions  # set up, started and stopped with the container
    return db.relay


def test_relayer_publishes_on_commit_without_waiting_for_the_sweep(
    schemas, settings, received, container, monkeypatch
):
    monkeypatch.setenv("SEMPAPEL_OUTBOX_RELAY", "on")
    monkeypatch.setenv("SEMPAPEL_OUTBOX_SWEEP_SECONDS", "3600")  # only notify can do it
    running = container()
    event_id = call_gerar(settings, running, "proc-rpc")
    messages = received.wait_for(1, deadline=10)
    assert [m.properties["message_id"] for m in messages] == [event_id]
    assert received.bodies()[0]["subject"] == "proc-rpc"
    deadline = time.monotonic() + 10
    while rows(schemas, IBGE_A)[0].enviado_em is None and time.monotonic() < deadline:
        eventlet.sleep(0.1)
    assert rows(schemas, IBGE_A)[0].enviado_em is not None


def test_relayer_sweep_finds_events_nobody_notified(
    schemas, settings, received, container, monkeypatch
):
    monkeypatch.setenv("SEMPAPEL_OUTBOX_RELAY", "on")
    monkeypatch.setenv("SEMPAPEL_OUTBOX_SWEEP_SECONDS", "0.3")
    container()
    ids = record(schemas, IBGE_B, 2)  # committed elsewhere, no notify
    messages = received.wait_for(2, deadline=10)
    assert sorted(m.properties["message_id"] for m in messages) == sorted(ids)


def test_relayer_off_leaves_events_pending(schemas, settings, received, container, monkeypatch):
    monkeypatch.setenv("SEMPAPEL_OUTBOX_RELAY", "off")
    monkeypatch.setenv("SEMPAPEL_OUTBOX_SWEEP_SECONDS", "0.2")
    running = container()
    event_id = call_gerar(settings, running, "proc-off")
    eventlet.sleep(1.0)  # several sweep periods, had a loop been running
    assert received.drain(idle=0.5) == []
    [row] = rows(schemas, IBGE_A)
    assert row.id == event_id and row.enviado_em is None

    assert relayer_of(running).flush_now(Tenant(IBGE_A)) == 1
    assert [m.properties["message_id"] for m in received.wait_for(1)] == [event_id]

"""The PostgreSQL driver yields to eventlet: one service overlaps its slow queries.

No clock is read. Query A waits inside PostgreSQL until query B, sent by a second
RPC to the same service process, has committed a row. If the driver blocked the
eventlet hub while A waits, B could never be dispatched and A would give up.
The same scenario with the wait callback removed is the control: it must fail.
"""

from __future__ import annotations

import uuid

import psycogreen.eventlet
import pytest
from nameko.containers import ServiceContainer
from nameko.extensions import DependencyProvider
from nameko.rpc import rpc
from nameko.standalone.rpc import ClusterRpcProxy
from psycopg2 import extensions
from sqlalchemy import text

from services.chassis.config import Settings
from services.chassis.database import engine_from_settings

WAIT_FOR_FLAG = """
DO $$
BEGIN
  FOR i IN 1..60 LOOP
    IF EXISTS (SELECT 1 FROM public.green_flag WHERE name = '{name}') THEN RETURN; END IF;
    PERFORM pg_sleep(0.05);
  END LOOP;
  RAISE EXCEPTION 'flag {name} never appeared';
END $$;
"""


class Engine(DependencyProvider):
    def setup(self):
        self.engine = engine_from_settings(Settings.from_env())

    def stop(self):
        self.engine.dispose()

    def get_dependency(self, worker_ctx):
        return self.engine


class SlowQueries:
    name = "consultas_lentas"
    engine = Engine()

    @rpc
    def wait_for_flag(self, name: str) -> str:
        with self.engine.begin() as conn:
            conn.execute(text(WAIT_FOR_FLAG.format(name=name)))
        return "seen"

    @rpc
    def raise_flag(self, name: str) -> str:
        with self.engine.begin() as conn:
            conn.execute(text("INSERT INTO public.green_flag (name) VALUES (:n)"), {"n": name})
        return "raised"


@pytest.fixture
def slow_service(engine, settings):
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS public.green_flag (name text primary key)"))
    container = ServiceContainer(SlowQueries, settings.nameko_config())
    container.start()
    yield
    container.stop()


def run_overlapping_queries(settings) -> tuple[object, object]:
    flag = uuid.uuid4().hex
    with ClusterRpcProxy(settings.nameko_config(), timeout=20) as cluster:
        waiting = cluster.consultas_lentas.wait_for_flag.call_async(flag)
        raising = cluster.consultas_lentas.raise_flag.call_async(flag)
        outcomes = []
        for reply in (waiting, raising):
            try:
                outcomes.append(reply.result())
            except Exception as exc:  # noqa: BLE001
                outcomes.append(exc)
    return tuple(outcomes)


def test_two_queries_of_one_service_overlap_with_the_green_driver(slow_service, settings):
    assert run_overlapping_queries(settings) == ("seen", "raised")


def test_control_without_the_wait_callback_the_queries_cannot_overlap(slow_service, settings):
    extensions.set_wait_callback(None)
    try:
        waited, raised = run_overlapping_queries(settings)
    finally:
        psycogreen.eventlet.patch_psycopg()
    assert "never appeared" in str(waited)
    assert raised == "raised"  # it ran only after the blocked query gave up

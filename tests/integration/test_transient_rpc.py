"""RPC requests and replies travel as transient messages (nothing for RabbitMQ to store)."""

from __future__ import annotations

import uuid

import eventlet
import pytest
from kombu import Connection, Queue
from nameko.containers import ServiceContainer
from nameko.rpc import get_rpc_exchange
from nameko.standalone.rpc import ClusterRpcProxy

from services.chassis.errors import ServicoIndisponivel
from services.chassis.rpc_client import ServiceRpc
from services.chassis.rpc_entrypoint import rpc

ALVO = "sonda_transiente"


class Chamador:
    name = "chamador_transiente"
    alvo = ServiceRpc(ALVO, timeout=3)

    @rpc
    def chamar(self) -> str:
        try:
            self.alvo.ping()
        except ServicoIndisponivel:
            return "sem resposta"  # nobody serves the probe queue: expected
        return "respondido"


@pytest.fixture
def chamador(settings):
    container = ServiceContainer(Chamador, settings.nameko_config())
    container.start()
    yield settings.nameko_config()
    container.stop()


def _captured(settings, routing_key: str):
    """A queue of our own on the RPC exchange, to look at what is published to it."""
    config = settings.nameko_config()
    exchange = get_rpc_exchange(config)
    queue = Queue(f"teste-{uuid.uuid4().hex[:8]}", exchange, routing_key, auto_delete=True)
    return config["AMQP_URI"], exchange, queue


def _first(queue, tries: int = 100):
    for _ in range(tries):
        message = queue.get(no_ack=True)
        if message is not None:
            return message
        eventlet.sleep(0.05)
    return None


def test_a_request_is_transient(chamador, settings):
    uri, exchange, sonda = _captured(settings, f"{ALVO}.*")
    with Connection(uri) as conn:
        sonda(conn.default_channel).declare()
        with ClusterRpcProxy(chamador, timeout=10) as cluster:
            chamada = cluster.chamador_transiente.chamar.call_async()
            request = _first(sonda(conn.default_channel))  # before it expires with the call
            assert chamada.result() == "sem resposta"
    assert request is not None
    assert request.properties["delivery_mode"] == 1
    assert request.delivery_info["routing_key"] == f"{ALVO}.ping"


def test_the_reply_of_an_entrypoint_is_transient(chamador, settings):
    uri, exchange, respostas = _captured(settings, "respostas-da-sonda")
    with Connection(uri) as conn:
        respostas(conn.default_channel).declare()
        with conn.Producer() as producer:  # a call as nameko's proxy sends it
            producer.publish(
                {"args": [], "kwargs": {}},
                exchange=exchange,
                routing_key="chamador_transiente.chamar",
                reply_to="respostas-da-sonda",
                correlation_id="c1",
                serializer="json",
                delivery_mode=1,
            )
        reply = _first(respostas(conn.default_channel))
    assert reply is not None
    assert reply.properties["delivery_mode"] == 1
    assert reply.payload == {"result": "sem resposta", "error": None}

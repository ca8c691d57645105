"""Consuming domain events (CloudEvents from the events exchange) into a service's own queue.

`@evento("processos.documentos", "documento.#")` makes a method a consumer of a
durable queue bound to `sempapel.eventos`. The method gets the CloudEvent as a
dict. Outcomes:

- it returns: the message is acknowledged;
- it raises `EventoInvalido` or a 4xx `SemPapelError` (or the event is not a
  well-formed CloudEvent of a valid municipality): the event is dead-lettered,
  with the reason, to the durable queue `sempapel.eventos.rejeitados`, and
  acknowledged: a bad event never loops;
- anything else (database or broker down): the message goes back to the queue
  after a pause, to be tried again.

Delivery is at least once: handlers deduplicate by the event id (see
`registrar_evento`), in the same transaction as their effect.
"""

from __future__ import annotations

import json
from typing import Any

import eventlet
import kombu
import structlog
from nameko.messaging import Consumer
from sqlalchemy import Column, MetaData, String, Table, insert, select
from sqlalchemy.orm import Session

from services.chassis.errors import SemPapelError
from services.chassis.events import EXCHANGE
from services.chassis.sql_types import UtcDateTime
from services.chassis.tenant import Tenant, validar_ibge

REJEITADOS = "sempapel.eventos.rejeitados"
PAUSA_APOS_FALHA = 1.0
_log = structlog.get_logger("sempapel.eventos")


class EventoInvalido(Exception):
    """The event cannot ever be handled (malformed, unknown entity...): dead-letter it."""


def tenant_do_evento(evento: Any) -> Tenant:
    """The municipality of a CloudEvent, validated: the extension attribute `municipio`."""
    if not isinstance(evento, dict) or evento.get("specversion") != "1.0":
        raise EventoInvalido("não é um CloudEvent 1.0")
    for atributo in ("id", "type", "source", "municipio"):
        if not isinstance(evento.get(atributo), str):
            raise EventoInvalido(f"atributo {atributo} ausente")
    try:
        return Tenant(validar_ibge(evento["municipio"]))
    except SemPapelError as exc:
        raise EventoInvalido("município inválido") from exc


def received_events_table(metadata: MetaData, service: str) -> Table:
    """`recebido_<service>`: ids of events already applied (deduplication)."""
    return Table(
        f"recebido_{service}",
        metadata,
        Column("id", String(64), primary_key=True),
        Column("recebido_em", UtcDateTime(), nullable=False),
    )


def registrar_evento(session: Session, table: Table, event_id: str, agora: Any) -> bool:
    """Record the event in the caller's transaction; False if it was applied before."""
    if session.execute(select(table.c.id).where(table.c.id == event_id)).first():
        return False
    session.execute(insert(table).values(id=event_id, recebido_em=agora))
    return True


class EventConsumer(Consumer):
    def __init__(self, queue_name: str, *routing_keys: str, **kwargs: Any) -> None:
        exchange = kombu.Exchange(EXCHANGE, type="topic", durable=True)
        queue = kombu.Queue(
            queue_name,
            bindings=[kombu.binding(exchange, routing_key=key) for key in routing_keys],
            durable=True,
        )
        self.queue_name = queue_name
        super().__init__(queue, requeue_on_error=True, **kwargs)

    def setup(self) -> None:
        # Declared here (not only by kombu's consumer) so the exchange exists before binding.
        with kombu.Connection(self.container.config["AMQP_URI"]) as connection:
            channel = connection.channel()
            kombu.Exchange(EXCHANGE, type="topic", durable=True)(channel).declare()
            rejeitados = kombu.Exchange(REJEITADOS, type="fanout", durable=True)
            kombu.Queue(REJEITADOS, rejeitados, durable=True)(channel).declare()
        super().setup()

    def handle_message(self, body: Any, message: Any) -> None:
        if isinstance(body, bytes | str):
            try:
                body = json.loads(body)
            except ValueError:
                self._rejeitar(body, message, "corpo não é JSON")
                return
        try:
            tenant_do_evento(body)
        except EventoInvalido as exc:
            self._rejeitar(body, message, str(exc))
            return
        super().handle_message(body, message)

    def handle_message_processed(
        self, message: Any, result: Any = None, exc_info: Any = None
    ) -> None:
        if exc_info is None:
            self.queue_consumer.ack_message(message)
        elif issubclass(exc_info[0], EventoInvalido) or (
            issubclass(exc_info[0], SemPapelError) and exc_info[1].status < 500
        ):
            # Bad input stays bad (an unknown document, invalid data): never loop on it.
            self._rejeitar(message.payload, message, str(exc_info[1]))
        else:
            _log.warning(
                "evento_reenfileirado",
                fila=self.queue_name,
                erro=repr(exc_info[1]),
                evento=message.properties.get("message_id"),
            )
            eventlet.sleep(PAUSA_APOS_FALHA)
            self.queue_consumer.requeue_message(message)

    def _rejeitar(self, body: Any, message: Any, motivo: str) -> None:
        """Publish to the dead-letter queue with the reason, then drop it from ours."""
        raw = body if isinstance(body, bytes | str) else json.dumps(body, ensure_ascii=False)
        with kombu.Connection(self.container.config["AMQP_URI"]) as connection:
            producer = connection.Producer()
            producer.publish(
                raw,
                exchange=REJEITADOS,
                routing_key="",
                content_type="application/json",
                headers={
                    "x-sempapel-motivo": motivo,
                    "x-sempapel-fila": self.queue_name,
                    "x-sempapel-chave": message.delivery_info.get("routing_key", ""),
                },
                delivery_mode=2,
            )
        _log.warning("evento_rejeitado", fila=self.queue_name, motivo=motivo)
        self.queue_consumer.ack_message(message)


evento = EventConsumer.decorator

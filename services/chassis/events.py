"""Declaring the domain events a service publishes, for the outbox and the AsyncAPI document.

A service lists its event types (routing key, summary, pydantic model of `data`)
in an `EventCatalog` and names it in the entry point group `sempapel.eventos`,
so the AsyncAPI document covers every publisher without importing them by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points

from pydantic import BaseModel

EVENT_CATALOG_GROUP = "sempapel.eventos"
EXCHANGE = "sempapel.eventos"


@dataclass(frozen=True)
class EventType:
    tipo: str  # CloudEvents `type` and the routing key, e.g. "processo.gerado"
    resumo: str  # one line in Portuguese, for the AsyncAPI document
    dados: type[BaseModel]  # the shape of the CloudEvent's `data`


@dataclass(frozen=True)
class EventCatalog:
    source: str  # CloudEvents `source`, e.g. "/sempapel/processos"
    tipos: tuple[EventType, ...]

    def get(self, tipo: str) -> EventType:
        for event_type in self.tipos:
            if event_type.tipo == tipo:
                return event_type
        raise KeyError(tipo)


def discover_catalogs() -> list[EventCatalog]:
    return [ep.load() for ep in entry_points(group=EVENT_CATALOG_GROUP)]

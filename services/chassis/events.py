"""Declaring the domain events a service publishes, for the outbox and the AsyncAPI document.

A service's domain records facts (frozen dataclasses with a `tipo`, their Portuguese
docstring their summary). `catalog_of_facts` makes one pydantic model per fact (the
service's `data` model with `detalhes` narrowed to that fact), which both builds and
validates each payload and documents it; the resulting `EventCatalog` is named in the
entry point group `sempapel.eventos`, so the AsyncAPI document covers every publisher
without importing them by name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points

from pydantic import BaseModel, Field, create_model

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


def summary(fact: type) -> str:
    """A fact's docstring in one line: its summary in the AsyncAPI document."""
    return " ".join((fact.__doc__ or "").split())


@dataclass(frozen=True)
class FactCatalog:
    """The events of one publisher, one model per fact: `models[type(fact)]` builds and
    validates a payload; `catalog` documents them."""

    models: dict[type, type[BaseModel]]
    catalog: EventCatalog


def catalog_of_facts(
    source: str, prefix: str, base: type[BaseModel], facts: Iterable[type]
) -> FactCatalog:
    """`base` is the publisher's `data` model with a `detalhes` field; each fact's model
    (named `Dados<Fact>`) narrows it to that fact. Routing keys are `<prefix>.<tipo>`."""
    models: dict[type, type[BaseModel]] = {
        fact: create_model(
            f"Dados{fact.__name__}",
            __base__=base,
            __doc__=summary(fact),
            detalhes=(fact, Field(description="o que a operação fez")),
        )
        for fact in facts
    }
    tipos = tuple(
        EventType(f"{prefix}.{fact.tipo}", summary(fact), model) for fact, model in models.items()
    )
    return FactCatalog(models, EventCatalog(source=source, tipos=tipos))


def discover_catalogs() -> list[EventCatalog]:
    return [ep.load() for ep in entry_points(group=EVENT_CATALOG_GROUP)]

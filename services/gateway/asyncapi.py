"""The AsyncAPI 3.0 document of every domain event, generated from the publishers' catalogs.

Each publishing service declares its events (`services/chassis/events.py`) and
names its catalog in the entry point group `sempapel.eventos`; the document is
built from them, so an event cannot be published undocumented. Served at
`/api/v1/asyncapi.json` and committed as `docs/asyncapi.json`; it validates
against the official AsyncAPI 3.0.0 JSON Schema (tests/unit/test_api_documents.py).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

from services.chassis.events import EXCHANGE, EventCatalog, discover_catalogs
from services.gateway.json_schemas import SchemaComponents

CONTENT_TYPE = "application/cloudevents+json"
AMQP_BINDING_VERSION = "0.3.0"
# How the outbox relay publishes (services/chassis/outbox.py): persistent, UTF-8 JSON.
# In AsyncAPI 3 the delivery mode belongs to the operation, the encoding to the message.
DELIVERY_MODE_PERSISTENT = 2
CONTENT_ENCODING = "utf-8"
_NOT_IN_KEY = re.compile(r"[^a-zA-Z0-9.\-_]")


def _keys(tipos: Iterable[str]) -> dict[str, str]:
    """A component key for each event type: the type itself when it fits the key pattern
    (routing keys such as `processo.gerado` do), else a sanitized, still unique, name."""
    keys: dict[str, str] = {}
    taken: set[str] = set()
    for tipo in tipos:
        key = base = _NOT_IN_KEY.sub("_", tipo) or "evento"
        n = 1
        while key in taken:
            n += 1
            key = f"{base}_{n}"
        keys[tipo] = key
        taken.add(key)
    return keys


def _envelope(source: str, tipo: str, data_ref: dict[str, str]) -> dict[str, Any]:
    """CloudEvents 1.0 structured mode, with the municipality as an extension attribute."""
    return {
        "type": "object",
        "required": [
            "specversion",
            "id",
            "source",
            "type",
            "subject",
            "time",
            "datacontenttype",
            "municipio",
            "data",
        ],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {"type": "string", "description": "estável: consumidores deduplicam por ele"},
            "source": {"const": source},
            "type": {"const": tipo},
            "subject": {"type": "string", "description": "id da entidade (ex.: o processo)"},
            "time": {"type": "string", "format": "date-time"},
            "datacontenttype": {"const": "application/json"},
            "municipio": {"type": "string", "pattern": "^[1-5][0-9]{6}$"},
            "data": data_ref,
        },
    }


@functools.cache
def document() -> dict[str, Any]:
    """The document of every catalog the installed services declare."""
    return document_for(discover_catalogs())


def document_for(catalogs: Iterable[EventCatalog]) -> dict[str, Any]:
    events = [
        (catalog, event)
        for catalog in sorted(catalogs, key=lambda c: c.source)
        for event in catalog.tipos
    ]
    schemas = SchemaComponents((event.dados for _, event in events), "#/components/schemas/")
    keys = _keys(event.tipo for _, event in events)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for catalog, event in events:
        key = keys[event.tipo]
        messages[key] = {
            "name": event.tipo,
            "title": event.tipo,
            "summary": event.resumo,
            "contentType": CONTENT_TYPE,
            "payload": _envelope(catalog.source, event.tipo, schemas.ref(event.dados)),
            "bindings": {
                "amqp": {
                    "contentEncoding": CONTENT_ENCODING,
                    "bindingVersion": AMQP_BINDING_VERSION,
                }
            },
        }
        channels[key] = {
            "address": event.tipo,
            "description": f"Chave de roteamento {event.tipo} na exchange {EXCHANGE}.",
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
            "bindings": {
                "amqp": {
                    "is": "routingKey",
                    "exchange": {
                        "name": EXCHANGE,
                        "type": "topic",
                        "durable": True,
                        "autoDelete": False,
                    },
                    "bindingVersion": AMQP_BINDING_VERSION,
                }
            },
        }
        operations[f"publicar.{key}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{key}"},
            "summary": event.resumo,
            "messages": [{"$ref": f"#/channels/{key}/messages/{key}"}],
            "bindings": {
                "amqp": {
                    "deliveryMode": DELIVERY_MODE_PERSISTENT,
                    "bindingVersion": AMQP_BINDING_VERSION,
                }
            },
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Prefeitura sem Papel: eventos de domínio",
            "version": "1",
            "description": (
                "Cada mudança grava seu evento na mesma transação (outbox) e um relay o publica "
                f"na exchange topic `{EXCHANGE}` com confirmação do broker. O envelope é "
                "CloudEvents 1.0 (modo estruturado) com o município como atributo de extensão; "
                "o `id` é estável e pode chegar mais de uma vez: deduplique por ele."
            ),
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "rabbitmq": {
                "host": "rabbitmq:5672",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": "O RabbitMQ da instalação (SEMPAPEL_AMQP_URI).",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas.schemas},
    }

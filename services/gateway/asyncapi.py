"""The AsyncAPI 3.0 document of every domain event, generated from the publishers' catalogs.

Each publishing service declares its events (`services/chassis/events.py`) and
names its catalog in the entry point group `sempapel.eventos`; the document is
built from them, so an event cannot be published undocumented. Served at
`/api/v1/asyncapi.json` and committed as `docs/asyncapi.json`.
"""

from __future__ import annotations

import functools
from typing import Any

from pydantic import BaseModel

from services.chassis.events import EXCHANGE, discover_catalogs

CONTENT_TYPE = "application/cloudevents+json"


def _schema(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, str]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        schemas[name] = definition
    schemas[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


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
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for catalog in sorted(discover_catalogs(), key=lambda c: c.source):
        for event in catalog.tipos:
            data_ref = _schema(event.dados, schemas)
            messages[event.tipo] = {
                "name": event.tipo,
                "title": event.tipo,
                "summary": event.resumo,
                "contentType": CONTENT_TYPE,
                "payload": _envelope(catalog.source, event.tipo, data_ref),
                "bindings": {"amqp": {"deliveryMode": 2, "bindingVersion": "0.3.0"}},
            }
            channels[event.tipo] = {
                "address": event.tipo,
                "description": f"Chave de roteamento {event.tipo} na exchange {EXCHANGE}.",
                "messages": {event.tipo: {"$ref": f"#/components/messages/{event.tipo}"}},
                "bindings": {
                    "amqp": {
                        "is": "routingKey",
                        "exchange": {
                            "name": EXCHANGE,
                            "type": "topic",
                            "durable": True,
                            "autoDelete": False,
                        },
                        "bindingVersion": "0.3.0",
                    }
                },
            }
            operations[f"publicar.{event.tipo}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{event.tipo}"},
                "summary": event.resumo,
                "messages": [{"$ref": f"#/channels/{event.tipo}/messages/{event.tipo}"}],
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
        "components": {"messages": messages, "schemas": schemas},
    }

"""docs/openapi.json and docs/asyncapi.json are current, and AsyncAPI covers every event."""

from __future__ import annotations

from services.chassis.events import discover_catalogs
from services.operador import docs_api


def test_committed_documents_match_the_code():
    for name, document in docs_api.documents().items():
        committed = (docs_api.DOCS / name).read_text(encoding="utf-8")
        assert committed == docs_api.render(document), f"docs/{name} is stale: run `make docs`"


def _resolve(document: dict, ref: str) -> dict:
    node = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_asyncapi_describes_every_published_event_with_resolvable_references():
    from services.gateway import asyncapi

    document = asyncapi.document()
    assert document["asyncapi"].startswith("3.")
    tipos = {e.tipo for catalog in discover_catalogs() for e in catalog.tipos}
    assert {"processo.gerado", "documento.incluido", "documento.texto_extraido"} <= tipos
    assert set(document["channels"]) == tipos
    for tipo in tipos:
        channel = document["channels"][tipo]
        assert channel["bindings"]["amqp"]["exchange"]["name"] == "sempapel.eventos"
        message = _resolve(document, channel["messages"][tipo]["$ref"])
        payload = message["payload"]
        assert payload["properties"]["type"] == {"const": tipo}
        assert {"id", "source", "specversion", "municipio", "data"} <= set(payload["required"])
        data = _resolve(document, payload["properties"]["data"]["$ref"])
        entity = tipo.split(".")[0]  # processo.* carry the process, documento.* the document
        assert entity in data["properties"], tipo
        operation = document["operations"][f"publicar.{tipo}"]
        assert _resolve(document, operation["channel"]["$ref"]) is channel

"""docs/openapi.json and docs/asyncapi.json are current, cover what the code serves and
publishes, and validate against their specifications' official schemas (OpenAPI 3.1 with
openapi-spec-validator, AsyncAPI 3.0 with the published JSON Schema in tests/contracts/)."""

from __future__ import annotations

import copy
import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any, Generic, TypeVar

import jsonschema
import pytest
from openapi_spec_validator import validate as validate_openapi
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from pydantic import BaseModel, Field, create_model

from services.chassis.events import EventCatalog, EventType, discover_catalogs
from services.gateway import asyncapi
from services.gateway.json_schemas import COMPONENT_KEY
from services.operador import docs_api

ASYNCAPI_SCHEMA = Path(__file__).parents[1] / "contracts" / "asyncapi-3.0.0.schema.json"
ASYNCAPI_SCHEMA_SHA256 = "abe96881dbfaad495ccbb6bd8d3fb43ca18a13b9d7564849ccb66f39d5e5b20f"


def test_committed_documents_match_the_code():
    for name, document in docs_api.documents().items():
        committed = (docs_api.DOCS / name).read_text(encoding="utf-8")
        assert committed == docs_api.render(document), f"docs/{name} is stale: run `make docs`"


def _committed(name: str) -> dict[str, Any]:
    return json.loads((docs_api.DOCS / name).read_text(encoding="utf-8"))


def _both(name: str) -> list[Any]:
    """The document the code generates and the one committed under docs/."""
    return [
        pytest.param(lambda: docs_api.documents()[name], id="generated"),
        pytest.param(lambda: _committed(name), id="committed"),
    ]


@cache
def _asyncapi_validator() -> jsonschema.protocols.Validator:
    """A validator of the draft the official schema declares (draft-07), formats checked."""
    schema = json.loads(ASYNCAPI_SCHEMA.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def _asyncapi_errors(document: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message[:300]}"
        for error in _asyncapi_validator().iter_errors(document)
    ]


def test_the_vendored_asyncapi_schema_is_the_published_file():
    digest = hashlib.sha256(ASYNCAPI_SCHEMA.read_bytes()).hexdigest()
    assert digest == ASYNCAPI_SCHEMA_SHA256, "see tests/contracts/README.md"
    assert _asyncapi_validator().schema["properties"]["asyncapi"]["const"] == "3.0.0"


@pytest.mark.parametrize("load", _both("openapi.json"))
def test_the_openapi_document_validates_against_the_openapi_3_1_schema(load):
    document = load()
    assert document["openapi"] == "3.1.0"
    validate_openapi(document)


def test_a_broken_openapi_document_fails_validation():
    document = copy.deepcopy(_committed("openapi.json"))
    operation = document["paths"]["/api/v1/unidades"]["post"]
    del operation["responses"]["201"]["description"]  # required by OpenAPI
    with pytest.raises(OpenAPIValidationError):
        validate_openapi(document)


@pytest.mark.parametrize("load", _both("asyncapi.json"))
def test_the_asyncapi_document_validates_against_the_official_asyncapi_3_0_schema(load):
    assert _asyncapi_errors(load()) == []


def test_an_asyncapi_document_with_delivery_mode_on_the_message_fails_validation():
    document = copy.deepcopy(_committed("asyncapi.json"))
    message = document["components"]["messages"]["processo.gerado"]
    message["bindings"]["amqp"]["deliveryMode"] = 2  # where the document had it before
    errors = _asyncapi_errors(document)
    assert len(errors) == 1
    assert errors[0].startswith("components/messages/processo.gerado:")


@pytest.mark.parametrize(
    "document", [pytest.param(n, id=n) for n in ("openapi.json", "asyncapi.json")]
)
def test_every_component_key_fits_the_specification_and_every_reference_resolves(document):
    # The JSON Schemas leave keys of components.schemas unchecked; both specifications
    # require ^[a-zA-Z0-9.-_]+$ (a generic pydantic model's own name does not fit).
    committed = _committed(document)
    for kind, components in committed["components"].items():
        bad = [key for key in components if not COMPONENT_KEY.fullmatch(key)]
        assert not bad, (kind, bad)
    refs = list(_references(committed))
    assert refs
    for ref in refs:
        _resolve(committed, ref)


def _references(node: Any) -> Any:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def _resolve(document: dict, ref: str) -> dict:
    assert ref.startswith("#/"), ref
    node = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_asyncapi_describes_every_published_event_with_resolvable_references():
    document = asyncapi.document()
    assert document["asyncapi"] == "3.0.0"
    tipos = {e.tipo for catalog in discover_catalogs() for e in catalog.tipos}
    assert {"processo.gerado", "documento.incluido", "documento.texto_extraido"} <= tipos
    assert set(document["channels"]) == tipos
    for tipo in tipos:
        channel = document["channels"][tipo]
        assert channel["address"] == tipo
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
        assert operation["bindings"]["amqp"]["deliveryMode"] == 2  # persistent, as relayed
        assert "deliveryMode" not in message["bindings"]["amqp"]


# A catalog as a service might declare it: `data` a generic model per event type, a
# model whose name clashes with another service's, a routing key unfit for a key.
T = TypeVar("T")


class Processo(BaseModel):
    id: str


class ProcessoEnviado(BaseModel):
    destinos: list[str]


class ProcessoConcluido(BaseModel):
    unidade: str


class EventoProcesso(BaseModel, Generic[T]):
    processo: Processo
    detalhes: T = Field(description="o que a operação fez")


# Same name as the Processo above, another shape: as if from another service's module.
OutroProcesso = create_model("Processo", __module__="outro.servico", numero=(int, ...))


def _catalogs() -> list[EventCatalog]:
    return [
        EventCatalog(
            source="/sempapel/exemplo",
            tipos=(
                EventType("exemplo.enviado", "Enviado.", EventoProcesso[ProcessoEnviado]),
                EventType("exemplo.concluido", "Concluído.", EventoProcesso[ProcessoConcluido]),
                EventType("exemplo/estranho", "Chave com barra.", ProcessoEnviado),
                EventType("exemplo_estranho", "Chave já tomada.", ProcessoEnviado),
            ),
        ),
        EventCatalog(
            source="/sempapel/outro",
            tipos=(EventType("outro.criado", "Criado.", OutroProcesso),),
        ),
    ]


def test_generic_and_clashing_models_get_valid_unique_component_names():
    document = asyncapi.document_for(_catalogs())
    assert _asyncapi_errors(document) == []
    schemas = document["components"]["schemas"]
    messages = document["components"]["messages"]
    assert all(COMPONENT_KEY.fullmatch(key) for key in [*schemas, *messages]), document
    for ref in _references(document):
        _resolve(document, ref)
    data = {
        message["name"]: _resolve(document, message["payload"]["properties"]["data"]["$ref"])
        for message in messages.values()
    }
    assert len(messages) == 5  # the clashing keys kept apart
    enviado, concluido = data["exemplo.enviado"], data["exemplo.concluido"]
    assert enviado is not concluido
    assert _resolve(document, enviado["properties"]["detalhes"]["$ref"])["required"] == ["destinos"]
    assert _resolve(document, concluido["properties"]["detalhes"]["$ref"])["required"] == [
        "unidade"
    ]
    # Two different models named Processo: two components, each with its own shape.
    processo = _resolve(document, enviado["properties"]["processo"]["$ref"])
    assert processo["required"] == ["id"]
    assert data["outro.criado"]["required"] == ["numero"]
    channels = {channel["address"] for channel in document["channels"].values()}
    assert channels == {e.tipo for catalog in _catalogs() for e in catalog.tipos}

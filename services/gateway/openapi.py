"""The OpenAPI 3.1 document, generated from the routes the gateway really serves.

Each `api(...)` route carries its summary and its pydantic request and response
models; the document is built from them, so a route cannot exist undocumented.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from pydantic import BaseModel

from services.gateway.http_errors import HTTP_ERRORS
from services.gateway.json_schemas import SchemaComponents
from services.gateway.schemas import ErrorResponse
from services.gateway.web_server import ApiRoute

_PATH_PARAM = re.compile(r"<(?:[a-z]+(?:\(([^)]*)\))?:)?([a-zA-Z_]+)>")
_ERROR_TEXT = {
    **{status: message for status, (_, message) in HTTP_ERRORS.items()},
    422: "Dados inválidos (campos em error.campos).",
    503: "Serviço temporariamente indisponível.",
}


def routes(service_cls: type) -> list[ApiRoute]:
    """The routes a service class declares (unbound: `method_name` is set here)."""
    found = []
    members = {}
    for cls in reversed(service_cls.__mro__):  # route mixins included, subclasses win
        members.update(vars(cls))
    for name, attr in members.items():
        for entrypoint in getattr(attr, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, ApiRoute):
                entrypoint.method_name = name
                found.append(entrypoint)
    return sorted(found, key=lambda r: (r.url, r.method))


def _param_schema(choices: str) -> dict[str, Any]:
    """werkzeug's any(a, b) converter becomes an enum."""
    if choices:
        return {"type": "string", "enum": [c.strip(" '\"") for c in choices.split(",")]}
    return {"type": "string"}


def openapi_path(url: str) -> str:
    return _PATH_PARAM.sub(r"{\2}", url)


def _models(route: ApiRoute) -> Iterator[type[BaseModel]]:
    """The pydantic models a route's description refers to."""
    doc = route.doc
    if isinstance(doc.body, tuple):
        yield from doc.body
    elif doc.body is not None:
        yield doc.body
    if doc.response is not None:
        yield doc.response
    yield ErrorResponse


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _operation(route: ApiRoute, components: SchemaComponents) -> dict[str, Any]:
    doc = route.doc
    op: dict[str, Any] = {
        "summary": doc.summary,
        "operationId": route.method_name,
        "tags": list(doc.tags),
        "responses": {},
    }
    params = _PATH_PARAM.findall(route.url)
    if params:
        op["parameters"] = [
            {"name": name, "in": "path", "required": True, "schema": _param_schema(choices)}
            for choices, name in params
        ]
    if isinstance(doc.body, tuple):  # one of several shapes, chosen by a path parameter
        schema = {"oneOf": [components.ref(model) for model in doc.body]}
        op["requestBody"] = {"required": True, "content": _json(schema)}
    elif doc.body is not None:
        op["requestBody"] = {"required": True, "content": _json(components.ref(doc.body))}
    elif doc.multipart:
        fields = {
            name: {
                "type": "string",
                "contentMediaType": "application/octet-stream",
                "description": text,
            }
            for name, text in doc.multipart.items()
        }
        op["requestBody"] = {
            "required": True,
            "content": {
                "multipart/form-data": {"schema": {"type": "object", "properties": fields}}
            },
        }
    success = str(doc.status)  # the status the server answers with (see ApiRoute)
    if doc.status == 204:
        op["responses"][success] = {"description": "Feito, sem conteúdo"}
    elif doc.response is not None:
        ref = components.ref(doc.response)
        schema = {"type": "array", "items": ref} if doc.response_list else ref
        op["responses"][success] = {"description": "OK", "content": _json(schema)}
    elif doc.produces:
        content = {doc.produces: {"schema": {"type": "string", "contentMediaType": doc.produces}}}
        op["responses"][success] = {"description": "OK", "content": content}
    else:
        op["responses"][success] = {"description": "OK", "content": _json({"type": "object"})}
    if doc.authenticated:
        op["security"] = [{"bearer": []}]
    error_ref = components.ref(ErrorResponse)
    for status in sorted(set(doc.errors) | {500}):
        text = _ERROR_TEXT.get(status, "Erro interno.")
        op["responses"][str(status)] = {"description": text, "content": _json(error_ref)}
    return op


@functools.cache
def document(service_cls: type) -> dict[str, Any]:
    service_routes = routes(service_cls)
    components = SchemaComponents(
        (model for route in service_routes for model in _models(route)),
        "#/components/schemas/",
    )
    paths: dict[str, Any] = {}
    for route in service_routes:
        path = openapi_path(route.url)
        for method in route.method.split(","):
            paths.setdefault(path, {})[method.lower()] = _operation(route, components)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Prefeitura sem Papel",
            "version": "1",
            "description": "Processo eletrônico para os municípios do estado. "
            'Erros: {"error": {"code", "message"}} com código estável.',
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": components.schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }

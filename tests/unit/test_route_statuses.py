"""A route's success status is declared once, in `api(...)`; its handler returns only the body.

The web server answers with the declared status (so the OpenAPI document says what
the API does), and refuses a handler result that would contradict it.
"""

from __future__ import annotations

import ast
import inspect
import json
import textwrap

import pytest
from werkzeug.wrappers import Response

from services.gateway import openapi
from services.gateway.http_errors import response_for
from services.gateway.service import GatewayService
from services.gateway.web_server import (
    ApiRoute,
    RouteDoc,
    StatusContradictsDeclaration,
    WithHeaders,
)


def statuses_returned_in(source: str) -> list[str]:
    """Every `return` of a tuple, and every return annotation naming a tuple, in a handler."""
    function = ast.parse(textwrap.dedent(source)).body[0]
    assert isinstance(function, ast.FunctionDef)
    found = [
        f"line {node.lineno}: return {ast.unparse(node.value)}"
        for node in ast.walk(function)
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple)
    ]
    if function.returns is not None and "tuple" in ast.unparse(function.returns).lower():
        found.append(f"-> {ast.unparse(function.returns)}")
    return found


def test_the_guard_finds_a_handler_returning_its_own_status():
    source = """
    def criar(self, request) -> tuple[int, dict]:
        if request:
            return 201, {"id": 1}
        return {"id": 2}
    """
    assert statuses_returned_in(source) == [
        "line 4: return (201, {'id': 1})",
        "-> tuple[int, dict]",
    ]
    assert statuses_returned_in("def ok(self, request) -> dict:\n    return {}\n") == []


def test_no_route_handler_returns_a_status():
    routes = openapi.routes(GatewayService)
    assert len(routes) > 50
    offenders = {}
    for route in routes:
        handler = getattr(GatewayService, route.method_name)
        found = statuses_returned_in(inspect.getsource(handler))
        if found:
            offenders[f"{route.method} {route.url} ({route.method_name})"] = found
    assert not offenders, f"declare the status in api(..., status=) instead: {offenders}"


def test_the_document_says_the_declared_status_and_no_other_success():
    document = openapi.document(GatewayService)
    for route in openapi.routes(GatewayService):
        for method in route.method.split(","):
            operation = document["paths"][openapi.openapi_path(route.url)][method.lower()]
            successes = {status for status in operation["responses"] if status < "400"}
            assert successes == {str(route.doc.status)}, (route.method_name, successes)


def _route(status: int) -> ApiRoute:
    route = ApiRoute("POST", "/api/v1/coisas", doc=RouteDoc(summary="teste", status=status))
    route.method_name = "criar_coisa"
    return route


def test_the_server_answers_the_declared_status_with_the_handlers_body():
    answer = _route(201).response_from_result({"id": "abc"})
    assert answer.status_code == 201
    assert answer.mimetype == "application/json"
    assert json.loads(answer.get_data()) == {"id": "abc"}
    assert _route(200).response_from_result([1, 2]).status_code == 200


def test_a_204_route_answers_without_a_body():
    answer = _route(204).response_from_result(None)
    assert answer.status_code == 204
    assert answer.get_data() == b""


def test_extra_headers_keep_the_declared_status():
    answer = _route(200).response_from_result(WithHeaders([{"ibge": "1"}], {"Cache-Control": "x"}))
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "x"
    assert json.loads(answer.get_data()) == [{"ibge": "1"}]


@pytest.mark.parametrize(
    ("declared", "result"),
    [
        pytest.param(201, (201, {"id": "abc"}), id="status-in-a-tuple"),
        pytest.param(204, (204, None), id="204-in-a-tuple"),
        pytest.param(200, (200, [], {"Cache-Control": "x"}), id="headers-in-a-tuple"),
        pytest.param(204, {"id": "abc"}, id="body-on-a-204"),
        pytest.param(201, Response(status=200), id="response-with-another-success"),
        pytest.param(200, Response(status=204), id="response-with-a-204"),
    ],
)
def test_a_result_contradicting_the_declaration_is_refused(declared, result):
    with pytest.raises(StatusContradictsDeclaration, match="criar_coisa"):
        _route(declared).response_from_result(result)


def test_a_refused_result_is_a_500_for_the_client():
    answer = response_for(StatusContradictsDeclaration("criar_coisa declares 201"))
    assert answer.status_code == 500
    assert json.loads(answer.get_data())["error"]["code"] == "erro_interno"


def test_a_raw_response_passes_with_its_declared_or_error_status():
    page = Response("<p>x</p>", content_type="text/html")
    assert _route(200).response_from_result(page) is page
    unavailable = Response("{}", status=503)
    assert _route(200).response_from_result(unavailable) is unavailable

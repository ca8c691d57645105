"""Each route answers the success status it declares, so the OpenAPI document tells the truth.

The web server answers with `api(..., status=)` and a handler returns only its
body; this checks the result from the outside, over every answer the other e2e
tests received through `requests` (recorded in conftest.py), so it runs after them.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

from services.gateway import openapi
from services.gateway.service import GatewayService

pytestmark = pytest.mark.after_e2e  # see conftest.py: it runs after the other tests


def _other_e2e_tests(session: pytest.Session) -> list[pytest.Item]:
    return [
        item
        for item in session.items
        if "tests/e2e/" in item.nodeid and item.get_closest_marker("after_e2e") is None
    ]


def _whole_e2e_suite_ran(session: pytest.Session, answer_record) -> bool:
    modules = {Path(item.path).name for item in _other_e2e_tests(session)}
    on_disk = {p.name for p in Path(__file__).parent.glob("test_*.py")} - {Path(__file__).name}
    return modules == on_disk and not answer_record.deselected_e2e


def _successes_by_route(platform, answer_record) -> dict[int, set[int]]:
    """Index in openapi.routes(GatewayService) -> the 2xx statuses the gateway answered it."""
    routes = openapi.routes(GatewayService)
    rules = [
        Rule(route.url, methods=route.method.split(","), endpoint=index, strict_slashes=True)
        for index, route in enumerate(routes)
    ]
    adapter = Map(rules).bind("127.0.0.1")
    answered: dict[int, set[int]] = defaultdict(set)
    for answer in answer_record.answers:
        if answer.port != platform.gateway_port or not 200 <= answer.status < 300:
            continue
        if answer.method == "OPTIONS":  # CORS preflight: the web server's own 204, on every route
            continue
        try:
            index, _ = adapter.match(answer.path, answer.method)
        except HTTPException:
            pytest.fail(f"{answer.method} {answer.path} answered {answer.status} outside any route")
        answered[index].add(answer.status)
    return answered


def test_every_success_the_api_answered_is_the_status_its_route_declares(request, answer_record):
    if not _other_e2e_tests(request.session):
        pytest.skip("it checks what the other e2e tests were answered: run it with them")
    platform = request.getfixturevalue("platform")
    routes = openapi.routes(GatewayService)
    answered = _successes_by_route(platform, answer_record)
    assert answered, "the e2e tests ran, but no answer of the gateway was recorded"
    wrong = {
        f"{routes[index].method} {routes[index].url}": (routes[index].doc.status, sorted(seen))
        for index, seen in answered.items()
        if seen != {routes[index].doc.status}
    }
    assert not wrong, f"declared status vs answered: {wrong}"
    document = openapi.document(GatewayService)
    for index in answered:
        route = routes[index]
        for method in route.method.split(","):
            responses = document["paths"][openapi.openapi_path(route.url)][method.lower()]
            assert {s for s in responses["responses"] if s.startswith("2")} == {
                str(route.doc.status)
            }, route.url
    if _whole_e2e_suite_ran(request.session, answer_record):
        never_called = [
            f"{route.method} {route.url}"
            for index, route in enumerate(routes)
            if route.doc.status in (201, 204) and index not in answered
        ]
        assert not never_called, f"routes declaring 201/204 that no e2e test calls: {never_called}"

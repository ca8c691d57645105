"""The gateway's HTTP contract: JSON errors with stable codes, CORS, request ids, OpenAPI."""

from __future__ import annotations

import json

import pytest
import requests

from services.gateway import openapi
from services.gateway.settings import GatewaySettings

ORIGIN = "https://app.exemplo.gov.br"


def assert_error(answer: requests.Response, status: int, code: str) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    body = answer.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def post_login(platform, data: bytes, content_type: str = "application/json", **kw):
    return requests.post(
        f"{platform.url}/api/v1/auth/login",
        data=data,
        headers={"Content-Type": content_type},
        timeout=30,
        **kw,
    )


def test_malformed_json_is_400(platform):
    assert_error(post_login(platform, b'{"municipio": '), 400, "json_invalido")
    assert_error(post_login(platform, b"\xff\xfe"), 400, "json_invalido")


def test_unknown_route_is_404(platform):
    assert_error(
        requests.get(f"{platform.url}/api/v1/nao-existe", timeout=30), 404, "rota_inexistente"
    )


def test_wrong_method_is_405_with_allow_header(platform):
    answer = requests.delete(f"{platform.url}/api/v1/municipios", timeout=30)
    assert_error(answer, 405, "metodo_nao_permitido")
    assert "GET" in answer.headers["Allow"]


def test_body_too_large_is_413(platform, settings):
    big = json.dumps(
        {
            "municipio": "5208004",
            "usuario": "x",
            "senha": "a" * (GatewaySettings.from_env().max_body_bytes + 10),
        }
    ).encode()
    assert_error(post_login(platform, big), 413, "corpo_muito_grande")


def test_body_too_large_without_content_length_is_413(platform, settings):
    def chunks():
        yield b'{"municipio": "5208004", "usuario": "x", "senha": "'
        for _ in range(GatewaySettings.from_env().max_body_bytes // 1024 + 2):
            yield b"a" * 1024
        yield b'"}'

    assert_error(post_login(platform, chunks()), 413, "corpo_muito_grande")


def test_wrong_content_type_is_415(platform):
    assert_error(
        post_login(platform, b"municipio=5208004", "application/x-www-form-urlencoded"),
        415,
        "tipo_de_conteudo_nao_suportado",
    )


@pytest.mark.parametrize(
    "body, fields",
    [
        ({}, {"municipio", "usuario", "senha"}),
        ({"municipio": "5208004", "usuario": "maria"}, {"senha"}),
        ({"municipio": 5208004, "usuario": "maria", "senha": "x"}, {"municipio"}),
        ({"municipio": "5208004", "usuario": "", "senha": "x"}, {"usuario"}),
        (
            {"municipio": "5208004", "usuario": "m", "senha": "x", "schema": "pg_catalog"},
            {"schema"},
        ),
        ([1, 2], {"corpo"}),
    ],
)
def test_validation_errors_are_422_with_field_names(platform, body, fields):
    error = assert_error(post_login(platform, json.dumps(body).encode()), 422, "dados_invalidos")
    assert {c["campo"] for c in error["campos"]} == fields
    for campo in fields:
        assert campo in error["message"]


def test_request_id_is_kept_or_generated_and_returned(platform):
    kept = requests.get(
        f"{platform.url}/api/v1/municipios", headers={"X-Request-Id": "req-abc.123"}, timeout=30
    )
    assert kept.headers["X-Request-Id"] == "req-abc.123"
    made = requests.get(f"{platform.url}/api/v1/municipios", timeout=30)
    assert len(made.headers["X-Request-Id"]) == 32
    hostile = requests.get(
        f"{platform.url}/api/v1/municipios",
        headers={"X-Request-Id": 'x" onerror=alert(1)'},
        timeout=30,
    )
    assert hostile.headers["X-Request-Id"] != 'x" onerror=alert(1)'
    missing = requests.get(
        f"{platform.url}/api/v1/nao-existe", headers={"X-Request-Id": "req-404"}, timeout=30
    )
    assert missing.headers["X-Request-Id"] == "req-404"


def test_cors_preflight_and_response_for_configured_origin(platform):
    pre = requests.options(
        f"{platform.url}/api/v1/auth/login",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=30,
    )
    assert pre.status_code == 204
    assert pre.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in pre.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in pre.headers["Access-Control-Allow-Headers"]
    actual = requests.get(
        f"{platform.url}/api/v1/municipios", headers={"Origin": ORIGIN}, timeout=30
    )
    assert actual.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "X-Request-Id" in actual.headers["Access-Control-Expose-Headers"]


def test_cors_refuses_other_origins(platform):
    evil = "https://malicioso.example.com"
    pre = requests.options(
        f"{platform.url}/api/v1/auth/login",
        headers={"Origin": evil, "Access-Control-Request-Method": "POST"},
        timeout=30,
    )
    assert_error(pre, 403, "origem_nao_permitida")
    actual = requests.get(f"{platform.url}/api/v1/municipios", headers={"Origin": evil}, timeout=30)
    assert "Access-Control-Allow-Origin" not in actual.headers


def test_health_and_readiness(platform):
    assert requests.get(f"{platform.url}/healthz", timeout=30).json()["status"] == "vivo"
    ready = requests.get(f"{platform.url}/readyz", timeout=30)
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"rabbitmq": "ok", "database": "ok"}


def test_every_backend_answers_its_own_probes(platform):
    for name, container in platform.containers.items():
        if name == "gateway":
            continue
        port = container.config["WEB_SERVER_ADDRESS"].rsplit(":", 1)[1]
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=30).status_code == 200
        ready = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=30)
        assert ready.status_code == 200, (name, ready.text)
        answer = requests.get(f"{platform.url}/api/v1/saude/{name}", timeout=30)
        assert answer.json() == {"service": name, "status": "ok"}


def test_openapi_document_is_valid_and_describes_every_route(platform):
    from openapi_spec_validator import validate

    doc = requests.get(f"{platform.url}/api/v1/openapi.json", timeout=30).json()
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    served = set()
    for entrypoint in platform.containers["gateway"].entrypoints:
        if hasattr(entrypoint, "url"):
            for method in entrypoint.method.split(","):
                served.add((openapi.openapi_path(entrypoint.url), method.lower()))
    documented = {(path, m) for path, ops in doc["paths"].items() for m in ops}
    assert served == documented
    for required in [
        "/api/v1/municipios",
        "/api/v1/auth/login",
        "/api/v1/me",
        "/healthz",
        "/readyz",
        "/api/v1/openapi.json",
    ]:
        assert required in doc["paths"]
    login = doc["paths"]["/api/v1/auth/login"]["post"]
    assert {"401", "422", "503"} <= set(login["responses"])
    assert doc["paths"]["/api/v1/me"]["get"]["security"] == [{"bearer": []}]

"""Login into a municipality and the tenant boundary, through the gateway over HTTP."""

from __future__ import annotations

import time

import jwt
import pytest
import requests
from sqlalchemy import event
from sqlalchemy.engine import Engine

from services.chassis.tokens import ALGORITHM, ISSUER, TokenService

FORMOSA, CATALAO = "5208004", "5205109"


@pytest.fixture(scope="module")
def two_municipalities(provision):
    provision(FORMOSA, "Formosa")
    provision(CATALAO, "Catalão")
    return FORMOSA, CATALAO


def me(platform, token):
    return requests.get(
        f"{platform.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def test_same_login_in_two_municipalities_are_two_people(
    platform, two_municipalities, create_user, login, new_login
):
    name = new_login("joao")
    create_user(FORMOSA, name, "senha-de-formosa", "João de Formosa")
    create_user(CATALAO, name, "senha-de-catalao", "João de Catalão")

    formosa = login(FORMOSA, name, "senha-de-formosa")
    catalao = login(CATALAO, name, "senha-de-catalao")
    assert formosa.status_code == 200, formosa.text
    assert catalao.status_code == 200, catalao.text
    assert formosa.json()["token_type"] == "Bearer"
    assert formosa.json()["expires_in"] > 0

    me_formosa = me(platform, formosa.json()["access_token"]).json()
    me_catalao = me(platform, catalao.json()["access_token"]).json()
    assert me_formosa == {
        "usuario": name,
        "nome": "João de Formosa",
        "administrador": False,
        "unidade": None,
        "unidades": [],
        "municipio": {"ibge": FORMOSA, "nome": "Formosa"},
    }
    assert me_catalao["nome"] == "João de Catalão"
    assert me_catalao["municipio"] == {"ibge": CATALAO, "nome": "Catalão"}

    # Each password opens only its own municipality.
    assert login(CATALAO, name, "senha-de-formosa").status_code == 401
    assert login(FORMOSA, name, "senha-de-catalao").status_code == 401


def test_wrong_password_and_unknown_user_get_the_same_answer(
    platform, two_municipalities, create_user, login, new_login
):
    name = new_login("ana")
    create_user(FORMOSA, name, "senha-certa-123")
    wrong = login(FORMOSA, name, "senha-errada")
    unknown = login(FORMOSA, new_login("ninguem"), "senha-errada")
    unknown_municipality = login("5300108", name, "senha-certa-123")  # Brasília: not registered
    for answer in (wrong, unknown, unknown_municipality):
        assert answer.status_code == 401
        assert answer.json() == {
            "error": {
                "code": "credenciais_invalidas",
                "message": "Município, usuário ou senha incorretos.",
            }
        }


def test_user_of_one_municipality_does_not_exist_in_another(
    platform, two_municipalities, create_user, login, new_login
):
    name = new_login("so_formosa")
    create_user(FORMOSA, name, "senha-so-formosa")
    assert login(FORMOSA, name, "senha-so-formosa").status_code == 200
    assert login(CATALAO, name, "senha-so-formosa").status_code == 401


def _forged(claims_change: dict, key: str, settings) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": "x",
        "login": "x",
        "mun": FORMOSA,
        "iat": now,
        "exp": now + 600,
        "jti": "j",
    }
    claims.update(claims_change)
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def test_token_of_one_municipality_never_reads_another(
    platform, two_municipalities, create_user, login, new_login, settings
):
    name = new_login("maria")
    create_user(FORMOSA, name, "senha-da-maria")
    token = login(FORMOSA, name, "senha-da-maria").json()["access_token"]

    # Re-signing the same claims for Catalão needs the key; without it the token is dead.
    header, payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["mun"] = CATALAO
    altered_payload = jwt.encode(claims, "k" * 40, algorithm=ALGORITHM).split(".")[1]
    altered = f"{header}.{altered_payload}.{signature}"
    answer = me(platform, altered)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "token_invalido"

    # Correctly signed for Catalão but naming a Formosa user: that user is not in
    # Catalão's schema, so the call sees nothing of Formosa.
    user_id = claims["sub"]
    cross = TokenService(settings.require_jwt_secret(), 600).issue(user_id, name, CATALAO)
    answer = me(platform, cross)
    assert answer.status_code == 401
    assert "Formosa" not in answer.text


def concrete(url: str) -> str:
    """A real URL for a route rule: the first choice of an any(...) converter, else 'x'."""
    from services.gateway.openapi import _PATH_PARAM

    def value(match):
        choices = match.group(1)
        return choices.split(",")[0].strip(" '\"") if choices else "x"

    return _PATH_PARAM.sub(value, url)


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(
            lambda s: _forged({}, "outra-chave-com-mais-de-32-caracteres-xx", s), id="other-key"
        ),
        pytest.param(
            lambda s: _forged({"exp": int(time.time()) - 10}, s.jwt_secret, s), id="expired"
        ),
        pytest.param(lambda s: _forged({"mun": "../x"}, s.jwt_secret, s), id="crafted-municipio"),
        pytest.param(lambda s: _forged({"iss": "outro"}, s.jwt_secret, s), id="other-issuer"),
        pytest.param(
            lambda s: jwt.encode({"mun": FORMOSA, "sub": "x"}, None, algorithm="none"),
            id="alg-none",
        ),
        pytest.param(lambda s: "nao-e-um-jwt", id="garbage"),
    ],
)
def test_bad_tokens_are_refused_on_every_authenticated_route(platform, settings, make_token):
    from services.gateway import openapi
    from services.gateway.service import GatewayService

    token = make_token(settings)
    authenticated = [r for r in openapi.routes(GatewayService) if r.doc.authenticated]
    assert authenticated, "the gateway must have authenticated routes"
    for route in authenticated:
        for method in route.method.split(","):
            answer = requests.request(
                method,
                f"{platform.url}{concrete(route.url)}",
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            assert answer.status_code == 401, (route.url, answer.text)
            assert answer.json()["error"]["code"] == "token_invalido"


def test_missing_token_is_refused(platform):
    answer = requests.get(f"{platform.url}/api/v1/me", timeout=30)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "nao_autenticado"
    assert answer.headers["WWW-Authenticate"] == "Bearer"


@pytest.fixture
def sql_statements():
    """SQL a login would run (the registry, the users); background work (the outbox relay,
    event consumers, sweeps) runs its own queries at any moment and is not counted."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "municipio" in statement or "usuario" in statement:
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    yield seen
    event.remove(Engine, "before_cursor_execute", record)


CRAFTED = [
    "5208004; DROP SCHEMA mun_5208004",
    "../x",
    "pg_catalog",
    "52080041",
    "52o8004",
    "abcdefg",
    "",
    "mun_5208004",
    "0000000",
    "５２０８００４",
]


@pytest.mark.parametrize("crafted", CRAFTED)
def test_crafted_municipality_is_rejected_before_any_sql(platform, login, sql_statements, crafted):
    answer = login(crafted, "admin", "qualquer-senha")
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "dados_invalidos"
    assert answer.json()["error"]["campos"][0]["campo"] == "municipio"
    assert sql_statements == []


@pytest.mark.parametrize("crafted", CRAFTED)
def test_crafted_municipality_sent_straight_to_auth_is_rejected_before_any_sql(
    platform, settings, sql_statements, crafted
):
    """Even a caller inside the cluster, skipping the gateway, cannot name a schema."""
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.chassis.errors import DadosInvalidos

    with ClusterRpcProxy(settings.nameko_config(), timeout=10) as cluster:
        with pytest.raises(DadosInvalidos):
            cluster.auth.login(crafted, "admin", "qualquer-senha")
    assert sql_statements == []


def test_lockout_after_five_wrong_passwords(
    platform, two_municipalities, create_user, login, new_login
):
    name = new_login("bloq")
    create_user(FORMOSA, name, "senha-correta-1")
    for _ in range(4):
        assert login(FORMOSA, name, "errada").status_code == 401
    # One success resets the count.
    assert login(FORMOSA, name, "senha-correta-1").status_code == 200
    for _ in range(5):
        assert login(FORMOSA, name, "errada").status_code == 401
    locked = login(FORMOSA, name, "senha-correta-1")
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "usuario_bloqueado"
    assert "bloqueada" in locked.json()["error"]["message"]
    # The same login in another municipality is another account, not locked.
    create_user(CATALAO, name, "senha-correta-2")
    assert login(CATALAO, name, "senha-correta-2").status_code == 200


def test_concurrent_wrong_passwords_are_all_counted(
    platform, two_municipalities, create_user, login, new_login
):
    from concurrent.futures import ThreadPoolExecutor

    name = new_login("paralelo")
    create_user(FORMOSA, name, "senha-correta-3")
    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(pool.map(lambda _: login(FORMOSA, name, "errada"), range(5)))
    assert [a.status_code for a in answers] == [401] * 5
    assert login(FORMOSA, name, "senha-correta-3").status_code == 429


def test_suspended_municipality_cannot_log_in(
    platform, engine, provision, create_user, login, new_login
):
    from services.tenancy import provisioning

    jussara = provision("5212204", "Jussara")
    name = new_login("susp")
    create_user(jussara, name, "senha-de-jussara")
    assert login(jussara, name, "senha-de-jussara").status_code == 200

    provisioning.set_status(engine, jussara, "suspenso")
    try:
        answer = login(jussara, name, "senha-de-jussara")
        assert answer.status_code == 403
        assert answer.json()["error"]["code"] == "municipio_suspenso"
        listed = requests.get(f"{platform.url}/api/v1/municipios", timeout=30).json()
        assert jussara not in [m["ibge"] for m in listed]
    finally:
        provisioning.set_status(engine, jussara, "ativo")
    assert login(jussara, name, "senha-de-jussara").status_code == 200


def test_municipios_lists_active_ones_sorted_by_name(platform, provision):
    for ibge, nome in [
        ("5203302", "Bela Vista de Goiás"),
        ("5200050", "Abadia de Goiás"),
        ("5200100", "Água Limpa"),
    ]:
        provision(ibge, nome)
    answer = requests.get(f"{platform.url}/api/v1/municipios", timeout=30)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "public, max-age=60"
    listed = answer.json()
    names = [m["nome"] for m in listed]
    assert (
        names.index("Abadia de Goiás")
        < names.index("Água Limpa")
        < names.index("Bela Vista de Goiás")
    )
    assert all(set(m) == {"ibge", "nome", "uf"} for m in listed)


def test_whole_municipality_snapshots_answer_only_a_platform_system_of_that_municipality(
    platform, settings, two_municipalities, create_user, login, new_login
):
    """processos' and documentos' snapshots ignore access rules (they rebuild the search
    index): a servant's token is refused, even an administrator's; a system token sees
    only the municipality it names; and the gateway refuses system tokens outright."""
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.chassis.call_context import TOKEN_KEY
    from services.chassis.errors import AcessoNegado

    name = new_login("snap")
    create_user(FORMOSA, name, "senha-do-snapshot", administrador=True)
    servidor = login(FORMOSA, name, "senha-do-snapshot").json()["access_token"]
    sistema = TokenService.from_settings(settings).issue_sistema("reindexacao", CATALAO)

    def snapshot(token: str, servico: str) -> dict:
        config = settings.nameko_config()
        with ClusterRpcProxy(config, context_data={TOKEN_KEY: token}, timeout=10) as cluster:
            return getattr(cluster, servico).snapshot(None, 10)

    for servico in ("processos", "documentos"):
        with pytest.raises(AcessoNegado) as refused:
            snapshot(servidor, servico)
        assert refused.value.code == "requer_sistema"
        assert snapshot(sistema, servico)["total"] == 0  # Catalão holds no records
    assert me(platform, sistema).status_code == 401
    assert me(platform, sistema).json()["error"]["code"] == "token_invalido"

"""Units through the gateway: the tree, its rules, admin-only writes, the tenant boundary."""

from __future__ import annotations

import pytest
import requests

BELA_VISTA, PIRACANJUBA = "5203302", "5217104"


@pytest.fixture(scope="module")
def tokens(platform, provision, create_user, bearer):
    provision(BELA_VISTA, "Bela Vista de Goiás")
    provision(PIRACANJUBA, "Piracanjuba")
    create_user(BELA_VISTA, "adm_unidades", "senha-do-admin", administrador=True)
    create_user(BELA_VISTA, "basico_unidades", "senha-do-basico")
    create_user(PIRACANJUBA, "adm_unidades", "senha-de-outro-admin", administrador=True)

    return {
        "admin": bearer(BELA_VISTA, "adm_unidades", "senha-do-admin"),
        "basico": bearer(BELA_VISTA, "basico_unidades", "senha-do-basico"),
        "outro_admin": bearer(PIRACANJUBA, "adm_unidades", "senha-de-outro-admin"),
    }


def call(platform, method, path, headers, body=None):
    return requests.request(method, f"{platform.url}{path}", headers=headers, json=body, timeout=30)


def create(platform, headers, sigla, nome, superior=None, **extra):
    return call(
        platform,
        "POST",
        "/api/v1/unidades",
        headers,
        {"sigla": sigla, "nome": nome, "unidade_superior": superior, **extra},
    )


def test_administrator_builds_a_tree_that_every_user_reads(platform, tokens):
    assert create(platform, tokens["admin"], "gab", "Gabinete do Prefeito").status_code == 201
    semad = create(
        platform, tokens["admin"], "SEMAD", "Secretaria de Administração", "GAB", protocolo=True
    )
    assert semad.status_code == 201
    assert semad.json() == {
        "sigla": "SEMAD",
        "nome": "Secretaria de Administração",
        "protocolo": True,
        "arquivo": False,
        "ativa": True,
    }
    assert create(platform, tokens["admin"], "DRH", "Recursos Humanos", "SEMAD").status_code == 201

    tree = call(platform, "GET", "/api/v1/unidades", tokens["basico"]).json()
    gab = next(n for n in tree if n["sigla"] == "GAB")
    assert gab["subunidades"][0]["sigla"] == "SEMAD"
    assert gab["subunidades"][0]["subunidades"][0]["sigla"] == "DRH"


def test_each_broken_rule_has_its_own_error(platform, tokens):
    create(platform, tokens["admin"], "SEFAZ", "Secretaria da Fazenda")
    duplicate = create(platform, tokens["admin"], "sefaz", "Outra Fazenda")
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "sigla_duplicada"

    orphan = create(platform, tokens["admin"], "XYZ", "Sem superior", "NAOEXISTE")
    assert orphan.status_code == 404
    assert orphan.json()["error"]["code"] == "unidade_nao_encontrada"

    create(platform, tokens["admin"], "CICLO1", "Ciclo um")
    create(platform, tokens["admin"], "CICLO2", "Ciclo dois", "CICLO1")
    cycle = call(
        platform,
        "PATCH",
        "/api/v1/unidades/CICLO1",
        tokens["admin"],
        {"unidade_superior": "CICLO2"},
    )
    assert cycle.status_code == 409
    assert cycle.json()["error"]["code"] == "ciclo_na_hierarquia"

    bad = create(platform, tokens["admin"], "SE MAD", "Espaço na sigla")
    assert bad.status_code == 422


def test_moving_a_unit_keeps_its_history(platform, tokens):
    create(platform, tokens["admin"], "SEOBRAS", "Secretaria de Obras")
    create(platform, tokens["admin"], "SEPLAN", "Secretaria de Planejamento")
    create(platform, tokens["admin"], "DPROJ", "Departamento de Projetos", "SEOBRAS")
    moved = call(
        platform,
        "PATCH",
        "/api/v1/unidades/DPROJ",
        tokens["admin"],
        {"unidade_superior": "SEPLAN", "nome": "Departamento de Projetos Urbanos"},
    )
    assert moved.status_code == 200, moved.text
    history = call(platform, "GET", "/api/v1/unidades/DPROJ/historico", tokens["basico"]).json()
    assert [(v["unidade_superior"], v["nome"]) for v in history] == [
        ("SEOBRAS", "Departamento de Projetos"),
        ("SEPLAN", "Departamento de Projetos Urbanos"),
    ]
    assert history[0]["valida_ate"] == history[1]["valida_de"]
    assert history[1]["valida_ate"] is None
    # Only the flags changing opens no new version.
    call(platform, "PATCH", "/api/v1/unidades/DPROJ", tokens["admin"], {"arquivo": True})
    assert (
        len(call(platform, "GET", "/api/v1/unidades/DPROJ/historico", tokens["basico"]).json()) == 2
    )


def test_a_unit_with_active_subordinates_is_not_deactivated(platform, tokens):
    create(platform, tokens["admin"], "SMS", "Secretaria de Saúde")
    create(platform, tokens["admin"], "UBS1", "Unidade Básica 1", "SMS")
    refused = call(platform, "POST", "/api/v1/unidades/SMS/desativar", tokens["admin"])
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "unidade_com_subordinadas"
    assert (
        call(platform, "POST", "/api/v1/unidades/UBS1/desativar", tokens["admin"]).json()["ativa"]
        is False
    )
    assert (
        call(platform, "POST", "/api/v1/unidades/SMS/desativar", tokens["admin"]).status_code == 200
    )


def test_a_basic_user_cannot_write(platform, tokens):
    for method, path, body in [
        ("POST", "/api/v1/unidades", {"sigla": "NOVA", "nome": "Nova"}),
        ("PATCH", "/api/v1/unidades/GAB", {"nome": "Outro"}),
        ("POST", "/api/v1/unidades/GAB/desativar", None),
    ]:
        answer = call(platform, method, path, tokens["basico"], body)
        assert answer.status_code == 403, (path, answer.text)
        assert answer.json()["error"]["code"] == "requer_administrador"


def test_another_municipality_never_sees_nor_changes_these_units(platform, tokens):
    create(platform, tokens["admin"], "SECULT", "Secretaria de Cultura")
    theirs = call(platform, "GET", "/api/v1/unidades", tokens["outro_admin"]).json()
    assert "SECULT" not in str(theirs)
    assert (
        call(
            platform, "PATCH", "/api/v1/unidades/SECULT", tokens["outro_admin"], {"nome": "Tomada"}
        ).status_code
        == 404
    )
    assert (
        call(
            platform, "GET", "/api/v1/unidades/SECULT/historico", tokens["outro_admin"]
        ).status_code
        == 404
    )
    # Their own SECULT is another unit altogether.
    assert (
        create(platform, tokens["outro_admin"], "SECULT", "Cultura de Piracanjuba").status_code
        == 201
    )
    ours = call(platform, "GET", "/api/v1/unidades", tokens["admin"]).json()
    assert "Cultura de Piracanjuba" not in str(ours)


def _token_claims(answer):
    import jwt

    assert answer.status_code == 200, answer.text
    return jwt.decode(answer.json()["access_token"], options={"verify_signature": False})


def test_users_pick_a_unit_they_have_permission_in_and_only_those(platform, tokens, create_user):
    for sigla, nome in [
        ("SEMEC", "Secretaria de Educação"),
        ("SEMMA", "Meio Ambiente"),
        ("SEGOV", "Governo"),
    ]:
        create(platform, tokens["admin"], sigla, nome)
    create_user(BELA_VISTA, "carla_unidades", "senha-da-carla")
    grant = call(
        platform,
        "PUT",
        "/api/v1/usuarios/carla_unidades/permissoes/semec",
        tokens["admin"],
        {"perfil": "basico"},
    )
    assert grant.status_code == 200, grant.text
    assert grant.json() == {"usuario": "carla_unidades", "unidade": "SEMEC", "perfil": "basico"}

    # A single unit comes with the login.
    login = requests.post(
        f"{platform.url}/api/v1/auth/login",
        timeout=30,
        json={"municipio": BELA_VISTA, "usuario": "carla_unidades", "senha": "senha-da-carla"},
    )
    assert _token_claims(login)["uni"] == "SEMEC"

    call(
        platform,
        "PUT",
        "/api/v1/usuarios/carla_unidades/permissoes/SEMMA",
        tokens["admin"],
        {"perfil": "basico"},
    )
    login = requests.post(
        f"{platform.url}/api/v1/auth/login",
        timeout=30,
        json={"municipio": BELA_VISTA, "usuario": "carla_unidades", "senha": "senha-da-carla"},
    )
    assert "uni" not in _token_claims(login)  # two units: she picks
    carla = {"Authorization": f"Bearer {login.json()['access_token']}"}
    me = call(platform, "GET", "/api/v1/me", carla).json()
    assert me["unidade"] is None
    assert [u["sigla"] for u in me["unidades"]] == ["SEMEC", "SEMMA"]

    chosen = call(platform, "POST", "/api/v1/auth/unidade", carla, {"unidade": "semma"})
    assert _token_claims(chosen)["uni"] == "SEMMA"
    carla_semma = {"Authorization": f"Bearer {chosen.json()['access_token']}"}
    assert call(platform, "GET", "/api/v1/me", carla_semma).json()["unidade"] == "SEMMA"

    for refused in ["SEGOV", "NAOEXISTE"]:
        answer = call(platform, "POST", "/api/v1/auth/unidade", carla, {"unidade": refused})
        assert answer.status_code == 403, answer.text
        assert answer.json()["error"]["code"] == "unidade_nao_permitida"

    # A deactivated unit can no longer be picked; a revoked one neither.
    call(platform, "POST", "/api/v1/unidades/SEMMA/desativar", tokens["admin"])
    assert (
        call(platform, "POST", "/api/v1/auth/unidade", carla, {"unidade": "SEMMA"}).status_code
        == 403
    )
    assert (
        call(
            platform, "DELETE", "/api/v1/usuarios/carla_unidades/permissoes/SEMEC", tokens["admin"]
        ).status_code
        == 204
    )
    assert (
        call(platform, "POST", "/api/v1/auth/unidade", carla, {"unidade": "SEMEC"}).status_code
        == 403
    )
    # Only administrators grant.
    assert (
        call(
            platform,
            "PUT",
            "/api/v1/usuarios/carla_unidades/permissoes/SEGOV",
            carla,
            {"perfil": "administrador"},
        ).status_code
        == 403
    )


def test_a_unit_of_another_municipality_cannot_be_granted_nor_picked(platform, tokens):
    create(platform, tokens["outro_admin"], "SOPIRA", "Só em Piracanjuba")
    answer = call(
        platform,
        "PUT",
        "/api/v1/usuarios/basico_unidades/permissoes/SOPIRA",
        tokens["admin"],
        {"perfil": "basico"},
    )
    assert answer.status_code == 404
    assert (
        call(
            platform, "POST", "/api/v1/auth/unidade", tokens["basico"], {"unidade": "SOPIRA"}
        ).status_code
        == 403
    )

"""The default catalog every municipality starts with, and its administration."""

from __future__ import annotations

import pytest
import requests

JARAGUA, JUSSARA = "5211800", "5212204"


@pytest.fixture(scope="module")
def tokens(platform, provision, create_user, bearer):
    provision(JARAGUA, "Jaraguá")
    provision(JUSSARA, "Jussara")
    create_user(JARAGUA, "adm_catalogo", "senha-do-admin", administrador=True)
    create_user(JARAGUA, "basico_catalogo", "senha-do-basico")
    create_user(JUSSARA, "adm_catalogo", "senha-de-jussara", administrador=True)

    return {
        "admin": bearer(JARAGUA, "adm_catalogo", "senha-do-admin"),
        "basico": bearer(JARAGUA, "basico_catalogo", "senha-do-basico"),
        "jussara": bearer(JUSSARA, "adm_catalogo", "senha-de-jussara"),
    }


def get(platform, path, headers):
    answer = requests.get(f"{platform.url}{path}", headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def post(platform, path, headers, body):
    return requests.post(f"{platform.url}{path}", headers=headers, json=body, timeout=30)


def test_a_new_municipality_starts_with_a_usable_catalog(platform, tokens):
    hipoteses = {h["nome"]: h for h in get(platform, "/api/v1/hipoteses-legais", tokens["basico"])}
    for nome in [
        "Informação Pessoal",
        "Documento Preparatório",
        "Controle Interno",
        "Sigilo Contábil",
        "Direito Autoral",
    ]:
        assert nome in hipoteses, nome
    assert "12.527" in hipoteses["Informação Pessoal"]["base_legal"]

    documentos = {t["nome"] for t in get(platform, "/api/v1/tipos-documento", tokens["basico"])}
    assert {
        "Ofício",
        "Memorando",
        "Despacho",
        "Decreto",
        "Portaria",
        "Requerimento",
        "Parecer",
        "Contrato",
        "Nota de Empenho",
        "Edital",
        "Ata",
    } <= documentos

    plano = get(platform, "/api/v1/plano-classificacao", tokens["basico"])
    codigos = {i["codigo"]: i for i in plano["itens"]}
    assert codigos["001"]["descricao"] == "ORGANIZAÇÃO ADMINISTRATIVA"
    assert "001.01" in codigos and "001.02" in codigos and "001.03" in codigos
    assert plano["fonte"]

    processos = get(platform, "/api/v1/tipos-processo", tokens["basico"])
    assert processos
    assert all(t["classificacao"] in codigos for t in processos)
    assert all(
        (t["nivel_acesso_sugerido"] == "publico") == (t["hipotese_legal"] is None)
        for t in processos
    )


def test_provisioning_again_does_not_duplicate_the_catalog(platform, tokens, provision):
    before = len(get(platform, "/api/v1/tipos-documento", tokens["admin"]))
    provision(JARAGUA, "Jaraguá")
    assert len(get(platform, "/api/v1/tipos-documento", tokens["admin"])) == before


def test_administrator_adds_entries_with_the_rules_enforced(platform, tokens):
    criada = post(
        platform,
        "/api/v1/hipoteses-legais",
        tokens["admin"],
        {
            "nome": "Sigilo de Licitação",
            "base_legal": "Lei 14.133/2021, art. 13",
            "niveis": ["restrito"],
        },
    )
    assert criada.status_code == 201, criada.text
    repetida = post(
        platform,
        "/api/v1/hipoteses-legais",
        tokens["admin"],
        {"nome": "Sigilo de Licitação", "base_legal": "x", "niveis": ["restrito"]},
    )
    assert repetida.status_code == 409
    assert repetida.json()["error"]["code"] == "hipotese_legal_duplicada"

    item = get(platform, "/api/v1/plano-classificacao", tokens["admin"])["itens"][-1]["codigo"]
    sem_hipotese = post(
        platform,
        "/api/v1/tipos-processo",
        tokens["admin"],
        {"nome": "Licitação sigilosa", "classificacao": item, "nivel_acesso_sugerido": "restrito"},
    )
    assert sem_hipotese.status_code == 422
    assert sem_hipotese.json()["error"]["code"] == "hipotese_legal_obrigatoria"
    incompativel = post(
        platform,
        "/api/v1/tipos-processo",
        tokens["admin"],
        {
            "nome": "Licitação sigilosa",
            "classificacao": item,
            "nivel_acesso_sugerido": "sigiloso",
            "hipotese_legal": "Sigilo de Licitação",
        },
    )
    assert incompativel.json()["error"]["code"] == "hipotese_legal_incompativel"
    sem_codigo = post(
        platform,
        "/api/v1/tipos-processo",
        tokens["admin"],
        {"nome": "Sem código", "classificacao": "999.99", "nivel_acesso_sugerido": "publico"},
    )
    assert sem_codigo.status_code == 404
    assert sem_codigo.json()["error"]["code"] == "classificacao_nao_encontrada"
    certo = post(
        platform,
        "/api/v1/tipos-processo",
        tokens["admin"],
        {
            "nome": "Licitação sigilosa",
            "classificacao": item,
            "nivel_acesso_sugerido": "restrito",
            "hipotese_legal": "Sigilo de Licitação",
        },
    )
    assert certo.status_code == 201, certo.text

    documento = post(
        platform,
        "/api/v1/tipos-documento",
        tokens["admin"],
        {"nome": "Mapa de Preços", "aplicacao": "interno", "numeracao": "anual_unidade"},
    )
    assert documento.status_code == 201
    invalido = post(
        platform,
        "/api/v1/tipos-documento",
        tokens["admin"],
        {"nome": "X", "aplicacao": "todos", "numeracao": "anual_unidade"},
    )
    assert invalido.status_code == 422


def test_basic_users_read_but_do_not_write(platform, tokens):
    answer = post(
        platform,
        "/api/v1/tipos-documento",
        tokens["basico"],
        {"nome": "Tentativa", "aplicacao": "interno", "numeracao": "nenhuma"},
    )
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "requer_administrador"


def test_another_municipality_never_sees_these_entries(platform, tokens):
    post(
        platform,
        "/api/v1/tipos-documento",
        tokens["admin"],
        {"nome": "Só de Jaraguá", "aplicacao": "interno", "numeracao": "nenhuma"},
    )
    deles = {t["nome"] for t in get(platform, "/api/v1/tipos-documento", tokens["jussara"])}
    assert "Só de Jaraguá" not in deles and "Ofício" in deles


def delete(platform, path, headers):
    return requests.delete(f"{platform.url}{path}", headers=headers, timeout=30)


def test_plan_versions_keep_old_classifications_and_codes_in_use_stay(platform, tokens):
    antigo = get(platform, "/api/v1/plano-classificacao", tokens["admin"])
    tipos_antes = {
        t["nome"]: t["classificacao"]
        for t in get(platform, "/api/v1/tipos-processo", tokens["admin"])
    }

    invalido = post(
        platform,
        "/api/v1/plano-classificacao/versoes",
        tokens["admin"],
        {
            "versao": "2027.1",
            "fonte": "teste",
            "itens": [
                {"codigo": "010.01", "descricao": "Sem função antes"},
                {"codigo": "abc", "descricao": "Código ruim"},
                {"codigo": "011", "descricao": "", "destinacao": "eliminacao"},
            ],
        },
    )
    assert invalido.status_code == 422
    assert invalido.json()["error"]["code"] == "plano_invalido"
    assert len(invalido.json()["error"]["problemas"]) == 3
    assert get(platform, "/api/v1/plano-classificacao", tokens["admin"]) == antigo

    novo = post(
        platform,
        "/api/v1/plano-classificacao/versoes",
        tokens["admin"],
        {
            "versao": "2027.1",
            "fonte": "Plano revisado, Decreto municipal 1/2027",
            "itens": [
                {"codigo": "010", "descricao": "GESTÃO"},
                {"codigo": "010.01", "descricao": "Apoio"},
                {
                    "codigo": "010.01.001",
                    "descricao": "Atos",
                    "prazo_corrente": "5 anos",
                    "prazo_intermediario": "5 anos",
                    "destinacao": "guarda_permanente",
                },
                {
                    "codigo": "010.01.002",
                    "descricao": "Rotinas",
                    "prazo_corrente": "2 anos",
                    "destinacao": "eliminacao",
                },
            ],
        },
    )
    assert novo.status_code == 201, novo.text
    atual = get(platform, "/api/v1/plano-classificacao", tokens["admin"])
    assert atual["versao"] == "2027.1" and len(atual["itens"]) == 4
    versoes = get(platform, "/api/v1/plano-classificacao/versoes", tokens["admin"])
    assert [v["vigente"] for v in versoes] == [False, True]
    # Types classified under the old version keep exactly what they had.
    depois = {
        t["nome"]: t["classificacao"]
        for t in get(platform, "/api/v1/tipos-processo", tokens["admin"])
    }
    assert {n: depois[n] for n in tipos_antes} == tipos_antes

    post(
        platform,
        "/api/v1/tipos-processo",
        tokens["admin"],
        {
            "nome": "Atos de gestão",
            "classificacao": "010.01.001",
            "nivel_acesso_sugerido": "publico",
        },
    )
    em_uso = delete(platform, "/api/v1/plano-classificacao/itens/010.01.001", tokens["admin"])
    assert em_uso.status_code == 409
    assert em_uso.json()["error"]["code"] == "codigo_em_uso"
    com_filhos = delete(platform, "/api/v1/plano-classificacao/itens/010.01", tokens["admin"])
    assert com_filhos.status_code == 409
    assert (
        delete(
            platform, "/api/v1/plano-classificacao/itens/010.01.002", tokens["admin"]
        ).status_code
        == 204
    )
    assert (
        delete(
            platform, "/api/v1/plano-classificacao/itens/010.01.002", tokens["admin"]
        ).status_code
        == 404
    )
    assert (
        delete(
            platform, "/api/v1/plano-classificacao/itens/010.01.001", tokens["basico"]
        ).status_code
        == 403
    )


def patch(platform, path, headers, body):
    return requests.patch(f"{platform.url}{path}", headers=headers, json=body, timeout=30)


def test_entries_are_changed_and_deactivated_under_the_same_rules(platform, tokens):
    criada = post(
        platform,
        "/api/v1/tipos-documento",
        tokens["admin"],
        {"nome": "Guia de Recolhimento", "aplicacao": "externo", "numeracao": "nenhuma"},
    ).json()
    ident = criada["id"]
    assert (
        patch(
            platform,
            f"/api/v1/tipos-documento/{ident}",
            tokens["admin"],
            {"numeracao": "anual_municipio"},
        ).status_code
        == 204
    )
    atual = next(
        t for t in get(platform, "/api/v1/tipos-documento", tokens["admin"]) if t["id"] == ident
    )
    assert (atual["aplicacao"], atual["numeracao"]) == ("externo", "anual_municipio")
    assert (
        patch(
            platform, f"/api/v1/tipos-documento/{ident}", tokens["admin"], {"numeracao": "semanal"}
        ).status_code
        == 422
    )
    assert (
        patch(
            platform, f"/api/v1/tipos-documento/{ident}", tokens["basico"], {"nome": "X"}
        ).status_code
        == 403
    )
    assert (
        patch(
            platform, f"/api/v1/tipos-documento/{ident}", tokens["jussara"], {"nome": "X"}
        ).status_code
        == 404
    )

    publico = next(
        t
        for t in get(platform, "/api/v1/tipos-processo", tokens["admin"])
        if t["nivel_acesso_sugerido"] == "publico"
    )
    sem_hipotese = patch(
        platform,
        f"/api/v1/tipos-processo/{publico['id']}",
        tokens["admin"],
        {"nivel_acesso_sugerido": "restrito"},
    )
    assert sem_hipotese.json()["error"]["code"] == "hipotese_legal_obrigatoria"

    restrito = next(
        t
        for t in get(platform, "/api/v1/tipos-processo", tokens["admin"])
        if t["nivel_acesso_sugerido"] == "restrito" and t["ativo"]
    )
    hipotese = next(
        h
        for h in get(platform, "/api/v1/hipoteses-legais", tokens["admin"])
        if h["nome"] == restrito["hipotese_legal"]
    )
    em_uso = post(
        platform, f"/api/v1/hipoteses-legais/{hipotese['id']}/desativar", tokens["admin"], None
    )
    assert em_uso.status_code == 409
    assert em_uso.json()["error"]["code"] == "hipotese_legal_em_uso"
    assert (
        post(
            platform, f"/api/v1/tipos-documento/{ident}/desativar", tokens["admin"], None
        ).status_code
        == 204
    )
    assert not next(
        t for t in get(platform, "/api/v1/tipos-documento", tokens["admin"]) if t["id"] == ident
    )["ativo"]

"""The default catalog every new municipality starts with (services/tenancy/dados).

Reads the YAML files directly, so it runs without a database or any service module.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

DADOS = Path(__file__).parents[2] / "services/tenancy/dados"
ARQUIVOS = ("plano_classificacao", "hipoteses_legais", "tipos_documento", "tipos_processo")

# Função "001", subfunção "001.01", atividade "001.01.001" (also stated in the plan's descricao).
CODIGO = re.compile(r"^\d{3}(\.\d{2}(\.\d{3})?)?$")
NIVEIS_CODIGO = {1: "funcao", 2: "subfuncao", 3: "atividade"}
DESTINACOES = {"eliminacao", "guarda_permanente"}
NIVEIS_ACESSO = {"publico", "restrito", "sigiloso"}
APLICACOES = {"interno", "externo", "ambos"}
NUMERACOES = {"nenhuma", "sequencial_unidade", "anual_unidade", "anual_municipio"}

# Column sizes of services/tenancy/tenant_tables.py; the plan's fonte is cut at 500 on seeding.
LIMITES_PLANO = {
    "codigo": 30,
    "descricao": 300,
    "prazo_corrente": 120,
    "prazo_intermediario": 120,
    "observacoes": 1000,
}

HIPOTESES_OBRIGATORIAS = {
    "Informação Pessoal": ("12.527/2011", "31"),
    "Documento Preparatório": ("12.527/2011", "7º, § 3º"),
    "Controle Interno": ("10.180/2001", "26, § 3º"),
    "Sigilo Contábil": ("Código Civil", "1.190"),
    "Direito Autoral": ("9.610/1998",),
}

TIPOS_DOCUMENTO_OBRIGATORIOS = {
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
}


def carregar(nome: str) -> dict:
    with (DADOS / f"{nome}.yaml").open(encoding="utf-8") as f:
        dados = yaml.safe_load(f)
    assert isinstance(dados, dict), f"{nome}.yaml deve ser um mapeamento"
    return dados


@pytest.fixture(scope="module")
def plano() -> dict:
    return carregar("plano_classificacao")


@pytest.fixture(scope="module")
def hipoteses() -> list[dict]:
    return carregar("hipoteses_legais")["hipoteses"]


@pytest.fixture(scope="module")
def tipos_documento() -> list[dict]:
    return carregar("tipos_documento")["tipos"]


@pytest.fixture(scope="module")
def tipos_processo() -> list[dict]:
    return carregar("tipos_processo")["tipos"]


def repetidos(valores: list[str]) -> list[str]:
    return sorted(v for v, n in Counter(valores).items() if n > 1)


def pai(codigo: str) -> str | None:
    return codigo.rsplit(".", 1)[0] if "." in codigo else None


@pytest.mark.parametrize("nome", ARQUIVOS)
def test_every_file_names_its_source_and_says_what_it_is(nome):
    dados = carregar(nome)
    for campo in ("fonte", "descricao"):
        valor = dados.get(campo)
        assert isinstance(valor, str), f"{nome}.yaml: {campo} deve ser texto"
        assert len(valor.strip()) >= 40, f"{nome}.yaml: {campo} curto demais"


# Plano de classificação


def test_plan_header(plano):
    assert plano["versao"] == "2026.1"
    assert plano["estrutura"] == ["funcao", "subfuncao", "atividade"]
    assert len(plano["fonte"]) <= 500, "a fonte do plano é gravada em até 500 caracteres"
    assert CODIGO.pattern in plano["descricao"], "o padrão de código deve estar na descricao"
    assert 60 <= len(plano["itens"]) <= 150


def test_plan_codes_are_unique_and_well_formed(plano):
    codigos = [item["codigo"] for item in plano["itens"]]
    assert all(isinstance(c, str) for c in codigos), "códigos devem ser texto (entre aspas)"
    assert repetidos(codigos) == []
    assert [c for c in codigos if not CODIGO.match(c)] == []


def test_each_parent_comes_before_its_children(plano):
    vistos: set[str] = set()
    orfaos = []
    for item in plano["itens"]:
        codigo = item["codigo"]
        if pai(codigo) is not None and pai(codigo) not in vistos:
            orfaos.append(codigo)
        vistos.add(codigo)
    assert orfaos == []


def test_every_level_is_used_and_grouping_levels_have_children(plano):
    codigos = [item["codigo"] for item in plano["itens"]]
    por_nivel = Counter(NIVEIS_CODIGO[c.count(".") + 1] for c in codigos)
    assert por_nivel["funcao"] >= 5
    assert por_nivel["subfuncao"] >= por_nivel["funcao"]
    assert por_nivel["atividade"] >= 2 * por_nivel["subfuncao"]
    pais = {pai(c) for c in codigos}
    sem_filhos = [c for c in codigos if c.count(".") < 2 and c not in pais]
    assert sem_filhos == []


def test_required_organizacao_administrativa_structure(plano):
    descricoes = {item["codigo"]: item["descricao"] for item in plano["itens"]}
    assert descricoes["001"] == "ORGANIZAÇÃO ADMINISTRATIVA"
    assert descricoes["001.01"] == "Apoio à administração pública"
    assert descricoes["001.02"] == "Ordenamento jurídico"
    assert descricoes["001.03"] == "Planejamento das ações de governo e controle dos serviços"


def test_activities_have_retention_and_destination(plano):
    problemas = []
    for item in plano["itens"]:
        codigo, destinacao = item["codigo"], item["destinacao"]
        if not isinstance(item.get("descricao"), str) or not item["descricao"].strip():
            problemas.append(f"{codigo}: descricao vazia")
        for campo in ("prazo_corrente", "prazo_intermediario", "observacoes"):
            valor = item.get(campo)
            if valor is not None and (not isinstance(valor, str) or not valor.strip()):
                problemas.append(f"{codigo}: {campo} deve ser texto ou null")
        if codigo.count(".") == 2:
            if destinacao not in DESTINACOES:
                problemas.append(f"{codigo}: destinacao inválida {destinacao!r}")
            if not item.get("prazo_corrente"):
                problemas.append(f"{codigo}: atividade sem prazo_corrente")
        elif destinacao is not None:
            problemas.append(f"{codigo}: nível de agrupamento não leva destinacao")
    assert problemas == []


def test_plan_uses_both_destinations(plano):
    destinacoes = Counter(i["destinacao"] for i in plano["itens"] if i["destinacao"])
    assert set(destinacoes) == DESTINACOES


def test_plan_fields_fit_the_table_columns(plano):
    longos = [
        f"{item['codigo']}.{campo}"
        for item in plano["itens"]
        for campo, maximo in LIMITES_PLANO.items()
        if isinstance(item.get(campo), str) and len(item[campo]) > maximo
    ]
    assert longos == []


# Hipóteses legais


def test_hypotheses_are_unique_and_valid(hipoteses):
    nomes = [h["nome"] for h in hipoteses]
    assert repetidos(nomes) == []
    for h in hipoteses:
        assert isinstance(h["nome"], str) and 0 < len(h["nome"]) <= 200, h
        assert isinstance(h["base_legal"], str) and 0 < len(h["base_legal"]) <= 300, h
        assert h["niveis"], f"{h['nome']}: niveis vazio"
        assert set(h["niveis"]) <= {"restrito", "sigiloso"}, h
        assert repetidos(h["niveis"]) == [], h


def test_required_hypotheses_cite_their_laws(hipoteses):
    por_nome = {h["nome"]: h["base_legal"] for h in hipoteses}
    for nome, trechos in HIPOTESES_OBRIGATORIAS.items():
        assert nome in por_nome, f"falta a hipótese {nome}"
        for trecho in trechos:
            assert trecho in por_nome[nome], f"{nome}: base legal sem {trecho!r}"


def test_some_hypothesis_allows_each_restricted_level(hipoteses):
    niveis = {n for h in hipoteses for n in h["niveis"]}
    assert niveis == {"restrito", "sigiloso"}


# Tipos de documento


def test_document_types_are_unique_and_valid(tipos_documento):
    nomes = [t["nome"] for t in tipos_documento]
    assert repetidos(nomes) == []
    invalidos = [
        t["nome"]
        for t in tipos_documento
        if t["aplicacao"] not in APLICACOES
        or t["numeracao"] not in NUMERACOES
        or not 0 < len(t["nome"]) <= 200
    ]
    assert invalidos == []


def test_required_document_types_exist(tipos_documento):
    nomes = {t["nome"] for t in tipos_documento}
    assert TIPOS_DOCUMENTO_OBRIGATORIOS - nomes == set()


def test_document_numbering_is_sensible(tipos_documento):
    por_nome = {t["nome"]: t for t in tipos_documento}
    for nome in ("Decreto", "Portaria"):
        assert por_nome[nome]["numeracao"] == "anual_municipio", nome
    for nome in ("Ofício", "Memorando"):
        assert por_nome[nome]["numeracao"] == "anual_unidade", nome
    assert por_nome["Requerimento"] == {
        "nome": "Requerimento",
        "aplicacao": "externo",
        "numeracao": "nenhuma",
    }
    # A document that only comes from outside is never numbered by the platform.
    numerados_externos = [
        t["nome"]
        for t in tipos_documento
        if t["aplicacao"] == "externo" and t["numeracao"] != "nenhuma"
    ]
    assert numerados_externos == []


# Tipos de processo


def test_process_types_are_unique_and_count(tipos_processo):
    nomes = [t["nome"] for t in tipos_processo]
    assert repetidos(nomes) == []
    assert 25 <= len(nomes) <= 50
    assert all(0 < len(n) <= 200 for n in nomes)


def test_process_types_are_classified_as_plan_activities(plano, tipos_processo):
    atividades = {i["codigo"] for i in plano["itens"] if i["codigo"].count(".") == 2}
    fora = [(t["nome"], t["classificacao"]) for t in tipos_processo]
    assert [(nome, codigo) for nome, codigo in fora if codigo not in atividades] == []


def test_process_access_levels_match_their_hypotheses(hipoteses, tipos_processo):
    niveis_por_hipotese = {h["nome"]: set(h["niveis"]) for h in hipoteses}
    problemas = []
    for t in tipos_processo:
        nome, nivel, hipotese = t["nome"], t["nivel_acesso_sugerido"], t["hipotese_legal"]
        if nivel not in NIVEIS_ACESSO:
            problemas.append(f"{nome}: nível inválido {nivel!r}")
        elif nivel == "publico":
            if hipotese is not None:
                problemas.append(f"{nome}: público não leva hipótese legal")
        elif hipotese not in niveis_por_hipotese:
            problemas.append(f"{nome}: hipótese inexistente {hipotese!r}")
        elif nivel not in niveis_por_hipotese[hipotese]:
            problemas.append(f"{nome}: {hipotese} não admite {nivel}")
    assert problemas == []


def test_process_types_cover_the_common_municipal_matters(tipos_processo):
    nomes = " | ".join(t["nome"] for t in tipos_processo)
    for assunto in (
        "Licitação",
        "Contratos",
        "Pagamentos",
        "Pessoal: Férias",
        "Pessoal: Licenças",
        "Pessoal: Nomeação",
        "Pessoal: Exoneração",
        "Patrimônio",
        "Protocolo",
        "Requerimento",
        "Convênio",
        "Legislação: Decreto",
        "Legislação: Portaria",
        "Ouvidoria",
    ):
        assert assunto in nomes, f"falta tipo de processo sobre {assunto}"
    niveis = {t["nivel_acesso_sugerido"] for t in tipos_processo}
    assert niveis == NIVEIS_ACESSO

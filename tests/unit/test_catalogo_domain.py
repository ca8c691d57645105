"""The catalog's rules, with the catalog held in memory: every refusal has its code."""

from __future__ import annotations

import pytest

from services.chassis.errors import Conflito, DadosInvalidos, NaoEncontrado, SemPapelError
from services.tenancy.domain.campos import texto
from services.tenancy.domain.catalogo import (
    CatalogoEmMemoria,
    HipoteseLegal,
    TipoDocumento,
    TipoProcesso,
    exigir,
)


@pytest.fixture
def catalogo() -> CatalogoEmMemoria:
    catalogo = CatalogoEmMemoria({"001.01.001": "item-1"})
    catalogo.adicionar(HipoteseLegal("h-pessoal", "Informação Pessoal", "Lei 12.527", True, True))
    catalogo.adicionar(HipoteseLegal("h-prep", "Documento Preparatório", "Lei 12.527", True, False))
    catalogo.adicionar(HipoteseLegal("h-velha", "Revogada", "Lei antiga", True, True, ativa=False))
    catalogo.adicionar(TipoDocumento("d-oficio", "Ofício", "ambos", "anual_unidade"))
    catalogo.adicionar(TipoProcesso("p-ferias", "Férias", "item-1", "restrito", "h-pessoal"))
    return catalogo


def code_of(regra, *args, **kwargs) -> str:
    with pytest.raises(SemPapelError) as refused:
        regra(*args, **kwargs)
    return refused.value.code


def test_text_is_collapsed_and_refused_empty_or_too_long():
    assert texto("  Mapa   de  Preços ", "nome", 200) == "Mapa de Preços"
    with pytest.raises(DadosInvalidos) as vazio:
        texto("   ", "nome", 200)
    assert vazio.value.code == "dados_invalidos"
    assert vazio.value.details == {"campos": [{"campo": "nome", "mensagem": "campo obrigatório"}]}
    assert code_of(texto, None, "nome", 200) == "dados_invalidos"
    assert code_of(texto, "x" * 201, "nome", 200) == "texto_longo_demais"


def test_a_new_hypothesis_needs_levels_and_a_free_name(catalogo):
    nova = HipoteseLegal.nova(catalogo, "h1", " Sigilo  Fiscal ", "CTN, art. 198", ["sigiloso"])
    assert (nova.nome, nova.permite_restrito, nova.permite_sigiloso) == (
        "Sigilo Fiscal",
        False,
        True,
    )
    for niveis in ([], None, ["publico"], ["restrito", "secreto"]):
        refused = code_of(HipoteseLegal.nova, catalogo, "h2", "Outra", "Lei", niveis)
        assert refused == "niveis_invalidos"
    duplicada = code_of(HipoteseLegal.nova, catalogo, "h3", "Informação Pessoal", "x", ["restrito"])
    assert duplicada == "hipotese_legal_duplicada"
    assert code_of(HipoteseLegal.nova, catalogo, "h4", "Nova", " ", ["restrito"]) == (
        "dados_invalidos"
    )


def test_document_types_take_only_known_applications_and_numberings(catalogo):
    novo = TipoDocumento.novo(catalogo, "d1", "Mapa de Preços", "interno", "anual_unidade")
    assert (novo.aplicacao, novo.numeracao, novo.ativo) == ("interno", "anual_unidade", True)
    novo_tipo = TipoDocumento.novo
    assert code_of(novo_tipo, catalogo, "d2", "X", "todos", "nenhuma") == "aplicacao_invalida"
    assert code_of(novo_tipo, catalogo, "d3", "X", "interno", "semanal") == "numeracao_invalida"
    assert code_of(novo_tipo, catalogo, "d4", "Ofício", "interno", "nenhuma") == (
        "tipo_documento_duplicado"
    )


@pytest.mark.parametrize(
    ("nivel", "hipotese", "code"),
    [
        ("restrito", None, "hipotese_legal_obrigatoria"),
        ("sigiloso", "Documento Preparatório", "hipotese_legal_incompativel"),
        ("publico", "Informação Pessoal", "hipotese_legal_indevida"),
        ("secreto", None, "nivel_acesso_invalido"),
        ("restrito", "Não Existe", "hipotese_legal_nao_encontrada"),
        ("restrito", "Revogada", "hipotese_legal_nao_encontrada"),  # inactive
    ],
)
def test_process_type_level_and_hypothesis_refusals(catalogo, nivel, hipotese, code):
    novo = TipoProcesso.novo
    assert code_of(novo, catalogo, "p1", "Licitação", "001.01.001", nivel, hipotese) == code


def test_process_type_is_classified_in_the_current_plan_and_named_once(catalogo):
    tipo = TipoProcesso.novo(
        catalogo, "p1", "Sindicância", "001.01.001", "restrito", "Informação Pessoal"
    )
    assert (tipo.plano_item_id, tipo.hipotese_id, tipo.ativo) == ("item-1", "h-pessoal", True)
    novo = TipoProcesso.novo
    assert code_of(novo, catalogo, "p2", "Obra", "999.99", "publico", None) == (
        "classificacao_nao_encontrada"
    )
    assert code_of(novo, catalogo, "p3", "Férias", "001.01.001", "publico", None) == (
        "tipo_processo_duplicado"
    )


def test_level_rules_come_before_the_classification_lookup(catalogo):
    """An unknown code and a missing hypothesis: the hypothesis is what is reported."""
    novo = TipoProcesso.novo
    assert code_of(novo, catalogo, "p1", "X", "999.99", "restrito", None) == (
        "hipotese_legal_obrigatoria"
    )


def test_renaming_to_a_taken_name_is_refused_but_keeping_ones_own_is_not(catalogo):
    oficio = catalogo.entradas[3]
    oficio.alterar(catalogo, {"nome": " Ofício "})
    assert oficio.nome == "Ofício"
    catalogo.adicionar(TipoDocumento("d-memo", "Memorando", "ambos", "anual_unidade"))
    with pytest.raises(Conflito) as taken:
        oficio.alterar(catalogo, {"nome": "Memorando"})
    assert taken.value.code == "nome_duplicado"
    assert code_of(oficio.alterar, catalogo, {"numeracao": "semanal"}) == "numeracao_invalida"
    oficio.alterar(catalogo, {"aplicacao": "externo"})
    assert (oficio.aplicacao, oficio.numeracao) == ("externo", "anual_unidade")


def test_changing_a_hypothesis_keeps_the_level_rule(catalogo):
    pessoal = catalogo.hipotese("h-pessoal")
    pessoal.alterar(catalogo, {"niveis": ["restrito"], "base_legal": " Lei 12.527/2011 "})
    assert (pessoal.permite_restrito, pessoal.permite_sigiloso) == (True, False)
    assert pessoal.base_legal == "Lei 12.527/2011"
    assert code_of(pessoal.alterar, catalogo, {"niveis": []}) == "niveis_invalidos"


def test_a_process_type_keeps_its_hypothesis_unless_the_change_names_another(catalogo):
    ferias = catalogo.entradas[4]
    ferias.alterar(catalogo, {"nivel_acesso_sugerido": "sigiloso"})
    assert (ferias.nivel_acesso_sugerido, ferias.hipotese_id) == ("sigiloso", "h-pessoal")
    indevida = code_of(ferias.alterar, catalogo, {"nivel_acesso_sugerido": "publico"})
    assert indevida == "hipotese_legal_indevida"
    ferias.alterar(catalogo, {"nivel_acesso_sugerido": "publico", "hipotese_legal": None})
    assert (ferias.nivel_acesso_sugerido, ferias.hipotese_id) == ("publico", None)
    mudanca = {"nivel_acesso_sugerido": "sigiloso", "hipotese_legal": "Documento Preparatório"}
    assert code_of(ferias.alterar, catalogo, mudanca) == "hipotese_legal_incompativel"


def test_a_hypothesis_suggested_by_an_active_type_stays_active(catalogo):
    pessoal = catalogo.hipotese("h-pessoal")
    with pytest.raises(Conflito) as em_uso:
        pessoal.desativar(catalogo)
    assert em_uso.value.code == "hipotese_legal_em_uso"
    catalogo.entradas[4].desativar(catalogo)
    pessoal.desativar(catalogo)
    assert pessoal.ativa is False
    assert catalogo.hipotese_ativa("Informação Pessoal") is None


def test_a_missing_entry_is_its_own_error():
    with pytest.raises(NaoEncontrado) as missing:
        exigir(None)
    assert missing.value.code == "item_nao_encontrado"

"""The classification plan's rules, without a database."""

from __future__ import annotations

import pytest

from services.chassis.errors import Conflito, DadosInvalidos, NaoEncontrado
from services.tenancy.domain.plano import (
    VersaoPlano,
    checar_exclusao,
    codigo_superior,
    exigir_item,
    exigir_versao_inedita,
    validar_itens,
)


def problemas(itens: list[dict]) -> list[dict]:
    with pytest.raises(DadosInvalidos) as refused:
        validar_itens(itens)
    assert refused.value.code == "plano_invalido"
    return refused.value.details["problemas"]


def test_a_valid_plan_keeps_only_the_item_fields_in_order():
    itens = [
        {"codigo": "010", "descricao": "GESTÃO", "extra": "ignored"},
        {"codigo": "010.01", "descricao": "Apoio"},
        {"codigo": "010.01.001", "descricao": "Atos", "destinacao": "guarda_permanente"},
    ]
    limpos = validar_itens(itens)
    assert [i["codigo"] for i in limpos] == ["010", "010.01", "010.01.001"]
    assert "extra" not in limpos[0] and limpos[0]["destinacao"] is None
    assert limpos[2]["destinacao"] == "guarda_permanente"


def test_every_problem_of_a_plan_is_reported_at_once():
    found = problemas(
        [
            {"codigo": "010.01", "descricao": "Sem função antes"},
            {"codigo": "abc", "descricao": "Código ruim"},
            {"codigo": "011", "descricao": "  ", "destinacao": "queimar"},
            {"codigo": "011", "descricao": "Repetido", "observacoes": "x" * 1001},
        ]
    )
    assert found == [
        {"item": 0, "campo": "codigo", "mensagem": "o código superior 010 não vem antes"},
        {"item": 1, "campo": "codigo", "mensagem": "código inválido"},
        {"item": 2, "campo": "descricao", "mensagem": "campo obrigatório"},
        {"item": 2, "campo": "destinacao", "mensagem": "destinação inválida"},
        {"item": 3, "campo": "codigo", "mensagem": "código repetido"},
        {"item": 3, "campo": "observacoes", "mensagem": "no máximo 1000 caracteres"},
    ]


@pytest.mark.parametrize("codigo", ["1", "0010", "001.1", "001.01.01", "001-01", None, 1])
def test_codes_follow_funcao_subfuncao_atividade(codigo):
    assert problemas([{"codigo": codigo, "descricao": "x"}])[0]["mensagem"] == "código inválido"


def test_a_codes_parent_is_the_code_without_its_last_part():
    assert codigo_superior("001.01.001") == "001.01"
    assert codigo_superior("001.01") == "001"
    assert codigo_superior("001") == ""


def test_a_version_needs_a_name_and_a_source_and_is_published_once():
    nova = VersaoPlano.nova(" 2027.1 ", "Decreto 1/2027", [{"codigo": "001", "descricao": "A"}])
    assert (nova.versao, len(nova.itens)) == ("2027.1", 1)
    with pytest.raises(DadosInvalidos) as sem_fonte:
        VersaoPlano.nova("2027.1", " ", [{"codigo": "001", "descricao": "A"}])
    assert sem_fonte.value.details["campos"][0]["campo"] == "fonte"
    with pytest.raises(DadosInvalidos) as longa:
        VersaoPlano.nova("2" * 31, "fonte", [])
    assert longa.value.code == "texto_longo_demais"
    exigir_versao_inedita("2027.1", publicada=False)
    with pytest.raises(Conflito) as repetida:
        exigir_versao_inedita("2027.1", publicada=True)
    assert repetida.value.code == "versao_duplicada"


def test_a_code_missing_from_the_current_plan_is_not_found():
    assert exigir_item("id-1", "001") == "id-1"
    with pytest.raises(NaoEncontrado) as missing:
        exigir_item(None, "999.99", "Código de classificação")
    assert missing.value.code == "classificacao_nao_encontrada"
    assert str(missing.value.message).startswith("Código de classificação '999.99'")


@pytest.mark.parametrize(("tipos", "filhos"), [(1, 0), (0, 2), (3, 1)])
def test_a_code_in_use_or_with_children_is_not_deleted(tipos, filhos):
    checar_exclusao("001.01", 0, 0)
    with pytest.raises(Conflito) as em_uso:
        checar_exclusao("001.01", tipos, filhos)
    assert em_uso.value.code == "codigo_em_uso"

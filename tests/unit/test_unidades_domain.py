from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.chassis.errors import Conflito, DadosInvalidos
from services.tenancy.domain.unidades import (
    Unidade,
    arvore,
    normalizar_sigla,
    nova_versao,
    validar_pai,
)

# GAB <- SEMAD <- DRH ; SEFAZ
PAIS = {"gab": None, "semad": "gab", "drh": "semad", "sefaz": None}


def test_a_unit_cannot_be_put_under_itself_or_its_own_subordinate():
    with pytest.raises(Conflito) as own:
        validar_pai(PAIS, "semad", "semad")
    assert own.value.code == "ciclo_na_hierarquia"
    with pytest.raises(Conflito) as below:
        validar_pai(PAIS, "gab", "drh")
    assert below.value.code == "ciclo_na_hierarquia"


def test_a_parent_that_does_not_exist_is_its_own_error():
    with pytest.raises(DadosInvalidos) as missing:
        validar_pai(PAIS, "drh", "nao-existe")
    assert missing.value.code == "unidade_pai_inexistente"


def test_valid_moves_pass_and_a_stored_cycle_does_not_loop_forever():
    validar_pai(PAIS, "drh", "sefaz")
    validar_pai(PAIS, "drh", None)
    with pytest.raises(Conflito):
        validar_pai({"a": "b", "b": "a", "c": None}, "c", "a")


@pytest.mark.parametrize("sigla", ["", " ", "SE MAD", "SEMAD;DROP", "-X", "A" * 31, None, 3])
def test_bad_siglas_are_refused(sigla):
    with pytest.raises(DadosInvalidos):
        normalizar_sigla(sigla)


def test_siglas_are_upper_case():
    assert normalizar_sigla(" semad/drh ") == "SEMAD/DRH"


def test_moving_closes_the_open_version_and_opens_another():
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    u = Unidade(id="drh", sigla="DRH", nome="Recursos Humanos", unidade_pai_id="semad")
    nova_versao(u, "v1", t0)
    u.unidade_pai_id = "sefaz"
    nova_versao(u, "v2", t0 + timedelta(days=30))
    assert [(v.unidade_pai_id, v.valida_ate) for v in u.versoes] == [
        ("semad", t0 + timedelta(days=30)),
        ("sefaz", None),
    ]


def test_tree_nests_children_sorted_by_sigla():
    units = [
        Unidade(id="gab", sigla="GAB", nome="Gabinete"),
        Unidade(id="semad", sigla="SEMAD", nome="Administração", unidade_pai_id="gab"),
        Unidade(id="cgm", sigla="CGM", nome="Controladoria", unidade_pai_id="gab"),
        Unidade(id="sefaz", sigla="SEFAZ", nome="Fazenda"),
    ]
    tree = arvore(units)
    assert [n["sigla"] for n in tree] == ["GAB", "SEFAZ"]
    assert [n["sigla"] for n in tree[0]["subunidades"]] == ["CGM", "SEMAD"]

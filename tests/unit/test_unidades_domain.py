from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.chassis.errors import Conflito, DadosInvalidos, SemPapelError
from services.tenancy.domain.unidades import (
    Organograma,
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


T0 = datetime(2026, 1, 1, tzinfo=UTC)


def organograma() -> Organograma:
    """GAB <- SEMAD <- DRH ; SEFAZ, each with its first version."""
    o = Organograma([])
    o.criar(("gab", "v-gab"), T0, "GAB", "Gabinete")
    o.criar(("semad", "v-semad"), T0, "semad", "Administração", "gab")
    o.criar(("drh", "v-drh"), T0, "DRH", "Recursos Humanos", "SEMAD")
    o.criar(("sefaz", "v-sefaz"), T0, "SEFAZ", "Fazenda")
    return o


def refusal(regra, *args, **kwargs) -> str:
    with pytest.raises(SemPapelError) as refused:
        regra(*args, **kwargs)
    return refused.value.code


def test_a_new_unit_has_a_unique_sigla_an_existing_parent_and_its_first_version():
    o = organograma()
    drh = o.unidade("drh")
    assert (drh.unidade_pai_id, drh.criado_em, [v.id for v in drh.versoes]) == (
        "semad",
        T0,
        ["v-drh"],
    )
    assert refusal(o.criar, ("x", "vx"), T0, "GAB", "Outro") == "sigla_duplicada"
    assert refusal(o.criar, ("x", "vx"), T0, "NOVA", "Nova", "NAOHA") == "unidade_nao_encontrada"
    assert refusal(o.criar, ("x", "vx"), T0, "SE MAD", "Nova") == "sigla_invalida"
    assert refusal(o.criar, ("x", "vx"), T0, "NOVA", "   ") == "dados_invalidos"
    assert refusal(o.criar, ("x", "vx"), T0, "NOVA", "n" * 201) == "texto_longo_demais"
    assert len(o.unidades) == 4


def test_only_a_change_of_place_opens_a_version():
    o = organograma()
    t1 = T0 + timedelta(days=1)
    o.alterar("DRH", "v2", t1, protocolo=True, arquivo=True)
    drh = o.unidade("DRH")
    assert (drh.protocolo, drh.arquivo, len(drh.versoes), drh.atualizado_em) == (True, True, 1, t1)
    o.alterar("DRH", "v3", t1, nova_sigla="dgp", nome=" Gestão  de Pessoas ")
    assert [(v.sigla, v.nome, v.valida_ate) for v in o.unidade("DGP").versoes] == [
        ("DRH", "Recursos Humanos", t1),
        ("DGP", "Gestão de Pessoas", None),
    ]
    o.alterar("DGP", "v4", t1, sigla_superior=None)
    assert o.unidade("DGP").unidade_pai_id is None and len(o.unidade("DGP").versoes) == 3


def test_moves_that_close_a_cycle_or_take_a_used_sigla_are_refused():
    o = organograma()
    assert refusal(o.alterar, "GAB", "v", T0, sigla_superior="DRH") == "ciclo_na_hierarquia"
    assert refusal(o.alterar, "DRH", "v", T0, nova_sigla="SEFAZ") == "sigla_duplicada"
    assert refusal(o.alterar, "NAOHA", "v", T0, nome="X") == "unidade_nao_encontrada"
    o.alterar("DRH", "v", T0, nova_sigla="drh")  # its own sigla is not taken
    assert o.unidade("GAB").unidade_pai_id is None


def test_a_unit_is_deactivated_only_without_active_subordinates_or_open_processes():
    o = organograma()
    perguntas = []

    def abertos(unidade_id: str) -> bool:
        perguntas.append(unidade_id)
        return unidade_id == "sefaz"

    assert refusal(o.desativar, "SEMAD", abertos, T0) == "unidade_com_subordinadas"
    assert perguntas == []  # processos is asked last
    assert refusal(o.desativar, "SEFAZ", abertos, T0) == "unidade_com_processos"
    o.desativar("DRH", abertos, T0)
    desativada = o.desativar("SEMAD", abertos, T0)
    assert (desativada.ativa, o.unidade("DRH").ativa) == (False, False)


def test_history_names_parents_by_their_sigla_today():
    o = organograma()
    o.alterar("SEMAD", "v2", T0 + timedelta(days=1), nova_sigla="SEAD")
    o.alterar("DRH", "v3", T0 + timedelta(days=2), sigla_superior="SEFAZ")
    historico = o.historico("drh")
    assert [(h["unidade_superior"], h["valida_ate"]) for h in historico] == [
        ("SEAD", (T0 + timedelta(days=2)).isoformat()),
        ("SEFAZ", None),
    ]
    assert [n["sigla"] for n in o.arvore()] == ["GAB", "SEFAZ"]
    assert o.arvore()[1]["subunidades"][0] == {
        "sigla": "DRH",
        "nome": "Recursos Humanos",
        "protocolo": False,
        "arquivo": False,
        "ativa": True,
        "subunidades": [],
    }

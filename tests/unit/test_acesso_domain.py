"""What a signed-in user may act as, from their permissions and tenancy's units."""

from __future__ import annotations

import pytest

from services.auth.domain import acesso
from services.chassis.errors import AcessoNegado, MunicipioSuspenso

UNIDADES = {
    "u-semad": {"sigla": "SEMAD", "nome": "Administração", "ativa": True, "perfil": "basico"},
    "u-prot": {"sigla": "PROT", "nome": "Protocolo", "ativa": True, "perfil": "administrador"},
    "u-velha": {"sigla": "VELHA", "nome": "Extinta", "ativa": False, "perfil": "basico"},
}


def test_only_an_active_municipality_is_open_and_a_suspended_one_says_so():
    assert acesso.municipio_aberto({"status": "ativo"})
    assert not acesso.municipio_aberto({"status": "provisionando"})
    assert not acesso.municipio_aberto(None)
    with pytest.raises(MunicipioSuspenso):
        acesso.municipio_aberto({"status": "suspenso"})


def test_administrator_of_the_municipality_or_of_any_unit():
    basicas = {k: {**u, "perfil": "basico"} for k, u in UNIDADES.items()}
    assert acesso.administrador(False, UNIDADES)
    assert not acesso.administrador(False, basicas)
    assert acesso.administrador(True, {})


def test_a_user_starts_in_their_only_active_unit():
    assert acesso.unidade_inicial(UNIDADES) is None
    so_uma = {k: u for k, u in UNIDADES.items() if k != "u-prot"}
    assert acesso.unidade_inicial(so_uma) == "SEMAD"
    assert acesso.unidade_inicial({}) is None


def test_a_unit_is_picked_only_where_the_user_has_an_active_permission():
    assert acesso.unidade_escolhida(UNIDADES, " prot ") == "PROT"
    for sigla in ("VELHA", "SEFAZ"):
        with pytest.raises(AcessoNegado) as refused:
            acesso.unidade_escolhida(UNIDADES, sigla)
        assert refused.value.code == "unidade_nao_permitida"
    assert acesso.id_da_unidade(UNIDADES, "PROT") == "u-prot"
    assert acesso.id_da_unidade(UNIDADES, None) is None


def test_the_units_a_user_may_pick_are_the_active_ones_by_sigla():
    assert acesso.unidades_de_trabalho(UNIDADES) == [
        {"sigla": "PROT", "nome": "Protocolo", "perfil": "administrador"},
        {"sigla": "SEMAD", "nome": "Administração", "perfil": "basico"},
    ]

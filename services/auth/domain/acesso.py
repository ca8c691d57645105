"""What a signed-in user may act as: the municipality, the unit, the administrator profile.

`unidades` maps each unit id the user has a permission in to what tenancy knows of it
now, with the user's profile there: {"sigla", "nome", "ativa", "perfil"}.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.chassis.errors import AcessoNegado, MunicipioSuspenso

Unidades = Mapping[str, Mapping[str, Any]]


def municipio_aberto(registro: Mapping[str, str] | None) -> bool:
    """Users enter an active municipality; a suspended one says so; any other is unknown."""
    if registro is not None and registro["status"] == "suspenso":
        raise MunicipioSuspenso()
    return registro is not None and registro["status"] == "ativo"


def administrador(da_conta: bool, unidades: Unidades) -> bool:
    """Administrator of the municipality, or administrator in any of the user's units."""
    return da_conta or any(u["perfil"] == "administrador" for u in unidades.values())


def unidade_inicial(unidades: Unidades) -> str | None:
    """A user with exactly one active unit starts in it; the others pick one."""
    ativas = [u for u in unidades.values() if u["ativa"]]
    return ativas[0]["sigla"] if len(ativas) == 1 else None


def unidade_escolhida(unidades: Unidades, sigla: str) -> str:
    """The unit a user asks to act in: one with a permission of theirs, and active."""
    sigla = str(sigla).strip().upper()
    escolhida = next((u for u in unidades.values() if u["sigla"] == sigla), None)
    if escolhida is None or not escolhida["ativa"]:
        raise AcessoNegado("Você não tem permissão nesta unidade.", code="unidade_nao_permitida")
    return escolhida["sigla"]


def id_da_unidade(unidades: Unidades, sigla: str | None) -> str | None:
    return next((uid for uid, u in unidades.items() if u["sigla"] == sigla), None)


def unidades_de_trabalho(unidades: Unidades) -> list[dict[str, Any]]:
    """The active units a user may pick, by sigla."""
    ativas = (u for u in unidades.values() if u["ativa"])
    resumos = ({"sigla": u["sigla"], "nome": u["nome"], "perfil": u["perfil"]} for u in ativas)
    return sorted(resumos, key=lambda u: u["sigla"])

"""Access levels (público, restrito, sigiloso) and the rules every service applies to them.

Shared because tenancy (process types), processos and documentos all check
that a restricted level names a legal hypothesis that allows it, and all compute
a process's effective level: the most restrictive of its own and its documents'.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from services.chassis.errors import DadosInvalidos

NIVEIS = ("publico", "restrito", "sigiloso")


def validar_nivel(nivel: object) -> str:
    if nivel not in NIVEIS:
        raise DadosInvalidos(
            "nivel_acesso deve ser um de: publico, restrito, sigiloso.",
            code="nivel_acesso_invalido",
        )
    return str(nivel)


def nivel_permite_ler(nivel: str, passou_pela_unidade: bool, credenciado: bool) -> bool:
    """Who may read what carries `nivel` (a process, or a document of one): público, everyone
    in the municipality; restrito, the units the process has reached; sigiloso, the
    process's credentialed users."""
    if nivel == "publico":
        return True
    if nivel == "restrito":
        return passou_pela_unidade
    return credenciado


def mais_restritivo(niveis: Iterable[str]) -> str:
    """The effective level of a process: the most restrictive of its own and its documents'."""
    return max(niveis, key=NIVEIS.index, default="publico")


def checar_hipotese(nivel: str, hipotese: Mapping[str, Any] | None) -> None:
    """Restrito and sigiloso need a hypothesis that allows that level; público takes none."""
    validar_nivel(nivel)
    if nivel == "publico":
        if hipotese is not None:
            raise DadosInvalidos(
                "Acesso público não leva hipótese legal.", code="hipotese_legal_indevida"
            )
        return
    if hipotese is None:
        raise DadosInvalidos(
            "Acesso restrito ou sigiloso exige hipótese legal.", code="hipotese_legal_obrigatoria"
        )
    if not hipotese[f"permite_{nivel}"]:
        raise DadosInvalidos(
            f"A hipótese legal {hipotese['nome']} não permite acesso {nivel}.",
            code="hipotese_legal_incompativel",
        )

"""Organizational units (unidades) of a municipality: a tree with history.

Plain domain code: no framework, no database. A unit's place in the tree
(parent, name, sigla) is versioned; moving a unit closes its current version and
opens a new one, so what the hierarchy looked like on any date can be answered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from services.chassis.errors import Conflito, DadosInvalidos, NaoEncontrado

SIGLA_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9./-]{0,29}")


@dataclass
class VersaoUnidade:
    id: str
    unidade_id: str
    sigla: str
    nome: str
    unidade_pai_id: str | None
    valida_de: datetime
    valida_ate: datetime | None = None


@dataclass
class Unidade:
    id: str
    sigla: str
    nome: str
    unidade_pai_id: str | None = None
    protocolo: bool = False
    arquivo: bool = False
    ativa: bool = True
    criado_em: datetime | None = None
    atualizado_em: datetime | None = None
    versoes: list[VersaoUnidade] = field(default_factory=list)


def normalizar_sigla(sigla: object) -> str:
    if not isinstance(sigla, str):
        raise DadosInvalidos("Sigla inválida.", code="sigla_invalida")
    sigla = sigla.strip().upper()
    if not SIGLA_PATTERN.fullmatch(sigla):
        raise DadosInvalidos(
            "Sigla inválida: até 30 letras maiúsculas, números, ponto, barra ou hífen.",
            code="sigla_invalida",
        )
    return sigla


def validar_nome(nome: object) -> str:
    if not isinstance(nome, str) or not " ".join(nome.split()) or len(nome) > 200:
        raise DadosInvalidos("Nome da unidade é obrigatório (até 200 caracteres).")
    return " ".join(nome.split())


def validar_pai(pais: Mapping[str, str | None], unidade_id: str | None, pai_id: str | None) -> None:
    """Refuse a parent that does not exist or that would close a cycle.

    `pais` maps every unit id of the municipality to its parent id.
    """
    if pai_id is None:
        return
    if pai_id not in pais:
        raise DadosInvalidos(
            "A unidade superior informada não existe.", code="unidade_pai_inexistente"
        )
    seen = set()
    current: str | None = pai_id
    while current is not None:
        if current == unidade_id:
            raise Conflito(
                "A unidade não pode ficar subordinada a si mesma nem a uma "
                "unidade que lhe é subordinada.",
                code="ciclo_na_hierarquia",
            )
        if current in seen:  # a cycle already stored: never follow it forever
            raise Conflito("A hierarquia de unidades tem um ciclo.", code="ciclo_na_hierarquia")
        seen.add(current)
        current = pais.get(current)


def nova_versao(unidade: Unidade, versao_id: str, agora: datetime) -> VersaoUnidade:
    """Close the open version (if any) and open one with the unit's current place."""
    for versao in unidade.versoes:
        if versao.valida_ate is None:
            versao.valida_ate = agora
    versao = VersaoUnidade(
        versao_id, unidade.id, unidade.sigla, unidade.nome, unidade.unidade_pai_id, agora
    )
    unidade.versoes.append(versao)
    return versao


def arvore(unidades: list[Unidade]) -> list[dict]:
    """Units as nested dicts, roots first, children sorted by sigla."""
    filhos: dict[str | None, list[Unidade]] = {}
    for u in unidades:
        filhos.setdefault(u.unidade_pai_id, []).append(u)

    def no(u: Unidade) -> dict:
        return {
            "sigla": u.sigla,
            "nome": u.nome,
            "protocolo": u.protocolo,
            "arquivo": u.arquivo,
            "ativa": u.ativa,
            "subunidades": [no(f) for f in sorted(filhos.get(u.id, []), key=lambda x: x.sigla)],
        }

    return [no(u) for u in sorted(filhos.get(None, []), key=lambda x: x.sigla)]


def exigir(unidade: Unidade | None, sigla: str) -> Unidade:
    if unidade is None:
        raise NaoEncontrado(f"Unidade {sigla} não encontrada.", code="unidade_nao_encontrada")
    return unidade

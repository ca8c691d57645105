"""Organizational units (unidades) of a municipality: a tree with history.

Plain domain code: no framework, no database. A unit's place in the tree
(sigla, name, parent) is versioned; moving a unit closes its current version and
opens a new one, so what the hierarchy looked like on any date can be answered.
The `Organograma` (every unit of one municipality) is the aggregate: it keeps
siglas unique and the tree free of cycles.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.chassis.errors import Conflito, DadosInvalidos, NaoEncontrado
from services.tenancy.domain.campos import NOME_MAX, texto

SIGLA_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9./-]{0,29}")
# What a version of a unit records: changing any of these opens a new version.
LUGAR = ("sigla", "nome", "unidade_pai_id")
# `Organograma.alterar(sigla_superior=MANTER)`: the parent stays (None makes a root).
MANTER: Any = object()


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

    def lugar(self) -> tuple[Any, ...]:
        return tuple(getattr(self, campo) for campo in LUGAR)

    def resumo(self) -> dict[str, Any]:
        """What every reader of a unit sees of it."""
        return {
            "sigla": self.sigla,
            "nome": self.nome,
            "protocolo": self.protocolo,
            "arquivo": self.arquivo,
            "ativa": self.ativa,
        }


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
    vazio = f"Nome da unidade é obrigatório (até {NOME_MAX} caracteres)."
    return texto(nome, "nome", NOME_MAX, vazio=vazio)


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


def muda_lugar(campos: Iterable[str]) -> bool:
    """True when changing `campos` moves a unit, so that its history needs a new version."""
    return not set(LUGAR).isdisjoint(campos)


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
        irmas = sorted(filhos.get(u.id, []), key=lambda x: x.sigla)
        return {**u.resumo(), "subunidades": [no(f) for f in irmas]}

    return [no(u) for u in sorted(filhos.get(None, []), key=lambda x: x.sigla)]


def exigir(unidade: Unidade | None, sigla: str) -> Unidade:
    if unidade is None:
        raise NaoEncontrado(f"Unidade {sigla} não encontrada.", code="unidade_nao_encontrada")
    return unidade


def sigla_duplicada(sigla: str) -> Conflito:
    return Conflito(f"Já existe a unidade {sigla} neste município.", code="sigla_duplicada")


class Organograma:
    """Every unit of one municipality, loaded whole so that its rules can see all of them."""

    def __init__(self, unidades: list[Unidade]) -> None:
        self.unidades = unidades

    def unidade(self, sigla: str) -> Unidade:
        sigla = normalizar_sigla(sigla)
        return exigir(next((u for u in self.unidades if u.sigla == sigla), None), sigla)

    def _exigir_sigla_livre(self, sigla: str) -> None:
        if any(u.sigla == sigla for u in self.unidades):
            raise sigla_duplicada(sigla)

    def _pai_id(self, sigla_superior: str | None) -> str | None:
        return self.unidade(sigla_superior).id if sigla_superior else None

    def criar(
        self,
        ids: tuple[str, str],
        agora: datetime,
        sigla: str,
        nome: str,
        sigla_superior: str | None = None,
        protocolo: bool = False,
        arquivo: bool = False,
    ) -> Unidade:
        """A new unit, with its first version; `ids`: the unit's and the version's."""
        sigla, nome = normalizar_sigla(sigla), validar_nome(nome)
        self._exigir_sigla_livre(sigla)
        pai = self._pai_id(sigla_superior)
        nova = Unidade(ids[0], sigla, nome, pai, protocolo, arquivo, True, agora, agora)
        nova_versao(nova, ids[1], agora)
        self.unidades.append(nova)
        return nova

    def alterar(
        self,
        sigla: str,
        versao_id: str,
        agora: datetime,
        nova_sigla: str | None = None,
        nome: str | None = None,
        sigla_superior: str | None = MANTER,
        protocolo: bool | None = None,
        arquivo: bool | None = None,
    ) -> Unidade:
        """Change a unit; a new sigla, name or parent closes its version and opens another."""
        alvo = self.unidade(sigla)
        lugar = alvo.lugar()
        if nova_sigla is not None:
            self._renomear_sigla(alvo, normalizar_sigla(nova_sigla))
        if nome is not None:
            alvo.nome = validar_nome(nome)
        if sigla_superior is not MANTER:
            self._mover(alvo, self._pai_id(sigla_superior))
        if protocolo is not None:
            alvo.protocolo = protocolo
        if arquivo is not None:
            alvo.arquivo = arquivo
        if alvo.lugar() != lugar:
            nova_versao(alvo, versao_id, agora)
        alvo.atualizado_em = agora
        return alvo

    def _renomear_sigla(self, alvo: Unidade, sigla: str) -> None:
        if sigla != alvo.sigla:
            self._exigir_sigla_livre(sigla)
        alvo.sigla = sigla

    def _mover(self, alvo: Unidade, pai_id: str | None) -> None:
        validar_pai({u.id: u.unidade_pai_id for u in self.unidades}, alvo.id, pai_id)
        alvo.unidade_pai_id = pai_id

    def desativar(
        self, sigla: str, tem_processos_abertos: Callable[[str], bool], agora: datetime
    ) -> Unidade:
        """Refused while active units hang below it or processes are open in it.

        `tem_processos_abertos` takes the unit's id (processos knows; asked last).
        """
        alvo = self.unidade(sigla)
        if any(u.ativa and u.unidade_pai_id == alvo.id for u in self.unidades):
            raise Conflito(
                "Desative antes as unidades subordinadas.", code="unidade_com_subordinadas"
            )
        if tem_processos_abertos(alvo.id):
            raise Conflito("A unidade tem processos abertos.", code="unidade_com_processos")
        alvo.ativa = False
        alvo.atualizado_em = agora
        return alvo

    def arvore(self) -> list[dict]:
        return arvore(self.unidades)

    def historico(self, sigla: str) -> list[dict]:
        """The unit's versions, oldest first, each naming its parent by today's sigla."""
        alvo = self.unidade(sigla)
        siglas = {u.id: u.sigla for u in self.unidades}
        return [
            {
                "sigla": v.sigla,
                "nome": v.nome,
                "unidade_superior": siglas.get(v.unidade_pai_id) if v.unidade_pai_id else None,
                "valida_de": v.valida_de.isoformat(),
                "valida_ate": v.valida_ate.isoformat() if v.valida_ate else None,
            }
            for v in alvo.versoes
        ]

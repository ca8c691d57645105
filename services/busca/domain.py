"""What the search index holds and answers, whatever the backend (PostgreSQL or Solr).

Plain data and the mapping from domain events to entries; no framework, no
database. An entry's `versao` only grows: a backend keeps the highest it has
seen, so repeated and late events change nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Protocol

NUMERO = re.compile(r"[0-9./ -]{17,30}")


@dataclass
class Entrada:
    id: str  # "processo:<id>" | "documento:<id>"
    tipo: str  # "processo" | "documento"
    processo_id: str
    versao: int
    numero: str  # digits of the process number
    numero_formatado: str
    titulo: str
    texto: str
    tipo_processo: str
    tipo_documento: str | None
    unidade_geradora_id: str
    unidades: list[str]
    nivel: str
    credenciados: list[str]
    documentos_id: list[str]
    assinantes: list[str]
    data: datetime
    cancelado: bool = False


@dataclass
class Consulta:
    q: str
    tipo_processo: str | None = None
    tipo_documento: str | None = None
    unidade: str | None = None
    de: date | None = None
    ate: date | None = None
    nivel: str | None = None
    pagina: int = 1
    por_pagina: int = 20


@dataclass(frozen=True)
class Acesso:
    """Always built by the service from the verified token, never from the request."""

    ibge: str
    usuario_id: str
    unidade_id: str | None


@dataclass
class Resultado:
    """`total_exato` False: there are more than `total` hits (a backend counted up to a cap)."""

    total: int
    itens: list[dict[str, Any]]
    facetas: dict[str, dict[str, int]] = field(default_factory=dict)
    total_exato: bool = True


class Backend(Protocol):
    def indexar(self, ibge: str, entradas: list[Entrada]) -> None: ...

    def remover(self, ibge: str, ids: list[str]) -> None: ...

    def buscar(self, acesso: Acesso, consulta: Consulta) -> Resultado: ...

    def limpar(self, ibge: str) -> None: ...


def digitos_do_numero(q: str) -> str | None:
    """The digits of a process number typed with or without punctuation, else None."""
    if not NUMERO.fullmatch(q.strip()):
        return None
    digitos = re.sub(r"[^0-9]", "", q)
    return digitos if len(digitos) in (17, 20) else None


def identificadores_da_consulta(q: str) -> list[str]:
    """What a query names exactly: a process number's digits, or a CPF's (11) or CNPJ's (14).

    Typed with or without punctuation; in a text longer than 20 characters, digits are words.
    """
    numero = digitos_do_numero(q)
    if numero:
        return [numero]
    if len(q) > 20:
        return []
    digitos = re.sub(r"[^0-9]", "", q)
    return [digitos] if len(digitos) in (11, 14) else []


def de_processo(processo: dict[str, Any]) -> Entrada:
    """The entry of a process, from the snapshot its events carry."""
    interessados = processo.get("interessados") or []
    return Entrada(
        id=f"processo:{processo['id']}",
        tipo="processo",
        processo_id=processo["id"],
        versao=int(processo["versao"]),
        numero=processo["numero"],
        numero_formatado=processo["numero_formatado"],
        titulo=processo["especificacao"],
        texto=" ".join(
            [
                processo["tipo_nome"],
                processo.get("classificacao") or "",
                *(i["nome"] for i in interessados),
            ]
        ),
        tipo_processo=processo["tipo_nome"],
        tipo_documento=None,
        unidade_geradora_id=processo["unidade_geradora_id"],
        unidades=sorted(u["unidade_id"] for u in processo.get("unidades") or []),
        nivel=processo["nivel_efetivo"],
        credenciados=sorted(processo.get("credenciados") or []),
        documentos_id=[i["documento"] for i in interessados if i.get("documento")],
        assinantes=[],
        data=datetime.fromisoformat(processo["criado_em"]),
    )


def de_documento(
    documento: dict[str, Any], seq: int, do_processo: Entrada | None, texto: str | None
) -> Entrada:
    """A document's entry: its own fields, its process's number and access.

    Until its process is indexed, a document is visible to nobody (sigiloso with
    no holder); the process's entry re-filters it when it arrives.
    """
    base = do_processo
    return Entrada(
        id=f"documento:{documento['id']}",
        tipo="documento",
        processo_id=documento["processo_id"],
        versao=int(seq),
        numero=base.numero if base else "",
        numero_formatado=base.numero_formatado if base else "",
        titulo=documento["rotulo"],
        texto=texto or "",
        tipo_processo=base.tipo_processo if base else "",
        tipo_documento=documento["tipo_nome"],
        unidade_geradora_id=documento["unidade_id"],
        unidades=base.unidades if base else [],
        nivel=base.nivel if base else "sigiloso",
        credenciados=base.credenciados if base else [],
        documentos_id=[],
        assinantes=[a["nome"] for a in documento.get("assinantes") or []],
        data=datetime.fromisoformat(documento["criado_em"]),
        cancelado=documento.get("situacao") == "cancelado",
    )


def com_acesso_de(documento: Entrada, processo: Entrada) -> Entrada:
    return replace(
        documento,
        numero=processo.numero,
        numero_formatado=processo.numero_formatado,
        tipo_processo=processo.tipo_processo,
        unidades=processo.unidades,
        nivel=processo.nivel,
        credenciados=processo.credenciados,
    )

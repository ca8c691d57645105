"""The classification plan (plano de classificação) and its retention table (TTD).

Versions are published whole; old ones stay, with whatever still points at their
items (e-ARQ Brasil: a new version never reclassifies the past). Codes are
função `001`, subfunção `001.01`, atividade `001.01.001`; a code's parent is the
code without its last part.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from dataclasses import dataclass
from typing import Any

from services.chassis.errors import Conflito, DadosInvalidos, NaoEncontrado
from services.tenancy.domain.campos import texto

CODIGO_PATTERN = re.compile(r"\d{3}(\.\d{2}(\.\d{3})?)?")
DESTINACOES = ("eliminacao", "guarda_permanente")
CAMPOS_ITEM = (
    "codigo",
    "descricao",
    "prazo_corrente",
    "prazo_intermediario",
    "destinacao",
    "observacoes",
)
LIMITES_ITEM = {
    "descricao": 300,
    "prazo_corrente": 120,
    "prazo_intermediario": 120,
    "observacoes": 1000,
}
VERSAO_MAX, FONTE_MAX = 30, 500


def codigo_valido(codigo: object) -> bool:
    return isinstance(codigo, str) and CODIGO_PATTERN.fullmatch(codigo) is not None


def codigo_superior(codigo: str) -> str:
    """The parent's code; "" for a função."""
    return codigo.rpartition(".")[0]


def superior_presente(codigo: str, codigos: Container[str]) -> bool:
    pai = codigo_superior(codigo)
    return not pai or pai in codigos


def destinacao_valida(destinacao: object) -> bool:
    return destinacao is None or destinacao in DESTINACOES


def descricao_presente(descricao: object) -> bool:
    return isinstance(descricao, str) and bool(descricao.strip())


def _problemas_do_item(item: Mapping[str, Any], anteriores: Container[str]) -> list[tuple]:
    """(field, message) of each problem of one item, given the codes listed before it."""
    codigo = item.get("codigo")
    if not codigo_valido(codigo):
        return [("codigo", "código inválido")]
    problemas = []
    if codigo in anteriores:
        problemas.append(("codigo", "código repetido"))
    if not superior_presente(codigo, anteriores):
        problemas.append(("codigo", f"o código superior {codigo_superior(codigo)} não vem antes"))
    if not descricao_presente(item.get("descricao")):
        problemas.append(("descricao", "campo obrigatório"))
    for campo, maximo in LIMITES_ITEM.items():
        if isinstance(item.get(campo), str) and len(item[campo]) > maximo:
            problemas.append((campo, f"no máximo {maximo} caracteres"))
    if not destinacao_valida(item.get("destinacao")):
        problemas.append(("destinacao", "destinação inválida"))
    return problemas


def validar_itens(itens: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items of a new version, each with only its fields; parents before children.

    Every problem of the plan is refused at once, as (item index, field, message).
    """
    problemas, vistos, limpos = [], set(), []
    for n, item in enumerate(itens):
        achados = _problemas_do_item(item, vistos)
        problemas += [{"item": n, "campo": campo, "mensagem": m} for campo, m in achados]
        if codigo_valido(item.get("codigo")):
            vistos.add(item["codigo"])
            limpos.append({k: item.get(k) for k in CAMPOS_ITEM})
    if problemas:
        raise DadosInvalidos(
            f"O plano tem {len(problemas)} problema(s).",
            code="plano_invalido",
            details={"problemas": problemas},
        )
    return limpos


@dataclass(frozen=True)
class VersaoPlano:
    """A version about to be published: its name, its source and its validated items."""

    versao: str
    fonte: str
    itens: list[dict[str, Any]]

    @classmethod
    def nova(cls, versao: str, fonte: str, itens: list[dict[str, Any]]) -> VersaoPlano:
        versao, fonte = texto(versao, "versao", VERSAO_MAX), texto(fonte, "fonte", FONTE_MAX)
        return cls(versao, fonte, validar_itens(itens))


def exigir_versao_inedita(versao: str, publicada: bool) -> None:
    if publicada:
        raise Conflito(f"A versão {versao} já foi publicada.", code="versao_duplicada")


def exigir_item(item_id: str | None, codigo: str, rotulo: str = "Código") -> str:
    """The id of `codigo`'s item in the current plan; refused when the plan has no such code."""
    if item_id is None:
        raise NaoEncontrado(
            f"{rotulo} {codigo!r} não existe no plano vigente.", code="classificacao_nao_encontrada"
        )
    return item_id


def checar_exclusao(codigo: str, tipos_que_usam: int, filhos: int) -> None:
    """A code of the current version is deleted only while nothing uses it (e-ARQ 1.1.9)."""
    if tipos_que_usam or filhos:
        raise Conflito(
            f"O código {codigo} está em uso e não pode ser excluído.", code="codigo_em_uso"
        )

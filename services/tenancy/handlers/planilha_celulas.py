"""How tenancy's sheets read their cells into what the domain's rules take.

The rules are the domain's; a sheet only says which cell a refusal belongs to,
and words it for a person filling in a spreadsheet (labels such as "anual na
unidade" instead of stored values, row numbers) where that helps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from services.chassis.errors import DadosInvalidos, SemPapelError
from services.chassis.spreadsheet import Review, Row, SheetSpec, normalize_name
from services.tenancy.domain.campos import texto

T = TypeVar("T")
SIM_NAO = ("sim", "não")
_VERDADEIRO = {"sim", "s", "x", "verdadeiro", "true", "1"}
_FALSO = {"", "nao", "n", "falso", "false", "0"}


def conferir(
    review: Review,
    sheet: SheetSpec,
    row: Row,
    coluna: str,
    regra: Callable[[], T],
    mensagem: str | None = None,
) -> T | None:
    """`regra()`, or None once its refusal is reported on the cell (worded by `mensagem`)."""
    try:
        return regra()
    except SemPapelError as exc:
        review.problem(sheet, row, coluna, exc.code, mensagem or exc.message)
        return None


def texto_da_celula(row: Row, key: str, maximo: int, obrigatorio: bool) -> str | None:
    """The cell's text under the domain's rule for text; None for an empty optional cell."""
    valor = row.get(key) or ""
    if not valor and obrigatorio:
        raise DadosInvalidos("Campo obrigatório.", code="campo_obrigatorio")
    return texto(valor, key, maximo) if valor else None


def sim_nao(texto_celula: str) -> bool:
    chave = normalize_name(texto_celula)
    if chave not in _VERDADEIRO | _FALSO:
        raise DadosInvalidos("Use sim ou não.", code="valor_invalido")
    return chave in _VERDADEIRO


def rotulos(opcoes: dict[str, str], valores: tuple[str, ...]) -> dict[str, str]:
    """Accept each stored value and its label: {'anual_unidade': ..., 'anualnaunidade': ...}."""
    aceitos = {normalize_name(v): v for v in valores}
    aceitos.update({normalize_name(rotulo): valor for rotulo, valor in opcoes.items()})
    return aceitos


def do_rotulo(texto_celula: str, aceitos: dict[str, str], padrao: str | None) -> str | None:
    """The stored value for a label typed in any case or accentuation; what was typed, for the
    domain to refuse, when it is no label at all."""
    if not texto_celula:
        return padrao
    return aceitos.get(normalize_name(texto_celula), texto_celula)


def linhas_por_chave(
    review: Review,
    sheet: SheetSpec,
    rows: list[Row],
    coluna: str,
    chave: Callable[[Row], str],
    repetida: tuple[str, str],
) -> Iterator[tuple[str, Row]]:
    """(key, row) of each row, as it is read; a row whose key is refused, or repeats a row
    above, is a problem instead.

    `repetida`: the problem's code and message ({chave} and {linha}, the first row's number).
    """
    vistas: dict[str, Row] = {}
    for row in rows:
        valor = conferir(review, sheet, row, coluna, lambda row=row: chave(row))
        if valor is not None and valor in vistas:
            mensagem = repetida[1].format(chave=valor, linha=vistas[valor].number)
            review.problem(sheet, row, coluna, repetida[0], mensagem)
        elif valor is not None:
            vistas[valor] = row
            yield valor, row


def alteracoes(
    review: Review,
    sheet: SheetSpec,
    row: Row,
    chave: str,
    atual: dict[str, Any] | None,
    desejado: dict[str, Any],
    colunas: dict[str, str] | None = None,
) -> dict[str, Any] | None:
    """Record the row's change; the values to write, or None when it changes nothing."""
    if atual is None:
        review.change(sheet, row, chave, "criar")
        return desejado
    mudou = {k: v for k, v in desejado.items() if v != atual[k]}
    if mudou:
        review.change(sheet, row, chave, "alterar", [(colunas or {}).get(k, k) for k in mudou])
        return mudou
    review.unchanged[sheet.title] += 1
    return None

"""The classification plan's sheet of the onboarding spreadsheet: the key is the code.

Codes already in the current plan are updated, new ones added; when anything
changes a new version is published with the current codes and the sheet's
(processes already classified keep the version they had).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from services.chassis.errors import DadosInvalidos
from services.chassis.spreadsheet import Column, Review, Row, SheetSpec
from services.tenancy.domain.plano import (
    CAMPOS_ITEM,
    DESTINACOES,
    LIMITES_ITEM,
    VersaoPlano,
    codigo_superior,
    codigo_valido,
    destinacao_valida,
    superior_presente,
)
from services.tenancy.handlers.planilha_celulas import (
    conferir,
    do_rotulo,
    linhas_por_chave,
    rotulos,
    texto_da_celula,
)
from services.tenancy.repository import gravar_versao, itens_vigentes
from services.tenancy.tenant_tables import plano_item

ROTULOS_DESTINACAO = {"eliminação": "eliminacao", "guarda permanente": "guarda_permanente"}

PLANO = SheetSpec(
    title="Plano de classificação",
    csv_names=("plano", "plano_classificacao", "plano-de-classificacao"),
    help=(
        "Códigos do plano e da tabela de temporalidade. A chave é o código: um código já "
        "existente é atualizado. Havendo mudanças, publica-se uma nova versão do plano com "
        "os códigos atuais e os da planilha; processos já classificados mantêm sua versão."
    ),
    columns=(
        Column("codigo", "Código", required=True, width=12, help="001, 001.01 ou 001.01.001"),
        Column("descricao", "Descrição", required=True, width=50),
        Column("prazo_corrente", "Prazo na fase corrente", width=22, help="anos ou evento"),
        Column("prazo_intermediario", "Prazo na fase intermediária", width=22),
        Column("destinacao", "Destinação final", options=tuple(ROTULOS_DESTINACAO), width=20),
        Column("observacoes", "Observações", width=40),
    ),
)
_DESTINACOES = rotulos(ROTULOS_DESTINACAO, DESTINACOES)


@dataclass
class _PlanoVersao:
    itens: list[dict[str, Any]] | None  # the whole new version, or None when nothing changes


def _codigo(row: Row) -> str:
    codigo = row.get("codigo") or ""
    if not codigo_valido(codigo):
        raise DadosInvalidos(
            "Código inválido: use 001, 001.01 ou 001.01.001.", code="codigo_invalido"
        )
    return codigo


def _destinacao(row: Row) -> str | None:
    destinacao = do_rotulo(row.values["destinacao"], _DESTINACOES, "") or None
    if not destinacao_valida(destinacao):
        raise DadosInvalidos("Use eliminação ou guarda permanente.", code="destinacao_invalida")
    return destinacao


def _item(review: Review, row: Row, codigo: str, atual: dict[str, Any] | None) -> dict:
    """The code's item as the row leaves it: a cell present in the sheet replaces the value."""
    item = dict(atual or dict.fromkeys(CAMPOS_ITEM))
    item["codigo"] = codigo
    for key, maximo in LIMITES_ITEM.items():
        if row.get(key) is not None:
            regra = partial(texto_da_celula, row, key, maximo, key == "descricao")
            item[key] = conferir(review, PLANO, row, key, regra)
    if row.get("destinacao") is not None:
        item["destinacao"] = conferir(review, PLANO, row, "destinacao", partial(_destinacao, row))
    return item


def _superiores(review: Review, novos: dict[str, tuple[Row, dict]], todos: dict) -> None:
    for codigo, (row, _) in novos.items():
        if not superior_presente(codigo, todos):
            mensagem = (
                f"O código superior {codigo_superior(codigo)} não existe no plano nem na planilha."
            )
            review.problem(PLANO, row, "codigo", "codigo_superior_inexistente", mensagem)


def _mudou(review: Review, novos: dict[str, tuple[Row, dict]], atuais: dict) -> bool:
    mudou = False
    for codigo, (row, item) in novos.items():
        atual = atuais.get(codigo)
        if atual is None:
            review.change(PLANO, row, codigo, "criar")
            mudou = True
        elif campos := [k for k in CAMPOS_ITEM if item[k] != atual[k]]:
            review.change(PLANO, row, codigo, "alterar", campos)
            mudou = True
        else:
            review.unchanged[PLANO.title] += 1
    return mudou


class PlanoImporter:
    sheet = PLANO
    order = 20

    def review(
        self, session: Session, rows: list[Row], shared: dict[str, Any], review: Review
    ) -> _PlanoVersao:
        vigente = session.execute(itens_vigentes(plano_item))
        atuais = {r.codigo: {k: r._mapping[k] for k in CAMPOS_ITEM} for r in vigente}
        repetido = ("codigo_repetido", "Código {chave} repetido (linha {linha}).")
        novos = {
            codigo: (row, _item(review, row, codigo, atuais.get(codigo)))
            for codigo, row in linhas_por_chave(review, PLANO, rows, "codigo", _codigo, repetido)
        }
        todos = {**atuais, **{c: item for c, (_, item) in novos.items()}}
        _superiores(review, novos, todos)
        shared["classificacoes"] = set(todos)
        mudou = _mudou(review, novos, atuais)
        return _PlanoVersao([todos[c] for c in sorted(todos)] if mudou else None)

    def apply(
        self, session: Session, plan: _PlanoVersao, shared: dict[str, Any], report: dict
    ) -> None:
        if plan.itens is None:
            return
        versao = f"planilha-{datetime.now(UTC):%Y%m%d-%H%M%S}"
        fonte = "Importada da planilha de encaminhamentos."
        gravar_versao(session, VersaoPlano(versao, fonte, plan.itens))
        report["plano_versao_publicada"] = versao

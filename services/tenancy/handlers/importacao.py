"""Importing the onboarding spreadsheet (planilha de encaminhamentos) into one municipality.

Every sheet is reviewed before anything is written, and every problem is reported
at once (sheet, row, column, message); with any problem nothing is written.
Otherwise all sheets are applied in one transaction of the municipality's schema.
The sheets come from the services that own their data (entry point group
`sempapel.planilha`): tenancy's units and catalog, auth's users. All live in the
municipality's schema, which is what lets one transaction cover them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from importlib.metadata import entry_points
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.chassis.errors import DadosInvalidos
from services.chassis.spreadsheet import (
    ENTRY_POINT_GROUP,
    Review,
    Row,
    SheetImporter,
    problems_body,
    read_files,
    write_template,
)
from services.chassis.tenant_session import UnitOfWork
from services.tenancy.tables import municipio

_log = structlog.get_logger("sempapel.tenancy")

INSTRUCOES = [
    "Planilha de encaminhamentos — Prefeitura sem Papel",
    "",
    "Preencha as abas a partir da linha 2, sem mudar os títulos da linha 1. Abas e colunas "
    "opcionais podem ficar vazias ou ser apagadas.",
    "Unidades: a sigla identifica a unidade; uma sigla já cadastrada é atualizada.",
    "Usuários: uma linha por usuário e unidade. Contas novas recebem um código de ativação "
    "de uso único, que só o administrador vê no relatório da importação.",
    "Tipos de processo e de documento: o nome identifica o tipo; um tipo já cadastrado é "
    "atualizado.",
    "Plano de classificação: o código identifica o item. Havendo mudanças, uma nova versão "
    "do plano é publicada; processos já classificados mantêm a versão que tinham.",
    "Célula vazia não apaga nada: num cadastro novo vale o padrão da coluna; num existente, "
    "fica o valor atual (a hipótese legal sai quando o nível passa a público).",
    "Nada é apagado nem desativado pela importação. Importar o mesmo arquivo de novo não "
    "muda nada.",
    "Antes de gravar, tudo é conferido: havendo qualquer problema, o relatório lista todos "
    "(aba, linha, coluna) e nada é gravado. Use a simulação para ver o que mudaria.",
    "Também é possível enviar um arquivo CSV por aba, com o nome da aba "
    "(unidades.csv, usuarios.csv, tipos_processo.csv, tipos_documento.csv, plano.csv).",
]


@cache
def importers() -> tuple[SheetImporter, ...]:
    found = [imp for ep in entry_points(group=ENTRY_POINT_GROUP) for imp in ep.load()]
    return tuple(sorted(found, key=lambda imp: imp.order))


# The order a city hall fills them in (the import itself follows each importer's order).
ORDEM_MODELO = (
    "Unidades",
    "Usuários",
    "Tipos de processo",
    "Tipos de documento",
    "Plano de classificação",
)


def modelo() -> bytes:
    """The XLSX template: a read-me sheet and one sheet per importer."""
    sheets = sorted(
        (imp.sheet for imp in importers()),
        key=lambda s: ORDEM_MODELO.index(s.title) if s.title in ORDEM_MODELO else 99,
    )
    return write_template(sheets, INSTRUCOES)


def _recusar(problemas: list[Any]) -> DadosInvalidos:
    return DadosInvalidos(
        f"A planilha tem {len(problemas)} problema(s); nada foi importado.",
        code="planilha_invalida",
        details=problems_body(problemas),
    )


def ler(arquivos: list[tuple[str, bytes]]) -> dict[str, list[Row]]:
    """Rows by sheet from an XLSX or CSV files; every reading problem at once, or the rows.

    Pure CPU and no database: the service runs it in a thread, off the eventlet hub.
    """
    linhas, problemas = read_files(arquivos, [imp.sheet for imp in importers()])
    if problemas:
        raise _recusar(problemas)
    return linhas


def _revisar(session: Session, linhas: dict[str, list[Row]]) -> tuple[Review, dict, list]:
    """Every sheet reviewed in the importers' order: the review, what they share, their plans."""
    review, shared, plans = Review(), {}, []
    for imp in importers():
        plans.append(imp.review(session, linhas.get(imp.sheet.title, []), shared, review))
    if review.problems:
        raise _recusar(review.problems)
    return review, shared, plans


def _relatorio(ibge: str, linhas: dict[str, list[Row]], review: Review, simular: bool) -> dict:
    return {
        "municipio": ibge,
        "simulacao": simular,
        "linhas": {title: len(rows) for title, rows in linhas.items()},
        "resumo": review.summary([imp.sheet for imp in importers()]),
        "alteracoes": [
            {
                "aba": c.aba,
                "linha": c.linha,
                "chave": c.chave,
                "acao": c.acao,
                "campos": list(c.campos),
            }
            for c in review.changes
        ],
    }


def importar(uow: UnitOfWork, linhas: dict[str, list[Row]], simular: bool) -> dict[str, Any]:
    """Review every sheet; then, unless simulating, apply them all in one transaction."""
    ibge = uow.tenant.ibge
    with uow:
        # Imports of one municipality queue here; reads go on.
        uow.session.execute(
            select(municipio.c.ibge).where(municipio.c.ibge == ibge).with_for_update()
        )
        review, shared, plans = _revisar(uow.session, linhas)
        report = _relatorio(ibge, linhas, review, simular)
        if simular or not review.changes:
            report["codigos_ativacao"] = []
            return report
        for imp, plan in zip(importers(), plans, strict=True):
            imp.apply(uow.session, plan, shared, report)
        uow.commit()
    report["importado_em"] = datetime.now(UTC).isoformat()
    _log.info("planilha_importada", alteracoes=len(review.changes))
    return report

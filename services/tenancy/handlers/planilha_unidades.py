"""The units sheet of the onboarding spreadsheet: the key is the sigla.

Units are written in bulk (a city hall may bring hundreds), under the organograma's
rules: siglas and names as the domain takes them, no cycle in the tree, a new
version whenever a unit's place changes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.chassis.spreadsheet import Column, Review, Row, SheetSpec
from services.tenancy.domain.campos import NOME_MAX
from services.tenancy.domain.unidades import LUGAR, muda_lugar, normalizar_sigla, validar_pai
from services.tenancy.handlers.planilha_celulas import (
    SIM_NAO,
    conferir,
    linhas_por_chave,
    sim_nao,
    texto_da_celula,
)
from services.tenancy.tenant_tables import unidade, unidade_versao

UNIDADES = SheetSpec(
    title="Unidades",
    csv_names=("unidades",),
    help="Uma linha por unidade. A chave é a sigla: uma sigla já cadastrada é atualizada.",
    columns=(
        Column("sigla", "Sigla", required=True, width=14, help="Até 30 letras maiúsculas"),
        Column("nome", "Nome", required=True, width=50),
        Column(
            "superior",
            "Unidade superior",
            width=18,
            help="Sigla da unidade a que esta se subordina; vazia para uma unidade raiz",
        ),
        Column("protocolo", "Protocolo", options=SIM_NAO, width=11, help="Unidade de protocolo"),
        Column("arquivo", "Arquivo", options=SIM_NAO, width=11, help="Unidade de arquivo"),
    ),
)


@dataclass
class _LinhaUnidade:
    row: Row
    sigla: str
    nome: str | None
    superior: str | None = None  # sigla; None: a root if new, else keeps its place
    protocolo: bool | None = None
    arquivo: bool | None = None


@dataclass
class _PlanoUnidades:
    novas: list[dict[str, Any]] = field(default_factory=list)
    alteradas: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)


def _sigla(row: Row) -> str:
    return normalizar_sigla(row.get("sigla") or "")


def _ler(review: Review, row: Row, sigla: str) -> _LinhaUnidade:
    def celula(key: str, regra: Any) -> Any:
        return conferir(review, UNIDADES, row, key, regra) if row.get(key) else None

    nome = conferir(
        review, UNIDADES, row, "nome", lambda: texto_da_celula(row, "nome", NOME_MAX, True)
    )
    return _LinhaUnidade(
        row,
        sigla,
        nome,
        celula("superior", lambda: normalizar_sigla(row.values["superior"])),
        celula("protocolo", lambda: sim_nao(row.values["protocolo"])),
        celula("arquivo", lambda: sim_nao(row.values["arquivo"])),
    )


def _pais(
    review: Review, linhas: dict[str, _LinhaUnidade], atuais: dict, ids: dict[str, str]
) -> dict[str, str | None]:
    """Every unit's parent id as the sheet leaves it; superiors that exist nowhere reported."""
    pais = {u["id"]: u["unidade_pai_id"] for u in atuais.values()}
    for sigla, linha in linhas.items():
        if linha.superior and linha.superior not in ids:
            mensagem = f"A unidade superior {linha.superior} não existe nem está na planilha."
            review.problem(UNIDADES, linha.row, "superior", "unidade_pai_inexistente", mensagem)
            linha.superior = None
        if linha.superior is not None:
            pais[ids[sigla]] = ids[linha.superior]
        elif sigla not in atuais:
            pais[ids[sigla]] = None
    return pais


def _sem_ciclos(
    review: Review, linhas: dict[str, _LinhaUnidade], ids: dict[str, str], pais: dict
) -> None:
    for sigla, linha in linhas.items():
        mensagem = f"A unidade {sigla} ficaria subordinada a si mesma (ciclo na hierarquia)."
        regra = partial(validar_pai, pais, ids[sigla], pais.get(ids[sigla]))
        conferir(review, UNIDADES, linha.row, "superior", regra, mensagem)


def _mudancas(linha: _LinhaUnidade, atual: dict[str, Any], pai_id: str | None) -> dict:
    """Only what the sheet states: an empty cell keeps the stored value."""
    desejado = {"nome": linha.nome, "protocolo": linha.protocolo, "arquivo": linha.arquivo}
    if linha.superior is not None:
        desejado["unidade_pai_id"] = pai_id
    return {k: v for k, v in desejado.items() if v is not None and v != atual[k]}


def _planejar(
    review: Review, linhas: dict[str, _LinhaUnidade], atuais: dict, ids: dict, pais: dict
) -> _PlanoUnidades:
    plano = _PlanoUnidades()
    for sigla, linha in linhas.items():
        atual = atuais.get(sigla)
        if atual is None:
            review.change(UNIDADES, linha.row, sigla, "criar")
            plano.novas.append(_nova(linha, ids[sigla], pais[ids[sigla]]))
        elif mudou := _mudancas(linha, atual, pais[ids[sigla]]):
            campos = ["superior" if k == "unidade_pai_id" else k for k in mudou]
            review.change(UNIDADES, linha.row, sigla, "alterar", campos)
            plano.alteradas.append((atual, mudou))
        else:
            review.unchanged[UNIDADES.title] += 1
    return plano


def _nova(linha: _LinhaUnidade, id_: str, pai_id: str | None) -> dict[str, Any]:
    return {
        "id": id_,
        "sigla": linha.sigla,
        "nome": linha.nome,
        "unidade_pai_id": pai_id,
        "protocolo": bool(linha.protocolo),
        "arquivo": bool(linha.arquivo),
    }


def _pais_antes(novas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """New units, parents before children: foreign keys are checked row by row on Oracle."""
    por_id = {u["id"]: u for u in novas}
    ordem: list[dict[str, Any]] = []
    colocadas: set[str] = set()

    def colocar(u: dict[str, Any]) -> None:
        pai = por_id.get(u["unidade_pai_id"] or "")
        if pai is not None and pai["id"] not in colocadas:
            colocar(pai)
        if u["id"] not in colocadas:
            colocadas.add(u["id"])
            ordem.append(u)

    for u in novas:
        colocar(u)
    return ordem


def _versao(u: dict[str, Any], agora: datetime) -> dict[str, Any]:
    lugar = {campo: u[campo] for campo in LUGAR}
    return {"id": uuid.uuid4().hex, "unidade_id": u["id"], **lugar, "valida_de": agora}


class UnidadesImporter:
    sheet = UNIDADES
    order = 10

    def review(
        self, session: Session, rows: list[Row], shared: dict[str, Any], review: Review
    ) -> _PlanoUnidades:
        atuais = {r.sigla: dict(r._mapping) for r in session.execute(select(unidade))}
        repetida = ("sigla_duplicada", "Sigla {chave} repetida (linha {linha}).")
        linhas = {
            sigla: _ler(review, row, sigla)
            for sigla, row in linhas_por_chave(review, UNIDADES, rows, "sigla", _sigla, repetida)
        }
        ids = {s: u["id"] for s, u in atuais.items()}
        ids.update({s: uuid.uuid4().hex for s in linhas if s not in ids})
        pais = _pais(review, linhas, atuais, ids)
        _sem_ciclos(review, linhas, ids, pais)
        shared["unidades"] = ids
        return _planejar(review, linhas, atuais, ids, pais)

    def apply(
        self, session: Session, plan: _PlanoUnidades, shared: dict[str, Any], report: dict
    ) -> None:
        agora = datetime.now(UTC)
        novas = _pais_antes(plan.novas)
        if novas:
            linhas = [
                {**u, "ativa": True, "criado_em": agora, "atualizado_em": agora} for u in novas
            ]
            session.execute(unidade.insert(), linhas)
        versoes = [_versao(u, agora) for u in novas]
        for atual, mudou in plan.alteradas:
            session.execute(
                unidade.update()
                .where(unidade.c.id == atual["id"])
                .values(**mudou, atualizado_em=agora)
            )
            if muda_lugar(mudou):
                _fechar_versao(session, atual["id"], agora)
                versoes.append(_versao({**atual, **mudou}, agora))
        if versoes:
            session.execute(unidade_versao.insert(), versoes)


def _fechar_versao(session: Session, unidade_id: str, agora: datetime) -> None:
    session.execute(
        unidade_versao.update()
        .where(unidade_versao.c.unidade_id == unidade_id, unidade_versao.c.valida_ate.is_(None))
        .values(valida_ate=agora)
    )

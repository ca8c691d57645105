"""The document and process types' sheets of the onboarding spreadsheet: the key is the name.

A type already registered is updated with what its row states. An empty cell keeps
the stored value; for a new type the column's default applies. A process type
whose level becomes público loses its hypothesis.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.chassis.niveis_acesso import NIVEIS as NIVEIS_ACESSO
from services.chassis.niveis_acesso import validar_nivel
from services.chassis.spreadsheet import Column, Review, Row, SheetSpec
from services.tenancy.domain.campos import NOME_MAX
from services.tenancy.domain.catalogo import (
    APLICACOES,
    NUMERACOES,
    checar_nivel,
    exigir_hipotese,
    opcao,
)
from services.tenancy.domain.plano import exigir_item
from services.tenancy.handlers.planilha_celulas import (
    alteracoes,
    conferir,
    do_rotulo,
    linhas_por_chave,
    rotulos,
    texto_da_celula,
)
from services.tenancy.repository import hipoteses_ativas, itens_vigentes
from services.tenancy.tenant_tables import plano_item, tipo_documento, tipo_processo

ROTULOS_NUMERACAO = {
    "nenhuma": "nenhuma",
    "sequencial na unidade": "sequencial_unidade",
    "anual na unidade": "anual_unidade",
    "anual no município": "anual_municipio",
}
ROTULOS_APLICACAO = {"interno": "interno", "externo": "externo", "ambos": "ambos"}
ROTULOS_NIVEL = {"público": "publico", "restrito": "restrito", "sigiloso": "sigiloso"}

TIPOS_DOCUMENTO = SheetSpec(
    title="Tipos de documento",
    csv_names=("tipos_documento", "tipos-de-documento", "tipos_de_documento"),
    help="A chave é o nome: um tipo já cadastrado é atualizado.",
    columns=(
        Column("nome", "Nome", required=True, width=40),
        Column(
            "aplicacao",
            "Aplicação",
            options=tuple(ROTULOS_APLICACAO),
            width=12,
            help="interno (produzido na plataforma), externo (incluído de fora) ou ambos; "
            "padrão: ambos",
        ),
        Column(
            "numeracao",
            "Numeração",
            options=tuple(ROTULOS_NUMERACAO),
            width=22,
            help="padrão: nenhuma",
        ),
    ),
)
TIPOS_PROCESSO = SheetSpec(
    title="Tipos de processo",
    csv_names=("tipos_processo", "tipos-de-processo", "tipos_de_processo"),
    help="A chave é o nome: um tipo já cadastrado é atualizado.",
    columns=(
        Column("nome", "Nome", required=True, width=45),
        Column(
            "classificacao",
            "Classificação",
            width=14,
            help="Código do plano de classificação (obrigatório para um tipo novo)",
        ),
        Column(
            "nivel",
            "Nível de acesso sugerido",
            options=tuple(ROTULOS_NIVEL),
            width=14,
            help="padrão: público",
        ),
        Column(
            "hipotese",
            "Hipótese legal",
            width=30,
            help="Nome de uma hipótese legal cadastrada; obrigatória para restrito e sigiloso",
        ),
    ),
)
# Each option column: the values the domain allows, what the sheet accepts for them (values
# and labels), the default for a new type, and a refusal worded with the labels.
OPCOES_DOCUMENTO = (
    (
        "aplicacao",
        APLICACOES,
        rotulos(ROTULOS_APLICACAO, APLICACOES),
        "ambos",
        "Use interno, externo ou ambos.",
    ),
    (
        "numeracao",
        NUMERACOES,
        rotulos(ROTULOS_NUMERACAO, NUMERACOES),
        "nenhuma",
        "Use nenhuma, sequencial na unidade, anual na unidade ou anual no município.",
    ),
)
_NIVEIS = rotulos(ROTULOS_NIVEL, NIVEIS_ACESSO)
_COLUNAS_TIPO = {
    "codigo": "classificacao",
    "nivel_acesso_sugerido": "nivel",
    "hipotese_id": "hipotese",
}
_NOME_REPETIDO = ("nome_repetido", "Nome repetido (linha {linha}).")


def _nome(row: Row) -> str:
    return texto_da_celula(row, "nome", NOME_MAX, True)


def _por_nome(review: Review, sheet: SheetSpec, rows: list[Row]) -> list[tuple[str, Row]]:
    """Rows with a valid, unrepeated name (every name is checked before the other cells)."""
    return list(linhas_por_chave(review, sheet, rows, "nome", _nome, _NOME_REPETIDO))


@dataclass
class _PlanoTipos:
    novos: list[dict[str, Any]] = field(default_factory=list)
    alterados: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def registrar(self, nome: str, atual: dict[str, Any] | None, valores: dict | None) -> None:
        if valores is not None and atual is None:
            self.novos.append({"id": uuid.uuid4().hex, "nome": nome, **valores, "ativo": True})
        elif valores is not None:
            self.alterados.append((atual["id"], valores))


class TiposDocumentoImporter:
    sheet = TIPOS_DOCUMENTO
    order = 30

    def review(
        self, session: Session, rows: list[Row], shared: dict[str, Any], review: Review
    ) -> _PlanoTipos:
        atuais = {r.nome: dict(r._mapping) for r in session.execute(select(tipo_documento))}
        plano = _PlanoTipos()
        for nome, row in _por_nome(review, self.sheet, rows):
            atual = atuais.get(nome)
            desejado = {}
            for key, valores, aceitos, padrao, mensagem in OPCOES_DOCUMENTO:
                if row.get(key) or atual is None:
                    valor = do_rotulo(row.get(key) or "", aceitos, padrao)
                    regra = partial(opcao, valor, key, valores)
                    desejado[key] = conferir(review, self.sheet, row, key, regra, mensagem)
            plano.registrar(nome, atual, alteracoes(review, self.sheet, row, nome, atual, desejado))
        return plano

    def apply(
        self, session: Session, plan: _PlanoTipos, shared: dict[str, Any], report: dict
    ) -> None:
        if plan.novos:
            session.execute(tipo_documento.insert(), plan.novos)
        for id_, valores in plan.alterados:
            session.execute(
                tipo_documento.update().where(tipo_documento.c.id == id_).values(valores)
            )


@dataclass
class _Contexto:
    """What every row of the process types' sheet is checked against."""

    hipoteses: dict[str, Any]  # active ones, by name
    codigos: set[str]  # every code of the plan as the import leaves it

    def hipotese_por_id(self, id_: str | None) -> Any:
        return next((h for h in self.hipoteses.values() if h.id == id_), None)


def _classificacao(review: Review, row: Row, atual: dict | None, contexto: _Contexto) -> str:
    codigo = row.get("classificacao") or (atual["codigo"] if atual else "")
    if not codigo:
        mensagem = "Informe o código de classificação do tipo."
        review.problem(TIPOS_PROCESSO, row, "classificacao", "campo_obrigatorio", mensagem)
        return codigo
    # New codes have no item yet: the code itself stands for the item the import will make.
    item = codigo if codigo in contexto.codigos else None
    mensagem = f"O código {codigo} não existe no plano de classificação."
    regra = partial(exigir_item, item, codigo)
    conferir(review, TIPOS_PROCESSO, row, "classificacao", regra, mensagem)
    return codigo


def _hipotese(row: Row, atual: dict | None, nivel: str | None, contexto: _Contexto) -> Any:
    """The hypothesis the row names; else the stored one, unless the level becomes público."""
    nome = row.get("hipotese") or ""
    if nome:
        return exigir_hipotese(contexto.hipoteses.get(nome), nome)
    if atual is not None and nivel != "publico":
        return contexto.hipotese_por_id(atual["hipotese_id"])
    return None


def _tipo_processo(
    review: Review, row: Row, atual: dict | None, contexto: _Contexto
) -> dict[str, Any] | None:
    """The row's type as it should be stored; None when the row has problems."""
    sheet, antes = TIPOS_PROCESSO, len(review.problems)
    codigo = _classificacao(review, row, atual, contexto)
    padrao = atual["nivel_acesso_sugerido"] if atual else "publico"
    regra = partial(validar_nivel, do_rotulo(row.get("nivel") or "", _NIVEIS, padrao))
    nivel = conferir(review, sheet, row, "nivel", regra, "Use público, restrito ou sigiloso.")
    mensagem = f"Hipótese legal {row.get('hipotese')!r} não cadastrada ou inativa."
    regra = partial(_hipotese, row, atual, nivel, contexto)
    hipotese = conferir(review, sheet, row, "hipotese", regra, mensagem)
    if nivel is not None and len(review.problems) == antes:
        conferir(review, sheet, row, "hipotese", partial(checar_nivel, nivel, hipotese))
    if len(review.problems) > antes:
        return None
    hipotese_id = hipotese.id if hipotese else None
    return {"codigo": codigo, "nivel_acesso_sugerido": nivel, "hipotese_id": hipotese_id}


class TiposProcessoImporter:
    sheet = TIPOS_PROCESSO
    order = 40

    def review(
        self, session: Session, rows: list[Row], shared: dict[str, Any], review: Review
    ) -> _PlanoTipos:
        hipoteses = {h.nome: h for h in session.scalars(hipoteses_ativas())}
        contexto = _Contexto(hipoteses, shared.get("classificacoes", set()))
        classificados = select(tipo_processo, plano_item.c.codigo).outerjoin(
            plano_item, plano_item.c.id == tipo_processo.c.plano_item_id
        )
        atuais = {r.nome: dict(r._mapping) for r in session.execute(classificados)}
        plano = _PlanoTipos()
        for nome, row in _por_nome(review, self.sheet, rows):
            atual = atuais.get(nome)
            desejado = _tipo_processo(review, row, atual, contexto)
            if desejado is not None:
                valores = alteracoes(review, self.sheet, row, nome, atual, desejado, _COLUNAS_TIPO)
                plano.registrar(nome, atual, valores)
        return plano

    def apply(
        self, session: Session, plan: _PlanoTipos, shared: dict[str, Any], report: dict
    ) -> None:
        # Codes resolve to the current version, which the plan sheet may just have published.
        itens = dict(session.execute(itens_vigentes(plano_item.c.codigo, plano_item.c.id)).all())

        def linha(valores: dict[str, Any]) -> dict[str, Any]:
            valores = dict(valores)
            if "codigo" in valores:
                valores["plano_item_id"] = itens[valores.pop("codigo")]
            return valores

        if plan.novos:
            session.execute(tipo_processo.insert(), [linha(t) for t in plan.novos])
        for id_, valores in plan.alterados:
            session.execute(
                tipo_processo.update().where(tipo_processo.c.id == id_).values(linha(valores))
            )

"""tenancy's sheets of the onboarding spreadsheet: units, the plan, document and process types.

Each importer reviews every row against the municipality's current state (and the
sheets reviewed before it), reporting all problems at once, then applies its
changes in the importer's transaction. Keys: a unit's sigla, a type's name, a
plan code. A row equal to what is stored changes nothing, so importing the same
file twice leaves the same state. Nothing is deleted or deactivated by an import.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.chassis.errors import SemPapelError
from services.chassis.niveis_acesso import NIVEIS as NIVEIS_ACESSO
from services.chassis.niveis_acesso import checar_hipotese
from services.chassis.spreadsheet import Column, Review, Row, SheetSpec, normalize_name
from services.tenancy import catalogo
from services.tenancy import unidades as dominio
from services.tenancy.tenant_tables import (
    hipotese_legal,
    plano_item,
    plano_versao,
    tipo_documento,
    tipo_processo,
    unidade,
    unidade_versao,
)

SIM_NAO = ("sim", "não")
_VERDADEIRO = {"sim", "s", "x", "verdadeiro", "true", "1"}
_FALSO = {"", "nao", "n", "falso", "false", "0"}


def _id() -> str:
    return uuid.uuid4().hex


def _now() -> datetime:
    return datetime.now(UTC)


def _sim_nao(texto: str) -> bool | None:
    chave = normalize_name(texto)
    if chave in _VERDADEIRO:
        return True
    if chave in _FALSO:
        return False
    return None


def _opcao(texto: str, opcoes: dict[str, str], padrao: str | None) -> str | None:
    """The stored value for a label typed in any case or accentuation; None if unknown."""
    if not texto:
        return padrao
    return opcoes.get(normalize_name(texto))


def _rotulos(opcoes: dict[str, str], valores: tuple[str, ...]) -> dict[str, str]:
    """Accept each stored value and its label: {'anual_unidade': ..., 'anualnaunidade': ...}."""
    aceitos = {normalize_name(v): v for v in valores}
    aceitos.update({normalize_name(rotulo): valor for rotulo, valor in opcoes.items()})
    return aceitos


def _texto_limitado(
    review: Review, sheet: SheetSpec, row: Row, key: str, maximo: int, obrigatorio: bool
) -> str | None:
    valor = row.get(key) or ""
    if not valor:
        if obrigatorio:
            review.problem(sheet, row, key, "campo_obrigatorio", "Campo obrigatório.")
        return None
    if len(valor) > maximo:
        review.problem(sheet, row, key, "texto_longo_demais", f"Use no máximo {maximo} caracteres.")
        return None
    return valor


# Unidades


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


class UnidadesImporter:
    sheet = UNIDADES
    order = 10

    def review(
        self, session: Session, rows: list[Row], shared: dict[str, Any], review: Review
    ) -> _PlanoUnidades:
        sheet = self.sheet
        atuais = {r.sigla: dict(r._mapping) for r in session.execute(select(unidade))}
        linhas: dict[str, _LinhaUnidade] = {}
        for row in rows:
            try:
                sigla = dominio.normalizar_sigla(row.get("sigla") or "")
            except SemPapelError as exc:
                review.problem(sheet, row, "sigla", exc.code, exc.message)
                continue
            if sigla in linhas:
                review.problem(
                    sheet,
                    row,
                    "sigla",
                    "sigla_duplicada",
                    f"Sigla {sigla} repetida (linha {linhas[sigla].row.number}).",
                )
                continue
            linha = _LinhaUnidade(
                row, sigla, _texto_limitado(review, sheet, row, "nome", 200, True)
            )
            if row.get("superior"):
                try:
                    linha.superior = dominio.normalizar_sigla(row.values["superior"])
                except SemPapelError as exc:
                    review.problem(sheet, row, "superior", exc.code, exc.message)
            for flag in ("protocolo", "arquivo"):
                if row.get(flag):
                    valor = _sim_nao(row.values[flag])
                    if valor is None:
                        review.problem(sheet, row, flag, "valor_invalido", "Use sim ou não.")
                    setattr(linha, flag, valor)
            linhas[sigla] = linha

        ids = {sigla: u["id"] for sigla, u in atuais.items()}
        ids.update({sigla: _id() for sigla in linhas if sigla not in ids})
        pais = {u["id"]: u["unidade_pai_id"] for u in atuais.values()}
        for sigla, linha in linhas.items():
            if linha.superior and linha.superior not in ids:
                review.problem(
                    sheet,
                    linha.row,
                    "superior",
                    "unidade_pai_inexistente",
                    f"A unidade superior {linha.superior} não existe nem está na planilha.",
                )
                linha.superior = None
            if linha.superior is not None:
                pais[ids[sigla]] = ids[linha.superior]
            elif sigla not in atuais:
                pais[ids[sigla]] = None
        for sigla, linha in linhas.items():
            try:
                dominio.validar_pai(pais, ids[sigla], pais.get(ids[sigla]))
            except SemPapelError as exc:
                review.problem(
                    sheet,
                    linha.row,
                    "superior",
                    exc.code,
                    f"A unidade {sigla} ficaria subordinada a si mesma (ciclo na hierarquia).",
                )
        shared["unidades"] = ids

        plano = _PlanoUnidades()
        for sigla, linha in linhas.items():
            atual = atuais.get(sigla)
            if atual is None:
                review.change(sheet, linha.row, sigla, "criar")
                plano.novas.append(
                    {
                        "id": ids[sigla],
                        "sigla": sigla,
                        "nome": linha.nome,
                        "unidade_pai_id": pais[ids[sigla]],
                        "protocolo": bool(linha.protocolo),
                        "arquivo": bool(linha.arquivo),
                    }
                )
                continue
            # Only what the sheet states: an empty cell keeps the stored value.
            desejado = {"nome": linha.nome, "protocolo": linha.protocolo, "arquivo": linha.arquivo}
            if linha.superior is not None:
                desejado["unidade_pai_id"] = pais[ids[sigla]]
            mudou = {k: v for k, v in desejado.items() if v is not None and v != atual[k]}
            if (
                "unidade_pai_id" in desejado
                and desejado["unidade_pai_id"] != atual["unidade_pai_id"]
            ):
                mudou["unidade_pai_id"] = desejado["unidade_pai_id"]
            if mudou:
                campos = ["superior" if k == "unidade_pai_id" else k for k in mudou]
                review.change(sheet, linha.row, sigla, "alterar", campos)
                plano.alteradas.append((atual, mudou))
            else:
                review.unchanged[sheet.title] += 1
        return plano

    def apply(
        self, session: Session, plan: _PlanoUnidades, shared: dict[str, Any], report: dict
    ) -> None:
        agora = _now()
        # Parents before children: foreign keys are checked row by row on Oracle.
        novas = {u["id"]: u for u in plan.novas}
        ordem: list[dict[str, Any]] = []
        colocadas: set[str] = set()

        def colocar(u: dict[str, Any]) -> None:
            while u["id"] not in colocadas:
                pai = novas.get(u["unidade_pai_id"] or "")
                if pai is not None and pai["id"] not in colocadas:
                    colocar(pai)
                colocadas.add(u["id"])
                ordem.append(u)

        for u in plan.novas:
            colocar(u)
        if ordem:
            session.execute(
                unidade.insert(),
                [{**u, "ativa": True, "criado_em": agora, "atualizado_em": agora} for u in ordem],
            )
        versoes = [_versao(u, agora) for u in ordem]
        for atual, mudou in plan.alteradas:
            session.execute(
                unidade.update()
                .where(unidade.c.id == atual["id"])
                .values(**mudou, atualizado_em=agora)
            )
            if {"nome", "unidade_pai_id"} & set(mudou):
                session.execute(
                    unidade_versao.update()
                    .where(
                        unidade_versao.c.unidade_id == atual["id"],
                        unidade_versao.c.valida_ate.is_(None),
                    )
                    .values(valida_ate=agora)
                )
                versoes.append(_versao({**atual, **mudou}, agora))
        if versoes:
            session.execute(unidade_versao.insert(), versoes)


def _versao(u: dict[str, Any], agora: datetime) -> dict[str, Any]:
    return {
        "id": _id(),
        "unidade_id": u["id"],
        "sigla": u["sigla"],
        "nome": u["nome"],
        "unidade_pai_id": u["unidade_pai_id"],
        "valida_de": agora,
        "valida_ate": None,
    }


# Plano de classificação


DESTINACOES = {"eliminação": "eliminacao", "guarda permanente": "guarda_permanente"}

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
        Column("destinacao", "Destinação final", options=tuple(DESTINACOES), width=20),
        Column("observacoes", "Observações", width=40),
    ),
)
_DESTINACOES = _rotulos(DESTINACOES, catalogo.DESTINACOES)


@dataclass
class _PlanoVersao:
    itens: list[dict[str, Any]] | None  # the whole new version, or None when nothing changes


class PlanoImporter:
    sheet = PLANO
    order = 20

    def review(
        self, session: Session, rows: list[Row], shared: dict[str, Any], review: Review
    ) -> _PlanoVersao:
        sheet = self.sheet
        vigente = session.execute(
            select(plano_item)
            .join(plano_versao, plano_versao.c.id == plano_item.c.versao_id)
            .where(plano_versao.c.vigente.is_(True))
        )
        atuais = {r.codigo: {k: r._mapping[k] for k in catalogo.CAMPOS_ITEM} for r in vigente}
        novos: dict[str, tuple[Row, dict[str, Any]]] = {}
        for row in rows:
            codigo = row.get("codigo") or ""
            if not catalogo.CODIGO_PATTERN.fullmatch(codigo):
                review.problem(
                    sheet,
                    row,
                    "codigo",
                    "codigo_invalido",
                    "Código inválido: use 001, 001.01 ou 001.01.001.",
                )
                continue
            if codigo in novos:
                review.problem(
                    sheet,
                    row,
                    "codigo",
                    "codigo_repetido",
                    f"Código {codigo} repetido (linha {novos[codigo][0].number}).",
                )
                continue
            item = dict(atuais.get(codigo) or dict.fromkeys(catalogo.CAMPOS_ITEM))
            item["codigo"] = codigo
            for key, maximo in (
                ("descricao", 300),
                ("prazo_corrente", 120),
                ("prazo_intermediario", 120),
                ("observacoes", 1000),
            ):
                if row.get(key) is not None:
                    item[key] = _texto_limitado(review, sheet, row, key, maximo, key == "descricao")
            if row.get("destinacao") is not None:
                destinacao = _opcao(row.values["destinacao"], _DESTINACOES, "")
                if destinacao is None:
                    review.problem(
                        sheet,
                        row,
                        "destinacao",
                        "destinacao_invalida",
                        "Use eliminação ou guarda permanente.",
                    )
                item["destinacao"] = destinacao or None
            novos[codigo] = (row, item)

        todos = {**atuais, **{c: item for c, (_, item) in novos.items()}}
        for codigo, (row, _) in novos.items():
            pai = codigo.rpartition(".")[0]
            if pai and pai not in todos:
                review.problem(
                    sheet,
                    row,
                    "codigo",
                    "codigo_superior_inexistente",
                    f"O código superior {pai} não existe no plano nem na planilha.",
                )
        shared["classificacoes"] = set(todos)
        mudou = False
        for codigo, (row, item) in novos.items():
            atual = atuais.get(codigo)
            if atual is None:
                review.change(sheet, row, codigo, "criar")
                mudou = True
            elif campos := [k for k in catalogo.CAMPOS_ITEM if item[k] != atual[k]]:
                review.change(sheet, row, codigo, "alterar", campos)
                mudou = True
            else:
                review.unchanged[sheet.title] += 1
        return _PlanoVersao([todos[c] for c in sorted(todos)] if mudou else None)

    def apply(
        self, session: Session, plan: _PlanoVersao, shared: dict[str, Any], report: dict
    ) -> None:
        if plan.itens is None:
            return
        agora = _now()
        versao = f"planilha-{agora:%Y%m%d-%H%M%S}"
        catalogo.gravar_versao(
            session, versao, "Importada da planilha de encaminhamentos.", plan.itens
        )
        report["plano_versao_publicada"] = versao


# Tipos de documento


NUMERACOES = {
    "nenhuma": "nenhuma",
    "sequencial na unidade": "sequencial_unidade",
    "anual na unidade": "anual_unidade",
    "anual no município": "anual_municipio",
}
APLICACOES = {"interno": "interno", "externo": "externo", "ambos": "ambos"}

TIPOS_DOCUMENTO = SheetSpec(
    title="Tipos de documento",
    csv_names=("tipos_documento", "tipos-de-documento", "tipos_de_documento"),
    help="A chave é o nome: um tipo já cadastrado é atualizado.",
    columns=(
        Column("nome", "Nome", required=True, width=40),
        Column(
            "aplicacao",
            "Aplicação",
            options=tuple(APLICACOES),
            width=12,
            help="interno (produzido na plataforma), externo (incluído de fora) ou ambos; "
            "padrão: ambos",
        ),
        Column(
            "numeracao", "Numeração", options=tuple(NUMERACOES), width=22, help="padrão: nenhuma"
        ),
    ),
)
_NUMERACOES = _rotulos(NUMERACOES, catalogo.NUMERACOES)
_APLICACOES = _rotulos(APLICACOES, catalogo.APLICACOES)


def _por_nome(review: Review, sheet: SheetSpec, rows: list[Row]) -> list[tuple[Row, str]]:
    """Rows with a valid, unrepeated name."""
    vistos: dict[str, Row] = {}
    validas = []
    for row in rows:
        nome = _texto_limitado(review, sheet, row, "nome", 200, True)
        if nome is None:
            continue
        if nome in vistos:
            review.problem(
                sheet, row, "nome", "nome_repetido", f"Nome repetido (linha {vistos[nome].number})."
            )
            continue
        vistos[nome] = row
        validas.append((row, nome))
    return validas


def _alteracoes(
    review: Review,
    sheet: SheetSpec,
    row: Row,
    nome: str,
    atual: dict[str, Any] | None,
    desejado: dict[str, Any],
    colunas: dict[str, str] | None = None,
) -> dict[str, Any] | None:
    """Record the row's change; the values to write, or None when it changes nothing."""
    if atual is None:
        review.change(sheet, row, nome, "criar")
        return desejado
    mudou = {k: v for k, v in desejado.items() if v != atual[k]}
    if mudou:
        review.change(sheet, row, nome, "alterar", [(colunas or {}).get(k, k) for k in mudou])
        return mudou
    review.unchanged[sheet.title] += 1
    return None


@dataclass
class _PlanoTipos:
    novos: list[dict[str, Any]] = field(default_factory=list)
    alterados: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


class TiposDocumentoImporter:
    sheet = TIPOS_DOCUMENTO
    order = 30

    def review(
        self, session: Session, rows: list[Row], shared: dict[str, Any], review: Review
    ) -> _PlanoTipos:
        sheet = self.sheet
        atuais = {r.nome: dict(r._mapping) for r in session.execute(select(tipo_documento))}
        plano = _PlanoTipos()
        for row, nome in _por_nome(review, sheet, rows):
            atual = atuais.get(nome)
            desejado = {}
            for key, opcoes, padrao, mensagem in (
                ("aplicacao", _APLICACOES, "ambos", "Use interno, externo ou ambos."),
                (
                    "numeracao",
                    _NUMERACOES,
                    "nenhuma",
                    "Use nenhuma, sequencial na unidade, anual na unidade ou anual no município.",
                ),
            ):
                if not row.get(key) and atual is not None:
                    continue
                valor = _opcao(row.get(key) or "", opcoes, padrao)
                if valor is None:
                    review.problem(sheet, row, key, f"{key}_invalida", mensagem)
                desejado[key] = valor
            valores = _alteracoes(review, sheet, row, nome, atual, desejado)
            if valores is None:
                continue
            if atual is None:
                plano.novos.append({"id": _id(), "nome": nome, **valores, "ativo": True})
            else:
                plano.alterados.append((atual["id"], valores))
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


# Tipos de processo


NIVEIS = {"público": "publico", "restrito": "restrito", "sigiloso": "sigiloso"}

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
            options=tuple(NIVEIS),
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
_NIVEIS = _rotulos(NIVEIS, NIVEIS_ACESSO)
_COLUNAS_TIPO = {
    "codigo": "classificacao",
    "nivel_acesso_sugerido": "nivel",
    "hipotese_id": "hipotese",
}


class TiposProcessoImporter:
    sheet = TIPOS_PROCESSO
    order = 40

    def review(
        self, session: Session, rows: list[Row], shared: dict[str, Any], review: Review
    ) -> _PlanoTipos:
        sheet = self.sheet
        hipoteses = {
            r.nome: dict(r._mapping)
            for r in session.execute(select(hipotese_legal).where(hipotese_legal.c.ativa.is_(True)))
        }
        hipotese_por_id = {h["id"]: h for h in hipoteses.values()}
        codigos = shared.get("classificacoes", set())
        atuais = {
            r.nome: {**r._mapping, "codigo": r.codigo}
            for r in session.execute(
                select(tipo_processo, plano_item.c.codigo).outerjoin(
                    plano_item, plano_item.c.id == tipo_processo.c.plano_item_id
                )
            )
        }
        plano = _PlanoTipos()
        for row, nome in _por_nome(review, sheet, rows):
            atual = atuais.get(nome)
            problemas = len(review.problems)
            codigo = row.get("classificacao") or (atual["codigo"] if atual else "")
            if not codigo:
                review.problem(
                    sheet,
                    row,
                    "classificacao",
                    "campo_obrigatorio",
                    "Informe o código de classificação do tipo.",
                )
            elif codigo not in codigos:
                review.problem(
                    sheet,
                    row,
                    "classificacao",
                    "classificacao_nao_encontrada",
                    f"O código {codigo} não existe no plano de classificação.",
                )
            nivel = _opcao(
                row.get("nivel") or "",
                _NIVEIS,
                atual["nivel_acesso_sugerido"] if atual else "publico",
            )
            if nivel is None:
                review.problem(
                    sheet,
                    row,
                    "nivel",
                    "nivel_acesso_invalido",
                    "Use público, restrito ou sigiloso.",
                )
            hipotese_nome = row.get("hipotese") or ""
            if hipotese_nome:
                hipotese = hipoteses.get(hipotese_nome)
                if hipotese is None:
                    review.problem(
                        sheet,
                        row,
                        "hipotese",
                        "hipotese_legal_nao_encontrada",
                        f"Hipótese legal {hipotese_nome!r} não cadastrada ou inativa.",
                    )
            elif atual is not None and nivel != "publico":
                hipotese = hipotese_por_id.get(atual["hipotese_id"] or "")
            else:
                hipotese = None  # público takes none
            if nivel is not None and len(review.problems) == problemas:
                try:
                    checar_hipotese(nivel, hipotese)
                except SemPapelError as exc:
                    review.problem(sheet, row, "hipotese", exc.code, exc.message)
            if len(review.problems) > problemas:
                continue
            desejado = {
                "codigo": codigo,
                "nivel_acesso_sugerido": nivel,
                "hipotese_id": hipotese["id"] if hipotese else None,
            }
            valores = _alteracoes(review, sheet, row, nome, atual, desejado, _COLUNAS_TIPO)
            if valores is None:
                continue
            if atual is None:
                plano.novos.append({"id": _id(), "nome": nome, **valores, "ativo": True})
            else:
                plano.alterados.append((atual["id"], valores))
        return plano

    def apply(
        self, session: Session, plan: _PlanoTipos, shared: dict[str, Any], report: dict
    ) -> None:
        # Codes resolve to the current version, which the plan sheet may just have published.
        itens = dict(
            session.execute(
                select(plano_item.c.codigo, plano_item.c.id)
                .join(plano_versao, plano_versao.c.id == plano_item.c.versao_id)
                .where(plano_versao.c.vigente.is_(True))
            ).all()
        )

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


IMPORTERS = (UnidadesImporter(), PlanoImporter(), TiposDocumentoImporter(), TiposProcessoImporter())

"""auth's sheet of the onboarding spreadsheet: users and their units.

One row per user and unit (a user in three units takes three rows with the same
login and name). New accounts get no password: each gets a one-time activation
code, listed once in the import report for the administrator. The key is the
login; an existing user's name and profiles are updated, and nothing is revoked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.auth.domain import ativacao
from services.auth.domain.usuario import Usuario, validar_login, validar_nome, validar_perfil
from services.auth.settings import AuthSettings
from services.auth.tables import permissao, usuario
from services.chassis.errors import SemPapelError
from services.chassis.spreadsheet import Column, Review, Row, SheetSpec, normalize_name

PERFIS = {"básico": "basico", "administrador": "administrador"}
_PERFIS = {normalize_name(k): v for k, v in PERFIS.items()} | {
    "administradordomunicipio": "administrador"
}

USUARIOS = SheetSpec(
    title="Usuários",
    csv_names=("usuarios",),
    help=(
        "Uma linha por usuário e unidade. Contas novas não têm senha: o relatório da "
        "importação traz um código de ativação de uso único para cada uma."
    ),
    columns=(
        Column("login", "Login", required=True, width=18, help="Letras, números, . _ -"),
        Column("nome", "Nome", required=True, width=40),
        Column("unidade", "Unidade", required=True, width=14, help="Sigla da unidade"),
        Column("perfil", "Perfil", options=tuple(PERFIS), width=16, help="padrão: básico"),
    ),
)


@dataclass
class _Plano:
    novos: list[dict[str, Any]] = field(default_factory=list)
    renomeados: list[tuple[str, str]] = field(default_factory=list)
    permissoes_novas: list[dict[str, Any]] = field(default_factory=list)
    permissoes_alteradas: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class _Contexto:
    """The municipality as the sheet finds it, and the rows read so far."""

    unidades: dict[str, str]  # sigla -> id, the units sheet's included
    contas: dict[str, dict[str, str]]  # login -> {"id", "nome"}
    atuais: dict[tuple[str, str], str]  # (usuario_id, unidade_id) -> perfil
    primeiro: dict[str, tuple[Row, str]] = field(default_factory=dict)  # login -> (row, nome)
    vistos: dict[tuple[str, str], Row] = field(default_factory=dict)  # (login, sigla) -> row


@dataclass(frozen=True)
class _Linha:
    row: Row
    login: str
    nome: str
    sigla: str
    perfil: str  # "" keeps the stored profile (basico for a new permission)


def _contexto(session: Session, shared: dict[str, Any]) -> _Contexto:
    contas = {
        r.login: {"id": r.id, "nome": r.nome}
        for r in session.execute(select(usuario.c.id, usuario.c.login, usuario.c.nome))
    }
    perfis = select(permissao.c.usuario_id, permissao.c.unidade_id, permissao.c.perfil)
    atuais = {(r.usuario_id, r.unidade_id): r.perfil for r in session.execute(perfis)}
    return _Contexto(shared.get("unidades", {}), contas, atuais)


def _nome(review: Review, row: Row, login: str, contexto: _Contexto) -> str:
    nome = row.get("nome") or ""
    try:
        validar_nome(nome)
    except SemPapelError:
        mensagem = "Nome obrigatório (até 200 caracteres)."
        review.problem(USUARIOS, row, "nome", "campo_obrigatorio", mensagem)
        return nome
    primeira = contexto.primeiro.get(login)
    if primeira is not None and primeira[1] != nome:
        mensagem = f"O login {login} aparece na linha {primeira[0].number} com outro nome."
        review.problem(USUARIOS, row, "nome", "nome_divergente", mensagem)
    return nome


def _sigla(review: Review, row: Row, login: str, contexto: _Contexto) -> str:
    sigla = (row.get("unidade") or "").upper()
    if not sigla:
        review.problem(USUARIOS, row, "unidade", "campo_obrigatorio", "Informe a unidade.")
    elif sigla not in contexto.unidades:
        mensagem = f"A unidade {sigla} não existe nem está na aba Unidades."
        review.problem(USUARIOS, row, "unidade", "unidade_nao_encontrada", mensagem)
    elif (login, sigla) in contexto.vistos:
        mensagem = f"{login} em {sigla} repete a linha {contexto.vistos[login, sigla].number}."
        review.problem(USUARIOS, row, "unidade", "permissao_repetida", mensagem)
    return sigla


def _perfil(review: Review, row: Row) -> str:
    texto = row.get("perfil") or ""
    if not texto:
        return ""
    try:
        return validar_perfil(_PERFIS.get(normalize_name(texto), texto))
    except SemPapelError as exc:
        review.problem(USUARIOS, row, "perfil", exc.code, "Use básico ou administrador.")
        return ""


def _ler(review: Review, row: Row, contexto: _Contexto) -> _Linha | None:
    """The row's user, unit and profile; None when the row has problems (all reported)."""
    try:
        login = validar_login(row.get("login") or "")
    except SemPapelError as exc:
        review.problem(USUARIOS, row, "login", exc.code, exc.message)
        return None
    antes = len(review.problems)
    nome = _nome(review, row, login, contexto)
    sigla = _sigla(review, row, login, contexto)
    perfil = _perfil(review, row)
    return None if len(review.problems) > antes else _Linha(row, login, nome, sigla, perfil)


def _conta(plano: _Plano, contexto: _Contexto, linha: _Linha) -> tuple[dict, list[str]]:
    """The row's account (new ones planned on the login's first row), and its changed fields."""
    conta = contexto.contas.get(linha.login)
    if linha.login in contexto.primeiro:
        return conta, []
    contexto.primeiro[linha.login] = (linha.row, linha.nome)
    if conta is None:
        conta = {"id": uuid.uuid4().hex, "nome": linha.nome}
        contexto.contas[linha.login] = conta
        plano.novos.append({"id": conta["id"], "login": linha.login, "nome": linha.nome})
        return conta, []
    if conta["nome"] != linha.nome:
        plano.renomeados.append((conta["id"], linha.nome))
        return conta, ["nome"]
    return conta, []


def _planejar(review: Review, plano: _Plano, contexto: _Contexto, linha: _Linha) -> None:
    """One row is one user in one unit: "criar" when that pair is new."""
    contexto.vistos[linha.login, linha.sigla] = linha.row
    conta, campos = _conta(plano, contexto, linha)
    unidade_id, chave = contexto.unidades[linha.sigla], f"{linha.login} em {linha.sigla}"
    atual = contexto.atuais.get((conta["id"], unidade_id))
    if atual is None:
        perfil = linha.perfil or "basico"
        nova = {"usuario_id": conta["id"], "unidade_id": unidade_id, "perfil": perfil}
        plano.permissoes_novas.append(nova)
        review.change(USUARIOS, linha.row, chave, "criar")
        return
    if linha.perfil and atual != linha.perfil:
        plano.permissoes_alteradas.append((conta["id"], unidade_id, linha.perfil))
        campos.append("perfil")
    if campos:
        review.change(USUARIOS, linha.row, chave, "alterar", campos)
    else:
        review.unchanged[USUARIOS.title] += 1


def _contas_a_ativar(novos: list[dict], agora: datetime) -> tuple[list[dict], list[dict]]:
    """The new accounts' rows, and their one-time codes for the report."""
    dias = AuthSettings.from_env().activation_days  # once per import, in tenancy's process
    linhas, codigos = [], []
    for novo in novos:
        codigo = ativacao.novo_codigo()
        conta = Usuario.a_ativar(novo["id"], novo["login"], novo["nome"], codigo, agora, dias)
        linhas.append({c.key: getattr(conta, c.key) for c in usuario.columns})
        expira_em = conta.ativacao_expira_em.isoformat()
        codigos.append(
            {"usuario": conta.login, "nome": conta.nome, "codigo": codigo, "expira_em": expira_em}
        )
    return linhas, codigos


class UsuariosImporter:
    sheet = USUARIOS
    order = 50

    def review(
        self, session: Session, rows: list[Row], shared: dict[str, Any], review: Review
    ) -> _Plano:
        contexto, plano = _contexto(session, shared), _Plano()
        for row in rows:
            linha = _ler(review, row, contexto)
            if linha is not None:
                _planejar(review, plano, contexto, linha)
        return plano

    def apply(self, session: Session, plan: _Plano, shared: dict[str, Any], report: dict) -> None:
        agora = datetime.now(UTC)
        linhas, codigos = _contas_a_ativar(plan.novos, agora)
        if linhas:
            session.execute(usuario.insert(), linhas)
        for id_, nome in plan.renomeados:
            renomear = usuario.update().where(usuario.c.id == id_)
            session.execute(renomear.values(nome=nome, atualizado_em=agora))
        if plan.permissoes_novas:
            novas = [{**p, "concedida_em": agora} for p in plan.permissoes_novas]
            session.execute(permissao.insert(), novas)
        for usuario_id, unidade_id, perfil in plan.permissoes_alteradas:
            alterar = permissao.update().where(
                permissao.c.usuario_id == usuario_id, permissao.c.unidade_id == unidade_id
            )
            session.execute(alterar.values(perfil=perfil))
        report["codigos_ativacao"] = codigos


IMPORTERS = (UsuariosImporter(),)

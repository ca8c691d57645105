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

from services.auth import ativacao
from services.auth.domain import SEM_SENHA
from services.auth.handlers import validar_login
from services.auth.tables import permissao, usuario
from services.chassis.config import Settings
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


class UsuariosImporter:
    sheet = USUARIOS
    order = 50

    def review(
        self, session: Session, rows: list[Row], shared: dict[str, Any], review: Review
    ) -> _Plano:
        sheet = self.sheet
        unidades: dict[str, str] = shared.get("unidades", {})
        contas = {
            r.login: {"id": r.id, "nome": r.nome}
            for r in session.execute(select(usuario.c.id, usuario.c.login, usuario.c.nome))
        }
        atuais = {
            (r.usuario_id, r.unidade_id): r.perfil
            for r in session.execute(
                select(permissao.c.usuario_id, permissao.c.unidade_id, permissao.c.perfil)
            )
        }
        primeiro: dict[str, tuple[Row, str]] = {}
        vistos: dict[tuple[str, str], Row] = {}
        plano = _Plano()
        for row in rows:
            problemas = len(review.problems)
            try:
                login = validar_login(row.get("login") or "")
            except SemPapelError as exc:
                review.problem(sheet, row, "login", exc.code, exc.message)
                continue
            nome = row.get("nome") or ""
            if not nome or len(nome) > 200:
                review.problem(
                    sheet,
                    row,
                    "nome",
                    "campo_obrigatorio",
                    "Nome obrigatório (até 200 caracteres).",
                )
            elif login in primeiro and primeiro[login][1] != nome:
                review.problem(
                    sheet,
                    row,
                    "nome",
                    "nome_divergente",
                    f"O login {login} aparece na linha {primeiro[login][0].number} com outro nome.",
                )
            sigla = (row.get("unidade") or "").upper()
            if not sigla:
                review.problem(sheet, row, "unidade", "campo_obrigatorio", "Informe a unidade.")
            elif sigla not in unidades:
                review.problem(
                    sheet,
                    row,
                    "unidade",
                    "unidade_nao_encontrada",
                    f"A unidade {sigla} não existe nem está na aba Unidades.",
                )
            elif (login, sigla) in vistos:
                review.problem(
                    sheet,
                    row,
                    "unidade",
                    "permissao_repetida",
                    f"{login} em {sigla} repete a linha {vistos[login, sigla].number}.",
                )
            perfil = (
                _PERFIS.get(normalize_name(row.get("perfil") or "")) if row.get("perfil") else ""
            )
            if perfil is None:
                review.problem(
                    sheet, row, "perfil", "perfil_invalido", "Use básico ou administrador."
                )
            if len(review.problems) > problemas:
                continue
            vistos[login, sigla] = row
            # One row is one user in one unit: "criar" when that pair is new.
            campos = []
            conta = contas.get(login)
            if login not in primeiro:
                primeiro[login] = (row, nome)
                if conta is None:
                    conta = {"id": uuid.uuid4().hex, "nome": nome}
                    contas[login] = conta
                    plano.novos.append({"id": conta["id"], "login": login, "nome": nome})
                elif conta["nome"] != nome:
                    plano.renomeados.append((conta["id"], nome))
                    campos.append("nome")
            unidade_id = unidades[sigla]
            atual = atuais.get((conta["id"], unidade_id))
            if atual is None:
                plano.permissoes_novas.append(
                    {
                        "usuario_id": conta["id"],
                        "unidade_id": unidade_id,
                        "perfil": perfil or "basico",
                    }
                )
                review.change(sheet, row, f"{login} em {sigla}", "criar")
                continue
            if perfil and atual != perfil:
                plano.permissoes_alteradas.append((conta["id"], unidade_id, perfil))
                campos.append("perfil")
            if campos:
                review.change(sheet, row, f"{login} em {sigla}", "alterar", campos)
            else:
                review.unchanged[sheet.title] += 1
        return plano

    def apply(self, session: Session, plan: _Plano, shared: dict[str, Any], report: dict) -> None:
        agora = datetime.now(UTC)
        dias = Settings.from_env().activation_days
        expira = ativacao.validade(agora, dias)
        codigos = []
        linhas = []
        for novo in plan.novos:
            codigo = ativacao.novo_codigo()
            codigos.append(
                {
                    "usuario": novo["login"],
                    "nome": novo["nome"],
                    "codigo": codigo,
                    "expira_em": expira.isoformat(),
                }
            )
            linhas.append(
                {
                    **novo,
                    "senha_hash": SEM_SENHA,
                    "ativo": True,
                    "administrador": False,
                    "falhas_consecutivas": 0,
                    "criado_em": agora,
                    "atualizado_em": agora,
                    "ativacao_hash": ativacao.resumo(codigo),
                    "ativacao_expira_em": expira,
                }
            )
        if linhas:
            session.execute(usuario.insert(), linhas)
        for id_, nome in plan.renomeados:
            session.execute(
                usuario.update().where(usuario.c.id == id_).values(nome=nome, atualizado_em=agora)
            )
        if plan.permissoes_novas:
            session.execute(
                permissao.insert(), [{**p, "concedida_em": agora} for p in plan.permissoes_novas]
            )
        for usuario_id, unidade_id, perfil in plan.permissoes_alteradas:
            session.execute(
                permissao.update()
                .where(permissao.c.usuario_id == usuario_id, permissao.c.unidade_id == unidade_id)
                .values(perfil=perfil)
            )
        report["codigos_ativacao"] = codigos


IMPORTERS = (UsuariosImporter(),)

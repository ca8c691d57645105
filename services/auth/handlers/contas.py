"""Accounts: creating them, checking passwords at login and for signatures, activation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.auth.domain import ativacao
from services.auth.domain.usuario import (
    LockoutPolicy,
    Usuario,
    ativacao_invalida,
    exigir_ativo,
    normalizar_login,
    usuario_existe,
    validar_novo_usuario,
    validar_senha,
)
from services.auth.passwords import Passwords
from services.auth.tables import usuario as usuario_table
from services.chassis.errors import CredenciaisInvalidas, NaoEncontrado
from services.chassis.tenant_session import UnitOfWork


def _now() -> datetime:
    return datetime.now(UTC)


def _by_login(uow: UnitOfWork, login: str) -> Usuario | None:
    return uow.session.scalars(select(Usuario).where(usuario_table.c.login == login)).first()


def exigir_por_login(uow: UnitOfWork, login: str) -> Usuario:
    usuario = _by_login(uow, normalizar_login(login))
    if usuario is None:
        raise NaoEncontrado(f"Usuário {login!r} não encontrado.", code="usuario_nao_encontrado")
    return usuario


def criar_usuario(
    uow: UnitOfWork,
    passwords: Passwords,
    login: str,
    nome: str,
    senha: str,
    administrador: bool = False,
) -> Usuario:
    login, nome = validar_novo_usuario(login, nome, senha)
    novo = Usuario.novo(uuid.uuid4().hex, login, nome, passwords.hash(senha), administrador, _now())
    with uow:
        if _by_login(uow, login) is not None:
            raise usuario_existe(login)
        uow.session.add(novo)
        try:
            uow.commit()
        except IntegrityError as exc:  # created meanwhile by another call
            raise usuario_existe(login) from exc
    return novo


def autenticar(
    uow: UnitOfWork, passwords: Passwords, policy: LockoutPolicy, login: str, senha: str
) -> Usuario:
    """Check a password at login; five wrong in a row lock the account."""
    login = normalizar_login(login)
    with uow:
        usuario = _by_login(uow, login) if login else None
        return _verificar(uow, passwords, policy, usuario, senha, CredenciaisInvalidas())


def confirmar_senha(
    uow: UnitOfWork, passwords: Passwords, policy: LockoutPolicy, usuario_id: str, senha: str
) -> Usuario:
    """The signed-in user types the password again (to sign): same checks and lockout as login."""
    with uow:
        usuario = uow.session.get(Usuario, usuario_id)
        erro = CredenciaisInvalidas("Senha incorreta.", code="senha_incorreta")
        return _verificar(uow, passwords, policy, usuario, senha, erro)


def _verificar(
    uow: UnitOfWork,
    passwords: Passwords,
    policy: LockoutPolicy,
    usuario: Usuario | None,
    senha: str,
    erro: CredenciaisInvalidas,
) -> Usuario:
    """The password check of login and of signatures, inside the caller's unit of work.

    The slow hash runs without a row lock, so one account's checks do not queue
    behind each other; the counters are then updated under the lock, and a lock
    set meanwhile by concurrent failures wins over a correct password. Unknown,
    inactive and not yet activated accounts cost the same hash and get the same answer.
    """
    if usuario is None or not usuario.pode_entrar:
        passwords.verify(None, senha)
        raise erro
    usuario.exigir_desbloqueado(_now())
    correct = passwords.verify(usuario.senha_hash, senha)
    uow.session.refresh(usuario, with_for_update=True)
    agora = _now()
    usuario.exigir_desbloqueado(agora)
    if not correct:
        usuario.registrar_falha(agora, policy.threshold, policy.duration)
        uow.commit()
        raise erro
    usuario.registrar_sucesso(agora)
    uow.commit()
    return usuario


def definir_administrador(uow: UnitOfWork, login: str, administrador: bool) -> Usuario:
    with uow:
        usuario = exigir_por_login(uow, login)
        if usuario.tornar_administrador(administrador, _now()):
            uow.commit()
        return usuario


def por_login(uow: UnitOfWork, login: str) -> Usuario:
    with uow:
        return exigir_por_login(uow, login)


def perfil(uow: UnitOfWork, usuario_id: str) -> Usuario:
    with uow:
        return exigir_ativo(uow.session.get(Usuario, usuario_id))


# Accounts created without a password (spreadsheet import) and passwords set by others.


def ativar(
    uow: UnitOfWork,
    passwords: Passwords,
    policy: LockoutPolicy,
    login: str,
    codigo: str,
    senha: str,
) -> Usuario:
    """First access: the one-time code from the import report, and the user's own password."""
    novo_hash = passwords.hash(validar_senha(senha))  # slow: outside the row lock
    login = normalizar_login(login)
    with uow:
        usuario = _by_login(uow, login) if login else None
        if usuario is None or not usuario.aguarda_ativacao:
            raise ativacao_invalida()
        uow.session.refresh(usuario, with_for_update=True)
        usuario.exigir_desbloqueado(_now())
        ativada = usuario.ativar(codigo, novo_hash, _now(), policy)
        uow.commit()
        if not ativada:
            raise ativacao_invalida()
        return usuario


def definir_senha(uow: UnitOfWork, passwords: Passwords, login: str, senha: str) -> None:
    """An administrator sets a user's password; a pending activation code stops working."""
    novo_hash = passwords.hash(validar_senha(senha))
    with uow:
        usuario = exigir_por_login(uow, login)
        uow.session.refresh(usuario, with_for_update=True)
        usuario.trocar_senha(novo_hash, _now())
        uow.commit()


def novo_codigo_ativacao(uow: UnitOfWork, login: str, dias: int) -> dict[str, str]:
    """A fresh code for an account still without password (the old one stops working)."""
    with uow:
        usuario = exigir_por_login(uow, login)
        codigo = ativacao.novo_codigo()
        usuario.emitir_codigo(codigo, _now(), dias)
        uow.commit()
        return {
            "usuario": usuario.login,
            "codigo": codigo,
            "expira_em": usuario.ativacao_expira_em.isoformat(),
        }

"""One function per auth command: open the unit of work, act, commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.auth import ativacao
from services.auth.domain import Usuario, normalizar_login
from services.auth.passwords import Passwords
from services.auth.tables import permissao
from services.auth.tables import usuario as usuario_table
from services.chassis.errors import (
    Conflito,
    CredenciaisInvalidas,
    DadosInvalidos,
    NaoEncontrado,
    TokenInvalido,
    UsuarioBloqueado,
)
from services.chassis.tenant_session import UnitOfWork

LOGIN_MAX = 64
SENHA_MIN = 8


@dataclass(frozen=True)
class LockoutPolicy:
    threshold: int
    duration: timedelta


def _now() -> datetime:
    return datetime.now(UTC)


def _by_login(uow: UnitOfWork, login: str) -> Usuario | None:
    return uow.session.scalars(select(Usuario).where(usuario_table.c.login == login)).first()


def validar_login(login: str) -> str:
    login = normalizar_login(login)
    if not login or len(login) > LOGIN_MAX or not all(c.isalnum() or c in "._-" for c in login):
        raise DadosInvalidos(
            "Login inválido: use letras, números, ponto, hífen ou sublinhado.",
            code="login_invalido",
        )
    return login


def validar_senha(senha: object) -> str:
    if not isinstance(senha, str) or len(senha) < SENHA_MIN:
        raise DadosInvalidos(
            f"A senha deve ter pelo menos {SENHA_MIN} caracteres.", code="senha_curta"
        )
    return senha


def validar_novo_usuario(login: str, nome: str, senha: str) -> tuple[str, str]:
    login = validar_login(login)
    nome = " ".join(nome.split())
    if not nome or len(nome) > 200:
        raise DadosInvalidos("Nome é obrigatório (até 200 caracteres).")
    validar_senha(senha)
    return login, nome


def criar_usuario(
    uow: UnitOfWork,
    passwords: Passwords,
    login: str,
    nome: str,
    senha: str,
    administrador: bool = False,
) -> Usuario:
    login, nome = validar_novo_usuario(login, nome, senha)
    now = _now()
    novo = Usuario(
        id=uuid.uuid4().hex,
        login=login,
        nome=nome,
        senha_hash=passwords.hash(senha),
        administrador=administrador,
        criado_em=now,
        atualizado_em=now,
    )
    with uow:
        if _by_login(uow, login) is not None:
            raise Conflito(f"Já existe o usuário {login!r} neste município.", code="usuario_existe")
        uow.session.add(novo)
        try:
            uow.commit()
        except IntegrityError as exc:
            raise Conflito(
                f"Já existe o usuário {login!r} neste município.", code="usuario_existe"
            ) from exc
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
    if usuario is None or not usuario.ativo or not usuario.tem_senha:
        passwords.verify(None, senha)
        raise erro
    _refuse_if_locked(usuario)
    correct = passwords.verify(usuario.senha_hash, senha)
    uow.session.refresh(usuario, with_for_update=True)
    _refuse_if_locked(usuario)
    now = _now()
    if not correct:
        usuario.registrar_falha(now, policy.threshold, policy.duration)
        uow.commit()
        raise erro
    usuario.registrar_sucesso(now)
    uow.commit()
    return usuario


def _refuse_if_locked(usuario: Usuario) -> None:
    if usuario.bloqueado(_now()):
        raise UsuarioBloqueado(details={"bloqueado_ate": usuario.bloqueado_ate.isoformat()})


def definir_administrador(uow: UnitOfWork, login: str, administrador: bool) -> Usuario:
    with uow:
        usuario = _exigir(uow, login)
        if usuario.administrador != administrador:
            usuario.administrador = administrador
            usuario.atualizado_em = _now()
            uow.commit()
        return usuario


PERFIS = ("basico", "administrador")


def permissoes(uow: UnitOfWork, usuario_id: str) -> dict[str, str]:
    """unidade_id -> perfil for one user."""
    with uow:
        return permissoes_de(uow, usuario_id)


def conceder(uow: UnitOfWork, login: str, unidade_id: str, perfil: str) -> None:
    """Grant (or change) a user's profile in a unit; granting twice changes nothing."""
    if perfil not in PERFIS:
        raise DadosInvalidos(f"Perfil inválido: use {' ou '.join(PERFIS)}.", code="perfil_invalido")
    with uow:
        usuario = _exigir(uow, login)
        atual = permissoes_de(uow, usuario.id)
        if atual.get(unidade_id) == perfil:
            return
        if unidade_id in atual:
            uow.session.execute(
                permissao.update()
                .where(permissao.c.usuario_id == usuario.id, permissao.c.unidade_id == unidade_id)
                .values(perfil=perfil)
            )
        else:
            uow.session.execute(
                permissao.insert().values(
                    usuario_id=usuario.id, unidade_id=unidade_id, perfil=perfil, concedida_em=_now()
                )
            )
        uow.commit()


def revogar(uow: UnitOfWork, login: str, unidade_id: str) -> None:
    with uow:
        usuario = _exigir(uow, login)
        uow.session.execute(
            permissao.delete().where(
                permissao.c.usuario_id == usuario.id, permissao.c.unidade_id == unidade_id
            )
        )
        uow.commit()


def permissoes_de(uow: UnitOfWork, usuario_id: str) -> dict[str, str]:
    rows = uow.session.execute(
        select(permissao.c.unidade_id, permissao.c.perfil).where(
            permissao.c.usuario_id == usuario_id
        )
    )
    return {row.unidade_id: row.perfil for row in rows}


def _exigir(uow: UnitOfWork, login: str) -> Usuario:
    usuario = _by_login(uow, normalizar_login(login))
    if usuario is None:
        raise NaoEncontrado(f"Usuário {login!r} não encontrado.", code="usuario_nao_encontrado")
    return usuario


def por_login(uow: UnitOfWork, login: str) -> Usuario:
    with uow:
        return _exigir(uow, login)


def perfil(uow: UnitOfWork, usuario_id: str) -> Usuario:
    with uow:
        usuario = uow.session.get(Usuario, usuario_id)
        if usuario is None or not usuario.ativo:
            raise TokenInvalido()
        return usuario


# Accounts created without a password (spreadsheet import) and passwords set by others.


def ativar(
    uow: UnitOfWork,
    passwords: Passwords,
    policy: LockoutPolicy,
    login: str,
    codigo: str,
    senha: str,
) -> Usuario:
    """First access: the one-time code from the import report, and the user's own password.

    Wrong codes count towards the lockout like wrong passwords.
    """
    validar_senha(senha)
    login = normalizar_login(login)
    novo_hash = passwords.hash(senha)  # slow: outside the row lock
    with uow:
        usuario = _by_login(uow, login) if login else None
        if usuario is None or not usuario.ativo or usuario.tem_senha:
            raise _ativacao_invalida()
        uow.session.refresh(usuario, with_for_update=True)
        _refuse_if_locked(usuario)
        now = _now()
        if usuario.tem_senha or not ativacao.confere(
            codigo, usuario.ativacao_hash, usuario.ativacao_expira_em, now
        ):
            usuario.registrar_falha(now, policy.threshold, policy.duration)
            uow.commit()
            raise _ativacao_invalida()
        _trocar_senha(usuario, novo_hash, now)
        uow.commit()
        return usuario


def _ativacao_invalida() -> CredenciaisInvalidas:
    return CredenciaisInvalidas(
        "Código de ativação inválido ou expirado. Peça um novo ao administrador.",
        code="ativacao_invalida",
    )


def _trocar_senha(usuario: Usuario, senha_hash: str, now: datetime) -> None:
    usuario.senha_hash = senha_hash
    usuario.ativacao_hash = None
    usuario.ativacao_expira_em = None
    usuario.falhas_consecutivas = 0
    usuario.bloqueado_ate = None
    usuario.atualizado_em = now


def definir_senha(uow: UnitOfWork, passwords: Passwords, login: str, senha: str) -> None:
    """An administrator sets a user's password; a pending activation code stops working."""
    novo_hash = passwords.hash(validar_senha(senha))
    with uow:
        usuario = _exigir(uow, login)
        uow.session.refresh(usuario, with_for_update=True)
        _trocar_senha(usuario, novo_hash, _now())
        uow.commit()


def novo_codigo_ativacao(uow: UnitOfWork, login: str, dias: int) -> dict[str, str]:
    """A fresh code for an account still without password (the old one stops working)."""
    with uow:
        usuario = _exigir(uow, login)
        if usuario.tem_senha:
            raise Conflito(
                "A conta já foi ativada; para trocar a senha, defina uma nova.",
                code="conta_ja_ativada",
            )
        codigo, now = ativacao.novo_codigo(), _now()
        usuario.ativacao_hash = ativacao.resumo(codigo)
        usuario.ativacao_expira_em = ativacao.validade(now, dias)
        usuario.atualizado_em = now
        uow.commit()
        return {
            "usuario": usuario.login,
            "codigo": codigo,
            "expira_em": usuario.ativacao_expira_em.isoformat(),
        }

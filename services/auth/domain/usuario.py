"""The user account, what its login, name and password must be, and its lockout rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.auth.domain import ativacao
from services.chassis.errors import (
    Conflito,
    CredenciaisInvalidas,
    DadosInvalidos,
    TokenInvalido,
    UsuarioBloqueado,
)

# Stored instead of a hash while an account has no password: no argon2 hash looks like it,
# so no password ever verifies against it.
SEM_SENHA = "!sem-senha"
LOGIN_MAX = 64
NOME_MAX = 200
SENHA_MIN = 8
PERFIS = ("basico", "administrador")  # a user's profile in one unit


@dataclass(frozen=True)
class LockoutPolicy:
    """How many wrong passwords (or activation codes) in a row lock an account, and for how long."""

    threshold: int
    duration: timedelta


@dataclass
class Usuario:
    """A civil servant's account in one municipality (the same login elsewhere is someone else)."""

    id: str
    login: str
    nome: str
    senha_hash: str
    ativo: bool = True
    administrador: bool = False
    falhas_consecutivas: int = 0
    bloqueado_ate: datetime | None = None
    criado_em: datetime | None = None
    atualizado_em: datetime | None = None
    ativacao_hash: str | None = None
    ativacao_expira_em: datetime | None = None

    @classmethod
    def novo(
        cls, id_: str, login: str, nome: str, senha_hash: str, administrador: bool, agora: datetime
    ) -> Usuario:
        """An account with a password (`login` and `nome` as `validar_novo_usuario` gives them)."""
        return cls(
            id_,
            login,
            nome,
            senha_hash,
            administrador=administrador,
            criado_em=agora,
            atualizado_em=agora,
        )

    @classmethod
    def a_ativar(
        cls, id_: str, login: str, nome: str, codigo: str, agora: datetime, dias: int
    ) -> Usuario:
        """An account without a password (spreadsheet import), waiting for its first access."""
        usuario = cls(id_, login, nome, SEM_SENHA, criado_em=agora, atualizado_em=agora)
        usuario.emitir_codigo(codigo, agora, dias)
        return usuario

    @property
    def tem_senha(self) -> bool:
        """False for an account created by a spreadsheet import and not yet activated."""
        return self.senha_hash != SEM_SENHA

    @property
    def pode_entrar(self) -> bool:
        """Only active accounts with a password sign in (the others answer like a stranger)."""
        return self.ativo and self.tem_senha

    @property
    def aguarda_ativacao(self) -> bool:
        return self.ativo and not self.tem_senha

    def bloqueado(self, agora: datetime) -> bool:
        return self.bloqueado_ate is not None and self.bloqueado_ate > agora

    def exigir_desbloqueado(self, agora: datetime) -> None:
        if self.bloqueado(agora):
            raise UsuarioBloqueado(details={"bloqueado_ate": self.bloqueado_ate.isoformat()})

    def registrar_falha(self, agora: datetime, limite: int, duracao: timedelta) -> None:
        """Count a wrong password; the limit-th in a row locks the account for `duracao`."""
        self.falhas_consecutivas += 1
        if self.falhas_consecutivas >= limite:
            self.bloqueado_ate = agora + duracao
            self.falhas_consecutivas = 0
        self.atualizado_em = agora

    def registrar_sucesso(self, agora: datetime) -> None:
        if self.falhas_consecutivas or self.bloqueado_ate:
            self.falhas_consecutivas = 0
            self.bloqueado_ate = None
            self.atualizado_em = agora

    def trocar_senha(self, senha_hash: str, agora: datetime) -> None:
        """A new password: a pending activation code stops working and the lock is lifted."""
        self.senha_hash = senha_hash
        self.ativacao_hash = None
        self.ativacao_expira_em = None
        self.falhas_consecutivas = 0
        self.bloqueado_ate = None
        self.atualizado_em = agora

    def ativar(
        self, codigo: str, senha_hash: str, agora: datetime, politica: LockoutPolicy
    ) -> bool:
        """First access with the one-time code; a wrong code counts towards the lockout."""
        if self.tem_senha or not ativacao.confere(
            codigo, self.ativacao_hash, self.ativacao_expira_em, agora
        ):
            self.registrar_falha(agora, politica.threshold, politica.duration)
            return False
        self.trocar_senha(senha_hash, agora)
        return True

    def emitir_codigo(self, codigo: str, agora: datetime, dias: int) -> None:
        """A fresh code for an account still without password (the old one stops working)."""
        if self.tem_senha:
            raise Conflito(
                "A conta já foi ativada; para trocar a senha, defina uma nova.",
                code="conta_ja_ativada",
            )
        self.ativacao_hash = ativacao.resumo(codigo)
        self.ativacao_expira_em = ativacao.validade(agora, dias)
        self.atualizado_em = agora

    def tornar_administrador(self, administrador: bool, agora: datetime) -> bool:
        """Give or take the municipality's administrator profile; True if it changed."""
        if self.administrador == administrador:
            return False
        self.administrador = administrador
        self.atualizado_em = agora
        return True


def normalizar_login(login: str) -> str:
    return login.strip().lower()


def validar_login(login: str) -> str:
    login = normalizar_login(login)
    if not login or len(login) > LOGIN_MAX or not all(c.isalnum() or c in "._-" for c in login):
        raise DadosInvalidos(
            "Login inválido: use letras, números, ponto, hífen ou sublinhado.",
            code="login_invalido",
        )
    return login


def validar_nome(nome: str) -> str:
    nome = " ".join(nome.split())
    if not nome or len(nome) > NOME_MAX:
        raise DadosInvalidos(f"Nome é obrigatório (até {NOME_MAX} caracteres).")
    return nome


def validar_senha(senha: object) -> str:
    if not isinstance(senha, str) or len(senha) < SENHA_MIN:
        raise DadosInvalidos(
            f"A senha deve ter pelo menos {SENHA_MIN} caracteres.", code="senha_curta"
        )
    return senha


def validar_novo_usuario(login: str, nome: str, senha: str) -> tuple[str, str]:
    login, nome = validar_login(login), validar_nome(nome)
    validar_senha(senha)
    return login, nome


def validar_perfil(perfil: str) -> str:
    if perfil not in PERFIS:
        raise DadosInvalidos(f"Perfil inválido: use {' ou '.join(PERFIS)}.", code="perfil_invalido")
    return perfil


def usuario_existe(login: str) -> Conflito:
    return Conflito(f"Já existe o usuário {login!r} neste município.", code="usuario_existe")


def ativacao_invalida() -> CredenciaisInvalidas:
    return CredenciaisInvalidas(
        "Código de ativação inválido ou expirado. Peça um novo ao administrador.",
        code="ativacao_invalida",
    )


def exigir_ativo(usuario: Usuario | None) -> Usuario:
    """The account behind a token: gone or deactivated, the token no longer counts."""
    if usuario is None or not usuario.ativo:
        raise TokenInvalido()
    return usuario

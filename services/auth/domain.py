"""The user account and its lockout rule; no framework, no database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# Stored instead of a hash while an account has no password: no argon2 hash looks like it,
# so no password ever verifies against it.
SEM_SENHA = "!sem-senha"


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

    @property
    def tem_senha(self) -> bool:
        """False for an account created by a spreadsheet import and not yet activated."""
        return self.senha_hash != SEM_SENHA

    def bloqueado(self, agora: datetime) -> bool:
        return self.bloqueado_ate is not None and self.bloqueado_ate > agora

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


def normalizar_login(login: str) -> str:
    return login.strip().lower()

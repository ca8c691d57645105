"""One-time activation codes for accounts created without a password (spreadsheet import).

A code is 60 random bits shown once to the administrator, who hands it to the
civil servant; only its SHA-256 is stored. A fast hash is enough for a random
secret of this size (no dictionary to try), and it lets an import create
thousands of accounts in seconds, where argon2 would take minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

# Crockford's base32: no I, L, O or U, so a code read aloud or typed is not misread.
ALFABETO = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GRUPOS, TAMANHO_GRUPO = 3, 4


def novo_codigo() -> str:
    """Like 7K2M-Q9XD-H3TR: 12 symbols of 5 bits."""
    simbolos = "".join(secrets.choice(ALFABETO) for _ in range(GRUPOS * TAMANHO_GRUPO))
    return "-".join(simbolos[i : i + TAMANHO_GRUPO] for i in range(0, len(simbolos), TAMANHO_GRUPO))


def normalizar(codigo: str) -> str:
    """What the user typed, without separators, in upper case, with look-alikes mapped."""
    limpo = "".join(c for c in str(codigo).upper() if c.isalnum())
    return limpo.translate(str.maketrans("ILO", "110"))


def resumo(codigo: str) -> str:
    return hashlib.sha256(normalizar(codigo).encode()).hexdigest()


def confere(codigo: str, guardado: str | None, expira_em: datetime | None, agora: datetime) -> bool:
    if not guardado or expira_em is None or expira_em <= agora:
        return False
    return hmac.compare_digest(resumo(codigo), guardado)


def validade(agora: datetime, dias: int) -> datetime:
    return agora + timedelta(days=dias)

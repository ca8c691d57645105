"""Access tokens: signed by auth, verified by every service on every call.

HS256 with a key from configuration (no default). The municipality of a call is
read from a verified token and from nowhere else.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass

import jwt

from services.chassis.config import Settings
from services.chassis.errors import TokenInvalido
from services.chassis.tenant import IBGE_PATTERN, Tenant

ISSUER = "sempapel-auth"
ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["sub", "mun", "exp", "iat", "jti", "iss"]
VERIFIED_CACHE_SIZE = 4096


@dataclass(frozen=True)
class Identity:
    """Who is calling: the verified claims of an access token."""

    usuario_id: str
    login: str
    tenant: Tenant
    unidade: str | None  # the current unit's sigla, for display
    administrador: bool
    token_id: str
    expires_at: int
    unidade_id: str | None = None  # the current unit's id: stable when a sigla changes
    # A platform system acting in the municipality (e.g. "reindexacao"), never a person:
    # only the internal RPCs that require one accept it, and the gateway refuses it.
    sistema: str | None = None


class TokenService:
    """Issues and verifies tokens.

    Every call is verified in every service it reaches, and a user sends the same
    token for up to an hour: the identities of recently verified tokens are kept
    (by the exact token string, so any altered byte misses) and only their expiry
    is checked again. PyJWT's decode was ~9 % of the gateway's CPU on a read.
    """

    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._secret = secret
        self.ttl_seconds = ttl_seconds
        self._verified: OrderedDict[str, Identity] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenService:
        return cls(settings.require_jwt_secret(), settings.token_ttl_seconds)

    def issue(
        self,
        usuario_id: str,
        login: str,
        ibge: str,
        unidade: str | None = None,
        administrador: bool = False,
        unidade_id: str | None = None,
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": usuario_id,
            "login": login,
            "mun": ibge,
            "iat": now,
            "exp": now + self.ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
        if unidade is not None:
            claims["uni"] = unidade
        if unidade_id is not None:
            claims["uid"] = unidade_id
        if administrador:
            claims["adm"] = True
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def issue_sistema(self, sistema: str, ibge: str) -> str:
        """A token for one of the platform's own systems acting in one municipality (the
        operator command rebuilding the search index): it carries no user and no unit."""
        if not sistema.isidentifier():
            raise ValueError(f"nome de sistema inválido: {sistema!r}")
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": f"sistema:{sistema}",
            "login": f"sistema:{sistema}",
            "mun": ibge,
            "iat": now,
            "exp": now + self.ttl_seconds,
            "jti": uuid.uuid4().hex,
            "sis": sistema,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: object) -> Identity:
        if not isinstance(token, str) or not token:
            raise TokenInvalido()
        identity = self._verified.get(token)
        if identity is not None:
            if identity.expires_at <= time.time():  # as PyJWT: expired at `exp` itself
                self._verified.pop(token, None)
                raise TokenInvalido()
            return identity
        identity = self._decode(token)
        self._verified[token] = identity
        if len(self._verified) > VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)  # the oldest verified first
        return identity

    def _decode(self, token: str) -> Identity:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as exc:
            raise TokenInvalido() from exc
        mun = claims.get("mun")
        if not isinstance(mun, str) or not IBGE_PATTERN.fullmatch(mun):
            raise TokenInvalido()
        return Identity(
            usuario_id=str(claims["sub"]),
            login=str(claims.get("login", "")),
            tenant=Tenant(mun),
            unidade=claims.get("uni"),
            administrador=claims.get("adm") is True,
            token_id=str(claims["jti"]),
            expires_at=int(claims["exp"]),
            unidade_id=claims.get("uid") if isinstance(claims.get("uid"), str) else None,
            sistema=claims.get("sis") if isinstance(claims.get("sis"), str) else None,
        )

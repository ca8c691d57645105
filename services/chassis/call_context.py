"""Who is calling and which call this is, for every worker of every service.

The gateway puts the caller's access token and the request id into nameko's
context data; nameko carries context data as AMQP headers on every RPC hop, so
each service verifies the token itself and binds tenant, user, unit, call id
and request id to every log line of the worker.
"""

from __future__ import annotations

import time
from typing import Any

import structlog
from nameko.extensions import DependencyProvider

from services.chassis.ator import Ator
from services.chassis.config import Settings
from services.chassis.errors import AcessoNegado, NaoAutenticado, SemPapelError, TokenInvalido
from services.chassis.tokens import Identity, TokenService

TOKEN_KEY = "access_token"
REQUEST_ID_KEY = "request_id"

_log = structlog.get_logger("sempapel.call")
_MISSING = object()


def identity_of(worker_ctx: Any, tokens: TokenService) -> Identity | None:
    """The verified identity of a worker, or None; verified once per worker."""
    cached = getattr(worker_ctx, "_sempapel_identity", _MISSING)
    if cached is not _MISSING:
        return cached
    token = worker_ctx.data.get(TOKEN_KEY)
    identity = None
    if token is not None:
        try:
            identity = tokens.verify(token)
        except TokenInvalido:
            identity = None
    worker_ctx._sempapel_identity = identity
    return identity


class Call:
    """What a worker knows about its call."""

    def __init__(self, worker_ctx: Any, tokens: TokenService) -> None:
        self._worker_ctx = worker_ctx
        self._tokens = tokens

    @property
    def request_id(self) -> str | None:
        return self._worker_ctx.data.get(REQUEST_ID_KEY)

    @property
    def identity(self) -> Identity:
        """The caller's verified identity; NaoAutenticado when there is none."""
        token = self._worker_ctx.data.get(TOKEN_KEY)
        if token is None:
            raise NaoAutenticado()
        identity = identity_of(self._worker_ctx, self._tokens)
        if identity is None:
            raise TokenInvalido()
        return identity

    @property
    def ator(self) -> Ator:
        identity = self.identity
        return Ator(identity.usuario_id, identity.login, identity.unidade_id)

    def require_administrator(self) -> Identity:
        """The caller, if they hold the municipality administrator profile; 403 otherwise."""
        identity = self.identity
        if not identity.administrador:
            raise AcessoNegado(
                "Apenas o administrador do município pode fazer esta alteração.",
                code="requer_administrador",
            )
        return identity

    def require_sistema(self) -> Identity:
        """The caller, if it is one of the platform's systems (a system token); 403 otherwise.
        For internal RPCs that see a whole municipality regardless of access rules."""
        identity = self.identity
        if identity.sistema is None:
            raise AcessoNegado(
                "Apenas os sistemas da plataforma podem fazer esta chamada.",
                code="requer_sistema",
            )
        return identity

    def authenticate(self, token: str) -> Identity:
        """Act as the token's user from here on, on every later RPC hop (auth's login)."""
        identity = self._tokens.verify(token)
        self._worker_ctx.data[TOKEN_KEY] = token
        self._worker_ctx._sempapel_identity = identity
        _bind_identity(identity)
        return identity


def _bind_identity(identity: Identity | None) -> None:
    if identity is None:
        return
    structlog.contextvars.bind_contextvars(
        tenant=identity.tenant.ibge,
        user=identity.login or identity.usuario_id,
        unit=identity.unidade,
    )


class CallContext(DependencyProvider):
    """Binds the call's context to logs and logs one line per call with its outcome."""

    def setup(self) -> None:
        settings = Settings.from_env()
        self.tokens = TokenService.from_settings(settings)

    def get_dependency(self, worker_ctx: Any) -> Call:
        return Call(worker_ctx, self.tokens)

    def worker_setup(self, worker_ctx: Any) -> None:
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            service=worker_ctx.service_name,
            call_id=worker_ctx.call_id,
            parent_call_id=worker_ctx.immediate_parent_call_id,
            request_id=worker_ctx.data.get(REQUEST_ID_KEY),
        )
        _bind_identity(identity_of(worker_ctx, self.tokens))
        worker_ctx._sempapel_started = time.perf_counter()

    def worker_result(self, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> None:
        elapsed_ms = round((time.perf_counter() - worker_ctx._sempapel_started) * 1000, 2)
        method = worker_ctx.entrypoint.method_name
        if exc_info is None:
            _log.info("call", method=method, ms=elapsed_ms, outcome="ok")
        elif isinstance(exc_info[1], SemPapelError):
            _log.info("call", method=method, ms=elapsed_ms, outcome=exc_info[1].code)
        else:
            _log.error("call", method=method, ms=elapsed_ms, outcome="error", exc_info=exc_info)

    def worker_teardown(self, worker_ctx: Any) -> None:
        structlog.contextvars.clear_contextvars()

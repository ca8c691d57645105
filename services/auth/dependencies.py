"""auth's own dependency providers: token issuing, password hashing, lockout policy."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from nameko.extensions import DependencyProvider

from services.auth.domain.usuario import LockoutPolicy
from services.auth.passwords import Passwords
from services.auth.settings import AuthSettings
from services.chassis.config import Settings
from services.chassis.tokens import TokenService
from services.chassis.ttl_cache import TtlCache


class Credentials:
    def __init__(
        self,
        tokens: TokenService,
        passwords: Passwords,
        policy: LockoutPolicy,
        municipios: TtlCache[dict[str, str]],
        activation_days: int,
    ) -> None:
        self.tokens = tokens
        self.passwords = passwords
        self.policy = policy
        # Names shown by /me; logins always ask tenancy afresh (suspension must bite at once).
        self.municipios = municipios
        self.activation_days = activation_days


class CredentialsProvider(DependencyProvider):
    def setup(self) -> None:
        settings, auth = Settings.from_env(), AuthSettings.from_env()
        self.credentials = Credentials(
            TokenService.from_settings(settings),
            Passwords.from_settings(auth),
            LockoutPolicy(auth.lockout_threshold, timedelta(seconds=auth.lockout_seconds)),
            TtlCache(settings.registry_cache_seconds),
            auth.activation_days,
        )

    def get_dependency(self, worker_ctx: Any) -> Credentials:
        return self.credentials

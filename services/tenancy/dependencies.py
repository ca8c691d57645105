"""tenancy's access to the global schema (the municipality registry)."""

from __future__ import annotations

from typing import Any

from nameko.extensions import DependencyProvider
from sqlalchemy import Engine

from services.chassis.config import Settings
from services.chassis.database import engine_from_settings
from services.chassis.ttl_cache import TtlCache
from services.tenancy import registry


class Registry:
    """The registry's engine, and the public list of municipalities kept for a few seconds."""

    def __init__(self, engine: Engine, list_ttl_seconds: float) -> None:
        self.engine = engine
        self._active = TtlCache[list[dict[str, str]]](list_ttl_seconds)

    def active_public(self) -> list[dict[str, str]]:
        return self._active.get(
            "ativos", lambda: [m.public() for m in registry.list_active(self.engine)]
        )


class RegistryDatabase(DependencyProvider):
    def setup(self) -> None:
        settings = Settings.from_env()
        self.registry = Registry(engine_from_settings(settings), settings.registry_cache_seconds)

    def stop(self) -> None:
        self.registry.engine.dispose()

    def get_dependency(self, worker_ctx: Any) -> Registry:
        return self.registry

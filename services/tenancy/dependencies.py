"""tenancy's access to the global schema (the municipality registry)."""

from __future__ import annotations

from typing import Any

from nameko.extensions import DependencyProvider
from sqlalchemy import Engine

from services.chassis.config import Settings
from services.chassis.database import engine_from_settings


class RegistryDatabase(DependencyProvider):
    def setup(self) -> None:
        self.engine = engine_from_settings(Settings.from_env())

    def stop(self) -> None:
        self.engine.dispose()

    def get_dependency(self, worker_ctx: Any) -> Engine:
        return self.engine

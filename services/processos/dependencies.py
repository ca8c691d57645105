"""processos' view of tenancy's data: each municipality's units and catalog, kept a few seconds.

Opening a process needs the type, the plan codes, the hypotheses and the units;
asking tenancy on every call would add an RPC hop to each one. Staleness is
bounded by SEMPAPEL_CATALOG_CACHE_SECONDS (a type deactivated a moment ago may
still be used within that window).
"""

from __future__ import annotations

from typing import Any

from nameko.extensions import DependencyProvider

from services.chassis.config import Settings
from services.chassis.ttl_cache import TtlCache


class DiretorioProvider(DependencyProvider):
    """A TtlCache of `tenancy.diretorio()` answers, by IBGE code, shared by the workers."""

    def setup(self) -> None:
        self.cache = TtlCache[dict[str, Any]](Settings.from_env().catalog_cache_seconds)

    def get_dependency(self, worker_ctx: Any) -> TtlCache[dict[str, Any]]:
        return self.cache

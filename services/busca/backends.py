"""Choosing the search backend: explicit, checked when the service starts.

`SEMPAPEL_BUSCA_BACKEND` is `postgres` (full text in each municipality's schema, the
single-machine default) or `solr` (production). Anything else stops the service at
start, and the PostgreSQL backend refuses to start on an Oracle database (its full-text
index is PostgreSQL's own), so a misconfiguration never degrades into a broken search.
"""

from __future__ import annotations

from typing import Any

from nameko.extensions import DependencyProvider

from services.busca.settings import BuscaSettings
from services.chassis.config import Settings
from services.chassis.database import engine_from_settings
from services.chassis.errors import ConfiguracaoInvalida
from services.chassis.tenant_session import TenantEngines

BACKENDS = ("postgres", "solr")


def backend_from_settings(settings: Settings, busca: BuscaSettings) -> Any:
    escolhido = busca.busca_backend.strip().lower()
    if escolhido not in BACKENDS:
        raise ConfiguracaoInvalida(
            f"SEMPAPEL_BUSCA_BACKEND={busca.busca_backend!r}: use postgres ou solr."
        )
    if escolhido == "solr":
        from services.busca.solr import SolrBackend

        return SolrBackend.from_settings(settings, busca)
    if not settings.database_url.startswith("postgresql"):
        raise ConfiguracaoInvalida(
            "A busca em PostgreSQL exige banco PostgreSQL; com Oracle use "
            "SEMPAPEL_BUSCA_BACKEND=solr."
        )
    from services.busca.postgres import PostgresBackend

    return PostgresBackend(TenantEngines(engine_from_settings(settings)))


class BackendProvider(DependencyProvider):
    """The backend, built once per process when the service starts (a bad choice stops it)."""

    def setup(self) -> None:
        self.backend = backend_from_settings(Settings.from_env(), BuscaSettings.from_env())

    def get_dependency(self, worker_ctx: Any) -> Any:
        return self.backend

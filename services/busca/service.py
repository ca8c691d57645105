"""busca: an index built from the domain events, answering searches with access filters.

It consumes `processo.*` and `documento.*` from its own durable queue; every entry
carries a version, so repeated and late events change nothing. The backend is
PostgreSQL full text by default and Solr in production (`services/busca/backends.py`).
"""

from __future__ import annotations

from typing import Any

from services.busca import handlers
from services.busca.backends import BackendProvider
from services.busca.domain import Acesso
from services.chassis.errors import SemPapelError
from services.chassis.event_consumer import evento
from services.chassis.probed_service import ProbedService
from services.chassis.rpc_client import ServiceRpc
from services.chassis.rpc_entrypoint import rpc
from services.chassis.ttl_cache import TtlCacheProvider

EXPECTED = SemPapelError


class BuscaService(ProbedService):
    name = "busca"

    backend = BackendProvider()
    diretorios = TtlCacheProvider("catalog_cache_seconds")
    tenancy = ServiceRpc("tenancy")

    @evento("busca.indexacao", "processo.#", "documento.#")
    def indexar(self, evento_recebido: dict[str, Any]) -> None:
        handlers.aplicar(self.backend, evento_recebido)

    @rpc(expected_exceptions=EXPECTED)
    def buscar(self, filtros: dict[str, Any]) -> dict[str, Any]:
        identity = self.call.identity
        acesso = Acesso(identity.tenant.ibge, identity.usuario_id, identity.unidade_id)
        unidades = self.diretorios.get(identity.tenant.ibge, self.tenancy.diretorio)["unidades"]
        return handlers.buscar(self.backend, acesso, filtros, unidades)


SERVICE = BuscaService

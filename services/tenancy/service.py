"""tenancy: the municipality registry, read by the login page and by every login."""

from __future__ import annotations

from nameko.rpc import rpc

from services.chassis.errors import SemPapelError
from services.chassis.probed_service import ProbedService
from services.tenancy import registry
from services.tenancy.dependencies import RegistryDatabase


class TenancyService(ProbedService):
    name = "tenancy"

    registry_db = RegistryDatabase()

    @rpc(expected_exceptions=SemPapelError)
    def listar_municipios_ativos(self) -> list[dict[str, str]]:
        return self.registry_db.active_public()

    @rpc(expected_exceptions=SemPapelError)
    def obter_municipio(self, ibge: str) -> dict[str, str]:
        found = registry.get(self.registry_db.engine, ibge)
        return {**found.public(), "status": found.status}


SERVICE = TenancyService

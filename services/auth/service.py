"""auth: login into a municipality, and who the caller is."""

from __future__ import annotations

from typing import Any

from nameko.rpc import rpc

from services.auth import handlers
from services.auth.dependencies import CredentialsProvider
from services.chassis.errors import (
    CredenciaisInvalidas,
    MunicipioSuspenso,
    NaoEncontrado,
    SemPapelError,
)
from services.chassis.probed_service import ProbedService
from services.chassis.rpc_client import ServiceRpc
from services.chassis.tenant import validar_ibge
from services.chassis.tenant_session import TenantDatabase

EXPECTED = SemPapelError


class AuthService(ProbedService):
    name = "auth"

    db = TenantDatabase()
    credentials = CredentialsProvider()
    tenancy = ServiceRpc("tenancy")

    @rpc(expected_exceptions=EXPECTED)
    def login(self, municipio: str, usuario: str, senha: str) -> dict[str, Any]:
        ibge = validar_ibge(municipio)
        try:
            registro = self.tenancy.obter_municipio(ibge)
        except NaoEncontrado as exc:
            self.credentials.passwords.verify(None, senha)
            raise CredenciaisInvalidas() from exc
        if registro["status"] == "suspenso":
            raise MunicipioSuspenso()
        if registro["status"] != "ativo":
            raise CredenciaisInvalidas()
        conta = handlers.autenticar(
            self.db.for_municipio(ibge),
            self.credentials.passwords,
            self.credentials.policy,
            usuario,
            senha,
        )
        tokens = self.credentials.tokens
        return {
            "access_token": tokens.issue(
                conta.id, conta.login, ibge, administrador=conta.administrador
            ),
            "token_type": "Bearer",
            "expires_in": tokens.ttl_seconds,
        }

    @rpc(expected_exceptions=EXPECTED)
    def me(self) -> dict[str, Any]:
        identity = self.call.identity
        conta = handlers.perfil(self.db.unit_of_work(), identity.usuario_id)
        registro = self.credentials.municipios.get(
            identity.tenant.ibge, lambda: self.tenancy.obter_municipio(identity.tenant.ibge)
        )
        return {
            "usuario": conta.login,
            "nome": conta.nome,
            "administrador": conta.administrador,
            "municipio": {"ibge": registro["ibge"], "nome": registro["nome"]},
        }


SERVICE = AuthService

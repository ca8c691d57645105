"""gateway: the only public door. JSON over HTTP, calls the other services by RPC."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

from services.chassis.call_context import CallContext
from services.chassis.errors import NaoAutenticado, NaoEncontrado
from services.chassis.health import ReadinessProbe, probe_result
from services.chassis.rpc_client import ServiceRpc
from services.gateway import openapi
from services.gateway.schemas import (
    LoginRequest,
    MeResponse,
    MunicipioResumo,
    Probe,
    ServicoSaude,
    TokenResponse,
    parse,
)
from services.gateway.web_server import api

BACKEND_SERVICES = ("auth", "tenancy", "processos", "documentos", "busca")


def bearer_token(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NaoAutenticado("Envie o token de acesso no cabeçalho Authorization: Bearer.")
    return token.strip()


class GatewayService:
    name = "gateway"

    call = CallContext()
    readiness = ReadinessProbe()
    auth = ServiceRpc("auth")
    tenancy = ServiceRpc("tenancy")
    processos = ServiceRpc("processos")
    documentos = ServiceRpc("documentos")
    busca = ServiceRpc("busca")

    @api(
        "GET",
        "/healthz",
        summary="O processo do gateway está vivo",
        response=Probe,
        tags=("operação",),
    )
    def healthz(self, request: Request) -> dict[str, Any]:
        return {"status": "vivo", "checks": {}}

    @api(
        "GET",
        "/readyz",
        summary="RabbitMQ e banco de dados alcançáveis",
        response=Probe,
        errors=(503,),
        tags=("operação",),
    )
    def readyz(self, request: Request) -> tuple[int, dict[str, Any]]:
        return probe_result(self.readiness.check())

    @api(
        "GET",
        "/api/v1/openapi.json",
        summary="Este documento OpenAPI 3.1",
        raw=True,
        tags=("operação",),
    )
    def openapi_document(self, request: Request) -> dict[str, Any]:
        return openapi.document(type(self))

    @api(
        "GET",
        "/api/v1/saude/<servico>",
        summary="Um serviço responde por RPC",
        response=ServicoSaude,
        errors=(404, 503),
        tags=("operação",),
    )
    def saude_servico(self, request: Request, servico: str) -> dict[str, Any]:
        if servico not in BACKEND_SERVICES:
            raise NaoEncontrado("Serviço desconhecido.", code="servico_desconhecido")
        return getattr(self, servico).health()

    @api(
        "GET",
        "/api/v1/municipios",
        summary="Municípios ativos, para a página de login",
        response=MunicipioResumo,
        response_list=True,
        errors=(503,),
        tags=("acesso",),
    )
    def municipios(self, request: Request) -> tuple[int, list[dict[str, str]], dict[str, str]]:
        # Public and slow-changing: browsers and proxies may keep it for a minute.
        return 200, self.tenancy.listar_municipios_ativos(), {"Cache-Control": "public, max-age=60"}

    @api(
        "POST",
        "/api/v1/auth/login",
        summary="Entrar em um município",
        body=LoginRequest,
        response=TokenResponse,
        errors=(400, 401, 403, 413, 415, 422, 429, 503),
        tags=("acesso",),
    )
    def login(self, request: Request) -> dict[str, Any]:
        dados = parse(LoginRequest, request)
        return self.auth.login(dados.municipio, dados.usuario, dados.senha)

    @api(
        "GET",
        "/api/v1/me",
        summary="Quem sou eu, lido no schema do meu município",
        response=MeResponse,
        authenticated=True,
        errors=(401, 503),
        tags=("acesso",),
    )
    def me(self, request: Request) -> dict[str, Any]:
        self.call.authenticate(bearer_token(request))
        return self.auth.me()


SERVICE = GatewayService

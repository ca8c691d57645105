"""gateway: the only public door. JSON over HTTP, calls the other services by RPC."""

from __future__ import annotations

import base64
from typing import Any

from werkzeug.wrappers import Request, Response

from services.chassis.call_context import CallContext
from services.chassis.errors import NaoEncontrado, TipoNaoSuportado
from services.chassis.health import ReadinessProbe, probe_result
from services.chassis.object_store import ObjectStoreProvider
from services.chassis.rpc_client import ServiceRpc
from services.chassis.settings_provider import SettingsProvider
from services.chassis.spreadsheet import XLSX_MEDIA_TYPE
from services.gateway import asyncapi, openapi
from services.gateway.http_errors import json_response
from services.gateway.rotas_documentos import RotasDocumentos
from services.gateway.rotas_processos import RotasProcessos
from services.gateway.schemas import (
    AtivacaoConta,
    CodigoAtivacao,
    EscolhaUnidade,
    HipoteseLegal,
    HipoteseLegalAlteracao,
    HipoteseLegalNova,
    LoginRequest,
    MeResponse,
    MunicipioResumo,
    NovaSenha,
    Permissao,
    PermissaoConcedida,
    PlanoClassificacao,
    PlanoNovo,
    PlanoPublicado,
    PlanoVersao,
    Probe,
    RelatorioImportacao,
    ServicoSaude,
    TipoDocumento,
    TipoDocumentoAlteracao,
    TipoDocumentoNovo,
    TipoProcesso,
    TipoProcessoAlteracao,
    TipoProcessoNovo,
    TokenResponse,
    UnidadeAlteracao,
    UnidadeNo,
    UnidadeNova,
    UnidadeResumo,
    UnidadeVersao,
    parse,
    sent_fields,
)
from services.gateway.settings import GatewaySettings
from services.gateway.web_server import WithHeaders, api

CATALOGO_ITEM = (
    "/api/v1/<any('hipoteses-legais', 'tipos-documento', 'tipos-processo'):catalogo>/<id_>"
)
BACKEND_SERVICES = ("auth", "tenancy", "processos", "documentos", "busca")


class GatewayService(RotasProcessos, RotasDocumentos):
    name = "gateway"

    call = CallContext()
    readiness = ReadinessProbe()
    auth = ServiceRpc("auth")
    tenancy = ServiceRpc("tenancy")
    tenancy_importacao = ServiceRpc(
        "tenancy", timeout_setting="import_timeout_seconds", settings_class=GatewaySettings
    )
    settings = SettingsProvider(GatewaySettings)
    store = ObjectStoreProvider()  # bytes of uploads and downloads, at keys documentos gives
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
    def readyz(self, request: Request) -> dict[str, Any] | Response:
        status, body = probe_result(self.readiness.check())
        return body if status == 200 else json_response(status, body)

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
        "/api/v1/asyncapi.json",
        summary="O documento AsyncAPI 3.0 dos eventos publicados",
        raw=True,
        tags=("operação",),
    )
    def asyncapi_document(self, request: Request) -> dict[str, Any]:
        return asyncapi.document()

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
    def municipios(self, request: Request) -> WithHeaders:
        # Public and slow-changing: browsers and proxies may keep it for a minute.
        return WithHeaders(
            self.tenancy.listar_municipios_ativos(), {"Cache-Control": "public, max-age=60"}
        )

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
        return self.auth.me()

    @api(
        "POST",
        "/api/v1/auth/unidade",
        summary="Escolher a unidade atual (novo token)",
        body=EscolhaUnidade,
        response=TokenResponse,
        authenticated=True,
        errors=(400, 401, 403, 413, 415, 422, 503),
        tags=("acesso",),
    )
    def escolher_unidade(self, request: Request) -> dict[str, Any]:
        return self.auth.escolher_unidade(parse(EscolhaUnidade, request).unidade)

    @api(
        "POST",
        "/api/v1/auth/ativacao",
        summary="Primeiro acesso: ativar a conta com o código de uso único e escolher a senha",
        body=AtivacaoConta,
        response=TokenResponse,
        errors=(400, 401, 403, 413, 415, 422, 429, 503),
        tags=("acesso",),
    )
    def ativar_conta(self, request: Request) -> dict[str, Any]:
        dados = parse(AtivacaoConta, request)
        return self.auth.ativar_conta(dados.municipio, dados.usuario, dados.codigo, dados.senha)

    @api(
        "PUT",
        "/api/v1/usuarios/<login>/senha",
        summary="Definir a senha de um usuário (administrador)",
        body=NovaSenha,
        status=204,
        authenticated=True,
        errors=(400, 401, 403, 404, 413, 415, 422, 503),
        tags=("acesso",),
    )
    def definir_senha(self, request: Request, login: str) -> None:
        self.auth.definir_senha(login, parse(NovaSenha, request).senha)

    @api(
        "POST",
        "/api/v1/usuarios/<login>/codigo-ativacao",
        summary="Novo código de ativação para uma conta ainda sem senha (administrador)",
        response=CodigoAtivacao,
        authenticated=True,
        errors=(401, 403, 404, 409, 503),
        tags=("acesso",),
    )
    def novo_codigo_ativacao(self, request: Request, login: str) -> dict[str, Any]:
        return self.auth.novo_codigo_ativacao(login)

    @api(
        "GET",
        "/api/v1/admin/planilha/modelo",
        summary="Modelo da planilha de encaminhamentos (XLSX)",
        authenticated=True,
        produces=XLSX_MEDIA_TYPE,
        errors=(401, 503),
        tags=("implantação",),
    )
    def modelo_planilha(self, request: Request) -> Response:
        conteudo = base64.b64decode(self.tenancy.modelo_planilha())
        return Response(
            conteudo,
            content_type=XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": 'attachment; filename="planilha-modelo.xlsx"'},
        )

    @api(
        "POST",
        "/api/v1/admin/planilha",
        summary="Importar a planilha de encaminhamentos (administrador); ?simular=sim só mostra",
        response=RelatorioImportacao,
        authenticated=True,
        max_body_setting="spreadsheet_max_bytes",
        multipart={"arquivo": "a planilha XLSX, ou um arquivo CSV por aba (nome = aba)"},
        errors=(401, 403, 413, 415, 422, 503),
        tags=("implantação",),
    )
    def importar_planilha(self, request: Request) -> dict[str, Any]:
        self.call.require_administrator()  # before reading a large body for nothing
        if request.mimetype != "multipart/form-data":
            raise TipoNaoSuportado("Envie a planilha como multipart/form-data.")
        arquivos = [
            {
                "nome": arquivo.filename or campo,
                "conteudo": base64.b64encode(arquivo.read()).decode("ascii"),
            }
            for campo, arquivo in request.files.items(multi=True)
        ]
        simular = request.args.get("simular", "").lower() in ("1", "sim", "true")
        return self.tenancy_importacao.importar_planilha(arquivos, simular)

    @api(
        "PUT",
        "/api/v1/usuarios/<login>/permissoes/<sigla>",
        summary="Dar ou mudar o perfil de um usuário numa unidade (administrador)",
        body=Permissao,
        response=PermissaoConcedida,
        authenticated=True,
        errors=(400, 401, 403, 404, 413, 415, 422, 503),
        tags=("unidades",),
    )
    def conceder_permissao(self, request: Request, login: str, sigla: str) -> dict[str, Any]:
        return self.auth.conceder_permissao(login, sigla, parse(Permissao, request).perfil)

    @api(
        "DELETE",
        "/api/v1/usuarios/<login>/permissoes/<sigla>",
        summary="Retirar a permissão de um usuário numa unidade (administrador)",
        status=204,
        authenticated=True,
        errors=(401, 403, 404, 503),
        tags=("unidades",),
    )
    def revogar_permissao(self, request: Request, login: str, sigla: str) -> None:
        self.auth.revogar_permissao(login, sigla)

    @api(
        "GET",
        "/api/v1/unidades",
        summary="As unidades do município, em árvore",
        response=UnidadeNo,
        response_list=True,
        authenticated=True,
        errors=(401, 503),
        tags=("unidades",),
    )
    def unidades(self, request: Request) -> list[dict[str, Any]]:
        return self.tenancy.arvore_unidades()

    @api(
        "POST",
        "/api/v1/unidades",
        summary="Criar unidade (administrador)",
        body=UnidadeNova,
        response=UnidadeResumo,
        status=201,
        authenticated=True,
        errors=(400, 401, 403, 404, 409, 413, 415, 422, 503),
        tags=("unidades",),
    )
    def criar_unidade(self, request: Request) -> dict[str, Any]:
        dados = parse(UnidadeNova, request)
        return self.tenancy.criar_unidade(
            dados.sigla, dados.nome, dados.unidade_superior, dados.protocolo, dados.arquivo
        )

    @api(
        "PATCH",
        "/api/v1/unidades/<sigla>",
        summary="Alterar unidade (administrador)",
        body=UnidadeAlteracao,
        response=UnidadeResumo,
        authenticated=True,
        errors=(400, 401, 403, 404, 409, 413, 415, 422, 503),
        tags=("unidades",),
    )
    def alterar_unidade(self, request: Request, sigla: str) -> dict[str, Any]:
        return self.tenancy.alterar_unidade(sigla, parse(UnidadeAlteracao, request).mudancas())

    @api(
        "POST",
        "/api/v1/unidades/<sigla>/desativar",
        summary="Desativar unidade",
        response=UnidadeResumo,
        authenticated=True,
        errors=(401, 403, 404, 409, 503),
        tags=("unidades",),
    )
    def desativar_unidade(self, request: Request, sigla: str) -> dict[str, Any]:
        return self.tenancy.desativar_unidade(sigla)

    @api(
        "GET",
        "/api/v1/unidades/<sigla>/historico",
        summary="Versões da unidade na hierarquia (sigla, nome, superior, vigência)",
        response=UnidadeVersao,
        response_list=True,
        authenticated=True,
        errors=(401, 404, 503),
        tags=("unidades",),
    )
    def historico_unidade(self, request: Request, sigla: str) -> list[dict[str, Any]]:
        return self.tenancy.historico_unidade(sigla)

    @api(
        "GET",
        "/api/v1/hipoteses-legais",
        summary="Hipóteses legais de acesso restrito/sigiloso",
        response=HipoteseLegal,
        response_list=True,
        authenticated=True,
        errors=(401, 503),
        tags=("catálogo",),
    )
    def hipoteses_legais(self, request: Request) -> list[dict[str, Any]]:
        return self.tenancy.listar_catalogo("hipoteses_legais")

    @api(
        "POST",
        "/api/v1/hipoteses-legais",
        summary="Criar hipótese legal (administrador)",
        body=HipoteseLegalNova,
        response=HipoteseLegal,
        status=201,
        authenticated=True,
        errors=(400, 401, 403, 409, 413, 415, 422, 503),
        tags=("catálogo",),
    )
    def criar_hipotese_legal(self, request: Request) -> dict[str, Any]:
        dados = parse(HipoteseLegalNova, request)
        return self.tenancy.criar_hipotese_legal(dados.nome, dados.base_legal, dados.niveis)

    @api(
        "GET",
        "/api/v1/tipos-documento",
        summary="Tipos de documento",
        response=TipoDocumento,
        response_list=True,
        authenticated=True,
        errors=(401, 503),
        tags=("catálogo",),
    )
    def tipos_documento(self, request: Request) -> list[dict[str, Any]]:
        return self.tenancy.listar_catalogo("tipos_documento")

    @api(
        "POST",
        "/api/v1/tipos-documento",
        summary="Criar tipo de documento (administrador)",
        body=TipoDocumentoNovo,
        response=TipoDocumento,
        status=201,
        authenticated=True,
        errors=(400, 401, 403, 409, 413, 415, 422, 503),
        tags=("catálogo",),
    )
    def criar_tipo_documento(self, request: Request) -> dict[str, Any]:
        dados = parse(TipoDocumentoNovo, request)
        return self.tenancy.criar_tipo_documento(dados.nome, dados.aplicacao, dados.numeracao)

    @api(
        "GET",
        "/api/v1/tipos-processo",
        summary="Tipos de processo",
        response=TipoProcesso,
        response_list=True,
        authenticated=True,
        errors=(401, 503),
        tags=("catálogo",),
    )
    def tipos_processo(self, request: Request) -> list[dict[str, Any]]:
        return self.tenancy.listar_catalogo("tipos_processo")

    @api(
        "POST",
        "/api/v1/tipos-processo",
        summary="Criar tipo de processo (administrador)",
        body=TipoProcessoNovo,
        response=TipoProcesso,
        status=201,
        authenticated=True,
        errors=(400, 401, 403, 404, 409, 413, 415, 422, 503),
        tags=("catálogo",),
    )
    def criar_tipo_processo(self, request: Request) -> dict[str, Any]:
        dados = parse(TipoProcessoNovo, request)
        return self.tenancy.criar_tipo_processo(
            dados.nome, dados.classificacao, dados.nivel_acesso_sugerido, dados.hipotese_legal
        )

    @api(
        "GET",
        "/api/v1/plano-classificacao",
        summary="Plano de classificação e tabela de temporalidade vigentes",
        response=PlanoClassificacao,
        authenticated=True,
        errors=(401, 404, 503),
        tags=("catálogo",),
    )
    def plano_classificacao(self, request: Request) -> dict[str, Any]:
        return self.tenancy.listar_catalogo("plano_classificacao")

    @api(
        "GET",
        "/api/v1/plano-classificacao/versoes",
        summary="Versões do plano publicadas",
        response=PlanoVersao,
        response_list=True,
        authenticated=True,
        errors=(401, 503),
        tags=("catálogo",),
    )
    def versoes_plano(self, request: Request) -> list[dict[str, Any]]:
        return self.tenancy.listar_catalogo("plano_versoes")

    @api(
        "POST",
        "/api/v1/plano-classificacao/versoes",
        summary="Publicar nova versão do plano (administrador); a anterior fica como estava",
        body=PlanoNovo,
        response=PlanoPublicado,
        status=201,
        authenticated=True,
        errors=(400, 401, 403, 409, 413, 415, 422, 503),
        tags=("catálogo",),
    )
    def publicar_plano(self, request: Request) -> dict[str, Any]:
        dados = parse(PlanoNovo, request)
        itens = [item.model_dump() for item in dados.itens]
        return self.tenancy.publicar_plano(dados.versao, dados.fonte, itens)

    @api(
        "DELETE",
        "/api/v1/plano-classificacao/itens/<codigo>",
        summary="Excluir código do plano vigente, se não estiver em uso (administrador)",
        status=204,
        authenticated=True,
        errors=(401, 403, 404, 409, 503),
        tags=("catálogo",),
    )
    def excluir_codigo_plano(self, request: Request, codigo: str) -> None:
        self.tenancy.excluir_codigo_plano(codigo)

    @api(
        "PATCH",
        CATALOGO_ITEM,
        summary="Alterar item do catálogo (administrador)",
        body=(HipoteseLegalAlteracao, TipoDocumentoAlteracao, TipoProcessoAlteracao),
        status=204,
        authenticated=True,
        errors=(400, 401, 403, 404, 409, 413, 415, 422, 503),
        tags=("catálogo",),
    )
    def alterar_catalogo(self, request: Request, catalogo: str, id_: str) -> None:
        modelo = CATALOGO_ALTERACOES[catalogo]
        self.tenancy.alterar_catalogo(
            catalogo.replace("-", "_"), id_, sent_fields(parse(modelo, request))
        )

    @api(
        "POST",
        CATALOGO_ITEM + "/desativar",
        summary="Desativar item do catálogo (administrador)",
        status=204,
        authenticated=True,
        errors=(401, 403, 404, 409, 503),
        tags=("catálogo",),
    )
    def desativar_catalogo(self, request: Request, catalogo: str, id_: str) -> None:
        self.tenancy.desativar_catalogo(catalogo.replace("-", "_"), id_)


CATALOGO_ALTERACOES = {
    "hipoteses-legais": HipoteseLegalAlteracao,
    "tipos-documento": TipoDocumentoAlteracao,
    "tipos-processo": TipoProcessoAlteracao,
}

SERVICE = GatewayService

"""The processes API: a route mixin of the gateway (nameko finds entrypoints on base classes)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

from services.chassis.errors import DadosInvalidos
from services.gateway.schemas import parse
from services.gateway.schemas_processos import (
    Andamento,
    Anexacao,
    Anexado,
    Atribuicao,
    Atribuido,
    Caixa,
    Envio,
    EnvioFeito,
    Marcador,
    Motivo,
    Numeracao,
    Processo,
    ProcessoCriado,
    ProcessoNovo,
)
from services.gateway.web_server import api

P = "/api/v1/processos/<ref>"
WRITE_ERRORS = (400, 401, 404, 409, 413, 415, 422, 503)
TAGS = ("processos",)


class RotasProcessos:
    """Every route checks the token; the current unit comes from it, never from the request."""

    @api(
        "POST",
        "/api/v1/processos",
        summary="Gerar (abrir) um processo na unidade atual, já numerado",
        body=ProcessoNovo,
        response=ProcessoCriado,
        status=201,
        authenticated=True,
        errors=WRITE_ERRORS,
        tags=TAGS,
    )
    def gerar_processo(self, request: Request) -> dict[str, Any]:
        dados = parse(ProcessoNovo, request).model_dump()
        return self.processos.gerar(dados)

    @api(
        "GET",
        "/api/v1/processos",
        summary="Um processo pelo número, com ou sem pontuação: ?numero=00058.055636/2023-28",
        response=Processo,
        authenticated=True,
        errors=(401, 404, 422, 503),
        tags=TAGS,
    )
    def processo_por_numero(self, request: Request) -> dict[str, Any]:
        numero = request.args.get("numero", "")
        if not numero:
            raise DadosInvalidos("Informe ?numero=.", code="numero_obrigatorio")
        return self.processos.obter(numero)

    @api(
        "GET",
        P,
        summary="Um processo, por id ou número (com ou sem pontuação)",
        response=Processo,
        authenticated=True,
        errors=(401, 404, 503),
        tags=TAGS,
    )
    def obter_processo(self, request: Request, ref: str) -> dict[str, Any]:
        return self.processos.obter(ref)

    @api(
        "GET",
        f"{P}/andamentos",
        summary="O histórico do processo (só acrescenta)",
        response=Andamento,
        response_list=True,
        authenticated=True,
        errors=(401, 404, 503),
        tags=TAGS,
    )
    def andamentos(self, request: Request, ref: str) -> list[dict[str, Any]]:
        return self.processos.andamentos(ref)

    @api(
        "POST",
        f"{P}/enviar",
        summary="Enviar a uma ou mais unidades (manter_aberto: continua na atual)",
        body=Envio,
        response=EnvioFeito,
        authenticated=True,
        errors=WRITE_ERRORS,
        tags=TAGS,
    )
    def enviar(self, request: Request, ref: str) -> dict[str, Any]:
        envio = parse(Envio, request)
        return self.processos.enviar(ref, envio.destinos, envio.manter_aberto)

    @api(
        "POST",
        f"{P}/receber",
        summary="Receber na unidade atual",
        status=204,
        authenticated=True,
        errors=(401, 404, 409, 503),
        tags=TAGS,
    )
    def receber(self, request: Request, ref: str) -> None:
        self.processos.receber(ref)

    @api(
        "POST",
        f"{P}/concluir",
        summary="Concluir na unidade atual",
        status=204,
        authenticated=True,
        errors=(401, 404, 409, 503),
        tags=TAGS,
    )
    def concluir(self, request: Request, ref: str) -> None:
        self.processos.concluir(ref)

    @api(
        "POST",
        f"{P}/reabrir",
        summary="Reabrir na unidade atual (se o processo passou por ela)",
        status=204,
        authenticated=True,
        errors=(401, 404, 409, 503),
        tags=TAGS,
    )
    def reabrir(self, request: Request, ref: str) -> None:
        self.processos.reabrir(ref)

    @api(
        "PUT",
        f"{P}/atribuicao",
        summary="Atribuir a um usuário da unidade atual",
        body=Atribuicao,
        response=Atribuido,
        authenticated=True,
        errors=WRITE_ERRORS,
        tags=TAGS,
    )
    def atribuir(self, request: Request, ref: str) -> dict[str, Any]:
        return self.processos.atribuir(ref, parse(Atribuicao, request).usuario)

    @api(
        "DELETE",
        f"{P}/atribuicao",
        summary="Remover a atribuição",
        status=204,
        authenticated=True,
        errors=(401, 404, 409, 503),
        tags=TAGS,
    )
    def remover_atribuicao(self, request: Request, ref: str) -> None:
        self.processos.atribuir(ref, None)

    @api(
        "PUT",
        f"{P}/marcador",
        summary="Marcador (texto) da unidade atual no processo; filtra a caixa",
        body=Marcador,
        status=204,
        authenticated=True,
        errors=WRITE_ERRORS,
        tags=TAGS,
    )
    def marcar(self, request: Request, ref: str) -> None:
        self.processos.marcar(ref, parse(Marcador, request).texto)

    @api(
        "POST",
        f"{P}/sobrestamento",
        summary="Sobrestar, com motivo",
        body=Motivo,
        status=204,
        authenticated=True,
        errors=WRITE_ERRORS,
        tags=TAGS,
    )
    def sobrestar(self, request: Request, ref: str) -> None:
        self.processos.sobrestar(ref, parse(Motivo, request).motivo, True)

    @api(
        "POST",
        f"{P}/sobrestamento/remover",
        summary="Remover o sobrestamento, com motivo",
        body=Motivo,
        status=204,
        authenticated=True,
        errors=WRITE_ERRORS,
        tags=TAGS,
    )
    def remover_sobrestamento(self, request: Request, ref: str) -> None:
        self.processos.sobrestar(ref, parse(Motivo, request).motivo, False)

    @api(
        "POST",
        f"{P}/anexos",
        summary="Anexar outro processo a este, com motivo",
        body=Anexacao,
        response=Anexado,
        authenticated=True,
        errors=WRITE_ERRORS,
        tags=TAGS,
    )
    def anexar(self, request: Request, ref: str) -> dict[str, Any]:
        dados = parse(Anexacao, request)
        return self.processos.anexar(ref, dados.processo, dados.motivo)

    @api(
        "POST",
        f"{P}/anexos/<outro>/desanexar",
        summary="Desanexar um processo anexado a este, com motivo",
        body=Motivo,
        status=204,
        authenticated=True,
        errors=WRITE_ERRORS,
        tags=TAGS,
    )
    def desanexar(self, request: Request, ref: str, outro: str) -> None:
        self.processos.desanexar(ref, outro, parse(Motivo, request).motivo)

    @api(
        "PUT",
        f"{P}/relacionados/<outro>",
        summary="Relacionar dois processos",
        status=204,
        authenticated=True,
        errors=(401, 404, 409, 503),
        tags=TAGS,
    )
    def relacionar(self, request: Request, ref: str, outro: str) -> None:
        self.processos.relacionar(ref, outro, True)

    @api(
        "DELETE",
        f"{P}/relacionados/<outro>",
        summary="Remover a relação entre dois processos",
        status=204,
        authenticated=True,
        errors=(401, 404, 409, 503),
        tags=TAGS,
    )
    def remover_relacao(self, request: Request, ref: str, outro: str) -> None:
        self.processos.relacionar(ref, outro, False)

    @api(
        "POST",
        f"{P}/ciencia",
        summary="Dar ciência",
        status=204,
        authenticated=True,
        errors=(401, 404, 409, 503),
        tags=TAGS,
    )
    def dar_ciencia(self, request: Request, ref: str) -> None:
        self.processos.dar_ciencia(ref)

    @api(
        "PUT",
        f"{P}/credenciais/<login>",
        summary="Conceder credencial de acesso (processo sigiloso; quem já tem concede)",
        status=204,
        authenticated=True,
        errors=(401, 404, 409, 422, 503),
        tags=TAGS,
    )
    def conceder_credencial(self, request: Request, ref: str, login: str) -> None:
        self.processos.credencial(ref, login, True)

    @api(
        "DELETE",
        f"{P}/credenciais/<login>",
        summary="Renunciar (a própria) ou cassar (a de outro) credencial",
        status=204,
        authenticated=True,
        errors=(401, 404, 409, 422, 503),
        tags=TAGS,
    )
    def retirar_credencial(self, request: Request, ref: str, login: str) -> None:
        self.processos.credencial(ref, login, False)

    @api(
        "GET",
        "/api/v1/caixa",
        summary="Caixa da unidade atual: grupo=recebidos|nao_recebidos|atribuidos, "
        "tipo, marcador, limite, apos (cursor)",
        response=Caixa,
        authenticated=True,
        errors=(401, 409, 422, 503),
        tags=TAGS,
    )
    def caixa(self, request: Request) -> dict[str, Any]:
        args = request.args
        try:
            limite = int(args.get("limite", "50"))
        except ValueError as exc:
            raise DadosInvalidos("limite deve ser um número.", code="limite_invalido") from exc
        filtros = {
            "grupo": args.get("grupo", "recebidos"),
            "tipo_processo": args.get("tipo") or None,
            "marcador": args.get("marcador") or None,
            "limite": limite,
            "apos": args.get("apos") or None,
        }
        return self.processos.caixa(filtros)

    @api(
        "GET",
        "/api/v1/busca",
        summary="Buscar processos e documentos: q, tipo_processo, tipo_documento, unidade "
        "(sigla), de, ate (AAAA-MM-DD), nivel, pagina, por_pagina",
        authenticated=True,
        errors=(401, 422, 503),
        tags=("busca",),
    )
    def buscar(self, request: Request) -> dict[str, Any]:
        campos = (
            "q",
            "tipo_processo",
            "tipo_documento",
            "unidade",
            "de",
            "ate",
            "nivel",
            "pagina",
            "por_pagina",
        )
        return self.busca.buscar({c: request.args[c] for c in campos if request.args.get(c)})

    @api(
        "GET",
        "/api/v1/numeracao",
        summary="Formato e prefixo da numeração de processos do município",
        response=Numeracao,
        authenticated=True,
        errors=(401, 503),
        tags=TAGS,
    )
    def numeracao(self, request: Request) -> dict[str, str]:
        return self.processos.numeracao()

    @api(
        "PUT",
        "/api/v1/numeracao",
        summary="Mudar formato ou prefixo da numeração (administrador)",
        body=Numeracao,
        response=Numeracao,
        authenticated=True,
        errors=(400, 401, 403, 413, 415, 422, 503),
        tags=TAGS,
    )
    def definir_numeracao(self, request: Request) -> dict[str, str]:
        dados = parse(Numeracao, request)
        return self.processos.definir_numeracao(dados.formato, dados.prefixo)

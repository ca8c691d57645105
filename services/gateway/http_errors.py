"""Every exception the gateway can meet, mapped to one HTTP answer, in one place.

The body is always ``{"error": {"code": ..., "message": ...}}`` with a stable
code and a Portuguese message; nothing about the internals leaks.
"""

from __future__ import annotations

import json
from typing import Any

import structlog
from nameko.exceptions import RemoteError
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.wrappers import Response

from services.chassis.errors import SemPapelError

_log = structlog.get_logger("sempapel.gateway")

# werkzeug's own errors (routing, body size) by status: code and message.
HTTP_ERRORS: dict[int, tuple[str, str]] = {
    400: ("requisicao_invalida", "Requisição inválida."),
    401: ("nao_autenticado", "Autenticação necessária."),
    403: ("acesso_negado", "Acesso negado."),
    404: ("rota_inexistente", "Rota não encontrada."),
    405: ("metodo_nao_permitido", "Método não permitido para esta rota."),
    413: ("corpo_muito_grande", "O corpo da requisição excede o tamanho máximo permitido."),
    415: ("tipo_de_conteudo_nao_suportado", "Envie o corpo como application/json."),
    429: ("muitas_requisicoes", "Muitas requisições. Tente novamente mais tarde."),
}
INTERNAL = (500, "erro_interno", "Erro interno. A equipe foi notificada; tente novamente.")


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False),
        status=status,
        headers=headers,
        content_type="application/json; charset=utf-8",
    )


def error_body(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **details}}


def response_for(exc: BaseException) -> Response:
    if isinstance(exc, SemPapelError):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return json_response(exc.status, exc.as_body(), headers)
    if isinstance(exc, HTTPException) and exc.code is not None and exc.code < 400:
        return exc.get_response()  # routing redirects, e.g. a missing trailing slash
    if isinstance(exc, HTTPException) and exc.code is not None and exc.code < 500:
        code, message = HTTP_ERRORS.get(exc.code, HTTP_ERRORS[400])
        headers = None
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            headers = {"Allow": ", ".join(sorted(exc.valid_methods))}
        return json_response(exc.code, error_body(code, message), headers)
    if isinstance(exc, RemoteError):
        _log.error("remote_error", exc_type=exc.exc_type, value=str(exc.value))
    else:
        _log.error("unhandled_error", exc_info=exc)
    status, code, message = INTERNAL
    return json_response(status, error_body(code, message))

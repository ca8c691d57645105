"""The gateway's HTTP edge: JSON routes, request ids, CORS, body limits, JSON errors.

nameko's WebServer answers unknown routes and wrong methods with werkzeug's HTML
pages; this subclass wraps its WSGI app so that every answer, including those,
is JSON, carries an X-Request-Id, and honours CORS for the configured origins.
Routes are declared with `api(...)`, which also records what the OpenAPI
document needs to describe them, the success status included: the server
answers with the declared status, so a handler returns only its body and the
document cannot say another status than the API answers.
"""

from __future__ import annotations

import io
import json
import re
import socket
import time
import uuid
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import structlog
from eventlet.event import Event
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer
from pydantic import BaseModel
from werkzeug.exceptions import HTTPException, NotFound, RequestEntityTooLarge
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from services.chassis.call_context import REQUEST_ID_KEY, TOKEN_KEY
from services.chassis.config import Settings
from services.chassis.errors import NaoAutenticado, SemPapelError, TokenInvalido
from services.chassis.tokens import TokenService
from services.gateway.http_errors import error_body, json_response, response_for
from services.gateway.settings import GatewaySettings

_log = structlog.get_logger("sempapel.gateway")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
ALLOWED_HEADERS = "Authorization, Content-Type, X-Request-Id"


def request_id_from(header: str | None) -> str:
    """Keep the caller's id when it is sane, so logs join across systems; else make one."""
    if header and _REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


@dataclass(frozen=True)
class RouteDoc:
    summary: str
    body: type[BaseModel] | tuple[type[BaseModel], ...] | None = None
    response: type[BaseModel] | None = None
    response_list: bool = False
    authenticated: bool = False
    errors: tuple[int, ...] = ()
    tags: tuple[str, ...] = field(default_factory=tuple)
    raw: bool = False
    # A GatewaySettings attribute with this route's own body limit; default max_body_bytes.
    max_body_setting: str = "max_body_bytes"
    # multipart/form-data instead of JSON (for OpenAPI): {field: description}.
    multipart: dict[str, str] | None = None
    # The media type of a non-JSON answer (for OpenAPI).
    produces: str | None = None
    # The success status, the one the server answers with (and the OpenAPI document says):
    # 201 for creations, 204 for answers without a body (the handler then returns None).
    status: int = 200
    # The handler reads the body as a stream (uploads): a chunked body is not buffered.
    stream_body: bool = False


@dataclass(frozen=True)
class WithHeaders:
    """A handler's body with extra response headers (the status is still the declared one)."""

    body: Any
    headers: dict[str, str]


class StatusContradictsDeclaration(TypeError):
    """A handler tried to answer a success status other than its route declares (a bug)."""


class ApiApp:
    """WSGI app around nameko's route map."""

    def __init__(self, server: GatewayWebServer) -> None:
        self.server = server
        self.url_map = server.make_url_map()
        settings = GatewaySettings.from_env()
        self.settings = settings
        self.origins = {o.strip() for o in settings.cors_origins.split(",") if o.strip()}

    def __call__(self, environ: dict, start_response: Any) -> Any:
        started = time.perf_counter()
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"))
        environ["sempapel.request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(service="gateway", request_id=request_id)
        request = Request(environ, shallow=True)
        try:
            response = self.dispatch(request)
        except Exception as exc:  # noqa: BLE001 - the last net: still a JSON answer
            response = response_for(exc)
        response.headers["X-Request-Id"] = request_id
        self.add_cors(request, response)
        _log.info(
            "http",
            method=request.method,
            path=request.path,
            status=response.status_code,
            ms=round((time.perf_counter() - started) * 1000, 2),
        )
        structlog.contextvars.clear_contextvars()
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        if request.method == "OPTIONS":
            return self.options(request, adapter)
        try:
            provider, values = adapter.match()
        except HTTPException as exc:
            return response_for(exc)
        limit = getattr(self.settings, provider.doc.max_body_setting)
        request.max_content_length = limit
        if request.content_length is not None and request.content_length > limit:
            return response_for(RequestEntityTooLarge())
        if (
            request.content_length is None
            and "chunked" in request.headers.get("Transfer-Encoding", "").lower()
            and not provider.doc.stream_body
        ):
            if not self.buffer_chunked_body(request.environ, limit):
                return response_for(RequestEntityTooLarge())
        request.path_values = values
        return provider.handle_request(request)

    def buffer_chunked_body(self, environ: dict, limit: int) -> bool:
        """Read a chunked body up to the limit and hand it on with a Content-Length."""
        stream, parts, size = environ["wsgi.input"], [], 0
        while True:
            chunk = stream.read(65536)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                return False
            parts.append(chunk)
        body = b"".join(parts)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["wsgi.input_terminated"] = False
        return True

    def options(self, request: Request, adapter: Any) -> Response:
        methods = adapter.allowed_methods()
        if not methods:
            return response_for(NotFound())
        allow = ", ".join(sorted(set(methods) | {"OPTIONS"}))
        origin = request.headers.get("Origin")
        if origin is not None and origin not in self.origins:
            return json_response(
                403, error_body("origem_nao_permitida", "Origem não permitida para esta API.")
            )
        response = Response(status=204, headers={"Allow": allow})
        if origin is not None:
            response.headers["Access-Control-Allow-Methods"] = allow
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = "600"
        return response

    def add_cors(self, request: Request, response: Response) -> None:
        origin = request.headers.get("Origin")
        response.vary.add("Origin")
        if origin is not None and origin in self.origins:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = "X-Request-Id"


class GatewayWebServer(WebServer):
    def setup(self) -> None:
        super().setup()
        self.tokens = TokenService.from_settings(Settings.from_env())

    def get_wsgi_app(self) -> ApiApp:
        return ApiApp(self)

    def get_wsgi_server(self, sock: Any, wsgi_app: Any, **kwargs: Any) -> Any:
        # eventlet writes headers and body separately: with Nagle on, a body that does not fit
        # the first segment waits for the client's delayed ACK (~40 ms, measured in
        # bench_processos). Accepted sockets inherit the option from the listening one.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return super().get_wsgi_server(sock, wsgi_app, **kwargs)

    def context_data_from_headers(self, request: Request) -> dict[str, Any]:
        return {REQUEST_ID_KEY: request.environ["sempapel.request_id"]}


class ApiRoute(HttpRequestHandler):
    """An HTTP route answering its declared status with what its handler returns.

    A handler returns its JSON-able body (None for a 204), a `WithHeaders` for extra
    headers, or a werkzeug `Response` for raw and streaming answers (whose success
    status must still be the declared one).
    """

    server = GatewayWebServer()

    def __init__(self, method: str, url: str, doc: RouteDoc, **kwargs: Any) -> None:
        self.doc = doc
        super().__init__(method, url, **kwargs)

    def get_url_rule(self) -> Rule:
        return Rule(self.url, methods=self.method.split(","), strict_slashes=True)

    def handle_request(self, request: Request) -> Response:
        request.shallow = False
        try:
            context_data = self.server.context_data_from_headers(request)
            if self.doc.authenticated:
                # Verified here, before any worker runs; every RPC hop carries it on.
                token = bearer_token(request)
                if self.server.tokens.verify(token).sistema is not None:
                    raise TokenInvalido()  # the platform's systems never come through here
                context_data[TOKEN_KEY] = token
            args, kwargs = self.get_entrypoint_parameters(request)
            self.check_signature(args, kwargs)
            event = Event()
            self.container.spawn_worker(
                self,
                args,
                kwargs,
                context_data=context_data,
                handle_result=partial(self.handle_result, event),
            )
            result = event.wait()
            return self.response_from_result(result)
        except Exception as exc:  # noqa: BLE001 - mapped to a JSON error
            return response_for(exc)

    def response_from_result(self, result: Any) -> Response:
        status = self.doc.status
        if isinstance(result, Response):
            if result.status_code < 400 and result.status_code != status:
                raise self._contradiction(f"a Response with status {result.status_code}")
            return result
        headers = None
        if isinstance(result, WithHeaders):
            result, headers = result.body, result.headers
        if isinstance(result, tuple):
            # The old (status, body[, headers]) convention: the status belongs in api(...).
            raise self._contradiction("a tuple")
        if status == 204:
            if result is not None:
                raise self._contradiction("a body")
            return Response(status=204, headers=headers)
        return Response(
            json.dumps(result, ensure_ascii=False),
            status=status,
            headers=headers,
            content_type="application/json; charset=utf-8",
        )

    def _contradiction(self, what: str) -> StatusContradictsDeclaration:
        return StatusContradictsDeclaration(
            f"{self.method_name} ({self.method} {self.url}) declares status {self.doc.status} "
            f"but returned {what}: a handler returns only its body (see ApiRoute)"
        )


def bearer_token(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NaoAutenticado("Envie o token de acesso no cabeçalho Authorization: Bearer.")
    return token.strip()


def api(method: str, url: str, **doc: Any) -> Any:
    return ApiRoute.decorator(method, url, doc=RouteDoc(**doc), expected_exceptions=SemPapelError)

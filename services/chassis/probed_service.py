"""Entrypoints every back-end service shares: probes over HTTP, health over RPC."""

from __future__ import annotations

import json

from nameko.web.handlers import http
from werkzeug.wrappers import Request

from services.chassis.call_context import CallContext
from services.chassis.health import ReadinessProbe, probe_result
from services.chassis.rpc_entrypoint import rpc


class ProbedService:
    name = "probed"

    call = CallContext()
    readiness = ReadinessProbe()

    @http("GET", "/healthz")
    def healthz(self, request: Request) -> tuple[int, dict[str, str], str]:
        return 200, {"Content-Type": "application/json"}, json.dumps({"status": "vivo"})

    @http("GET", "/readyz")
    def readyz(self, request: Request) -> tuple[int, dict[str, str], str]:
        status, body = probe_result(self.readiness.check())
        return status, {"Content-Type": "application/json"}, json.dumps(body)

    @rpc
    def health(self) -> dict[str, str]:
        return {"service": self.name, "status": "ok"}

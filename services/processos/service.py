"""processos: running and probed; its domain arrives with its own issue."""

from __future__ import annotations

from services.chassis.probed_service import ProbedService


class ProcessosService(ProbedService):
    name = "processos"


SERVICE = ProcessosService

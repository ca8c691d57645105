"""Start one service in this process, the way `nameko run` would, with our settings."""

from __future__ import annotations

import importlib

from nameko.cli.run import run

from services.chassis.config import Settings
from services.chassis.structured_logging import configure_logging

SERVICES = ("gateway", "auth", "tenancy", "processos", "documentos", "busca")


def service_class(name: str) -> type:
    if name not in SERVICES:
        raise ValueError(f"serviço desconhecido: {name}")
    module = importlib.import_module(f"services.{name}.service")
    return module.SERVICE


def run_service(name: str, settings: Settings | None = None) -> None:
    """Blocks until SIGTERM or SIGINT; replicas are just more processes of the same service."""
    settings = settings or Settings.from_env()
    configure_logging(settings, service=name)
    run([service_class(name)], settings.nameko_config())

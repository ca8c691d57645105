"""Start one service in this process, the way `nameko run` would, with our settings.

The services are found through the entry point group `sempapel.servicos` (each names
its `service.py`'s SERVICE class in pyproject.toml): the chassis knows none of them.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from nameko.cli.run import run

from services.chassis.config import Settings
from services.chassis.structured_logging import configure_logging

SERVICES_GROUP = "sempapel.servicos"


def service_names() -> list[str]:
    return sorted(ep.name for ep in entry_points(group=SERVICES_GROUP))


def service_class(name: str) -> type:
    found = entry_points(group=SERVICES_GROUP, name=name)
    if not found:
        raise ValueError(f"serviço desconhecido: {name}")
    return next(iter(found)).load()


def run_service(name: str, settings: Settings | None = None) -> None:
    """Blocks until SIGTERM or SIGINT; replicas are just more processes of the same service."""
    settings = settings or Settings.from_env()
    configure_logging(settings, service=name)
    run([service_class(name)], settings.nameko_config())

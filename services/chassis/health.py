"""Liveness and readiness for every service process.

Each service runs in its own process with its own HTTP port, so each can
answer Kubernetes probes: /healthz says the process serves requests,
/readyz that RabbitMQ and the database answer.
"""

from __future__ import annotations

from typing import Any

from kombu import Connection
from nameko.extensions import DependencyProvider
from sqlalchemy import Engine

from services.chassis.config import Settings
from services.chassis.database import engine_from_settings, ping


class Readiness:
    def __init__(self, amqp_uri: str, engine: Engine) -> None:
        self._amqp_uri = amqp_uri
        self._engine = engine

    def check(self) -> dict[str, str]:
        checks: dict[str, str] = {}
        try:
            with Connection(self._amqp_uri, connect_timeout=2) as conn:
                conn.ensure_connection(max_retries=1)
            checks["rabbitmq"] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            checks["rabbitmq"] = f"falha: {type(exc).__name__}"
        try:
            ping(self._engine)
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["database"] = f"falha: {type(exc).__name__}"
        return checks


class ReadinessProbe(DependencyProvider):
    def setup(self) -> None:
        settings = Settings.from_env()
        self.readiness = Readiness(settings.amqp_uri, engine_from_settings(settings, pool_size=1))

    def get_dependency(self, worker_ctx: Any) -> Readiness:
        return self.readiness


def probe_result(checks: dict[str, str]) -> tuple[int, dict[str, object]]:
    ok = all(v == "ok" for v in checks.values())
    return (200 if ok else 503), {"status": "pronto" if ok else "indisponivel", "checks": checks}

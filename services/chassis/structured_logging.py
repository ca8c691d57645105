"""structlog set-up shared by every process: JSON when not on a terminal.

Call-scoped values (tenant, user, unit, call id, request id) live in structlog's
contextvars; under eventlet each greenthread has its own context, so a worker's
bindings never leak into another worker's lines. Standard-library loggers
(nameko, kombu) are rendered by the same processors.
"""

from __future__ import annotations

import logging
import sys

import structlog

from services.chassis.config import Settings

_SHARED_PROCESSORS: list = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
]


def configure_logging(settings: Settings, service: str | None = None) -> None:
    use_json = settings.log_format == "json" or (
        settings.log_format == "auto" and not sys.stderr.isatty()
    )
    renderer = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if use_json
        else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            *_SHARED_PROCESSORS,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    # The call context logs one line per call, with the traceback of unexpected errors;
    # nameko's own worker, access and expected-error lines would only repeat it.
    quiet = {
        "nameko": logging.INFO,
        "nameko.containers": logging.CRITICAL,
        "nameko.web.server": logging.WARNING,
        "kombu": logging.INFO,
        "amqp": logging.INFO,
        "alembic": logging.WARNING,
    }
    for name, level in quiet.items():
        logging.getLogger(name).setLevel(max(level, root.level))
    if service:
        structlog.contextvars.bind_contextvars(service=service)

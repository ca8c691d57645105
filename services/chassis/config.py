"""Settings, read from environment variables: the platform's here, each service's beside it.

`Settings` holds what every service shares (broker, database, tokens, timeouts,
outbox, object store, logs). A service with settings of its own declares them in
its `settings.py` as an `EnvSettings` dataclass and names it in the entry point group
`sempapel.settings`, so the chassis knows no service and `sempapel config` still
prints every variable. Nothing reads `os.environ` directly; a service process reads
its settings once per dependency provider (`services/chassis/settings_provider.py`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from importlib.metadata import entry_points
from typing import Any, Self

from services.chassis.errors import ConfiguracaoInvalida


def _env(name: str, default: str | None) -> str | None:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def _flag(raw: str) -> bool:
    if raw.strip().lower() in ("1", "true", "sim", "yes", "on"):
        return True
    if raw.strip().lower() in ("0", "false", "nao", "não", "no", "off"):
        return False
    raise ValueError("use 1 ou 0")


SETTINGS_GROUP = "sempapel.settings"


def setting(env: str, default: Any, doc: str, cast: Any = str) -> Any:
    """A field of an `EnvSettings` dataclass: its variable, default, meaning and type."""
    return field(default=None, metadata={"env": env, "default": default, "doc": doc, "cast": cast})


_setting = setting


@dataclass(frozen=True)
class EnvSettings:
    """A frozen set of settings whose fields are `setting(...)`s, read with `from_env`."""

    @classmethod
    def from_env(cls, **overrides: Any) -> Self:
        values: dict[str, Any] = {}
        for f in fields(cls):
            meta = f.metadata
            raw = _env(meta["env"], None)
            if raw is None:
                values[f.name] = meta["default"]
                continue
            try:
                values[f.name] = meta["cast"](raw)
            except ValueError as exc:
                raise ConfiguracaoInvalida(f"{meta['env']}={raw!r}: {exc}") from exc
        values.update(overrides)
        return cls(**values)


@dataclass(frozen=True)
class Settings(EnvSettings):
    amqp_uri: str = _setting(
        "SEMPAPEL_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/", "RabbitMQ connection URI"
    )
    database_url: str = _setting(
        "SEMPAPEL_DATABASE_URL",
        "postgresql+psycopg2://postgres@127.0.0.1:5432/sempapel",
        "SQLAlchemy URL (postgresql+psycopg2://... or oracle+oracledb://...)",
    )
    db_pool_size: int = _setting("SEMPAPEL_DB_POOL_SIZE", 10, "connections kept per process", int)
    db_max_overflow: int = _setting(
        "SEMPAPEL_DB_MAX_OVERFLOW", 10, "extra connections under load", int
    )
    jwt_secret: str | None = _setting(
        "SEMPAPEL_JWT_SECRET", None, "HS256 key for access tokens, 32+ chars; no default"
    )
    token_ttl_seconds: int = _setting(
        "SEMPAPEL_TOKEN_TTL_SECONDS", 3600, "access token lifetime", int
    )
    registry_cache_seconds: float = _setting(
        "SEMPAPEL_REGISTRY_CACHE_SECONDS",
        10.0,
        "how long the municipality list and names are reused before being read again",
        float,
    )
    rpc_timeout_seconds: float = _setting(
        "SEMPAPEL_RPC_TIMEOUT_SECONDS", 10.0, "how long a caller waits for an RPC reply", float
    )
    max_workers: int = _setting(
        "SEMPAPEL_MAX_WORKERS", 10, "concurrent workers per service process", int
    )
    http_address: str = _setting(
        "SEMPAPEL_HTTP_ADDRESS",
        "0.0.0.0:8000",
        "host:port of the process's HTTP port (gateway API, or health probes of a service)",
    )
    outbox_relay: str = _setting(
        "SEMPAPEL_OUTBOX_RELAY",
        "on",
        "on, or off to leave events waiting in the outbox tables (tests, maintenance)",
    )
    outbox_sweep_seconds: float = _setting(
        "SEMPAPEL_OUTBOX_SWEEP_SECONDS",
        30.0,
        "how often the relay looks for events nobody announced in every municipality schema "
        "(commits wake it at once; the sweep is the safety net: ~1 ms per schema)",
        float,
    )
    outbox_retention_hours: float = _setting(
        "SEMPAPEL_OUTBOX_RETENTION_HOURS",
        168.0,
        "sent events stay in the outbox this long, then the sweep deletes them",
        float,
    )
    catalog_cache_seconds: float = _setting(
        "SEMPAPEL_CATALOG_CACHE_SECONDS",
        10.0,
        "how long processos and documentos reuse a municipality's units and catalog",
        float,
    )
    s3_endpoint: str = _setting(
        "SEMPAPEL_S3_ENDPOINT", "127.0.0.1:9000", "host:port of the S3-compatible object store"
    )
    s3_access_key: str = _setting("SEMPAPEL_S3_ACCESS_KEY", "sempapel", "S3 access key")
    s3_secret_key: str = _setting("SEMPAPEL_S3_SECRET_KEY", "sempapel-local", "S3 secret key")
    s3_secure: bool = _setting(
        "SEMPAPEL_S3_SECURE", False, "HTTPS to the object store (1/true/sim)", _flag
    )
    s3_region: str = _setting("SEMPAPEL_S3_REGION", "us-east-1", "S3 region name")
    s3_bucket: str = _setting(
        "SEMPAPEL_S3_BUCKET",
        "sempapel-documentos",
        "the one bucket of documents; each municipality has its prefix mun_<ibge>/",
    )
    s3_part_bytes: int = _setting(
        "SEMPAPEL_S3_PART_BYTES",
        8_388_608,
        "multipart part size (memory held per upload in flight; S3 minimum 5 MiB)",
        int,
    )
    s3_single_put_bytes: int = _setting(
        "SEMPAPEL_S3_SINGLE_PUT_BYTES",
        16_777_216,
        "uploads declaring at most this many bytes go in one PUT (held whole meanwhile)",
        int,
    )
    log_format: str = _setting(
        "SEMPAPEL_LOG_FORMAT", "auto", "json, console, or auto (json unless on a terminal)"
    )
    log_level: str = _setting("SEMPAPEL_LOG_LEVEL", "INFO", "minimum log level")

    def require_jwt_secret(self) -> str:
        """The signing key has no default on purpose: a forgotten key must stop the service."""
        if not self.jwt_secret or len(self.jwt_secret) < 32:
            raise ConfiguracaoInvalida(
                "SEMPAPEL_JWT_SECRET deve ser definida com pelo menos 32 caracteres"
            )
        return self.jwt_secret

    def nameko_config(self) -> dict[str, Any]:
        return {
            "AMQP_URI": self.amqp_uri,
            "WEB_SERVER_ADDRESS": self.http_address,
            "max_workers": self.max_workers,
            "serializer": "json",
            # Domain events arrive as CloudEvents (structured JSON, their own content type).
            "SERIALIZERS": {
                "cloudevents": {
                    "encoder": "json.dumps",
                    "decoder": "json.loads",
                    "content_type": "application/cloudevents+json",
                    "content_encoding": "utf-8",
                }
            },
            "ACCEPT": ["json", "cloudevents"],
            "parent_calls_tracked": 10,
        }


def settings_classes() -> list[type[EnvSettings]]:
    """The platform's settings, then each service's (entry point group `sempapel.settings`)."""
    found = sorted(entry_points(group=SETTINGS_GROUP), key=lambda ep: ep.name)
    return [Settings, *(ep.load() for ep in found)]


def describe() -> list[tuple[str, str, str]]:
    """(variable, default, meaning) for every setting, for `sempapel config`."""
    return [
        (
            f.metadata["env"],
            "" if f.metadata["default"] is None else str(f.metadata["default"]),
            f.metadata["doc"],
        )
        for cls in settings_classes()
        for f in fields(cls)
    ]

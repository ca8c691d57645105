"""Every setting of the platform, read from environment variables.

This is the one place that lists them: `sempapel config` prints the table, and
each service reads its values from a `Settings` built here, never from
`os.environ` directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any

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


def _setting(env: str, default: Any, doc: str, cast: Any = str) -> Any:
    return field(default=None, metadata={"env": env, "default": default, "doc": doc, "cast": cast})


@dataclass(frozen=True)
class Settings:
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
    lockout_threshold: int = _setting(
        "SEMPAPEL_LOCKOUT_THRESHOLD", 5, "wrong passwords in a row that lock an account", int
    )
    lockout_seconds: int = _setting(
        "SEMPAPEL_LOCKOUT_SECONDS", 900, "how long a locked account stays locked", int
    )
    argon2_time_cost: int = _setting("SEMPAPEL_ARGON2_TIME_COST", 3, "argon2id iterations", int)
    argon2_memory_kib: int = _setting(
        "SEMPAPEL_ARGON2_MEMORY_KIB", 65536, "argon2id memory in KiB", int
    )
    argon2_parallelism: int = _setting("SEMPAPEL_ARGON2_PARALLELISM", 4, "argon2id lanes", int)
    argon2_max_concurrent: int = _setting(
        "SEMPAPEL_ARGON2_MAX_CONCURRENT",
        4,
        "password hashes computed at once per process (bounds memory: each takes MEMORY_KIB)",
        int,
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
    cors_origins: str = _setting(
        "SEMPAPEL_CORS_ORIGINS", "", "comma-separated origins allowed to call the API"
    )
    max_body_bytes: int = _setting(
        "SEMPAPEL_MAX_BODY_BYTES", 1_048_576, "largest JSON request body accepted", int
    )
    spreadsheet_max_bytes: int = _setting(
        "SEMPAPEL_PLANILHA_MAX_BYTES",
        10_485_760,
        "largest onboarding spreadsheet upload (XLSX or CSV files together)",
        int,
    )
    import_timeout_seconds: float = _setting(
        "SEMPAPEL_IMPORT_TIMEOUT_SECONDS",
        300.0,
        "how long the gateway waits for a spreadsheet import to finish",
        float,
    )
    activation_days: int = _setting(
        "SEMPAPEL_ACTIVATION_DAYS", 14, "validity of one-time account activation codes", int
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
    upload_max_bytes: int = _setting(
        "SEMPAPEL_UPLOAD_MAX_BYTES",
        104_857_600,
        "default largest document upload per municipality (each can lower or raise it)",
        int,
    )
    upload_hard_max_bytes: int = _setting(
        "SEMPAPEL_UPLOAD_HARD_MAX_BYTES",
        1_073_741_824,
        "largest upload body the gateway reads at all, whatever a municipality allows",
        int,
    )
    presigned_seconds: int = _setting(
        "SEMPAPEL_PRESIGNED_SECONDS", 300, "lifetime of presigned download URLs", int
    )
    verify_before_send_bytes: int = _setting(
        "SEMPAPEL_VERIFY_BEFORE_SEND_BYTES",
        1_048_576,
        "files up to this size are read whole and hash-checked before the first byte is sent "
        "(a mismatch answers 500); larger ones stream, their last chunk held until the hash "
        "matches (a mismatch cuts the body short)",
        int,
    )
    extracao_processos: int = _setting(
        "SEMPAPEL_EXTRACAO_PROCESSOS",
        2,
        "documentos: text extraction child processes (and events in flight) per service process",
        int,
    )
    extracao_segundos: float = _setting(
        "SEMPAPEL_EXTRACAO_SEGUNDOS",
        60.0,
        "documentos: time limit of one file's text extraction (the child is killed past it)",
        float,
    )
    busca_backend: str = _setting(
        "SEMPAPEL_BUSCA_BACKEND",
        "postgres",
        "search backend: postgres (full text in each schema) or solr (production)",
    )
    solr_url: str = _setting(
        "SEMPAPEL_SOLR_URL",
        "http://127.0.0.1:8983/solr/sempapel",
        "the Solr collection of all municipalities (compositeId routing by IBGE)",
    )
    log_format: str = _setting(
        "SEMPAPEL_LOG_FORMAT", "auto", "json, console, or auto (json unless on a terminal)"
    )
    log_level: str = _setting("SEMPAPEL_LOG_LEVEL", "INFO", "minimum log level")
    migration_workers: int = _setting(
        "SEMPAPEL_MIGRATION_WORKERS",
        os.cpu_count() or 2,
        "worker processes of `sempapel migrar` (default: one per core; more is slower, measured)",
        int,
    )

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
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


def describe() -> list[tuple[str, str, str]]:
    """(variable, default, meaning) for every setting, for `sempapel config`."""
    return [
        (
            f.metadata["env"],
            "" if f.metadata["default"] is None else str(f.metadata["default"]),
            f.metadata["doc"],
        )
        for f in fields(Settings)
    ]

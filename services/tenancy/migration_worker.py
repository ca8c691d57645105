"""One worker process of `sempapel migrar`: migrates the schemas it is given.

Alembic keeps its `op` and `context` proxies in module globals, so two
migrations cannot run in one process at once; `migrate_all` gets its
parallelism from several of these processes instead. Input on stdin: a JSON
list of IBGE codes; output on stdout: one JSON line per schema.
"""

from __future__ import annotations

import importlib
import json
import os
import sys

from services.chassis.config import Settings
from services.chassis.database import engine_from_settings
from services.chassis.schema_migrations import TenantSchemaPart, discover_parts

PARTS_ENV = "SEMPAPEL_TENANT_PARTS"


def load_parts() -> list[TenantSchemaPart]:
    """The installed parts, or those named in SEMPAPEL_TENANT_PARTS (module:attribute,...)."""
    specs = os.environ.get(PARTS_ENV)
    if not specs:
        return discover_parts()
    parts = []
    for spec in specs.split(","):
        module, _, attribute = spec.strip().partition(":")
        parts.append(getattr(importlib.import_module(module), attribute))
    return parts


def main() -> None:
    from services.tenancy.provisioning import migrate_schema

    ibges = json.load(sys.stdin)
    engine = engine_from_settings(Settings.from_env(), pool_size=1, max_overflow=0)
    parts = load_parts()
    for ibge in ibges:
        try:
            report = {"ibge": ibge, "parts": migrate_schema(engine, ibge, parts).parts}
        except Exception as exc:  # noqa: BLE001 - reported per schema, the batch goes on
            report = {"ibge": ibge, "parts": {}, "error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(report) + "\n")
        sys.stdout.flush()
    engine.dispose()


if __name__ == "__main__":
    main()

"""The settings of tenancy: migrating every municipality schema.

`sempapel config` lists them with the platform's (entry point group `sempapel.settings`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from services.chassis.config import EnvSettings, setting


@dataclass(frozen=True)
class TenancySettings(EnvSettings):
    migration_workers: int = setting(
        "SEMPAPEL_MIGRATION_WORKERS",
        os.cpu_count() or 2,
        "worker processes of `sempapel migrar` (default: one per core; more is slower, measured)",
        int,
    )

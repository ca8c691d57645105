"""The settings of auth: accounts, passwords and activation codes.

`sempapel config` lists them with the platform's (entry point group `sempapel.settings`).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.chassis.config import EnvSettings, setting


@dataclass(frozen=True)
class AuthSettings(EnvSettings):
    lockout_threshold: int = setting(
        "SEMPAPEL_LOCKOUT_THRESHOLD", 5, "wrong passwords in a row that lock an account", int
    )
    lockout_seconds: int = setting(
        "SEMPAPEL_LOCKOUT_SECONDS", 900, "how long a locked account stays locked", int
    )
    argon2_time_cost: int = setting("SEMPAPEL_ARGON2_TIME_COST", 3, "argon2id iterations", int)
    argon2_memory_kib: int = setting(
        "SEMPAPEL_ARGON2_MEMORY_KIB", 65536, "argon2id memory in KiB", int
    )
    argon2_parallelism: int = setting("SEMPAPEL_ARGON2_PARALLELISM", 4, "argon2id lanes", int)
    argon2_max_concurrent: int = setting(
        "SEMPAPEL_ARGON2_MAX_CONCURRENT",
        4,
        "password hashes computed at once per process (bounds memory: each takes MEMORY_KIB)",
        int,
    )
    activation_days: int = setting(
        "SEMPAPEL_ACTIVATION_DAYS", 14, "validity of one-time account activation codes", int
    )

"""The settings of the gateway: the HTTP edge and its limits.

`sempapel config` lists them with the platform's (entry point group `sempapel.settings`).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.chassis.config import EnvSettings, setting


@dataclass(frozen=True)
class GatewaySettings(EnvSettings):
    cors_origins: str = setting(
        "SEMPAPEL_CORS_ORIGINS", "", "comma-separated origins allowed to call the API"
    )
    max_body_bytes: int = setting(
        "SEMPAPEL_MAX_BODY_BYTES", 1_048_576, "largest JSON request body accepted", int
    )
    spreadsheet_max_bytes: int = setting(
        "SEMPAPEL_PLANILHA_MAX_BYTES",
        10_485_760,
        "largest onboarding spreadsheet upload (XLSX or CSV files together)",
        int,
    )
    import_timeout_seconds: float = setting(
        "SEMPAPEL_IMPORT_TIMEOUT_SECONDS",
        300.0,
        "how long the gateway waits for a spreadsheet import to finish",
        float,
    )
    upload_hard_max_bytes: int = setting(
        "SEMPAPEL_UPLOAD_HARD_MAX_BYTES",
        1_073_741_824,
        "largest upload body the gateway reads at all, whatever a municipality allows",
        int,
    )
    verify_before_send_bytes: int = setting(
        "SEMPAPEL_VERIFY_BEFORE_SEND_BYTES",
        1_048_576,
        "files up to this size are read whole and hash-checked before the first byte is sent "
        "(a mismatch answers 500); larger ones stream, their last chunk held until the hash "
        "matches (a mismatch cuts the body short)",
        int,
    )

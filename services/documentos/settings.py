"""The settings of documentos: upload limits, presigned URLs, text extraction.

`sempapel config` lists them with the platform's (entry point group `sempapel.settings`).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.chassis.config import EnvSettings, setting


@dataclass(frozen=True)
class DocumentosSettings(EnvSettings):
    upload_max_bytes: int = setting(
        "SEMPAPEL_UPLOAD_MAX_BYTES",
        104_857_600,
        "default largest document upload per municipality (each can lower or raise it)",
        int,
    )
    presigned_seconds: int = setting(
        "SEMPAPEL_PRESIGNED_SECONDS", 300, "lifetime of presigned download URLs", int
    )
    extracao_processos: int = setting(
        "SEMPAPEL_EXTRACAO_PROCESSOS",
        2,
        "text extraction child processes (and events in flight) per service process",
        int,
    )
    extracao_segundos: float = setting(
        "SEMPAPEL_EXTRACAO_SEGUNDOS",
        60.0,
        "time limit of one file's text extraction (the child is killed past it)",
        float,
    )

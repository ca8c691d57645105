"""The settings of busca: which search backend, and where Solr is.

`sempapel config` lists them with the platform's (entry point group `sempapel.settings`).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.chassis.config import EnvSettings, setting


@dataclass(frozen=True)
class BuscaSettings(EnvSettings):
    busca_backend: str = setting(
        "SEMPAPEL_BUSCA_BACKEND",
        "postgres",
        "search backend: postgres (full text in each schema) or solr (production)",
    )
    solr_url: str = setting(
        "SEMPAPEL_SOLR_URL",
        "http://127.0.0.1:8983/solr/sempapel",
        "the Solr collection of all municipalities (compositeId routing by IBGE)",
    )

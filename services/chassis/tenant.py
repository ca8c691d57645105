"""Which municipality a call belongs to, and the schema that holds its data.

The schema name is derived from the IBGE code and nothing else, so no request
can name a schema. Both the code and the derived name are checked against
strict patterns before any SQL runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.chassis.errors import DadosInvalidos

IBGE_PATTERN = re.compile(r"[1-5][0-9]{6}")
SCHEMA_PATTERN = re.compile(r"mun_[1-5][0-9]{6}")
# Oracle 12.1 caps identifiers at 30 bytes; 11 characters leave room to spare.
SCHEMA_MAX_LENGTH = 30


def validar_ibge(value: object) -> str:
    """Return the IBGE code as a 7-digit string, or raise DadosInvalidos."""
    if not isinstance(value, str) or not IBGE_PATTERN.fullmatch(value):
        raise DadosInvalidos(
            "Código IBGE do município inválido: são 7 dígitos.",
            details={"campos": [{"campo": "municipio", "mensagem": "código IBGE inválido"}]},
        )
    return value


def schema_for(ibge: str) -> str:
    schema = f"mun_{validar_ibge(ibge)}"
    if not SCHEMA_PATTERN.fullmatch(schema) or len(schema) > SCHEMA_MAX_LENGTH:
        raise DadosInvalidos("Nome de schema inválido.")
    return schema


@dataclass(frozen=True)
class Tenant:
    ibge: str

    def __post_init__(self) -> None:
        validar_ibge(self.ibge)

    @property
    def schema(self) -> str:
        return schema_for(self.ibge)

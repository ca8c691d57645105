"""Reads and writes of the municipality registry (global schema)."""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from services.chassis.errors import NaoEncontrado
from services.chassis.tenant import validar_ibge
from services.tenancy.tables import STATUS_ATIVO, municipio


@dataclass(frozen=True)
class Municipio:
    ibge: str
    nome: str
    uf: str
    schema_name: str
    status: str
    criado_em: datetime
    atualizado_em: datetime

    def public(self) -> dict[str, str]:
        return {"ibge": self.ibge, "nome": self.nome, "uf": self.uf}

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["criado_em"] = self.criado_em.isoformat()
        data["atualizado_em"] = self.atualizado_em.isoformat()
        return data


def _row(row: Any) -> Municipio:
    return Municipio(**row._mapping)


def find(conn: Connection, ibge: str) -> Municipio | None:
    row = conn.execute(select(municipio).where(municipio.c.ibge == ibge)).first()
    return _row(row) if row else None


def get(engine: Engine, ibge: str) -> Municipio:
    validar_ibge(ibge)
    with engine.connect() as conn:
        found = find(conn, ibge)
    if found is None:
        raise NaoEncontrado("Município não encontrado.", code="municipio_nao_encontrado")
    return found


def sort_key(nome: str) -> str:
    """Alphabetical as a Brazilian reader expects, whatever the database collation."""
    decomposed = unicodedata.normalize("NFKD", nome)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def list_active(engine: Engine) -> list[Municipio]:
    query = select(municipio).where(municipio.c.status == STATUS_ATIVO)
    with engine.connect() as conn:
        found = [_row(r) for r in conn.execute(query)]
    return sorted(found, key=lambda m: sort_key(m.nome))


def list_all(engine: Engine) -> list[Municipio]:
    with engine.connect() as conn:
        return [_row(r) for r in conn.execute(select(municipio).order_by(municipio.c.ibge))]

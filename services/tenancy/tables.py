"""The municipality registry, in the global schema shared by all municipalities."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import CheckConstraint, Column, MetaData, String, Table

from services.chassis.schema_migrations import NAMING_CONVENTION
from services.chassis.sql_types import UtcDateTime

GLOBAL_SCHEMA = "sempapel"
VERSION_TABLE = "alembic_version_tenancy"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"

STATUS_PROVISIONANDO = "provisionando"
STATUS_ATIVO = "ativo"
STATUS_SUSPENSO = "suspenso"

metadata = MetaData(naming_convention=NAMING_CONVENTION)

municipio = Table(
    "municipio",
    metadata,
    Column("ibge", String(7), primary_key=True),
    Column("nome", String(120), nullable=False),
    Column("uf", String(2), nullable=False),
    Column("schema_name", String(30), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("criado_em", UtcDateTime(), nullable=False),
    Column("atualizado_em", UtcDateTime(), nullable=False),
    CheckConstraint("status IN ('provisionando', 'ativo', 'suspenso')", name="status"),
    schema=GLOBAL_SCHEMA,
)

"""auth's tables in every municipality schema, declared without a schema."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    false,
)
from sqlalchemy.orm import registry

from services.auth.domain.usuario import Usuario
from services.chassis.schema_migrations import TenantSchemaPart, tenant_metadata
from services.chassis.sql_types import UtcDateTime

metadata = tenant_metadata()

usuario = Table(
    "usuario",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("login", String(64), nullable=False, unique=True),
    Column("nome", String(200), nullable=False),
    Column("senha_hash", String(200), nullable=False),
    Column("ativo", Boolean, nullable=False, default=True),
    Column("falhas_consecutivas", Integer, nullable=False, default=0),
    Column("bloqueado_ate", UtcDateTime()),
    Column("criado_em", UtcDateTime(), nullable=False),
    Column("atualizado_em", UtcDateTime(), nullable=False),
    # Added by auth_0002: columns stay in migration order, so new schemas match old ones.
    Column("administrador", Boolean, nullable=False, default=False, server_default=false()),
    # Added by auth_0004: SHA-256 of a pending one-time activation code, and its deadline.
    Column("ativacao_hash", String(64)),
    Column("ativacao_expira_em", UtcDateTime()),
)

# The units a user works in. unidade_id is tenancy's unit id (tenancy owns units;
# no foreign key across services' tables).
permissao = Table(
    "permissao",
    metadata,
    Column("usuario_id", String(32), ForeignKey("usuario.id"), primary_key=True),
    Column("unidade_id", String(32), primary_key=True),
    Column("perfil", String(20), nullable=False),
    Column("concedida_em", UtcDateTime(), nullable=False),
    CheckConstraint("perfil IN ('basico', 'administrador')", name="perfil"),
)

mapper_registry = registry()
mapper_registry.map_imperatively(Usuario, usuario)

TENANT_SCHEMA = TenantSchemaPart(
    name="auth", metadata=metadata, migrations_dir=Path(__file__).parent / "migrations"
)

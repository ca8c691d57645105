"""tenancy's tables in every municipality schema (units), declared without a schema."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, String, Table
from sqlalchemy.orm import registry, relationship

from services.chassis.schema_migrations import TenantSchemaPart, tenant_metadata
from services.tenancy.unidades import Unidade, VersaoUnidade

metadata = tenant_metadata()

unidade = Table(
    "unidade",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("sigla", String(30), nullable=False, unique=True),
    Column("nome", String(200), nullable=False),
    Column("unidade_pai_id", String(32), ForeignKey("unidade.id")),
    Column("protocolo", Boolean, nullable=False, default=False),
    Column("arquivo", Boolean, nullable=False, default=False),
    Column("ativa", Boolean, nullable=False, default=True),
    Column("criado_em", DateTime(timezone=True), nullable=False),
    Column("atualizado_em", DateTime(timezone=True), nullable=False),
)

unidade_versao = Table(
    "unidade_versao",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("unidade_id", String(32), ForeignKey("unidade.id"), nullable=False),
    Column("sigla", String(30), nullable=False),
    Column("nome", String(200), nullable=False),
    Column("unidade_pai_id", String(32)),
    Column("valida_de", DateTime(timezone=True), nullable=False),
    Column("valida_ate", DateTime(timezone=True)),
    Index("ix_unidade_versao_unidade_id", "unidade_id"),
)

mapper_registry = registry()
mapper_registry.map_imperatively(VersaoUnidade, unidade_versao)
mapper_registry.map_imperatively(
    Unidade,
    unidade,
    properties={
        "versoes": relationship(
            VersaoUnidade, order_by=unidade_versao.c.valida_de, cascade="all, delete-orphan"
        )
    },
)

TENANT_SCHEMA = TenantSchemaPart(
    name="tenancy",
    metadata=metadata,
    migrations_dir=Path(__file__).parent / "migrations_municipio",
)

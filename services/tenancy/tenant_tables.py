"""tenancy's tables in every municipality schema (units, the catalog), declared without a schema.

The domain's classes are mapped onto them here (imperatively: the domain imports no
framework); the plan's versions and items stay plain tables, written in bulk.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import registry, relationship

from services.chassis.schema_migrations import TenantSchemaPart, tenant_metadata
from services.chassis.sql_types import UtcDateTime
from services.tenancy.domain.catalogo import HipoteseLegal, TipoDocumento, TipoProcesso
from services.tenancy.domain.unidades import Unidade, VersaoUnidade

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
    Column("criado_em", UtcDateTime(), nullable=False),
    Column("atualizado_em", UtcDateTime(), nullable=False),
)

unidade_versao = Table(
    "unidade_versao",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("unidade_id", String(32), ForeignKey("unidade.id"), nullable=False),
    Column("sigla", String(30), nullable=False),
    Column("nome", String(200), nullable=False),
    Column("unidade_pai_id", String(32)),
    Column("valida_de", UtcDateTime(), nullable=False),
    Column("valida_ate", UtcDateTime()),
    Index("ix_unidade_versao_unidade_id", "unidade_id"),
)

# The catalog (issue 3); its rules live in domain/catalogo.py and domain/plano.py.
hipotese_legal = Table(
    "hipotese_legal",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("nome", String(200), nullable=False, unique=True),
    Column("base_legal", String(300), nullable=False),
    Column("permite_restrito", Boolean, nullable=False),
    Column("permite_sigiloso", Boolean, nullable=False),
    Column("ativa", Boolean, nullable=False, default=True),
)

plano_versao = Table(
    "plano_versao",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("versao", String(30), nullable=False, unique=True),
    Column("fonte", String(500), nullable=False),
    Column("publicada_em", UtcDateTime(), nullable=False),
    Column("vigente", Boolean, nullable=False),
)

plano_item = Table(
    "plano_item",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("versao_id", String(32), ForeignKey("plano_versao.id"), nullable=False),
    Column("codigo", String(30), nullable=False),
    Column("descricao", String(300), nullable=False),
    Column("prazo_corrente", String(120)),
    Column("prazo_intermediario", String(120)),
    Column("destinacao", String(20)),
    Column("observacoes", String(1000)),
    UniqueConstraint("versao_id", "codigo", name="uq_plano_item_versao_id"),
)

tipo_documento = Table(
    "tipo_documento",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("nome", String(200), nullable=False, unique=True),
    Column("aplicacao", String(10), nullable=False),
    Column("numeracao", String(20), nullable=False),
    Column("ativo", Boolean, nullable=False, default=True),
)

tipo_processo = Table(
    "tipo_processo",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("nome", String(200), nullable=False, unique=True),
    Column("plano_item_id", String(32), ForeignKey("plano_item.id")),
    Column("nivel_acesso_sugerido", String(10), nullable=False),
    Column("hipotese_id", String(32), ForeignKey("hipotese_legal.id")),
    Column("ativo", Boolean, nullable=False, default=True),
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
mapper_registry.map_imperatively(HipoteseLegal, hipotese_legal)
mapper_registry.map_imperatively(TipoDocumento, tipo_documento)
mapper_registry.map_imperatively(TipoProcesso, tipo_processo)

TENANT_SCHEMA = TenantSchemaPart(
    name="tenancy",
    metadata=metadata,
    migrations_dir=Path(__file__).parent / "migrations_municipio",
)

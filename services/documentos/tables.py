"""documentos' tables in every municipality schema, declared without a schema.

File bytes live in the object store under `objeto_chave`; a key is reachable
only through its document record (the services never take a key from a request).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from services.chassis.event_consumer import received_events_table
from services.chassis.outbox import outbox_table
from services.chassis.schema_migrations import TenantSchemaPart, tenant_metadata
from services.chassis.sql_types import UtcDateTime

metadata = tenant_metadata()

documento = Table(
    "documento",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("processo_id", String(32), nullable=False),
    Column("ordem", Integer, nullable=False),  # 1, 2, 3... in the process, never renumbered
    Column("numero", Integer, nullable=False, unique=True),  # unique in the municipality
    Column("origem", String(8), nullable=False),  # interno | externo
    Column("tipo_documento_id", String(32), nullable=False),
    Column("tipo_nome", String(200), nullable=False),
    Column("numero_tipo", String(40)),  # "12/2026" by the type's rule, or none
    Column("rotulo", String(300), nullable=False),  # "Ofício 12/2026 - SEMAD"
    Column("nivel_acesso", String(10), nullable=False),
    Column("hipotese_legal_nome", String(200)),
    Column("unidade_id", String(32), nullable=False),
    Column("usuario_id", String(32), nullable=False),
    Column("situacao", String(12), nullable=False),  # editavel | assinado | incluido | cancelado
    Column("data_documento", String(10)),  # external: the date printed on it (AAAA-MM-DD)
    Column("numero_externo", String(60)),
    Column("remetente", String(200)),
    Column("destinatarios", Text),  # JSON list (internal documents)
    Column("interessados", Text),  # JSON list
    Column("objeto_chave", String(300)),
    Column("formato", String(10)),
    Column("media_type", String(100)),
    Column("nome_arquivo", String(200)),
    Column("tamanho", BigInteger),
    Column("sha256", String(64)),
    Column("versao_atual", Integer),
    Column("codigo", String(12), unique=True),
    Column("crc", String(8)),
    Column("cancelado_motivo", String(500)),
    Column("cancelado_em", UtcDateTime()),
    Column("criado_em", UtcDateTime(), nullable=False),
    Column("atualizado_em", UtcDateTime(), nullable=False),
    UniqueConstraint("processo_id", "ordem", name="uq_documento_processo_id"),
)

# Every saved content of an internal document: edits never overwrite.
documento_versao = Table(
    "doc_versao",
    metadata,
    Column("documento_id", String(32), ForeignKey("documento.id"), primary_key=True),
    Column("versao", Integer, primary_key=True),
    Column("html", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("usuario_id", String(32), nullable=False),
    Column("criado_em", UtcDateTime(), nullable=False),
)

assinatura = Table(
    "assinatura",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("documento_id", String(32), ForeignKey("documento.id"), nullable=False),
    Column("usuario_id", String(32), nullable=False),
    Column("usuario_login", String(64), nullable=False),
    Column("nome", String(200), nullable=False),
    Column("cargo", String(120), nullable=False),
    Column("unidade_id", String(32)),
    Column("unidade_sigla", String(30)),
    Column("sha256", String(64), nullable=False),  # of exactly what was signed
    Column("versao", Integer),
    Column("assinado_em", UtcDateTime(), nullable=False),
    UniqueConstraint("documento_id", "usuario_id", name="uq_assinatura_documento_id"),
)

documento_texto = Table(
    "doc_texto",
    metadata,
    Column("documento_id", String(32), ForeignKey("documento.id"), primary_key=True),
    Column("situacao", String(10), nullable=False),  # extraido | falhou
    Column("texto", Text),
    Column("erro", String(500)),
    Column("extraido_em", UtcDateTime(), nullable=False),
)

# Counters that never skip: per process (order), per municipality (number), per type rule.
contador = Table(
    "contador",
    metadata,
    Column("chave", String(120), primary_key=True),
    Column("ultimo", Integer, nullable=False),
)

# An upload between "may I?" and "it is stored": what an orphan sweep cleans.
upload_pendente = Table(
    "upload_pendente",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("processo_id", String(32), nullable=False),
    Column("objeto_chave", String(300), nullable=False),
    Column("metadados", Text, nullable=False),
    Column("usuario_id", String(32), nullable=False),
    Column("unidade_id", String(32), nullable=False),
    Column("max_bytes", BigInteger, nullable=False),
    Column("criado_em", UtcDateTime(), nullable=False),
    Index("ix_upload_pendente_criado_em", "criado_em"),
)

configuracao = Table(
    "configuracao_documentos",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("max_bytes", BigInteger, nullable=False),
    Column("formatos", String(200), nullable=False),  # comma-separated format ids
    Column("atualizado_em", UtcDateTime(), nullable=False),
)

outbox = outbox_table(metadata, "documentos")
recebidos = received_events_table(metadata, "documentos")

TENANT_SCHEMA = TenantSchemaPart(
    name="documentos", metadata=metadata, migrations_dir=Path(__file__).parent / "migrations"
)

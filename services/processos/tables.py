"""processos' tables in every municipality schema, declared without a schema.

Plain Core tables: the rules live in `dominio.py`, the commands in `handlers.py`.
Unit and user ids are tenancy's and auth's (no foreign keys across services).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import (
    Boolean,
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

processo = Table(
    "processo",
    metadata,
    Column("id", String(32), primary_key=True),
    # Digits only; NULL for the instant between insert and numbering, in the same transaction.
    Column("numero", String(20), unique=True),
    Column("formato", String(4), nullable=False),
    Column("ano", Integer, nullable=False),
    Column("tipo_processo_id", String(32), nullable=False),
    Column("tipo_nome", String(200), nullable=False),
    Column("especificacao", String(500), nullable=False),
    Column("classificacao", String(30), nullable=False),
    Column("plano_item_id", String(32), nullable=False),
    Column("nivel_acesso", String(10), nullable=False),
    Column("hipotese_legal_id", String(32)),
    Column("hipotese_legal_nome", String(200)),
    # The most restrictive level among the process's documents (fed by documentos).
    Column("nivel_documentos", String(10), nullable=False),
    Column("nivel_efetivo", String(10), nullable=False),
    Column("observacoes", String(1000)),
    Column("unidade_geradora_id", String(32), nullable=False),
    Column("usuario_gerador_id", String(32), nullable=False),
    Column("sobrestado", Boolean, nullable=False),
    Column("sobrestado_motivo", String(500)),
    Column("principal_id", String(32), ForeignKey("processo.id")),
    Column("versao", Integer, nullable=False),
    Column("criado_em", UtcDateTime(), nullable=False),
    Column("atualizado_em", UtcDateTime(), nullable=False),
    # Added by processos_0002: documentos' per-process sequence of the levels last applied.
    Column("niveis_documentos_seq", Integer, nullable=False, server_default="0"),
    Index("ix_processo_principal_id", "principal_id"),
)

interessado = Table(
    "interessado",
    metadata,
    Column("processo_id", String(32), ForeignKey("processo.id"), primary_key=True),
    Column("ordem", Integer, primary_key=True),
    Column("nome", String(200), nullable=False),
    Column("documento", String(14)),  # CPF (11) or CNPJ (14) digits
    Index("ix_interessado_documento", "documento"),
)

# Where the process is, unit by unit (short name: Oracle caps identifiers at 30 bytes);
# the inbox reads this table.
processo_unidade = Table(
    "proc_unidade",
    metadata,
    Column("processo_id", String(32), ForeignKey("processo.id"), primary_key=True),
    Column("unidade_id", String(32), primary_key=True),
    Column("situacao", String(12), nullable=False),  # nao_recebido | aberto | fechado
    Column("atribuido_a", String(32)),
    Column("marcador", String(100)),
    Column("enviado_em", UtcDateTime()),
    Column("recebido_em", UtcDateTime()),
    Column("atualizado_em", UtcDateTime(), nullable=False),
    Index("ix_proc_unidade_caixa", "unidade_id", "situacao", "atualizado_em", "processo_id"),
    Index("ix_proc_unidade_atrib", "unidade_id", "atribuido_a", "atualizado_em"),
)

# Append-only history: nothing in the code updates or deletes a row.
andamento = Table(
    "andamento",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("processo_id", String(32), ForeignKey("processo.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("tipo", String(40), nullable=False),
    Column("unidade_id", String(32)),
    Column("usuario_id", String(32), nullable=False),
    Column("usuario_login", String(64), nullable=False),
    Column("criado_em", UtcDateTime(), nullable=False),
    Column("detalhes", Text, nullable=False),
    UniqueConstraint("processo_id", "seq", name="uq_andamento_processo_id"),
)

relacao = Table(
    "relacao",
    metadata,
    Column("processo_a", String(32), ForeignKey("processo.id"), primary_key=True),
    Column("processo_b", String(32), ForeignKey("processo.id"), primary_key=True),
    Column("criado_em", UtcDateTime(), nullable=False),
    Index("ix_relacao_processo_b", "processo_b"),
)

credencial = Table(
    "credencial",
    metadata,
    Column("processo_id", String(32), ForeignKey("processo.id"), primary_key=True),
    Column("usuario_id", String(32), primary_key=True),
    Column("concedida_por", String(32), nullable=False),
    Column("concedida_em", UtcDateTime(), nullable=False),
)

numeracao_config = Table(
    "numeracao_config",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("formato", String(4), nullable=False),
    Column("prefixo", String(8), nullable=False),
    Column("atualizado_em", UtcDateTime(), nullable=False),
)

# One row per prefix and year, locked by each numbering: never skips, never repeats.
numeracao_sequencia = Table(
    "numeracao_sequencia",
    metadata,
    Column("prefixo", String(8), primary_key=True),
    Column("ano", Integer, primary_key=True),
    Column("ultimo", Integer, nullable=False),
)

outbox = outbox_table(metadata, "processos")
recebidos = received_events_table(metadata, "processos")  # processos_0002

TENANT_SCHEMA = TenantSchemaPart(
    name="processos", metadata=metadata, migrations_dir=Path(__file__).parent / "migrations"
)

"""unidade and unidade_versao: the organizational tree of a municipality, with history

Revision ID: tenancy_mun_0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from services.chassis.sql_types import UtcDateTime

revision = "tenancy_mun_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "unidade",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("sigla", sa.String(30), nullable=False, unique=True),
        sa.Column("nome", sa.String(200), nullable=False),
        sa.Column("unidade_pai_id", sa.String(32), sa.ForeignKey("unidade.id")),
        sa.Column("protocolo", sa.Boolean, nullable=False),
        sa.Column("arquivo", sa.Boolean, nullable=False),
        sa.Column("ativa", sa.Boolean, nullable=False),
        sa.Column("criado_em", UtcDateTime(), nullable=False),
        sa.Column("atualizado_em", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "unidade_versao",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("unidade_id", sa.String(32), sa.ForeignKey("unidade.id"), nullable=False),
        sa.Column("sigla", sa.String(30), nullable=False),
        sa.Column("nome", sa.String(200), nullable=False),
        sa.Column("unidade_pai_id", sa.String(32)),
        sa.Column("valida_de", UtcDateTime(), nullable=False),
        sa.Column("valida_ate", UtcDateTime()),
    )
    op.create_index("ix_unidade_versao_unidade_id", "unidade_versao", ["unidade_id"])


def downgrade():
    op.drop_table("unidade_versao")
    op.drop_table("unidade")

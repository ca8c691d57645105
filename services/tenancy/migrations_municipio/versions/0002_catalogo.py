"""catalog: legal hypotheses, process and document types, classification plan versions

Revision ID: tenancy_mun_0002
Revises: tenancy_mun_0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from services.chassis.sql_types import UtcDateTime

revision = "tenancy_mun_0002"
down_revision = "tenancy_mun_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "hipotese_legal",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("nome", sa.String(200), nullable=False, unique=True),
        sa.Column("base_legal", sa.String(300), nullable=False),
        sa.Column("permite_restrito", sa.Boolean, nullable=False),
        sa.Column("permite_sigiloso", sa.Boolean, nullable=False),
        sa.Column("ativa", sa.Boolean, nullable=False),
    )
    op.create_table(
        "plano_versao",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("versao", sa.String(30), nullable=False, unique=True),
        sa.Column("fonte", sa.String(500), nullable=False),
        sa.Column("publicada_em", UtcDateTime(), nullable=False),
        sa.Column("vigente", sa.Boolean, nullable=False),
    )
    op.create_table(
        "plano_item",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("versao_id", sa.String(32), sa.ForeignKey("plano_versao.id"), nullable=False),
        sa.Column("codigo", sa.String(30), nullable=False),
        sa.Column("descricao", sa.String(300), nullable=False),
        sa.Column("prazo_corrente", sa.String(120)),
        sa.Column("prazo_intermediario", sa.String(120)),
        sa.Column("destinacao", sa.String(20)),
        sa.Column("observacoes", sa.String(1000)),
        sa.UniqueConstraint("versao_id", "codigo", name="uq_plano_item_versao_id"),
    )
    op.create_table(
        "tipo_documento",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("nome", sa.String(200), nullable=False, unique=True),
        sa.Column("aplicacao", sa.String(10), nullable=False),
        sa.Column("numeracao", sa.String(20), nullable=False),
        sa.Column("ativo", sa.Boolean, nullable=False),
    )
    op.create_table(
        "tipo_processo",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("nome", sa.String(200), nullable=False, unique=True),
        sa.Column("plano_item_id", sa.String(32), sa.ForeignKey("plano_item.id")),
        sa.Column("nivel_acesso_sugerido", sa.String(10), nullable=False),
        sa.Column("hipotese_id", sa.String(32), sa.ForeignKey("hipotese_legal.id")),
        sa.Column("ativo", sa.Boolean, nullable=False),
    )


def downgrade():
    for table in (
        "tipo_processo",
        "tipo_documento",
        "plano_item",
        "plano_versao",
        "hipotese_legal",
    ):
        op.drop_table(table)

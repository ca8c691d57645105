"""busca: the index of processes and documents (PostgreSQL full text where available)

Revision ID: busca_0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from services.busca.tables import TS_DDL, criar_compartilhados
from services.chassis.sql_types import UtcDateTime

revision = "busca_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "busca_entrada",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("tipo", sa.String(10), nullable=False),
        sa.Column("processo_id", sa.String(32), nullable=False),
        sa.Column("versao", sa.Integer, nullable=False),
        sa.Column("numero", sa.String(20), nullable=False),
        sa.Column("numero_formatado", sa.String(30), nullable=False),
        sa.Column("titulo", sa.Text, nullable=False),
        sa.Column("texto", sa.Text, nullable=False),
        sa.Column("tipo_processo", sa.String(200), nullable=False),
        sa.Column("tipo_documento", sa.String(200)),
        sa.Column("unidade_geradora_id", sa.String(32), nullable=False),
        sa.Column("unidades", sa.Text, nullable=False),
        sa.Column("nivel", sa.String(10), nullable=False),
        sa.Column("credenciados", sa.Text, nullable=False),
        sa.Column("documentos_id", sa.Text, nullable=False),
        sa.Column("assinantes", sa.Text, nullable=False),
        sa.Column("data", UtcDateTime(), nullable=False),
        sa.Column("ano", sa.Integer, nullable=False),
        sa.Column("cancelado", sa.Boolean, nullable=False),
        sa.Column("texto_versao", sa.Integer, nullable=False),
    )
    op.create_index("ix_busca_entrada_processo_id", "busca_entrada", ["processo_id"])
    if op.get_bind().dialect.name == "postgresql":
        criar_compartilhados(op.get_bind())
        for statement in TS_DDL:
            op.execute(statement)


def downgrade():
    op.drop_table("busca_entrada")

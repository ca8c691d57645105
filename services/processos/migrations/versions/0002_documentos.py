"""processos follows documentos: the levels' sequence and the events already applied

Revision ID: processos_0002
Revises: processos_0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from services.chassis.sql_types import UtcDateTime

revision = "processos_0002"
down_revision = "processos_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "processo",
        sa.Column("niveis_documentos_seq", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "recebido_processos",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("recebido_em", UtcDateTime(), nullable=False),
    )


def downgrade():
    op.drop_table("recebido_processos")
    op.drop_column("processo", "niveis_documentos_seq")

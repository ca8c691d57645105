"""municipio: the registry of municipalities (global schema)

Revision ID: tenancy_0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from services.chassis.sql_types import UtcDateTime

revision = "tenancy_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "municipio",
        sa.Column("ibge", sa.String(7), primary_key=True),
        sa.Column("nome", sa.String(120), nullable=False),
        sa.Column("uf", sa.String(2), nullable=False),
        sa.Column("schema_name", sa.String(30), nullable=False, unique=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("criado_em", UtcDateTime(), nullable=False),
        sa.Column("atualizado_em", UtcDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('provisionando', 'ativo', 'suspenso')", name="status"),
        schema="sempapel",
    )


def downgrade():
    op.drop_table("municipio", schema="sempapel")

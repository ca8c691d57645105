"""usuario: accounts of one municipality, with lockout state

Revision ID: auth_0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from services.chassis.sql_types import UtcDateTime

revision = "auth_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "usuario",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("login", sa.String(64), nullable=False, unique=True),
        sa.Column("nome", sa.String(200), nullable=False),
        sa.Column("senha_hash", sa.String(200), nullable=False),
        sa.Column("ativo", sa.Boolean, nullable=False),
        sa.Column("falhas_consecutivas", sa.Integer, nullable=False),
        sa.Column("bloqueado_ate", UtcDateTime()),
        sa.Column("criado_em", UtcDateTime(), nullable=False),
        sa.Column("atualizado_em", UtcDateTime(), nullable=False),
    )


def downgrade():
    op.drop_table("usuario")

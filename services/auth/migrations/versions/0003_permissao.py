"""permissao: the units a user works in, with a profile in each

Revision ID: auth_0003
Revises: auth_0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from services.chassis.sql_types import UtcDateTime

revision = "auth_0003"
down_revision = "auth_0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "permissao",
        sa.Column("usuario_id", sa.String(32), sa.ForeignKey("usuario.id"), primary_key=True),
        sa.Column("unidade_id", sa.String(32), primary_key=True),
        sa.Column("perfil", sa.String(20), nullable=False),
        sa.Column("concedida_em", UtcDateTime(), nullable=False),
        sa.CheckConstraint("perfil IN ('basico', 'administrador')", name="perfil"),
    )


def downgrade():
    op.drop_table("permissao")

"""usuario.ativacao_*: one-time activation codes for accounts created without a password

Revision ID: auth_0004
Revises: auth_0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from services.chassis.sql_types import UtcDateTime

revision = "auth_0004"
down_revision = "auth_0003"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("usuario", sa.Column("ativacao_hash", sa.String(64)))
    op.add_column("usuario", sa.Column("ativacao_expira_em", UtcDateTime()))


def downgrade():
    op.drop_column("usuario", "ativacao_expira_em")
    op.drop_column("usuario", "ativacao_hash")

"""usuario.administrador: the municipality administrator profile

Revision ID: auth_0002
Revises: auth_0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "auth_0002"
down_revision = "auth_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "usuario",
        sa.Column("administrador", sa.Boolean, nullable=False, server_default=sa.false()),
    )


def downgrade():
    op.drop_column("usuario", "administrador")

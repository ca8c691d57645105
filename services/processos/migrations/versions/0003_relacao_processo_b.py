"""processos: relations are found from either side by index

A process read lists its related processes from both columns of `relacao`;
the primary key (processo_a, processo_b) serves only the first.

Revision ID: processos_0003
Revises: processos_0002
Create Date: 2026-11-27
"""

from alembic import op

revision = "processos_0003"
down_revision = "processos_0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_relacao_processo_b", "relacao", ["processo_b"])


def downgrade():
    op.drop_index("ix_relacao_processo_b", table_name="relacao")

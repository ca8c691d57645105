"""busca: short GIN pending lists (64 kB), so searches do not read 4 MB of them per scan

Revision ID: busca_0004
Revises: busca_0003
Create Date: 2026-11-27
"""

from alembic import op

from services.busca.tables import PENDENTES_DDL

revision = "busca_0004"
down_revision = "busca_0003"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in PENDENTES_DDL:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for indice in ("ix_busca_entrada_filtros", "ix_busca_identificadores"):
            op.execute(f"ALTER INDEX {indice} RESET (gin_pending_list_limit)")

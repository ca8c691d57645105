"""busca: a small ranking tsvector, indexed identifiers, a btree on the year

Searches at 100,000 documents cost 0.4-2.6 s of PostgreSQL CPU: ranking read
every match's TOASTed `ts`, numbers and CPFs had no index. See tables.py.

Revision ID: busca_0002
Revises: busca_0001
Create Date: 2026-11-27
"""

from alembic import op

from services.busca.tables import RESUMO_DDL

revision = "busca_0002"
down_revision = "busca_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_busca_entrada_ano", "busca_entrada", ["ano"])
    if op.get_bind().dialect.name == "postgresql":
        for statement in RESUMO_DDL:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_busca_identificadores", table_name="busca_entrada")
        op.drop_column("busca_entrada", "identificadores")
        op.drop_column("busca_entrada", "ts_resumo")
    op.drop_index("ix_busca_entrada_ano", table_name="busca_entrada")

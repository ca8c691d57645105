"""busca: one GIN over year, filters, access and text (btree_gin) in place of the text's own

The year loop of a search (see postgres.py) intersected a bitmap of all of a
broad word's matches (100,000 entries, ~19 ms) with the year's btree; filters
and the access were checked row by row in the heap. See tables.py.

Revision ID: busca_0003
Revises: busca_0002
Create Date: 2026-11-27
"""

from alembic import op

from services.busca.tables import FILTROS_DDL

revision = "busca_0003"
down_revision = "busca_0002"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in FILTROS_DDL:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_busca_entrada_ts ON busca_entrada USING gin (ts)")
        op.drop_index("ix_busca_entrada_filtros", table_name="busca_entrada")
        op.drop_column("busca_entrada", "acesso")

"""busca: the text folded (lower case, no accents) once when written, for the snippets' window

Finding the window folded each hit's text at query time (~1 ms of a page of 20).
A generated column: the table is rewritten (15 s for the bench's 120,000 entries
at busca_0003's similar change). See tables.py.

Revision ID: busca_0005
Revises: busca_0004
Create Date: 2026-11-27
"""

from alembic import op

from services.busca.tables import DOBRADO_DDL, criar_compartilhados

revision = "busca_0005"
down_revision = "busca_0004"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        criar_compartilhados(op.get_bind())  # the folding function came with this revision
        for statement in DOBRADO_DDL:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_column("busca_entrada", "texto_dobrado")

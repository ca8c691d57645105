"""processos: processes, interested parties, units, history, relations, credentials,
numbering and the outbox

Revision ID: processos_0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from services.chassis.sql_types import UtcDateTime

revision = "processos_0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = UtcDateTime()


def upgrade():
    op.create_table(
        "processo",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("numero", sa.String(20), unique=True),
        sa.Column("formato", sa.String(4), nullable=False),
        sa.Column("ano", sa.Integer, nullable=False),
        sa.Column("tipo_processo_id", sa.String(32), nullable=False),
        sa.Column("tipo_nome", sa.String(200), nullable=False),
        sa.Column("especificacao", sa.String(500), nullable=False),
        sa.Column("classificacao", sa.String(30), nullable=False),
        sa.Column("plano_item_id", sa.String(32), nullable=False),
        sa.Column("nivel_acesso", sa.String(10), nullable=False),
        sa.Column("hipotese_legal_id", sa.String(32)),
        sa.Column("hipotese_legal_nome", sa.String(200)),
        sa.Column("nivel_documentos", sa.String(10), nullable=False),
        sa.Column("nivel_efetivo", sa.String(10), nullable=False),
        sa.Column("observacoes", sa.String(1000)),
        sa.Column("unidade_geradora_id", sa.String(32), nullable=False),
        sa.Column("usuario_gerador_id", sa.String(32), nullable=False),
        sa.Column("sobrestado", sa.Boolean, nullable=False),
        sa.Column("sobrestado_motivo", sa.String(500)),
        sa.Column("principal_id", sa.String(32), sa.ForeignKey("processo.id")),
        sa.Column("versao", sa.Integer, nullable=False),
        sa.Column("criado_em", TZ, nullable=False),
        sa.Column("atualizado_em", TZ, nullable=False),
    )
    op.create_index("ix_processo_principal_id", "processo", ["principal_id"])
    op.create_table(
        "interessado",
        sa.Column("processo_id", sa.String(32), sa.ForeignKey("processo.id"), primary_key=True),
        sa.Column("ordem", sa.Integer, primary_key=True),
        sa.Column("nome", sa.String(200), nullable=False),
        sa.Column("documento", sa.String(14)),
    )
    op.create_index("ix_interessado_documento", "interessado", ["documento"])
    op.create_table(
        "proc_unidade",
        sa.Column("processo_id", sa.String(32), sa.ForeignKey("processo.id"), primary_key=True),
        sa.Column("unidade_id", sa.String(32), primary_key=True),
        sa.Column("situacao", sa.String(12), nullable=False),
        sa.Column("atribuido_a", sa.String(32)),
        sa.Column("marcador", sa.String(100)),
        sa.Column("enviado_em", TZ),
        sa.Column("recebido_em", TZ),
        sa.Column("atualizado_em", TZ, nullable=False),
    )
    op.create_index(
        "ix_proc_unidade_caixa",
        "proc_unidade",
        ["unidade_id", "situacao", "atualizado_em", "processo_id"],
    )
    op.create_index(
        "ix_proc_unidade_atrib",
        "proc_unidade",
        ["unidade_id", "atribuido_a", "atualizado_em"],
    )
    op.create_table(
        "andamento",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("processo_id", sa.String(32), sa.ForeignKey("processo.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("tipo", sa.String(40), nullable=False),
        sa.Column("unidade_id", sa.String(32)),
        sa.Column("usuario_id", sa.String(32), nullable=False),
        sa.Column("usuario_login", sa.String(64), nullable=False),
        sa.Column("criado_em", TZ, nullable=False),
        sa.Column("detalhes", sa.Text, nullable=False),
        sa.UniqueConstraint("processo_id", "seq", name="uq_andamento_processo_id"),
    )
    op.create_table(
        "relacao",
        sa.Column("processo_a", sa.String(32), sa.ForeignKey("processo.id"), primary_key=True),
        sa.Column("processo_b", sa.String(32), sa.ForeignKey("processo.id"), primary_key=True),
        sa.Column("criado_em", TZ, nullable=False),
    )
    op.create_table(
        "credencial",
        sa.Column("processo_id", sa.String(32), sa.ForeignKey("processo.id"), primary_key=True),
        sa.Column("usuario_id", sa.String(32), primary_key=True),
        sa.Column("concedida_por", sa.String(32), nullable=False),
        sa.Column("concedida_em", TZ, nullable=False),
    )
    op.create_table(
        "numeracao_config",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("formato", sa.String(4), nullable=False),
        sa.Column("prefixo", sa.String(8), nullable=False),
        sa.Column("atualizado_em", TZ, nullable=False),
    )
    op.create_table(
        "numeracao_sequencia",
        sa.Column("prefixo", sa.String(8), primary_key=True),
        sa.Column("ano", sa.Integer, primary_key=True),
        sa.Column("ultimo", sa.Integer, nullable=False),
    )
    op.create_table(
        "outbox_processos",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("tipo", sa.String(60), nullable=False),
        sa.Column("assunto", sa.String(64), nullable=False),
        sa.Column("dados", sa.Text, nullable=False),
        sa.Column("criado_em", TZ, nullable=False),
        sa.Column("enviado_em", TZ),
        sa.Column("tentativas", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index(
        "ix_outbox_processos_pendentes", "outbox_processos", ["enviado_em", "criado_em"]
    )


def downgrade():
    for table in (
        "outbox_processos",
        "numeracao_sequencia",
        "numeracao_config",
        "credencial",
        "relacao",
        "andamento",
        "proc_unidade",
        "interessado",
        "processo",
    ):
        op.drop_table(table)

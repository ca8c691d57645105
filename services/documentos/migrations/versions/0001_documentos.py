"""documentos: documents, versions, signatures, extracted text, counters, pending uploads,
configuration, the outbox and received events

Revision ID: documentos_0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from services.chassis.sql_types import UtcDateTime

revision = "documentos_0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = UtcDateTime()


def upgrade():
    op.create_table(
        "configuracao_documentos",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("max_bytes", sa.BigInteger, nullable=False),
        sa.Column("formatos", sa.String(200), nullable=False),
        sa.Column("atualizado_em", TZ, nullable=False),
    )
    op.create_table(
        "contador",
        sa.Column("chave", sa.String(120), primary_key=True),
        sa.Column("ultimo", sa.Integer, nullable=False),
    )
    op.create_table(
        "documento",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("processo_id", sa.String(32), nullable=False),
        sa.Column("ordem", sa.Integer, nullable=False),
        sa.Column("numero", sa.Integer, nullable=False, unique=True),
        sa.Column("origem", sa.String(8), nullable=False),
        sa.Column("tipo_documento_id", sa.String(32), nullable=False),
        sa.Column("tipo_nome", sa.String(200), nullable=False),
        sa.Column("numero_tipo", sa.String(40)),
        sa.Column("rotulo", sa.String(300), nullable=False),
        sa.Column("nivel_acesso", sa.String(10), nullable=False),
        sa.Column("hipotese_legal_nome", sa.String(200)),
        sa.Column("unidade_id", sa.String(32), nullable=False),
        sa.Column("usuario_id", sa.String(32), nullable=False),
        sa.Column("situacao", sa.String(12), nullable=False),
        sa.Column("data_documento", sa.String(10)),
        sa.Column("numero_externo", sa.String(60)),
        sa.Column("remetente", sa.String(200)),
        sa.Column("destinatarios", sa.Text),
        sa.Column("interessados", sa.Text),
        sa.Column("objeto_chave", sa.String(300)),
        sa.Column("formato", sa.String(10)),
        sa.Column("media_type", sa.String(100)),
        sa.Column("nome_arquivo", sa.String(200)),
        sa.Column("tamanho", sa.BigInteger),
        sa.Column("sha256", sa.String(64)),
        sa.Column("versao_atual", sa.Integer),
        sa.Column("codigo", sa.String(12), unique=True),
        sa.Column("crc", sa.String(8)),
        sa.Column("cancelado_motivo", sa.String(500)),
        sa.Column("cancelado_em", TZ),
        sa.Column("criado_em", TZ, nullable=False),
        sa.Column("atualizado_em", TZ, nullable=False),
        sa.UniqueConstraint("processo_id", "ordem", name="uq_documento_processo_id"),
    )
    op.create_table(
        "outbox_documentos",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("tipo", sa.String(60), nullable=False),
        sa.Column("assunto", sa.String(64), nullable=False),
        sa.Column("dados", sa.Text, nullable=False),
        sa.Column("criado_em", TZ, nullable=False),
        sa.Column("enviado_em", TZ),
        sa.Column("tentativas", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index(
        "ix_outbox_documentos_pendentes", "outbox_documentos", ["enviado_em", "criado_em"]
    )
    op.create_table(
        "recebido_documentos",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("recebido_em", TZ, nullable=False),
    )
    op.create_table(
        "upload_pendente",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("processo_id", sa.String(32), nullable=False),
        sa.Column("objeto_chave", sa.String(300), nullable=False),
        sa.Column("metadados", sa.Text, nullable=False),
        sa.Column("usuario_id", sa.String(32), nullable=False),
        sa.Column("unidade_id", sa.String(32), nullable=False),
        sa.Column("max_bytes", sa.BigInteger, nullable=False),
        sa.Column("criado_em", TZ, nullable=False),
    )
    op.create_index("ix_upload_pendente_criado_em", "upload_pendente", ["criado_em"])
    op.create_table(
        "assinatura",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("documento_id", sa.String(32), sa.ForeignKey("documento.id"), nullable=False),
        sa.Column("usuario_id", sa.String(32), nullable=False),
        sa.Column("usuario_login", sa.String(64), nullable=False),
        sa.Column("nome", sa.String(200), nullable=False),
        sa.Column("cargo", sa.String(120), nullable=False),
        sa.Column("unidade_id", sa.String(32)),
        sa.Column("unidade_sigla", sa.String(30)),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("versao", sa.Integer),
        sa.Column("assinado_em", TZ, nullable=False),
        sa.UniqueConstraint("documento_id", "usuario_id", name="uq_assinatura_documento_id"),
    )
    op.create_table(
        "doc_texto",
        sa.Column("documento_id", sa.String(32), sa.ForeignKey("documento.id"), primary_key=True),
        sa.Column("situacao", sa.String(10), nullable=False),
        sa.Column("texto", sa.Text),
        sa.Column("erro", sa.String(500)),
        sa.Column("extraido_em", TZ, nullable=False),
    )
    op.create_table(
        "doc_versao",
        sa.Column("documento_id", sa.String(32), sa.ForeignKey("documento.id"), primary_key=True),
        sa.Column("versao", sa.Integer, primary_key=True),
        sa.Column("html", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("usuario_id", sa.String(32), nullable=False),
        sa.Column("criado_em", TZ, nullable=False),
    )


def downgrade():
    for table in (
        "doc_versao",
        "doc_texto",
        "assinatura",
        "upload_pendente",
        "recebido_documentos",
        "outbox_documentos",
        "documento",
        "contador",
        "configuracao_documentos",
    ):
        op.drop_table(table)

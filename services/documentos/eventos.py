"""The events documentos publishes (through its outbox) and the shape of their `data`.

Each carries the document as it is after the change, the access levels of all
valid documents of its process (`niveis_documentos`) and `seq`, documentos'
per-process sequence of changes: processos applies the levels of the highest
`seq` it has seen, so repeated or late events never undo a newer state.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from services.chassis.events import EventCatalog, EventType

SOURCE = "/sempapel/documentos"


class AssinanteEvento(BaseModel):
    usuario_id: str
    nome: str
    cargo: str
    unidade_sigla: str | None
    assinado_em: str


class DocumentoEvento(BaseModel):
    id: str
    processo_id: str
    ordem: int = Field(description="posição no processo: 1, 2, 3... sem lacunas")
    numero: int = Field(description="número único no município")
    rotulo: str = Field(description='ex.: "Ofício 12/2026 - SEMAD"')
    origem: str = Field(description="interno | externo")
    tipo_documento_id: str
    tipo_nome: str
    nivel_acesso: str
    situacao: str = Field(description="editavel | assinado | incluido | cancelado")
    unidade_id: str
    data_documento: str | None
    formato: str | None
    sha256: str | None
    assinantes: list[AssinanteEvento]
    criado_em: str


class EventoDocumento(BaseModel):
    documento: DocumentoEvento
    niveis_documentos: list[str] = Field(description="níveis dos documentos válidos do processo")
    seq: int = Field(description="sequência de mudanças de documentos do processo")
    unidade_id: str | None
    usuario_id: str
    usuario: str
    detalhes: dict = Field(description="motivo do cancelamento, assinante...")
    texto: str | None = Field(default=None, description="texto extraído (texto_extraido)")


CATALOGO = EventCatalog(
    source=SOURCE,
    tipos=(
        EventType(
            "documento.incluido", "Documento gerado ou incluído num processo.", EventoDocumento
        ),
        EventType(
            "documento.assinado", "Documento assinado (mais uma assinatura).", EventoDocumento
        ),
        EventType("documento.cancelado", "Documento cancelado, com motivo.", EventoDocumento),
        EventType(
            "documento.texto_extraido",
            "Texto do documento extraído para a busca (ou a falha, em detalhes).",
            EventoDocumento,
        ),
    ),
)

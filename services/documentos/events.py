"""The events documentos publishes (through its outbox): one typed definition per event.

Each event's `data` is `EventoDocumento` with `detalhes` typed by the domain's fact
(`services/documentos/domain.py`: `DocumentoAssinado`, ...): the payload is built and
validated through that model, and the AsyncAPI document is generated from the same
models, so the two cannot drift.

Each carries the document as it is after the change (as the API shows it), the access
levels of all valid documents of its process (`niveis_documentos`) and `seq`,
documentos' per-process sequence of changes: processos applies the levels of the
highest `seq` it has seen, so repeated or late events never undo a newer state.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from services.chassis.ator import Ator
from services.chassis.events import catalog_of_facts
from services.documentos import domain

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
    numero_tipo: str | None = Field(default=None, description="número pela regra do tipo")
    nivel_acesso: str
    hipotese_legal: str | None = None
    situacao: str = Field(description="editavel | assinado | incluido | cancelado")
    unidade_id: str
    data_documento: str | None
    numero_externo: str | None = None
    remetente: str | None = None
    formato: str | None
    media_type: str | None = None
    nome_arquivo: str | None = None
    tamanho: int | None = None
    sha256: str | None
    versao: int | None = Field(default=None, description="versão atual (interno)")
    codigo_verificacao: str | None = Field(default=None, description="desde a 1ª assinatura")
    crc: str | None = None
    cancelado_motivo: str | None = None
    assinantes: list[AssinanteEvento]
    criado_em: str


class EventoDocumento(BaseModel):
    """The `data` of every documentos event; each type narrows `detalhes` to its own fact."""

    documento: DocumentoEvento
    niveis_documentos: list[str] = Field(description="níveis dos documentos válidos do processo")
    seq: int = Field(description="sequência de mudanças de documentos do processo")
    unidade_id: str | None
    usuario_id: str
    usuario: str
    detalhes: dict[str, Any] = Field(description="o que a operação fez")
    texto: str | None = Field(default=None, description="texto extraído (texto_extraido)")


FATOS = catalog_of_facts(SOURCE, "documento", EventoDocumento, domain.EVENTOS)
MODELOS = FATOS.models
CATALOGO = FATOS.catalog


def routing_key(fato: domain.Evento) -> str:
    return f"documento.{fato.tipo}"


def dados(
    documento: dict[str, Any],
    niveis: list[str],
    seq: int,
    ator: Ator,
    fato: domain.Evento,
    texto: str | None = None,
) -> dict[str, Any]:
    """The event's `data`, validated against its type's model (what AsyncAPI documents)."""
    return MODELOS[type(fato)](
        documento=documento,
        niveis_documentos=niveis,
        seq=seq,
        unidade_id=ator.unidade_id,
        usuario_id=ator.usuario_id,
        usuario=ator.login,
        detalhes=fato,
        texto=texto,
    ).model_dump(mode="json")


def assinante_no_evento(a: domain.Assinatura) -> dict[str, Any]:
    return {
        "usuario_id": a.usuario_id,
        "nome": a.nome,
        "cargo": a.cargo,
        "unidade_sigla": a.unidade_sigla,
        "assinado_em": a.assinado_em.isoformat(),
    }


def documento_no_evento(d: domain.Documento) -> dict[str, Any]:
    """The document as its events carry it and the API shows it (`DocumentoEvento`)."""
    return {
        "id": d.id,
        "processo_id": d.processo_id,
        "ordem": d.ordem,
        "numero": d.numero,
        "rotulo": d.rotulo,
        "origem": d.origem,
        "tipo_documento_id": d.tipo_documento_id,
        "tipo_nome": d.tipo_nome,
        "numero_tipo": d.numero_tipo,
        "nivel_acesso": d.nivel_acesso,
        "hipotese_legal": d.hipotese_legal_nome,
        "situacao": d.situacao,
        "unidade_id": d.unidade_id,
        "data_documento": d.data_documento,
        "numero_externo": d.numero_externo,
        "remetente": d.remetente,
        "formato": d.formato,
        "media_type": d.media_type,
        "nome_arquivo": d.nome_arquivo,
        "tamanho": d.tamanho,
        "sha256": d.sha256,
        "versao": d.versao_atual,
        "codigo_verificacao": d.codigo,
        "crc": d.crc,
        "cancelado_motivo": d.cancelado_motivo,
        "assinantes": [assinante_no_evento(a) for a in d.assinaturas],
        "criado_em": d.criado_em.isoformat(),
    }

"""Request and response shapes of the documents API.

Shapes only: limits and rules (lengths, counts, sizes, which formats) are the domain's
(`services/documentos/domain.py`), stated once there and refused with their own codes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from services.gateway.schemas import Nivel, Strict


class Assinante(BaseModel):
    usuario_id: str
    nome: str
    cargo: str
    unidade_sigla: str | None
    assinado_em: str


class Documento(BaseModel):
    id: str
    processo_id: str
    ordem: int = Field(description="posição no processo: 1, 2, 3... sem lacunas")
    numero: int = Field(description="número único no município")
    rotulo: str = Field(examples=["Ofício 12/2026 - SEMAD"])
    origem: Literal["interno", "externo"]
    tipo_documento_id: str
    tipo_nome: str
    numero_tipo: str | None
    nivel_acesso: Nivel
    hipotese_legal: str | None
    situacao: Literal["editavel", "assinado", "incluido", "cancelado"]
    unidade_id: str
    data_documento: str | None
    numero_externo: str | None
    remetente: str | None
    formato: str | None
    media_type: str | None
    nome_arquivo: str | None
    tamanho: int | None
    sha256: str | None
    versao: int | None
    codigo_verificacao: str | None
    crc: str | None
    cancelado_motivo: str | None
    assinantes: list[Assinante]
    criado_em: str
    guarda_permanente: bool | None = Field(
        default=None, description="inclusão: a classificação do processo manda guardar para sempre"
    )
    retencao_legal: bool | None = Field(
        default=None, description="inclusão: o objeto ficou sob retenção legal (object lock)"
    )


class DocumentoInterno(Strict):
    tipo_documento: str = Field(description="id do tipo")
    conteudo: str = Field(description="HTML do editor (será sanitizado)")
    nivel_acesso: Nivel = "publico"
    hipotese_legal: str | None = Field(default=None, description="nome; restrito e sigiloso")
    destinatarios: list[str] = Field(default_factory=list)
    interessados: list[str] = Field(default_factory=list)


class Edicao(Strict):
    conteudo: str = Field(description="HTML do editor (será sanitizado)")


class Assinatura(Strict):
    senha: str = Field(min_length=1, max_length=1024)
    cargo: str = Field(examples=["Secretária de Administração"])


class Cancelamento(Strict):
    motivo: str


class UrlDownload(BaseModel):
    url: str
    expira_em_segundos: int
    sha256: str


class AssinanteConferido(BaseModel):
    nome: str
    cargo: str
    unidade: str | None
    assinado_em: str


class Conferencia(BaseModel):
    autentico: bool
    cancelado: bool
    tipo: str
    rotulo: str
    numero: int
    data: str
    nivel_acesso: Nivel
    sha256: str | None = Field(description="hash do conteúdo assinado")
    assinantes: list[AssinanteConferido]


class Limites(Strict):
    max_bytes: int = Field(description="tamanho máximo de um arquivo, em bytes")
    formatos: list[Literal["pdf", "png", "jpeg", "txt", "odt", "ods", "docx", "xlsx"]]

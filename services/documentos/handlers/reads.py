"""What documentos answers about documents: a document, a process's documents, the content
to serve, the public check, the limits, where a file's text is read from.

Reads run on the autocommit reading pool. A document is answered only to a caller who
may read it (its process is readable, processos says, and its own level allows it),
and 404 otherwise, so existence does not leak.
"""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy import select

from services.chassis.ator import Ator
from services.chassis.errors import ConteudoCorrompido, NaoEncontrado
from services.chassis.object_store import ObjectStore
from services.documentos.domain import (
    CANCELADO,
    INTERNO,
    ContextoDoProcesso,
    Documento,
    carimbo,
    nao_encontrado,
    sha256_de,
)
from services.documentos.events import documento_no_evento
from services.documentos.handlers import ContextoDe, UnidadeDeTrabalho
from services.documentos.tables import documento, recebidos

URL_CONFERENCIA = "/api/v1/conferir"
_log = structlog.get_logger("sempapel.documentos")


def legivel(
    leitura: UnidadeDeTrabalho,
    contexto_de: ContextoDe,
    ator: Ator,
    doc_id: str,
    assinaturas: bool = True,
) -> tuple[Documento, ContextoDoProcesso]:
    """The document and its process's context if `ator` may read it; 404 otherwise (a
    process out of reach puts its documents out of reach). `assinaturas=False`: an
    uploaded file's signatures are not read (see `DocumentoRepository.para_ler`)."""
    with leitura:
        doc = leitura.documentos.para_ler(doc_id, assinaturas)
    try:
        processo = ContextoDoProcesso.de(contexto_de(doc.processo_id))
    except NaoEncontrado as exc:
        raise nao_encontrado() from exc
    if not doc.legivel_por(ator, processo):
        raise nao_encontrado()
    return doc, processo


def obter(
    leitura: UnidadeDeTrabalho, contexto_de: ContextoDe, ator: Ator, doc_id: str
) -> dict[str, Any]:
    return documento_no_evento(legivel(leitura, contexto_de, ator, doc_id)[0])


def do_processo(
    leitura: UnidadeDeTrabalho, contexto: dict[str, Any], ator: Ator
) -> list[dict[str, Any]]:
    """All the process's documents in order; those the caller may not read show only their
    place. `contexto`: processos' answer (it refused a process the caller may not read)."""
    processo = ContextoDoProcesso.de(contexto)
    with leitura:
        docs = leitura.documentos.do_processo(processo.id)
    return [
        documento_no_evento(doc)
        if doc.legivel_por(ator, processo)
        else {"id": doc.id, "ordem": doc.ordem, "nivel_acesso": doc.nivel_acesso}
        for doc in docs
    ]


# The content


def _corrompido(doc: Documento) -> ConteudoCorrompido:
    _log.error("conteudo_corrompido", documento=doc.id, chave=doc.objeto_chave)
    return ConteudoCorrompido(details={"documento": doc.id})


def _arquivo(doc: Documento) -> dict[str, Any]:
    """Where the gateway reads an uploaded file from, and what it must find there."""
    doc.exigir_arquivo()
    return {
        "chave": doc.objeto_chave,
        "sha256": doc.sha256,
        "tamanho": doc.tamanho,
        "media_type": doc.media_type,
        "nome_arquivo": doc.nome_arquivo or f"documento-{doc.numero}",
    }


def _pagina(leitura: UnidadeDeTrabalho, doc: Documento, ibge: str) -> dict[str, Any]:
    """An internal document's page: its current HTML, checked against its hash, and the
    signature stamp."""
    with leitura:
        html = leitura.documentos.html_atual(doc)
    if sha256_de(html) != doc.sha256:
        raise _corrompido(doc)
    selo = carimbo(doc.assinaturas, doc.codigo, doc.crc, URL_CONFERENCIA, ibge)
    return {"titulo": doc.rotulo, "html": html, "carimbo": selo}


def para_download(
    leitura: UnidadeDeTrabalho, contexto_de: ContextoDe, ator: Ator, doc_id: str
) -> dict[str, Any]:
    """Where the gateway reads an uploaded file from, after the access check."""
    doc, _ = legivel(leitura, contexto_de, ator, doc_id, assinaturas=False)
    doc.exigir_valido()
    return _arquivo(doc)


def para_leitura(
    leitura: UnidadeDeTrabalho, contexto_de: ContextoDe, ator: Ator, doc_id: str, ibge: str
) -> dict[str, Any]:
    """One answer for the content route: the page of an internal document, or where the
    gateway reads an uploaded file from (one access check, not two)."""
    doc, _ = legivel(leitura, contexto_de, ator, doc_id, assinaturas=False)
    doc.exigir_valido()
    if doc.origem == INTERNO:
        return {"origem": "interno", "pagina": _pagina(leitura, doc, ibge)}
    return {"origem": "externo", **_arquivo(doc)}


def url_download(
    leitura: UnidadeDeTrabalho,
    contexto_de: ContextoDe,
    store: ObjectStore,
    ator: Ator,
    doc_id: str,
    segundos: int,
) -> dict[str, Any]:
    """A short-lived presigned URL, issued after the access check and a hash check."""
    doc, _ = legivel(leitura, contexto_de, ator, doc_id, assinaturas=False)
    doc.exigir_valido()
    arquivo = _arquivo(doc)
    if store.sha256(arquivo["chave"]) != arquivo["sha256"]:
        raise _corrompido(doc)
    url = store.presigned_get(arquivo["chave"], segundos, arquivo["nome_arquivo"])
    return {"url": url, "expira_em_segundos": segundos, "sha256": arquivo["sha256"]}


# The public check


def conferir(leitura: UnidadeDeTrabalho, codigo: str, crc: str) -> dict[str, Any]:
    """Authentic or not, and what is public about it. Never the content."""
    codigo, crc = str(codigo).strip(), str(crc).strip().upper()
    with leitura:
        doc = leitura.documentos.por_codigo(codigo)
    if doc is None or doc.crc != crc:
        raise nao_encontrado()
    return {
        "autentico": doc.situacao != CANCELADO,
        "cancelado": doc.situacao == CANCELADO,
        "tipo": doc.tipo_nome,
        "rotulo": doc.rotulo,
        "numero": doc.numero,
        "data": doc.criado_em.date().isoformat(),
        "nivel_acesso": doc.nivel_acesso,
        "sha256": doc.assinaturas[0].sha256 if doc.assinaturas else doc.sha256,
        "assinantes": [
            {
                "nome": a.nome,
                "cargo": a.cargo,
                "unidade": a.unidade_sigla,
                "assinado_em": a.assinado_em.isoformat(),
            }
            for a in doc.assinaturas
        ],
    }


# The municipality's limits


def ler_limites(leitura: UnidadeDeTrabalho, max_padrao: int) -> dict[str, Any]:
    with leitura:
        config = leitura.documentos.configuracao(max_padrao)
    return {"max_bytes": config.max_bytes, "formatos": list(config.formatos)}


# Extraction


def para_extrair(leitura: UnidadeDeTrabalho, doc_id: str, evento_id: str) -> dict[str, Any] | None:
    """Where an uploaded file's text is read from, in one statement; None if this event was
    applied before (redelivered) or the document is not there."""
    aplicado = select(recebidos.c.id).where(recebidos.c.id == evento_id).exists()
    with leitura:
        row = leitura.session.execute(
            select(documento.c.objeto_chave, documento.c.tamanho, documento.c.formato).where(
                documento.c.id == str(doc_id), ~aplicado
            )
        ).first()
    if row is None:
        return None
    return {"chave": row.objeto_chave, "tamanho": row.tamanho or 0, "formato": row.formato}

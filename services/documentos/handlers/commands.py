"""One function per documentos command: load the document, call one domain method, save, commit.

`uow` is the service's unit of work (`uow.documentos` is the repository): the real one
on the municipality's schema, or an in-memory fake in unit tests. Saving writes the
outbox event of what the document recorded in the same transaction as the change, and
the answer is the document as saved, from memory (no second read after the commit).

What other services know comes in as plain data or callables: processos' context of
the process (`contexto_de`, which answers 404 for a process the caller may not read),
tenancy's directory, auth's password check, the object store.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from services.chassis.ator import Ator
from services.chassis.object_store import ObjectStore
from services.chassis.tenant_session import TenantEngines, tenants_with_table
from services.documentos.domain import (
    EXTERNO,
    Armazenado,
    Configuracao,
    ContextoDoProcesso,
    Documento,
    InclusaoExterna,
    InclusaoInterna,
    Signatario,
    TipoDocumento,
    UploadPendente,
    chave_do_objeto,
    exigir_tamanho_do_conteudo,
    upload_desconhecido,
    validar_cargo,
)
from services.documentos.events import documento_no_evento
from services.documentos.extracao import TextoIndisponivel, texto_de_html
from services.documentos.extracao_filho import MAXIMO_BYTES
from services.documentos.handlers import ContextoDe, UnidadeDeTrabalho
from services.documentos.handlers.reads import legivel, para_extrair
from services.documentos.repository import REPOSITORIOS
from services.documentos.sanitizacao import sanitizar_html
from services.documentos.tables import upload_pendente

SISTEMA = Ator("sistema", "sistema", None)  # who records what the platform did by itself
_log = structlog.get_logger("sempapel.documentos")


def _agora() -> datetime:
    return datetime.now(UTC)


def _id() -> str:
    return uuid.uuid4().hex


def _operar(
    uow: UnidadeDeTrabalho,
    ator: Ator,
    doc_id: str,
    acao: Callable[[Documento], object],
    conteudo: bool = False,
) -> dict[str, Any]:
    """Load the document locked (`conteudo`: with its current HTML), act, save, commit;
    the document as saved."""
    with uow:
        doc = uow.documentos.para_operar(doc_id, conteudo=conteudo)
        acao(doc)
        uow.documentos.salvar(doc, ator)
        uow.commit()
    return documento_no_evento(doc)


def _html_do_editor(bruto: object) -> tuple[str, str]:
    """The editor's HTML sanitized, and its text for search. The limit is checked before
    sanitizing too, so nh3 never reads more than it."""
    html = sanitizar_html(exigir_tamanho_do_conteudo(str(bruto or "")))
    return html, texto_de_html(html)


# The municipality's limits


def definir_limites(uow: UnidadeDeTrabalho, max_bytes: int, formatos: list[str]) -> dict[str, Any]:
    config = Configuracao.nova(max_bytes, formatos)
    with uow:
        uow.documentos.definir_configuracao(config)
        uow.commit()
    return {"max_bytes": config.max_bytes, "formatos": list(config.formatos)}


# External documents: upload in three steps (prepare, the gateway streams, confirm)


def preparar_upload(
    uow: UnidadeDeTrabalho,
    ator: Ator,
    contexto: dict[str, Any],
    diretorio: dict[str, Any],
    metadados: dict[str, Any],
    prefixo: bytes,
    max_padrao: int,
) -> dict[str, Any]:
    """Check everything that can be checked before the file is stored, its format from
    its first bytes (`prefixo`) among the municipality's permitted ones; reserve a key."""
    processo = ContextoDoProcesso.de(contexto)
    agora, upload_id = _agora(), _id()
    with uow:
        config = uow.documentos.configuracao(max_padrao)
        inclusao = InclusaoExterna.de(processo, diretorio, metadados, prefixo, config.formatos)
        upload = UploadPendente(
            id=upload_id,
            processo_id=processo.id,
            objeto_chave=chave_do_objeto(uow.tenant.ibge, agora, upload_id),
            inclusao=inclusao,
            usuario_id=ator.usuario_id,
            unidade_id=ator.unidade_id or "",
            max_bytes=config.max_bytes,
            criado_em=agora,
        )
        uow.documentos.reservar_upload(upload)
        uow.commit()
    return {
        "upload_id": upload.id,
        "chave": upload.objeto_chave,
        "max_bytes": config.max_bytes,
        "formatos": list(config.formatos),
        "formato": inclusao.formato,
        "media_type": inclusao.media_type,
        "guarda_permanente": inclusao.guarda_permanente,  # the PUT sets the legal hold
    }


def confirmar_upload(
    uow: UnidadeDeTrabalho,
    ator: Ator,
    diretorio: dict[str, Any],
    upload_id: str,
    armazenado: dict[str, Any],
) -> dict[str, Any]:
    """The bytes are stored: record the document, in one transaction with its event.

    The key is the caller's own pending upload's, never taken from the call. What the
    gateway reports (size, hash) is recorded as reported: it wrote the object and the
    store's answer to that PUT is the proof (a HEAD here only asked the same again).
    """
    bytes_armazenados = Armazenado.de(armazenado)
    with uow:
        upload = uow.documentos.upload(upload_id, travar=True)
        if upload is None:
            raise upload_desconhecido()
        upload.exigir_de(ator)
        tipo = TipoDocumento.de(diretorio["tipos_documento"][upload.inclusao.tipo_documento])
        sigla = diretorio["unidades"].get(upload.unidade_id, {}).get("sigla")
        agora = _agora()
        numeros = uow.documentos.numeros(upload.processo_id, tipo, upload.unidade_id, agora.year)
        doc = Documento.externo(_id(), upload, tipo, numeros, sigla, bytes_armazenados, ator, agora)
        uow.documentos.adicionar(doc, ator)
        uow.documentos.esquecer_upload(upload.id)
        uow.documentos.salvar(doc, ator)
        uow.commit()
    # The gateway reports the hold.
    return {**documento_no_evento(doc), "guarda_permanente": upload.inclusao.guarda_permanente}


def cancelar_upload(uow: UnidadeDeTrabalho, store: ObjectStore, ator: Ator, upload_id: str) -> None:
    """Forget an upload that failed (only its uploader may), then delete its object."""
    with uow:
        upload = uow.documentos.upload(upload_id)
        if upload is None or upload.usuario_id != ator.usuario_id:
            return
        uow.documentos.esquecer_upload(upload.id)
        uow.commit()
    store.delete(upload.objeto_chave)


def varrer_abandonados(engines: TenantEngines, store: ObjectStore, idade: timedelta) -> int:
    """Delete the object and the record of every upload older than `idade` never confirmed
    (a crash, a database failure), in every municipality; how many."""
    removidos = 0
    for tenant in tenants_with_table(engines.engine, upload_pendente.name):
        with engines.unit_of_work(tenant, REPOSITORIOS) as uow:
            abandonados = uow.documentos.uploads_abandonados(_agora() - idade)
        for upload_id, chave in abandonados:
            store.delete(chave)
            with engines.unit_of_work(tenant, REPOSITORIOS) as uow:
                uow.documentos.esquecer_upload(upload_id)
                uow.commit()
            removidos += 1
    if removidos:
        _log.info("uploads_abandonados_removidos", total=removidos)
    return removidos


# Internal documents


def criar_interno(
    uow: UnidadeDeTrabalho,
    ator: Ator,
    contexto: dict[str, Any],
    diretorio: dict[str, Any],
    dados: dict[str, Any],
) -> dict[str, Any]:
    """A document written in the editor, numbered, with its text for search: one transaction."""
    inclusao = InclusaoInterna.de(ContextoDoProcesso.de(contexto), diretorio, dados, ator)
    html, texto = _html_do_editor(dados.get("conteudo"))
    with uow:
        agora = _agora()
        numeros = uow.documentos.numeros(
            inclusao.processo_id, inclusao.tipo, ator.unidade_id or "", agora.year
        )
        doc = Documento.interno(_id(), inclusao, numeros, html, texto, ator, agora)
        uow.documentos.adicionar(doc, ator)
        uow.documentos.salvar(doc, ator)
        uow.commit()
    return documento_no_evento(doc)


def editar(
    uow: UnidadeDeTrabalho,
    leitura: UnidadeDeTrabalho,
    contexto_de: ContextoDe,
    ator: Ator,
    doc_id: str,
    bruto: str,
) -> dict[str, Any]:
    """A new version; refused once signed (409) or from another unit (403)."""
    legivel(leitura, contexto_de, ator, doc_id)
    html, texto = _html_do_editor(bruto)
    return _operar(uow, ator, doc_id, lambda doc: doc.editar(ator, html, texto, _agora()))


# Signatures and cancelling


def assinar(
    uow: UnidadeDeTrabalho,
    leitura: UnidadeDeTrabalho,
    contexto_de: ContextoDe,
    confirmar_senha: Callable[[], dict[str, Any]],
    ator: Ator,
    doc_id: str,
    cargo: str,
    sigla: str | None,
) -> dict[str, Any]:
    """A signature over the SHA-256 of exactly the current content, by a reader of the
    document who typed their password again (`confirmar_senha`: auth's check, 401)."""
    cargo = validar_cargo(cargo)
    legivel(leitura, contexto_de, ator, doc_id)
    signatario = Signatario(confirmar_senha()["nome"], cargo, sigla)
    return _operar(
        uow,
        ator,
        doc_id,
        lambda doc: doc.assinar(ator, signatario, uow.tenant.ibge, _agora()),
        conteudo=True,
    )


def cancelar(
    uow: UnidadeDeTrabalho,
    leitura: UnidadeDeTrabalho,
    contexto_de: ContextoDe,
    ator: Ator,
    doc_id: str,
    motivo: str,
) -> dict[str, Any]:
    """The content stays stored; the document is no longer served as valid. Never deleted."""
    _, processo = legivel(leitura, contexto_de, ator, doc_id)
    return _operar(uow, ator, doc_id, lambda doc: doc.cancelar(ator, motivo, processo, _agora()))


# Extracted text (for search)


def registrar_texto(
    uow: UnidadeDeTrabalho, doc_id: str, texto: str | None, erro: str | None, evento_id: str
) -> None:
    """Store what extraction gave (or why it failed) and tell the search service, once per
    event: the event id is recorded in the same transaction."""
    with uow:
        doc = uow.documentos.para_operar(doc_id)  # the text changes, the record does not
        if not uow.documentos.registrar_evento_recebido(evento_id):
            return
        doc.registrar_texto(texto, erro)
        uow.documentos.salvar(doc, SISTEMA)
        uow.commit()


def extrair_texto(
    leitura: UnidadeDeTrabalho,
    uow: UnidadeDeTrabalho,
    extrair: Callable[[str, str], str],
    evento: dict[str, Any],
) -> None:
    """An uploaded file's text, off the upload's path, by `extrair` (the extraction
    children: format, key -> text). A failure is recorded, never raised; but a store that
    is down raises, and the event goes back to the queue to be tried again."""
    doc = (evento.get("data") or {}).get("documento") or {}
    if doc.get("origem") != EXTERNO:
        return  # internal documents' text is written with them
    arquivo = para_extrair(leitura, doc["id"], evento["id"])
    if arquivo is None:
        return
    texto, erro = None, None
    if arquivo["tamanho"] > MAXIMO_BYTES:
        erro = "arquivo grande demais para extração"
    else:
        try:
            texto = extrair(arquivo["formato"], arquivo["chave"])
        except TextoIndisponivel as exc:
            erro = str(exc) or "texto indisponível"
    registrar_texto(uow, doc["id"], texto, erro, evento["id"])

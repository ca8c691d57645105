"""documentos: internal and uploaded documents, signatures, public verification, extracted text.

File bytes never pass through RPC: the gateway streams them between the client
and the object store, at a key this service reserved after its checks, the
format of the file's first bytes included (`preparar_upload`), and this service
records the document once the bytes are stored (`confirmar_upload`). Keys and
formats come only from the records written here.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from typing import Any

import structlog
from nameko.messaging import QueueConsumer
from nameko.timer import timer

from services.chassis.config import Settings
from services.chassis.errors import (
    AcessoNegado,
    Conflito,
    ConteudoCorrompido,
    NaoEncontrado,
    SemPapelError,
)
from services.chassis.event_consumer import EventConsumer, tenant_do_evento
from services.chassis.object_store import SNIFF_BYTES, ObjectStore, ObjectStoreProvider
from services.chassis.outbox import OutboxRelayer
from services.chassis.probed_service import ProbedService
from services.chassis.rpc_client import ServiceRpc
from services.chassis.rpc_entrypoint import rpc
from services.chassis.tenant import validar_ibge
from services.chassis.tenant_session import (
    TenantDatabase,
    TenantEngines,
    tenants_with_table,
)
from services.chassis.ttl_cache import TtlCacheProvider
from services.documentos import dominio, handlers
from services.documentos.eventos import SOURCE
from services.documentos.extracao import TextoIndisponivel
from services.documentos.extracao_filho import MAXIMO_BYTES
from services.documentos.extratores import ExtratoresProvider
from services.documentos.tables import outbox, upload_pendente

EXPECTED = SemPapelError
ABANDONO = timedelta(hours=1)  # an upload not confirmed within this is an orphan
_log = structlog.get_logger("sempapel.documentos")


class FilaDaExtracao(QueueConsumer):
    """The extraction queue's own consumer, whose prefetch is the extraction bound.

    nameko's shared consumer lets every queue hold max_workers messages: extraction
    events took every worker and uploads' RPCs waited behind them until their timeout
    (bench_documentos). With its own prefetch, extraction holds at most
    SEMPAPEL_EXTRACAO_PROCESSOS workers and the rest stay free for requests.
    """

    @property
    def prefetch_count(self) -> int:
        return max(1, min(Settings.from_env().extracao_processos, self.container.max_workers - 1))


class ConsumidorDaExtracao(EventConsumer):
    queue_consumer = FilaDaExtracao()


extracao = ConsumidorDaExtracao.decorator


class DocumentosService(ProbedService):
    name = "documentos"

    db = TenantDatabase(relay=OutboxRelayer(outbox, SOURCE))
    diretorios = TtlCacheProvider("catalog_cache_seconds")  # tenancy.diretorio() by IBGE
    store = ObjectStoreProvider()
    extratores = ExtratoresProvider()
    tenancy = ServiceRpc("tenancy")
    processos = ServiceRpc("processos")
    auth = ServiceRpc("auth")

    # Context of the call

    def _diretorio(self, fresco: bool = False) -> dict[str, Any]:
        """tenancy's directory, cached; `fresco` reads it again (created a moment ago?)."""
        ibge = self.call.identity.tenant.ibge
        return self.diretorios.get(ibge, self.tenancy.diretorio, refresh=fresco)

    def _diretorio_com(self, tipo_documento: Any) -> dict[str, Any]:
        diretorio = self._diretorio()
        if str(tipo_documento) not in diretorio["tipos_documento"]:
            diretorio = self._diretorio(fresco=True)
        return diretorio

    def _legivel(
        self, doc_id: str, assinantes_externos: bool = True
    ) -> tuple[dict[str, Any], dict[str, Any], str | None]:
        """(document, process context, key) if the caller may read it; 404 otherwise.
        `assinantes_externos`: see `handlers.carregar`."""
        leitura = self.db.reading()  # autocommit pool: no BEGIN around the read
        carregado = handlers.carregar(leitura, doc_id, assinantes_externos)
        doc = carregado["row"]
        try:
            contexto = self.processos.contexto_documental(doc["processo_id"])
        except NaoEncontrado as exc:  # the process is out of reach: so is the document
            raise dominio.nao_encontrado() from exc
        if not dominio.pode_ler(doc["nivel_acesso"], contexto, self.call.identity.unidade_id):
            raise dominio.nao_encontrado()
        return doc, contexto, carregado["chave"]

    # Limits per municipality

    @rpc(expected_exceptions=EXPECTED)
    def limites(self) -> dict[str, Any]:
        return handlers.ler_limites(self.db.unit_of_work(), Settings.from_env().upload_max_bytes)

    @rpc(expected_exceptions=EXPECTED)
    def definir_limites(self, max_bytes: int, formatos: list[str]) -> dict[str, Any]:
        self.call.require_administrator()
        return handlers.definir_limites(self.db.unit_of_work(), int(max_bytes), list(formatos))

    # External documents

    @rpc(expected_exceptions=EXPECTED)
    def preparar_upload(
        self, processo: str, metadados: dict[str, Any], prefixo_b64: str
    ) -> dict[str, Any]:
        """Every check before the bytes are stored, the file's format from its first bytes
        among them (415 unless the municipality permits it); then a key is reserved."""
        contexto = self.processos.contexto_documental(processo)
        diretorio = self._diretorio_com(metadados.get("tipo_documento"))
        return handlers.preparar_upload(
            self.db.unit_of_work(),
            self.call.ator,
            contexto,
            diretorio,
            dict(metadados),
            base64.b64decode(prefixo_b64)[:SNIFF_BYTES],
            Settings.from_env().upload_max_bytes,
        )

    @rpc(expected_exceptions=EXPECTED)
    def confirmar_upload(self, upload_id: str, armazenado: dict[str, Any]) -> dict[str, Any]:
        """The gateway stored the bytes (under a legal hold where it had to): record them."""
        return handlers.confirmar_upload(
            self.db.unit_of_work(),
            self.call.ator,
            self._diretorio(),
            upload_id,
            armazenado,
        )

    @rpc(expected_exceptions=EXPECTED)
    def cancelar_upload(self, upload_id: str) -> None:
        chave = handlers.cancelar_upload(self.db.unit_of_work(), self.call.ator, upload_id)
        if chave:
            self.store.delete(chave)

    @timer(interval=600)
    def varrer_uploads_abandonados(self) -> int:
        """Objects of uploads never confirmed (a crash, a database failure) are removed."""
        return varrer_abandonados(self.db.engines, self.store, ABANDONO)

    # Internal documents

    @rpc(expected_exceptions=EXPECTED)
    def criar_interno(self, processo: str, dados: dict[str, Any]) -> dict[str, Any]:
        contexto = self.processos.contexto_documental(processo)
        diretorio = self._diretorio_com(dados.get("tipo_documento"))
        return handlers.criar_interno(
            self.db.unit_of_work(),
            self.call.ator,
            contexto,
            diretorio,
            dict(dados),
        )

    @rpc(expected_exceptions=EXPECTED)
    def editar(self, doc_id: str, html: str) -> dict[str, Any]:
        self._legivel(doc_id)
        return handlers.editar_interno(self.db.unit_of_work(), self.call.ator, doc_id, html)

    # Reading

    @rpc(expected_exceptions=EXPECTED)
    def obter(self, doc_id: str) -> dict[str, Any]:
        return self._legivel(doc_id)[0]

    @rpc(expected_exceptions=EXPECTED)
    def do_processo(self, processo: str) -> list[dict[str, Any]]:
        """All documents in order; those the caller may not read show only their place."""
        contexto = self.processos.contexto_documental(processo)
        unidade = self.call.identity.unidade_id
        return [
            doc
            if dominio.pode_ler(doc["nivel_acesso"], contexto, unidade)
            else {"id": doc["id"], "ordem": doc["ordem"], "nivel_acesso": doc["nivel_acesso"]}
            for doc in handlers.do_processo(self.db.unit_of_work(), contexto["id"])
        ]

    @rpc(expected_exceptions=EXPECTED)
    def snapshot(self, apos: str | None = None, limite: int = 500) -> dict[str, Any]:
        """Every document of the caller's municipality, paged: for the platform's systems."""
        self.call.require_sistema()
        return handlers.snapshot(self.db.reading(), apos, limite)

    @rpc(expected_exceptions=EXPECTED)
    def para_download(self, doc_id: str) -> dict[str, Any]:
        """Where the gateway reads an uploaded file from, after the access check."""
        doc, _, chave = self._legivel(doc_id, assinantes_externos=False)
        self._exigir_valido(doc)
        return self._download(doc, chave)

    def _download(self, doc: dict[str, Any], chave: str | None) -> dict[str, Any]:
        if doc["origem"] != "externo":
            raise Conflito("Documento interno: leia o conteúdo HTML.", code="documento_interno")
        return {
            "chave": chave,
            "sha256": doc["sha256"],
            "tamanho": doc["tamanho"],
            "media_type": doc["media_type"],
            "nome_arquivo": doc["nome_arquivo"] or f"documento-{doc['numero']}",
        }

    @rpc(expected_exceptions=EXPECTED)
    def para_leitura(self, doc_id: str) -> dict[str, Any]:
        """One call for the content route: the page of an internal document, or where the
        gateway reads an uploaded file from (one access check, not two)."""
        doc, _, chave = self._legivel(doc_id, assinantes_externos=False)
        self._exigir_valido(doc)
        if doc["origem"] == "interno":
            return {"origem": "interno", "pagina": self._pagina(doc)}
        return {"origem": "externo", **self._download(doc, chave)}

    @rpc(expected_exceptions=EXPECTED)
    def url_download(self, doc_id: str) -> dict[str, Any]:
        """A short-lived presigned URL, issued after the access check and a hash check."""
        info = self.para_download(doc_id)
        if self.store.sha256(info["chave"]) != info["sha256"]:
            _log.error("conteudo_corrompido", documento=doc_id, chave=info["chave"])
            raise ConteudoCorrompido(details={"documento": doc_id})
        segundos = Settings.from_env().presigned_seconds
        url = self.store.presigned_get(info["chave"], segundos, info["nome_arquivo"])
        return {"url": url, "expira_em_segundos": segundos, "sha256": info["sha256"]}

    def _pagina(self, doc: dict[str, Any]) -> dict[str, Any]:
        html = handlers.html_para_leitura(self.db.unit_of_work(), doc["id"])
        if hashlib.sha256(html.encode("utf-8")).hexdigest() != doc["sha256"]:
            _log.error("conteudo_corrompido", documento=doc["id"])
            raise ConteudoCorrompido(details={"documento": doc["id"]})
        carimbo = dominio.carimbo(
            doc["assinantes"],
            doc["codigo_verificacao"],
            doc["crc"],
            "/api/v1/conferir",
            self.call.identity.tenant.ibge,
        )
        return {"titulo": doc["rotulo"], "html": html, "carimbo": carimbo}

    def _exigir_valido(self, doc: dict[str, Any]) -> None:
        if doc["situacao"] == dominio.CANCELADO:
            raise Conflito(
                "Documento cancelado: o conteúdo não vale mais.", code="documento_cancelado"
            )

    # Signatures and cancelling

    @rpc(expected_exceptions=EXPECTED)
    def assinar(self, doc_id: str, senha: str, cargo: str) -> dict[str, Any]:
        self._legivel(doc_id)
        signatario = self.auth.confirmar_senha(senha)  # 401 senha_incorreta: no signature
        ator = self.call.ator
        sigla = self._diretorio()["unidades"].get(ator.unidade_id or "", {}).get("sigla")
        return handlers.assinar(self.db.unit_of_work(), ator, doc_id, cargo, signatario, sigla)

    @rpc(expected_exceptions=EXPECTED)
    def cancelar(self, doc_id: str, motivo: str) -> dict[str, Any]:
        doc, contexto, _ = self._legivel(doc_id)
        ator = self.call.ator
        if doc["unidade_id"] != ator.unidade_id:
            raise AcessoNegado(
                "Só a unidade que incluiu o documento pode cancelá-lo.",
                code="documento_de_outra_unidade",
            )
        dominio.exigir_acao_no_processo(contexto, "cancelar_documento")
        return handlers.cancelar(self.db.unit_of_work(), ator, doc_id, motivo)

    @rpc(expected_exceptions=EXPECTED)
    def conferir(self, municipio: str, codigo: str, crc: str) -> dict[str, Any]:
        """Public: no login. The municipality is validated before any SQL."""
        ibge = validar_ibge(municipio)
        return handlers.conferir(self.db.for_municipio(ibge), codigo, crc)

    # Text for search, in the background

    @extracao("documentos.extracao", "documento.incluido")
    def extrair_texto(self, evento_recebido: dict[str, Any]) -> None:
        """Uploaded files' text, off the upload's path; a failure is recorded, never raised
        (but a store that is down sends the event back to the queue, to be tried again)."""
        tenant = tenant_do_evento(evento_recebido)
        doc = (evento_recebido.get("data") or {}).get("documento") or {}
        if doc.get("origem") != "externo":
            return  # internal documents' text is written with them
        leitura = self.db.reading_for_municipio(tenant.ibge)
        arquivo = handlers.para_extrair(leitura, doc["id"], evento_recebido["id"])
        if arquivo is None:
            return
        texto, erro = None, None
        if arquivo["tamanho"] > MAXIMO_BYTES:
            erro = "arquivo grande demais para extração"
        else:
            try:
                texto = self.extratores.extrair(arquivo["formato"], arquivo["chave"])
            except TextoIndisponivel as exc:  # a store that is down is raised
                erro = str(exc) or "texto indisponível"
        uow = self.db.for_municipio(tenant.ibge)
        handlers.registrar_texto(uow, doc["id"], texto, erro, evento_recebido["id"])


def varrer_abandonados(engines: TenantEngines, store: ObjectStore, idade: timedelta) -> int:
    """Delete the object and the record of every upload older than `idade` never confirmed."""
    removidos = 0
    for tenant in tenants_with_table(engines.engine, upload_pendente.name):
        for upload_id, chave in handlers.uploads_abandonados(engines.unit_of_work(tenant), idade):
            store.delete(chave)
            handlers.esquecer_upload(engines.unit_of_work(tenant), upload_id)
            removidos += 1
    if removidos:
        _log.info("uploads_abandonados_removidos", total=removidos)
    return removidos


SERVICE = DocumentosService

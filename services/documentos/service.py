"""documentos: internal and uploaded documents, signatures, public verification, extracted text.

Entrypoints only: each takes what only the service layer knows (the caller from the
token, tenancy's directory, processos' context, auth's password check, the object
store, settings), calls one handler and answers.

File bytes never pass through RPC: the gateway streams them between the client
and the object store, at a key this service reserved after its checks, the
format of the file's first bytes included (`preparar_upload`), and this service
records the document once the bytes are stored (`confirmar_upload`). Keys and
formats come only from the records written here.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from nameko.timer import timer

from services.chassis.errors import SemPapelError
from services.chassis.event_consumer import tenant_do_evento
from services.chassis.object_store import SNIFF_BYTES, ObjectStoreProvider
from services.chassis.outbox import OutboxRelayer
from services.chassis.probed_service import ProbedService
from services.chassis.rpc_client import ServiceRpc
from services.chassis.rpc_entrypoint import rpc
from services.chassis.settings_provider import SettingsProvider
from services.chassis.tenant import validar_ibge
from services.chassis.tenant_session import TenantDatabase
from services.chassis.ttl_cache import TtlCacheProvider
from services.documentos.events import SOURCE
from services.documentos.extratores import ExtratoresProvider, extracao_limitada
from services.documentos.handlers import commands, reads, snapshots
from services.documentos.repository import REPOSITORIOS
from services.documentos.settings import DocumentosSettings
from services.documentos.tables import outbox

EXPECTED = SemPapelError
ABANDONO = timedelta(hours=1)  # an upload not confirmed within this is an orphan


class DocumentosService(ProbedService):
    name = "documentos"

    db = TenantDatabase(relay=OutboxRelayer(outbox, SOURCE), repositories=REPOSITORIOS)
    diretorios = TtlCacheProvider("catalog_cache_seconds")  # tenancy.diretorio() by IBGE
    store = ObjectStoreProvider()
    extratores = ExtratoresProvider()
    settings = SettingsProvider(DocumentosSettings)
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

    def _sigla(self) -> str | None:
        """The caller's current unit's sigla."""
        unidade_id = self.call.identity.unidade_id or ""
        return self._diretorio()["unidades"].get(unidade_id, {}).get("sigla")

    # Limits per municipality

    @rpc(expected_exceptions=EXPECTED)
    def limites(self) -> dict[str, Any]:
        return reads.ler_limites(self.db.reading(), self.settings.upload_max_bytes)

    @rpc(expected_exceptions=EXPECTED)
    def definir_limites(self, max_bytes: int, formatos: list[str]) -> dict[str, Any]:
        self.call.require_administrator()
        return commands.definir_limites(self.db.unit_of_work(), int(max_bytes), list(formatos))

    # External documents

    @rpc(expected_exceptions=EXPECTED)
    def preparar_upload(
        self, processo: str, metadados: dict[str, Any], prefixo_b64: str
    ) -> dict[str, Any]:
        """Every check before the bytes are stored, the file's format from its first bytes
        among them (415 unless the municipality permits it); then a key is reserved."""
        contexto = self.processos.contexto_documental(processo)
        return commands.preparar_upload(
            self.db.unit_of_work(),
            self.call.ator,
            contexto,
            self._diretorio_com(metadados.get("tipo_documento")),
            dict(metadados),
            base64.b64decode(prefixo_b64)[:SNIFF_BYTES],
            self.settings.upload_max_bytes,
        )

    @rpc(expected_exceptions=EXPECTED)
    def confirmar_upload(self, upload_id: str, armazenado: dict[str, Any]) -> dict[str, Any]:
        """The gateway stored the bytes (under a legal hold where it had to): record them."""
        return commands.confirmar_upload(
            self.db.unit_of_work(), self.call.ator, self._diretorio(), upload_id, armazenado
        )

    @rpc(expected_exceptions=EXPECTED)
    def cancelar_upload(self, upload_id: str) -> None:
        commands.cancelar_upload(self.db.unit_of_work(), self.store, self.call.ator, upload_id)

    @timer(interval=600)
    def varrer_uploads_abandonados(self) -> int:
        """Objects of uploads never confirmed (a crash, a database failure) are removed."""
        return commands.varrer_abandonados(self.db.engines, self.store, ABANDONO)

    # Internal documents

    @rpc(expected_exceptions=EXPECTED)
    def criar_interno(self, processo: str, dados: dict[str, Any]) -> dict[str, Any]:
        contexto = self.processos.contexto_documental(processo)
        diretorio = self._diretorio_com(dados.get("tipo_documento"))
        return commands.criar_interno(
            self.db.unit_of_work(), self.call.ator, contexto, diretorio, dict(dados)
        )

    @rpc(expected_exceptions=EXPECTED)
    def editar(self, doc_id: str, html: str) -> dict[str, Any]:
        return commands.editar(
            self.db.unit_of_work(),
            self.db.reading(),
            self.processos.contexto_documental,
            self.call.ator,
            doc_id,
            html,
        )

    # Reading

    @rpc(expected_exceptions=EXPECTED)
    def obter(self, doc_id: str) -> dict[str, Any]:
        return reads.obter(
            self.db.reading(), self.processos.contexto_documental, self.call.ator, doc_id
        )

    @rpc(expected_exceptions=EXPECTED)
    def do_processo(self, processo: str) -> list[dict[str, Any]]:
        """All documents in order; those the caller may not read show only their place."""
        contexto = self.processos.contexto_documental(processo)
        return reads.do_processo(self.db.reading(), contexto, self.call.ator)

    @rpc(expected_exceptions=EXPECTED)
    def snapshot(self, apos: str | None = None, limite: int = 500) -> dict[str, Any]:
        """Every document of the caller's municipality, paged: for the platform's systems."""
        self.call.require_sistema()
        return snapshots.pagina(self.db.reading(), apos, limite)

    @rpc(expected_exceptions=EXPECTED)
    def para_download(self, doc_id: str) -> dict[str, Any]:
        """Where the gateway reads an uploaded file from, after the access check."""
        return reads.para_download(
            self.db.reading(), self.processos.contexto_documental, self.call.ator, doc_id
        )

    @rpc(expected_exceptions=EXPECTED)
    def para_leitura(self, doc_id: str) -> dict[str, Any]:
        """One call for the content route: the page of an internal document, or where the
        gateway reads an uploaded file from (one access check, not two)."""
        return reads.para_leitura(
            self.db.reading(),
            self.processos.contexto_documental,
            self.call.ator,
            doc_id,
            self.call.identity.tenant.ibge,
        )

    @rpc(expected_exceptions=EXPECTED)
    def url_download(self, doc_id: str) -> dict[str, Any]:
        """A short-lived presigned URL, issued after the access check and a hash check."""
        return reads.url_download(
            self.db.reading(),
            self.processos.contexto_documental,
            self.store,
            self.call.ator,
            doc_id,
            self.settings.presigned_seconds,
        )

    # Signatures and cancelling

    @rpc(expected_exceptions=EXPECTED)
    def assinar(self, doc_id: str, senha: str, cargo: str) -> dict[str, Any]:
        return commands.assinar(
            self.db.unit_of_work(),
            self.db.reading(),
            self.processos.contexto_documental,
            lambda: self.auth.confirmar_senha(senha),  # 401 senha_incorreta: no signature
            self.call.ator,
            doc_id,
            cargo,
            self._sigla(),
        )

    @rpc(expected_exceptions=EXPECTED)
    def cancelar(self, doc_id: str, motivo: str) -> dict[str, Any]:
        return commands.cancelar(
            self.db.unit_of_work(),
            self.db.reading(),
            self.processos.contexto_documental,
            self.call.ator,
            doc_id,
            motivo,
        )

    @rpc(expected_exceptions=EXPECTED)
    def conferir(self, municipio: str, codigo: str, crc: str) -> dict[str, Any]:
        """Public: no login. The municipality is validated before any SQL."""
        ibge = validar_ibge(municipio)
        return reads.conferir(self.db.reading_for_municipio(ibge), codigo, crc)

    # Text for search, in the background

    @extracao_limitada("documentos.extracao", "documento.incluido")
    def extrair_texto(self, evento_recebido: dict[str, Any]) -> None:
        """Uploaded files' text, off the upload's path (see `commands.extrair_texto`)."""
        ibge = tenant_do_evento(evento_recebido).ibge
        commands.extrair_texto(
            self.db.reading_for_municipio(ibge),
            self.db.for_municipio(ibge),
            self.extratores.extrair,
            evento_recebido,
        )


SERVICE = DocumentosService

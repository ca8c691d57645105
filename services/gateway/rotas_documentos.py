"""The documents API: a route mixin of the gateway.

Bytes stream between the client and the object store here, never through RPC:
documentos reserves a key after its checks, the file's first bytes recognised
among them, and records the document once it is stored; a refused or failed upload
leaves neither a record nor an object.
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
from collections.abc import Iterator
from typing import Any

import structlog
from eventlet import tpool
from werkzeug.wrappers import Request, Response

from services.chassis.errors import (
    ArquivoGrandeDemais,
    ConteudoCorrompido,
    DadosInvalidos,
)
from services.chassis.object_store import SNIFF_BYTES
from services.gateway.schemas import parse
from services.gateway.schemas_documentos import (
    Assinatura,
    Cancelamento,
    Conferencia,
    Documento,
    DocumentoInterno,
    Edicao,
    Limites,
    UrlDownload,
)
from services.gateway.upload import StreamedUpload
from services.gateway.web_server import api

_log = structlog.get_logger("sempapel.gateway")
D = "/api/v1/documentos/<doc_id>"
TAGS = ("documentos",)
MULTIPART_OVERHEAD = 1024 * 1024  # field parts and boundaries around the file, at most
HASH_IN_THREAD_BYTES = 1024 * 1024
STREAM_CHUNK_BYTES = 1024 * 1024  # a large file's chunks, each hashed in a native thread
CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def _pagina(titulo: str, corpo: str, carimbo: str) -> str:
    linhas = "".join(f"<p>{html.escape(linha)}</p>" for linha in carimbo.splitlines() if linha)
    return (
        '<!doctype html><html lang="pt-BR"><head><meta charset="utf-8">'
        f"<title>{html.escape(titulo)}</title></head><body><article>{corpo}</article>"
        f'<footer class="assinaturas">{linhas}</footer></body></html>'
    )


class RotasDocumentos:
    """Every route but /conferir checks the token; access follows the document's process."""

    @api(
        "POST",
        "/api/v1/processos/<ref>/documentos",
        summary="Incluir documento externo (upload multipart: campos primeiro, depois 'arquivo')",
        response=Documento,
        status=201,
        authenticated=True,
        max_body_setting="upload_hard_max_bytes",
        stream_body=True,
        multipart={
            "tipo_documento": "id do tipo de documento",
            "nivel_acesso": "publico | restrito | sigiloso",
            "hipotese_legal": "nome (restrito e sigiloso)",
            "data_documento": "AAAA-MM-DD",
            "numero": "número do documento de origem",
            "remetente": "quem enviou",
            "arquivo": "o arquivo, por último (PDF, PNG, JPEG, TXT, ODT, ODS, DOCX, XLSX)",
        },
        errors=(401, 404, 409, 413, 415, 422, 503),
        tags=TAGS,
    )
    def incluir_documento(self, request: Request, ref: str) -> dict[str, Any]:
        stream = request.environ["wsgi.input"] if request.content_length is None else request.stream
        upload = StreamedUpload(stream, request.headers.get("Content-Type"))
        campos = upload.read_fields()
        prefixo, chunks = _comeco(upload.file_chunks())
        # One call checks the process, the metadata and the file's format (415) and reserves
        # the key: the format used to be a second call after this one.
        preparo = self.documentos.preparar_upload(
            ref, campos, base64.b64encode(prefixo).decode("ascii")
        )
        limite = int(preparo["max_bytes"])
        try:
            if request.content_length and request.content_length > limite + MULTIPART_OVERHEAD:
                raise ArquivoGrandeDemais(details={"limite_bytes": limite})
            armazenado = self.store.put_stream(
                preparo["chave"],
                chunks,
                limite,
                preparo["media_type"],
                declared_bytes=request.content_length,
                legal_hold=bool(preparo.get("guarda_permanente")),
            )
        except BaseException:
            self._abandonar(preparo)
            raise
        documento = self.documentos.confirmar_upload(
            preparo["upload_id"],
            {
                "sha256": armazenado.sha256,
                "tamanho": armazenado.size,
                "nome_arquivo": upload.filename,
            },
        )
        if documento["guarda_permanente"]:
            # Set by the PUT where the store has object lock (capability-checked); elsewhere
            # the record alone protects it: documents are cancelled, never deleted.
            documento["retencao_legal"] = armazenado.legal_hold
        return documento

    def _abandonar(self, preparo: dict[str, Any]) -> None:
        """A refused or failed upload: no pending record, no object (the sweep is the backstop)."""
        try:
            self.documentos.cancelar_upload(preparo["upload_id"])
        except Exception:  # noqa: BLE001 - the original error is the answer; the sweep cleans up
            _log.warning("upload_nao_cancelado", upload=preparo["upload_id"], exc_info=True)

    @api(
        "POST",
        "/api/v1/processos/<ref>/documentos/internos",
        summary="Gerar documento interno (HTML do editor, sanitizado)",
        body=DocumentoInterno,
        response=Documento,
        status=201,
        authenticated=True,
        errors=(400, 401, 404, 409, 413, 415, 422, 503),
        tags=TAGS,
    )
    def criar_documento_interno(self, request: Request, ref: str) -> dict[str, Any]:
        dados = parse(DocumentoInterno, request).model_dump()
        return self.documentos.criar_interno(ref, dados)

    @api(
        "GET",
        "/api/v1/processos/<ref>/documentos",
        summary="Documentos do processo, em ordem (os que você não pode ler só mostram o lugar)",
        authenticated=True,
        errors=(401, 404, 503),
        tags=TAGS,
    )
    def documentos_do_processo(self, request: Request, ref: str) -> list[dict[str, Any]]:
        return self.documentos.do_processo(ref)

    @api(
        "GET",
        D,
        summary="Metadados de um documento",
        response=Documento,
        authenticated=True,
        errors=(401, 404, 503),
        tags=TAGS,
    )
    def obter_documento(self, request: Request, doc_id: str) -> dict[str, Any]:
        return self.documentos.obter(doc_id)

    @api(
        "PUT",
        D,
        summary="Editar documento interno (nova versão; 409 depois da primeira assinatura)",
        body=Edicao,
        response=Documento,
        authenticated=True,
        errors=(400, 401, 403, 404, 409, 413, 415, 422, 503),
        tags=TAGS,
    )
    def editar_documento(self, request: Request, doc_id: str) -> dict[str, Any]:
        return self.documentos.editar(doc_id, parse(Edicao, request).conteudo)

    @api(
        "GET",
        f"{D}/conteudo",
        summary="O conteúdo: página HTML com o carimbo de assinaturas, ou o arquivo enviado",
        produces="application/octet-stream",
        authenticated=True,
        errors=(401, 404, 409, 503),
        tags=TAGS,
    )
    def conteudo_documento(self, request: Request, doc_id: str) -> Response:
        info = self.documentos.para_leitura(doc_id)
        if info["origem"] == "interno":
            pagina = info["pagina"]
            return Response(
                _pagina(pagina["titulo"], pagina["html"], pagina["carimbo"]),
                content_type="text/html; charset=utf-8",
                headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"},
            )
        headers = {
            "Content-Disposition": f'attachment; filename="{_nome_seguro(info["nome_arquivo"])}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": CSP,
            "Digest": "sha-256=" + base64.b64encode(bytes.fromhex(info["sha256"])).decode(),
        }
        limite = self.settings.verify_before_send_bytes
        if info["tamanho"] <= limite:  # small: check the hash before the first byte goes out
            dados = b"".join(self.store.stream(info["chave"]))
            if _sha256(dados) != info["sha256"]:
                _corrompido(doc_id, info)
            return Response(dados, content_type=info["media_type"], headers=headers)
        # Larger: streamed with its Content-Length, the last chunk held back until the hash
        # is checked, so a mismatch leaves the body visibly short (never a wrong file); no
        # copy of the whole file and no file held whole in memory.
        headers["Content-Length"] = str(info["tamanho"])
        return Response(
            _verificando(self.store.stream(info["chave"], STREAM_CHUNK_BYTES), doc_id, info),
            content_type=info["media_type"],
            headers=headers,
            direct_passthrough=True,
        )

    @api(
        "GET",
        f"{D}/url",
        summary="URL pré-assinada de curta duração para baixar o arquivo",
        response=UrlDownload,
        authenticated=True,
        errors=(401, 404, 409, 503),
        tags=TAGS,
    )
    def url_documento(self, request: Request, doc_id: str) -> dict[str, Any]:
        return self.documentos.url_download(doc_id)

    @api(
        "POST",
        f"{D}/assinar",
        summary="Assinar com a senha e o cargo (401 se a senha estiver errada)",
        body=Assinatura,
        response=Documento,
        authenticated=True,
        errors=(400, 401, 404, 409, 413, 415, 422, 429, 503),
        tags=TAGS,
    )
    def assinar_documento(self, request: Request, doc_id: str) -> dict[str, Any]:
        dados = parse(Assinatura, request)
        return self.documentos.assinar(doc_id, dados.senha, dados.cargo)

    @api(
        "POST",
        f"{D}/cancelar",
        summary="Cancelar com motivo (o conteúdo fica guardado, mas não vale mais)",
        body=Cancelamento,
        response=Documento,
        authenticated=True,
        errors=(400, 401, 403, 404, 409, 413, 415, 422, 503),
        tags=TAGS,
    )
    def cancelar_documento(self, request: Request, doc_id: str) -> dict[str, Any]:
        return self.documentos.cancelar(doc_id, parse(Cancelamento, request).motivo)

    @api(
        "GET",
        "/api/v1/conferir",
        summary="Conferir a autenticidade de um documento assinado (público, sem login)",
        response=Conferencia,
        errors=(404, 422, 503),
        tags=TAGS,
    )
    def conferir(self, request: Request) -> dict[str, Any]:
        args = request.args
        faltando = [c for c in ("municipio", "codigo", "crc") if not args.get(c)]
        if faltando:
            raise DadosInvalidos(f"Informe {', '.join(faltando)}.", code="conferencia_incompleta")
        return self.documentos.conferir(args["municipio"], args["codigo"], args["crc"])

    @api(
        "GET",
        "/api/v1/documentos/configuracao",
        summary="Tamanho máximo e formatos aceitos nos envios do município",
        response=Limites,
        authenticated=True,
        errors=(401, 503),
        tags=TAGS,
    )
    def limites_documentos(self, request: Request) -> dict[str, Any]:
        return self.documentos.limites()

    @api(
        "PUT",
        "/api/v1/documentos/configuracao",
        summary="Mudar tamanho máximo e formatos aceitos (administrador)",
        body=Limites,
        response=Limites,
        authenticated=True,
        errors=(400, 401, 403, 413, 415, 422, 503),
        tags=TAGS,
    )
    def definir_limites_documentos(self, request: Request) -> dict[str, Any]:
        dados = parse(Limites, request)
        return self.documentos.definir_limites(dados.max_bytes, list(dados.formatos))


def _comeco(chunks: Iterator[bytes]) -> tuple[bytes, Iterator[bytes]]:
    """The file's first SNIFF_BYTES (all of it if smaller), and its chunks from the start."""
    lidos: list[bytes] = []
    total = 0
    for chunk in chunks:
        lidos.append(chunk)
        total += len(chunk)
        if total >= SNIFF_BYTES:
            break
    return b"".join(lidos)[:SNIFF_BYTES], itertools.chain(lidos, chunks)


def _sha256(dados: bytes) -> str:
    """The hash of a file read whole (see `_atualizar`)."""
    digest = hashlib.sha256()
    _atualizar(digest, dados)
    return digest.hexdigest()


def _atualizar(digest: Any, dados: bytes) -> None:
    """Hash a large piece in a native thread (hashlib releases the GIL), so the hub serves
    other requests meanwhile: 10 MB are ~6 ms of CPU, and the gateway's one hub thread was
    what limited downloads (bench_documentos: the hub 77 % busy, the machine not)."""
    if len(dados) < HASH_IN_THREAD_BYTES:
        digest.update(dados)
    else:
        tpool.execute(digest.update, dados)


def _nome_seguro(nome: str) -> str:
    return "".join(c if c.isalnum() or c in "._- " else "_" for c in nome)[:150] or "documento"


def _corrompido(doc_id: str, info: dict[str, Any]) -> None:
    _log.error("conteudo_corrompido", documento=doc_id, chave=info["chave"])
    raise ConteudoCorrompido(details={"documento": doc_id})


def _verificando(chunks: Iterator[bytes], doc_id: str, info: dict[str, Any]) -> Iterator[bytes]:
    """Stream a large file, hashing as it goes; its last chunk goes out only once the hash
    matches. A mismatch, or more bytes than recorded, breaks the connection short of the
    Content-Length (the client sees an incomplete body, never a wrong file) and is logged."""
    digest = hashlib.sha256()
    enviados = 0
    retido = b""
    for chunk in chunks:
        _atualizar(digest, chunk)
        if retido:
            yield retido
        enviados += len(retido)
        retido = chunk
        if enviados + len(retido) > info["tamanho"]:
            _corrompido(doc_id, info)
    if digest.hexdigest() != info["sha256"]:
        _corrompido(doc_id, info)
    yield retido

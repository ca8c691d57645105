"""A multipart/form-data upload read as a stream: small fields first, then one file, in chunks.

werkzeug's form parser writes the whole file somewhere before the handler runs;
here the sans-IO `MultipartDecoder` is fed from the request stream on demand,
so the file's bytes go to the object store as they arrive and memory stays at
a few chunks whatever the size. The text fields must come before the file part
(every HTML form and HTTP client sends parts in the order they are given).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from services.chassis.errors import DadosInvalidos, TipoNaoSuportado

CHUNK = 256 * 1024  # per read of the request body: fewer trips through the hub and parser
MAX_FIELD_BYTES = 64 * 1024


class StreamedUpload:
    def __init__(self, stream: Any, content_type: str | None) -> None:
        mimetype, options = parse_options_header(content_type or "")
        boundary = options.get("boundary")
        if mimetype != "multipart/form-data" or not boundary:
            raise TipoNaoSuportado(
                "Envie o documento como multipart/form-data.", code="tipo_de_conteudo_nao_suportado"
            )
        self._stream = stream
        # No max_form_memory_size: werkzeug applies it to the parser's buffer, file bytes
        # included (a file with CR/LF past 128 KiB was refused: bench_documentos). The text
        # fields are capped here instead.
        self._decoder = MultipartDecoder(boundary.encode())
        self._ended = False
        self.fields: dict[str, str] = {}
        self.filename: str | None = None
        self._field_bytes = 0

    def _event(self) -> Any:
        while True:
            event = self._decoder.next_event()
            if not isinstance(event, NeedData):
                return event
            if self._ended:
                raise DadosInvalidos("Corpo multipart incompleto.", code="multipart_incompleto")
            chunk = self._stream.read(CHUNK)
            if not chunk:
                self._ended = True
                self._decoder.receive_data(None)
            else:
                self._decoder.receive_data(chunk)

    def read_fields(self) -> dict[str, str]:
        """Read the text fields up to the start of the file part."""
        name: str | None = None
        parts: list[bytes] = []
        while True:
            event = self._event()
            if isinstance(event, Field):
                name, parts = event.name, []
            elif isinstance(event, File):
                self.filename = event.filename or "arquivo"
                return self.fields
            elif isinstance(event, Data) and name is not None:
                parts.append(event.data)
                self._field_bytes += len(event.data)
                if self._field_bytes > MAX_FIELD_BYTES:
                    raise DadosInvalidos(
                        "Campos de texto grandes demais.", code="campos_grandes_demais"
                    )
                if not event.more_data:
                    try:
                        self.fields[name] = b"".join(parts).decode("utf-8").strip()
                    except UnicodeDecodeError as exc:
                        raise DadosInvalidos(
                            f"O campo {name} não é texto UTF-8.", code="campo_invalido"
                        ) from exc
                    name = None
            elif isinstance(event, Epilogue):
                raise DadosInvalidos("Envie o arquivo no campo 'arquivo'.", code="arquivo_ausente")

    def file_chunks(self) -> Iterator[bytes]:
        """The file's bytes as they arrive (call after read_fields)."""
        while True:
            event = self._event()
            if isinstance(event, Data):
                if event.data:
                    yield event.data
                if not event.more_data:
                    return
            elif isinstance(event, Epilogue):
                return

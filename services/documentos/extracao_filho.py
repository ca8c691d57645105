"""The extraction child: `python -m services.documentos.extracao_filho` (see extratores.py).

It reads one JSON job a line from stdin, reads the object from the store itself
into a seekable file, extracts its text and writes one JSON answer a line. It
runs at a lower priority than the services, and leaves after a job that left it
larger than MEMORIA_MAXIMA_KIB (saying so in the answer). Nothing is
monkey-patched here: its sockets and files are plain, so reading 10 MB costs
what it costs outside eventlet.
"""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import tempfile
from typing import Any, BinaryIO

from services.chassis.errors import ArmazenamentoIndisponivel
from services.documentos import extracao

PRIORIDADE = 10  # nice: extraction yields the CPU to the services answering requests
MEMORIA_MAXIMA_KIB = 512 * 1024
MAXIMO_BYTES = 200 * 1024 * 1024  # larger files are not read for text
EM_MEMORIA_BYTES = 16 * 1024 * 1024  # read into memory up to this; beyond, a temporary file


def _memoria_kib() -> int:
    with open("/proc/self/status") as status:
        for linha in status:
            if linha.startswith("VmRSS:"):
                return int(linha.split()[1])
    return 0


def _ler_objeto(store: Any, chave: str) -> BinaryIO:
    """The object in a seekable file: in memory up to EM_MEMORIA_BYTES, on disk beyond;
    ArmazenamentoIndisponivel when the store cannot be read (it is down: the event is tried
    again later). Plain BytesIO or file, not SpooledTemporaryFile: the parsers read a byte
    at a time, and each read through its Python wrapper made pypdf 2.4 times slower on a
    10 MB PDF (8.7 ms of CPU against 3.7)."""
    from urllib3.exceptions import HTTPError

    pedacos: list[bytes] = []
    copia: BinaryIO | None = None
    lidos = 0
    try:
        for pedaco in store.stream(chave):
            lidos += len(pedaco)
            if lidos > MAXIMO_BYTES:
                raise extracao.TextoIndisponivel("arquivo grande demais para extração")
            if copia is None and lidos > EM_MEMORIA_BYTES:
                copia = tempfile.TemporaryFile()
                copia.writelines(pedacos)
                pedacos.clear()
            if copia is None:
                pedacos.append(pedaco)
            else:
                copia.write(pedaco)
    except (HTTPError, OSError) as exc:  # mid-stream; the request itself raises it already
        if copia is not None:
            copia.close()
        raise ArmazenamentoIndisponivel(details={"erro": repr(exc)}) from exc
    except BaseException:
        if copia is not None:
            copia.close()
        raise
    if copia is None:
        return io.BytesIO(b"".join(pedacos))  # BytesIO shares the joined bytes: no copy
    copia.seek(0)
    return copia


def _responder(store: Any, trabalho: dict[str, Any]) -> dict[str, Any]:
    try:
        with _ler_objeto(store, trabalho["chave"]) as arquivo:
            return {"texto": extracao.extrair_texto(trabalho["formato"], arquivo)}
    except ArmazenamentoIndisponivel as exc:
        return {"armazenamento": repr(exc.__cause__ or exc)}
    except extracao.TextoIndisponivel as exc:
        return {"erro": str(exc) or "texto indisponível"}
    except Exception as exc:  # noqa: BLE001 - the store's own errors (no such key...)
        return {"erro": f"objeto ilegível ({type(exc).__name__}: {str(exc)[:200]})"}


def main() -> None:
    from services.chassis.config import Settings
    from services.chassis.object_store import ObjectStore

    os.nice(PRIORIDADE)
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings are the answer's reason
    store = ObjectStore.from_settings(Settings.from_env())
    for linha in sys.stdin.buffer:
        resposta = _responder(store, json.loads(linha))
        encerrando = _memoria_kib() > MEMORIA_MAXIMA_KIB
        if encerrando:
            resposta["encerrando"] = True
        sys.stdout.buffer.write(json.dumps(resposta, ensure_ascii=False).encode() + b"\n")
        sys.stdout.buffer.flush()
        if encerrando:
            return


if __name__ == "__main__":
    main()

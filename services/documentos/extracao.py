"""Text extraction in a child process: hostile files cannot stall or crash the service.

Parsers of PDF and office files are pure Python: run on the eventlet hub they
would stall every other worker, and in a thread (tpool) their logging takes
green locks from a foreign thread. A child process has neither problem, and it
can be killed when a pathological file keeps it busy too long.

    python -m services.documentos.extracao FORMAT PATH  ->  {"texto": ...} | {"erro": ...}
"""

from __future__ import annotations

import json
import subprocess
import sys

from services.documentos import conteudo

TEMPO_MAXIMO = 60.0


def extrair_em_processo(formato: str, caminho: str, tempo: float = TEMPO_MAXIMO) -> str:
    """The text of the file at `caminho`, or TextoIndisponivel with the reason (or a timeout).

    The child reads the file itself: pushing megabytes through eventlet's patched pipe
    cost a second of CPU per 10 MB in the service and stalled its loop (bench_documentos).
    Text and images need no child at all.
    """
    if formato in ("png", "jpeg"):
        return ""
    if formato == "txt":
        with open(caminho, "rb") as f:
            return conteudo.extrair_texto("txt", f.read(conteudo.LIMITE_TEXTO * 4))
    try:
        feito = subprocess.run(  # noqa: S603 - our interpreter, our module, a stored format id
            [sys.executable, "-m", "services.documentos.extracao", formato, caminho],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=tempo,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise conteudo.TextoIndisponivel(f"extração passou de {tempo:.0f} s") from exc
    try:
        resposta = json.loads(feito.stdout)
    except ValueError as exc:
        raise conteudo.TextoIndisponivel(f"extração falhou (código {feito.returncode})") from exc
    if "erro" in resposta:
        raise conteudo.TextoIndisponivel(resposta["erro"])
    return resposta["texto"]


def main() -> None:
    formato, caminho = sys.argv[1], sys.argv[2]
    try:
        with open(caminho, "rb") as f:
            resposta = {"texto": conteudo.extrair_texto(formato, f)}
    except conteudo.TextoIndisponivel as exc:
        resposta = {"erro": str(exc) or "texto indisponível"}
    sys.stdout.write(json.dumps(resposta, ensure_ascii=False))


if __name__ == "__main__":
    main()

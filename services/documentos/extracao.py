"""Text extraction in a child process: hostile files cannot stall or crash the service.

Parsers of PDF and office files are pure Python: run on the eventlet hub they
would stall every other worker, and in a thread (tpool) their logging takes
green locks from a foreign thread. A child process has neither problem, and it
can be killed when a pathological file keeps it busy too long.

    python -m services.documentos.extracao FORMAT < bytes  ->  {"texto": ...} | {"erro": ...}
"""

from __future__ import annotations

import json
import subprocess
import sys

from services.documentos import conteudo

TEMPO_MAXIMO = 60.0


def extrair_em_processo(formato: str, dados: bytes, tempo: float = TEMPO_MAXIMO) -> str:
    """The text, or TextoIndisponivel with the reason (including a timeout)."""
    try:
        feito = subprocess.run(  # noqa: S603 - our interpreter, our module, a stored format id
            [sys.executable, "-m", "services.documentos.extracao", formato],
            input=dados,
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
    formato = sys.argv[1]
    dados = sys.stdin.buffer.read()
    try:
        resposta = {"texto": conteudo.extrair_texto(formato, dados)}
    except conteudo.TextoIndisponivel as exc:
        resposta = {"erro": str(exc) or "texto indisponível"}
    sys.stdout.write(json.dumps(resposta, ensure_ascii=False))


if __name__ == "__main__":
    main()

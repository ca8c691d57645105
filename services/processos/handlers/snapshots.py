"""The municipality's processes whole, as their events carry them, a page at a time.

What derived copies (the search index) are rebuilt from while events keep flowing:
each carries its `versao`, so a live event newer than the page wins over it and an
older one loses. Only for the platform's own systems (the service checks the caller).
"""

from __future__ import annotations

from typing import Any

from services.processos.events import processo_no_evento
from services.processos.handlers.commands import UnidadeDeTrabalho

PAGINA_MAXIMA = 1000


def pagina(leitura: UnidadeDeTrabalho, apos: str | None, limite: int) -> dict[str, Any]:
    """Processes after the id `apos` (None: from the first), in id order; `proxima` is the
    next page's `apos`, None on the last page; `total` (first page only) counts them all."""
    limite = max(1, min(int(limite), PAGINA_MAXIMA))
    with leitura:
        processos = leitura.processos.pagina(apos, limite)
        total = leitura.processos.contar() if apos is None else None
    return {
        "itens": [processo_no_evento(p) for p in processos],
        "proxima": processos[-1].id if len(processos) == limite else None,
        "total": total,
    }

"""The municipality's documents whole, as their events carry them, a page at a time.

What derived copies (the search index) are rebuilt from while events keep flowing:
each carries its process's `seq` of document changes and its extracted text, so a live
event newer than the page wins over it and an older one loses. Only for the platform's
own systems (the service checks the caller).
"""

from __future__ import annotations

from typing import Any

from services.documentos.events import documento_no_evento
from services.documentos.handlers import UnidadeDeTrabalho

PAGINA_MAXIMA = 1000


def pagina(leitura: UnidadeDeTrabalho, apos: str | None, limite: int) -> dict[str, Any]:
    """Documents after the id `apos` (None: from the first), in id order; `proxima` is the
    next page's `apos`, None on the last page; `total` (first page only) counts them all."""
    limite = max(1, min(int(limite), PAGINA_MAXIMA))
    with leitura:
        docs = leitura.documentos.pagina(apos, limite)
        seqs = leitura.documentos.seqs({doc.processo_id for doc in docs})
        total = leitura.documentos.contar() if apos is None else None
    return {
        "itens": [
            {"documento": documento_no_evento(d), "seq": seqs[d.processo_id], "texto": d.texto}
            for d in docs
        ],
        "proxima": docs[-1].id if len(docs) == limite else None,
        "total": total,
    }

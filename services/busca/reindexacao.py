"""Rebuilding the index from the database, while live events keep flowing.

Every entry is written with the version the database holds now: a live event
with a newer version wins over the rebuild, an older one loses to it, so the
index ends equal to the database whatever the interleaving. Reads the
processes' and documents' records through their services' own snapshot code
(the same shapes their events carry), in pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import select

from services.busca import indice
from services.chassis.tenant import Tenant
from services.chassis.tenant_session import TenantEngines, tenants_with_table
from services.documentos import handlers as documentos
from services.documentos.tables import contador, documento
from services.documentos.tables import documento_texto as doc_texto
from services.processos import handlers as processos
from services.processos.tables import processo

PAGINA = 500


def municipios(engines: TenantEngines) -> list[Tenant]:
    return tenants_with_table(engines.engine, "busca_entrada")


def contar(engines: TenantEngines, tenant: Tenant) -> int:
    with engines.unit_of_work(tenant) as uow:
        n = uow.session.execute(select(processo.c.id)).all()
        d = uow.session.execute(select(documento.c.id)).all()
    return len(n) + len(d)


def paginas(engines: TenantEngines, tenant: Tenant) -> Iterator[list[indice.Entrada]]:
    """The municipality's entries, processes first (documents take their access)."""
    with engines.unit_of_work(tenant) as uow:
        ids = list(uow.session.scalars(select(processo.c.id).order_by(processo.c.id)))
    do_processo: dict[str, indice.Entrada] = {}
    for inicio in range(0, len(ids), PAGINA):
        with engines.unit_of_work(tenant) as uow:
            pagina = [
                indice.de_processo(processos._snapshot(uow.session, pid))
                for pid in ids[inicio : inicio + PAGINA]
            ]
        do_processo.update({e.processo_id: e for e in pagina})
        yield pagina
    with engines.unit_of_work(tenant) as uow:
        doc_ids = list(uow.session.scalars(select(documento.c.id).order_by(documento.c.id)))
    for inicio in range(0, len(doc_ids), PAGINA):
        with engines.unit_of_work(tenant) as uow:
            s = uow.session
            rows = s.execute(
                select(documento).where(documento.c.id.in_(doc_ids[inicio : inicio + PAGINA]))
            ).all()
            textos = dict(
                s.execute(
                    select(doc_texto.c.documento_id, doc_texto.c.texto).where(
                        doc_texto.c.documento_id.in_([r.id for r in rows])
                    )
                ).all()
            )
            seqs = dict(
                s.execute(
                    select(contador.c.chave, contador.c.ultimo).where(
                        contador.c.chave.in_({f"seq:{r.processo_id}" for r in rows})
                    )
                ).all()
            )
            pagina = [
                indice.de_documento(
                    documentos.resumo(r, documentos._assinantes(s, r.id)),
                    seqs.get(f"seq:{r.processo_id}", 0),
                    do_processo.get(r.processo_id),
                    textos.get(r.id),
                )
                for r in rows
            ]
        yield pagina


def reindexar(
    engines: TenantEngines,
    backend: Any,
    tenant: Tenant,
    progresso: Callable[[int], None] = lambda n: None,
) -> int:
    total = 0
    for pagina in paginas(engines, tenant):
        backend.indexar(tenant.ibge, pagina)
        for entrada in pagina:
            if entrada.tipo == "documento" and entrada.texto:
                backend.definir_texto(tenant.ibge, entrada)
        total += len(pagina)
        progresso(len(pagina))
    return total

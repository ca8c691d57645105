"""documentos' use cases: `commands` change documents, `reads` answer questions about them,
`snapshots` give them whole, as their events carry them, to rebuild derived copies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class UnidadeDeTrabalho(Protocol):
    """What handlers need of a unit of work (`services.chassis.tenant_session.UnitOfWork`
    with the `documentos` repository, or a fake)."""

    documentos: Any
    tenant: Any

    def __enter__(self) -> UnidadeDeTrabalho: ...
    def __exit__(self, *exc: object) -> None: ...
    def commit(self) -> None: ...


# processos' `contexto_documental`: what documentos decides by, for the caller; 404 for a
# process the caller may not read.
ContextoDe = Callable[[str], dict[str, Any]]

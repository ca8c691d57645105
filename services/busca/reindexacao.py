"""Rebuilding the index from the owning services' snapshots, while live events keep flowing.

processos and documentos each answer a public, paged snapshot RPC (`snapshot`) with
their records in the shapes their events carry; busca reads only that, never their
tables. Every entry is written with the version the owner holds now: a live event
with a newer version wins over the rebuild, an older one loses to it, so the index
ends equal to the owners' data whatever the interleaving.

The snapshots see a whole municipality regardless of access rules, so they answer
only a platform system's token (`TokenService.issue_sistema`), for one municipality.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

from nameko.standalone.rpc import ClusterRpcProxy

from services.busca import domain
from services.chassis.call_context import TOKEN_KEY
from services.chassis.config import Settings
from services.chassis.remote_errors import register_remote_errors
from services.chassis.tenant import Tenant
from services.chassis.tenant_session import TenantEngines, tenants_with_table
from services.chassis.tokens import TokenService

PAGINA = 500
SISTEMA = "reindexacao"


class Fonte(Protocol):
    """Pages of one municipality's records: {"itens", "proxima", "total"}."""

    def processos(self, apos: str | None, limite: int) -> dict[str, Any]: ...
    def documentos(self, apos: str | None, limite: int) -> dict[str, Any]: ...


class FontePorRpc:
    """The owners' `snapshot` RPCs, called as the platform's reindexing system."""

    def __init__(self, cluster: Any) -> None:
        self._cluster = cluster

    def processos(self, apos: str | None, limite: int) -> dict[str, Any]:
        return self._cluster.processos.snapshot(apos, limite)

    def documentos(self, apos: str | None, limite: int) -> dict[str, Any]:
        return self._cluster.documentos.snapshot(apos, limite)


def conectar(settings: Settings, tenant: Tenant, timeout: float | None = None) -> ClusterRpcProxy:
    """A standalone RPC client acting as the reindexing system in `tenant` (a context
    manager whose value `FontePorRpc` takes)."""
    register_remote_errors()
    token = TokenService.from_settings(settings).issue_sistema(SISTEMA, tenant.ibge)
    return ClusterRpcProxy(
        settings.nameko_config(),
        context_data={TOKEN_KEY: token},
        timeout=timeout or settings.rpc_timeout_seconds * 6,
    )


def municipios(engines: TenantEngines) -> list[Tenant]:
    """The municipalities with a search index here (busca's own table)."""
    return tenants_with_table(engines.engine, "busca_entrada")


def _todas(pagina: Callable[[str | None, int], dict[str, Any]]) -> Iterator[dict[str, Any]]:
    apos: str | None = None
    while True:
        resposta = pagina(apos, PAGINA)
        yield resposta
        apos = resposta["proxima"]
        if apos is None:
            return


def paginas(fonte: Fonte, total: Callable[[int], None] = lambda n: None) -> Iterator[list[Any]]:
    """The municipality's entries, processes first (documents take their access); `total`
    is told how many records there are, from the first page of each kind."""
    do_processo: dict[str, domain.Entrada] = {}
    for resposta in _todas(fonte.processos):
        if resposta.get("total") is not None:
            total(int(resposta["total"]))
        pagina = [domain.de_processo(p) for p in resposta["itens"]]
        do_processo.update({e.processo_id: e for e in pagina})
        yield pagina
    for resposta in _todas(fonte.documentos):
        if resposta.get("total") is not None:
            total(int(resposta["total"]))
        yield [
            domain.de_documento(
                item["documento"],
                item["seq"],
                do_processo.get(item["documento"]["processo_id"]),
                item["texto"],
            )
            for item in resposta["itens"]
        ]


def reindexar(
    fonte: Fonte,
    backend: Any,
    tenant: Tenant,
    progresso: Callable[[int], None] = lambda n: None,
    total: Callable[[int], None] = lambda n: None,
) -> int:
    feitos = 0
    for pagina in paginas(fonte, total):
        backend.indexar(tenant.ibge, pagina)
        for entrada in pagina:
            if entrada.tipo == "documento" and entrada.texto:
                backend.definir_texto(tenant.ibge, entrada)
        feitos += len(pagina)
        progresso(len(pagina))
    return feitos

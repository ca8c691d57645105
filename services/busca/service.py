"""busca: an index built from the domain events, answering searches with access filters.

It consumes `processo.*` and `documento.*` from its own durable queue; every
entry carries a version, so repeated and late events change nothing. The
backend is PostgreSQL full text by default and Solr in production
(`SEMPAPEL_BUSCA_BACKEND`); the municipality and the access filter always come
from the verified token, never from the request.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from nameko.extensions import DependencyProvider

from services.busca import indice
from services.busca.indice import Acesso, Consulta
from services.busca.postgres import PostgresBackend
from services.chassis.config import Settings
from services.chassis.database import engine_from_settings
from services.chassis.errors import DadosInvalidos, SemPapelError
from services.chassis.event_consumer import EventoInvalido, evento, tenant_do_evento
from services.chassis.niveis_acesso import validar_nivel
from services.chassis.probed_service import ProbedService
from services.chassis.rpc_client import ServiceRpc
from services.chassis.rpc_entrypoint import rpc
from services.chassis.tenant_session import TenantEngines
from services.chassis.ttl_cache import TtlCacheProvider

EXPECTED = SemPapelError


def aplicar(backend: Any, evento_recebido: dict[str, Any]) -> None:
    """One event into the index (idempotent, order-safe through the entries' versions)."""
    ibge = tenant_do_evento(evento_recebido).ibge
    tipo, dados = evento_recebido["type"], evento_recebido.get("data") or {}
    try:
        if tipo.startswith("processo."):
            backend.indexar(ibge, [indice.de_processo(dados["processo"])])
            atual = backend.obter(ibge, f"processo:{dados['processo']['id']}")
            backend.refiltrar(ibge, atual)  # its documents follow the newest access
            return
        documento = dados["documento"]
        processo = backend.obter(ibge, f"processo:{documento['processo_id']}")
        entrada = indice.de_documento(documento, dados["seq"], processo, dados.get("texto"))
        backend.indexar(ibge, [entrada])
        # The process may have changed access meanwhile: its newest state wins.
        atual = backend.obter(ibge, f"processo:{documento['processo_id']}")
        if atual is not None and (processo is None or atual.versao != processo.versao):
            backend.refiltrar(ibge, atual)
        if tipo == "documento.texto_extraido" and dados.get("texto") is not None:
            backend.definir_texto(ibge, entrada)
    except (KeyError, TypeError, ValueError) as exc:
        raise EventoInvalido(f"evento sem os campos esperados: {exc!r}") from exc


class BackendProvider(DependencyProvider):
    def setup(self) -> None:
        settings = Settings.from_env()
        self.backend = backend_from_settings(settings)

    def get_dependency(self, worker_ctx: Any) -> Any:
        return self.backend


def backend_from_settings(settings: Settings) -> Any:
    if settings.busca_backend == "solr":
        from services.busca.solr import SolrBackend

        return SolrBackend.from_settings(settings)
    return PostgresBackend(TenantEngines(engine_from_settings(settings)))


class BuscaService(ProbedService):
    name = "busca"

    backend = BackendProvider()
    diretorios = TtlCacheProvider("catalog_cache_seconds")
    tenancy = ServiceRpc("tenancy")

    @evento("busca.indexacao", "processo.#", "documento.#")
    def indexar(self, evento_recebido: dict[str, Any]) -> None:
        aplicar(self.backend, evento_recebido)

    @rpc(expected_exceptions=EXPECTED)
    def buscar(self, filtros: dict[str, Any]) -> dict[str, Any]:
        identity = self.call.identity
        acesso = Acesso(identity.tenant.ibge, identity.usuario_id, identity.unidade_id)
        unidades = self.diretorios.get(identity.tenant.ibge, self.tenancy.diretorio)["unidades"]
        consulta = _consulta(filtros, {u["sigla"]: uid for uid, u in unidades.items()})
        resultado = self.backend.buscar(acesso, consulta)
        facetas = dict(resultado.facetas)
        if "unidade" in facetas:
            facetas["unidade"] = {
                unidades.get(uid, {}).get("sigla", uid): n for uid, n in facetas["unidade"].items()
            }
        return {
            "total": resultado.total,
            # False: at least `total` hits; the backend counted no further (see postgres.py).
            "total_exato": resultado.total_exato,
            "pagina": consulta.pagina,
            "por_pagina": consulta.por_pagina,
            "itens": resultado.itens,
            "facetas": facetas,
        }


def _consulta(filtros: dict[str, Any], siglas: dict[str, str]) -> Consulta:
    q = " ".join(str(filtros.get("q") or "").split())
    if not q or len(q) > 500:
        raise DadosInvalidos("Informe o que buscar (até 500 caracteres).", code="busca_vazia")
    palavras = [p for p in q.replace('"', " ").split() if p.lower() != "or"]
    if palavras and all(p.startswith("-") for p in palavras):
        # Only exclusions match nearly everything, and no index can find "everything but".
        raise DadosInvalidos(
            "Informe ao menos uma palavra a buscar, além das excluídas com '-'.",
            code="busca_so_exclusoes",
        )

    def data(nome: str) -> date | None:
        valor = filtros.get(nome)
        if not valor:
            return None
        try:
            return date.fromisoformat(str(valor))
        except ValueError as exc:
            raise DadosInvalidos(f"{nome}: data AAAA-MM-DD.", code="data_invalida") from exc

    unidade = filtros.get("unidade")
    if unidade:
        unidade = siglas.get(str(unidade).strip().upper())
        if unidade is None:
            raise DadosInvalidos("Unidade desconhecida.", code="unidade_nao_encontrada")
    try:
        pagina = max(1, int(filtros.get("pagina") or 1))
        por_pagina = max(1, min(int(filtros.get("por_pagina") or 20), 100))
    except ValueError as exc:
        raise DadosInvalidos("pagina e por_pagina são números.", code="pagina_invalida") from exc
    return Consulta(
        q=q,
        tipo_processo=filtros.get("tipo_processo") or None,
        tipo_documento=filtros.get("tipo_documento") or None,
        unidade=unidade,
        de=data("de"),
        ate=data("ate"),
        nivel=validar_nivel(filtros["nivel"]) if filtros.get("nivel") else None,
        pagina=pagina,
        por_pagina=por_pagina,
    )


SERVICE = BuscaService

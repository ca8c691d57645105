"""busca's use cases: an event into the index, and a search with the caller's access.

The municipality and the access filter always come from the verified token (the
service builds `Acesso`), never from the request.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from services.busca import domain
from services.busca.domain import Acesso, Consulta
from services.chassis.errors import DadosInvalidos
from services.chassis.event_consumer import EventoInvalido, tenant_do_evento
from services.chassis.niveis_acesso import validar_nivel


def aplicar(backend: Any, evento_recebido: dict[str, Any]) -> None:
    """One event into the index (idempotent, order-safe through the entries' versions)."""
    ibge = tenant_do_evento(evento_recebido).ibge
    tipo, dados = evento_recebido["type"], evento_recebido.get("data") or {}
    try:
        if tipo.startswith("processo."):
            backend.indexar(ibge, [domain.de_processo(dados["processo"])])
            atual = backend.obter(ibge, f"processo:{dados['processo']['id']}")
            backend.refiltrar(ibge, atual)  # its documents follow the newest access
            return
        documento = dados["documento"]
        processo = backend.obter(ibge, f"processo:{documento['processo_id']}")
        entrada = domain.de_documento(documento, dados["seq"], processo, dados.get("texto"))
        backend.indexar(ibge, [entrada])
        # The process may have changed access meanwhile: its newest state wins.
        atual = backend.obter(ibge, f"processo:{documento['processo_id']}")
        if atual is not None and (processo is None or atual.versao != processo.versao):
            backend.refiltrar(ibge, atual)
        if tipo == "documento.texto_extraido" and dados.get("texto") is not None:
            backend.definir_texto(ibge, entrada)
    except (KeyError, TypeError, ValueError) as exc:
        raise EventoInvalido(f"evento sem os campos esperados: {exc!r}") from exc


def buscar(
    backend: Any, acesso: Acesso, filtros: dict[str, Any], unidades: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """A search as the caller may see it; `unidades`: tenancy's directory, by unit id (a
    unit filter is a sigla, and facets show siglas)."""
    consulta = consulta_de(filtros, {u["sigla"]: uid for uid, u in unidades.items()})
    resultado = backend.buscar(acesso, consulta)
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


def consulta_de(filtros: dict[str, Any], siglas: dict[str, str]) -> Consulta:
    """A request's filters, checked, as a `Consulta`; `siglas`: unit id by sigla."""
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

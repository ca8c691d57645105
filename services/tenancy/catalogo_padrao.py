"""The default catalog every new municipality starts with, read from the YAML files in
`dados/` (each names its source) and put through the same rules as the API's entries."""

from __future__ import annotations

import functools
import uuid
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection, Table, func, select

from services.tenancy.domain.catalogo import (
    CatalogoEmMemoria,
    HipoteseLegal,
    TipoDocumento,
    TipoProcesso,
)
from services.tenancy.domain.plano import FONTE_MAX, VersaoPlano
from services.tenancy.repository import gravar_versao
from services.tenancy.tenant_tables import (
    hipotese_legal,
    plano_versao,
    tipo_documento,
    tipo_processo,
)

DADOS = Path(__file__).parent / "dados"


def _id() -> str:
    return uuid.uuid4().hex


@functools.cache
def dados_padrao(nome: str) -> dict[str, Any]:
    with (DADOS / f"{nome}.yaml").open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def _vazio(conn: Connection) -> bool:
    tabelas = (hipotese_legal, tipo_documento, tipo_processo, plano_versao)
    return all(conn.execute(select(func.count()).select_from(t)).scalar() == 0 for t in tabelas)


def _construir(itens_vigentes: dict[str, str]) -> CatalogoEmMemoria:
    """The default hypotheses and types, checked entry by entry, in memory."""
    catalogo = CatalogoEmMemoria(itens_vigentes)
    for h in dados_padrao("hipoteses_legais")["hipoteses"]:
        catalogo.adicionar(
            HipoteseLegal.nova(catalogo, _id(), h["nome"], h["base_legal"], h["niveis"])
        )
    for t in dados_padrao("tipos_documento")["tipos"]:
        catalogo.adicionar(
            TipoDocumento.novo(catalogo, _id(), t["nome"], t["aplicacao"], t["numeracao"])
        )
    for t in dados_padrao("tipos_processo")["tipos"]:
        nivel, hipotese = t["nivel_acesso_sugerido"], t.get("hipotese_legal")
        catalogo.adicionar(
            TipoProcesso.novo(catalogo, _id(), t["nome"], t["classificacao"], nivel, hipotese)
        )
    return catalogo


def _linhas(tabela: Table, entradas: list[Any], classe: type) -> list[dict[str, Any]]:
    escolhidas = [e for e in entradas if type(e) is classe]
    return [{c.key: getattr(e, c.key) for c in tabela.columns} for e in escolhidas]


def semear(conn: Connection) -> bool:
    """Insert the default catalog into a municipality that has none; True if it did.

    Runs in the caller's transaction, so it lands whole or not at all; a
    municipality that already has a catalog (its own edits included) is left alone.
    """
    if not _vazio(conn):
        return False
    plano = dados_padrao("plano_classificacao")
    versao = VersaoPlano.nova(plano["versao"], plano["fonte"][:FONTE_MAX], plano["itens"])
    entradas = _construir(gravar_versao(conn, versao)).entradas
    for tabela, classe in (
        (hipotese_legal, HipoteseLegal),
        (tipo_documento, TipoDocumento),
        (tipo_processo, TipoProcesso),
    ):
        conn.execute(tabela.insert(), _linhas(tabela, entradas, classe))
    return True

"""The municipality's administrators change its catalog: one rule of the domain per call."""

from __future__ import annotations

import uuid
from typing import Any

from services.chassis.errors import DadosInvalidos
from services.chassis.tenant_session import UnitOfWork
from services.tenancy.domain.catalogo import HipoteseLegal, TipoDocumento, TipoProcesso, exigir
from services.tenancy.handlers.leituras import hipotese_publica, tipo_documento_publico
from services.tenancy.repository import CatalogoSql

# The catalogs by the names the API gives them (with _ for -).
ENTRADAS: dict[str, type] = {
    "hipoteses_legais": HipoteseLegal,
    "tipos_documento": TipoDocumento,
    "tipos_processo": TipoProcesso,
}


def _id() -> str:
    return uuid.uuid4().hex


def _entrada(uow: UnitOfWork, qual: str, id_: str) -> Any:
    if qual not in ENTRADAS:
        raise DadosInvalidos(f"Catálogo desconhecido: {qual}.")
    return exigir(uow.session.get(ENTRADAS[qual], id_, with_for_update=True))


def criar_hipotese(uow: UnitOfWork, nome: str, base_legal: str, niveis: list[str]) -> dict:
    with uow:
        nova = HipoteseLegal.nova(CatalogoSql(uow.session), _id(), nome, base_legal, niveis)
        uow.session.add(nova)
        uow.commit()
    return hipotese_publica(nova)


def criar_tipo_documento(uow: UnitOfWork, nome: str, aplicacao: str, numeracao: str) -> dict:
    with uow:
        novo = TipoDocumento.novo(CatalogoSql(uow.session), _id(), nome, aplicacao, numeracao)
        uow.session.add(novo)
        uow.commit()
    return tipo_documento_publico(novo)


def criar_tipo_processo(
    uow: UnitOfWork,
    nome: str,
    classificacao: str,
    nivel_acesso_sugerido: str,
    hipotese_legal_nome: str | None,
) -> dict:
    with uow:
        novo = TipoProcesso.novo(
            CatalogoSql(uow.session),
            _id(),
            nome,
            classificacao,
            nivel_acesso_sugerido,
            hipotese_legal_nome,
        )
        uow.session.add(novo)
        uow.commit()
    return {
        "nome": novo.nome,
        "classificacao": classificacao,
        "nivel_acesso_sugerido": novo.nivel_acesso_sugerido,
        "hipotese_legal": hipotese_legal_nome,
        "ativo": True,
    }


def alterar(uow: UnitOfWork, qual: str, id_: str, mudancas: dict[str, Any]) -> None:
    """Apply `mudancas` (only what changes) to one entry, with the same rules as creation."""
    with uow:
        _entrada(uow, qual, id_).alterar(CatalogoSql(uow.session), mudancas)
        uow.commit()


def desativar(uow: UnitOfWork, qual: str, id_: str) -> None:
    with uow:
        _entrada(uow, qual, id_).desativar(CatalogoSql(uow.session))
        uow.commit()

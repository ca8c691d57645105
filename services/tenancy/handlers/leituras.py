"""Reads of the catalog, for every user of the municipality, and the directory other
services read in one call. Plain queries: a read needs no rule of the domain."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from services.chassis.errors import DadosInvalidos, NaoEncontrado
from services.chassis.tenant_session import UnitOfWork
from services.tenancy.domain.catalogo import niveis_de
from services.tenancy.domain.plano import CAMPOS_ITEM
from services.tenancy.repository import VERSAO_VIGENTE, itens_vigentes
from services.tenancy.tenant_tables import (
    hipotese_legal,
    plano_item,
    plano_versao,
    tipo_documento,
    tipo_processo,
    unidade,
)


def hipotese_publica(h: Any) -> dict[str, Any]:
    """A hypothesis as the API shows it (from an entry or a row)."""
    return {
        "id": h.id,
        "nome": h.nome,
        "base_legal": h.base_legal,
        "niveis": niveis_de(h),
        "ativa": h.ativa,
    }


def tipo_documento_publico(t: Any) -> dict[str, Any]:
    return {
        "id": t.id,
        "nome": t.nome,
        "aplicacao": t.aplicacao,
        "numeracao": t.numeracao,
        "ativo": t.ativo,
    }


def hipoteses(uow: UnitOfWork) -> list[dict[str, Any]]:
    with uow:
        rows = uow.session.execute(select(hipotese_legal).order_by(hipotese_legal.c.nome))
        return [hipotese_publica(r) for r in rows]


def tipos_documento(uow: UnitOfWork) -> list[dict[str, Any]]:
    with uow:
        rows = uow.session.execute(select(tipo_documento).order_by(tipo_documento.c.nome))
        return [tipo_documento_publico(r) for r in rows]


TIPOS_PROCESSO = (
    select(
        tipo_processo.c.id,
        tipo_processo.c.nome,
        tipo_processo.c.nivel_acesso_sugerido,
        tipo_processo.c.ativo,
        plano_item.c.codigo,
        hipotese_legal.c.nome.label("hipotese_nome"),
    )
    .select_from(tipo_processo)
    .outerjoin(plano_item, plano_item.c.id == tipo_processo.c.plano_item_id)
    .outerjoin(hipotese_legal, hipotese_legal.c.id == tipo_processo.c.hipotese_id)
    .order_by(tipo_processo.c.nome)
)


def tipos_processo(uow: UnitOfWork) -> list[dict[str, Any]]:
    with uow:
        return [
            {
                "id": r.id,
                "nome": r.nome,
                "classificacao": r.codigo,
                "nivel_acesso_sugerido": r.nivel_acesso_sugerido,
                "hipotese_legal": r.hipotese_nome,
                "ativo": r.ativo,
            }
            for r in uow.session.execute(TIPOS_PROCESSO)
        ]


def plano_vigente(uow: UnitOfWork) -> dict[str, Any]:
    with uow:
        versao = uow.session.execute(VERSAO_VIGENTE).first()
        if versao is None:
            raise NaoEncontrado(
                "O município ainda não tem plano de classificação.", code="plano_inexistente"
            )
        itens = uow.session.execute(
            select(plano_item)
            .where(plano_item.c.versao_id == versao.id)
            .order_by(plano_item.c.codigo)
        )
        return {
            "versao": versao.versao,
            "fonte": versao.fonte,
            "publicada_em": versao.publicada_em.isoformat(),
            "itens": [{k: r._mapping[k] for k in CAMPOS_ITEM} for r in itens],
        }


def versoes(uow: UnitOfWork) -> list[dict[str, Any]]:
    with uow:
        rows = uow.session.execute(select(plano_versao).order_by(plano_versao.c.publicada_em))
        return [
            {
                "versao": r.versao,
                "fonte": r.fonte,
                "publicada_em": r.publicada_em.isoformat(),
                "vigente": r.vigente,
            }
            for r in rows
        ]


LEITORES = {
    "hipoteses_legais": hipoteses,
    "tipos_documento": tipos_documento,
    "tipos_processo": tipos_processo,
    "plano_classificacao": plano_vigente,
    "plano_versoes": versoes,
}


def ler(uow: UnitOfWork, qual: str) -> Any:
    """One catalog, by the name the API uses for it (with _ for -)."""
    if qual not in LEITORES:
        raise DadosInvalidos(f"Catálogo desconhecido: {qual}.")
    return LEITORES[qual](uow)


# The directory: what processos and documentos need of the municipality, in one read.

DIRETORIO_CODIGOS = itens_vigentes(plano_item.c.codigo, plano_item.c.id)
# Items of any version that some process type is classified under, by id.
DIRETORIO_ITENS_EM_USO = select(plano_item.c.id, plano_item.c.codigo).where(
    plano_item.c.id.in_(select(tipo_processo.c.plano_item_id))
)
# Plan items (of every version) whose documents are kept forever.
DIRETORIO_GUARDA = select(plano_item.c.id).where(plano_item.c.destinacao == "guarda_permanente")
DIRETORIO_UNIDADES = select(unidade.c.id, unidade.c.sigla, unidade.c.nome, unidade.c.ativa)


def _hipotese_completa(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "nome": row.nome,
        "permite_restrito": row.permite_restrito,
        "permite_sigiloso": row.permite_sigiloso,
        "ativa": row.ativa,
    }


def _tipos_processo(rows: Any, itens: dict[str, str], hipoteses: dict[str, str]) -> dict:
    return {
        r.id: {
            "id": r.id,
            "nome": r.nome,
            "classificacao": itens.get(r.plano_item_id),
            "nivel_acesso_sugerido": r.nivel_acesso_sugerido,
            "hipotese_legal": hipoteses.get(r.hipotese_id),
            "ativo": r.ativo,
        }
        for r in rows
    }


def diretorio(uow: UnitOfWork) -> dict[str, Any]:
    """Units, process and document types, hypotheses and plan codes, in one read."""
    with uow:
        s = uow.session
        hipoteses = {r.nome: _hipotese_completa(r) for r in s.execute(select(hipotese_legal))}
        nomes = {h["id"]: h["nome"] for h in hipoteses.values()}
        itens = dict(s.execute(DIRETORIO_ITENS_EM_USO).all())
        return {
            "unidades": {
                r.id: {"id": r.id, "sigla": r.sigla, "nome": r.nome, "ativa": r.ativa}
                for r in s.execute(DIRETORIO_UNIDADES)
            },
            "tipos": _tipos_processo(s.execute(select(tipo_processo)), itens, nomes),
            "tipos_documento": {
                r.id: tipo_documento_publico(r) for r in s.execute(select(tipo_documento))
            },
            "guarda_permanente": sorted(s.scalars(DIRETORIO_GUARDA)),
            "hipoteses": hipoteses,
            "classificacoes": dict(s.execute(DIRETORIO_CODIGOS).all()),
        }

"""The units of a municipality: load its organograma, call one rule, commit."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.chassis.tenant_session import UnitOfWork
from services.tenancy.domain.unidades import (
    Organograma,
    Unidade,
    exigir,
    normalizar_sigla,
    sigla_duplicada,
)
from services.tenancy.tenant_tables import unidade as unidade_table


def _id() -> str:
    return uuid.uuid4().hex


def _organograma(uow: UnitOfWork, lock: bool = False) -> Organograma:
    """Every unit; with lock, hierarchy changes of the municipality queue behind each other."""
    query = select(Unidade).order_by(unidade_table.c.sigla)
    if lock:
        query = query.with_for_update()
    return Organograma(list(uow.session.scalars(query)))


def _gravar(uow: UnitOfWork, sigla: str) -> None:
    try:
        uow.commit()
    except IntegrityError as exc:  # a concurrent insert of the same sigla
        raise sigla_duplicada(sigla) from exc


def arvore(uow: UnitOfWork) -> list[dict]:
    with uow:
        return _organograma(uow).arvore()


def historico(uow: UnitOfWork, sigla: str) -> list[dict]:
    with uow:
        return _organograma(uow).historico(sigla)


def criar(
    uow: UnitOfWork,
    sigla: str,
    nome: str,
    sigla_superior: str | None = None,
    protocolo: bool = False,
    arquivo: bool = False,
) -> Unidade:
    with uow:
        organograma = _organograma(uow, lock=True)
        nova = organograma.criar(
            (_id(), _id()), datetime.now(UTC), sigla, nome, sigla_superior, protocolo, arquivo
        )
        uow.session.add(nova)
        _gravar(uow, nova.sigla)
        return nova


def atualizar(uow: UnitOfWork, sigla: str, **mudancas: Any) -> Unidade:
    """`mudancas`: nova_sigla, nome, sigla_superior (None: a root), protocolo, arquivo."""
    with uow:
        alterada = _organograma(uow, lock=True).alterar(sigla, _id(), datetime.now(UTC), **mudancas)
        _gravar(uow, alterada.sigla)
        return alterada


def desativar(uow: UnitOfWork, sigla: str, tem_processos_abertos: Callable[[str], bool]) -> Unidade:
    """`tem_processos_abertos` takes the unit's id."""
    with uow:
        desativada = _organograma(uow, lock=True).desativar(
            sigla, tem_processos_abertos, datetime.now(UTC)
        )
        uow.commit()
        return desativada


def por_ids(uow: UnitOfWork, ids: list[str]) -> dict[str, dict]:
    with uow:
        found = uow.session.scalars(select(Unidade).where(unidade_table.c.id.in_(ids)))
        return {u.id: {"id": u.id, **u.resumo()} for u in found}


def por_sigla(uow: UnitOfWork, sigla: str) -> dict:
    sigla = normalizar_sigla(sigla)
    with uow:
        found = uow.session.scalars(select(Unidade).where(unidade_table.c.sigla == sigla)).first()
        return {"id": exigir(found, sigla).id, **found.resumo()}

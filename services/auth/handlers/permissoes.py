"""The units a user works in, and the profile there (tenancy owns the units themselves)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from services.auth.domain.usuario import validar_perfil
from services.auth.handlers.contas import exigir_por_login
from services.auth.tables import permissao
from services.chassis.tenant_session import UnitOfWork


def permissoes_de(uow: UnitOfWork, usuario_id: str) -> dict[str, str]:
    """unidade_id -> perfil for one user, in the caller's unit of work."""
    rows = uow.session.execute(
        select(permissao.c.unidade_id, permissao.c.perfil).where(
            permissao.c.usuario_id == usuario_id
        )
    )
    return {row.unidade_id: row.perfil for row in rows}


def permissoes(uow: UnitOfWork, usuario_id: str) -> dict[str, str]:
    with uow:
        return permissoes_de(uow, usuario_id)


def unidades(
    uow: UnitOfWork, usuario_id: str, unidades_por_id: Callable[[list[str]], dict]
) -> dict[str, dict[str, Any]]:
    """The user's units (by id) as tenancy knows them now (`unidades_por_id`), with the
    user's profile in each."""
    perfis = permissoes(uow, usuario_id)
    if not perfis:
        return {}
    found = unidades_por_id(list(perfis))
    return {uid: {**u, "perfil": perfis[uid]} for uid, u in found.items()}


def conceder(uow: UnitOfWork, login: str, unidade_id: str, perfil: str) -> None:
    """Grant (or change) a user's profile in a unit; granting twice changes nothing."""
    validar_perfil(perfil)
    with uow:
        usuario = exigir_por_login(uow, login)
        atual = permissoes_de(uow, usuario.id)
        if atual.get(unidade_id) == perfil:
            return
        if unidade_id in atual:
            uow.session.execute(
                permissao.update()
                .where(permissao.c.usuario_id == usuario.id, permissao.c.unidade_id == unidade_id)
                .values(perfil=perfil)
            )
        else:
            uow.session.execute(
                permissao.insert().values(
                    usuario_id=usuario.id,
                    unidade_id=unidade_id,
                    perfil=perfil,
                    concedida_em=datetime.now(UTC),
                )
            )
        uow.commit()


def revogar(uow: UnitOfWork, login: str, unidade_id: str) -> None:
    with uow:
        usuario = exigir_por_login(uow, login)
        uow.session.execute(
            permissao.delete().where(
                permissao.c.usuario_id == usuario.id, permissao.c.unidade_id == unidade_id
            )
        )
        uow.commit()

"""Publishing a version of the classification plan, and deleting an unused code."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.chassis.tenant_session import UnitOfWork
from services.tenancy.domain.plano import VersaoPlano, checar_exclusao, exigir_item
from services.tenancy.repository import gravar_versao, item_vigente
from services.tenancy.tenant_tables import plano_item, tipo_processo


def publicar_versao(uow: UnitOfWork, versao: str, fonte: str, itens: list[dict]) -> dict:
    nova = VersaoPlano.nova(versao, fonte, itens)
    with uow:
        gravar_versao(uow.session, nova)
        uow.commit()
    return {"versao": nova.versao, "itens": len(nova.itens)}


def _usos(session: Session, item_id: str, codigo: str) -> tuple[int, int]:
    """How many process types point at the item, and how many codes of its version below it."""
    tipos = select(func.count()).select_from(tipo_processo)
    tipos = tipos.where(tipo_processo.c.plano_item_id == item_id)
    mesma_versao = select(plano_item.c.versao_id).where(plano_item.c.id == item_id)
    filhos = (
        select(func.count())
        .select_from(plano_item)
        .where(
            plano_item.c.versao_id == mesma_versao.scalar_subquery(),
            plano_item.c.codigo.like(f"{codigo}.%"),
        )
    )
    return session.execute(tipos).scalar(), session.execute(filhos).scalar()


def excluir_item(uow: UnitOfWork, codigo: str) -> None:
    """Delete a code of the current version; refused while anything uses it."""
    with uow:
        found = uow.session.scalars(item_vigente(codigo).with_for_update()).first()
        item_id = exigir_item(found, codigo)
        checar_exclusao(codigo, *_usos(uow.session, item_id, codigo))
        uow.session.execute(plano_item.delete().where(plano_item.c.id == item_id))
        uow.commit()

"""The catalog's lookups in a municipality's schema, written once for both databases.

Boolean columns are compared with `== true()`: SQLAlchemy renders `vigente = 1` for
Oracle before 23ai (which has no boolean type, and rejects the `IS 1` that
`.is_(True)` becomes) and `vigente = true` for PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Select, func, select, true
from sqlalchemy.orm import Session

from services.tenancy.domain.catalogo import HipoteseLegal
from services.tenancy.domain.plano import VersaoPlano, exigir_versao_inedita
from services.tenancy.tenant_tables import (
    hipotese_legal,
    plano_item,
    plano_versao,
    tipo_processo,
)

VERSAO_VIGENTE = select(plano_versao).where(plano_versao.c.vigente == true())


def _id() -> str:
    return uuid.uuid4().hex


def itens_vigentes(*colunas: Any) -> Select:
    """`colunas` of the current plan version's items."""
    return (
        select(*colunas)
        .select_from(plano_item)
        .join(plano_versao, plano_versao.c.id == plano_item.c.versao_id)
        .where(plano_versao.c.vigente == true())
    )


def item_vigente(codigo: str) -> Select:
    return itens_vigentes(plano_item.c.id).where(plano_item.c.codigo == codigo)


def hipoteses_ativas() -> Select:
    return select(HipoteseLegal).where(hipotese_legal.c.ativa == true())


def hipotese_ativa(nome: str) -> Select:
    return hipoteses_ativas().where(hipotese_legal.c.nome == nome)


def tipos_ativos_com_hipotese(hipotese_id: str) -> Select:
    return (
        select(func.count())
        .select_from(tipo_processo)
        .where(tipo_processo.c.hipotese_id == hipotese_id, tipo_processo.c.ativo == true())
    )


class CatalogoSql:
    """The domain's `Catalogo`, answered by the municipality's schema."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def nome_em_uso(self, entrada: type, nome: str) -> bool:
        found = self.session.execute(select(entrada.id).where(entrada.nome == nome)).first()
        return found is not None

    def hipotese(self, id_: str) -> HipoteseLegal | None:
        return self.session.get(HipoteseLegal, id_, with_for_update=True)

    def hipotese_ativa(self, nome: str) -> HipoteseLegal | None:
        return self.session.scalars(hipotese_ativa(nome)).first()

    def item_vigente(self, codigo: str) -> str | None:
        return self.session.scalars(item_vigente(codigo)).first()

    def tipos_ativos_com_hipotese(self, hipotese_id: str) -> int:
        return self.session.execute(tipos_ativos_com_hipotese(hipotese_id)).scalar()


def gravar_versao(db: Session | Connection, nova: VersaoPlano) -> dict[str, str]:
    """Make `nova` the current version, in the caller's transaction; its items' ids by code."""
    publicada = db.execute(select(plano_versao.c.id).where(plano_versao.c.versao == nova.versao))
    exigir_versao_inedita(nova.versao, publicada.first() is not None)
    db.execute(plano_versao.update().values(vigente=False))
    versao_id = _id()
    db.execute(
        plano_versao.insert().values(
            id=versao_id,
            versao=nova.versao,
            fonte=nova.fonte,
            publicada_em=datetime.now(UTC),
            vigente=True,
        )
    )
    itens = [{"id": _id(), "versao_id": versao_id, **item} for item in nova.itens]
    db.execute(plano_item.insert(), itens)
    return {item["codigo"]: item["id"] for item in itens}

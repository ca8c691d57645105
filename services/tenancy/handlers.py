"""One function per tenancy command on a municipality's own schema (units for now)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.chassis.errors import Conflito
from services.chassis.tenant_session import UnitOfWork
from services.tenancy import unidades as dominio
from services.tenancy.tenant_tables import unidade as unidade_table
from services.tenancy.unidades import Unidade

UNCHANGED: Any = object()


def _now() -> datetime:
    return datetime.now(UTC)


def _todas(uow: UnitOfWork, lock: bool = False) -> list[Unidade]:
    """Every unit; with lock, hierarchy changes of the municipality queue behind each other."""
    query = select(Unidade).order_by(unidade_table.c.sigla)
    if lock:
        query = query.with_for_update()
    return list(uow.session.scalars(query))


def _por_sigla(todas: list[Unidade], sigla: str) -> Unidade:
    sigla = dominio.normalizar_sigla(sigla)
    return dominio.exigir(next((u for u in todas if u.sigla == sigla), None), sigla)


def _duplicada(sigla: str) -> Conflito:
    return Conflito(f"Já existe a unidade {sigla} neste município.", code="sigla_duplicada")


def _gravar(uow: UnitOfWork, sigla: str) -> None:
    try:
        uow.commit()
    except IntegrityError as exc:  # a concurrent insert of the same sigla
        raise _duplicada(sigla) from exc


def arvore(uow: UnitOfWork) -> list[dict]:
    with uow:
        return dominio.arvore(_todas(uow))


def criar(
    uow: UnitOfWork,
    sigla: str,
    nome: str,
    sigla_superior: str | None = None,
    protocolo: bool = False,
    arquivo: bool = False,
) -> Unidade:
    sigla, nome = dominio.normalizar_sigla(sigla), dominio.validar_nome(nome)
    with uow:
        todas = _todas(uow, lock=True)
        if any(u.sigla == sigla for u in todas):
            raise _duplicada(sigla)
        pai = _por_sigla(todas, sigla_superior).id if sigla_superior else None
        now = _now()
        nova = Unidade(
            id=uuid.uuid4().hex,
            sigla=sigla,
            nome=nome,
            unidade_pai_id=pai,
            protocolo=protocolo,
            arquivo=arquivo,
            criado_em=now,
            atualizado_em=now,
        )
        dominio.nova_versao(nova, uuid.uuid4().hex, now)
        uow.session.add(nova)
        _gravar(uow, sigla)
        return nova


def atualizar(
    uow: UnitOfWork,
    sigla: str,
    nova_sigla: str | None = None,
    nome: str | None = None,
    sigla_superior: str | None = UNCHANGED,
    protocolo: bool | None = None,
    arquivo: bool | None = None,
) -> Unidade:
    """Change a unit; a new sigla, name or parent closes its version and opens another."""
    with uow:
        todas = _todas(uow, lock=True)
        alvo = _por_sigla(todas, sigla)
        lugar = (alvo.sigla, alvo.nome, alvo.unidade_pai_id)
        if nova_sigla is not None:
            nova_sigla = dominio.normalizar_sigla(nova_sigla)
            if nova_sigla != alvo.sigla and any(u.sigla == nova_sigla for u in todas):
                raise _duplicada(nova_sigla)
            alvo.sigla = nova_sigla
        if nome is not None:
            alvo.nome = dominio.validar_nome(nome)
        if sigla_superior is not UNCHANGED:
            pai = _por_sigla(todas, sigla_superior).id if sigla_superior else None
            dominio.validar_pai({u.id: u.unidade_pai_id for u in todas}, alvo.id, pai)
            alvo.unidade_pai_id = pai
        if protocolo is not None:
            alvo.protocolo = protocolo
        if arquivo is not None:
            alvo.arquivo = arquivo
        now = _now()
        if (alvo.sigla, alvo.nome, alvo.unidade_pai_id) != lugar:
            dominio.nova_versao(alvo, uuid.uuid4().hex, now)
        alvo.atualizado_em = now
        _gravar(uow, alvo.sigla)
        return alvo


def desativar(uow: UnitOfWork, sigla: str, tem_processos_abertos: Callable[[str], bool]) -> Unidade:
    """Deactivate a unit; refused while processes are open in it or active units hang below.

    `tem_processos_abertos` takes the unit's id.
    """
    with uow:
        todas = _todas(uow, lock=True)
        alvo = _por_sigla(todas, sigla)
        if any(u.ativa and u.unidade_pai_id == alvo.id for u in todas):
            raise Conflito(
                "Desative antes as unidades subordinadas.", code="unidade_com_subordinadas"
            )
        if tem_processos_abertos(alvo.id):
            raise Conflito("A unidade tem processos abertos.", code="unidade_com_processos")
        alvo.ativa = False
        alvo.atualizado_em = _now()
        uow.commit()
        return alvo


def historico(uow: UnitOfWork, sigla: str) -> list[dict]:
    with uow:
        todas = _todas(uow)
        alvo = _por_sigla(todas, sigla)
        por_id = {u.id: u.sigla for u in todas}
        return [
            {
                "sigla": v.sigla,
                "nome": v.nome,
                "unidade_superior": por_id.get(v.unidade_pai_id) if v.unidade_pai_id else None,
                "valida_de": v.valida_de.isoformat(),
                "valida_ate": v.valida_ate.isoformat() if v.valida_ate else None,
            }
            for v in alvo.versoes
        ]


def por_ids(uow: UnitOfWork, ids: list[str]) -> dict[str, dict]:
    with uow:
        found = uow.session.scalars(select(Unidade).where(unidade_table.c.id.in_(ids)))
        return {u.id: {"id": u.id, **resumo(u)} for u in found}


def por_sigla(uow: UnitOfWork, sigla: str) -> dict:
    sigla = dominio.normalizar_sigla(sigla)
    with uow:
        found = uow.session.scalars(select(Unidade).where(unidade_table.c.sigla == sigla)).first()
        return {"id": dominio.exigir(found, sigla).id, **resumo(found)}


def resumo(u: Unidade) -> dict:
    return {
        "sigla": u.sigla,
        "nome": u.nome,
        "protocolo": u.protocolo,
        "arquivo": u.arquivo,
        "ativa": u.ativa,
    }

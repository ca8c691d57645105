"""One function per processos command: load the process, call one domain method, save, commit.

`uow` is the service's unit of work (`uow.processos` is the repository): the real one
on the municipality's schema, or an in-memory fake in unit tests. Saving writes the
history entry and the outbox event of what the process recorded, in the same
transaction as the change.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from services.chassis.ator import Ator
from services.chassis.event_consumer import EventoInvalido
from services.processos import nup
from services.processos.domain import Abertura, Processo, Usuario

T = TypeVar("T")
TIPOS_DE_DOCUMENTO = ("incluido", "assinado", "cancelado")


class UnidadeDeTrabalho(Protocol):
    """What handlers need of a unit of work (`services.chassis.tenant_session.UnitOfWork`
    with the `processos` repository, or a fake)."""

    processos: Any

    def __enter__(self) -> UnidadeDeTrabalho: ...
    def __exit__(self, *exc: object) -> None: ...
    def commit(self) -> None: ...


def _agora() -> datetime:
    return datetime.now(UTC)


def _operar(
    uow: UnidadeDeTrabalho, ator: Ator, referencia: str, acao: Callable[[Processo], T]
) -> T:
    with uow:
        processo = uow.processos.para_operar(referencia, ator)
        resultado = acao(processo)
        uow.processos.salvar(processo, ator)
        uow.commit()
    return resultado


def _operar_dois(
    uow: UnidadeDeTrabalho,
    ator: Ator,
    referencia: str,
    outro: str,
    acao: Callable[[Processo, Processo], T],
) -> tuple[Processo, Processo, T]:
    with uow:
        este, aquele = uow.processos.dois_para_operar(referencia, outro, ator)
        resultado = acao(este, aquele)
        uow.processos.salvar(este, ator)
        if aquele is not este:
            uow.processos.salvar(aquele, ator)
        uow.commit()
    return este, aquele, resultado


# Numbering


def definir_numeracao(uow: UnidadeDeTrabalho, formato: str, prefixo: str) -> dict[str, str]:
    """Change the format or prefix; a new prefix has its own sequences, so numbers never clash."""
    numeracao = nup.Numeracao(formato, nup.validar_prefixo(formato, prefixo))
    with uow:
        uow.processos.definir_numeracao(numeracao)
        uow.commit()
    return {"formato": formato, "prefixo": prefixo}


# Opening a process


def gerar(
    uow: UnidadeDeTrabalho,
    ator: Ator,
    diretorio: dict[str, Any],
    dados: dict[str, Any],
    agora: datetime | None = None,
) -> dict[str, Any]:
    """Open a process in the caller's unit and number it in the same transaction."""
    abertura = Abertura.de(diretorio, dados)
    agora = agora or _agora()
    with uow:
        numeracao = uow.processos.numeracao()
        processo = Processo.gerar(uuid.uuid4().hex, ator, abertura, numeracao.formato, agora)
        uow.processos.adicionar(processo, ator)
        # Numbered last: the sequence row is locked only from here to the commit.
        processo.numerar(uow.processos.proximo_numero(numeracao, agora.year))
        uow.processos.salvar(processo, ator)
        uow.commit()
    return {"id": processo.id, "numero": processo.numero_formatado, "versao": processo.versao}


# The lifecycle


def enviar(
    uow: UnidadeDeTrabalho, ator: Ator, referencia: str, destinos: list[str], manter_aberto: bool
) -> dict[str, Any]:
    """`destinos`: unit ids, already checked to be active units of the municipality."""
    feito = _operar(
        uow, ator, referencia, lambda p: p.enviar(ator, destinos, manter_aberto, _agora())
    )
    return asdict(feito)


def receber(uow: UnidadeDeTrabalho, ator: Ator, referencia: str) -> None:
    _operar(uow, ator, referencia, lambda p: p.receber(ator, _agora()))


def concluir(uow: UnidadeDeTrabalho, ator: Ator, referencia: str) -> None:
    _operar(uow, ator, referencia, lambda p: p.concluir(ator, _agora()))


def reabrir(uow: UnidadeDeTrabalho, ator: Ator, referencia: str) -> None:
    _operar(uow, ator, referencia, lambda p: p.reabrir(ator, _agora()))


def atribuir(
    uow: UnidadeDeTrabalho, ator: Ator, referencia: str, usuario: Usuario | None
) -> dict[str, Any]:
    """`usuario`: a user with a permission in the current unit (auth said so); None removes."""
    novo = _operar(uow, ator, referencia, lambda p: p.atribuir(ator, usuario, _agora()))
    return {"atribuido_a": novo}


def marcar(uow: UnidadeDeTrabalho, ator: Ator, referencia: str, texto: str | None) -> None:
    _operar(uow, ator, referencia, lambda p: p.marcar(ator, texto))


def sobrestar(
    uow: UnidadeDeTrabalho, ator: Ator, referencia: str, motivo: str, sobrestado: bool
) -> None:
    metodo = Processo.sobrestar if sobrestado else Processo.remover_sobrestamento
    _operar(uow, ator, referencia, lambda p: metodo(p, ator, motivo, _agora()))


def anexar(
    uow: UnidadeDeTrabalho, ator: Ator, referencia: str, outro: str, motivo: str
) -> dict[str, Any]:
    def anexe(principal: Processo, anexado: Processo) -> None:
        cadeia = uow.processos.cadeia(principal.id)
        principal.anexar(anexado, ator, cadeia, motivo, _agora())

    principal, anexado, _ = _operar_dois(uow, ator, referencia, outro, anexe)
    return {"principal": asdict(principal.ref()), "anexado": asdict(anexado.ref())}


def desanexar(uow: UnidadeDeTrabalho, ator: Ator, referencia: str, outro: str, motivo: str) -> None:
    _operar_dois(uow, ator, referencia, outro, lambda p, a: p.desanexar(a, ator, motivo, _agora()))


def relacionar(
    uow: UnidadeDeTrabalho, ator: Ator, referencia: str, outro: str, relacionar: bool
) -> None:
    metodo = Processo.relacionar if relacionar else Processo.remover_relacao
    _operar_dois(uow, ator, referencia, outro, lambda p, o: metodo(p, o, ator, _agora()))


def dar_ciencia(uow: UnidadeDeTrabalho, ator: Ator, referencia: str) -> None:
    _operar(uow, ator, referencia, lambda p: p.dar_ciencia(ator, _agora()))


def credenciar(
    uow: UnidadeDeTrabalho, ator: Ator, referencia: str, usuario: Usuario, conceder: bool
) -> None:
    """Grant (holder to another user), renounce (holder, self) or revoke (holder, another)."""
    metodo = Processo.conceder_credencial if conceder else Processo.retirar_credencial
    _operar(uow, ator, referencia, lambda p: metodo(p, ator, usuario, _agora()))


# What documentos tells


def aplicar_evento_documento(uow: UnidadeDeTrabalho, evento: dict[str, Any]) -> bool:
    """A document was included, signed or cancelled: history and, when newer, the levels.

    Idempotent (the event id is recorded in the same transaction) and order-safe (the
    levels carry documentos' per-process sequence; an older one is ignored). False when
    the event had been applied before.
    """
    dados = evento.get("data") or {}
    documento = dados.get("documento") or {}
    pid, tipo = documento.get("processo_id"), str(evento.get("type", "")).removeprefix("documento.")
    if not isinstance(pid, str) or tipo not in TIPOS_DE_DOCUMENTO:
        raise EventoInvalido("evento de documento sem processo ou de tipo desconhecido")
    ator = Ator(
        dados.get("usuario_id") or "sistema",
        dados.get("usuario") or "sistema",
        dados.get("unidade_id"),
    )
    with uow:
        if not uow.processos.registrar_evento_recebido(evento["id"]):
            return False
        processo = uow.processos.para_evento(pid)
        if processo is None:
            raise EventoInvalido("processo inexistente neste município")
        processo.aplicar_documento(
            tipo,
            documento,
            (dados.get("detalhes") or {}).get("motivo"),
            int(dados.get("seq") or 0),
            list(dados.get("niveis_documentos") or []),
            _agora(),
        )
        uow.processos.salvar(processo, ator)
        uow.commit()
    return True

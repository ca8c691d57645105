"""The events processos publishes (through its outbox): one typed definition per event.

Each event's `data` is `EventoProcesso` with `detalhes` typed by the domain's fact
(`services/processos/domain.py`: `ProcessoEnviado`, ...): the payload is built and
validated through that model, the history entry stores the same `detalhes`, and the
AsyncAPI document is generated from the same models, so the three cannot drift.

Every event carries the whole process as it is after the change (`processo`, with a
`versao` that grows with each change), so a consumer such as the search index can
apply events in any order and more than once: it keeps the highest version it has seen.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from services.chassis.ator import Ator
from services.chassis.events import catalog_of_facts
from services.processos import domain

SOURCE = "/sempapel/processos"


class InteressadoEvento(BaseModel):
    nome: str
    documento: str | None = Field(description="CPF ou CNPJ, só dígitos")


class UnidadeEvento(BaseModel):
    unidade_id: str
    situacao: str = Field(description="nao_recebido | aberto | fechado")


class ProcessoEvento(BaseModel):
    id: str
    numero: str = Field(description="só dígitos")
    numero_formatado: str
    versao: int = Field(description="cresce a cada mudança; o maior vence")
    tipo_processo_id: str
    tipo_nome: str
    especificacao: str
    classificacao: str
    nivel_acesso: str
    nivel_efetivo: str = Field(description="o mais restritivo: o do processo ou o de um documento")
    hipotese_legal: str | None
    interessados: list[InteressadoEvento]
    unidade_geradora_id: str
    unidades: list[UnidadeEvento] = Field(description="todas as unidades por onde passou")
    credenciados: list[str] = Field(description="usuários com credencial (sigiloso)")
    principal_id: str | None = Field(description="processo a que está anexado")
    sobrestado: bool
    criado_em: str
    atualizado_em: str


class EventoProcesso(BaseModel):
    """The `data` of every processos event; each type narrows `detalhes` to its own fact."""

    processo: ProcessoEvento
    unidade_id: str | None = Field(description="unidade de quem operou")
    usuario_id: str = Field(description="quem operou")
    detalhes: dict[str, Any] = Field(description="o que a operação fez")


FATOS = catalog_of_facts(SOURCE, "processo", EventoProcesso, domain.EVENTOS)
MODELOS = FATOS.models
CATALOGO = FATOS.catalog


def routing_key(fato: domain.Evento) -> str:
    return f"processo.{fato.tipo}"


def dados(processo: dict[str, Any], ator: Ator, fato: domain.Evento) -> dict[str, Any]:
    """The event's `data`, validated against its type's model (what AsyncAPI documents)."""
    modelo = MODELOS[type(fato)]
    return modelo(
        processo=processo, unidade_id=ator.unidade_id, usuario_id=ator.usuario_id, detalhes=fato
    ).model_dump(mode="json")


def processo_no_evento(p: domain.Processo) -> dict[str, Any]:
    """The process as its events carry it (`events.ProcessoEvento`)."""
    return {
        "id": p.id,
        "numero": p.numero,
        "numero_formatado": p.numero_formatado,
        "versao": p.versao,
        "tipo_processo_id": p.tipo_processo_id,
        "tipo_nome": p.tipo_nome,
        "especificacao": p.especificacao,
        "classificacao": p.classificacao,
        "nivel_acesso": p.nivel_acesso,
        "nivel_efetivo": p.nivel_efetivo,
        "hipotese_legal": p.hipotese_legal_nome,
        "interessados": [{"nome": i.nome, "documento": i.documento} for i in p.interessados],
        "unidade_geradora_id": p.unidade_geradora_id,
        "unidades": [
            {"unidade_id": u, "situacao": p.unidades[u].situacao} for u in sorted(p.unidades)
        ],
        "credenciados": sorted(p.credenciados),
        "principal_id": p.principal_id,
        "sobrestado": p.sobrestado,
        "criado_em": p.criado_em.isoformat() if p.criado_em else "",
        "atualizado_em": p.atualizado_em.isoformat() if p.atualizado_em else "",
    }

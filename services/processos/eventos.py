"""The events processos publishes (through its outbox) and the shape of their `data`.

Every event carries the whole process as it is after the change (`processo`,
with a `versao` that grows with each change) and what the operation did
(`detalhes`), so a consumer such as the search index can apply events in any
order and more than once: it keeps the highest version it has seen.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from services.chassis.events import EventCatalog, EventType

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
    processo: ProcessoEvento
    unidade_id: str | None = Field(description="unidade de quem operou")
    usuario_id: str = Field(description="quem operou")
    detalhes: dict = Field(description="o que a operação fez: destinos, motivo, outro processo...")


_TIPOS = {
    "processo.gerado": "Processo aberto (gerado) numa unidade, já numerado.",
    "processo.enviado": "Processo enviado a uma ou mais unidades.",
    "processo.recebido": "Uma unidade de destino recebeu o processo.",
    "processo.concluido": "Processo concluído na unidade.",
    "processo.reaberto": "Processo reaberto numa unidade por onde passou.",
    "processo.atribuido": "Processo atribuído a um usuário da unidade (ou atribuição removida).",
    "processo.sobrestado": "Processo sobrestado, com motivo.",
    "processo.sobrestamento_removido": "Sobrestamento removido, com motivo.",
    "processo.anexado": "Outro processo foi anexado a este.",
    "processo.desanexado": "Um processo anexado foi desanexado deste.",
    "processo.relacionado": "Dois processos foram relacionados.",
    "processo.relacao_removida": "Relação entre dois processos removida.",
    "processo.ciencia": "Um usuário deu ciência no processo.",
    "processo.credencial_concedida": "Credencial de acesso a processo sigiloso concedida.",
    "processo.credencial_renunciada": "Credencial renunciada pelo próprio usuário.",
    "processo.credencial_cassada": "Credencial cassada por outro credenciado.",
    "processo.documento_incluido": "Um documento entrou no processo (o nível efetivo o acompanha).",
    "processo.documento_assinado": "Um documento do processo foi assinado.",
    "processo.documento_cancelado": "Um documento do processo foi cancelado, com motivo.",
}

CATALOGO = EventCatalog(
    source=SOURCE,
    tipos=tuple(EventType(tipo, resumo, EventoProcesso) for tipo, resumo in _TIPOS.items()),
)

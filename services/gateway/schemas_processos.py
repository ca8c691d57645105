"""Request and response shapes of the processes API.

Shapes only: limits and rules (lengths, counts, which actions are allowed) are the
domain's (`services/processos/domain.py`), stated once there and refused with their
own codes; the answers say which actions the caller's unit may take (`acoes`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from services.gateway.schemas import Nivel, Strict


class InteressadoNovo(Strict):
    nome: str
    cpf_cnpj: str | None = Field(default=None, description="com ou sem pontuação")


class ProcessoNovo(Strict):
    tipo_processo: str = Field(description="id do tipo de processo")
    especificacao: str
    interessados: list[InteressadoNovo] = Field(default_factory=list)
    classificacao: str | None = Field(default=None, description="padrão: a do tipo de processo")
    nivel_acesso: Nivel | None = Field(default=None, description="padrão: o sugerido pelo tipo")
    hipotese_legal: str | None = Field(
        default=None, description="nome; obrigatória para restrito e sigiloso"
    )
    observacoes: str | None = None


class ProcessoCriado(BaseModel):
    id: str
    numero: str = Field(examples=["08004.000001/2026-11"])
    versao: int


class Interessado(BaseModel):
    nome: str
    documento: str | None


class ProcessoNaUnidade(BaseModel):
    unidade_id: str
    sigla: str | None
    situacao: Literal["nao_recebido", "aberto", "fechado"]
    atribuido_a: str | None


class ProcessoRef(BaseModel):
    id: str
    numero: str


class MinhaUnidade(BaseModel):
    situacao: str
    atribuido_a: str | None
    marcador: str | None


Acao = Literal[
    "enviar",
    "receber",
    "concluir",
    "reabrir",
    "atribuir",
    "marcar",
    "sobrestar",
    "remover_sobrestamento",
    "anexar",
    "desanexar",
    "relacionar",
    "dar_ciencia",
    "conceder_credencial",
    "retirar_credencial",
    "incluir_documento",
    "cancelar_documento",
]


class Processo(BaseModel):
    id: str
    numero: str
    numero_formatado: str
    versao: int
    tipo_processo_id: str
    tipo_nome: str
    especificacao: str
    classificacao: str
    nivel_acesso: Nivel
    nivel_documentos: Nivel
    nivel_efetivo: Nivel = Field(
        description="o mais restritivo: o do processo ou o de um documento"
    )
    hipotese_legal: str | None
    interessados: list[Interessado]
    observacoes: str | None
    unidade_geradora_id: str
    unidade_geradora: str | None
    usuario_gerador_id: str
    unidades: list[ProcessoNaUnidade]
    credenciados: list[str]
    principal_id: str | None
    principal: ProcessoRef | None
    anexos: list[ProcessoRef]
    relacionados: list[ProcessoRef]
    sobrestado: bool
    sobrestado_motivo: str | None
    na_minha_unidade: MinhaUnidade | None
    acoes: list[Acao] = Field(
        description="o que a unidade atual pode fazer agora com o processo, pelas mesmas "
        "regras que recusam o que ela não pode"
    )
    criado_em: str
    atualizado_em: str


class Andamento(BaseModel):
    seq: int
    tipo: str
    unidade_id: str | None
    unidade: str | None
    usuario_id: str
    usuario: str
    em: str
    detalhes: dict


class Envio(Strict):
    destinos: list[str] = Field(description="siglas")
    manter_aberto: bool = False


class EnvioFeito(BaseModel):
    destinos: list[str]
    manter_aberto: bool


class Motivo(Strict):
    motivo: str


class Atribuicao(Strict):
    usuario: str = Field(min_length=1, max_length=64, description="login")


class Atribuido(BaseModel):
    atribuido_a: str | None


class Marcador(Strict):
    texto: str | None = None


class Anexacao(Strict):
    processo: str = Field(description="id ou número")
    motivo: str


class Anexado(BaseModel):
    principal: ProcessoRef
    anexado: ProcessoRef


class ItemCaixa(BaseModel):
    id: str
    numero: str
    tipo_processo_id: str
    tipo_nome: str
    especificacao: str
    nivel_efetivo: Nivel
    sobrestado: bool
    situacao: str
    atribuido_a: str | None
    marcador: str | None
    atualizado_em: str


class Caixa(BaseModel):
    itens: list[ItemCaixa]
    proxima: str | None = Field(description="cursor da próxima página (parâmetro apos)")


class Numeracao(Strict):
    formato: Literal["nup", "nipe"]
    prefixo: str = Field(
        pattern=r"^\d{5}(\d{3})?$", description="NUP: 5 dígitos; NIPE: origem, instituição, unidade"
    )

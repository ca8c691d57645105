"""Request and response shapes of the public API, validated at the edge.

Shapes only (types, required fields, transport bounds): the limits and rules of the data
(lengths, formats, who may do what) belong to the domain of the service that owns it and
are refused there with their own codes, so each is stated once."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from werkzeug.exceptions import UnsupportedMediaType
from werkzeug.wrappers import Request

from services.chassis.errors import DadosInvalidos, RequisicaoInvalida
from services.chassis.tenant import IBGE_PATTERN

# pydantic's error types, said in Portuguese for the 422 body.
_MESSAGES = {
    "missing": "campo obrigatório",
    "string_type": "deve ser texto",
    "string_pattern_mismatch": "formato inválido",
    "string_too_short": "muito curto",
    "string_too_long": "muito longo",
    "extra_forbidden": "campo não permitido",
    "model_type": "deve ser um objeto JSON",
    "model_attributes_type": "deve ser um objeto JSON",
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LoginRequest(Strict):
    municipio: str = Field(
        pattern=f"^{IBGE_PATTERN.pattern}$",
        description="Código IBGE do município (7 dígitos)",
        examples=["5208004"],
    )
    usuario: str = Field(min_length=1, max_length=64, examples=["maria"])
    senha: str = Field(min_length=1, max_length=1024)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = Field(examples=["Bearer"])
    expires_in: int = Field(description="segundos até a expiração")


class MunicipioResumo(BaseModel):
    ibge: str = Field(examples=["5208004"])
    nome: str = Field(examples=["Formosa"])
    uf: str = Field(examples=["GO"])


class MunicipioRef(BaseModel):
    ibge: str
    nome: str


class UnidadePermitida(BaseModel):
    sigla: str
    nome: str
    perfil: str


class MeResponse(BaseModel):
    usuario: str
    nome: str
    administrador: bool
    unidade: str | None = Field(description="unidade atual (do token)")
    unidades: list[UnidadePermitida] = Field(description="unidades que o usuário pode escolher")
    municipio: MunicipioRef


class UnidadeNova(Strict):
    sigla: str = Field(description="única no município; A-Z, 0-9 e . / -, até 30")
    nome: str
    unidade_superior: str | None = Field(default=None, description="sigla da unidade superior")
    protocolo: bool = False
    arquivo: bool = False


class UnidadeAlteracao(Strict):
    sigla: str | None = None
    nome: str | None = None
    unidade_superior: str | None = Field(
        default=None, description="sigla da nova superior; null torna a unidade raiz"
    )
    protocolo: bool | None = None
    arquivo: bool | None = None

    def mudancas(self) -> dict[str, Any]:
        """Only the fields the request sent, in the names the tenancy service takes."""
        names = {"sigla": "nova_sigla", "unidade_superior": "sigla_superior"}
        return {names.get(k, k): getattr(self, k) for k in self.model_fields_set}


class EscolhaUnidade(Strict):
    unidade: str = Field(description="sigla de uma unidade em que o usuário tem permissão")


class Permissao(Strict):
    perfil: Literal["basico", "administrador"]


class PermissaoConcedida(BaseModel):
    usuario: str
    unidade: str
    perfil: str


class UnidadeResumo(BaseModel):
    sigla: str
    nome: str
    protocolo: bool
    arquivo: bool
    ativa: bool


class UnidadeNo(UnidadeResumo):
    subunidades: list[UnidadeNo]


class UnidadeVersao(BaseModel):
    sigla: str
    nome: str
    unidade_superior: str | None
    valida_de: str
    valida_ate: str | None


Nivel = Literal["publico", "restrito", "sigiloso"]


class HipoteseLegalNova(Strict):
    nome: str
    base_legal: str
    niveis: list[Literal["restrito", "sigiloso"]] = Field(min_length=1)


class HipoteseLegal(HipoteseLegalNova):
    id: str
    ativa: bool


class HipoteseLegalAlteracao(Strict):
    nome: str | None = None
    base_legal: str | None = None
    niveis: list[Literal["restrito", "sigiloso"]] | None = Field(default=None, min_length=1)


class TipoDocumentoNovo(Strict):
    nome: str
    aplicacao: Literal["interno", "externo", "ambos"]
    numeracao: Literal["nenhuma", "sequencial_unidade", "anual_unidade", "anual_municipio"]


class TipoDocumento(TipoDocumentoNovo):
    id: str
    ativo: bool


class TipoDocumentoAlteracao(Strict):
    nome: str | None = None
    aplicacao: Literal["interno", "externo", "ambos"] | None = None
    numeracao: (
        Literal["nenhuma", "sequencial_unidade", "anual_unidade", "anual_municipio"] | None
    ) = None


class TipoProcessoNovo(Strict):
    nome: str
    classificacao: str = Field(description="código no plano vigente")
    nivel_acesso_sugerido: Nivel
    hipotese_legal: str | None = Field(default=None, description="nome da hipótese legal")


class TipoProcesso(TipoProcessoNovo):
    id: str
    classificacao: str | None
    ativo: bool


class TipoProcessoAlteracao(Strict):
    nome: str | None = None
    nivel_acesso_sugerido: Nivel | None = None
    hipotese_legal: str | None = Field(default=None, description="null retira a hipótese")


def sent_fields(model: BaseModel) -> dict[str, Any]:
    """Only what the request sent (PATCH semantics: absent means unchanged)."""
    return {name: getattr(model, name) for name in model.model_fields_set}


class PlanoItem(BaseModel):
    codigo: str
    descricao: str
    prazo_corrente: str | None
    prazo_intermediario: str | None
    destinacao: Literal["eliminacao", "guarda_permanente"] | None
    observacoes: str | None


class PlanoClassificacao(BaseModel):
    versao: str
    fonte: str
    publicada_em: str
    itens: list[PlanoItem]


class PlanoItemNovo(Strict):
    """Checked whole by tenancy, which reports every problem of the plan at once."""

    codigo: str
    descricao: str
    prazo_corrente: str | None = None
    prazo_intermediario: str | None = None
    destinacao: str | None = Field(default=None, description="eliminacao | guarda_permanente")
    observacoes: str | None = None


class PlanoNovo(Strict):
    versao: str
    fonte: str
    itens: list[PlanoItemNovo] = Field(min_length=1, max_length=20_000)


class PlanoPublicado(BaseModel):
    versao: str
    itens: int


class PlanoVersao(BaseModel):
    versao: str
    fonte: str
    publicada_em: str
    vigente: bool


class AtivacaoConta(Strict):
    municipio: str = Field(pattern=f"^{IBGE_PATTERN.pattern}$", examples=["5208004"])
    usuario: str = Field(min_length=1, max_length=64)
    codigo: str = Field(min_length=1, max_length=64, description="código de uso único")
    senha: str = Field(min_length=1, max_length=1024, description="a nova senha (8+ caracteres)")


class NovaSenha(Strict):
    senha: str = Field(min_length=1, max_length=1024)


class CodigoAtivacao(BaseModel):
    usuario: str
    codigo: str
    expira_em: str


class CodigoAtivacaoImportado(CodigoAtivacao):
    nome: str


class ProblemaPlanilha(BaseModel):
    aba: str | None
    linha: int | None
    coluna: str | None
    codigo: str
    mensagem: str


class AlteracaoPlanilha(BaseModel):
    aba: str
    linha: int
    chave: str = Field(description="sigla, login em unidade, nome ou código")
    acao: Literal["criar", "alterar"]
    campos: list[str] = Field(description="colunas que mudam (alterar)")


class ResumoAba(BaseModel):
    criar: int
    alterar: int
    sem_mudanca: int


class RelatorioImportacao(BaseModel):
    municipio: str
    simulacao: bool
    linhas: dict[str, int] = Field(description="linhas lidas por aba")
    resumo: dict[str, ResumoAba]
    alteracoes: list[AlteracaoPlanilha]
    codigos_ativacao: list[CodigoAtivacaoImportado] = Field(
        description="contas novas: códigos de ativação de uso único (só nesta resposta)"
    )
    plano_versao_publicada: str | None = None
    importado_em: str | None = None


class ServicoSaude(BaseModel):
    service: str
    status: str


class Probe(BaseModel):
    status: str
    checks: dict[str, str] = Field(default_factory=dict)


class ErrorDetail(BaseModel):
    code: str = Field(description="identificador estável do erro")
    message: str = Field(description="mensagem em português para o usuário")
    campos: list[dict[str, str]] | None = Field(default=None, description="campos inválidos (422)")
    problemas: list[ProblemaPlanilha] | None = Field(
        default=None, description="planilha recusada (422 planilha_invalida): todos os problemas"
    )
    total_problemas: int | None = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


def read_json(request: Request) -> Any:
    """The JSON body; 415 for another content type, 400 for bytes that are not JSON."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType()
    raw = request.get_data(cache=True)
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RequisicaoInvalida(
            "O corpo da requisição não é um JSON válido.", code="json_invalido"
        ) from exc


def parse(model: type[Strict], request: Request) -> Strict:
    data = read_json(request)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        campos = [
            {
                "campo": ".".join(str(p) for p in err["loc"]) or "corpo",
                "mensagem": _MESSAGES.get(err["type"], "valor inválido"),
            }
            for err in exc.errors()
        ]
        nomes = ", ".join(c["campo"] for c in campos)
        raise DadosInvalidos(f"Dados inválidos: {nomes}.", details={"campos": campos}) from exc

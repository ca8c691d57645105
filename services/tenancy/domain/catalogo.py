"""The municipality's catalog: legal hypotheses, document types and process types.

Plain Python: each entry's rules, stated once for the API, the onboarding
spreadsheet and the default catalog. What the rules must look up in the
municipality (is a name taken, which hypothesis has this name) they ask a
`Catalogo`: the database in the service, a dictionary in the tests. Nothing in
the catalog is ever deleted; entries are deactivated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from services.chassis.errors import Conflito, DadosInvalidos, NaoEncontrado
from services.chassis.niveis_acesso import checar_hipotese
from services.tenancy.domain.campos import NOME_MAX, texto
from services.tenancy.domain.plano import exigir_item

APLICACOES = ("interno", "externo", "ambos")
NUMERACOES = ("nenhuma", "sequencial_unidade", "anual_unidade", "anual_municipio")
NIVEIS_HIPOTESE = ("restrito", "sigiloso")
BASE_LEGAL_MAX = 300


class Catalogo(Protocol):
    """What the catalog's rules look up in one municipality's catalog."""

    def nome_em_uso(self, entrada: type, nome: str) -> bool: ...

    def hipotese(self, id_: str) -> HipoteseLegal | None: ...

    def hipotese_ativa(self, nome: str) -> HipoteseLegal | None: ...

    def item_vigente(self, codigo: str) -> str | None:
        """The id of `codigo` in the current classification plan."""

    def tipos_ativos_com_hipotese(self, hipotese_id: str) -> int: ...


def opcao(valor: object, campo: str, opcoes: tuple[str, ...]) -> str:
    if valor not in opcoes:
        raise DadosInvalidos(
            f"{campo} deve ser um de: {', '.join(opcoes)}.", code=f"{campo}_invalida"
        )
    return str(valor)


def permissoes(niveis: Any) -> tuple[bool, bool]:
    """(permite_restrito, permite_sigiloso) of a hypothesis allowing `niveis`."""
    if not niveis or any(n not in NIVEIS_HIPOTESE for n in niveis):
        raise DadosInvalidos("niveis: informe restrito e/ou sigiloso.", code="niveis_invalidos")
    return "restrito" in niveis, "sigiloso" in niveis


def niveis_de(hipotese: Any) -> list[str]:
    """The levels a hypothesis (an entry or a row with its columns) allows, in order."""
    return [n for n in NIVEIS_HIPOTESE if getattr(hipotese, f"permite_{n}")]


def exigir(entrada: Any) -> Any:
    if entrada is None:
        raise NaoEncontrado("Item do catálogo não encontrado.", code="item_nao_encontrado")
    return entrada


def exigir_hipotese(hipotese: HipoteseLegal | None, nome: str) -> HipoteseLegal:
    if hipotese is None:
        raise NaoEncontrado(
            f"Hipótese legal {nome!r} não encontrada.", code="hipotese_legal_nao_encontrada"
        )
    return hipotese


def checar_nivel(nivel: str, hipotese: HipoteseLegal | None) -> None:
    """Restrito and sigiloso need a hypothesis that allows the level; público takes none."""
    checar_hipotese(nivel, hipotese.regra() if hipotese else None)


def _hipotese_ativa(catalogo: Catalogo, nome: str | None) -> HipoteseLegal | None:
    return None if nome is None else exigir_hipotese(catalogo.hipotese_ativa(nome), nome)


def _exigir_nome_livre(catalogo: Catalogo, entrada: type, nome: str, code: str) -> None:
    if catalogo.nome_em_uso(entrada, nome):
        raise Conflito(f"Já existe {nome!r} neste município.", code=code)


def _renomear(entrada: Any, catalogo: Catalogo, mudancas: Mapping[str, Any]) -> None:
    if "nome" not in mudancas:
        return
    nome = texto(mudancas["nome"], "nome", NOME_MAX)
    if nome != entrada.nome:
        _exigir_nome_livre(catalogo, type(entrada), nome, "nome_duplicado")
    entrada.nome = nome


@dataclass
class HipoteseLegal:
    """A legal ground for restricting access (Lei 12.527/2011 and others)."""

    id: str
    nome: str
    base_legal: str
    permite_restrito: bool
    permite_sigiloso: bool
    ativa: bool = True

    @classmethod
    def nova(
        cls, catalogo: Catalogo, id_: str, nome: str, base_legal: str, niveis: list[str]
    ) -> HipoteseLegal:
        nome = texto(nome, "nome", NOME_MAX)
        base_legal = texto(base_legal, "base_legal", BASE_LEGAL_MAX)
        restrito, sigiloso = permissoes(niveis)
        _exigir_nome_livre(catalogo, cls, nome, "hipotese_legal_duplicada")
        return cls(id_, nome, base_legal, restrito, sigiloso)

    def regra(self) -> dict[str, Any]:
        """What the access-level rule (chassis.niveis_acesso) reads of a hypothesis."""
        return {
            "id": self.id,
            "nome": self.nome,
            "permite_restrito": self.permite_restrito,
            "permite_sigiloso": self.permite_sigiloso,
        }

    def alterar(self, catalogo: Catalogo, mudancas: Mapping[str, Any]) -> None:
        _renomear(self, catalogo, mudancas)
        if "base_legal" in mudancas:
            self.base_legal = texto(mudancas["base_legal"], "base_legal", BASE_LEGAL_MAX)
        if "niveis" in mudancas:
            self.permite_restrito, self.permite_sigiloso = permissoes(mudancas["niveis"])

    def desativar(self, catalogo: Catalogo) -> None:
        """Refused while an active process type suggests it."""
        if catalogo.tipos_ativos_com_hipotese(self.id):
            raise Conflito(
                "A hipótese legal é sugerida por tipos de processo ativos.",
                code="hipotese_legal_em_uso",
            )
        self.ativa = False


@dataclass
class TipoDocumento:
    id: str
    nome: str
    aplicacao: str  # produced in the platform (interno), brought from outside (externo), ambos
    numeracao: str  # how documents of the type are numbered
    ativo: bool = True

    @classmethod
    def novo(
        cls, catalogo: Catalogo, id_: str, nome: str, aplicacao: str, numeracao: str
    ) -> TipoDocumento:
        nome = texto(nome, "nome", NOME_MAX)
        aplicacao = opcao(aplicacao, "aplicacao", APLICACOES)
        numeracao = opcao(numeracao, "numeracao", NUMERACOES)
        _exigir_nome_livre(catalogo, cls, nome, "tipo_documento_duplicado")
        return cls(id_, nome, aplicacao, numeracao)

    def alterar(self, catalogo: Catalogo, mudancas: Mapping[str, Any]) -> None:
        _renomear(self, catalogo, mudancas)
        if "aplicacao" in mudancas:
            self.aplicacao = opcao(mudancas["aplicacao"], "aplicacao", APLICACOES)
        if "numeracao" in mudancas:
            self.numeracao = opcao(mudancas["numeracao"], "numeracao", NUMERACOES)

    def desativar(self, catalogo: Catalogo) -> None:
        self.ativo = False


@dataclass
class TipoProcesso:
    """A kind of process: its classification and the access level it suggests."""

    id: str
    nome: str
    plano_item_id: str | None
    nivel_acesso_sugerido: str
    hipotese_id: str | None
    ativo: bool = True

    @classmethod
    def novo(
        cls,
        catalogo: Catalogo,
        id_: str,
        nome: str,
        classificacao: str,
        nivel: str,
        hipotese_nome: str | None,
    ) -> TipoProcesso:
        """Classified under a code of the current plan; the hypothesis is named, and active."""
        nome = texto(nome, "nome", NOME_MAX)
        _exigir_nome_livre(catalogo, cls, nome, "tipo_processo_duplicado")
        hipotese = _hipotese_ativa(catalogo, hipotese_nome)
        checar_nivel(nivel, hipotese)
        item_id = catalogo.item_vigente(classificacao)
        exigir_item(item_id, classificacao, "Código de classificação")
        return cls(id_, nome, item_id, nivel, hipotese.id if hipotese else None)

    def alterar(self, catalogo: Catalogo, mudancas: Mapping[str, Any]) -> None:
        """A new level or hypothesis is checked against the other; the classification stays.

        Without `hipotese_legal` in `mudancas` the current hypothesis stays (a type made
        público must be sent with `hipotese_legal: None`).
        """
        _renomear(self, catalogo, mudancas)
        nivel = mudancas.get("nivel_acesso_sugerido", self.nivel_acesso_sugerido)
        if "hipotese_legal" in mudancas:
            hipotese = _hipotese_ativa(catalogo, mudancas["hipotese_legal"])
        else:
            hipotese = catalogo.hipotese(self.hipotese_id) if self.hipotese_id else None
        checar_nivel(nivel, hipotese)
        self.nivel_acesso_sugerido = nivel
        self.hipotese_id = hipotese.id if hipotese else None

    def desativar(self, catalogo: Catalogo) -> None:
        self.ativo = False


class CatalogoEmMemoria:
    """A `Catalogo` held in memory: the default catalog while it is built, and tests."""

    def __init__(self, itens_vigentes: Mapping[str, str] | None = None) -> None:
        self.entradas: list[Any] = []
        self.itens_vigentes = dict(itens_vigentes or {})  # code -> item id

    def adicionar(self, entrada: Any) -> Any:
        self.entradas.append(entrada)
        return entrada

    def nome_em_uso(self, entrada: type, nome: str) -> bool:
        return any(type(e) is entrada and e.nome == nome for e in self.entradas)

    def hipotese(self, id_: str) -> HipoteseLegal | None:
        return next((e for e in self._hipoteses() if e.id == id_), None)

    def hipotese_ativa(self, nome: str) -> HipoteseLegal | None:
        return next((e for e in self._hipoteses() if e.nome == nome and e.ativa), None)

    def item_vigente(self, codigo: str) -> str | None:
        return self.itens_vigentes.get(codigo)

    def tipos_ativos_com_hipotese(self, hipotese_id: str) -> int:
        tipos = (e for e in self.entradas if isinstance(e, TipoProcesso))
        return sum(1 for t in tipos if t.ativo and t.hipotese_id == hipotese_id)

    def _hipoteses(self) -> list[HipoteseLegal]:
        return [e for e in self.entradas if isinstance(e, HipoteseLegal)]

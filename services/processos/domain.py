"""The Processo aggregate: a process's life between units, who may read it, what it records.

No framework, no database. Every rule of the lifecycle is stated here once, as a
guard per action (`Processo.recusa`): the command refuses with the guard's error,
and a read lists the actions whose guards pass (`Processo.acoes_permitidas`), so
front ends never copy a rule. Each command changes the process and records the fact
(a domain event below) that the history and the published event carry; the
repository writes the changes, the history entry and the outbox row in one
transaction.

A process is open, not yet received, or closed in each unit it has reached
(`UnidadeNoProcesso`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from services.chassis.ator import Ator
from services.chassis.errors import Conflito, DadosInvalidos, NaoEncontrado
from services.chassis.niveis_acesso import (
    checar_hipotese,
    mais_restritivo,
    nivel_permite_ler,
    validar_nivel,
)
from services.processos import nup

NAO_RECEBIDO, ABERTO, FECHADO = "nao_recebido", "aberto", "fechado"

MAX_DESTINOS = 50
MAX_INTERESSADOS = 100
MAX_NOME_INTERESSADO = 200
MAX_ESPECIFICACAO = 500
MAX_OBSERVACOES = 1000
MAX_MOTIVO = 500
MAX_MARCADOR = 100


def nao_encontrado() -> NaoEncontrado:
    """The same answer for a process that does not exist and one the caller may not read."""
    return NaoEncontrado("Processo não encontrado.", code="processo_nao_encontrado")


# -- what a process records: one typed definition per fact ---------------------------


@dataclass(frozen=True)
class RefProcesso:
    """Outro processo: id e número formatado."""

    id: str
    numero: str  # formatted


@dataclass(frozen=True)
class Evento:
    """A fact a process recorded. `tipo` names its history entry and, as `processo.<tipo>`,
    its published event; its fields are the `detalhes` of both. Each fact's docstring is
    its one-line summary in Portuguese, for the AsyncAPI document."""

    tipo: ClassVar[str]


@dataclass(frozen=True)
class ProcessoGerado(Evento):
    """Processo aberto (gerado) numa unidade, já numerado."""

    tipo: ClassVar[str] = "gerado"
    numero: str


@dataclass(frozen=True)
class ProcessoEnviado(Evento):
    """Processo enviado a uma ou mais unidades."""

    tipo: ClassVar[str] = "enviado"
    destinos: list[str]  # unit ids
    manter_aberto: bool


@dataclass(frozen=True)
class ProcessoRecebido(Evento):
    """Uma unidade de destino recebeu o processo."""

    tipo: ClassVar[str] = "recebido"


@dataclass(frozen=True)
class ProcessoConcluido(Evento):
    """Processo concluído na unidade."""

    tipo: ClassVar[str] = "concluido"


@dataclass(frozen=True)
class ProcessoReaberto(Evento):
    """Processo reaberto numa unidade por onde passou."""

    tipo: ClassVar[str] = "reaberto"


@dataclass(frozen=True)
class ProcessoAtribuido(Evento):
    """Processo atribuído a um usuário da unidade (ou atribuição removida)."""

    tipo: ClassVar[str] = "atribuido"
    usuario_id: str | None  # None: the assignment was removed
    usuario: str | None


@dataclass(frozen=True)
class ProcessoSobrestado(Evento):
    """Processo sobrestado, com motivo."""

    tipo: ClassVar[str] = "sobrestado"
    motivo: str


@dataclass(frozen=True)
class SobrestamentoRemovido(Evento):
    """Sobrestamento removido, com motivo."""

    tipo: ClassVar[str] = "sobrestamento_removido"
    motivo: str


@dataclass(frozen=True)
class ProcessoAnexado(Evento):
    """Um processo foi anexado a outro; registrado nos dois: o principal nomeia `anexado`, o
    anexado nomeia `principal`."""

    tipo: ClassVar[str] = "anexado"
    resumo: ClassVar[str] = "Um processo foi anexado a outro (registrado nos dois)."
    motivo: str
    anexado: RefProcesso | None = None
    principal: RefProcesso | None = None


@dataclass(frozen=True)
class ProcessoDesanexado(Evento):
    """Um processo anexado foi desanexado (registrado nos dois)."""

    tipo: ClassVar[str] = "desanexado"
    motivo: str
    anexado: RefProcesso | None = None
    principal: RefProcesso | None = None


@dataclass(frozen=True)
class ProcessoRelacionado(Evento):
    """Dois processos foram relacionados (registrado nos dois)."""

    tipo: ClassVar[str] = "relacionado"
    outro: RefProcesso


@dataclass(frozen=True)
class RelacaoRemovida(Evento):
    """Relação entre dois processos removida (registrado nos dois)."""

    tipo: ClassVar[str] = "relacao_removida"
    outro: RefProcesso


@dataclass(frozen=True)
class CienciaDada(Evento):
    """Um usuário deu ciência no processo."""

    tipo: ClassVar[str] = "ciencia"


@dataclass(frozen=True)
class CredencialConcedida(Evento):
    """Credencial de acesso a processo sigiloso concedida."""

    tipo: ClassVar[str] = "credencial_concedida"
    usuario_id: str
    usuario: str


@dataclass(frozen=True)
class CredencialRenunciada(Evento):
    """Credencial renunciada pelo próprio usuário."""

    tipo: ClassVar[str] = "credencial_renunciada"
    usuario_id: str
    usuario: str


@dataclass(frozen=True)
class CredencialCassada(Evento):
    """Credencial cassada por outro credenciado."""

    tipo: ClassVar[str] = "credencial_cassada"
    usuario_id: str
    usuario: str


@dataclass(frozen=True)
class MudancaDeNivel:
    """O nível efetivo do processo mudou com o documento: de, para."""

    de: str
    para: str


@dataclass(frozen=True)
class DocumentoIncluidoNoProcesso(Evento):
    """Um documento entrou no processo (o nível efetivo o acompanha)."""

    tipo: ClassVar[str] = "documento_incluido"
    documento_id: str
    documento: str  # its label, e.g. "Ofício 12/2026 - SEMAD"
    ordem: int
    nivel_efetivo: MudancaDeNivel | None = None  # when the document changed it


@dataclass(frozen=True)
class DocumentoAssinadoNoProcesso(Evento):
    """Um documento do processo foi assinado."""

    tipo: ClassVar[str] = "documento_assinado"
    documento_id: str
    documento: str
    ordem: int
    nivel_efetivo: MudancaDeNivel | None = None


@dataclass(frozen=True)
class DocumentoCanceladoNoProcesso(Evento):
    """Um documento do processo foi cancelado, com motivo."""

    tipo: ClassVar[str] = "documento_cancelado"
    documento_id: str
    documento: str
    ordem: int
    motivo: str | None
    nivel_efetivo: MudancaDeNivel | None = None


EVENTOS: tuple[type[Evento], ...] = (
    ProcessoGerado,
    ProcessoEnviado,
    ProcessoRecebido,
    ProcessoConcluido,
    ProcessoReaberto,
    ProcessoAtribuido,
    ProcessoSobrestado,
    SobrestamentoRemovido,
    ProcessoAnexado,
    ProcessoDesanexado,
    ProcessoRelacionado,
    RelacaoRemovida,
    CienciaDada,
    CredencialConcedida,
    CredencialRenunciada,
    CredencialCassada,
    DocumentoIncluidoNoProcesso,
    DocumentoAssinadoNoProcesso,
    DocumentoCanceladoNoProcesso,
)
EVENTOS_DE_DOCUMENTO = {
    "incluido": DocumentoIncluidoNoProcesso,
    "assinado": DocumentoAssinadoNoProcesso,
}


# -- the aggregate -------------------------------------------------------------------


@dataclass
class UnidadeNoProcesso:
    unidade_id: str
    situacao: str
    atribuido_a: str | None = None
    marcador: str | None = None
    enviado_em: datetime | None = None
    recebido_em: datetime | None = None
    atualizado_em: datetime | None = None


@dataclass(frozen=True)
class Interessado:
    nome: str
    documento: str | None  # CPF or CNPJ digits


@dataclass
class Processo:
    """A process and everything its rules look at. `eventos`: what it recorded since it was
    loaded (the repository writes and clears them). `anexos` is known only to full reads."""

    id: str
    numero: str | None = None  # digits, check digits included; None until numbered
    formato: str = "nup"
    tipo_processo_id: str = ""
    tipo_nome: str = ""
    especificacao: str = ""
    classificacao: str = ""
    plano_item_id: str = ""
    nivel_acesso: str = "publico"
    hipotese_legal_id: str | None = None
    hipotese_legal_nome: str | None = None
    nivel_documentos: str = "publico"
    nivel_efetivo: str = "publico"
    niveis_documentos_seq: int = 0
    observacoes: str | None = None
    unidade_geradora_id: str = ""
    usuario_gerador_id: str = ""
    sobrestado: bool = False
    sobrestado_motivo: str | None = None
    principal_id: str | None = None
    versao: int = 1
    criado_em: datetime | None = None
    atualizado_em: datetime | None = None
    interessados: list[Interessado] = field(default_factory=list)
    unidades: dict[str, UnidadeNoProcesso] = field(default_factory=dict)
    credenciados: set[str] = field(default_factory=set)
    relacionados: set[str] = field(default_factory=set)
    anexos: list[str] | None = None
    eventos: list[Evento] = field(default_factory=list, repr=False, compare=False)

    # What it is

    @property
    def numero_formatado(self) -> str:
        return nup.Numero(self.formato, self.numero).formatado if self.numero else ""

    def ref(self) -> RefProcesso:
        return RefProcesso(self.id, self.numero_formatado)

    def situacao_em(self, unidade_id: str | None) -> str | None:
        no = self.unidades.get(unidade_id or "")
        return no.situacao if no else None

    def aberto_em(self) -> list[str]:
        return [u for u, no in self.unidades.items() if no.situacao in (ABERTO, NAO_RECEBIDO)]

    @property
    def concluido(self) -> bool:
        """Closed in every unit, and not because it is annexed to another."""
        return not self.aberto_em() and self.principal_id is None

    # Who may read it

    def legivel_por(self, ator: Ator, principal: Processo | None = None) -> bool:
        """An annexed process is read through its main one: `principal` is the top of its
        chain of main processes (the repository finds it), None when it is not annexed."""
        julgado = principal or self
        return nivel_permite_ler(
            julgado.nivel_efetivo,
            ator.unidade_id is not None and ator.unidade_id in julgado.unidades,
            ator.usuario_id in julgado.credenciados,
        )

    # What the caller's unit may do now

    def recusa(self, acao: str, ator: Ator) -> Recusa | None:
        """Why `ator` may not take `acao` on this process now, or None when it may."""
        return _REGRAS[acao](self, ator)

    def acoes_permitidas(self, ator: Ator) -> list[str]:
        return [acao for acao in ACOES if _REGRAS[acao](self, ator) is None]

    def _exigir(self, acao: str, ator: Ator) -> str:
        recusa = _REGRAS[acao](self, ator)
        if recusa is not None:
            raise recusa.erro()
        return ator.unidade_id or ""

    def _registrar(self, evento: Evento, agora: datetime) -> None:
        self.versao += 1
        self.atualizado_em = agora
        self.eventos.append(evento)

    def _unidade(self, unidade_id: str) -> UnidadeNoProcesso:
        no = self.unidades.get(unidade_id)
        if no is None:
            no = self.unidades[unidade_id] = UnidadeNoProcesso(unidade_id, FECHADO)
        return no

    # Opening

    @classmethod
    def gerar(
        cls, pid: str, ator: Ator, abertura: Abertura, formato: str, agora: datetime
    ) -> Processo:
        """A new process, open in the caller's unit; it records `ProcessoGerado` when numbered."""
        unidade_id = exigir_unidade(ator)
        return cls(
            id=pid,
            formato=formato,
            tipo_processo_id=abertura.tipo_processo_id,
            tipo_nome=abertura.tipo_nome,
            especificacao=abertura.especificacao,
            classificacao=abertura.classificacao,
            plano_item_id=abertura.plano_item_id,
            nivel_acesso=abertura.nivel_acesso,
            hipotese_legal_id=abertura.hipotese_legal_id,
            hipotese_legal_nome=abertura.hipotese_legal_nome,
            nivel_efetivo=abertura.nivel_acesso,
            observacoes=abertura.observacoes,
            unidade_geradora_id=unidade_id,
            usuario_gerador_id=ator.usuario_id,
            criado_em=agora,
            atualizado_em=agora,
            interessados=list(abertura.interessados),
            unidades={unidade_id: UnidadeNoProcesso(unidade_id, ABERTO, recebido_em=agora)},
            # Whoever opens a sigiloso process holds its first credential.
            credenciados={ator.usuario_id} if abertura.nivel_acesso == "sigiloso" else set(),
        )

    def numerar(self, numero: nup.Numero) -> None:
        """Numbered last, in the transaction that opens it (the sequence stays locked)."""
        self.numero = numero.digitos
        self.eventos.append(ProcessoGerado(numero.formatado))

    # The lifecycle

    def enviar(
        self, ator: Ator, destinos: list[str], manter_aberto: bool, agora: datetime
    ) -> ProcessoEnviado:
        """`destinos`: unit ids, already checked to be active units of the municipality."""
        origem = self._exigir("enviar", ator)
        if not destinos or len(destinos) > MAX_DESTINOS:
            raise DadosInvalidos(
                f"Informe de 1 a {MAX_DESTINOS} unidades de destino.", code="destinos_invalidos"
            )
        if len(set(destinos)) != len(destinos):
            raise DadosInvalidos("Unidade de destino repetida.", code="destinos_invalidos")
        if origem in destinos:
            raise Conflito(
                "A unidade atual não pode ser destino do envio.", code="destino_igual_origem"
            )
        for destino in destinos:
            if self.situacao_em(destino) in (ABERTO, NAO_RECEBIDO):
                raise Conflito(
                    "O processo já está aberto numa das unidades de destino.",
                    code="processo_ja_aberto_no_destino",
                    details={"unidade_id": destino},
                )
        for destino in destinos:
            no = self._unidade(destino)
            no.situacao, no.atribuido_a = NAO_RECEBIDO, None
            no.enviado_em, no.recebido_em, no.atualizado_em = agora, None, agora
        if not manter_aberto:
            self._fechar(origem, agora)
        evento = ProcessoEnviado(list(destinos), manter_aberto)
        self._registrar(evento, agora)
        return evento

    def receber(self, ator: Ator, agora: datetime) -> None:
        no = self.unidades[self._exigir("receber", ator)]
        no.situacao, no.recebido_em, no.atualizado_em = ABERTO, agora, agora
        self._registrar(ProcessoRecebido(), agora)

    def concluir(self, ator: Ator, agora: datetime) -> None:
        self._fechar(self._exigir("concluir", ator), agora)
        self._registrar(ProcessoConcluido(), agora)

    def reabrir(self, ator: Ator, agora: datetime) -> None:
        no = self.unidades[self._exigir("reabrir", ator)]
        no.situacao, no.atualizado_em = ABERTO, agora
        self._registrar(ProcessoReaberto(), agora)

    def atribuir(self, ator: Ator, usuario: Usuario | None, agora: datetime) -> str | None:
        """`usuario`: a user with a permission in the current unit; None removes. The id
        assigned now; assigning again to the same user changes and records nothing."""
        no = self.unidades[self._exigir("atribuir", ator)]
        novo = usuario.id if usuario else None
        if novo is None and no.atribuido_a is None:
            raise Conflito("O processo não está atribuído.", code="processo_nao_atribuido")
        if no.atribuido_a != novo:
            no.atribuido_a, no.atualizado_em = novo, agora
            self._registrar(ProcessoAtribuido(novo, usuario.login if usuario else None), agora)
        return novo

    def marcar(self, ator: Ator, texto: str | None) -> None:
        """The unit's own marker text (it filters the inbox): unit-local, no event."""
        texto = validar_marcador(texto)
        self.unidades[self._exigir("marcar", ator)].marcador = texto

    def sobrestar(self, ator: Ator, motivo: str, agora: datetime) -> None:
        motivo = validar_motivo(motivo)
        self._exigir("sobrestar", ator)
        self.sobrestado, self.sobrestado_motivo = True, motivo
        self._registrar(ProcessoSobrestado(motivo), agora)

    def remover_sobrestamento(self, ator: Ator, motivo: str, agora: datetime) -> None:
        motivo = validar_motivo(motivo)
        self._exigir("remover_sobrestamento", ator)
        self.sobrestado, self.sobrestado_motivo = False, None
        self._registrar(SobrestamentoRemovido(motivo), agora)

    def anexar(
        self,
        anexado: Processo,
        ator: Ator,
        cadeia_do_principal: list[str],
        motivo: str,
        agora: datetime,
    ) -> None:
        """Annex `anexado` to this one; `cadeia_do_principal`: this process's own main
        process, its main, and so on. The annexed process closes in every unit."""
        motivo = validar_motivo(motivo)
        exigir_unidade(ator)
        if self.id == anexado.id:
            raise Conflito(
                "Um processo não pode ser anexado a si mesmo.", code="anexacao_em_si_mesmo"
            )
        if anexado.id in cadeia_do_principal:
            raise Conflito(
                "O processo principal já está anexado a este: a anexação faria um ciclo.",
                code="anexacao_ciclica",
            )
        unidade_id = self._exigir("anexar", ator)
        if anexado.principal_id is not None:
            raise Conflito("O processo já está anexado a outro.", code="processo_ja_anexado")
        _exigir_aberto_em(anexado, unidade_id)
        if anexado.sobrestado:
            raise _PROCESSO_SOBRESTADO.erro()
        anexado.principal_id = self.id
        for no in anexado.unidades.values():
            if no.situacao in (ABERTO, NAO_RECEBIDO):
                no.situacao, no.atribuido_a, no.atualizado_em = FECHADO, None, agora
        self._registrar(ProcessoAnexado(motivo, anexado=anexado.ref()), agora)
        anexado._registrar(ProcessoAnexado(motivo, principal=self.ref()), agora)

    def desanexar(self, anexado: Processo, ator: Ator, motivo: str, agora: datetime) -> None:
        """The annexed process opens again in the current unit, on its own."""
        motivo = validar_motivo(motivo)
        unidade_id = self._exigir("desanexar", ator)
        if anexado.principal_id != self.id:
            raise Conflito("O processo não está anexado a este.", code="processo_nao_anexado")
        anexado.principal_id = None
        no = anexado._unidade(unidade_id)
        no.situacao, no.recebido_em, no.atualizado_em = ABERTO, agora, agora
        self._registrar(ProcessoDesanexado(motivo, anexado=anexado.ref()), agora)
        anexado._registrar(ProcessoDesanexado(motivo, principal=self.ref()), agora)

    def relacionar(self, outro: Processo, ator: Ator, agora: datetime) -> None:
        """Any reader of both may relate them; recorded on both."""
        self._exigir_outro(outro, ator)
        if outro.id in self.relacionados:
            raise Conflito("Os processos já estão relacionados.", code="processos_ja_relacionados")
        self.relacionados.add(outro.id)
        outro.relacionados.add(self.id)
        self._registrar(ProcessoRelacionado(outro.ref()), agora)
        outro._registrar(ProcessoRelacionado(self.ref()), agora)

    def remover_relacao(self, outro: Processo, ator: Ator, agora: datetime) -> None:
        self._exigir_outro(outro, ator)
        if outro.id not in self.relacionados:
            raise Conflito("Os processos não estão relacionados.", code="relacao_inexistente")
        self.relacionados.discard(outro.id)
        outro.relacionados.discard(self.id)
        self._registrar(RelacaoRemovida(outro.ref()), agora)
        outro._registrar(RelacaoRemovida(self.ref()), agora)

    def _exigir_outro(self, outro: Processo, ator: Ator) -> None:
        if outro.id == self.id:
            raise Conflito(
                "Um processo não se relaciona consigo mesmo.", code="relacao_consigo_mesmo"
            )
        self._exigir("relacionar", ator)

    def dar_ciencia(self, ator: Ator, agora: datetime) -> None:
        self._exigir("dar_ciencia", ator)
        self._registrar(CienciaDada(), agora)

    # Credentials (sigiloso)

    def conceder_credencial(self, ator: Ator, usuario: Usuario, agora: datetime) -> None:
        """A holder grants another user access to the sigiloso process."""
        self._exigir("conceder_credencial", ator)
        if usuario.id in self.credenciados:
            raise Conflito("O usuário já tem credencial.", code="credencial_existente")
        self.credenciados.add(usuario.id)
        self._registrar(CredencialConcedida(usuario.id, usuario.login), agora)

    def retirar_credencial(self, ator: Ator, usuario: Usuario, agora: datetime) -> None:
        """A holder renounces their own credential or revokes another's; never the last."""
        recusa = _nao_sigiloso(self)
        if recusa is not None:
            raise recusa.erro()
        if usuario.id not in self.credenciados:
            raise Conflito("O usuário não tem credencial.", code="credencial_inexistente")
        self._exigir("retirar_credencial", ator)
        self.credenciados.discard(usuario.id)
        evento = CredencialRenunciada if usuario.id == ator.usuario_id else CredencialCassada
        self._registrar(evento(usuario.id, usuario.login), agora)

    # What documentos tells

    def aplicar_documento(
        self,
        tipo: str,
        documento: Mapping[str, Any],
        motivo: str | None,
        seq: int,
        niveis: list[str],
        agora: datetime,
    ) -> None:
        """A document was included, signed or cancelled: the history, and, when `seq` (the
        process's sequence of document changes) is newer than the last applied, the levels
        of its valid documents, which make the effective level."""
        mudanca = None
        if seq > self.niveis_documentos_seq:
            niveis = [validar_nivel(n) for n in niveis]
            efetivo = nivel_efetivo(self.nivel_acesso, niveis)
            if efetivo != self.nivel_efetivo:
                mudanca = MudancaDeNivel(self.nivel_efetivo, efetivo)
            self.niveis_documentos_seq = seq
            self.nivel_documentos = mais_restritivo(niveis)
            self.nivel_efetivo = efetivo
        comum = {
            "documento_id": str(documento.get("id") or ""),
            "documento": str(documento.get("rotulo") or ""),
            "ordem": int(documento.get("ordem") or 0),
            "nivel_efetivo": mudanca,
        }
        if tipo == "cancelado":
            evento: Evento = DocumentoCanceladoNoProcesso(motivo=motivo, **comum)
        else:
            evento = EVENTOS_DE_DOCUMENTO[tipo](**comum)
        self._registrar(evento, agora)

    def _fechar(self, unidade_id: str, agora: datetime) -> None:
        no = self.unidades[unidade_id]
        no.situacao, no.atribuido_a, no.atualizado_em = FECHADO, None, agora


@dataclass(frozen=True)
class Usuario:
    """A user another service vouched for (auth): an assignee or a credential holder."""

    id: str
    login: str


def nivel_efetivo(proprio: str, documentos: Iterable[str]) -> str:
    """The effective level of a process: the most restrictive of its own and its documents'."""
    return mais_restritivo([proprio, *documentos])


@dataclass(frozen=True)
class Recusa:
    """Why an action is refused now: the code and message of the 409 a command answers.
    Plain data, made cheaply: a read lists the actions of every guard that passes."""

    message: str
    code: str

    def erro(self) -> Conflito:
        return Conflito(self.message, code=self.code)


# -- the guards: one per action, each rule stated once ------------------------------


# The refusals, made once: a read evaluates every guard.
_UNIDADE_NAO_ESCOLHIDA = Recusa(
    "Escolha a unidade atual antes de operar processos.", code="unidade_nao_escolhida"
)
_PROCESSO_ANEXADO = Recusa(
    "Processo anexado: opere pelo processo principal.", code="processo_anexado"
)
_PROCESSO_NAO_RECEBIDO = Recusa(
    "Receba o processo antes de operá-lo nesta unidade.", code="processo_nao_recebido"
)
_PROCESSO_NAO_ABERTO_NA_UNIDADE = Recusa(
    "O processo não está aberto na sua unidade.", code="processo_nao_aberto_na_unidade"
)
_PROCESSO_SOBRESTADO = Recusa("O processo está sobrestado.", code="processo_sobrestado")
_PROCESSO_SIGILOSO_NAO_TRAMITA = Recusa(
    "Processo sigiloso não tramita: conceda credencial a quem deve acessá-lo.",
    code="processo_sigiloso_nao_tramita",
)
_PROCESSO_NAO_ENVIADO_A_UNIDADE = Recusa(
    "Não há envio a receber nesta unidade.", code="processo_nao_enviado_a_unidade"
)
_PROCESSO_JA_ABERTO = Recusa("O processo já está aberto na unidade.", code="processo_ja_aberto")
_NUNCA_ESTEVE_PARA_REABRIR = Recusa(
    "Só reabre o processo uma unidade por onde ele passou.",
    code="processo_nunca_esteve_na_unidade",
)
_PROCESSO_JA_SOBRESTADO = Recusa("O processo já está sobrestado.", code="processo_ja_sobrestado")
_PROCESSO_NAO_SOBRESTADO = Recusa("O processo não está sobrestado.", code="processo_nao_sobrestado")
_SEM_ANEXOS = Recusa("O processo não tem anexos.", code="processo_nao_anexado")
_NUNCA_ESTEVE_PARA_CIENCIA = Recusa(
    "Só dá ciência uma unidade por onde o processo passou.",
    code="processo_nunca_esteve_na_unidade",
)
_PROCESSO_NAO_SIGILOSO = Recusa(
    "Credenciais existem só em processos sigilosos.", code="processo_nao_sigiloso"
)
_ULTIMA_CREDENCIAL = Recusa(
    "A última credencial não pode sair: o processo ficaria inacessível.",
    code="ultima_credencial",
)
_PROCESSO_CONCLUIDO = Recusa("Processo concluído não recebe documentos.", code="processo_concluido")
_DOCUMENTO_EM_PROCESSO_ANEXADO = Recusa(
    "Processo anexado: inclua no processo principal.", code="processo_anexado"
)


def exigir_unidade(ator: Ator) -> str:
    recusa = _sem_unidade(ator)
    if recusa is not None:
        raise recusa.erro()
    return ator.unidade_id or ""


def _sem_unidade(ator: Ator) -> Recusa | None:
    if not ator.unidade_id:
        return _UNIDADE_NAO_ESCOLHIDA
    return None


def _anexado(p: Processo) -> Recusa | None:
    if p.principal_id is not None:
        return _PROCESSO_ANEXADO
    return None


def _nao_aberto(p: Processo, unidade_id: str | None) -> Recusa | None:
    situacao = p.situacao_em(unidade_id)
    if situacao == NAO_RECEBIDO:
        return _PROCESSO_NAO_RECEBIDO
    if situacao != ABERTO:
        return _PROCESSO_NAO_ABERTO_NA_UNIDADE
    return None


def _operavel(p: Processo, a: Ator) -> Recusa | None:
    """A unit is chosen, the process is not annexed, and it is open (received) there."""
    return _sem_unidade(a) or _anexado(p) or _nao_aberto(p, a.unidade_id)


def _exigir_aberto_em(p: Processo, unidade_id: str) -> None:
    recusa = _anexado(p) or _nao_aberto(p, unidade_id)
    if recusa is not None:
        raise recusa.erro()


def _pode_enviar(p: Processo, a: Ator) -> Recusa | None:
    recusa = _operavel(p, a) or (_PROCESSO_SOBRESTADO if p.sobrestado else None)
    if recusa is None and p.nivel_efetivo == "sigiloso":
        return _PROCESSO_SIGILOSO_NAO_TRAMITA
    return recusa


def _pode_receber(p: Processo, a: Ator) -> Recusa | None:
    recusa = _sem_unidade(a) or _anexado(p)
    if recusa is None and p.situacao_em(a.unidade_id) != NAO_RECEBIDO:
        return _PROCESSO_NAO_ENVIADO_A_UNIDADE
    return recusa


def _pode_concluir(p: Processo, a: Ator) -> Recusa | None:
    return _operavel(p, a) or (_PROCESSO_SOBRESTADO if p.sobrestado else None)


def _pode_reabrir(p: Processo, a: Ator) -> Recusa | None:
    recusa = _sem_unidade(a) or _anexado(p)
    if recusa is not None:
        return recusa
    situacao = p.situacao_em(a.unidade_id)
    if situacao in (ABERTO, NAO_RECEBIDO):
        return _PROCESSO_JA_ABERTO
    if situacao is None:
        return _NUNCA_ESTEVE_PARA_REABRIR
    return None


def _pode_marcar(p: Processo, a: Ator) -> Recusa | None:
    recusa = _sem_unidade(a)
    if recusa is None and p.situacao_em(a.unidade_id) not in (ABERTO, NAO_RECEBIDO):
        return _PROCESSO_NAO_ABERTO_NA_UNIDADE
    return recusa


def _pode_sobrestar(p: Processo, a: Ator) -> Recusa | None:
    recusa = _operavel(p, a)
    if recusa is None and p.sobrestado:
        return _PROCESSO_JA_SOBRESTADO
    return recusa


def _pode_remover_sobrestamento(p: Processo, a: Ator) -> Recusa | None:
    recusa = _operavel(p, a)
    if recusa is None and not p.sobrestado:
        return _PROCESSO_NAO_SOBRESTADO
    return recusa


def _pode_desanexar(p: Processo, a: Ator) -> Recusa | None:
    recusa = _operavel(p, a)
    if recusa is None and p.anexos == []:  # known on reads only; a command names the annex
        return _SEM_ANEXOS
    return recusa


def _pode_dar_ciencia(p: Processo, a: Ator) -> Recusa | None:
    recusa = _sem_unidade(a)
    if recusa is None and p.situacao_em(a.unidade_id) is None and p.nivel_efetivo != "sigiloso":
        return _NUNCA_ESTEVE_PARA_CIENCIA
    return recusa


def _nao_sigiloso(p: Processo) -> Recusa | None:
    if p.nivel_efetivo != "sigiloso":
        return _PROCESSO_NAO_SIGILOSO
    return None


def _pode_retirar_credencial(p: Processo, a: Ator) -> Recusa | None:
    recusa = _nao_sigiloso(p)
    if recusa is None and len(p.credenciados) <= 1:
        return _ULTIMA_CREDENCIAL
    return recusa


def _pode_incluir_documento(p: Processo, a: Ator) -> Recusa | None:
    """A document enters only a process open in the caller's unit; never a concluded one."""
    if p.concluido:
        return _PROCESSO_CONCLUIDO
    if p.principal_id is not None:
        return _DOCUMENTO_EM_PROCESSO_ANEXADO
    if p.situacao_em(a.unidade_id) != ABERTO:
        return _PROCESSO_NAO_ABERTO_NA_UNIDADE
    return None


def _pode_cancelar_documento(p: Processo, a: Ator) -> Recusa | None:
    """Cancelling one of its documents (documentos checks that it is the unit's own)."""
    return None if p.situacao_em(a.unidade_id) == ABERTO else _PROCESSO_NAO_ABERTO_NA_UNIDADE


_REGRAS: dict[str, Callable[[Processo, Ator], Recusa | None]] = {
    "enviar": _pode_enviar,
    "receber": _pode_receber,
    "concluir": _pode_concluir,
    "reabrir": _pode_reabrir,
    "atribuir": _operavel,
    "marcar": _pode_marcar,
    "sobrestar": _pode_sobrestar,
    "remover_sobrestamento": _pode_remover_sobrestamento,
    "anexar": _operavel,
    "desanexar": _pode_desanexar,
    "relacionar": lambda p, a: None,  # whoever may read both processes
    "dar_ciencia": _pode_dar_ciencia,
    "conceder_credencial": lambda p, a: _nao_sigiloso(p),
    "retirar_credencial": _pode_retirar_credencial,
    "incluir_documento": _pode_incluir_documento,
    "cancelar_documento": _pode_cancelar_documento,
}
ACOES: tuple[str, ...] = tuple(_REGRAS)


# -- what a new process is opened with, checked before any transaction ----------------


@dataclass(frozen=True)
class Abertura:
    tipo_processo_id: str
    tipo_nome: str
    especificacao: str
    classificacao: str
    plano_item_id: str
    nivel_acesso: str
    hipotese_legal_id: str | None
    hipotese_legal_nome: str | None
    interessados: tuple[Interessado, ...]
    observacoes: str | None

    @classmethod
    def de(cls, diretorio: Mapping[str, Any], dados: Mapping[str, Any]) -> Abertura:
        """Check a request against the municipality's catalog (tenancy's directory)."""
        tipo = diretorio["tipos"].get(str(dados.get("tipo_processo") or ""))
        if tipo is None or not tipo["ativo"]:
            raise DadosInvalidos(
                "Tipo de processo inexistente ou inativo.", code="tipo_processo_invalido"
            )
        especificacao = " ".join(str(dados.get("especificacao") or "").split())
        if not especificacao or len(especificacao) > MAX_ESPECIFICACAO:
            raise DadosInvalidos(
                f"A especificação é obrigatória (até {MAX_ESPECIFICACAO} caracteres).",
                code="especificacao_invalida",
            )
        codigo = dados.get("classificacao") or tipo["classificacao"]
        plano_item_id = diretorio["classificacoes"].get(codigo or "")
        if plano_item_id is None:
            raise DadosInvalidos(
                f"Código de classificação {codigo!r} não existe no plano vigente.",
                code="classificacao_nao_encontrada",
            )
        nivel = validar_nivel(dados.get("nivel_acesso") or tipo["nivel_acesso_sugerido"])
        nome_hipotese = dados.get("hipotese_legal")
        if nome_hipotese is None and nivel == tipo["nivel_acesso_sugerido"]:
            nome_hipotese = tipo["hipotese_legal"]
        hipotese = None
        if nome_hipotese:
            hipotese = diretorio["hipoteses"].get(nome_hipotese)
            if hipotese is None or not hipotese["ativa"]:
                raise DadosInvalidos(
                    f"Hipótese legal {nome_hipotese!r} não encontrada.",
                    code="hipotese_legal_nao_encontrada",
                )
        checar_hipotese(nivel, hipotese)
        interessados = validar_interessados(list(dados.get("interessados") or []))
        observacoes = dados.get("observacoes")
        if observacoes is not None and len(str(observacoes)) > MAX_OBSERVACOES:
            raise DadosInvalidos(
                f"Observações: até {MAX_OBSERVACOES} caracteres.", code="observacoes_longas"
            )
        return cls(
            tipo_processo_id=tipo["id"],
            tipo_nome=tipo["nome"],
            especificacao=especificacao,
            classificacao=codigo,
            plano_item_id=plano_item_id,
            nivel_acesso=nivel,
            hipotese_legal_id=hipotese["id"] if hipotese else None,
            hipotese_legal_nome=hipotese["nome"] if hipotese else None,
            interessados=tuple(interessados),
            observacoes=None if observacoes is None else str(observacoes),
        )


def validar_motivo(motivo: object) -> str:
    if not isinstance(motivo, str) or not motivo.strip() or len(motivo) > MAX_MOTIVO:
        raise DadosInvalidos(
            f"Informe o motivo (até {MAX_MOTIVO} caracteres).", code="motivo_obrigatorio"
        )
    return " ".join(motivo.split())


def validar_marcador(texto: object) -> str | None:
    texto = " ".join(str(texto).split()) if texto else None
    if texto and len(texto) > MAX_MARCADOR:
        raise DadosInvalidos(f"Marcador: até {MAX_MARCADOR} caracteres.", code="marcador_longo")
    return texto


# Interested parties: CPF and CNPJ with their check digits.


def _dv_cpf(digitos: str) -> str:
    for tamanho in (9, 10):
        soma = sum(
            int(d) * p for d, p in zip(digitos[:tamanho], range(tamanho + 1, 1, -1), strict=False)
        )
        resto = soma * 10 % 11 % 10
        if resto != int(digitos[tamanho]):
            return ""
    return digitos


def _dv_cnpj(digitos: str) -> str:
    pesos = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
    for tamanho in (12, 13):
        p = pesos if tamanho == 12 else [6, *pesos]
        soma = sum(int(d) * w for d, w in zip(digitos[:tamanho], p, strict=False))
        dv = 11 - soma % 11
        if (0 if dv >= 10 else dv) != int(digitos[tamanho]):
            return ""
    return digitos


def validar_cpf_cnpj(texto: str) -> str:
    """Digits of a valid CPF (11) or CNPJ (14), typed with or without punctuation."""
    if not re.fullmatch(r"[0-9./ -]{11,20}", texto or ""):  # ASCII: \d takes any script's digits
        raise DadosInvalidos("CPF ou CNPJ inválido.", code="cpf_cnpj_invalido")
    digitos = re.sub(r"[^0-9]", "", texto)
    valido = ""
    if len(digitos) == 11 and len(set(digitos)) > 1:
        valido = _dv_cpf(digitos)
    elif len(digitos) == 14 and len(set(digitos)) > 1:
        valido = _dv_cnpj(digitos)
    if not valido:
        raise DadosInvalidos("CPF ou CNPJ inválido.", code="cpf_cnpj_invalido")
    return valido


def validar_interessados(interessados: list[Any]) -> list[Interessado]:
    if len(interessados) > MAX_INTERESSADOS:
        raise DadosInvalidos(
            f"No máximo {MAX_INTERESSADOS} interessados.", code="interessados_demais"
        )
    limpos = []
    for n, item in enumerate(interessados):
        item = item if isinstance(item, Mapping) else {}
        nome = " ".join(str(item.get("nome") or "").split())
        if not nome or len(nome) > MAX_NOME_INTERESSADO:
            raise DadosInvalidos(
                f"Nome do interessado é obrigatório (até {MAX_NOME_INTERESSADO} caracteres).",
                code="interessado_invalido",
                details={"campos": [{"campo": f"interessados.{n}.nome", "mensagem": "inválido"}]},
            )
        documento = item.get("cpf_cnpj")
        limpos.append(Interessado(nome, validar_cpf_cnpj(documento) if documento else None))
    return limpos

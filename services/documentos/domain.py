"""The Documento aggregate: a document of a process, its content, signatures and cancelling.

No framework, no database. Every rule of a document is stated here once, as a guard
per action (`Documento.recusa`): the command refuses with the guard's error. What the
process decides (may a document enter it now, may one of its documents be cancelled)
is processos' own rule: documentos takes its answer (`ContextoDoProcesso`) and never
restates it. Each command changes the document and records the fact (below) that its
published event carries; the repository writes the changes and the outbox row in one
transaction.

A document is internal (written in the editor: HTML kept in versions, editable until
signed) or external (an uploaded file, included as it is). Its states: editavel and
assinado (internal), incluido (external), cancelado (either; never deleted).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from services.chassis.ator import Ator
from services.chassis.errors import (
    AcessoNegado,
    Conflito,
    DadosInvalidos,
    NaoEncontrado,
    SemPapelError,
)
from services.chassis.niveis_acesso import checar_hipotese, nivel_permite_ler, validar_nivel
from services.documentos import formatos

EDITAVEL, ASSINADO, INCLUIDO, CANCELADO = "editavel", "assinado", "incluido", "cancelado"
INTERNO, EXTERNO = "interno", "externo"
EXTRAIDO, FALHOU = "extraido", "falhou"  # what became of a document's text
BRASILIA = ZoneInfo("America/Sao_Paulo")

# Limits of what a document is made with (the gateway states shapes only).
MAX_CONTEUDO = 2_000_000  # characters of the editor's HTML, before and after sanitizing
MAX_CARGO = 120
MAX_MOTIVO = 500
MAX_DESTINATARIOS = 100
MAX_INTERESSADOS = 100
MAX_NOME = 200  # a recipient, an interested party, a sender, a file name
MAX_NUMERO_EXTERNO = 60
MAX_ERRO_TEXTO = 500  # why a text could not be extracted, as stored
MAX_BYTES_CONFIGURAVEL = 10 * 1024**3

# Counters that never skip: the municipality's document number, and a process's order.
CHAVE_NUMERO = "municipio"


def chave_ordem(processo_id: str) -> str:
    return f"processo:{processo_id}"


def chave_seq(processo_id: str) -> str:
    """The process's sequence of document changes: processos applies the highest it saw."""
    return f"seq:{processo_id}"


def nao_encontrado() -> NaoEncontrado:
    """The same answer for a document that does not exist and one the caller may not read."""
    return NaoEncontrado("Documento não encontrado.", code="documento_nao_encontrado")


# -- what a document records: one typed definition per fact --------------------------


@dataclass(frozen=True)
class Evento:
    """A fact a document recorded. `tipo` names its published event, `documento.<tipo>`;
    its fields are the event's `detalhes`. Each fact's docstring is its one-line summary
    in Portuguese, for the AsyncAPI document."""

    tipo: ClassVar[str]


@dataclass(frozen=True)
class DocumentoIncluido(Evento):
    """Documento gerado ou incluído num processo."""

    tipo: ClassVar[str] = "incluido"


@dataclass(frozen=True)
class DocumentoAssinado(Evento):
    """Documento assinado (mais uma assinatura)."""

    tipo: ClassVar[str] = "assinado"
    assinante: str  # login
    cargo: str


@dataclass(frozen=True)
class DocumentoCancelado(Evento):
    """Documento cancelado, com motivo."""

    tipo: ClassVar[str] = "cancelado"
    motivo: str


@dataclass(frozen=True)
class TextoExtraido(Evento):
    """Texto do documento extraído para a busca (ou a falha, em detalhes)."""

    tipo: ClassVar[str] = "texto_extraido"
    situacao: str  # extraido | falhou
    erro: str | None


EVENTOS: tuple[type[Evento], ...] = (
    DocumentoIncluido,
    DocumentoAssinado,
    DocumentoCancelado,
    TextoExtraido,
)


# -- what processos answers about the process, which documentos decides by -----------


@dataclass(frozen=True)
class ContextoDoProcesso:
    """processos' answer for the caller (`processos.contexto_documental`); it already
    answered 404 for a process the caller may not read."""

    id: str
    unidades: frozenset[str]  # every unit the process (or its main one) has reached
    credenciado: bool  # the caller holds a credential (sigiloso)
    plano_item_id: str | None
    recusas: Mapping[str, Mapping[str, str] | None]  # per action: processos' refusal

    @classmethod
    def de(cls, dados: Mapping[str, Any]) -> ContextoDoProcesso:
        return cls(
            id=str(dados["id"]),
            unidades=frozenset(dados.get("unidades") or ()),
            credenciado=bool(dados.get("credenciado")),
            plano_item_id=dados.get("plano_item_id"),
            recusas=dict(dados.get("recusas") or {}),
        )

    def recusa(self, acao: str) -> SemPapelError | None:
        """Why processos' own rules refuse `acao` to the caller now, or None."""
        recusa = self.recusas[acao]
        return None if recusa is None else Conflito(recusa["message"], code=recusa["code"])


def exigir_acao_no_processo(contexto: ContextoDoProcesso, acao: str) -> None:
    """Refuse as processos' own rules refuse: documentos never restates a process's rule."""
    recusa = contexto.recusa(acao)
    if recusa is not None:
        raise recusa


# -- the aggregate -------------------------------------------------------------------


@dataclass(frozen=True)
class Assinatura:
    """One signature: who, as what, over the SHA-256 of exactly what was signed."""

    usuario_id: str
    login: str
    nome: str
    cargo: str
    unidade_id: str | None
    unidade_sigla: str | None
    sha256: str
    versao: int | None  # the internal document's version signed
    assinado_em: datetime


@dataclass(frozen=True)
class Signatario:
    """Who signs, as auth vouched for them after the password, and the unit's sigla."""

    nome: str
    cargo: str
    unidade_sigla: str | None


@dataclass(frozen=True)
class Numeros:
    """A new document's numbers, each from a counter locked until its transaction ends:
    its order in the process, its number in the municipality, and its number by its
    type's rule (None for types that are not numbered)."""

    ordem: int
    numero: int
    do_tipo: int | None


@dataclass
class Documento:
    """A document and everything its rules look at. `assinaturas` in signing order;
    `conteudo`: the current HTML of an internal document, when loaded or written;
    `texto`: its text for search, when extracted in this unit of work; `eventos`: what it
    recorded since it was loaded (the repository writes and clears them)."""

    id: str
    processo_id: str
    origem: str
    tipo_documento_id: str
    tipo_nome: str
    nivel_acesso: str
    unidade_id: str
    usuario_id: str
    situacao: str
    criado_em: datetime
    atualizado_em: datetime
    ordem: int = 0
    numero: int = 0
    numero_tipo: str | None = None
    rotulo: str = ""
    hipotese_legal_nome: str | None = None
    data_documento: str | None = None
    numero_externo: str | None = None
    remetente: str | None = None
    destinatarios: list[str] = field(default_factory=list)
    interessados: list[str] = field(default_factory=list)
    objeto_chave: str | None = None
    formato: str | None = None
    media_type: str | None = None
    nome_arquivo: str | None = None
    tamanho: int | None = None
    sha256: str | None = None
    versao_atual: int | None = None
    codigo: str | None = None
    crc: str | None = None
    cancelado_motivo: str | None = None
    cancelado_em: datetime | None = None
    assinaturas: list[Assinatura] = field(default_factory=list)
    conteudo: str | None = field(default=None, repr=False)
    texto: str | None = field(default=None, repr=False)
    eventos: list[Evento] = field(default_factory=list, repr=False, compare=False)

    # Who may read it

    def legivel_por(self, ator: Ator, contexto: ContextoDoProcesso) -> bool:
        """Readable when its process is (processos answered) and its own level allows:
        restrito, the units the process has reached; sigiloso, its credentialed users."""
        return nivel_permite_ler(
            self.nivel_acesso,
            ator.unidade_id is not None and ator.unidade_id in contexto.unidades,
            contexto.credenciado,
        )

    def exigir_valido(self) -> None:
        """Its content is served only while it is valid."""
        if self.situacao == CANCELADO:
            raise Conflito(
                "Documento cancelado: o conteúdo não vale mais.", code="documento_cancelado"
            )

    def exigir_arquivo(self) -> None:
        """An uploaded file is read from the store; an internal document is its page."""
        if self.origem != EXTERNO:
            raise Conflito("Documento interno: leia o conteúdo HTML.", code="documento_interno")

    def assinado_por(self, usuario_id: str) -> bool:
        return any(a.usuario_id == usuario_id for a in self.assinaturas)

    # What the caller may do now

    def recusa(self, acao: str, ator: Ator, contexto: ContextoDoProcesso) -> SemPapelError | None:
        """Why `ator` may not take `acao` on this document now, or None when it may."""
        return _REGRAS[acao](self, ator, contexto)

    def _exigir(self, acao: str, ator: Ator, contexto: ContextoDoProcesso) -> None:
        recusa = _REGRAS[acao](self, ator, contexto)
        if recusa is not None:
            raise recusa

    def _registrar(self, evento: Evento, agora: datetime) -> None:
        self.atualizado_em = agora
        self.eventos.append(evento)

    # Including

    @classmethod
    def _novo(
        cls,
        doc_id: str,
        processo_id: str,
        tipo: TipoDocumento,
        numeros: Numeros,
        unidade_id: str,
        unidade_sigla: str | None,
        ator: Ator,
        agora: datetime,
        **campos: Any,
    ) -> Documento:
        """A new document of `tipo`, numbered, made by `ator` in `unidade_id`."""
        return cls(
            id=doc_id,
            processo_id=processo_id,
            tipo_documento_id=tipo.id,
            tipo_nome=tipo.nome,
            unidade_id=unidade_id,
            usuario_id=ator.usuario_id,
            criado_em=agora,
            atualizado_em=agora,
            **tipo.numerado(numeros, unidade_sigla, agora.year),
            **campos,
        )

    @classmethod
    def interno(
        cls,
        doc_id: str,
        inclusao: InclusaoInterna,
        numeros: Numeros,
        html: str,
        texto: str,
        ator: Ator,
        agora: datetime,
    ) -> Documento:
        """A document written in the editor: its first version, editable until signed;
        `html` sanitized, `texto` its text for search (recorded at once)."""
        html = exigir_tamanho_do_conteudo(html)
        doc = cls._novo(
            doc_id,
            inclusao.processo_id,
            inclusao.tipo,
            numeros,
            ator.unidade_id or "",
            inclusao.unidade_sigla,
            ator,
            agora,
            origem=INTERNO,
            situacao=EDITAVEL,
            nivel_acesso=inclusao.nivel_acesso,
            hipotese_legal_nome=inclusao.hipotese_legal,
            destinatarios=list(inclusao.destinatarios),
            interessados=list(inclusao.interessados),
            formato="html",
            media_type="text/html",
        )
        doc._nova_versao(html, 1)
        doc._registrar(DocumentoIncluido(), agora)
        doc.registrar_texto(texto, None)
        return doc

    @classmethod
    def externo(
        cls,
        doc_id: str,
        upload: UploadPendente,
        tipo: TipoDocumento,
        numeros: Numeros,
        unidade_sigla: str | None,
        armazenado: Armazenado,
        ator: Ator,
        agora: datetime,
    ) -> Documento:
        """An uploaded file, stored: included as it is, in the unit that prepared it."""
        inclusao = upload.inclusao
        doc = cls._novo(
            doc_id,
            upload.processo_id,
            tipo,
            numeros,
            upload.unidade_id,
            unidade_sigla,
            ator,
            agora,
            origem=EXTERNO,
            situacao=INCLUIDO,
            nivel_acesso=inclusao.nivel_acesso,
            hipotese_legal_nome=inclusao.hipotese_legal,
            data_documento=inclusao.data_documento,
            numero_externo=inclusao.numero_externo,
            remetente=inclusao.remetente,
            objeto_chave=upload.objeto_chave,
            formato=inclusao.formato,
            media_type=inclusao.media_type,
            nome_arquivo=armazenado.nome_arquivo,
            tamanho=armazenado.tamanho,
            sha256=armazenado.sha256,
        )
        doc._registrar(DocumentoIncluido(), agora)
        return doc

    # Editing, signing, cancelling

    def editar(self, ator: Ator, html: str, texto: str, agora: datetime) -> None:
        """A new version (edits never overwrite); `html` sanitized, `texto` its text."""
        html = exigir_tamanho_do_conteudo(html)
        self._exigir("editar", ator, SEM_CONTEXTO)
        self._nova_versao(html, (self.versao_atual or 0) + 1)
        self.atualizado_em = agora
        self.registrar_texto(texto, None)

    def assinar(
        self, ator: Ator, signatario: Signatario, ibge: str, agora: datetime
    ) -> DocumentoAssinado:
        """A signature over the SHA-256 of exactly the current content: an internal
        document's current HTML (`conteudo`, loaded to sign), an uploaded file's stored
        hash. The first signature gives the verification code and its CRC."""
        cargo = validar_cargo(signatario.cargo)
        self._exigir("assinar", ator, SEM_CONTEXTO)
        if self.origem == INTERNO:
            if self.conteudo is None:
                raise ValueError("o conteúdo do documento interno não foi carregado")
            sha256 = sha256_de(self.conteudo)
        else:
            sha256 = self.sha256 or ""
        self.assinaturas.append(
            Assinatura(
                usuario_id=ator.usuario_id,
                login=ator.login,
                nome=signatario.nome,
                cargo=cargo,
                unidade_id=ator.unidade_id,
                unidade_sigla=signatario.unidade_sigla,
                sha256=sha256,
                versao=self.versao_atual,
                assinado_em=agora,
            )
        )
        if self.origem == INTERNO:
            self.situacao = ASSINADO
        if self.codigo is None:
            self.codigo = novo_codigo_verificacao()
            self.crc = crc(ibge, self.codigo, sha256)
        evento = DocumentoAssinado(ator.login, cargo)
        self._registrar(evento, agora)
        return evento

    def cancelar(
        self, ator: Ator, motivo: str, contexto: ContextoDoProcesso, agora: datetime
    ) -> None:
        """The content stays stored; the document is no longer served as valid."""
        motivo = validar_texto(motivo, "motivo", MAX_MOTIVO, obrigatorio=True) or ""
        self._exigir("cancelar", ator, contexto)
        self.situacao, self.cancelado_motivo, self.cancelado_em = CANCELADO, motivo, agora
        self._registrar(DocumentoCancelado(motivo), agora)

    def registrar_texto(self, texto: str | None, erro: str | None) -> None:
        """What extraction gave (the text) or why it failed (`erro`), for search. The text
        changes, the record does not: `atualizado_em` stays."""
        self.texto = texto
        self.eventos.append(TextoExtraido(FALHOU if erro else EXTRAIDO, erro))

    def _nova_versao(self, html: str, versao: int) -> None:
        self.conteudo, self.versao_atual = html, versao
        self.sha256, self.tamanho = sha256_de(html), len(html.encode("utf-8"))


SEM_CONTEXTO = ContextoDoProcesso("", frozenset(), False, None, {})


# -- the guards: one per action, each rule stated once ------------------------------


def _pode_editar(d: Documento, a: Ator, c: ContextoDoProcesso) -> SemPapelError | None:
    """Only internal documents, while editable, and only by the unit that made them."""
    if d.origem != INTERNO:
        return Conflito("Documento externo não se edita.", code="documento_externo")
    if d.situacao == CANCELADO:
        return Conflito("O documento foi cancelado.", code="documento_cancelado")
    if d.situacao != EDITAVEL:
        return Conflito("Documento assinado não pode ser editado.", code="documento_assinado")
    if d.unidade_id != a.unidade_id:
        return AcessoNegado(
            "Só a unidade que gerou o documento pode editá-lo.",
            code="documento_de_outra_unidade",
        )
    return None


def _pode_assinar(d: Documento, a: Ator, c: ContextoDoProcesso) -> SemPapelError | None:
    """Never a cancelled document; each user once."""
    if d.situacao == CANCELADO:
        return Conflito("Documento cancelado não se assina.", code="documento_cancelado")
    if d.assinado_por(a.usuario_id):
        return Conflito("Você já assinou este documento.", code="ja_assinado")
    return None


def _pode_cancelar(d: Documento, a: Ator, c: ContextoDoProcesso) -> SemPapelError | None:
    """Only the unit that included it, where the process lets it (processos' rule), once."""
    if d.unidade_id != a.unidade_id:
        return AcessoNegado(
            "Só a unidade que incluiu o documento pode cancelá-lo.",
            code="documento_de_outra_unidade",
        )
    recusa = c.recusa("cancelar_documento")
    if recusa is not None:
        return recusa
    if d.situacao == CANCELADO:
        return Conflito("O documento já foi cancelado.", code="documento_cancelado")
    return None


_REGRAS: dict[str, Callable[[Documento, Ator, ContextoDoProcesso], SemPapelError | None]] = {
    "editar": _pode_editar,
    "assinar": _pode_assinar,
    "cancelar": _pode_cancelar,
}
ACOES: tuple[str, ...] = tuple(_REGRAS)


# -- what a new document is made with, checked before any transaction ----------------


@dataclass(frozen=True)
class TipoDocumento:
    """A document type of the municipality's catalog (tenancy's directory)."""

    id: str
    nome: str
    numeracao: str  # sequencial_unidade | anual_unidade | anual_municipio | anything else: none

    @classmethod
    def para(cls, diretorio: Mapping[str, Any], tipo_id: object, origem: str) -> TipoDocumento:
        """The active type `tipo_id` if it applies to documents of `origem`; else 422."""
        tipo = diretorio["tipos_documento"].get(str(tipo_id or ""))
        if tipo is None or not tipo["ativo"]:
            raise DadosInvalidos(
                "Tipo de documento inexistente ou inativo.", code="tipo_documento_invalido"
            )
        if tipo["aplicacao"] not in (origem, "ambos"):
            raise DadosInvalidos(
                f"O tipo {tipo['nome']} não se aplica a documento {origem}.",
                code="tipo_documento_nao_se_aplica",
            )
        return cls.de(tipo)

    @classmethod
    def de(cls, tipo: Mapping[str, Any]) -> TipoDocumento:
        return cls(str(tipo["id"]), str(tipo["nome"]), str(tipo["numeracao"]))

    def chave_contador(self, unidade_id: str, ano: int) -> str | None:
        """The counter of the type's numbering rule; None when the type is not numbered."""
        if self.numeracao == "sequencial_unidade":
            return f"tipo:{self.id}:unidade:{unidade_id}"
        if self.numeracao == "anual_unidade":
            return f"tipo:{self.id}:unidade:{unidade_id}:{ano}"
        if self.numeracao == "anual_municipio":
            return f"tipo:{self.id}:{ano}"
        return None

    def numero_tipo(self, n: int | None, ano: int) -> str | None:
        """ "12" for a unit's running sequence, "12/2026" for a yearly one."""
        if n is None:
            return None
        return str(n) if self.numeracao == "sequencial_unidade" else f"{n}/{ano}"

    def rotulo(self, numero: str | None, sigla: str | None) -> str:
        """ "Ofício 12/2026 - SEMAD", "Portaria 3/2026", or the type's name alone."""
        if numero is None:
            return self.nome
        if self.numeracao in ("sequencial_unidade", "anual_unidade") and sigla:
            return f"{self.nome} {numero} - {sigla}"
        return f"{self.nome} {numero}"

    def numerado(self, numeros: Numeros, sigla: str | None, ano: int) -> dict[str, Any]:
        """A new document's numbering fields."""
        numero_tipo = self.numero_tipo(numeros.do_tipo, ano)
        return {
            "ordem": numeros.ordem,
            "numero": numeros.numero,
            "numero_tipo": numero_tipo,
            "rotulo": self.rotulo(numero_tipo, sigla),
        }


def nivel_e_hipotese(
    diretorio: Mapping[str, Any], dados: Mapping[str, Any]
) -> tuple[str, str | None]:
    """The access level asked for and the name of its legal hypothesis (checked to allow it)."""
    nivel = validar_nivel(dados.get("nivel_acesso") or "publico")
    nome = dados.get("hipotese_legal")
    hipotese = diretorio["hipoteses"].get(nome) if nome else None
    if nome and (hipotese is None or not hipotese["ativa"]):
        raise DadosInvalidos(
            f"Hipótese legal {nome!r} não encontrada.", code="hipotese_legal_nao_encontrada"
        )
    checar_hipotese(nivel, hipotese)
    return nivel, hipotese["nome"] if hipotese else None


@dataclass(frozen=True)
class InclusaoInterna:
    """A document to write in the editor, checked: the process lets the caller include it,
    the type applies, the level has its hypothesis, the lists are within their limits."""

    processo_id: str
    tipo: TipoDocumento
    nivel_acesso: str
    hipotese_legal: str | None
    destinatarios: tuple[str, ...]
    interessados: tuple[str, ...]
    unidade_sigla: str | None

    @classmethod
    def de(
        cls,
        contexto: ContextoDoProcesso,
        diretorio: Mapping[str, Any],
        dados: Mapping[str, Any],
        ator: Ator,
    ) -> InclusaoInterna:
        exigir_acao_no_processo(contexto, "incluir_documento")
        tipo = TipoDocumento.para(diretorio, dados.get("tipo_documento"), INTERNO)
        nivel, hipotese = nivel_e_hipotese(diretorio, dados)
        return cls(
            processo_id=contexto.id,
            tipo=tipo,
            nivel_acesso=nivel,
            hipotese_legal=hipotese,
            destinatarios=_nomes(dados.get("destinatarios"), "destinatario", "destinatários"),
            interessados=_nomes(dados.get("interessados"), "interessado", "interessados"),
            unidade_sigla=_sigla(diretorio, ator.unidade_id),
        )


_MAXIMO_DE_NOMES = {"destinatario": MAX_DESTINATARIOS, "interessado": MAX_INTERESSADOS}


def _nomes(valores: object, campo: str, plural: str) -> tuple[str, ...]:
    """Names of people or bodies (recipients, interested parties), each one line."""
    lista = list(valores) if isinstance(valores, list | tuple) else []
    maximo = _MAXIMO_DE_NOMES[campo]
    if len(lista) > maximo:
        raise DadosInvalidos(f"No máximo {maximo} {plural}.", code=f"{campo}s_demais")
    return tuple(validar_texto(v, campo, MAX_NOME, obrigatorio=True) or "" for v in lista)


def _sigla(diretorio: Mapping[str, Any], unidade_id: str | None) -> str | None:
    return diretorio["unidades"].get(unidade_id or "", {}).get("sigla")


@dataclass(frozen=True)
class InclusaoExterna:
    """What an upload is recorded with, checked before its bytes are stored. Kept with the
    pending upload (these names are its stored keys) until the bytes are confirmed."""

    tipo_documento: str  # the type's id
    nivel_acesso: str
    hipotese_legal: str | None
    data_documento: str | None
    numero_externo: str | None
    remetente: str | None
    # The process's classification says "guarda permanente": keep the object forever.
    guarda_permanente: bool
    formato: str  # recognised from the file's first bytes, never taken from the call

    @classmethod
    def de(
        cls,
        contexto: ContextoDoProcesso,
        diretorio: Mapping[str, Any],
        metadados: Mapping[str, Any],
        prefixo: bytes,
        permitidos: Iterable[str],
    ) -> InclusaoExterna:
        """`prefixo`: the file's first bytes, whose format must be among the municipality's
        `permitidos` (415 otherwise, after every other check)."""
        exigir_acao_no_processo(contexto, "incluir_documento")
        tipo = TipoDocumento.para(diretorio, metadados.get("tipo_documento"), EXTERNO)
        nivel, hipotese = nivel_e_hipotese(diretorio, metadados)
        data = validar_data(metadados.get("data_documento"))
        numero = validar_texto(metadados.get("numero"), "numero", MAX_NUMERO_EXTERNO)
        remetente = validar_texto(metadados.get("remetente"), "remetente", MAX_NOME)
        return cls(
            tipo_documento=tipo.id,
            nivel_acesso=nivel,
            hipotese_legal=hipotese,
            data_documento=data,
            numero_externo=numero,
            remetente=remetente,
            guarda_permanente=contexto.plano_item_id in set(diretorio["guarda_permanente"]),
            formato=formatos.exigir_formato(prefixo, permitidos),
        )

    @property
    def media_type(self) -> str:
        return formatos.media_type(self.formato)


@dataclass(frozen=True)
class UploadPendente:
    """An upload between "may I?" and "it is stored": what an orphan sweep cleans."""

    id: str
    processo_id: str
    objeto_chave: str
    inclusao: InclusaoExterna
    usuario_id: str
    unidade_id: str
    max_bytes: int
    criado_em: datetime

    def exigir_de(self, ator: Ator) -> None:
        """Only its own uploader confirms it."""
        if self.usuario_id != ator.usuario_id:
            raise upload_desconhecido()


def upload_desconhecido() -> Conflito:
    return Conflito("Envio desconhecido ou expirado.", code="upload_desconhecido")


def chave_do_objeto(ibge: str, agora: datetime, upload_id: str) -> str:
    """Where the bytes go: one bucket, a prefix per municipality, then year and month.
    Keys are made here and read only from document records, never from a request."""
    return f"mun_{ibge}/{agora:%Y/%m}/{upload_id}"


@dataclass(frozen=True)
class Armazenado:
    """What the gateway reports of the stored bytes: it wrote the object, and the store's
    answer to that PUT is the proof."""

    sha256: str
    tamanho: int
    nome_arquivo: str | None

    @classmethod
    def de(cls, dados: Mapping[str, Any]) -> Armazenado:
        return cls(
            sha256=str(dados["sha256"]),
            tamanho=int(dados["tamanho"]),
            nome_arquivo=validar_texto(dados.get("nome_arquivo"), "nome_arquivo", MAX_NOME),
        )


@dataclass(frozen=True)
class Configuracao:
    """The municipality's upload limit and permitted formats."""

    max_bytes: int
    formatos: tuple[str, ...]

    @classmethod
    def nova(cls, max_bytes: object, escolhidos: Iterable[str]) -> Configuracao:
        escolhidos = list(escolhidos)
        if not escolhidos or set(escolhidos) - set(formatos.FORMATOS):
            raise DadosInvalidos(
                f"Formatos: escolha entre {', '.join(sorted(formatos.FORMATOS))}.",
                code="formatos_invalidos",
            )
        if not isinstance(max_bytes, int) or not 1 <= max_bytes <= MAX_BYTES_CONFIGURAVEL:
            raise DadosInvalidos("max_bytes entre 1 byte e 10 GiB.", code="limite_invalido")
        return cls(max_bytes, tuple(sorted(set(escolhidos))))


# -- content, codes, stamp, inputs ---------------------------------------------------


def sha256_de(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


def exigir_tamanho_do_conteudo(html: str) -> str:
    if len(html) > MAX_CONTEUDO:
        raise DadosInvalidos("Conteúdo grande demais.", code="conteudo_grande_demais")
    return html


def novo_codigo_verificacao() -> str:
    """10 random digits: what a citizen types on the public verification page."""
    return f"{secrets.randbelow(10**10):010d}"


def crc(ibge: str, codigo: str, sha256: str) -> str:
    """The CRC printed next to the code: ties the code to this municipality and content."""
    return f"{zlib.crc32(f'{ibge}|{codigo}|{sha256}'.encode()):08X}"


def carimbo(
    assinaturas: Iterable[Assinatura],
    codigo: str | None,
    crc_: str | None,
    url_conferencia: str,
    ibge: str,
) -> str:
    """The signature stamp shown when a document is rendered, in Brasília time."""
    linhas = []
    for a in assinaturas:
        quando = a.assinado_em.astimezone(BRASILIA)
        linhas.append(
            f"Documento assinado eletronicamente por {a.nome}, {a.cargo}, "
            f"em {quando:%d/%m/%Y}, às {quando:%H:%M}, conforme horário oficial de Brasília."
        )
    if codigo:
        linhas.append(
            "A autenticidade deste documento pode ser conferida em "
            f"{url_conferencia}?municipio={ibge}&codigo={codigo}&crc={crc_}, informando o "
            f"código verificador {codigo} e o código CRC {crc_}."
        )
    return "\n".join(linhas)


def validar_data(texto: object) -> str | None:
    if not texto:
        return None
    if not isinstance(texto, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", texto):
        raise DadosInvalidos("Data no formato AAAA-MM-DD.", code="data_invalida")
    try:
        datetime.strptime(texto, "%Y-%m-%d")
    except ValueError as exc:
        raise DadosInvalidos("Data inexistente.", code="data_invalida") from exc
    return texto


def validar_texto(valor: Any, campo: str, maximo: int, obrigatorio: bool = False) -> str | None:
    """One line of text, its runs of spaces made one, within `maximo` characters; None when
    empty (refused with `<campo>_obrigatorio` when `obrigatorio`)."""
    texto = " ".join(str(valor).split()) if valor is not None else ""
    if not texto:
        if obrigatorio:
            raise DadosInvalidos(f"{campo} é obrigatório.", code=f"{campo}_obrigatorio")
        return None
    if len(texto) > maximo:
        raise DadosInvalidos(f"{campo}: até {maximo} caracteres.", code=f"{campo}_longo")
    return texto


def validar_cargo(cargo: object) -> str:
    return validar_texto(cargo, "cargo", MAX_CARGO, obrigatorio=True) or ""

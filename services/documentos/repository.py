"""Loading and saving Documento aggregates (SQLAlchemy Core), their versions, signatures,
text, pending uploads, and their events.

`salvar` writes what a command changed (compared with the document as it was loaded),
then, for each fact the document recorded, the event in the outbox, built from the
document in memory: one transaction, no second read of what was just written.

Counters (order in the process, number in the municipality, number by the type's rule,
the process's sequence of document changes) are rows locked until the transaction ends,
so they never skip or repeat.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import asdict, fields, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.chassis.ator import Ator
from services.chassis.errors import Conflito
from services.chassis.event_consumer import registrar_evento
from services.chassis.outbox import record_event
from services.chassis.tenant import Tenant
from services.documentos import events, formatos
from services.documentos.domain import (
    CANCELADO,
    CHAVE_NUMERO,
    INTERNO,
    Assinatura,
    Configuracao,
    Documento,
    InclusaoExterna,
    Numeros,
    TextoExtraido,
    TipoDocumento,
    UploadPendente,
    chave_ordem,
    chave_seq,
    nao_encontrado,
)
from services.documentos.tables import (
    assinatura,
    configuracao,
    contador,
    documento,
    documento_texto,
    documento_versao,
    outbox,
    recebidos,
    upload_pendente,
)

# Columns a command may change (the rest is fixed when the document is included).
_CAMPOS_MUTAVEIS = (
    "situacao",
    "sha256",
    "tamanho",
    "versao_atual",
    "codigo",
    "crc",
    "cancelado_motivo",
    "cancelado_em",
    "atualizado_em",
)
_LISTAS = ("destinatarios", "interessados")  # JSON lists in the row
_ROW_FIELDS = tuple(f.name for f in fields(Documento) if f.name in documento.c)
_COLUNAS = tuple(n for n in _ROW_FIELDS if n not in _LISTAS)
_MAX_ERRO = documento_texto.c.erro.type.length


def _agora() -> datetime:
    return datetime.now(UTC)


def proximo(session: Session, chave: str) -> int:
    """The next value of a counter, locked until the caller's transaction ends."""
    for _ in range(2):
        valor = session.execute(
            update(contador)
            .where(contador.c.chave == chave)
            .values(ultimo=contador.c.ultimo + 1)
            .returning(contador.c.ultimo)
        ).scalar()
        if valor is not None:
            return valor
        try:
            with session.begin_nested():  # the counter's first value: create its row
                session.execute(insert(contador).values(chave=chave, ultimo=1))
            return 1
        except IntegrityError:
            continue  # another transaction created it first: take the next one after it
    raise Conflito("Contador ocupado; tente de novo.", code="contador_ocupado")


def _montar(linha: Any, assinaturas: Iterable[Any] = ()) -> Documento:
    """A Documento from its row and its signature rows (in signing order)."""
    doc = Documento(**{nome: getattr(linha, nome) for nome in _COLUNAS})
    for lista in _LISTAS:
        texto = getattr(linha, lista)
        setattr(doc, lista, json.loads(texto) if texto else [])
    doc.assinaturas = [_assinatura(a) for a in assinaturas]
    return doc


def _assinatura(a: Any) -> Assinatura:
    return Assinatura(
        usuario_id=a.usuario_id,
        login=a.usuario_login,
        nome=a.nome,
        cargo=a.cargo,
        unidade_id=a.unidade_id,
        unidade_sigla=a.unidade_sigla,
        sha256=a.sha256,
        versao=a.versao,
        assinado_em=a.assinado_em,
    )


def _copia(d: Documento) -> Documento:
    """What `salvar` compares with: the document as loaded (or as last saved)."""
    return replace(
        d,
        assinaturas=list(d.assinaturas),
        destinatarios=list(d.destinatarios),
        interessados=list(d.interessados),
        eventos=[],
    )


class DocumentoRepository:
    """The documents of one municipality, in the unit of work's session."""

    def __init__(self, session: Session, tenant: Tenant) -> None:
        self.session = session
        self.tenant = tenant
        self._carregados: dict[str, Documento] = {}

    # Finding

    def _linha(self, doc_id: str, travar: bool = False) -> Any:
        consulta = select(documento).where(documento.c.id == str(doc_id))
        linha = self.session.execute(consulta.with_for_update() if travar else consulta).first()
        if linha is None:
            raise nao_encontrado()
        return linha

    def _assinaturas(self, doc_ids: list[str]) -> dict[str, list[Any]]:
        """Signature rows of each document, in signing order: one statement."""
        por_doc: dict[str, list[Any]] = {doc_id: [] for doc_id in doc_ids}
        if not doc_ids:
            return por_doc
        condicao = (
            assinatura.c.documento_id == doc_ids[0]
            if len(doc_ids) == 1
            else assinatura.c.documento_id.in_(doc_ids)
        )
        linhas = self.session.execute(
            select(assinatura)
            .where(condicao)
            .order_by(assinatura.c.documento_id, assinatura.c.assinado_em)
        )
        for linha in linhas:
            por_doc[linha.documento_id].append(linha)
        return por_doc

    def _com_assinaturas(self, linhas: list[Any]) -> list[Documento]:
        assinaturas = self._assinaturas([linha.id for linha in linhas])
        return [_montar(linha, assinaturas[linha.id]) for linha in linhas]

    def para_ler(self, doc_id: str, assinaturas: bool = True) -> Documento:
        """The document and its signatures, before the access check (which needs its
        process); 404 if there is none. `assinaturas=False`: an uploaded file's signatures
        are not read (its bytes are what is wanted), an internal document's always are."""
        linha = self._linha(doc_id)
        if not assinaturas and linha.origem != INTERNO:
            return _montar(linha)
        return self._com_assinaturas([linha])[0]

    def para_operar(self, doc_id: str, conteudo: bool = False) -> Documento:
        """The document a command acts on, locked until the transaction ends, with its
        signatures; `conteudo`: an internal document's current HTML too (to sign it)."""
        doc = self._com_assinaturas([self._linha(doc_id, travar=True)])[0]
        if conteudo and doc.origem == INTERNO:
            doc.conteudo = self.html_atual(doc)
        self._carregados[doc.id] = _copia(doc)
        return doc

    def html_atual(self, doc: Documento) -> str:
        return self.session.execute(
            select(documento_versao.c.html).where(
                documento_versao.c.documento_id == doc.id,
                documento_versao.c.versao == doc.versao_atual,
            )
        ).scalar_one()

    def do_processo(self, processo_id: str) -> list[Documento]:
        """A process's documents in order, with their signatures: two statements."""
        linhas = self.session.execute(
            select(documento)
            .where(documento.c.processo_id == processo_id)
            .order_by(documento.c.ordem)
        ).all()
        return self._com_assinaturas(linhas)

    def por_codigo(self, codigo: str) -> Documento | None:
        """The document a verification code names, with its signatures."""
        linha = self.session.execute(select(documento).where(documento.c.codigo == codigo)).first()
        return None if linha is None else self._com_assinaturas([linha])[0]

    def pagina(self, apos: str | None, limite: int) -> list[Documento]:
        """Up to `limite` documents after the id `apos`, in id order, with their signatures
        and their extracted text (`texto`): three statements per page."""
        consulta = select(documento).order_by(documento.c.id).limit(limite)
        if apos is not None:
            consulta = consulta.where(documento.c.id > str(apos))
        docs = self._com_assinaturas(self.session.execute(consulta).all())
        if docs:
            textos = dict(
                self.session.execute(
                    select(documento_texto.c.documento_id, documento_texto.c.texto).where(
                        documento_texto.c.documento_id.in_([d.id for d in docs])
                    )
                ).all()
            )
            for doc in docs:
                doc.texto = textos.get(doc.id)
        return docs

    def seqs(self, processo_ids: Iterable[str]) -> dict[str, int]:
        """Each process's last sequence of document changes (0 when it had none)."""
        chaves = {chave_seq(pid): pid for pid in processo_ids}
        if not chaves:
            return {}
        linhas = self.session.execute(
            select(contador.c.chave, contador.c.ultimo).where(contador.c.chave.in_(chaves))
        )
        ultimos = dict(linhas.all())
        return {pid: int(ultimos.get(chave, 0)) for chave, pid in chaves.items()}

    def contar(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(documento)) or 0)

    def niveis_do_processo(self, processo_id: str) -> list[str]:
        """The access levels of a process's valid documents."""
        return list(
            self.session.scalars(
                select(documento.c.nivel_acesso).where(
                    documento.c.processo_id == processo_id, documento.c.situacao != CANCELADO
                )
            )
        )

    # Numbers

    def numeros(self, processo_id: str, tipo: TipoDocumento, unidade_id: str, ano: int) -> Numeros:
        """A new document's numbers: call inside the transaction that includes it, which
        holds the counters until it ends (in this order: process, type, municipality)."""
        ordem = proximo(self.session, chave_ordem(processo_id))
        chave = tipo.chave_contador(unidade_id, ano)
        do_tipo = proximo(self.session, chave) if chave else None
        return Numeros(ordem=ordem, numero=proximo(self.session, CHAVE_NUMERO), do_tipo=do_tipo)

    # Writing

    def adicionar(self, doc: Documento, ator: Ator) -> None:
        """A new document's row (and an internal one's first version); `salvar` then writes
        what it recorded."""
        linha = {nome: getattr(doc, nome) for nome in _COLUNAS}
        if doc.origem == INTERNO:
            for lista in _LISTAS:
                linha[lista] = json.dumps(getattr(doc, lista), ensure_ascii=False)
        self.session.execute(insert(documento).values(**linha))
        if doc.conteudo is not None:
            self._versao(doc, ator)
        self._carregados[doc.id] = _copia(doc)

    def salvar(self, doc: Documento, ator: Ator) -> None:
        """What changed since the document was loaded, then an outbox event for each fact it
        recorded: in the caller's transaction (never commits)."""
        antes = self._carregados[doc.id]
        if doc.versao_atual != antes.versao_atual:
            self._versao(doc, ator)
        mudou = {
            campo: getattr(doc, campo)
            for campo in _CAMPOS_MUTAVEIS
            if getattr(doc, campo) != getattr(antes, campo)
        }
        if mudou:
            self.session.execute(update(documento).where(documento.c.id == doc.id).values(**mudou))
        for nova in doc.assinaturas[len(antes.assinaturas) :]:
            self.session.execute(
                insert(assinatura).values(
                    id=uuid.uuid4().hex,
                    documento_id=doc.id,
                    usuario_id=nova.usuario_id,
                    usuario_login=nova.login,
                    nome=nova.nome,
                    cargo=nova.cargo,
                    unidade_id=nova.unidade_id,
                    unidade_sigla=nova.unidade_sigla,
                    sha256=nova.sha256,
                    versao=nova.versao,
                    assinado_em=nova.assinado_em,
                )
            )
        fatos, doc.eventos = doc.eventos, []
        if fatos:
            # Read once, after the change: the same for every fact of this save.
            niveis = self.niveis_do_processo(doc.processo_id)
            no_evento = events.documento_no_evento(doc)
        for fato in fatos:
            texto = None
            if isinstance(fato, TextoExtraido):
                texto = doc.texto
                self._texto(doc.id, fato, texto)
            # Locked with the change: processos applies the highest it has seen.
            seq = proximo(self.session, chave_seq(doc.processo_id))
            dados = events.dados(no_evento, niveis, seq, ator, fato, texto)
            record_event(self.session, outbox, events.routing_key(fato), doc.id, dados)
        self._carregados[doc.id] = _copia(doc)

    def _versao(self, doc: Documento, ator: Ator) -> None:
        """Every saved content of an internal document: edits never overwrite."""
        self.session.execute(
            insert(documento_versao).values(
                documento_id=doc.id,
                versao=doc.versao_atual,
                html=doc.conteudo,
                sha256=doc.sha256,
                usuario_id=ator.usuario_id,
                criado_em=doc.atualizado_em,
            )
        )

    def _texto(self, doc_id: str, fato: TextoExtraido, texto: str | None) -> None:
        texto_do_doc = documento_texto.c.documento_id == doc_id
        self.session.execute(delete(documento_texto).where(texto_do_doc))
        self.session.execute(
            insert(documento_texto).values(
                documento_id=doc_id,
                situacao=fato.situacao,
                texto=texto,
                erro=fato.erro[:_MAX_ERRO] if fato.erro else None,
                extraido_em=_agora(),
            )
        )

    # Uploads between "may I?" and "it is stored"

    def reservar_upload(self, upload: UploadPendente) -> None:
        self.session.execute(
            insert(upload_pendente).values(
                id=upload.id,
                processo_id=upload.processo_id,
                objeto_chave=upload.objeto_chave,
                metadados=json.dumps(asdict(upload.inclusao), ensure_ascii=False),
                usuario_id=upload.usuario_id,
                unidade_id=upload.unidade_id,
                max_bytes=upload.max_bytes,
                criado_em=upload.criado_em,
            )
        )

    def upload(self, upload_id: str, travar: bool = False) -> UploadPendente | None:
        """A pending upload; `travar`: locked until the transaction ends (to confirm it)."""
        consulta = select(upload_pendente).where(upload_pendente.c.id == str(upload_id))
        linha = self.session.execute(consulta.with_for_update() if travar else consulta).first()
        if linha is None:
            return None
        return UploadPendente(
            id=linha.id,
            processo_id=linha.processo_id,
            objeto_chave=linha.objeto_chave,
            inclusao=InclusaoExterna(**json.loads(linha.metadados)),
            usuario_id=linha.usuario_id,
            unidade_id=linha.unidade_id,
            max_bytes=linha.max_bytes,
            criado_em=linha.criado_em,
        )

    def esquecer_upload(self, upload_id: str) -> None:
        self.session.execute(delete(upload_pendente).where(upload_pendente.c.id == upload_id))

    def uploads_abandonados(self, antes_de: datetime) -> list[tuple[str, str]]:
        """(id, key) of uploads created before `antes_de` and never confirmed."""
        linhas = self.session.execute(
            select(upload_pendente.c.id, upload_pendente.c.objeto_chave).where(
                upload_pendente.c.criado_em < antes_de
            )
        )
        return [(linha.id, linha.objeto_chave) for linha in linhas]

    # The municipality's limits

    def configuracao(self, max_padrao: int) -> Configuracao:
        """The municipality's upload limit and formats; by default `max_padrao` and every
        format permitted by default."""
        linha = self.session.execute(select(configuracao).where(configuracao.c.id == 1)).first()
        if linha is None:
            return Configuracao(max_padrao, formatos.PERMITIDOS_PADRAO)
        return Configuracao(linha.max_bytes, tuple(linha.formatos.split(",")))

    def definir_configuracao(self, config: Configuracao) -> None:
        valores = {
            "max_bytes": config.max_bytes,
            "formatos": ",".join(config.formatos),
            "atualizado_em": _agora(),
        }
        feito = self.session.execute(
            update(configuracao).where(configuracao.c.id == 1).values(**valores)
        )
        if feito.rowcount == 0:
            self.session.execute(insert(configuracao).values(id=1, **valores))

    # Events

    def registrar_evento_recebido(self, evento_id: str) -> bool:
        """Record an applied event's id; False if it was applied before (deduplication)."""
        return registrar_evento(self.session, recebidos, evento_id, _agora())


# What every unit of work of documentos carries (`uow.documentos`).
REPOSITORIOS = {"documentos": DocumentoRepository}

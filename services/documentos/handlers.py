"""One function per documentos command, each one transaction in the municipality's schema.

Every change writes its event to the outbox in the same transaction. Counters
(order in the process, number in the municipality, number by the type's rule)
are rows locked until commit, so they never skip or repeat.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.chassis.ator import Ator
from services.chassis.errors import AcessoNegado, Conflito, DadosInvalidos
from services.chassis.event_consumer import registrar_evento
from services.chassis.niveis_acesso import checar_hipotese, validar_nivel
from services.chassis.outbox import record_event
from services.chassis.tenant_session import UnitOfWork
from services.documentos import dominio
from services.documentos.dominio import ASSINADO, CANCELADO, EDITAVEL, INCLUIDO
from services.documentos.extracao import texto_de_html
from services.documentos.formatos import FORMATOS, PERMITIDOS_PADRAO, exigir_formato, media_type
from services.documentos.sanitizacao import sanitizar_html
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

MAX_HTML = 2_000_000


def _agora() -> datetime:
    return datetime.now(UTC)


def _id() -> str:
    return uuid.uuid4().hex


# Counters and configuration


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
            with session.begin_nested():
                session.execute(insert(contador).values(chave=chave, ultimo=1))
            return 1
        except IntegrityError:
            continue
    raise Conflito("Contador ocupado; tente de novo.", code="contador_ocupado")


def limites(session: Session, max_padrao: int) -> dict[str, Any]:
    row = session.execute(select(configuracao).where(configuracao.c.id == 1)).first()
    if row is None:
        return {"max_bytes": max_padrao, "formatos": list(PERMITIDOS_PADRAO)}
    return {"max_bytes": row.max_bytes, "formatos": row.formatos.split(",")}


def ler_limites(uow: UnitOfWork, max_padrao: int) -> dict[str, Any]:
    with uow:
        return limites(uow.session, max_padrao)


def definir_limites(uow: UnitOfWork, max_bytes: int, formatos: list[str]) -> dict[str, Any]:
    desconhecidos = set(formatos) - set(FORMATOS)
    if desconhecidos or not formatos:
        raise DadosInvalidos(
            f"Formatos: escolha entre {', '.join(sorted(FORMATOS))}.",
            code="formatos_invalidos",
        )
    if not 1 <= int(max_bytes) <= 10 * 1024**3:
        raise DadosInvalidos("max_bytes entre 1 byte e 10 GiB.", code="limite_invalido")
    with uow:
        valores = {
            "max_bytes": int(max_bytes),
            "formatos": ",".join(sorted(set(formatos))),
            "atualizado_em": _agora(),
        }
        feito = uow.session.execute(
            update(configuracao).where(configuracao.c.id == 1).values(**valores)
        )
        if feito.rowcount == 0:
            uow.session.execute(insert(configuracao).values(id=1, **valores))
        uow.commit()
    return {"max_bytes": int(max_bytes), "formatos": sorted(set(formatos))}


# Reading state and writing events


def _linha(session: Session, doc_id: str, lock: bool = False) -> Any:
    query = select(documento).where(documento.c.id == str(doc_id))
    row = session.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise dominio.nao_encontrado()
    return row


def _assinantes(session: Session, doc_id: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(assinatura)
        .where(assinatura.c.documento_id == doc_id)
        .order_by(assinatura.c.assinado_em)
    )
    return [
        {
            "usuario_id": r.usuario_id,
            "nome": r.nome,
            "cargo": r.cargo,
            "unidade_sigla": r.unidade_sigla,
            "assinado_em": r.assinado_em.isoformat(),
            "sha256": r.sha256,
        }
        for r in rows
    ]


def resumo(row: Any, assinantes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": row.id,
        "processo_id": row.processo_id,
        "ordem": row.ordem,
        "numero": row.numero,
        "rotulo": row.rotulo,
        "origem": row.origem,
        "tipo_documento_id": row.tipo_documento_id,
        "tipo_nome": row.tipo_nome,
        "numero_tipo": row.numero_tipo,
        "nivel_acesso": row.nivel_acesso,
        "hipotese_legal": row.hipotese_legal_nome,
        "situacao": row.situacao,
        "unidade_id": row.unidade_id,
        "data_documento": row.data_documento,
        "numero_externo": row.numero_externo,
        "remetente": row.remetente,
        "formato": row.formato,
        "media_type": row.media_type,
        "nome_arquivo": row.nome_arquivo,
        "tamanho": row.tamanho,
        "sha256": row.sha256,
        "versao": row.versao_atual,
        "codigo_verificacao": row.codigo,
        "crc": row.crc,
        "cancelado_motivo": row.cancelado_motivo,
        "assinantes": [{k: v for k, v in a.items() if k != "sha256"} for a in assinantes],
        "criado_em": row.criado_em.isoformat(),
    }


def niveis_do_processo(session: Session, processo_id: str) -> list[str]:
    return list(
        session.scalars(
            select(documento.c.nivel_acesso).where(
                documento.c.processo_id == processo_id, documento.c.situacao != CANCELADO
            )
        )
    )


def _evento(
    session: Session,
    ator: Ator,
    tipo: str,
    doc_id: str,
    detalhes: dict[str, Any],
    texto: str | None = None,
    *,
    row: Any = None,
    assinantes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Write the event; return the document as it stands in this transaction, which is
    what the caller answers (no second read after the commit). `row` and `assinantes`,
    when the caller has them current, are not read again."""
    row = _linha(session, doc_id) if row is None else row
    doc = resumo(row, _assinantes(session, doc_id) if assinantes is None else assinantes)
    record_event(
        session,
        outbox,
        f"documento.{tipo}",
        doc_id,
        {
            "documento": doc,
            "niveis_documentos": niveis_do_processo(session, row.processo_id),
            # Locked with the change: processos applies the highest it has seen.
            "seq": proximo(session, f"seq:{row.processo_id}"),
            "unidade_id": ator.unidade_id,
            "usuario_id": ator.usuario_id,
            "usuario": ator.login,
            "detalhes": detalhes,
            "texto": texto,
        },
    )
    return doc


def _nivel(dados: dict[str, Any], diretorio: dict[str, Any]) -> tuple[str, str | None]:
    nivel = validar_nivel(dados.get("nivel_acesso") or "publico")
    nome = dados.get("hipotese_legal")
    hipotese = diretorio["hipoteses"].get(nome) if nome else None
    if nome and (hipotese is None or not hipotese["ativa"]):
        raise DadosInvalidos(
            f"Hipótese legal {nome!r} não encontrada.", code="hipotese_legal_nao_encontrada"
        )
    checar_hipotese(nivel, hipotese)
    return nivel, hipotese["nome"] if hipotese else None


def _numerar(
    session: Session, tipo: dict[str, Any], unidade_id: str, sigla: str | None, agora: datetime
) -> dict[str, Any]:
    """Numbers for a new document of `tipo`; call inside the transaction that inserts it."""
    chave = dominio.chave_contador(tipo, unidade_id, agora.year)
    n = proximo(session, chave) if chave else None
    numero = dominio.numero_tipo(tipo, n, agora.year)
    return {
        "numero": proximo(session, "municipio"),
        "numero_tipo": numero,
        "rotulo": dominio.rotulo(tipo, numero, sigla),
    }


# External documents: upload in three steps (prepare, stream to storage, confirm)


def preparar_upload(
    uow: UnitOfWork,
    ator: Ator,
    contexto: dict[str, Any],
    diretorio: dict[str, Any],
    metadados: dict[str, Any],
    prefixo: bytes,
    max_padrao: int,
) -> dict[str, Any]:
    """Check everything that can be checked before the file is stored, its format from
    its first bytes (`prefixo`) among the municipality's permitted ones; reserve a key."""
    dominio.exigir_acao_no_processo(contexto, "incluir_documento")
    unidade_id = ator.unidade_id or ""
    tipo = dominio.exigir_aplicacao(
        diretorio["tipos_documento"].get(str(metadados.get("tipo_documento") or "")), "externo"
    )
    nivel, hipotese = _nivel(metadados, diretorio)
    limpos = {
        "tipo_documento": tipo["id"],
        "nivel_acesso": nivel,
        "hipotese_legal": hipotese,
        "data_documento": dominio.validar_data(metadados.get("data_documento")),
        "numero_externo": dominio.texto_limitado(metadados.get("numero"), "numero", 60),
        "remetente": dominio.texto_limitado(metadados.get("remetente"), "remetente", 200),
        # The process's classification says "guarda permanente": keep the object forever.
        "guarda_permanente": contexto.get("plano_item_id") in set(diretorio["guarda_permanente"]),
    }
    upload_id, agora = _id(), _agora()
    chave = f"mun_{uow.tenant.ibge}/{agora:%Y/%m}/{upload_id}"
    with uow:
        config = limites(uow.session, max_padrao)
        limpos["formato"] = exigir_formato(prefixo, config["formatos"])  # or 415
        uow.session.execute(
            insert(upload_pendente).values(
                id=upload_id,
                processo_id=contexto["id"],
                objeto_chave=chave,
                metadados=json.dumps(limpos, ensure_ascii=False),
                usuario_id=ator.usuario_id,
                unidade_id=unidade_id,
                max_bytes=config["max_bytes"],
                criado_em=agora,
            )
        )
        uow.commit()
    formato = limpos["formato"]
    return {
        "upload_id": upload_id,
        "chave": chave,
        **config,
        "formato": formato,
        "media_type": media_type(formato),
        "guarda_permanente": limpos["guarda_permanente"],  # the PUT sets the legal hold
    }


def confirmar_upload(
    uow: UnitOfWork,
    ator: Ator,
    diretorio: dict[str, Any],
    upload_id: str,
    armazenado: dict[str, Any],
) -> dict[str, Any]:
    """The bytes are stored: record the document, in one transaction with its event.

    The key is the caller's own pending upload's, never taken from the call. What the
    gateway reports (size, hash) is recorded as reported: it wrote the object
    and the store's answer to that PUT is the proof (a HEAD here only asked the same again).
    """
    with uow:
        session = uow.session
        pendente = session.execute(
            select(upload_pendente).where(upload_pendente.c.id == str(upload_id)).with_for_update()
        ).first()
        if pendente is None or pendente.usuario_id != ator.usuario_id:
            raise Conflito("Envio desconhecido ou expirado.", code="upload_desconhecido")
        meta = json.loads(pendente.metadados)
        formato = meta["formato"]  # recognised in preparar_upload, not taken from the call
        tipo = diretorio["tipos_documento"][meta["tipo_documento"]]
        agora = _agora()
        sigla = diretorio["unidades"].get(pendente.unidade_id, {}).get("sigla")
        doc_id = _id()
        session.execute(
            insert(documento).values(
                id=doc_id,
                processo_id=pendente.processo_id,
                ordem=proximo(session, f"processo:{pendente.processo_id}"),
                origem="externo",
                tipo_documento_id=tipo["id"],
                tipo_nome=tipo["nome"],
                nivel_acesso=meta["nivel_acesso"],
                hipotese_legal_nome=meta["hipotese_legal"],
                unidade_id=pendente.unidade_id,
                usuario_id=ator.usuario_id,
                situacao=INCLUIDO,
                data_documento=meta["data_documento"],
                numero_externo=meta["numero_externo"],
                remetente=meta["remetente"],
                objeto_chave=pendente.objeto_chave,
                formato=formato,
                media_type=media_type(formato),
                nome_arquivo=dominio.texto_limitado(
                    armazenado.get("nome_arquivo"), "nome_arquivo", 200
                ),
                tamanho=int(armazenado["tamanho"]),
                sha256=str(armazenado["sha256"]),
                criado_em=agora,
                atualizado_em=agora,
                **_numerar(session, tipo, pendente.unidade_id, sigla, agora),
            )
        )
        session.execute(delete(upload_pendente).where(upload_pendente.c.id == pendente.id))
        doc = _evento(session, ator, "incluido", doc_id, {}, assinantes=[])
        uow.commit()
    doc["guarda_permanente"] = meta["guarda_permanente"]  # the gateway reports the hold
    return doc


def cancelar_upload(uow: UnitOfWork, ator: Ator, upload_id: str) -> str | None:
    """Forget an upload that failed; the object key to delete (the caller deletes it)."""
    with uow:
        pendente = uow.session.execute(
            select(upload_pendente).where(upload_pendente.c.id == str(upload_id))
        ).first()
        if pendente is None or pendente.usuario_id != ator.usuario_id:
            return None
        uow.session.execute(delete(upload_pendente).where(upload_pendente.c.id == pendente.id))
        uow.commit()
        return pendente.objeto_chave


def uploads_abandonados(uow: UnitOfWork, idade: timedelta) -> list[tuple[str, str]]:
    """(id, key) of uploads never confirmed (crash, database failure): the sweep removes them."""
    with uow:
        rows = uow.session.execute(
            select(upload_pendente.c.id, upload_pendente.c.objeto_chave).where(
                upload_pendente.c.criado_em < _agora() - idade
            )
        )
        return [(r.id, r.objeto_chave) for r in rows]


def esquecer_upload(uow: UnitOfWork, upload_id: str) -> None:
    with uow:
        uow.session.execute(delete(upload_pendente).where(upload_pendente.c.id == upload_id))
        uow.commit()


# Internal documents


def criar_interno(
    uow: UnitOfWork,
    ator: Ator,
    contexto: dict[str, Any],
    diretorio: dict[str, Any],
    dados: dict[str, Any],
) -> dict[str, Any]:
    dominio.exigir_acao_no_processo(contexto, "incluir_documento")
    tipo = dominio.exigir_aplicacao(
        diretorio["tipos_documento"].get(str(dados.get("tipo_documento") or "")), "interno"
    )
    nivel, hipotese = _nivel(dados, diretorio)
    html = sanitizar_html(str(dados.get("conteudo") or ""))
    if len(html) > MAX_HTML:
        raise DadosInvalidos("Conteúdo grande demais.", code="conteudo_grande_demais")
    destinatarios = [
        dominio.texto_limitado(d, "destinatario", 200, True)
        for d in dados.get("destinatarios") or []
    ]
    interessados = [
        dominio.texto_limitado(i, "interessado", 200, True) for i in dados.get("interessados") or []
    ]
    agora, doc_id = _agora(), _id()
    unidade_id = ator.unidade_id or ""
    sigla = diretorio["unidades"].get(unidade_id, {}).get("sigla")
    with uow:
        session = uow.session
        session.execute(
            insert(documento).values(
                id=doc_id,
                processo_id=contexto["id"],
                ordem=proximo(session, f"processo:{contexto['id']}"),
                origem="interno",
                tipo_documento_id=tipo["id"],
                tipo_nome=tipo["nome"],
                nivel_acesso=nivel,
                hipotese_legal_nome=hipotese,
                unidade_id=unidade_id,
                usuario_id=ator.usuario_id,
                situacao=EDITAVEL,
                destinatarios=json.dumps(destinatarios, ensure_ascii=False),
                interessados=json.dumps(interessados, ensure_ascii=False),
                formato="html",
                media_type="text/html",
                versao_atual=1,
                sha256=_sha(html),
                tamanho=len(html.encode()),
                criado_em=agora,
                atualizado_em=agora,
                **_numerar(session, tipo, unidade_id, sigla, agora),
            )
        )
        session.execute(
            insert(documento_versao).values(
                documento_id=doc_id,
                versao=1,
                html=html,
                sha256=_sha(html),
                usuario_id=ator.usuario_id,
                criado_em=agora,
            )
        )
        row = _linha(session, doc_id)
        doc = _evento(session, ator, "incluido", doc_id, {}, row=row, assinantes=[])
        _extraido(session, ator, doc_id, texto_de_html(html), agora, row=row)
        uow.commit()
        return doc


def _sha(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


def editar_interno(uow: UnitOfWork, ator: Ator, doc_id: str, html: str) -> dict[str, Any]:
    """A new version; refused once signed (409) or from another unit (403)."""
    html = sanitizar_html(str(html or ""))
    if len(html) > MAX_HTML:
        raise DadosInvalidos("Conteúdo grande demais.", code="conteudo_grande_demais")
    with uow:
        session = uow.session
        row = _linha(session, doc_id, lock=True)
        if row.origem != "interno":
            raise Conflito("Documento externo não se edita.", code="documento_externo")
        dominio.exigir_editavel(row.situacao)
        if row.unidade_id != ator.unidade_id:
            raise AcessoNegado(
                "Só a unidade que gerou o documento pode editá-lo.",
                code="documento_de_outra_unidade",
            )
        agora, versao = _agora(), row.versao_atual + 1
        session.execute(
            insert(documento_versao).values(
                documento_id=row.id,
                versao=versao,
                html=html,
                sha256=_sha(html),
                usuario_id=ator.usuario_id,
                criado_em=agora,
            )
        )
        session.execute(
            update(documento)
            .where(documento.c.id == row.id)
            .values(
                versao_atual=versao,
                sha256=_sha(html),
                tamanho=len(html.encode()),
                atualizado_em=agora,
            )
        )
        doc = _extraido(session, ator, row.id, texto_de_html(html), agora)
        uow.commit()
        return doc


def html_atual(session: Session, row: Any) -> str:
    return session.execute(
        select(documento_versao.c.html).where(
            documento_versao.c.documento_id == row.id,
            documento_versao.c.versao == row.versao_atual,
        )
    ).scalar_one()


# Reading


def carregar(uow: UnitOfWork, doc_id: str, assinantes_externos: bool = True) -> dict[str, Any]:
    """The record and its signers, before the access check (which needs the process).
    `assinantes_externos=False`: an uploaded file's signers are not read (its bytes are
    what is wanted)."""
    with uow:
        row = _linha(uow.session, doc_id)
        ler = assinantes_externos or row.origem != "externo"
        quem = _assinantes(uow.session, row.id) if ler else []
        return {"row": resumo(row, quem), "chave": row.objeto_chave}


def do_processo(uow: UnitOfWork, processo_id: str) -> list[dict[str, Any]]:
    with uow:
        rows = uow.session.execute(
            select(documento)
            .where(documento.c.processo_id == processo_id)
            .order_by(documento.c.ordem)
        ).all()
        return [resumo(r, _assinantes(uow.session, r.id)) for r in rows]


def snapshot(leitura: UnitOfWork, apos: str | None, limite: int) -> dict[str, Any]:
    """The municipality's documents as their events carry them (with the per-process
    `seq` and the extracted text), in id order, a page at a time: what the search index
    is rebuilt from. `proxima`: the next page's `apos`; `total` on the first page only."""
    limite = max(1, min(int(limite), 1000))
    consulta = select(documento).order_by(documento.c.id).limit(limite)
    if apos is not None:
        consulta = consulta.where(documento.c.id > str(apos))
    with leitura:
        s = leitura.session
        rows = s.execute(consulta).all()
        ids = [r.id for r in rows]
        textos = dict(
            s.execute(
                select(documento_texto.c.documento_id, documento_texto.c.texto).where(
                    documento_texto.c.documento_id.in_(ids)
                )
            ).all()
        )
        seqs = dict(
            s.execute(
                select(contador.c.chave, contador.c.ultimo).where(
                    contador.c.chave.in_({f"seq:{r.processo_id}" for r in rows})
                )
            ).all()
        )
        itens = [
            {
                "documento": resumo(r, _assinantes(s, r.id)),
                "seq": seqs.get(f"seq:{r.processo_id}", 0),
                "texto": textos.get(r.id),
            }
            for r in rows
        ]
        total = None
        if apos is None:
            total = s.scalar(select(func.count()).select_from(documento))
    return {"itens": itens, "proxima": ids[-1] if len(ids) == limite else None, "total": total}


def html_para_leitura(uow: UnitOfWork, doc_id: str) -> str:
    with uow:
        session = uow.session
        return html_atual(session, _linha(session, doc_id))


# Signatures


def assinar(
    uow: UnitOfWork,
    ator: Ator,
    doc_id: str,
    cargo: str,
    signatario: dict[str, Any],
    sigla: str | None,
) -> dict[str, Any]:
    """Record a signature over the SHA-256 of exactly the current content."""
    cargo = dominio.texto_limitado(cargo, "cargo", 120, obrigatorio=True)
    with uow:
        session = uow.session
        row = _linha(session, doc_id, lock=True)
        if row.situacao == CANCELADO:
            raise Conflito("Documento cancelado não se assina.", code="documento_cancelado")
        ja = session.execute(
            select(assinatura.c.id).where(
                assinatura.c.documento_id == row.id, assinatura.c.usuario_id == ator.usuario_id
            )
        ).first()
        if ja:
            raise Conflito("Você já assinou este documento.", code="ja_assinado")
        sha = _sha(html_atual(session, row)) if row.origem == "interno" else row.sha256
        agora = _agora()
        session.execute(
            insert(assinatura).values(
                id=_id(),
                documento_id=row.id,
                usuario_id=ator.usuario_id,
                usuario_login=ator.login,
                nome=signatario["nome"],
                cargo=cargo,
                unidade_id=ator.unidade_id,
                unidade_sigla=sigla,
                sha256=sha,
                versao=row.versao_atual,
                assinado_em=agora,
            )
        )
        valores: dict[str, Any] = {"atualizado_em": agora}
        if row.origem == "interno":
            valores["situacao"] = ASSINADO
        if row.codigo is None:
            codigo = dominio.novo_codigo_verificacao()
            valores["codigo"] = codigo
            valores["crc"] = dominio.crc(uow.tenant.ibge, codigo, sha)
        session.execute(update(documento).where(documento.c.id == row.id).values(**valores))
        doc = _evento(session, ator, "assinado", row.id, {"assinante": ator.login, "cargo": cargo})
        uow.commit()
        return doc


def cancelar(uow: UnitOfWork, ator: Ator, doc_id: str, motivo: str) -> dict[str, Any]:
    """The content stays stored; the document is no longer served as valid. Never deleted."""
    motivo = dominio.texto_limitado(motivo, "motivo", 500, obrigatorio=True)
    with uow:
        session = uow.session
        row = _linha(session, doc_id, lock=True)
        if row.situacao == CANCELADO:
            raise Conflito("O documento já foi cancelado.", code="documento_cancelado")
        agora = _agora()
        session.execute(
            update(documento)
            .where(documento.c.id == row.id)
            .values(
                situacao=CANCELADO,
                cancelado_motivo=motivo,
                cancelado_em=agora,
                atualizado_em=agora,
            )
        )
        doc = _evento(session, ator, "cancelado", row.id, {"motivo": motivo})
        uow.commit()
        return doc


def conferir(uow: UnitOfWork, codigo: str, crc: str) -> dict[str, Any]:
    """The public check: authentic or not, and what is public about it. Never the content."""
    codigo, crc = str(codigo).strip(), str(crc).strip().upper()
    with uow:
        session = uow.session
        row = session.execute(select(documento).where(documento.c.codigo == codigo)).first()
        if row is None or row.crc != crc:
            raise dominio.nao_encontrado()
        assinantes = _assinantes(session, row.id)
        return {
            "autentico": row.situacao != CANCELADO,
            "cancelado": row.situacao == CANCELADO,
            "tipo": row.tipo_nome,
            "rotulo": row.rotulo,
            "numero": row.numero,
            "data": row.criado_em.date().isoformat(),
            "nivel_acesso": row.nivel_acesso,
            "sha256": assinantes[0]["sha256"] if assinantes else row.sha256,
            "assinantes": [
                {
                    "nome": a["nome"],
                    "cargo": a["cargo"],
                    "unidade": a["unidade_sigla"],
                    "assinado_em": a["assinado_em"],
                }
                for a in assinantes
            ],
        }


# Extracted text (for search)


def _texto(
    session: Session, doc_id: str, situacao: str, texto: str | None, erro: str | None, agora: Any
) -> None:
    session.execute(delete(documento_texto).where(documento_texto.c.documento_id == doc_id))
    session.execute(
        insert(documento_texto).values(
            documento_id=doc_id, situacao=situacao, texto=texto, erro=erro, extraido_em=agora
        )
    )


def _extraido(
    session: Session, ator: Ator, doc_id: str, texto: str, agora: Any, row: Any = None
) -> dict[str, Any]:
    """An internal document's text is its HTML's: stored and announced at once."""
    _texto(session, doc_id, "extraido", texto, None, agora)
    detalhes = {"situacao": "extraido", "erro": None}
    return _evento(session, ator, "texto_extraido", doc_id, detalhes, texto, row=row)


def para_extrair(leitura: UnitOfWork, doc_id: str, evento_id: str) -> dict[str, Any] | None:
    """Where an uploaded file's text is read from, in one statement; None if this event was
    applied before (redelivered) or the document is not there."""
    aplicado = select(recebidos.c.id).where(recebidos.c.id == evento_id).exists()
    with leitura:
        row = leitura.session.execute(
            select(documento.c.objeto_chave, documento.c.tamanho, documento.c.formato).where(
                documento.c.id == str(doc_id), ~aplicado
            )
        ).first()
    if row is None:
        return None
    return {"chave": row.objeto_chave, "tamanho": row.tamanho or 0, "formato": row.formato}


def registrar_texto(
    uow: UnitOfWork, doc_id: str, texto: str | None, erro: str | None, evento_id: str
) -> None:
    """Store what extraction gave (or why it failed) and tell the search service, once per
    event: the event id is recorded in the same transaction."""
    sistema = Ator("sistema", "sistema", None)
    with uow:
        session = uow.session
        row = _linha(session, doc_id, lock=True)  # the text changes, the record does not
        if not registrar_evento(session, recebidos, evento_id, _agora()):
            return
        situacao = "falhou" if erro else "extraido"
        _texto(session, doc_id, situacao, texto, erro[:500] if erro else None, _agora())
        detalhes = {"situacao": situacao, "erro": erro}
        _evento(session, sistema, "texto_extraido", doc_id, detalhes, texto, row=row)
        uow.commit()

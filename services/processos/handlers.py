"""One function per processos command: lock the process, check the rules, write, record, commit.

Every change appends to the history (andamento) and writes its event to the
outbox in the same transaction; the caller's `on_commit` hook wakes the relay.
Reads return 404 for what the caller may not see, so existence does not leak.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    String,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError, ProgrammingError
from sqlalchemy.orm import Session

from services.chassis.call_context import Ator
from services.chassis.errors import Conflito, DadosInvalidos
from services.chassis.event_consumer import EventoInvalido, registrar_evento
from services.chassis.niveis_acesso import checar_hipotese, mais_restritivo, validar_nivel
from services.chassis.outbox import record_event
from services.chassis.prepared_statements import execute_statement
from services.chassis.tenant_session import UnitOfWork
from services.processos import dominio, nup
from services.processos.dominio import ABERTO, FECHADO, NAO_RECEBIDO, Processo, UnidadeNoProcesso
from services.processos.tables import (
    andamento,
    credencial,
    interessado,
    numeracao_config,
    numeracao_sequencia,
    outbox,
    processo,
    processo_unidade,
    relacao,
)

LIMITE_CAIXA = 200


def _agora() -> datetime:
    return datetime.now(UTC)


def _id() -> str:
    return uuid.uuid4().hex


# Numbering


def configuracao(session: Session, ibge: str) -> dict[str, str]:
    """The municipality's numbering; by default NUP with the IBGE code's last five digits."""
    row = session.execute(select(numeracao_config).where(numeracao_config.c.id == 1)).first()
    if row is None:
        return {"formato": "nup", "prefixo": ibge[2:]}
    return {"formato": row.formato, "prefixo": row.prefixo}


def ler_numeracao(uow: UnitOfWork) -> dict[str, str]:
    with uow:
        return configuracao(uow.session, uow.tenant.ibge)


def definir_numeracao(uow: UnitOfWork, formato: str, prefixo: str) -> dict[str, str]:
    """Change the format or prefix; a new prefix has its own sequences, so numbers never clash."""
    nup.validar_prefixo(formato, prefixo)
    with uow:
        valores = {"formato": formato, "prefixo": prefixo, "atualizado_em": _agora()}
        changed = uow.session.execute(
            update(numeracao_config).where(numeracao_config.c.id == 1).values(**valores)
        )
        if changed.rowcount == 0:
            uow.session.execute(insert(numeracao_config).values(id=1, **valores))
        uow.commit()
    return {"formato": formato, "prefixo": prefixo}


def proximo_numero(session: Session, formato: str, prefixo: str, ano: int) -> nup.Numero:
    """The next number of the year, in the caller's transaction.

    The sequence row stays locked until that transaction ends: concurrent creators
    (any replica) queue on it, and a rollback gives the number back, so the
    sequence never skips or repeats. Callers number last, just before commit.
    """
    chave = and_(numeracao_sequencia.c.prefixo == prefixo, numeracao_sequencia.c.ano == ano)
    for _ in range(2):
        ultimo = session.execute(
            update(numeracao_sequencia)
            .where(chave)
            .values(ultimo=numeracao_sequencia.c.ultimo + 1)
            .returning(numeracao_sequencia.c.ultimo)
        ).scalar()
        if ultimo is not None:
            return nup.gerar(formato, prefixo, ultimo, ano)
        try:
            with session.begin_nested():  # the year's first number: create its row
                session.execute(
                    insert(numeracao_sequencia).values(prefixo=prefixo, ano=ano, ultimo=1)
                )
            return nup.gerar(formato, prefixo, 1, ano)
        except IntegrityError:
            continue  # another transaction created it first: take the next one after it
    raise Conflito("Não foi possível numerar o processo; tente de novo.", code="numeracao_ocupada")


# Loading, history, events


def _estado(session: Session, processo_id: str, lock: bool) -> tuple[Any, Processo]:
    query = select(processo).where(processo.c.id == processo_id)
    row = session.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise dominio.nao_encontrado()
    unidades = {
        r.unidade_id: UnidadeNoProcesso(r.unidade_id, r.situacao, r.atribuido_a, r.marcador)
        for r in session.execute(
            select(processo_unidade).where(processo_unidade.c.processo_id == processo_id)
        )
    }
    credenciados = set(
        session.scalars(
            select(credencial.c.usuario_id).where(credencial.c.processo_id == processo_id)
        )
    )
    return row, _processo(row, unidades, credenciados)


def _processo(row: Any, unidades: dict[str, UnidadeNoProcesso], credenciados: set[str]) -> Processo:
    """The domain's view of a process row, its units and its credentials."""
    return Processo(
        row.id,
        row.numero,
        row.nivel_efetivo,
        row.sobrestado,
        row.principal_id,
        unidades,
        credenciados,
    )


def _visivel(session: Session, ator: Ator, processo_id: str, lock: bool) -> tuple[Any, Processo]:
    """The process if the caller may read it (an annexed one through its main); else 404."""
    row, estado = _estado(session, processo_id, lock)
    if not _principal_visivel(session, ator, estado):
        raise dominio.nao_encontrado()
    return row, estado


def resolver(session: Session, referencia: str) -> str:
    """A process id from its id or its number (with or without punctuation)."""
    referencia = str(referencia).strip()
    if len(referencia) == 32 and all(c in "0123456789abcdef" for c in referencia):
        return referencia
    numero = nup.ler(referencia)
    if numero is None:
        raise dominio.nao_encontrado()
    found = session.scalar(select(processo.c.id).where(processo.c.numero == numero.digitos))
    if found is None:
        raise dominio.nao_encontrado()
    return found


def _snapshot(session: Session, processo_id: str) -> dict[str, Any]:
    """The process as its events carry it, read in one statement (`_arredores`)."""
    row, arredores = _arredores(session, processo_id, _EVENTO)
    return _snapshot_de(
        row._mapping,
        _interessados(arredores),
        [{"unidade_id": u.c0, "situacao": u.c1} for u in arredores["u"]],
        sorted(c.c0 for c in arredores["c"]),
    )


def _interessados(arredores: dict[str, list[Any]]) -> list[dict[str, Any]]:
    return [
        {"nome": i.c0, "documento": i.c1} for i in sorted(arredores["i"], key=lambda i: int(i.c2))
    ]


def _snapshot_de(
    row: Any, interessados: list[dict], unidades: list[dict], credenciados: list[str]
) -> dict[str, Any]:
    numero = nup.Numero(row["formato"], row["numero"])
    return {
        "id": row["id"],
        "numero": row["numero"],
        "numero_formatado": numero.formatado,
        "versao": row["versao"],
        "tipo_processo_id": row["tipo_processo_id"],
        "tipo_nome": row["tipo_nome"],
        "especificacao": row["especificacao"],
        "classificacao": row["classificacao"],
        "nivel_acesso": row["nivel_acesso"],
        "nivel_efetivo": row["nivel_efetivo"],
        "hipotese_legal": row["hipotese_legal_nome"],
        "interessados": [{"nome": i["nome"], "documento": i["documento"]} for i in interessados],
        "unidade_geradora_id": row["unidade_geradora_id"],
        "unidades": sorted(
            ({"unidade_id": u["unidade_id"], "situacao": u["situacao"]} for u in unidades),
            key=lambda u: u["unidade_id"],
        ),
        "credenciados": credenciados,
        "principal_id": row["principal_id"],
        "sobrestado": row["sobrestado"],
        "criado_em": row["criado_em"].isoformat(),
        "atualizado_em": row["atualizado_em"].isoformat(),
    }


def _registrar(
    session: Session,
    ator: Ator,
    processo_id: str,
    tipo: str,
    detalhes: dict[str, Any],
    agora: datetime,
    valores: dict[str, Any] | None = None,
) -> None:
    """Append to the history, bump the version (with `valores`, the caller's own changes to
    the row, in the same UPDATE), and write the event: one transaction."""
    seq = session.scalar(
        select(func.coalesce(func.max(andamento.c.seq), 0)).where(
            andamento.c.processo_id == processo_id
        )
    )
    session.execute(
        insert(andamento).values(
            id=_id(),
            processo_id=processo_id,
            seq=seq + 1,
            tipo=tipo,
            unidade_id=ator.unidade_id,
            usuario_id=ator.usuario_id,
            usuario_login=ator.login,
            criado_em=agora,
            detalhes=json.dumps(detalhes, ensure_ascii=False),
        )
    )
    session.execute(
        update(processo)
        .where(processo.c.id == processo_id)
        .values(versao=processo.c.versao + 1, atualizado_em=agora, **(valores or {}))
    )
    _evento(session, ator, tipo, _snapshot(session, processo_id), detalhes)


def _evento(
    session: Session, ator: Ator, tipo: str, snapshot: dict[str, Any], detalhes: dict
) -> None:
    record_event(
        session,
        outbox,
        f"processo.{tipo}",
        snapshot["id"],
        {
            "processo": snapshot,
            "unidade_id": ator.unidade_id,
            "usuario_id": ator.usuario_id,
            "detalhes": detalhes,
        },
    )


# Opening a process


def gerar(
    uow: UnitOfWork,
    ator: Ator,
    diretorio: dict[str, Any],
    dados: dict[str, Any],
    agora: datetime | None = None,
) -> dict[str, Any]:
    """Open a process in the caller's unit and number it in the same transaction."""
    unidade_id = dominio.exigir_unidade(ator.unidade_id)
    tipo = diretorio["tipos"].get(str(dados.get("tipo_processo") or ""))
    if tipo is None or not tipo["ativo"]:
        raise DadosInvalidos(
            "Tipo de processo inexistente ou inativo.", code="tipo_processo_invalido"
        )
    especificacao = " ".join(str(dados.get("especificacao") or "").split())
    if not especificacao or len(especificacao) > 500:
        raise DadosInvalidos(
            "A especificação é obrigatória (até 500 caracteres).", code="especificacao_invalida"
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
    interessados = dominio.validar_interessados(list(dados.get("interessados") or []))
    observacoes = dados.get("observacoes")
    if observacoes is not None and len(str(observacoes)) > 1000:
        raise DadosInvalidos("Observações: até 1000 caracteres.", code="observacoes_longas")
    agora = agora or _agora()
    pid = _id()
    with uow:
        session = uow.session
        config = configuracao(session, uow.tenant.ibge)
        row = {
            "id": pid,
            "numero": None,
            "formato": config["formato"],
            "ano": agora.year,
            "tipo_processo_id": tipo["id"],
            "tipo_nome": tipo["nome"],
            "especificacao": especificacao,
            "classificacao": codigo,
            "plano_item_id": plano_item_id,
            "nivel_acesso": nivel,
            "hipotese_legal_id": hipotese["id"] if hipotese else None,
            "hipotese_legal_nome": hipotese["nome"] if hipotese else None,
            "nivel_documentos": "publico",
            "nivel_efetivo": nivel,
            "observacoes": observacoes,
            "unidade_geradora_id": unidade_id,
            "usuario_gerador_id": ator.usuario_id,
            "sobrestado": False,
            "sobrestado_motivo": None,
            "principal_id": None,
            "versao": 1,
            "criado_em": agora,
            "atualizado_em": agora,
        }
        session.execute(insert(processo).values(**row))
        if interessados:
            session.execute(insert(interessado), [{"processo_id": pid, **i} for i in interessados])
        no_gerador = {
            "processo_id": pid,
            "unidade_id": unidade_id,
            "situacao": ABERTO,
            "recebido_em": agora,
            "atualizado_em": agora,
        }
        session.execute(insert(processo_unidade).values(**no_gerador))
        credenciados = []
        if nivel == "sigiloso":  # whoever opens a sigiloso process holds its first credential
            session.execute(
                insert(credencial).values(
                    processo_id=pid,
                    usuario_id=ator.usuario_id,
                    concedida_por=ator.usuario_id,
                    concedida_em=agora,
                )
            )
            credenciados = [ator.usuario_id]
        session.execute(
            insert(andamento).values(
                id=_id(),
                processo_id=pid,
                seq=1,
                tipo="gerado",
                unidade_id=unidade_id,
                usuario_id=ator.usuario_id,
                usuario_login=ator.login,
                criado_em=agora,
                detalhes="{}",
            )
        )
        # Numbered last: the sequence row is locked only from here to the commit.
        numero = proximo_numero(session, config["formato"], config["prefixo"], agora.year)
        session.execute(update(processo).where(processo.c.id == pid).values(numero=numero.digitos))
        row["numero"] = numero.digitos
        snapshot = _snapshot_de(row, interessados, [no_gerador], credenciados)
        _evento(session, ator, "gerado", snapshot, {"numero": numero.formatado})
        uow.commit()
    return {"id": pid, "numero": numero.formatado, "versao": 1}


# Reading


def _partes_do_processo() -> tuple[Any, Any, Any]:
    """The statements behind `_arredores`, built once: built per call, SQLAlchemy's
    construction of the alias and the UNION took a quarter of a read's CPU in processos.
    Every table is aliased, so that only the FROM clauses name the municipality's schema:
    SQLAlchemy puts the schema in with a regular expression at each execution, and with
    52 qualified column names that took 40 % of the read's Python time."""
    pid = bindparam("pid", type_=String)

    def parte(tipo: str, *colunas: Any) -> Any:
        colunas = list(colunas) + [null()] * (4 - len(colunas))
        return [literal_column(f"'{tipo}'", String).label("tipo")] + [
            c.label(f"c{i}") for i, c in enumerate(colunas)
        ]

    pu, cr, it = processo_unidade.alias("pu"), credencial.alias("cr"), interessado.alias("it")
    ra, rb = relacao.alias("ra"), relacao.alias("rb")
    outro, proprio = processo.alias("outro"), processo.alias("proprio")
    acesso = [
        select(*parte("u", pu.c.unidade_id, pu.c.situacao, pu.c.atribuido_a, pu.c.marcador)).where(
            pu.c.processo_id == pid
        ),
        select(*parte("c", cr.c.usuario_id)).where(cr.c.processo_id == pid),
    ]
    interessados = select(
        *parte("i", it.c.nome, it.c.documento, cast(it.c.ordem, String(12)))
    ).where(it.c.processo_id == pid)
    relacoes = [
        select(*parte("a", outro.c.id, outro.c.numero, outro.c.formato)).where(
            outro.c.principal_id == pid
        ),
        # A relation from either side, each by its own index (an OR of the two made
        # PostgreSQL scan every process: 0.5 ms per read at 2,000 processes, growing).
        select(*parte("r", outro.c.id, outro.c.numero, outro.c.formato))
        .select_from(ra.join(outro, outro.c.id == ra.c.processo_b))
        .where(ra.c.processo_a == pid),
        select(*parte("r", outro.c.id, outro.c.numero, outro.c.formato))
        .select_from(rb.join(outro, outro.c.id == rb.c.processo_a))
        .where(rb.c.processo_b == pid),
        select(*parte("p", outro.c.id, outro.c.numero, outro.c.formato)).where(
            outro.c.id
            == select(proprio.c.principal_id).where(proprio.c.id == pid).scalar_subquery()
        ),
    ]
    p = processo.alias("p")

    def com_processo(partes: list[Any]) -> Any:
        """The process row joined to its parts: one row per part, all in one round trip."""
        x = union_all(*partes).subquery("x")
        return (
            select(p, x.c.tipo, x.c.c0, x.c.c1, x.c.c2, x.c.c3)
            .select_from(p.outerjoin(x, literal_column("1") == literal_column("1")))
            .where(p.c.id == pid)
        )

    return (
        com_processo(acesso),
        com_processo([*acesso, interessados]),
        com_processo([*acesso, interessados, *relacoes]),
    )


# The row with its units and credentials (the access check); with its parties too (what
# its events carry); and with its annexes, related processes and main process (a read).
_ACESSO, _EVENTO, _COMPLETO = _partes_do_processo()


def _arredores(session: Session, pid: str, query: Any = _COMPLETO) -> tuple[Any, dict]:
    """A process row and what `query` (one of the three above) gathers around it, in one
    statement (a UNION ALL joined to the row, portable to Oracle), by kind.
    404 if there is no such process."""
    rows = execute_statement(session.connection(), query, {"pid": pid})
    if not rows:
        raise dominio.nao_encontrado()
    por_tipo: dict[str, list[Any]] = {t: [] for t in "uciarp"}
    for r in rows:
        if r.tipo is not None:
            por_tipo[r.tipo].append(r)
    return rows[0], por_tipo


def _principal_visivel(session: Session, ator: Ator, estado: Processo) -> bool:
    """May the caller read this process? An annexed one is judged through its main one."""
    julgado, vistos = estado, {estado.id}
    while julgado.principal_id is not None and julgado.principal_id not in vistos:
        vistos.add(julgado.principal_id)
        _, julgado = _estado(session, julgado.principal_id, lock=False)
    return dominio.pode_ler(julgado, ator.unidade_id, ator.usuario_id)


def _lido(
    session: Session, ator: Ator, referencia: str, query: Any = _ACESSO
) -> tuple[Any, Processo, dict[str, list[Any]]]:
    """A process for reading, with what `query` gathers around it (`_arredores`), in one
    statement (two when found by number), if the caller may read it; else 404."""
    row, arredores = _arredores(session, resolver(session, referencia), query)
    estado = _processo(
        row,
        {u.c0: UnidadeNoProcesso(u.c0, u.c1, u.c2, u.c3) for u in arredores["u"]},
        {c.c0 for c in arredores["c"]},
    )
    if not _principal_visivel(session, ator, estado):
        raise dominio.nao_encontrado()
    return row, estado, arredores


def detalhe(
    leitura: UnitOfWork, escrita: Callable[[], UnitOfWork], ator: Ator, referencia: str
) -> dict[str, Any]:
    """The process as the caller sees it. One statement on a reading unit in the common
    case (the row with its units, credentials, parties, annexes and relations, see
    `_lido`; one more when found by number), where the access check needs nothing more.
    A destination unit opening it for the first time receives it (as SEI does): that
    alone takes a transaction, from `escrita`."""
    with leitura:
        row, estado, arredores = _lido(leitura.session, ator, referencia, _COMPLETO)
    if ator.unidade_id and estado.situacao_em(ator.unidade_id) == NAO_RECEBIDO:
        uow = escrita()
        with uow:
            _, estado = _estado(uow.session, row.id, lock=True)  # again, under the lock
            if estado.situacao_em(ator.unidade_id) == NAO_RECEBIDO and not estado.principal_id:
                _receber(uow.session, ator, row.id, _agora())
                uow.commit()
                return detalhe(leitura, escrita, ator, row.id)

    def numero(r: Any) -> dict[str, str]:
        return {"id": r.c0, "numero": nup.Numero(r.c2, r.c1).formatado}

    snapshot = _snapshot_de(
        row._mapping,
        _interessados(arredores),
        [{"unidade_id": u, "situacao": no.situacao} for u, no in estado.unidades.items()],
        sorted(estado.credenciados),
    )
    minha = estado.unidades.get(ator.unidade_id or "")
    return {
        **snapshot,
        "observacoes": row.observacoes,
        "sobrestado_motivo": row.sobrestado_motivo,
        "nivel_documentos": row.nivel_documentos,
        "usuario_gerador_id": row.usuario_gerador_id,
        "unidades": [
            {**u, "atribuido_a": estado.unidades[u["unidade_id"]].atribuido_a}
            for u in snapshot["unidades"]
        ],
        "anexos": sorted((numero(a) for a in arredores["a"]), key=lambda a: a["numero"]),
        "principal": numero(arredores["p"][0]) if arredores["p"] else None,
        "relacionados": sorted((numero(r) for r in arredores["r"]), key=lambda r: r["numero"]),
        "na_minha_unidade": {
            "situacao": minha.situacao,
            "atribuido_a": minha.atribuido_a,
            "marcador": minha.marcador,
        }
        if minha
        else None,
    }


def _numeros(session: Session, ids: list[str]) -> dict[str, dict[str, str]]:
    ids = [i for i in ids if i]
    if not ids:
        return {}
    rows = session.execute(
        select(processo.c.id, processo.c.numero, processo.c.formato).where(processo.c.id.in_(ids))
    )
    return {r.id: {"id": r.id, "numero": nup.Numero(r.formato, r.numero).formatado} for r in rows}


def andamentos(leitura: UnitOfWork, ator: Ator, referencia: str) -> list[dict[str, Any]]:
    with leitura:
        session = leitura.session
        row, _, _ = _lido(session, ator, referencia)
        rows = session.execute(
            select(andamento).where(andamento.c.processo_id == row.id).order_by(andamento.c.seq)
        )
        return [
            {
                "seq": r.seq,
                "tipo": r.tipo,
                "unidade_id": r.unidade_id,
                "usuario_id": r.usuario_id,
                "usuario": r.usuario_login,
                "em": r.criado_em.isoformat(),
                "detalhes": json.loads(r.detalhes),
            }
            for r in rows
        ]


# The lifecycle


def enviar(
    uow: UnitOfWork, ator: Ator, pid: str, destinos: list[str], manter_aberto: bool
) -> dict[str, Any]:
    """`destinos`: unit ids, already checked to be active units of the municipality."""
    with uow:
        pid = resolver(uow.session, pid)
        session = uow.session
        _, estado = _visivel(session, ator, pid, lock=True)
        origem = dominio.exigir_unidade(ator.unidade_id)
        dominio.checar_envio(estado, origem, destinos)
        agora = _agora()
        for destino in destinos:
            valores = {
                "situacao": NAO_RECEBIDO,
                "atribuido_a": None,
                "enviado_em": agora,
                "recebido_em": None,
                "atualizado_em": agora,
            }
            if destino in estado.unidades:
                session.execute(
                    update(processo_unidade)
                    .where(
                        processo_unidade.c.processo_id == pid,
                        processo_unidade.c.unidade_id == destino,
                    )
                    .values(**valores)
                )
            else:
                session.execute(
                    insert(processo_unidade).values(processo_id=pid, unidade_id=destino, **valores)
                )
        if not manter_aberto:
            _mudar(session, pid, origem, situacao=FECHADO, atribuido_a=None, atualizado_em=agora)
        detalhes = {"destinos": destinos, "manter_aberto": manter_aberto}
        _registrar(session, ator, pid, "enviado", detalhes, agora)
        uow.commit()
    return detalhes


def _alvo(session: Session, ator: Ator, referencia: str) -> tuple[str, Processo, str]:
    """The process an operation acts on, locked, if the caller may see it (404 otherwise),
    and the caller's current unit (409 without one)."""
    pid = resolver(session, referencia)
    _, estado = _visivel(session, ator, pid, lock=True)
    return pid, estado, dominio.exigir_unidade(ator.unidade_id)


def _mudar(session: Session, pid: str, unidade_id: str, **valores: Any) -> None:
    session.execute(
        update(processo_unidade)
        .where(processo_unidade.c.processo_id == pid, processo_unidade.c.unidade_id == unidade_id)
        .values(**valores)
    )


def _receber(session: Session, ator: Ator, pid: str, agora: datetime) -> None:
    _mudar(session, pid, ator.unidade_id, situacao=ABERTO, recebido_em=agora, atualizado_em=agora)
    _registrar(session, ator, pid, "recebido", {}, agora)


def receber(uow: UnitOfWork, ator: Ator, pid: str) -> None:
    with uow:
        pid, estado, unidade_id = _alvo(uow.session, ator, pid)
        dominio.checar_recebimento(estado, unidade_id)
        _receber(uow.session, ator, pid, _agora())
        uow.commit()


def concluir(uow: UnitOfWork, ator: Ator, pid: str) -> None:
    with uow:
        pid, estado, unidade_id = _alvo(uow.session, ator, pid)
        dominio.checar_conclusao(estado, unidade_id)
        agora = _agora()
        _mudar(
            uow.session, pid, unidade_id, situacao=FECHADO, atribuido_a=None, atualizado_em=agora
        )
        _registrar(uow.session, ator, pid, "concluido", {}, agora)
        uow.commit()


def reabrir(uow: UnitOfWork, ator: Ator, pid: str) -> None:
    with uow:
        pid, estado, unidade_id = _alvo(uow.session, ator, pid)
        dominio.checar_reabertura(estado, unidade_id)
        agora = _agora()
        _mudar(uow.session, pid, unidade_id, situacao=ABERTO, atualizado_em=agora)
        _registrar(uow.session, ator, pid, "reaberto", {}, agora)
        uow.commit()


def atribuir(
    uow: UnitOfWork, ator: Ator, pid: str, usuario: dict[str, Any] | None
) -> dict[str, Any]:
    """`usuario`: {id, login} of a user with a permission in the current unit; None removes."""
    with uow:
        pid, estado, unidade_id = _alvo(uow.session, ator, pid)
        dominio.exigir_aberto(estado, unidade_id)
        agora = _agora()
        atual = estado.unidades[unidade_id].atribuido_a
        novo = usuario["id"] if usuario else None
        if novo is None and atual is None:
            raise Conflito("O processo não está atribuído.", code="processo_nao_atribuido")
        if atual == novo:
            return {"atribuido_a": novo}
        _mudar(uow.session, pid, unidade_id, atribuido_a=novo, atualizado_em=agora)
        detalhes = {"usuario_id": novo, "usuario": usuario["login"] if usuario else None}
        _registrar(uow.session, ator, pid, "atribuido", detalhes, agora)
        uow.commit()
        return {"atribuido_a": novo}


def marcar(uow: UnitOfWork, ator: Ator, pid: str, texto: str | None) -> None:
    """The unit's own marker text on the process (filters the inbox); no event: unit-local."""
    texto = " ".join(texto.split()) if texto else None
    if texto and len(texto) > 100:
        raise DadosInvalidos("Marcador: até 100 caracteres.", code="marcador_longo")
    with uow:
        pid, estado, unidade_id = _alvo(uow.session, ator, pid)
        if estado.situacao_em(unidade_id) not in (ABERTO, NAO_RECEBIDO):
            raise Conflito(
                "O processo não está aberto na sua unidade.",
                code="processo_nao_aberto_na_unidade",
            )
        _mudar(uow.session, pid, unidade_id, marcador=texto)
        uow.commit()


def sobrestar(uow: UnitOfWork, ator: Ator, pid: str, motivo: str, sobrestado: bool) -> None:
    motivo = dominio.validar_motivo(motivo)
    with uow:
        pid, estado, unidade_id = _alvo(uow.session, ator, pid)
        dominio.checar_sobrestamento(estado, unidade_id, sobrestado)
        uow.session.execute(
            update(processo)
            .where(processo.c.id == pid)
            .values(sobrestado=sobrestado, sobrestado_motivo=motivo if sobrestado else None)
        )
        tipo = "sobrestado" if sobrestado else "sobrestamento_removido"
        _registrar(uow.session, ator, pid, tipo, {"motivo": motivo}, _agora())
        uow.commit()


def _cadeia(session: Session, pid: str) -> list[str]:
    """The main process of `pid`, its main, and so on (cycle-safe)."""
    cadeia: list[str] = []
    atual = session.scalar(select(processo.c.principal_id).where(processo.c.id == pid))
    while atual is not None and atual not in cadeia:
        cadeia.append(atual)
        atual = session.scalar(select(processo.c.principal_id).where(processo.c.id == atual))
    return cadeia


def _dois(session: Session, ator: Ator, pid: str, outro: str) -> tuple[Processo, Processo]:
    """Both processes locked in id order (no deadlock between opposite requests)."""
    estados = {uid: _visivel(session, ator, uid, lock=True)[1] for uid in sorted({pid, outro})}
    return estados[pid], estados[outro]


def anexar(uow: UnitOfWork, ator: Ator, pid: str, outro_ref: str, motivo: str) -> dict:
    motivo = dominio.validar_motivo(motivo)
    with uow:
        pid = resolver(uow.session, pid)
        session = uow.session
        outro = resolver(session, outro_ref)
        principal, anexado = _dois(session, ator, pid, outro)
        unidade_id = dominio.exigir_unidade(ator.unidade_id)
        dominio.checar_anexacao(principal, anexado, unidade_id, _cadeia(session, pid))
        agora = _agora()
        session.execute(update(processo).where(processo.c.id == outro).values(principal_id=pid))
        session.execute(
            update(processo_unidade)
            .where(
                processo_unidade.c.processo_id == outro,
                processo_unidade.c.situacao.in_((ABERTO, NAO_RECEBIDO)),
            )
            .values(situacao=FECHADO, atribuido_a=None, atualizado_em=agora)
        )
        numeros = _numeros(session, [pid, outro])
        _registrar(
            session, ator, pid, "anexado", {"anexado": numeros[outro], "motivo": motivo}, agora
        )
        _registrar(
            session, ator, outro, "anexado", {"principal": numeros[pid], "motivo": motivo}, agora
        )
        uow.commit()
        return {"principal": numeros[pid], "anexado": numeros[outro]}


def desanexar(uow: UnitOfWork, ator: Ator, pid: str, outro_ref: str, motivo: str) -> None:
    """The annexed process opens again in the current unit, on its own."""
    motivo = dominio.validar_motivo(motivo)
    with uow:
        pid = resolver(uow.session, pid)
        session = uow.session
        outro = resolver(session, outro_ref)
        principal, anexado = _dois(session, ator, pid, outro)
        unidade_id = dominio.exigir_unidade(ator.unidade_id)
        dominio.checar_desanexacao(principal, anexado, unidade_id)
        agora = _agora()
        session.execute(update(processo).where(processo.c.id == outro).values(principal_id=None))
        valores = {"situacao": ABERTO, "recebido_em": agora, "atualizado_em": agora}
        if unidade_id in anexado.unidades:
            _mudar(session, outro, unidade_id, **valores)
        else:
            session.execute(
                insert(processo_unidade).values(processo_id=outro, unidade_id=unidade_id, **valores)
            )
        numeros = _numeros(session, [pid, outro])
        _registrar(
            session, ator, pid, "desanexado", {"anexado": numeros[outro], "motivo": motivo}, agora
        )
        _registrar(
            session, ator, outro, "desanexado", {"principal": numeros[pid], "motivo": motivo}, agora
        )
        uow.commit()


def relacionar(uow: UnitOfWork, ator: Ator, pid: str, outro_ref: str, relacionar: bool) -> None:
    with uow:
        pid = resolver(uow.session, pid)
        session = uow.session
        outro = resolver(session, outro_ref)
        if outro == pid:
            raise Conflito(
                "Um processo não se relaciona consigo mesmo.", code="relacao_consigo_mesmo"
            )
        _dois(session, ator, pid, outro)
        a, b = sorted((pid, outro))
        chave = and_(relacao.c.processo_a == a, relacao.c.processo_b == b)
        existe = session.execute(select(relacao.c.processo_a).where(chave)).first() is not None
        if relacionar and existe:
            raise Conflito("Os processos já estão relacionados.", code="processos_ja_relacionados")
        if not relacionar and not existe:
            raise Conflito("Os processos não estão relacionados.", code="relacao_inexistente")
        agora = _agora()
        if relacionar:
            session.execute(insert(relacao).values(processo_a=a, processo_b=b, criado_em=agora))
        else:
            session.execute(delete(relacao).where(chave))
        tipo = "relacionado" if relacionar else "relacao_removida"
        numeros = _numeros(session, [pid, outro])
        _registrar(session, ator, pid, tipo, {"outro": numeros[outro]}, agora)
        _registrar(session, ator, outro, tipo, {"outro": numeros[pid]}, agora)
        uow.commit()


def dar_ciencia(uow: UnitOfWork, ator: Ator, pid: str) -> None:
    with uow:
        pid, estado, unidade_id = _alvo(uow.session, ator, pid)
        if estado.situacao_em(unidade_id) is None and estado.nivel_efetivo != "sigiloso":
            raise Conflito(
                "Só dá ciência uma unidade por onde o processo passou.",
                code="processo_nunca_esteve_na_unidade",
            )
        _registrar(uow.session, ator, pid, "ciencia", {}, _agora())
        uow.commit()


# Credentials (sigiloso)


def credenciar(
    uow: UnitOfWork, ator: Ator, pid: str, usuario: dict[str, Any], conceder: bool
) -> None:
    """Grant (holder to another user), renounce (holder, self) or revoke (holder, another)."""
    with uow:
        pid = resolver(uow.session, pid)
        session = uow.session
        _, estado = _visivel(session, ator, pid, lock=True)
        if estado.nivel_efetivo != "sigiloso":
            raise Conflito(
                "Credenciais existem só em processos sigilosos.", code="processo_nao_sigiloso"
            )
        alvo = usuario["id"]
        agora = _agora()
        if conceder:
            if alvo in estado.credenciados:
                raise Conflito("O usuário já tem credencial.", code="credencial_existente")
            session.execute(
                insert(credencial).values(
                    processo_id=pid,
                    usuario_id=alvo,
                    concedida_por=ator.usuario_id,
                    concedida_em=agora,
                )
            )
            tipo = "credencial_concedida"
        else:
            if alvo not in estado.credenciados:
                raise Conflito("O usuário não tem credencial.", code="credencial_inexistente")
            if estado.credenciados == {alvo}:
                raise Conflito(
                    "A última credencial não pode sair: o processo ficaria inacessível.",
                    code="ultima_credencial",
                )
            session.execute(
                delete(credencial).where(
                    credencial.c.processo_id == pid, credencial.c.usuario_id == alvo
                )
            )
            tipo = "credencial_renunciada" if alvo == ator.usuario_id else "credencial_cassada"
        _registrar(
            session, ator, pid, tipo, {"usuario_id": alvo, "usuario": usuario["login"]}, agora
        )
        uow.commit()


# The inbox


GRUPOS = ("recebidos", "nao_recebidos", "atribuidos")


def _cursor(atualizado_em: datetime, processo_id: str) -> str:
    raw = f"{atualizado_em.isoformat()}|{processo_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _ler_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        quando, pid = raw.split("|")
        return datetime.fromisoformat(quando), pid
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise DadosInvalidos("Cursor de página inválido.", code="cursor_invalido") from exc


def caixa(
    uow: UnitOfWork,
    ator: Ator,
    grupo: str = "recebidos",
    tipo_processo: str | None = None,
    marcador: str | None = None,
    limite: int = 50,
    apos: str | None = None,
) -> dict[str, Any]:
    """The processes open in the caller's unit, newest change first, by keyset pages."""
    unidade_id = dominio.exigir_unidade(ator.unidade_id)
    if grupo not in GRUPOS:
        raise DadosInvalidos(f"grupo: um de {', '.join(GRUPOS)}.", code="grupo_invalido")
    limite = max(1, min(int(limite), LIMITE_CAIXA))
    pu, p = processo_unidade, processo
    query = (
        select(
            p.c.id,
            p.c.numero,
            p.c.formato,
            p.c.tipo_processo_id,
            p.c.tipo_nome,
            p.c.especificacao,
            p.c.nivel_efetivo,
            p.c.sobrestado,
            pu.c.situacao,
            pu.c.atribuido_a,
            pu.c.marcador,
            pu.c.atualizado_em,
        )
        .select_from(pu.join(p, p.c.id == pu.c.processo_id))
        .where(pu.c.unidade_id == unidade_id)
    )
    if grupo == "nao_recebidos":
        query = query.where(pu.c.situacao == NAO_RECEBIDO)
    elif grupo == "recebidos":
        query = query.where(pu.c.situacao == ABERTO)
    else:
        query = query.where(pu.c.atribuido_a == ator.usuario_id, pu.c.situacao == ABERTO)
    # Sigiloso only for credentialed users, inside the query so pages never reveal it.
    query = query.where(
        or_(
            p.c.nivel_efetivo != "sigiloso",
            select(credencial.c.usuario_id)
            .where(credencial.c.processo_id == p.c.id, credencial.c.usuario_id == ator.usuario_id)
            .exists(),
        )
    )
    if tipo_processo:
        query = query.where(p.c.tipo_processo_id == tipo_processo)
    if marcador:
        query = query.where(func.lower(pu.c.marcador).contains(marcador.lower(), autoescape=True))
    if apos:
        quando, ultimo = _ler_cursor(apos)
        # The first condition bounds the index scan (an OR alone makes PostgreSQL filter
        # every newer row: 24 ms for the last page at 100,000, against 0.3 ms); row-value
        # comparison would do the same but Oracle has no `(a, b) < (x, y)`.
        query = query.where(
            pu.c.atualizado_em <= quando,
            or_(
                pu.c.atualizado_em < quando,
                and_(pu.c.atualizado_em == quando, pu.c.processo_id < ultimo),
            ),
        )
    query = query.order_by(pu.c.atualizado_em.desc(), pu.c.processo_id.desc()).limit(limite + 1)
    with uow:
        rows = uow.session.execute(query).all()
    pagina = rows[:limite]
    return {
        "itens": [
            {
                "id": r.id,
                "numero": nup.Numero(r.formato, r.numero).formatado,
                "tipo_processo_id": r.tipo_processo_id,
                "tipo_nome": r.tipo_nome,
                "especificacao": r.especificacao,
                "nivel_efetivo": r.nivel_efetivo,
                "sobrestado": r.sobrestado,
                "situacao": r.situacao,
                "atribuido_a": r.atribuido_a,
                "marcador": r.marcador,
                "atualizado_em": r.atualizado_em.isoformat(),
            }
            for r in pagina
        ],
        "proxima": _cursor(pagina[-1].atualizado_em, pagina[-1].id) if len(rows) > limite else None,
    }


def unidade_tem_processos_abertos(uow: UnitOfWork, unidade_id: str) -> bool:
    with uow:
        return (
            uow.session.execute(
                select(processo_unidade.c.processo_id)
                .where(
                    processo_unidade.c.unidade_id == unidade_id,
                    processo_unidade.c.situacao.in_((ABERTO, NAO_RECEBIDO)),
                )
                .limit(1)
            ).first()
            is not None
        )


def nivel_efetivo(proprio: str, documentos: list[str]) -> str:
    """The effective level of a process: the most restrictive of its own and its documents'."""
    return mais_restritivo([proprio, *documentos])


def contexto_documental(leitura: UnitOfWork, ator: Ator, referencia: str) -> dict[str, Any]:
    """What documentos needs to decide on a process's documents; 404 if the caller may not
    read the process. `unidades`: every unit it has reached (restricted documents follow them)."""
    with leitura:
        session = leitura.session
        row, estado, _ = _lido(session, ator, referencia)
        pid = row.id
        principal = estado
        if estado.principal_id:
            principal = _estado(session, _cadeia(session, pid)[-1], lock=False)[1]
        return {
            "id": pid,
            "numero": nup.Numero(row.formato, row.numero).formatado,
            "nivel_efetivo": row.nivel_efetivo,
            "aberto_na_unidade": estado.situacao_em(ator.unidade_id) == ABERTO,
            "concluido": not estado.aberto_em() and not estado.principal_id,
            "anexado": estado.principal_id is not None,
            "unidades": sorted(set(estado.unidades) | set(principal.unidades)),
            "credenciado": ator.usuario_id in (estado.credenciados | principal.credenciados),
            "plano_item_id": row.plano_item_id,
        }


def aplicar_evento_documento(uow: UnitOfWork, evento: dict[str, Any], recebidos: Any) -> bool:
    """A document was included, signed or cancelled: history and, when newer, the levels.

    Idempotent (the event id is recorded in the same transaction) and order-safe
    (the levels carry documentos' per-process sequence; an older one is ignored).
    False when the event had been applied before.
    """
    dados = evento.get("data") or {}
    documento = dados.get("documento") or {}
    pid = documento.get("processo_id")
    if not isinstance(pid, str):
        raise EventoInvalido("evento de documento sem processo")
    tipo = evento["type"].removeprefix("documento.")
    agora = _agora()
    with uow:
        session = uow.session
        try:
            if not registrar_evento(session, recebidos, evento["id"], agora):
                return False
        except ProgrammingError as exc:  # no such schema: a municipality that does not exist
            raise EventoInvalido("município sem schema") from exc
        row = session.execute(
            select(processo).where(processo.c.id == pid).with_for_update()
        ).first()
        if row is None:
            raise EventoInvalido("processo inexistente neste município")
        ator = Ator(
            dados.get("usuario_id") or "sistema",
            dados.get("usuario") or "sistema",
            dados.get("unidade_id"),
        )
        detalhes = {
            "documento_id": documento.get("id"),
            "documento": documento.get("rotulo"),
            "ordem": documento.get("ordem"),
        }
        if tipo == "cancelado":
            detalhes["motivo"] = dados.get("detalhes", {}).get("motivo")
        seq = int(dados.get("seq") or 0)
        niveis_novos = None
        if seq > row.niveis_documentos_seq:
            niveis = [validar_nivel(n) for n in dados.get("niveis_documentos") or []]
            efetivo = nivel_efetivo(row.nivel_acesso, niveis)
            if efetivo != row.nivel_efetivo:
                detalhes["nivel_efetivo"] = {"de": row.nivel_efetivo, "para": efetivo}
            niveis_novos = {
                "niveis_documentos_seq": seq,
                "nivel_documentos": mais_restritivo(niveis),
                "nivel_efetivo": efetivo,
            }
        _registrar(session, ator, pid, f"documento_{tipo}", detalhes, agora, niveis_novos)
        uow.commit()
        return True

"""Loading and saving Processo aggregates (SQLAlchemy Core), their history and their events.

`salvar` writes what a command changed (compared with the process as it was loaded),
then, for each fact the process recorded, the history entry (andamento) and the event
in the outbox, built from the process in memory: one transaction, no second read.

Reads gather a process and what surrounds it (units, credentials, parties, annexes,
relations, main process) in one statement: a UNION ALL of named columns joined to the
process row, built once at import (built per call, SQLAlchemy's construction took a
quarter of a read's CPU) and prepared on PostgreSQL. Every table is aliased, so only
the FROM clauses name the municipality's schema: SQLAlchemy puts the schema in with a
regular expression at each execution, and qualified column names made that costly.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import MISSING, dataclass, fields
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal_column,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError, ProgrammingError
from sqlalchemy.orm import Session

from services.chassis.ator import Ator
from services.chassis.errors import Conflito
from services.chassis.event_consumer import EventoInvalido, registrar_evento
from services.chassis.outbox import record_event
from services.chassis.prepared_statements import execute_statement
from services.chassis.tenant import Tenant
from services.processos import events, nup
from services.processos.domain import (
    Interessado,
    Processo,
    ProcessoGerado,
    RefProcesso,
    UnidadeNoProcesso,
    nao_encontrado,
)
from services.processos.tables import (
    andamento,
    credencial,
    interessado,
    numeracao_config,
    numeracao_sequencia,
    outbox,
    processo,
    processo_unidade,
    recebidos,
    relacao,
)

# Row fields a command may change (the rest is fixed when the process is opened).
_CAMPOS_MUTAVEIS = (
    "numero",
    "nivel_documentos",
    "nivel_efetivo",
    "niveis_documentos_seq",
    "sobrestado",
    "sobrestado_motivo",
    "principal_id",
    "versao",
    "atualizado_em",
)
_CAMPOS_DA_UNIDADE = tuple(f.name for f in fields(UnidadeNoProcesso) if f.name != "unidade_id")
# Read in one C call each (attrgetter): a command compares them at every save.
_mutaveis = attrgetter(*_CAMPOS_MUTAVEIS)


@dataclass(frozen=True)
class Arredores:
    """What a full read shows around a process, by number."""

    anexos: list[RefProcesso]
    relacionados: list[RefProcesso]
    principal: RefProcesso | None


# -- the statements, built once ------------------------------------------------------

_pid = bindparam("pid", type_=String)
_pu, _cr, _it = processo_unidade.alias("pu"), credencial.alias("cr"), interessado.alias("it")
_ra, _rb = relacao.alias("ra"), relacao.alias("rb")
_outro, _proprio, _an = processo.alias("outro"), processo.alias("proprio"), andamento.alias("an")


def _uniao(colunas: dict[str, Any], *partes: tuple[str, dict[str, Any], Any]) -> Any:
    """A UNION ALL with the named `colunas` (name -> type); each part (`parte`, its values
    by column name, its FROM and WHERE as a select) fills its own and leaves the rest as
    typed NULLs (PostgreSQL resolves each pair of a UNION's inputs in turn: untyped NULLs
    in the first two would make a column text)."""
    selects = []
    for nome, valores, consulta in partes:
        selecionadas = [literal_column(f"'{nome}'", String).label("parte")]
        for coluna, tipo in colunas.items():
            valor = valores.get(coluna)
            selecionadas.append((cast(null(), tipo) if valor is None else valor).label(coluna))
        selects.append(consulta.with_only_columns(*selecionadas))
    return union_all(*selects)


_UNIDADE_CURTA = {
    "unidade_id": String(32),
    "situacao": String(12),
    "atribuido_a": String(32),
    "marcador": String(100),
}
_ACESSO_COLUNAS = {**_UNIDADE_CURTA, "usuario_id": String(32)}
_DETALHE_COLUNAS = {
    **_ACESSO_COLUNAS,
    "interessado_nome": String(200),
    "interessado_documento": String(14),
    "interessado_ordem": Integer,
    "outro_id": String(32),
    "outro_numero": String(20),
}
_OPERACAO_COLUNAS = {
    **_DETALHE_COLUNAS,
    "enviado_em": processo_unidade.c.enviado_em.type,
    "recebido_em": processo_unidade.c.recebido_em.type,
    "unidade_atualizada_em": processo_unidade.c.atualizado_em.type,
    "ultimo_seq": Integer,
}


def _unidades(com_datas: bool) -> tuple[str, dict[str, Any], Any]:
    valores = {c: _pu.c[c] for c in _UNIDADE_CURTA}
    if com_datas:
        valores.update(
            enviado_em=_pu.c.enviado_em,
            recebido_em=_pu.c.recebido_em,
            unidade_atualizada_em=_pu.c.atualizado_em,
        )
    return "unidade", valores, select(_pu.c.processo_id).where(_pu.c.processo_id == _pid)


_CREDENCIAIS = (
    "credencial",
    {"usuario_id": _cr.c.usuario_id},
    select(_cr.c.processo_id).where(_cr.c.processo_id == _pid),
)
_INTERESSADOS = (
    "interessado",
    {
        "interessado_nome": _it.c.nome,
        "interessado_documento": _it.c.documento,
        "interessado_ordem": _it.c.ordem,
    },
    select(_it.c.processo_id).where(_it.c.processo_id == _pid),
)
# Another process, by id and number (its format follows from the number's length).
_OUTRO = {"outro_id": _outro.c.id, "outro_numero": _outro.c.numero}
# A relation from either side, each by its own index (an OR of the two made PostgreSQL
# scan every process: 0.5 ms per read at 2,000 processes, growing).
_RELACIONADOS = (
    (
        "relacionado",
        _OUTRO,
        select(_outro.c.id)
        .select_from(_ra.join(_outro, _outro.c.id == _ra.c.processo_b))
        .where(_ra.c.processo_a == _pid),
    ),
    (
        "relacionado",
        _OUTRO,
        select(_outro.c.id)
        .select_from(_rb.join(_outro, _outro.c.id == _rb.c.processo_a))
        .where(_rb.c.processo_b == _pid),
    ),
)
_ANEXOS = ("anexo", _OUTRO, select(_outro.c.id).where(_outro.c.principal_id == _pid))
_PRINCIPAL = (
    "principal",
    _OUTRO,
    select(_outro.c.id).where(
        _outro.c.id
        == select(_proprio.c.principal_id).where(_proprio.c.id == _pid).scalar_subquery()
    ),
)
_ULTIMO_SEQ = (
    "ultimo_seq",
    {"ultimo_seq": func.max(_an.c.seq)},
    select(_an.c.processo_id).where(_an.c.processo_id == _pid),
)


# The process's columns a read needs, first in its rows, in this order (a command's load
# takes the whole row); then `parte` and the parts' named columns.
_LIDAS = (
    "id",
    "numero",
    "formato",
    "tipo_processo_id",
    "tipo_nome",
    "especificacao",
    "classificacao",
    "plano_item_id",
    "nivel_acesso",
    "hipotese_legal_nome",
    "nivel_documentos",
    "nivel_efetivo",
    "observacoes",
    "unidade_geradora_id",
    "usuario_gerador_id",
    "sobrestado",
    "sobrestado_motivo",
    "principal_id",
    "versao",
    "criado_em",
    "atualizado_em",
)


def _com_processo(lidas: tuple[str, ...], colunas: dict[str, Any], partes: Any) -> Any:
    """The process row joined to its parts: one row per part, all in one round trip."""
    p, x = processo.alias("p"), partes.subquery("x")
    return (
        select(*(p.c[c] for c in lidas), x.c.parte, *(x.c[c] for c in colunas))
        .select_from(p.outerjoin(x, literal_column("1") == literal_column("1")))
        .where(p.c.id == _pid)
    )


def _posicoes(colunas: dict[str, Any], primeira: int) -> dict[str, int]:
    """Where `parte` and each named column of the parts sit in a statement's rows: rows
    are read by position (a Row's attribute lookup, and its failure for a column a
    statement lacks, cost a read more than the rest of its decoding)."""
    return {nome: i for i, nome in enumerate(("parte", *colunas), start=primeira)}


# Every column of a row costs a read (SQLAlchemy describes each one per execution of
# a prepared statement): each statement takes only what its answers use.
_LIDAS_NO_DETALHE = tuple(c for c in _LIDAS if c != "plano_item_id")
# The access check: the row with its units and credentials.
LEITURA = _com_processo(
    _LIDAS, _ACESSO_COLUNAS, _uniao(_ACESSO_COLUNAS, _unidades(False), _CREDENCIAIS)
)
# A full read: with its parties, annexes, related processes and main process too.
DETALHE = _com_processo(
    _LIDAS_NO_DETALHE,
    _DETALHE_COLUNAS,
    _uniao(
        _DETALHE_COLUNAS,
        _unidades(False),
        _CREDENCIAIS,
        _INTERESSADOS,
        _ANEXOS,
        *_RELACIONADOS,
        _PRINCIPAL,
    ),
)
# A command's load, after the row is locked: all a process's saved state holds.
OPERACAO = _uniao(
    _OPERACAO_COLUNAS,
    _unidades(True),
    _CREDENCIAIS,
    _INTERESSADOS,
    *_RELACIONADOS,
    _ULTIMO_SEQ,
)
_EM_LEITURA = _posicoes(_ACESSO_COLUNAS, len(_LIDAS))
_EM_DETALHE = _posicoes(_DETALHE_COLUNAS, len(_LIDAS_NO_DETALHE))
_EM_OPERACAO = _posicoes(_OPERACAO_COLUNAS, 0)


def _agora() -> datetime:
    return datetime.now(UTC)


_ROW_FIELDS = tuple(f for f in fields(Processo) if f.name in processo.c)
_ROW_NAMES = tuple(f.name for f in _ROW_FIELDS)
_row_values = attrgetter(*_ROW_NAMES)
# A Processo's plain defaults: `_novo` builds one without running the dataclass's
# generated __init__ for its thirty fields (a read builds one per request).
_PADROES = {f.name: f.default for f in fields(Processo) if f.default is not MISSING}


def _novo(valores: dict[str, Any]) -> Processo:
    p = object.__new__(Processo)
    estado = dict(_PADROES)
    estado.update(valores)
    estado.update(interessados=[], unidades={}, credenciados=set(), relacionados=set())
    estado["eventos"] = []
    p.__dict__.update(estado)
    return p


def _montar(valores: dict[str, Any], partes: Iterable[Any], em: dict[str, int]) -> Processo:
    """A Processo from its row's values and the parts gathered around it (the UNIONs
    above), the parts read by position (`em`: where each column is)."""
    p = _novo(valores)
    parte_, unidade_id, situacao = em["parte"], em["unidade_id"], em["situacao"]
    atribuido_a, marcador, usuario_id = em["atribuido_a"], em["marcador"], em["usuario_id"]
    datas = [em.get(c) for c in ("enviado_em", "recebido_em", "unidade_atualizada_em")]
    interessados: list[tuple[int, Interessado]] = []
    for parte in partes:
        tipo = parte[parte_]
        if tipo == "unidade":
            uid = parte[unidade_id]
            p.unidades[uid] = UnidadeNoProcesso(
                uid,
                parte[situacao],
                parte[atribuido_a],
                parte[marcador],
                *(None if i is None else parte[i] for i in datas),
            )
        elif tipo == "credencial":
            p.credenciados.add(parte[usuario_id])
        elif tipo == "interessado":
            nome, documento = parte[em["interessado_nome"]], parte[em["interessado_documento"]]
            interessados.append((int(parte[em["interessado_ordem"]]), Interessado(nome, documento)))
        elif tipo == "relacionado":
            p.relacionados.add(parte[em["outro_id"]])
    p.interessados = [i for _, i in sorted(interessados, key=lambda par: par[0])]
    return p


def _ref(parte: Any) -> RefProcesso:
    digitos = parte[_EM_DETALHE["outro_numero"]]
    numero = nup.Numero(nup.FORMATO_POR_TAMANHO[len(digitos)], digitos)
    return RefProcesso(parte[_EM_DETALHE["outro_id"]], numero.formatado)


def _de_linha(linha: Any) -> dict[str, Any]:
    """A whole `processo` row's values by Processo field (a command's load, a page)."""
    return dict(zip(_ROW_NAMES, _row_values(linha), strict=True))


def _copia(p: Processo) -> Processo:
    """What `salvar` compares with: the process as loaded (or as last saved). Copied field
    by field, not with `dataclasses.replace`, which runs `__init__` again: 14 µs a copy,
    a tenth of the repository's own CPU when a process is opened (bench_processos)."""
    copia = object.__new__(Processo)
    copia.__dict__.update(p.__dict__)
    copia.interessados = list(p.interessados)
    copia.credenciados, copia.relacionados = set(p.credenciados), set(p.relacionados)
    copia.eventos = []
    copia.unidades = {}
    for uid, no in p.unidades.items():
        copia.unidades[uid] = object.__new__(UnidadeNoProcesso)
        copia.unidades[uid].__dict__.update(no.__dict__)
    return copia


# What a new process is compared with: no units, credentials or relations yet.
_NADA = Processo(id="")


class ProcessoRepository:
    """The processes of one municipality, in the unit of work's session."""

    def __init__(self, session: Session, tenant: Tenant) -> None:
        self.session = session
        self.tenant = tenant
        self._carregados: dict[str, Processo] = {}
        self._ultimo_seq: dict[str, int] = {}

    # Finding

    def resolver(self, referencia: str) -> str:
        """A process id from its id or its number (with or without punctuation); else 404."""
        referencia = str(referencia).strip()
        if len(referencia) == 32 and all(c in "0123456789abcdef" for c in referencia):
            return referencia
        numero = nup.ler(referencia)
        if numero is None:
            raise nao_encontrado()
        found = self.session.scalar(
            select(processo.c.id).where(processo.c.numero == numero.digitos)
        )
        if found is None:
            raise nao_encontrado()
        return found

    def cadeia(self, pid: str) -> list[str]:
        """The main process of `pid`, its main, and so on (cycle-safe)."""
        cadeia: list[str] = []
        atual = self.session.scalar(select(processo.c.principal_id).where(processo.c.id == pid))
        while atual is not None and atual not in cadeia:
            cadeia.append(atual)
            atual = self.session.scalar(
                select(processo.c.principal_id).where(processo.c.id == atual)
            )
        return cadeia

    def _ler(
        self, statement: Any, lidas: tuple[str, ...], em: dict[str, int], pid: str
    ) -> tuple[Processo, list[Any]]:
        linhas = execute_statement(self.session.connection(), statement, {"pid": pid})
        if not linhas:
            raise nao_encontrado()
        parte = em["parte"]
        partes = [linha for linha in linhas if linha[parte] is not None]
        valores = dict(zip(lidas, linhas[0][: len(lidas)], strict=True))
        return _montar(valores, partes, em), partes

    def _principal(self, p: Processo) -> Processo | None:
        """The top of an annexed process's chain of main processes (it judges access)."""
        julgado, vistos = p, {p.id}
        while julgado.principal_id is not None and julgado.principal_id not in vistos:
            vistos.add(julgado.principal_id)
            julgado, _ = self._ler(LEITURA, _LIDAS, _EM_LEITURA, julgado.principal_id)
        return None if julgado is p else julgado

    def _exigir_legivel(self, p: Processo, ator: Ator) -> Processo | None:
        principal = self._principal(p)
        if not p.legivel_por(ator, principal):
            raise nao_encontrado()
        return principal

    def para_ler(self, referencia: str, ator: Ator) -> tuple[Processo, Processo | None]:
        """The process (units and credentials) if `ator` may read it, with the main process
        that judged it when annexed; else 404. One statement (two when found by number)."""
        p, _ = self._ler(LEITURA, _LIDAS, _EM_LEITURA, self.resolver(referencia))
        return p, self._exigir_legivel(p, ator)

    def para_detalhe(self, referencia: str, ator: Ator) -> tuple[Processo, Arredores]:
        """A full read, if `ator` may read it; else 404."""
        p, partes = self._ler(DETALHE, _LIDAS_NO_DETALHE, _EM_DETALHE, self.resolver(referencia))
        self._exigir_legivel(p, ator)
        por_parte: dict[str, list[RefProcesso]] = {"anexo": [], "relacionado": [], "principal": []}
        tipo = _EM_DETALHE["parte"]
        for x in partes:
            if x[tipo] in por_parte:
                por_parte[x[tipo]].append(_ref(x))
        anexos = sorted(por_parte["anexo"], key=lambda r: r.numero)
        p.anexos = [r.id for r in anexos]
        relacionados = sorted(por_parte["relacionado"], key=lambda r: r.numero)
        principal = por_parte["principal"][0] if por_parte["principal"] else None
        return p, Arredores(anexos, relacionados, principal)

    def _carregar(self, pid: str) -> Processo | None:
        """The process locked until the transaction ends, with all its saved state."""
        linha = self.session.execute(
            select(processo).where(processo.c.id == pid).with_for_update()
        ).first()
        if linha is None:
            return None
        partes = execute_statement(self.session.connection(), OPERACAO, {"pid": pid})
        em = _EM_OPERACAO
        p = _montar(_de_linha(linha), partes, em)
        self._ultimo_seq[pid] = next(
            (int(x[em["ultimo_seq"]] or 0) for x in partes if x[em["parte"]] == "ultimo_seq"), 0
        )
        self._carregados[pid] = _copia(p)
        return p

    def para_operar(self, referencia: str, ator: Ator) -> Processo:
        """The process a command acts on, locked, if `ator` may read it; else 404."""
        p = self._carregar(self.resolver(referencia))
        if p is None:
            raise nao_encontrado()
        self._exigir_legivel(p, ator)
        return p

    def dois_para_operar(self, a: str, b: str, ator: Ator) -> tuple[Processo, Processo]:
        """Two processes, resolved, then locked in id order (no deadlock between opposite
        requests), each if `ator` may read it; else 404."""
        ids = {ref: self.resolver(ref) for ref in (a, b)}
        carregados = {pid: self.para_operar(pid, ator) for pid in sorted(set(ids.values()))}
        return carregados[ids[a]], carregados[ids[b]]

    def para_evento(self, pid: str) -> Processo | None:
        """A process an event names, locked; no access check (the event is the platform's)."""
        return self._carregar(pid)

    def pagina(self, apos: str | None, limite: int) -> list[Processo]:
        """Up to `limite` processes after the id `apos`, in id order, with their units,
        credentials and parties: four statements per page."""
        consulta = select(processo).order_by(processo.c.id).limit(limite)
        if apos is not None:
            consulta = consulta.where(processo.c.id > apos)
        linhas = self.session.execute(consulta).all()
        ids = [linha.id for linha in linhas]
        if not ids:
            return []
        por_id = {linha.id: _novo(_de_linha(linha)) for linha in linhas}
        s = self.session
        for u in s.execute(select(processo_unidade).where(processo_unidade.c.processo_id.in_(ids))):
            por_id[u.processo_id].unidades[u.unidade_id] = UnidadeNoProcesso(
                u.unidade_id, u.situacao, u.atribuido_a, u.marcador
            )
        for c in s.execute(select(credencial).where(credencial.c.processo_id.in_(ids))):
            por_id[c.processo_id].credenciados.add(c.usuario_id)
        consulta_i = select(interessado).where(interessado.c.processo_id.in_(ids))
        for i in s.execute(consulta_i.order_by(interessado.c.processo_id, interessado.c.ordem)):
            por_id[i.processo_id].interessados.append(Interessado(i.nome, i.documento))
        return [por_id[pid] for pid in ids]

    def contar(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(processo)) or 0)

    # Numbering

    def numeracao(self) -> nup.Numeracao:
        """The municipality's numbering; by default NUP with the IBGE code's last five digits."""
        row = self.session.execute(
            select(numeracao_config).where(numeracao_config.c.id == 1)
        ).first()
        if row is None:
            return nup.Numeracao("nup", self.tenant.ibge[2:])
        return nup.Numeracao(row.formato, row.prefixo)

    def definir_numeracao(self, numeracao: nup.Numeracao) -> None:
        valores = {
            "formato": numeracao.formato,
            "prefixo": numeracao.prefixo,
            "atualizado_em": _agora(),
        }
        changed = self.session.execute(
            update(numeracao_config).where(numeracao_config.c.id == 1).values(**valores)
        )
        if changed.rowcount == 0:
            self.session.execute(insert(numeracao_config).values(id=1, **valores))

    def proximo_numero(self, numeracao: nup.Numeracao, ano: int) -> nup.Numero:
        """The next number of the year, in the caller's transaction.

        The sequence row stays locked until that transaction ends: concurrent creators
        (any replica) queue on it, and a rollback gives the number back, so the
        sequence never skips or repeats. Callers number last, just before commit.
        """
        formato, prefixo = numeracao.formato, numeracao.prefixo
        chave = and_(numeracao_sequencia.c.prefixo == prefixo, numeracao_sequencia.c.ano == ano)
        for _ in range(2):
            ultimo = self.session.execute(
                update(numeracao_sequencia)
                .where(chave)
                .values(ultimo=numeracao_sequencia.c.ultimo + 1)
                .returning(numeracao_sequencia.c.ultimo)
            ).scalar()
            if ultimo is not None:
                return nup.gerar(formato, prefixo, ultimo, ano)
            try:
                with self.session.begin_nested():  # the year's first number: create its row
                    self.session.execute(
                        insert(numeracao_sequencia).values(prefixo=prefixo, ano=ano, ultimo=1)
                    )
                return nup.gerar(formato, prefixo, 1, ano)
            except IntegrityError:
                continue  # another transaction created it first: take the next one after it
        raise Conflito(
            "Não foi possível numerar o processo; tente de novo.", code="numeracao_ocupada"
        )

    # Writing

    def adicionar(self, p: Processo, ator: Ator) -> None:
        """A new process's rows and its opening's history entry, not yet numbered (number
        it, then `salvar` writes the number and the event). The entry is written now, with
        no details (the number is the process's own), as it always was: what comes after
        the number keeps the municipality's sequence row locked, so only the number, the
        event and the commit do."""
        linha = dict(zip(_ROW_NAMES, _row_values(p), strict=True))
        linha["ano"] = p.criado_em.year if p.criado_em else _agora().year
        self.session.execute(insert(processo).values(**linha))
        if p.interessados:
            self.session.execute(
                insert(interessado),
                [
                    {"processo_id": p.id, "ordem": n, "nome": i.nome, "documento": i.documento}
                    for n, i in enumerate(p.interessados)
                ],
            )
        agora = p.criado_em or _agora()
        self._escrever_vinculos(p, _NADA, p.usuario_gerador_id, agora)
        self._historia(p.id, 1, "gerado", ator, agora, "{}")
        self._carregados[p.id] = _copia(p)
        self._ultimo_seq[p.id] = 1

    def salvar(self, p: Processo, ator: Ator) -> None:
        """What changed since the process was loaded, then a history entry and an outbox
        event for each fact it recorded: in the caller's transaction (never commits)."""
        antes = self._carregados[p.id]
        agora = p.atualizado_em or _agora()
        if (p.unidades, p.credenciados, p.relacionados) != (
            antes.unidades,
            antes.credenciados,
            antes.relacionados,
        ):
            self._escrever_vinculos(p, antes, ator.usuario_id, agora)
        agora_campos, antes_campos = _mutaveis(p), _mutaveis(antes)
        if agora_campos != antes_campos:
            mudou = {
                campo: valor
                for campo, valor, velho in zip(
                    _CAMPOS_MUTAVEIS, agora_campos, antes_campos, strict=True
                )
                if valor != velho
            }
            self.session.execute(update(processo).where(processo.c.id == p.id).values(**mudou))
        fatos, p.eventos = p.eventos, []
        for fato in fatos:
            dados = events.dados(events.processo_no_evento(p), ator, fato)
            if not isinstance(fato, ProcessoGerado):  # its entry came with the rows
                self._ultimo_seq[p.id] += 1
                detalhes = json.dumps(dados["detalhes"], ensure_ascii=False)
                self._historia(p.id, self._ultimo_seq[p.id], fato.tipo, ator, agora, detalhes)
            record_event(self.session, outbox, events.routing_key(fato), p.id, dados)
        self._carregados[p.id] = _copia(p)

    def _historia(
        self, pid: str, seq: int, tipo: str, ator: Ator, quando: datetime, detalhes: str
    ) -> None:
        """One entry of the append-only history."""
        self.session.execute(
            insert(andamento).values(
                id=uuid.uuid4().hex,
                processo_id=pid,
                seq=seq,
                tipo=tipo,
                unidade_id=ator.unidade_id,
                usuario_id=ator.usuario_id,
                usuario_login=ator.login,
                criado_em=quando,
                detalhes=detalhes,
            )
        )

    def _escrever_vinculos(self, p: Processo, antes: Processo, quem: str, agora: Any) -> None:
        """Units, credentials and relations that differ from `antes`."""
        s = self.session
        for uid, no in p.unidades.items():
            velho = antes.unidades.get(uid)
            if velho is None:  # only what it has: NULLs are the columns' own default
                valores = {c: v for c in _CAMPOS_DA_UNIDADE if (v := getattr(no, c)) is not None}
                valores.setdefault("atualizado_em", agora)
                s.execute(
                    insert(processo_unidade).values(processo_id=p.id, unidade_id=uid, **valores)
                )
            elif no != velho:
                mudou = {
                    c: getattr(no, c)
                    for c in _CAMPOS_DA_UNIDADE
                    if getattr(no, c) != getattr(velho, c)
                }
                s.execute(
                    update(processo_unidade)
                    .where(
                        processo_unidade.c.processo_id == p.id, processo_unidade.c.unidade_id == uid
                    )
                    .values(**mudou)
                )
        for usuario_id in sorted(p.credenciados - antes.credenciados):
            s.execute(
                insert(credencial).values(
                    processo_id=p.id, usuario_id=usuario_id, concedida_por=quem, concedida_em=agora
                )
            )
        for usuario_id in sorted(antes.credenciados - p.credenciados):
            s.execute(
                delete(credencial).where(
                    credencial.c.processo_id == p.id, credencial.c.usuario_id == usuario_id
                )
            )
        # A relation is one row (a, b) with a < b, written by a's side only.
        for outro in sorted(o for o in p.relacionados - antes.relacionados if p.id < o):
            s.execute(insert(relacao).values(processo_a=p.id, processo_b=outro, criado_em=agora))
        for outro in sorted(o for o in antes.relacionados - p.relacionados if p.id < o):
            s.execute(
                delete(relacao).where(relacao.c.processo_a == p.id, relacao.c.processo_b == outro)
            )

    # Events from other services

    def registrar_evento_recebido(self, evento_id: str) -> bool:
        """Record an applied event's id; False if it was applied before (deduplication)."""
        try:
            return registrar_evento(self.session, recebidos, evento_id, _agora())
        except ProgrammingError as exc:  # no such schema: a municipality that does not exist
            raise EventoInvalido("município sem schema") from exc

"""The production search backend: one Solr collection for every municipality.

Why it is shaped this way (the configset is deploy/solr/, see its README.md):

- Ids are ``"<ibge>!<entrada.id>"``: compositeId routing keeps a municipality on
  one shard, so its searches (sent with ``_route_``) touch one shard only.
- Versions are enforced by Solr itself: the default update chain drops any write
  whose ``versao`` is not greater than the indexed one, however many busca
  replicas race. A document's extracted text and its process's access are
  written apart, as partial updates guarded by Solr's own ``_version_``.
- The client never commits; the collection soft-commits about every second.
- The municipality and the access filter are filter queries built here from
  `Acesso` (the verified token), never from the request; the user's text is
  escaped and parsed by edismax with ``uf=-*``, so it can only ever be words.
  Counts, facets and pages come from the same request, so they never include
  what the caller may not see.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pysolr
import requests
import structlog

from services.busca.domain import Acesso, Consulta, Entrada, Resultado, digitos_do_numero
from services.busca.settings import BuscaSettings
from services.chassis.config import Settings
from services.chassis.errors import DadosInvalidos, ServicoIndisponivel
from services.chassis.niveis_acesso import NIVEIS, validar_nivel

_log = structlog.get_logger("sempapel.busca.solr")

BRASILIA = ZoneInfo("America/Sao_Paulo")
MAX_POR_PAGINA = 100
MAX_INICIO = 10_000  # deeper pages cost Solr more than anyone reads; refine the search instead
MAX_Q = 1000
LOTE_DOCS = 200
LOTE_BYTES = 8 * 1024 * 1024
TENTATIVAS_TEXTO = 5
BOOST_NUMERO = 100_000  # constant score added to the process whose number was typed

QF = "titulo^3 texto digitos^5 tipos^2 assinantes"
PF = "titulo^6 texto^2"
FL = "id,municipio,tipo,processo_id,numero_formatado,titulo,score"
FACETAS = {"tipo_processo": "tipo_processo", "ano": "ano", "unidade": "unidade_geradora_id"}
PARCIAL = "parcial"  # solrconfig.xml: /parcial, the unversioned (optimistic) update chain

# Every character the standard and edismax parsers give a meaning to.
ESPECIAIS = frozenset('+-&|!(){}[]^"~*?:\\/')
OPERADORES = frozenset({"AND", "OR", "NOT"})
# Highlight markers: private-use characters, stripped from indexed text, so any
# found in a snippet came from Solr; the rest of the snippet is escaped here.
MARCA_INICIO, MARCA_FIM = "\ue000", "\ue001"
_SEM_MARCAS = str.maketrans("", "", MARCA_INICIO + MARCA_FIM)
_IBGE = re.compile(r"[0-9]{7}")
_HTTP = re.compile(r"HTTP (\d{3})")


def escapar(texto: str) -> str:
    """The user's text as plain words for edismax: no operator, field or syntax survives."""
    limpo = "".join(c if c.isprintable() else " " for c in texto)
    palavras = []
    for palavra in limpo.split():
        if palavra in OPERADORES:
            palavra = palavra.lower()  # lowercaseOperators=false: a plain word
        palavras.append("".join(f"\\{c}" if c in ESPECIAIS else c for c in palavra))
    return " ".join(palavras)


def termo(valor: str) -> str:
    """One exact term for a filter query; quoting leaves only \\ and " to escape."""
    return '"' + str(valor).replace("\\", "\\\\").replace('"', '\\"') + '"'


def chave(ibge: str, entrada_id: str) -> str:
    return f"{ibge}!{entrada_id}"


def filtro_acesso(acesso: Acesso) -> str:
    """What the caller may see: público, restrito in a unit it holds, sigiloso if credentialed."""
    clausulas = ["nivel:publico"]
    if acesso.unidade_id:
        clausulas.append(f"(nivel:restrito AND unidades:{termo(acesso.unidade_id)})")
    clausulas.append(f"(nivel:sigiloso AND credenciados:{termo(acesso.usuario_id)})")
    return "(" + " OR ".join(clausulas) + ")"


def _validar_ibge(ibge: str) -> str:
    if not isinstance(ibge, str) or not _IBGE.fullmatch(ibge):
        raise ValueError(f"código IBGE inválido: {ibge!r}")
    return ibge


def _validar_id(entrada_id: str) -> str:
    # "!" would add a routing level; "," separates ids in a real-time get.
    if not entrada_id or "!" in entrada_id or "," in entrada_id:
        raise ValueError(f"id de entrada inválido: {entrada_id!r}")
    return entrada_id


def _data_solr(valor: datetime) -> str:
    if valor.tzinfo is None:
        raise ValueError("data sem fuso horário")
    return valor.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _sem_marcas(texto: str | None) -> str:
    return (texto or "").translate(_SEM_MARCAS)


def _resumo(exc: Exception) -> str:
    """Status or class only: pysolr's messages carry the URL, which carries the search text."""
    achado = _HTTP.search(str(exc))
    return f"HTTP {achado.group(1)}" if achado else type(exc).__name__


def _indisponivel(exc: Exception, operacao: str) -> ServicoIndisponivel:
    _log.error("solr_falhou", operacao=operacao, erro=_resumo(exc))
    return ServicoIndisponivel(
        "A busca está indisponível no momento. Tente novamente em instantes.",
        code="busca_indisponivel",
    )


def _pares(valores: Any) -> dict[str, int]:
    """A facet field, whether Solr wrote it flat ([v, n, v, n]) or as a map."""
    if isinstance(valores, Mapping):
        itens = list(valores.items())
    elif isinstance(valores, list):
        itens = list(zip(valores[::2], valores[1::2], strict=False))
    else:
        return {}
    return {str(v): int(n) for v, n in itens if int(n) > 0}


def _trecho(destaques: Mapping[str, list[str]], titulo: str) -> str:
    """A snippet as HTML: the content escaped, only our <mark> tags left in it."""
    escolhido: list[str] = []
    for campo in ("texto", "titulo"):  # a marked snippet of the body first, then of the title
        marcados = [t for t in destaques.get(campo) or [] if MARCA_INICIO in t]
        if marcados:
            escolhido = marcados
            break
    else:
        for campo in ("texto", "titulo"):  # hl.defaultSummary: the start of the field
            if destaques.get(campo):
                escolhido = list(destaques[campo])
                break
    if not escolhido:
        return html.escape(titulo)
    texto = " … ".join(escolhido)
    return html.escape(texto).replace(MARCA_INICIO, "<mark>").replace(MARCA_FIM, "</mark>")


def _recusados(resposta: Mapping[str, Any]) -> set[str]:
    """Ids the tolerant chain refused (responseHeader.errors), e.g. a _version_ conflict."""
    erros = (resposta.get("responseHeader") or {}).get("errors") or []
    ids = {str(e.get("id")) for e in erros if isinstance(e, Mapping) and e.get("id")}
    if erros and not ids:
        return {"*"}  # unreadable error list: treat every document as refused
    return ids


def _lotes(docs: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Requests of at most LOTE_DOCS documents and about LOTE_BYTES of text."""
    lote: list[dict[str, Any]] = []
    tamanho = 0
    for doc in docs:
        peso = len(json.dumps(doc, ensure_ascii=False))
        if lote and (len(lote) >= LOTE_DOCS or tamanho + peso > LOTE_BYTES):
            yield lote
            lote, tamanho = [], 0
        lote.append(doc)
        tamanho += peso
    if lote:
        yield lote


class SolrBackend:
    """indexar/remover/buscar/limpar (and obter, refiltrar, definir_texto) on Solr."""

    def __init__(
        self,
        url: str,
        *,
        session: requests.Session | None = None,
        timeout: float = 10.0,
        timeout_escrita: float = 60.0,
        fuso: tzinfo = BRASILIA,
    ) -> None:
        sessao = session if session is not None else requests.Session()
        # Searches wait as long as the RPC caller does; bulk writes may take longer.
        self._leitura = pysolr.Solr(url, session=sessao, timeout=timeout)
        self._escrita = pysolr.Solr(url, session=sessao, timeout=timeout_escrita)
        self._fuso = fuso
        # pysolr logs every URL at INFO: search text and user ids do not belong in logs.
        logging.getLogger("pysolr").setLevel(logging.WARNING)

    @classmethod
    def from_settings(cls, settings: Settings, busca: BuscaSettings) -> SolrBackend:
        return cls(busca.solr_url, timeout=settings.rpc_timeout_seconds)

    # -- writes ----------------------------------------------------------------

    def indexar(self, ibge: str, entradas: list[Entrada]) -> None:
        """Each entry as an atomic update carrying its `versao`: Solr drops the stale ones.

        Atomic, so a document's extracted text survives the events that carry
        none (its own version, `texto_versao`, moves only in definir_texto or
        when an entry brings text).
        """
        _validar_ibge(ibge)
        docs = [self._documento(ibge, e) for e in entradas]  # validate all before sending any
        for lote in _lotes(docs):
            self._enviar(lote, "indexar")

    def remover(self, ibge: str, ids: list[str], versoes: Mapping[str, int] | None = None) -> None:
        """Remove entries. With a version, a tombstone: later writes up to it are dropped.

        `versoes` maps an entry id to the version its removal happened at; the
        tombstone ({id, versao} only, no municipality) is written through the
        versioned chain, so a late older event cannot bring the entry back and an
        older removal cannot remove a newer entry. Ids without a version are
        deleted outright (what the protocol's two-argument call does).
        """
        _validar_ibge(ibge)
        versoes = versoes or {}
        lapides = [
            {"id": chave(ibge, _validar_id(i)), "versao": int(versoes[i])}
            for i in ids
            if i in versoes
        ]
        diretos = [chave(ibge, _validar_id(i)) for i in ids if i not in versoes]
        for lote in _lotes(lapides):
            self._enviar(lote, "remover")
        if diretos:
            try:
                self._escrita.delete(id=diretos, commit=False)
            except (pysolr.SolrError, requests.RequestException) as exc:
                raise _indisponivel(exc, "remover") from None

    def limpar(self, ibge: str) -> None:
        """Drop one municipality's entries and tombstones (before a full reindex)."""
        _validar_ibge(ibge)
        try:
            self._escrita.delete(q=f"municipio:{ibge} OR id:{ibge}\\!*", commit=False)
        except (pysolr.SolrError, requests.RequestException) as exc:
            raise _indisponivel(exc, "limpar") from None

    def refiltrar(self, ibge: str, processo: Entrada | None) -> None:
        """A process's access changed: copy it onto its documents (their versions stay).

        Partial updates with ``_version_: 1`` (the document must exist), so a
        document removed meanwhile is skipped, not recreated. Documents written
        less than a soft commit ago are not yet visible to the query and keep the
        access they were written with.
        """
        _validar_ibge(ibge)
        if processo is None:
            return
        acesso = {
            "numero": {"set": processo.numero or None},
            "numero_formatado": {"set": processo.numero_formatado or None},
            "tipo_processo": {"set": processo.tipo_processo or None},
            "unidades": {"set": list(processo.unidades)},
            "nivel": {"set": validar_nivel(processo.nivel)},
            "credenciados": {"set": list(processo.credenciados)},
        }
        cursor = "*"
        while True:
            pagina = self._consultar(
                "refiltrar",
                "*:*",
                defType="lucene",
                fq=[
                    f"municipio:{ibge}",
                    f"processo_id:{termo(processo.processo_id)}",
                    "tipo:documento",
                ],
                fl="id",
                sort="id asc",
                rows=500,
                cursorMark=cursor,
                _route_=f"{ibge}!",
            )
            if pagina.docs:
                docs = [{"id": d["id"], "_version_": 1, **acesso} for d in pagina.docs]
                recusados = _recusados(self._enviar(docs, "refiltrar", PARCIAL))
                if recusados:
                    _log.info(
                        "refiltrar_ignorou", processo_id=processo.processo_id, n=len(recusados)
                    )
            if not pagina.nextCursorMark or pagina.nextCursorMark == cursor:
                return
            cursor = pagina.nextCursorMark

    def definir_texto(self, ibge: str, entrada: Entrada) -> None:
        """A document's extracted text, kept only if newer than the text already indexed."""
        _validar_ibge(ibge)
        k = chave(ibge, _validar_id(entrada.id))
        for _ in range(TENTATIVAS_TEXTO):
            atual = self._tempo_real(k, "id,municipio,texto_versao,_version_")
            if atual is None or atual.get("municipio") != ibge:
                return  # not indexed (or removed): nothing to attach the text to
            if int(atual.get("texto_versao", -1)) >= entrada.versao:
                return
            doc = {
                "id": k,
                "_version_": atual["_version_"],  # optimistic: nobody wrote it since the read
                "texto": {"set": _sem_marcas(entrada.texto)},
                "texto_versao": {"set": entrada.versao},
            }
            recusados = _recusados(self._enviar([doc], "definir_texto", PARCIAL))
            if not recusados & {k, "*"}:
                return  # written; otherwise someone wrote the document meanwhile: read again
        raise ServicoIndisponivel(
            "A busca não conseguiu gravar o texto do documento. Tente novamente.",
            code="busca_conflito",
        )

    # -- reads -----------------------------------------------------------------

    def obter(self, ibge: str, entrada_id: str) -> Entrada | None:
        """The newest indexed entry (real-time get: sees writes not yet searchable)."""
        _validar_ibge(ibge)
        doc = self._tempo_real(chave(ibge, _validar_id(entrada_id)), "*")
        if doc is None or doc.get("municipio") != ibge:
            return None  # absent, a tombstone, or (never) another municipality's
        return Entrada(
            id=entrada_id,
            tipo=doc["tipo"],
            processo_id=doc["processo_id"],
            versao=int(doc["versao"]),
            numero=doc.get("numero") or "",
            numero_formatado=doc.get("numero_formatado") or "",
            titulo=doc.get("titulo") or "",
            texto=doc.get("texto") or "",
            tipo_processo=doc.get("tipo_processo") or "",
            tipo_documento=doc.get("tipo_documento"),
            unidade_geradora_id=doc.get("unidade_geradora_id") or "",
            unidades=list(doc.get("unidades") or []),
            nivel=doc["nivel"],
            credenciados=list(doc.get("credenciados") or []),
            documentos_id=list(doc.get("documentos_id") or []),
            assinantes=list(doc.get("assinantes") or []),
            data=datetime.fromisoformat(doc["data"]),
            cancelado=doc.get("cancelado") in (True, "true"),
        )

    def buscar(self, acesso: Acesso, consulta: Consulta) -> Resultado:
        q, parametros = self.parametros(acesso, consulta)
        resposta = self._consultar("buscar", q, **parametros)
        return self._resultado(acesso.ibge, resposta)

    def parametros(self, acesso: Acesso, consulta: Consulta) -> tuple[str, dict[str, Any]]:
        """The Solr request of a search: q (escaped) and every other parameter."""
        ibge = _validar_ibge(acesso.ibge)
        if not acesso.usuario_id:
            raise ValueError("acesso sem usuário")
        if len(consulta.q) > MAX_Q:
            raise DadosInvalidos(
                f"A busca pode ter no máximo {MAX_Q} caracteres.", code="busca_longa"
            )
        rows = max(1, min(int(consulta.por_pagina), MAX_POR_PAGINA))
        inicio = (max(1, int(consulta.pagina)) - 1) * rows
        if inicio > MAX_INICIO:
            raise DadosInvalidos(
                "Página além do limite. Refine a busca com mais palavras ou filtros.",
                code="pagina_alem_do_limite",
            )
        parametros: dict[str, Any] = {
            "defType": "edismax",
            "qf": QF,
            "pf": PF,
            "mm": "100%",
            "q.alt": "*:*",
            "sow": "true",
            "uf": "-*",
            "lowercaseOperators": "false",
            # Built here, from the token: never from the request.
            "fq": [f"municipio:{ibge}", filtro_acesso(acesso), "-cancelado:true"],
            "_route_": f"{ibge}!",
            "fl": FL,
            "sort": "score desc, id asc",
            "start": inicio,
            "rows": rows,
            "facet": "true",
            "facet.field": list(FACETAS.values()),
            "facet.mincount": 1,
            "facet.limit": 20,
            "hl": "true",
            "hl.method": "unified",
            "hl.fl": "titulo,texto",
            "hl.tag.pre": MARCA_INICIO,
            "hl.tag.post": MARCA_FIM,
            "hl.simple.pre": MARCA_INICIO,
            "hl.simple.post": MARCA_FIM,
            "hl.snippets": 2,
            "hl.fragsize": 160,
            "hl.defaultSummary": "true",
            "hl.maxAnalyzedChars": 200_000,
        }
        parametros["fq"].extend(self._filtros_do_usuario(consulta))
        digitos = digitos_do_numero(consulta.q)
        if digitos:
            parametros["bq"] = f"(+numero:{termo(digitos)} +tipo:processo)^={BOOST_NUMERO}"
        return escapar(consulta.q), parametros

    def _filtros_do_usuario(self, consulta: Consulta) -> list[str]:
        """The request's own filters: each one term (escaped), or a typed date range."""
        filtros = []
        for campo, valor in (
            ("tipo_processo", consulta.tipo_processo),
            ("tipo_documento", consulta.tipo_documento),
            ("unidade_geradora_id", consulta.unidade),
        ):
            if valor:
                filtros.append(f"{campo}:{termo(valor)}")
        if consulta.nivel:
            filtros.append(f"nivel:{termo(validar_nivel(consulta.nivel))}")
        de, ate = consulta.de, consulta.ate
        if de is not None or ate is not None:
            if de is not None and ate is not None and _dia(de) > _dia(ate):
                raise DadosInvalidos(
                    "A data inicial deve ser anterior ou igual à final.", code="periodo_invalido"
                )
            inicio = self._meia_noite(_dia(de)) if de is not None else "*"
            fim = self._meia_noite(_dia(ate) + timedelta(days=1)) if ate is not None else "*"
            filtros.append(f"data:[{inicio} TO {fim}}}")
        return filtros

    def _meia_noite(self, dia: date) -> str:
        """Days are the municipality's (Brasília time), not UTC's."""
        return _data_solr(datetime.combine(dia, time.min, self._fuso))

    # -- Solr ------------------------------------------------------------------

    def _documento(self, ibge: str, e: Entrada) -> dict[str, Any]:
        """An entry as an atomic update: every field set, `versao` plain for the version check."""
        if e.tipo not in ("processo", "documento"):
            raise ValueError(f"tipo de entrada inválido: {e.tipo!r}")
        if e.nivel not in NIVEIS:
            raise ValueError(f"nível de acesso inválido: {e.nivel!r}")
        doc: dict[str, Any] = {
            "id": chave(ibge, _validar_id(e.id)),
            "versao": int(e.versao),
            "municipio": {"set": ibge},
            "tipo": {"set": e.tipo},
            "processo_id": {"set": e.processo_id},
            "numero": {"set": e.numero or None},
            "numero_formatado": {"set": e.numero_formatado or None},
            "titulo": {"set": _sem_marcas(e.titulo)},
            "tipo_processo": {"set": e.tipo_processo or None},
            "tipo_documento": {"set": e.tipo_documento or None},
            "unidade_geradora_id": {"set": e.unidade_geradora_id or None},
            "unidades": {"set": list(e.unidades)},
            "nivel": {"set": e.nivel},
            "credenciados": {"set": list(e.credenciados)},
            "documentos_id": {"set": list(e.documentos_id)},
            "assinantes": {"set": [_sem_marcas(a) for a in e.assinantes]},
            "data": {"set": _data_solr(e.data)},
            "ano": {"set": e.data.astimezone(self._fuso).year},
            "cancelado": {"set": bool(e.cancelado)},
        }
        # A process's text is its own (interested parties...); a document's arrives in its own
        # event, so an entry without text leaves the indexed one alone.
        if e.tipo == "processo" or e.texto:
            doc["texto"] = {"set": _sem_marcas(e.texto)}
            doc["texto_versao"] = {"set": int(e.versao)}
        return doc

    def _enviar(
        self, docs: list[dict[str, Any]], operacao: str, handler: str = "update"
    ) -> dict[str, Any]:
        """POST documents; no commit parameter (the collection commits on its own)."""
        try:
            resposta = self._escrita.add(docs, commit=False, handler=handler)
        except (pysolr.SolrError, requests.RequestException) as exc:
            raise _indisponivel(exc, operacao) from None
        try:
            return json.loads(resposta) if resposta else {}
        except ValueError:
            return {}

    def _consultar(self, operacao: str, q: str, **parametros: Any) -> pysolr.Results:
        try:
            return self._leitura.search(q, **parametros)
        except (pysolr.SolrError, requests.RequestException, ValueError) as exc:
            raise _indisponivel(exc, operacao) from None

    def _tempo_real(self, k: str, fl: str) -> dict[str, Any] | None:
        resposta = self._consultar("obter", "*:*", search_handler="get", ids=k, fl=fl)
        return next(iter(resposta.docs), None)

    def _resultado(self, ibge: str, resposta: pysolr.Results) -> Resultado:
        prefixo = f"{ibge}!"
        destaques = resposta.highlighting or {}
        itens = []
        for doc in resposta.docs:
            k = str(doc.get("id", ""))
            if doc.get("municipio") != ibge or not k.startswith(prefixo):
                # The municipality fq makes this impossible; never show it if it happens.
                _log.error("solr_documento_de_outro_municipio", esperado=ibge)
                continue
            titulo = doc.get("titulo") or ""
            itens.append(
                {
                    "id": k[len(prefixo) :].split(":", 1)[-1],
                    "tipo": doc.get("tipo"),
                    "processo_id": doc.get("processo_id"),
                    "numero": doc.get("numero_formatado") or "",
                    "titulo": titulo,
                    "trecho": _trecho(destaques.get(k) or {}, titulo),
                    "score": round(float(doc.get("score") or 0.0), 6),
                }
            )
        campos = (resposta.facets or {}).get("facet_fields") or {}
        return Resultado(
            total=int(resposta.hits),  # Solr counts every hit: always exact
            total_exato=True,
            itens=itens,
            facetas={nome: _pares(campos.get(campo)) for nome, campo in FACETAS.items()},
        )


def _dia(valor: date) -> date:
    return valor.date() if isinstance(valor, datetime) else valor

"""The single-machine search backend: PostgreSQL full text in each municipality's schema.

The `portuguese` configuration with `unaccent` (`public.pt_sem_acento`), GIN
indexes on generated columns (tables.py), `ts_rank` ordering and `ts_headline`
snippets. The municipality is the schema (from the token, through
TenantEngines); the access filter is part of the same WHERE as the text match,
so totals, facets and pages only ever count what the caller may see.

A search is one statement, shaped so that its cost does not grow with the
number of matches (at 100,000 documents a broad word matched 75,000 and cost
0.4-2.6 s of CPU when every match was counted, faceted and ranked):

- Candidates: the caller's visible matches, newest year first, at most
  `CANDIDATOS`. Each year is one scan of the GIN over (year, filters, access
  keys, `ts`): the index intersects them, and the heap is read for at most
  `CANDIDATOS` + 1 rows. A broad word stops within its first year; a rare one
  costs one small index scan per year.
- Total and facets are over the candidates. Up to `CANDIDATOS` the total is
  exact; beyond, it is `CANDIDATOS` with `total_exato` False ("mais de 500"),
  and the facets count the candidates, as large search engines estimate rather
  than count. Pages end at the last candidate (`pagina_alem_do_limite`, as the
  Solr backend ends its own pages at 10,000).
- Ranking: a process number or CPF/CNPJ typed in the query (`identificadores`,
  their own GIN, not capped by the words) comes first, the process before its
  documents; then `ts_rank` over `ts_resumo` (title, number, types, parties:
  small, in the heap row), then the newest. `ts`, with the whole text, is never
  read per row except to check a phrase.
- Prepared once per pooled connection and shape, with a generic plan
  (chassis/prepared_statements.py): planning the statement was 0.5-1 ms of each search. A plan
  made without the values must not depend on them: the identifiers' arm is
  fenced (OFFSET 0) so that it never intersects the access keys' bitmap.
- Snippets only for the page, from the title and a window of the text around
  the first of the query's stems (ts_headline parses and stems everything it is
  given: 0.3 ms for a 3,000-character text), found in the text folded when it
  was written (`texto_dobrado`).
"""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

from sqlalchemy import case
from sqlalchemy.dialects.postgresql import insert

from services.busca.domain import (
    Acesso,
    Consulta,
    Entrada,
    Resultado,
    identificadores_da_consulta,
)
from services.busca.tables import CONFIG, busca_entrada
from services.chassis import prepared_statements
from services.chassis.dialect_only import postgresql_only
from services.chassis.errors import DadosInvalidos
from services.chassis.tenant import Tenant
from services.chassis.tenant_session import TenantEngines

MAX_POR_PAGINA = 100
CANDIDATOS = 500
# ts_headline parses and stems all it is given (0.3 ms for a 3,000-character text): it gets
# the title and a window of the text around the first stem of the query found in the first
# 20,000 characters (`texto_dobrado`, tables.py).
JANELA_ANTES, JANELA = 100, 320


def _tokens(ids: list[str]) -> str:
    """ " a b " : a LIKE '% a %' finds an id, never a prefix of another."""
    return f" {' '.join(ids)} " if ids else " "


def _trecho_seguro(trecho: str | None) -> str:
    """The snippet as HTML: document text escaped, only our <mark> tags left."""
    escaped = html.escape(trecho or "")
    return escaped.replace("\x02", "<mark>").replace("\x03", "</mark>")


def _linha(e: Entrada) -> dict[str, Any]:
    return {
        "id": e.id,
        "tipo": e.tipo,
        "processo_id": e.processo_id,
        "versao": e.versao,
        "numero": e.numero,
        "numero_formatado": e.numero_formatado,
        "titulo": e.titulo,
        "texto": e.texto,
        "tipo_processo": e.tipo_processo,
        "tipo_documento": e.tipo_documento,
        "unidade_geradora_id": e.unidade_geradora_id,
        "unidades": _tokens(e.unidades),
        "nivel": e.nivel,
        "credenciados": _tokens(e.credenciados),
        "documentos_id": " ".join(e.documentos_id),
        "assinantes": " ".join(e.assinantes),
        "data": e.data,
        "ano": e.data.year,
        "cancelado": e.cancelado,
        "texto_versao": e.versao,
    }


class PostgresBackend:
    def __init__(self, engines: TenantEngines) -> None:
        self.engines = engines

    def indexar(self, ibge: str, entradas: list[Entrada]) -> None:
        """Upsert; a row keeps the highest version it has seen (late events change nothing)."""
        if not entradas:
            return
        stmt = insert(busca_entrada)
        # A document's text has its own version (see definir_texto): an upsert leaves it
        # alone; a process's text (its parties, type...) is part of the process.
        colunas = {
            c.name: stmt.excluded[c.name]
            for c in busca_entrada.columns
            if c.name not in ("id", "texto", "texto_versao")
        }
        colunas["texto"] = case(
            (stmt.excluded.tipo == "processo", stmt.excluded.texto), else_=busca_entrada.c.texto
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["id"],
            set_=colunas,
            where=busca_entrada.c.versao < stmt.excluded.versao,
        )
        with self.engines.for_tenant(Tenant(ibge)).begin() as conn:
            conn.execute(postgresql_only(stmt), [_linha(e) for e in entradas])

    def definir_texto(self, ibge: str, entrada: Entrada) -> None:
        """A document's extracted text: kept if newer than the text already indexed."""
        with self.engines.for_tenant(Tenant(ibge)).begin() as conn:
            conn.execute(
                busca_entrada.update()
                .where(
                    busca_entrada.c.id == entrada.id,
                    busca_entrada.c.texto_versao < entrada.versao,
                )
                .values(texto=entrada.texto, texto_versao=entrada.versao)
            )

    def refiltrar(self, ibge: str, processo: Entrada) -> None:
        """A process's access changed: its documents follow (their own versions stay)."""
        with self.engines.for_tenant(Tenant(ibge)).begin() as conn:
            conn.execute(
                busca_entrada.update()
                .where(
                    busca_entrada.c.processo_id == processo.processo_id,
                    busca_entrada.c.tipo == "documento",
                )
                .values(
                    numero=processo.numero,
                    numero_formatado=processo.numero_formatado,
                    tipo_processo=processo.tipo_processo,
                    unidades=_tokens(processo.unidades),
                    nivel=processo.nivel,
                    credenciados=_tokens(processo.credenciados),
                )
            )

    def obter(self, ibge: str, entrada_id: str) -> Entrada | None:
        with self.engines.for_tenant(Tenant(ibge)).connect() as conn:
            row = conn.execute(
                busca_entrada.select().where(busca_entrada.c.id == entrada_id)
            ).first()
        if row is None:
            return None
        m = row._mapping
        return Entrada(
            id=m["id"],
            tipo=m["tipo"],
            processo_id=m["processo_id"],
            versao=m["versao"],
            numero=m["numero"],
            numero_formatado=m["numero_formatado"],
            titulo=m["titulo"],
            texto=m["texto"],
            tipo_processo=m["tipo_processo"],
            tipo_documento=m["tipo_documento"],
            unidade_geradora_id=m["unidade_geradora_id"],
            unidades=m["unidades"].split(),
            nivel=m["nivel"],
            credenciados=m["credenciados"].split(),
            documentos_id=m["documentos_id"].split(),
            assinantes=[],
            data=m["data"],
            cancelado=m["cancelado"],
        )

    def remover(self, ibge: str, ids: list[str]) -> None:
        with self.engines.for_tenant(Tenant(ibge)).begin() as conn:
            conn.execute(busca_entrada.delete().where(busca_entrada.c.id.in_(ids)))

    def limpar(self, ibge: str) -> None:
        with self.engines.for_tenant(Tenant(ibge)).begin() as conn:
            conn.execute(busca_entrada.delete())

    def buscar(self, acesso: Acesso, consulta: Consulta) -> Resultado:
        """One statement: candidates, then their facets and the ranked page with snippets."""
        por_pagina = max(1, min(int(consulta.por_pagina), MAX_POR_PAGINA))
        inicio = (max(1, int(consulta.pagina)) - 1) * por_pagina
        if inicio >= CANDIDATOS:
            raise DadosInvalidos(
                f"As páginas vão até o {CANDIDATOS}º resultado. Refine a busca com mais "
                "palavras ou filtros.",
                code="pagina_alem_do_limite",
            )
        tenant = Tenant(acesso.ibge)
        # Text SQL is not schema-translated: name the schema, derived from a validated IBGE code.
        tabela = f'"{tenant.schema}".busca_entrada'
        where, params = _filtros(acesso, consulta)
        identificadores = identificadores_da_consulta(consulta.q)
        params.update(
            {
                "q": consulta.q,
                "ids": identificadores,
                "cap": CANDIDATOS + 1,
                "candidatos": CANDIDATOS,
                # `ano` is the year of the entry's own timestamp: a day of slack for time zones.
                "ano_de": (consulta.de - timedelta(days=1)).year if consulta.de else None,
                "ano_ate": (consulta.ate + timedelta(days=1)).year if consulta.ate else None,
                "limite": por_pagina,
                "inicio": inicio,
                "antes": JANELA_ANTES,
                "janela": JANELA,
            }
        )
        sql = _instrucao(tabela, where, bool(identificadores))
        # One statement: the autocommit pool (no BEGIN, no ROLLBACK), prepared once per
        # connection and shape (planning was 0.5-1 ms of a search).
        with self.engines.for_tenant(tenant, read_only=True).connect() as conn:
            linhas = prepared_statements.execute_prepared(conn, sql, params)
        return _resultado(linhas)


def _instrucao(tabela: str, where: str, identificadores: bool) -> str:
    """The search statement (see the module docstring); every value is a bound parameter."""
    colunas = (
        "e.id, e.tipo, e.processo_id, e.numero, e.numero_formatado, e.titulo, e.data,"
        " e.tipo_processo, e.ano, e.unidade_geradora_id, e.ts_resumo"
    )
    # Words: the newest year first, each year's visible matches from the one GIN, until
    # the cap: a broad word stops in its first year and never reads the rest.
    por_palavras = f"""
        SELECT m.* FROM generate_series(
                coalesce(CAST(:ano_ate AS int), (SELECT max(ano) FROM {tabela})),
                coalesce(CAST(:ano_de AS int), (SELECT min(ano) FROM {tabela})), -1) AS a(ano)
            CROSS JOIN LATERAL (
                SELECT {colunas}, false AS exato FROM {tabela} e
                WHERE e.ano = a.ano AND e.ts @@ (SELECT consulta FROM c) AND {where}
                {"AND NOT e.identificadores && CAST(:ids AS text[])" if identificadores else ""}
                LIMIT :cap) AS m
        LIMIT :cap"""  # noqa: S608 - only our constants, the schema, and bound parameters
    # A number or a CPF: its entries straight from the identifiers' index, all of them, then
    # the filters row by row. OFFSET 0 keeps the filters out of the scan: a prepared (generic)
    # plan cannot know that the caller's access keys match most of the table, and ANDed the
    # identifiers' bitmap with the access keys' one (90,000 entries, 7 ms for a number).
    por_identificador = f"""
        (SELECT {colunas}, true AS exato
         FROM (SELECT * FROM {tabela} WHERE identificadores && CAST(:ids AS text[])
               OFFSET 0) e
         WHERE {where} LIMIT :cap)
        UNION ALL """  # noqa: S608
    sql = f"""
        WITH c AS MATERIALIZED (
            SELECT websearch_to_tsquery('{CONFIG}', :q)
                   || websearch_to_tsquery('pg_catalog.portuguese', :q) AS consulta,
                   tsvector_to_array(to_tsvector('{CONFIG}', :q)) AS radicais),
        achados AS MATERIALIZED (
            {por_identificador if identificadores else ""}({por_palavras})),
        -- One more than the cap was read, to know whether there are more.
        candidatos AS MATERIALIZED (
            SELECT * FROM achados {"ORDER BY exato DESC" if identificadores else ""}
            LIMIT :candidatos),
        pagina AS MATERIALIZED (
            SELECT id, tipo, processo_id, numero_formatado, titulo, score,
                   row_number() OVER (ORDER BY prioridade DESC, score DESC, data DESC, id)
                       AS posicao
            FROM (SELECT k.*, CASE WHEN NOT k.exato THEN 0 WHEN k.tipo = 'processo' THEN 2
                              ELSE 1 END AS prioridade,
                         ts_rank(k.ts_resumo, c.consulta) AS score
                  FROM candidatos k, c) AS r
            ORDER BY posicao LIMIT :limite OFFSET :inicio)
        SELECT p.posicao, p.id, p.tipo, p.processo_id, p.numero_formatado, p.titulo,
               p.score,
               ts_headline('{CONFIG}', p.titulo || ' — ' || substr(e.texto,
                               greatest(j.onde - :antes, 1), :janela),
                           c.consulta, 'StartSel="\x02", StopSel="\x03", MaxFragments=2,
                                        MaxWords=30, MinWords=8') AS trecho,
               NULL AS tipo_processo, NULL AS ano, NULL AS unidade_geradora_id,
               NULL AS g, NULL AS n, NULL AS n_achados
        FROM pagina p JOIN {tabela} e ON e.id = p.id, c,
            -- Where the snippet is: the first of the query's stems in the text, looked
            -- for in its folded first characters (stems are lower case and accent-free).
            LATERAL (SELECT coalesce(min(nullif(strpos(e.texto_dobrado, r), 0)), 1) AS onde
                     FROM unnest(c.radicais) AS r) AS j
        UNION ALL
        SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
               tipo_processo, ano, unidade_geradora_id,
               GROUPING(tipo_processo, ano, unidade_geradora_id), count(*),
               (SELECT count(*) FROM achados)
        FROM candidatos
        GROUP BY GROUPING SETS ((tipo_processo), (ano), (unidade_geradora_id), ())"""  # noqa: S608
    return sql


def _resultado(linhas: list[Any]) -> Resultado:
    """The page rows (in rank order), then the grouping-set rows: total and facets."""
    pagina_linhas = sorted((r for r in linhas if r.posicao is not None), key=_posicao)
    contagens = [r for r in linhas if r.posicao is None]
    geral = next((r for r in contagens if r.g == 7), None)
    total = geral.n if geral else 0
    exato = geral is None or geral.n_achados <= CANDIDATOS
    facetas: dict[str, dict[str, int]] = {}
    for nome, coluna, g in (
        ("tipo_processo", "tipo_processo", 3),
        ("ano", "ano", 5),
        ("unidade", "unidade_geradora_id", 6),
    ):
        valores = sorted(
            ((getattr(r, coluna), r.n) for r in contagens if r.g == g),
            key=lambda item: -item[1],
        )[:20]
        facetas[nome] = {str(v): n for v, n in valores if v is not None}
    return Resultado(
        total=total,
        total_exato=exato,
        itens=[
            {
                "id": r.id.split(":", 1)[1],
                "tipo": r.tipo,
                "processo_id": r.processo_id,
                "numero": r.numero_formatado,
                "titulo": r.titulo,
                "trecho": _trecho_seguro(r.trecho),
                "score": round(float(r.score), 6),
            }
            for r in pagina_linhas
        ],
        facetas=facetas,
    )


def _posicao(linha: Any) -> int:
    return int(linha.posicao)


def _filtros(acesso: Acesso, consulta: Consulta) -> tuple[str, dict[str, Any]]:
    """The caller's access (from the token, never the request) and the request's own filters."""
    chaves = ["publico", f"c:{acesso.usuario_id}"]
    if acesso.unidade_id:
        chaves.append(f"u:{acesso.unidade_id}")
    params: dict[str, Any] = {
        "acesso": chaves,
        "publico": "publico",
        "unidade": f"% {acesso.unidade_id} %" if acesso.unidade_id else None,
        "usuario": f"% {acesso.usuario_id} %",
    }
    # The access twice: as index keys (what the GIN intersects with the words), and row by
    # row on the columns themselves, the rule as it was written first.
    filtros = [
        "e.acesso && CAST(:acesso AS text[])",
        "NOT e.cancelado",
        "(e.nivel = :publico"
        + (" OR (e.nivel = 'restrito' AND e.unidades LIKE :unidade)" if acesso.unidade_id else "")
        + " OR (e.nivel = 'sigiloso' AND e.credenciados LIKE :usuario))",
    ]
    for campo, valor in (
        ("tipo_processo", consulta.tipo_processo),
        ("tipo_documento", consulta.tipo_documento),
        ("unidade_geradora_id", consulta.unidade),
        ("nivel", consulta.nivel),
    ):
        if valor:
            filtros.append(f"e.{campo} = :f_{campo}")
            params[f"f_{campo}"] = valor
    if consulta.de:
        filtros.append("e.data >= :de")
        params["de"] = consulta.de
    if consulta.ate:
        filtros.append("e.data < :ate")
        params["ate"] = consulta.ate + timedelta(days=1)
    return " AND ".join(filtros), params

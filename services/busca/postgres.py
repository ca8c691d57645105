"""The single-machine search backend: PostgreSQL full text in each municipality's schema.

The `portuguese` configuration with `unaccent` (`public.pt_sem_acento`), a GIN
index on a generated tsvector, `ts_rank` ordering and `ts_headline` snippets.
The municipality is the schema (from the token, through TenantEngines); the
access filter is part of the same WHERE as the text match, so totals, facets
and pages only ever count what the caller may see.
"""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, case, text
from sqlalchemy.dialects.postgresql import insert

from services.busca.indice import Acesso, Consulta, Entrada, Resultado, digitos_do_numero
from services.busca.tables import CONFIG, busca_entrada
from services.chassis.tenant import Tenant
from services.chassis.tenant_session import TenantEngines

MAX_POR_PAGINA = 100


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
            conn.execute(stmt, [_linha(e) for e in entradas])

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
        por_pagina = max(1, min(int(consulta.por_pagina), MAX_POR_PAGINA))
        pagina = max(1, int(consulta.pagina))
        digitos = digitos_do_numero(consulta.q) or ""
        params: dict[str, Any] = {
            "q": consulta.q,
            "digitos": digitos,
            "publico": "publico",
            "unidade": f"% {acesso.unidade_id} %" if acesso.unidade_id else None,
            "usuario": f"% {acesso.usuario_id} %",
        }
        # The caller's access, always; it comes from the token, never from the request.
        filtros = [
            "NOT cancelado",
            "(nivel = :publico"
            + (" OR (nivel = 'restrito' AND unidades LIKE :unidade)" if acesso.unidade_id else "")
            + " OR (nivel = 'sigiloso' AND credenciados LIKE :usuario))",
            "(ts @@ consulta OR (:digitos <> '' AND numero = :digitos)"
            " OR (:cpf <> '' AND documentos_id LIKE :cpf_like))",
        ]
        cpf = "".join(c for c in consulta.q if c.isdigit()) if len(consulta.q) <= 20 else ""
        cpf = cpf if len(cpf) in (11, 14) else ""
        params.update({"cpf": cpf, "cpf_like": f"%{cpf}%"})
        for campo, valor in (
            ("tipo_processo", consulta.tipo_processo),
            ("tipo_documento", consulta.tipo_documento),
            ("unidade_geradora_id", consulta.unidade),
            ("nivel", consulta.nivel),
        ):
            if valor:
                filtros.append(f"{campo} = :f_{campo}")
                params[f"f_{campo}"] = valor
        if consulta.de:
            filtros.append("data >= :de")
            params["de"] = consulta.de
        if consulta.ate:
            filtros.append("data < :ate")
            params["ate"] = consulta.ate + timedelta(days=1)
        where = " AND ".join(filtros)
        tenant = Tenant(acesso.ibge)
        # Text SQL is not schema-translated: name the schema, derived from a validated IBGE code.
        tabela = f'"{tenant.schema}".busca_entrada'
        consulta_ts = (
            f"(SELECT websearch_to_tsquery('{CONFIG}', :q)"
            " || websearch_to_tsquery('pg_catalog.portuguese', :q) AS consulta) AS c"
        )
        base = f"FROM {tabela}, {consulta_ts} WHERE {where}"
        pagina_sql = text(
            f"""SELECT id, tipo, processo_id, numero_formatado, titulo,
                       (numero = :digits_order AND tipo = 'processo') AS e_o_numero,
                       ts_rank(ts, consulta) AS score,
                       ts_headline('{CONFIG}', titulo || ' — ' || left(texto, 20000), consulta,
                                   'StartSel="\x02", StopSel="\x03", MaxFragments=2,
                                    MaxWords=30, MinWords=8') AS trecho
                {base}
                ORDER BY e_o_numero DESC, score DESC, id
                LIMIT :limite OFFSET :inicio"""
        ).bindparams(bindparam("digits_order"))
        with self.engines.for_tenant(tenant).connect() as conn:
            # The total and the three facets in one pass over the matches (GROUPING SETS),
            # instead of four: broad queries spent most of their time re-matching rows.
            contagens = conn.execute(
                text(
                    "SELECT tipo_processo, ano, unidade_geradora_id,"
                    " GROUPING(tipo_processo, ano, unidade_geradora_id) AS g, count(*) AS n "
                    f"{base} GROUP BY GROUPING SETS "
                    "((tipo_processo), (ano), (unidade_geradora_id), ())"
                ),
                params,
            ).all()
            rows = conn.execute(
                pagina_sql,
                {
                    **params,
                    "digits_order": digitos,
                    "limite": por_pagina,
                    "inicio": (pagina - 1) * por_pagina,
                },
            ).all()
        total = next((r.n for r in contagens if r.g == 7), 0)
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
                for r in rows
            ],
            facetas=facetas,
        )

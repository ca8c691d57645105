"""busca's table in every municipality schema: one row per indexed process or document.

Portable columns for the data; on PostgreSQL (the default backend) generated
columns and their indexes are added by `TS_DDL` (migration busca_0001),
`RESUMO_DDL` (busca_0002), `FILTROS_DDL` (busca_0003), `PENDENTES_DDL`
(busca_0004) and `DOBRADO_DDL` (busca_0005), both when a schema is created from metadata and by the
migrations, so a replayed schema equals a fresh one. With Solr (production)
this table stays empty.

- `ts`: everything, the whole document text included, twice (accent-free and
  accented stems). Only ever *matched*, through its GIN index: it is TOASTed
  (about 3 KB per document), and reading it per row (ranking) cost seconds.
- `ts_resumo`: what ranks a hit: title, number, types, signers and a
  process's parties, without a document's text. Small enough to stay in the
  heap row, so ranking the candidates reads no TOAST.
- `identificadores`: the process number's digits and the parties' CPF/CNPJ
  digits as an array with a GIN index, so a number or a CPF is an index
  lookup (it was a sequential scan of `numero` and `documentos_id`).
- `ano` gets a btree: searches take their candidates from the newest year
  down (see postgres.py); its min and max bound that walk.
- `acesso` and one GIN over the year, the filters, the access and `ts`
  (`FILTROS_DDL`, busca_0003): see there.
- Short GIN pending lists (`PENDENTES_DDL`, busca_0004): see there.
- `texto_dobrado`: the text's first 20,000 characters in lower case without
  accents, where a snippet's window is looked for (`DOBRADO_DDL`, busca_0005).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text, TextClause, event, text

from services.chassis.dialect_only import postgresql_only
from services.chassis.schema_migrations import (
    TenantSchemaPart,
    lock_shared_objects,
    tenant_metadata,
)
from services.chassis.sql_types import UtcDateTime

metadata = tenant_metadata()

CONFIG = "public.pt_sem_acento"


def _postgresql_ddl(statements: list[str]) -> list[TextClause]:
    """PostgreSQL's full text, declared so: the migrations run these only there."""
    return [postgresql_only(text(statement)) for statement in statements]


# Unqualified table names: migrations and schema creation run with the tenant's search_path.
# The short fields, weighted, that both `ts` (everything) and `ts_resumo` (ranking) begin with.
_CAMPOS_CURTOS = f"""setweight(to_tsvector('{CONFIG}', coalesce(titulo, '')), 'A')
        || setweight(to_tsvector('pg_catalog.portuguese', coalesce(titulo, '')), 'A')
        || setweight(to_tsvector('{CONFIG}', coalesce(numero_formatado, '')
                                 || ' ' || coalesce(numero, '')), 'A')
        || setweight(to_tsvector('{CONFIG}', coalesce(tipo_processo, '') || ' '
                                 || coalesce(tipo_documento, '') || ' '
                                 || coalesce(assinantes, '')), 'B')"""
# What every schema's search shares, in `public`: the `unaccent` extension, the
# accent-free Portuguese configuration and the folding function (`DOBRADO_DDL`). Made by
# `criar_compartilhados`, under the chassis' lock: run at once by several provisionings
# of a new installation, these statements race (a unique violation, "tuple concurrently
# updated").
COMPARTILHADOS_DDL = _postgresql_ddl(
    [
        "CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public",
        f"""DO $$ BEGIN
        CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = pg_catalog.portuguese);
        ALTER TEXT SEARCH CONFIGURATION {CONFIG}
            ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, portuguese_stem;
    EXCEPTION WHEN unique_violation OR duplicate_object THEN NULL; END $$""",
        """CREATE OR REPLACE FUNCTION public.busca_dobrar(texto text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, texto)) $$""",
    ]
)


def criar_compartilhados(connection: Any) -> None:
    """The shared objects, once: the caller's transaction holds the lock until it ends."""
    lock_shared_objects(connection)
    for statement in COMPARTILHADOS_DDL:
        connection.execute(statement)


TS_DDL = _postgresql_ddl(
    [
        # Both the accent-free and the accented Portuguese stems: "licitacao" stems like
        # "Licitação" only without accents, "LICITAÇÕES" like it only with them.
        f"""ALTER TABLE busca_entrada ADD COLUMN ts tsvector GENERATED ALWAYS AS (
        {_CAMPOS_CURTOS}
        || setweight(to_tsvector('{CONFIG}', left(coalesce(texto, ''), 1000000)), 'C')
        || setweight(to_tsvector('pg_catalog.portuguese', left(coalesce(texto, ''), 1000000)),
                     'C')
    ) STORED""",
        "CREATE INDEX ix_busca_entrada_ts ON busca_entrada USING gin (ts)",
    ]
)
# A process's own text is its type, classification and parties (short); a document's is its
# extracted content, which only `ts` holds.
RESUMO_DDL = _postgresql_ddl(
    [
        f"""ALTER TABLE busca_entrada ADD COLUMN ts_resumo tsvector GENERATED ALWAYS AS (
        {_CAMPOS_CURTOS}
        || setweight(to_tsvector('{CONFIG}', CASE WHEN tipo = 'processo'
                                 THEN left(coalesce(texto, ''), 4000) ELSE '' END), 'C')
    ) STORED""",
        """ALTER TABLE busca_entrada ADD COLUMN identificadores text[] GENERATED ALWAYS AS (
        array_remove(string_to_array(numero || ' ' || documentos_id, ' '), '')
    ) STORED""",
        "CREATE INDEX ix_busca_identificadores ON busca_entrada USING gin (identificadores)",
    ]
)
# Who may see an entry, as index keys: "publico", "u:<unit>" for restrito (the units it has
# been open in), "c:<user>" for sigiloso (the credentialed); none when cancelled. One GIN
# holds these, the filters' columns and `ts`, so the index itself intersects the words with
# the year, the filters and the caller's access (btree_gin): a broad word in one year, or a
# word only a few may see, is no longer a bitmap of all its matches filtered row by row.
FILTROS_DDL = _postgresql_ddl(
    [
        "CREATE EXTENSION IF NOT EXISTS btree_gin SCHEMA public",
        """ALTER TABLE busca_entrada ADD COLUMN acesso text[] GENERATED ALWAYS AS (
        CASE WHEN cancelado THEN '{}'::text[]
             WHEN nivel = 'publico' THEN ARRAY['publico']
             WHEN nivel = 'restrito' THEN string_to_array(
                 nullif('u:' || replace(trim(unidades), ' ', ' u:'), 'u:'), ' ')
             WHEN nivel = 'sigiloso' THEN string_to_array(
                 nullif('c:' || replace(trim(credenciados), ' ', ' c:'), 'c:'), ' ')
             ELSE '{}'::text[] END
    ) STORED""",
        """CREATE INDEX ix_busca_entrada_filtros ON busca_entrada USING gin (
        ano, tipo_processo, tipo_documento, unidade_geradora_id, acesso, ts)""",
        "DROP INDEX ix_busca_entrada_ts",
    ]
)
# A GIN collects new entries in a pending list (4 MB by default) that every scan reads in
# full: with the events of a day, a search's five year-scans read 400 pages each, 1.4 ms
# instead of 0.3 (busca_0004). 64 kB keeps the list a few pages long; writes merge it into
# the index that much more often.
PENDENTES_DDL = _postgresql_ddl(
    [
        "ALTER INDEX ix_busca_entrada_filtros SET (gin_pending_list_limit = 64)",
        "ALTER INDEX ix_busca_identificadores SET (gin_pending_list_limit = 64)",
    ]
)

# Where a snippet's window starts is the first of the query's stems in the text, looked for
# accent-free and in lower case (stems are both). Folding the text at query time was half
# of a page's snippet cost (~1 ms of 20 hits: `lower` and `unaccent` of ~3,000 characters
# each); `texto_dobrado` holds it folded once, when written (busca_0005). `unaccent` is
# STABLE (its rules file could change), so an IMMUTABLE wrapper lets a generated column use
# it, as the `portuguese`/`unaccent` configuration already does for `ts`. Lower case and
# accent removal keep a Portuguese text's length, so an offset in one is the offset in the
# other (a ligature or symbol unaccent expands shifts the window by a character or two).
DOBRADO_DDL = _postgresql_ddl(
    [
        """ALTER TABLE busca_entrada ADD COLUMN texto_dobrado text GENERATED ALWAYS AS (
        public.busca_dobrar(left(texto, 20000))) STORED""",
    ]
)

busca_entrada = Table(
    "busca_entrada",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("tipo", String(10), nullable=False),
    Column("processo_id", String(32), nullable=False),
    Column("versao", Integer, nullable=False),
    Column("numero", String(20), nullable=False),
    Column("numero_formatado", String(30), nullable=False),
    Column("titulo", Text, nullable=False),
    Column("texto", Text, nullable=False),
    Column("tipo_processo", String(200), nullable=False),
    Column("tipo_documento", String(200)),
    Column("unidade_geradora_id", String(32), nullable=False),
    Column("unidades", Text, nullable=False),  # " id id " (restrito: the units reached)
    Column("nivel", String(10), nullable=False),
    Column("credenciados", Text, nullable=False),  # " id id " (sigiloso)
    Column("documentos_id", Text, nullable=False),  # CPF/CNPJ digits
    Column("assinantes", Text, nullable=False),
    Column("data", UtcDateTime(), nullable=False),
    Column("ano", Integer, nullable=False),
    Column("cancelado", Boolean, nullable=False),
    # The version of the text (documents' extracted text arrives in its own event).
    Column("texto_versao", Integer, nullable=False),
    Index("ix_busca_entrada_processo_id", "processo_id"),
    Index("ix_busca_entrada_ano", "ano"),
)


@event.listens_for(busca_entrada, "after_create")
def _texto_completo(target: Table, connection: object, **kw: object) -> None:
    if connection.dialect.name == "postgresql":  # type: ignore[attr-defined]
        criar_compartilhados(connection)
        for statement in TS_DDL + RESUMO_DDL + FILTROS_DDL + PENDENTES_DDL + DOBRADO_DDL:
            connection.execute(statement)  # type: ignore[attr-defined]


TENANT_SCHEMA = TenantSchemaPart(
    name="busca",
    metadata=metadata,
    migrations_dir=Path(__file__).parent / "migrations",
    postgres_only=(
        "ts",
        "ts_resumo",
        "identificadores",
        "ix_busca_identificadores",
        "acesso",
        "ix_busca_entrada_filtros",
        "texto_dobrado",
    ),
)

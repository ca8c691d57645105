"""Server-side prepared statements for the search, one set per pooled connection.

A search is one long statement whose shape depends only on the schema, the
filters present and whether the query names an identifier; its words and
values are parameters. PostgreSQL planned it at every call (0.5-1 ms of a
search's ~6 ms of PostgreSQL CPU), and a statement PREPAREd under the default
`plan_cache_mode` kept custom plans: the generic plan's estimate looked dearer,
though the generic plan is the same walk (years, then the one GIN; see
postgres.py). So each connection prepares each shape once, with
`plan_cache_mode = force_generic_plan` set for the session (psycopg2 prepares
nothing else, so only these statements are affected), and executes it by name.

The names live in the pool record's `info`, which SQLAlchemy clears when it
replaces the DBAPI connection, so a new connection prepares anew. A connection
keeps at most `POR_CONEXAO` statements (a municipality's schema is part of the
text): the least recently used one is deallocated.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

POR_CONEXAO = 64
CHAVE = "sempapel_busca_preparadas"
_PARAMETRO = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


@dataclass
class Preparada:
    nome: str
    parametros: list[str]


def posicional(sql: str) -> tuple[str, list[str]]:
    """`:nome` bound parameters as `$n` (a name used twice is one parameter)."""
    nomes: list[str] = []

    def numero(m: re.Match[str]) -> str:
        if m.group(1) not in nomes:
            nomes.append(m.group(1))
        return f"${nomes.index(m.group(1)) + 1}"

    return _PARAMETRO.sub(numero, sql), nomes


def executar(conn: Any, sql: str, params: dict[str, Any]) -> list[Any]:
    """Run `sql` (our own text, `:nome` parameters) as a prepared statement on `conn`.

    Through `exec_driver_sql`, so SQLAlchemy's error and disconnect handling applies."""
    preparadas: OrderedDict[str, Preparada] = conn.connection.info.setdefault(CHAVE, OrderedDict())
    p = preparadas.get(sql)
    if p is None:
        if not preparadas:
            conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        while len(preparadas) >= POR_CONEXAO:
            _, velha = preparadas.popitem(last=False)
            conn.exec_driver_sql(f"DEALLOCATE {velha.nome}")
        texto, nomes = posicional(sql)
        nome = "busca_" + hashlib.sha1(sql.encode(), usedforsecurity=False).hexdigest()[:20]
        # psycopg2 reads % as its own placeholders even with no parameters given.
        conn.exec_driver_sql(f"PREPARE {nome} AS {texto.replace('%', '%%')}")
        p = preparadas[sql] = Preparada(nome, nomes)
    else:
        preparadas.move_to_end(sql)
    marcas = ", ".join(["%s"] * len(p.parametros))
    return conn.exec_driver_sql(
        f"EXECUTE {p.nome}({marcas})", tuple(params[n] for n in p.parametros)
    ).all()

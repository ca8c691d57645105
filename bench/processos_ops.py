"""Helper process of bench_processos.py: a bulk load of open processes, and the inbox's cursors.

JSON on stdin, JSON on stdout, like tenant_ops.py, so the benchmark's own
process imports no service code:

    processos_ops.py carregar   stdin: {"ibge", "sigla", "quantos", "prefixo"}
    processos_ops.py cursores   stdin: {"ibge", "sigla", "limite"}

`carregar` writes `quantos` processes open in unit `sigla` straight into the
municipality's schema with COPY, one transaction, then ANALYZEs the tables.
Each row is what `services/processos/handlers/commands.py::gerar` writes: `processo`,
`interessado`, `proc_unidade` (situacao 'aberto', received at creation) and
`andamento` (seq 1, 'gerado', its number in the details). What the API decides (type, plan
code, access level, interested party, unit, user) is copied from the newest
process that the API opened in that unit, which must exist. The numbers are
NIPE with prefix `prefixo` (not the municipality's own prefix, so no clash),
sequence 1..quantos, check digits from `services.processos.nup.gerar`; the
prefix's sequence row is set to its last number, as numbering would leave it.
Times go back one second per process from just before the oldest existing
process, so the API's processes stay on top of the inbox. No outbox event is
written: the relay would publish them all and disturb the measures.

`cursores` gives the `apos` cursor of every page after the first (`limite`
per page, newest change first), made by `services.processos.handlers.reads.cursor`
from the same order as the inbox's query: the cursors a client following
`proxima` gets. The benchmark checks a few of them against the API.

Unlike tenant_ops.py this process is not monkey-patched and does not take the
chassis engine: psycopg2 refuses COPY while psycogreen's wait callback is set
("copy_expert cannot be used with an asynchronous callback"), and a bulk load
needs no greenthreads.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
import uuid
from datetime import timedelta
from typing import Any

import psycopg2
from sqlalchemy.engine import make_url

from services.chassis.config import Settings
from services.chassis.tenant import schema_for
from services.processos import nup
from services.processos.handlers import reads
from services.processos.tables import andamento, interessado, processo, processo_unidade

CHUNK = 10_000
TABELAS = (processo, interessado, processo_unidade, andamento)


def _connect() -> Any:
    url = make_url(Settings.from_env().database_url)
    return psycopg2.connect(
        host=url.host, port=url.port or 5432, user=url.username, dbname=url.database
    )


def _unidade_id(cur: Any, schema: str, sigla: str) -> str:
    cur.execute(f'SELECT id FROM "{schema}".unidade WHERE sigla = %s', (sigla,))
    row = cur.fetchone()
    if row is None:
        raise SystemExit(f"unidade {sigla} não existe em {schema}")
    return row[0]


def _rows(cur: Any, query: str, params: tuple) -> list[dict[str, Any]]:
    cur.execute(query, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _text(value: Any) -> str:
    """One field in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def _copy(cur: Any, schema: str, table: Any, rows: list[dict[str, Any]]) -> None:
    """COPY rows (dicts by column name) in the text format.

    The columns are the table's in tables.py that the rows carry; one the rows
    lack (a column being added to the code, not yet in this schema, or with a
    server default) is left to the database.
    """
    columns = [c.name for c in table.columns if c.name in rows[0]]
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_text(row[c]) for c in columns))
        buffer.write("\n")
    buffer.seek(0)
    quoted = ", ".join(f'"{c}"' for c in columns)
    cur.copy_expert(f'COPY "{schema}"."{table.name}" ({quoted}) FROM STDIN', buffer)


def cmd_carregar(ibge: str, sigla: str, quantos: int, prefixo: str) -> dict[str, Any]:
    schema = schema_for(ibge)
    conn = _connect()
    try:
        with conn.cursor() as cur:
            unidade_id = _unidade_id(cur, schema, sigla)
            modelos = _rows(
                cur,
                f'SELECT p.* FROM "{schema}".processo p JOIN "{schema}".proc_unidade pu '
                "ON pu.processo_id = p.id WHERE pu.unidade_id = %s AND pu.situacao = 'aberto' "
                "ORDER BY p.criado_em DESC LIMIT 1",
                (unidade_id,),
            )
            if not modelos:
                raise SystemExit(f"nenhum processo aberto pela API em {sigla}: nada a copiar")
            modelo = modelos[0]
            gerado = _rows(
                cur,
                f'SELECT * FROM "{schema}".andamento WHERE processo_id = %s AND seq = 1',
                (modelo["id"],),
            )[0]
            interessados = _rows(
                cur,
                f'SELECT * FROM "{schema}".interessado WHERE processo_id = %s ORDER BY ordem',
                (modelo["id"],),
            )
            cur.execute(
                f'SELECT min(pu.atualizado_em), count(*) FROM "{schema}".proc_unidade pu '
                "WHERE pu.unidade_id = %s AND pu.situacao = 'aberto'",
                (unidade_id,),
            )
            mais_antigo, antes = cur.fetchone()

            started = time.perf_counter()
            ultimo_por_ano: dict[int, int] = {}
            for inicio in range(1, quantos + 1, CHUNK):
                lote: dict[str, list[dict[str, Any]]] = {t.name: [] for t in TABELAS}
                for n in range(inicio, min(inicio + CHUNK, quantos + 1)):
                    quando = mais_antigo - timedelta(seconds=n)
                    ultimo_por_ano[quando.year] = max(ultimo_por_ano.get(quando.year, 0), n)
                    pid = uuid.uuid4().hex
                    numero = nup.gerar("nipe", prefixo, n, quando.year)
                    lote[processo.name].append(
                        {
                            **modelo,
                            "id": pid,
                            "numero": numero.digitos,
                            "formato": "nipe",
                            "ano": quando.year,
                            "especificacao": f"Processo de carga {n}",
                            "principal_id": None,
                            "sobrestado": False,
                            "sobrestado_motivo": None,
                            "nivel_documentos": "publico",
                            "versao": 1,
                            "criado_em": quando,
                            "atualizado_em": quando,
                        }
                    )
                    lote[interessado.name].extend({**i, "processo_id": pid} for i in interessados)
                    lote[processo_unidade.name].append(
                        {
                            "processo_id": pid,
                            "unidade_id": unidade_id,
                            "situacao": "aberto",
                            "atribuido_a": None,
                            "marcador": None,
                            "enviado_em": None,
                            "recebido_em": quando,
                            "atualizado_em": quando,
                        }
                    )
                    lote[andamento.name].append(
                        {
                            **gerado,
                            "id": uuid.uuid4().hex,
                            "processo_id": pid,
                            "seq": 1,
                            "tipo": "gerado",
                            "criado_em": quando,
                            "detalhes": json.dumps({"numero": numero.formatado}),
                        }
                    )
                for table in TABELAS:
                    _copy(cur, schema, table, lote[table.name])
            for ano, ultimo in ultimo_por_ano.items():
                cur.execute(
                    f'INSERT INTO "{schema}".numeracao_sequencia (prefixo, ano, ultimo) '
                    "VALUES (%s, %s, %s) ON CONFLICT (prefixo, ano) "
                    "DO UPDATE SET ultimo = GREATEST(numeracao_sequencia.ultimo, EXCLUDED.ultimo)",
                    (prefixo, ano, ultimo),
                )
            conn.commit()
            copy_s = time.perf_counter() - started

            started = time.perf_counter()
            conn.autocommit = True
            cur.execute("ANALYZE " + ", ".join(f'"{schema}"."{t.name}"' for t in TABELAS))
            analyze_s = time.perf_counter() - started
            cur.execute(
                f'SELECT count(*) FROM "{schema}".proc_unidade '
                "WHERE unidade_id = %s AND situacao = 'aberto'",
                (unidade_id,),
            )
            depois = cur.fetchone()[0]
    finally:
        conn.close()
    return {
        "schema": schema,
        "unidade_id": unidade_id,
        "inseridos": quantos,
        "abertos_antes": antes,
        "abertos_depois": depois,
        "copy_s": copy_s,
        "analyze_s": analyze_s,
    }


def cmd_cursores(ibge: str, sigla: str, limite: int) -> dict[str, Any]:
    """The `apos` cursor after rows limite, 2*limite, ... while more rows follow."""
    schema = schema_for(ibge)
    conn = _connect()
    try:
        with conn.cursor() as cur:
            unidade_id = _unidade_id(cur, schema, sigla)
            # The inbox's filter (recebidos; sigiloso only with a credential: none here).
            cur.execute(
                "SELECT atualizado_em, processo_id, total FROM ("
                "  SELECT pu.atualizado_em, pu.processo_id, count(*) OVER () AS total,"
                "    row_number() OVER (ORDER BY pu.atualizado_em DESC, pu.processo_id DESC) AS n"
                f'  FROM "{schema}".proc_unidade pu JOIN "{schema}".processo p'
                "    ON p.id = pu.processo_id"
                "  WHERE pu.unidade_id = %s AND pu.situacao = 'aberto'"
                "    AND p.nivel_efetivo <> 'sigiloso'"
                ") t WHERE n %% %s = 0 AND n < total ORDER BY n",
                (unidade_id, limite),
            )
            rows = cur.fetchall()
            cur.execute(
                f'SELECT count(*) FROM "{schema}".proc_unidade pu JOIN "{schema}".processo p '
                "ON p.id = pu.processo_id WHERE pu.unidade_id = %s AND pu.situacao = 'aberto' "
                "AND p.nivel_efetivo <> 'sigiloso'",
                (unidade_id,),
            )
            total = cur.fetchone()[0]
    finally:
        conn.close()
    return {"total": total, "cursores": [reads.cursor(quando, pid) for quando, pid, _ in rows]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("carregar", "cursores"))
    args = parser.parse_args()
    item = json.load(sys.stdin)
    if args.command == "carregar":
        result = cmd_carregar(item["ibge"], item["sigla"], int(item["quantos"]), item["prefixo"])
    else:
        result = cmd_cursores(item["ibge"], item["sigla"], int(item["limite"]))
    json.dump(result, sys.stdout, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

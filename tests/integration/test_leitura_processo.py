"""A process read is served by indexes only, so it does not grow with the municipality."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from services.processos import repository

ITUMBIARA = "5211503"


@pytest.mark.parametrize("nome", ["DETALHE", "LEITURA", "OPERACAO"])
def test_every_part_of_a_process_read_has_an_index(engine, provision, nome):
    provision(ITUMBIARA, "Itumbiara")
    schema = f"mun_{ITUMBIARA}"
    statement = getattr(repository, nome).params(pid="0" * 32)
    compiled = statement.compile(
        dialect=postgresql.dialect(),
        schema_translate_map={None: schema},
        compile_kwargs={"literal_binds": True},
    )
    sql = compiled.preparer._render_schema_translates(compiled.string, {None: schema})
    with engine.connect() as conn:
        # With sequential scans priced out, any left in the plan are ones no index can
        # replace: they would read every process of the municipality on every read.
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(conn.exec_driver_sql(f"EXPLAIN {sql}").scalars())
    assert "Seq Scan" not in plan, plan

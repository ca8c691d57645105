"""The Oracle statement check itself (tests/oracle_statements.py): it must be able to fail."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import oracle_statements
import pytest
from oracle_statements import Recorded, StatementRecorder, check, oracle_19c
from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    cast,
    create_engine,
    func,
    insert,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.chassis.dialect_only import postgresql_only, postgresql_only_options

HERE = Path(__file__).resolve().parent

metadata = MetaData()
item = Table(
    "item",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("nome", String(100), nullable=False),
    Column("ativo", Boolean, nullable=False),
    Column("ordem", Integer, nullable=False),
)


@pytest.fixture(scope="module")
def dialect():
    return oracle_19c()


def problems(statement, dialect) -> list[str]:
    findings = check([Recorded(statement, source="services/x.py:1")], dialect)
    return findings[0].problems if findings else []


def test_the_dialect_is_set_up_by_its_own_rules_as_for_oracle_19c(dialect):
    assert dialect.server_version_info == (19, 0)
    assert dialect.driver == "oracledb"
    assert not dialect.supports_native_boolean  # BOOLEAN arrives with 23ai
    sql = str(select(item).where(item.c.ativo.is_(True)).limit(5).compile(dialect=dialect))
    assert "item.ativo IS 1" in sql
    assert "FETCH FIRST" in sql and "ROWNUM" not in sql


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (select(item).where(item.c.ativo.is_(True)), "IS 1 / IS 0"),
        (select(item).where(item.c.ativo.is_not(False)), "IS 1 / IS 0"),
        (select(item).where(item.c.nome.op("ILIKE")("a%")), "ILIKE"),
        (text("SELECT id FROM item WHERE nome ILIKE :padrao"), "ILIKE"),
        (text("SELECT id::text FROM item"), "cast '::'"),
        (text("SELECT id FROM item ORDER BY id LIMIT 10"), "LIMIT em texto"),
        (text("SELECT id FROM item WHERE ativo = true"), "literal booleano"),
        (text("SELECT now() FROM item"), "função do PostgreSQL"),
        (select(func.array_agg(item.c.id)), "função do PostgreSQL"),
        (select(func.count().filter(item.c.ordem > 1)), "FILTER (WHERE"),
        (text("SELECT 1"), "SELECT sem FROM"),
        (text("SELECT relname FROM pg_class"), "catálogo pg_*"),
        (text("PREPARE p AS SELECT 1"), "PREPARE/EXECUTE"),
        (pg_insert(item).values(id="a").on_conflict_do_nothing(), "não compila para Oracle"),
        (select(item).ext(distinct_on(item.c.nome)), "não compila para Oracle"),
        (
            select(item).order_by(item.c.ordem).limit(5).with_for_update(skip_locked=True),
            "ORA-02014",
        ),
        (text("SELECT i.id FROM item AS i"), "alias de tabela com AS"),
    ],
    ids=lambda value: None if isinstance(value, str) else type(value).__name__,
)
def test_postgresql_only_sql_is_reported(statement, expected, dialect):
    found = problems(statement, dialect)
    assert any(expected in p for p in found), found


@pytest.mark.parametrize(
    "statement",
    [
        select(item).where(item.c.ativo == true()),
        select(item).where(item.c.ativo.is_(None)),
        select(item).where(item.c.nome.ilike("a%")),
        select(cast(item.c.ordem, Text)),
        select(func.now()),  # CURRENT_TIMESTAMP FROM DUAL on Oracle
        select(item).order_by(item.c.ordem).limit(10).offset(20),
        select(item).where(item.c.ordem > 1).with_for_update(skip_locked=True),
        insert(item).values(id="a", nome="b", ativo=True, ordem=1),
        item.update().where(item.c.id == "a").values(ordem=item.c.ordem + 1).returning(item.c.id),
        text("SELECT id FROM item WHERE nome = 'LIMIT 10 :: ILIKE' AND ordem = :ordem"),
        text("SELECT 1 FROM dual"),
    ],
)
def test_their_portable_forms_are_not(statement, dialect):
    assert problems(statement, dialect) == []


@pytest.fixture
def sqlite():
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def record(engine, root: Path, run) -> StatementRecorder:
    """Run `run(conn)` with a recorder that takes `root` for services/."""
    recorder = StatementRecorder(source_root=root)
    recorder.install(engine)
    try:
        with engine.connect() as conn:
            run(conn)
    finally:
        recorder.remove()
    return recorder


def test_a_declared_postgresql_only_statement_is_not_checked_but_what_it_stands_for_is(
    sqlite, dialect
):
    is_true = select(item.c.id).where(item.c.ativo.is_(True))

    def run(conn):
        conn.execute(postgresql_only(text("SELECT 1")))
        conn.exec_driver_sql("SELECT 2", execution_options=postgresql_only_options())
        conn.exec_driver_sql("SELECT 3", execution_options=postgresql_only_options(is_true))
        conn.execute(text("SELECT 4"))  # not declared: checked, and refused (no FROM)

    recorder = record(sqlite, HERE, run)
    assert len(recorder.declared) == 3
    findings = check(recorder.statements.values(), dialect)
    assert sorted(str(f.recorded.statement) for f in findings) == sorted([str(is_true), "SELECT 4"])
    for finding in findings:
        assert finding.recorded.source.startswith("tests/unit/test_oracle_statements.py:")
        assert finding.recorded.source.endswith(" em run")


def test_each_statement_is_kept_once_with_where_it_came_from(sqlite, dialect):
    def run(conn):
        for ordem in range(3):
            conn.execute(select(item).where(item.c.ordem == ordem, item.c.ativo.is_(True)))

    recorder = record(sqlite, HERE, run)
    assert len(recorder.statements) == 1
    (finding,) = check(recorder.statements.values(), dialect)
    assert "IS 1" in finding.oracle_sql


def test_statements_from_outside_services_are_not_checked(sqlite, dialect):
    recorder = record(sqlite, HERE / "nao_existe", lambda conn: conn.execute(text("SELECT 1")))
    assert [r.source for r in recorder.statements.values()] == [None]
    assert check(recorder.statements.values(), dialect) == []


INNER_TEST = textwrap.dedent(
    """
    import os
    from sqlalchemy import create_engine, text

    def test_runs_postgresql_only_sql(request):
        plugin = request.config.pluginmanager.get_plugin("sempapel_oracle_check")
        # This file's frames stand for services/ here.
        plugin.recorder.root = os.path.dirname(os.path.abspath(__file__)) + os.sep
        with create_engine("sqlite://").connect() as conn:
            conn.execute(text("SELECT 1 AS um FROM (SELECT 1) LIMIT 1"))
    """
)


@pytest.mark.parametrize(
    ("mode", "exit_code"),
    [("", pytest.ExitCode.TESTS_FAILED), ("relatorio", pytest.ExitCode.OK)],
)
def test_the_plugin_fails_the_run_unless_asked_for_a_report_only(
    pytester, monkeypatch, mode, exit_code
):
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")])
    )
    monkeypatch.setenv(oracle_statements.MODE_ENV, mode)
    pytester.makepyfile(test_inner=INNER_TEST)
    result = pytester.runpytest_subprocess("-p", "oracle_statements", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*test_inner.py:* em test_*", "*LIMIT em texto*", "*1 passed*"])
    assert result.ret == exit_code


def test_an_unknown_mode_is_a_usage_error(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(HERE.parent))
    monkeypatch.setenv(oracle_statements.MODE_ENV, "talvez")
    pytester.makepyfile(test_inner="def test_nada():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "oracle_statements")
    assert result.ret == pytest.ExitCode.USAGE_ERROR

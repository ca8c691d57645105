"""The Oracle check: every statement the services ran in the suite, compiled for Oracle 19c.

A pytest plugin, registered by tests/conftest.py, so every `make test` does it
with no second pass: the suite already runs every service in this process
against PostgreSQL. While tests run, a listener on SQLAlchemy's
`before_cursor_execute` (on the `Engine` class: every engine, and the only
event `exec_driver_sql` fires) keeps each distinct statement once, keyed by
its compiled text (the same string object on every cache hit, so a lookup
costs a hash), with where it came from (the first frame in services/, and its
caller outside the chassis). At the end of the session each is compiled with
python-oracledb's dialect initialised as by an Oracle 19c server and the
`schema_translate_map` a tenant session uses, and the run fails when one does
not compile or still holds PostgreSQL-only SQL (structure and warnings of the
compile, then the Oracle text itself, see `PG_ONLY`).

Not checked, and counted in the report:
- statements declared PostgreSQL-only where they are issued
  (services/chassis/dialect_only.py); a declared statement may name the
  portable one other databases run instead, which is checked in its place;
- what SQLAlchemy's or Alembic's own PostgreSQL dialect issues (reflection,
  connection setup): on Oracle their Oracle dialect issues its own;
- statements with no frame in services/ (a test's own SQL).
Statements run in child processes (`sempapel migrar`'s workers) are not seen.

`SEMPAPEL_ORACLE_CHECK=relatorio` reports without failing; the default,
`estrito`, fails the run on any finding.
"""

from __future__ import annotations

import os
import re
import sys
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import alembic
import pytest
import sqlalchemy
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import visitors
from sqlalchemy.sql.ddl import ExecutableDDLElement
from sqlalchemy.sql.selectable import Select

from services.chassis.dialect_only import DIALECT_OPTION, STANDS_FOR_OPTION

MODE_ENV = "SEMPAPEL_ORACLE_CHECK"
MODES = ("estrito", "relatorio")
REPO = Path(__file__).resolve().parent.parent
SERVICES = REPO / "services"
# What a tenant unit of work executes with (chassis/tenant_session.py).
TENANT_SCHEMA_MAP = {None: "mun_5208004"}

_SQLALCHEMY = os.path.dirname(sqlalchemy.__file__) + os.sep
_SQLALCHEMY_DIALECTS = _SQLALCHEMY + "dialects" + os.sep
_LIBRARY_POSTGRESQL = (
    _SQLALCHEMY_DIALECTS + "postgresql" + os.sep,
    os.path.join(os.path.dirname(alembic.__file__), "ddl", "postgresql.py"),
)
_THIS_FILE = __file__


def oracle_19c() -> Dialect:
    """python-oracledb's dialect (thin mode, as production), initialised as by Oracle 19c."""
    engine = create_engine(
        "oracle+oracledb://verificacao@localhost/?service_name=sempapel", thick_mode=None
    )
    return as_oracle_19c(engine.dialect)


def as_oracle_19c(dialect: Dialect) -> Dialect:
    """`dialect`, initialised as if it had connected to an Oracle 19c server.

    The dialect's own `initialize` runs, so every version-dependent choice is the
    library's: no native BOOLEAN before 23 (`.is_(True)` is `IS 1`, a Boolean column
    is SMALLINT), FETCH FIRST from 12, 128-byte identifiers from 12.2, no JSON type
    before 21. Only the answers a server would give are stubbed; nothing connects.
    """
    server_answers = {
        "_get_server_version_info": lambda connection: (19, 0),
        "_get_default_schema_name": lambda connection: "SEMPAPEL",
        "get_default_isolation_level": lambda dbapi_connection: "READ COMMITTED",
        "_check_max_identifier_length": lambda connection: None,  # 12.2+: the dialect's 128
        "_detect_decimal_char": lambda connection: None,
    }
    for name, answer in server_answers.items():
        setattr(dialect, name, answer)
    try:
        dialect.initialize(SimpleNamespace(connection=SimpleNamespace(dbapi_connection=None)))
    finally:
        for name in server_answers:
            delattr(dialect, name)
    return dialect


# -- recording -------------------------------------------------------------------------------


@dataclass
class Recorded:
    """One distinct statement and where it was first issued from."""

    statement: Any  # a ClauseElement (compiled for Oracle) or a str (driver SQL, scanned)
    column_keys: list[str] | None = None
    executemany: bool = False
    source: str | None = None  # first frame in services/
    caller: str | None = None  # first frame in services/ outside the chassis, if different
    library: bool = False  # issued by SQLAlchemy's/Alembic's PostgreSQL dialect itself


def _where(frame: Any) -> str:
    path = Path(frame.f_code.co_filename)
    try:
        path = path.relative_to(REPO)
    except ValueError:
        pass
    return f"{path}:{frame.f_lineno} em {frame.f_code.co_name}"


class StatementRecorder:
    """Keeps each distinct statement executed on the engines it listens to."""

    def __init__(self, source_root: Path = SERVICES) -> None:
        self.root = str(source_root) + os.sep
        self.chassis = os.path.join(self.root, "chassis") + os.sep
        self.statements: dict[Any, Recorded] = {}
        self.declared: set[Any] = set()
        self.executions = 0
        self._targets: list[Any] = []

    def install(self, target: Any = Engine) -> None:
        event.listen(target, "before_cursor_execute", self._before_cursor_execute)
        self._targets.append(target)

    def remove(self) -> None:
        while self._targets:
            event.remove(self._targets.pop(), "before_cursor_execute", self._before_cursor_execute)

    def _before_cursor_execute(
        self,
        conn: Any,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        self.executions += 1
        compiled = context.compiled
        key = (
            statement
            if compiled is None
            else (compiled.string, getattr(compiled, "for_executemany", False))
        )
        seen = self.statements.get(key)
        if seen is not None and seen.source is not None:
            return  # the common case: one dict lookup
        options = context.execution_options
        if options.get(DIALECT_OPTION) == "postgresql":
            self._declared(key, options.get(STANDS_FOR_OPTION))
            return
        if seen is None:
            if compiled is None:
                seen = Recorded(statement)
            else:
                seen = Recorded(
                    compiled.statement,
                    column_keys=getattr(compiled, "column_keys", None),
                    executemany=bool(getattr(compiled, "for_executemany", False)),
                )
            self.statements[key] = seen
        self._locate(seen)

    def _declared(self, key: Any, stands_for: Any) -> None:
        self.declared.add(key)
        if stands_for is None:
            return
        # Built once at import (prepared statements are known by identity): key by id.
        stand_in_key = ("equivalente", id(stands_for))
        seen = self.statements.get(stand_in_key)
        if seen is None:
            seen = self.statements[stand_in_key] = Recorded(stands_for)
        if seen.source is None:
            self._locate(seen)

    def _locate(self, recorded: Recorded) -> None:
        """Who issued it: the first frame in services/, its caller outside the chassis,
        and whether SQLAlchemy's or Alembic's PostgreSQL dialect issued it itself."""
        frame = sys._getframe(2)
        issuer: str | None = None
        while frame is not None:
            filename = frame.f_code.co_filename
            if issuer is None and filename != _THIS_FILE:
                in_core = filename.startswith(_SQLALCHEMY) and not filename.startswith(
                    _SQLALCHEMY_DIALECTS
                )
                if not in_core:
                    issuer = filename
            if filename.startswith(self.root):
                if recorded.source is None:
                    recorded.source = _where(frame)
                    recorded.library = issuer is not None and issuer.startswith(_LIBRARY_POSTGRESQL)
                if not filename.startswith(self.chassis):
                    where = _where(frame)
                    if where != recorded.source:
                        recorded.caller = where
                    return
            frame = frame.f_back


# -- checking --------------------------------------------------------------------------------

_FUNCTIONS = (
    "NOW|CLOCK_TIMESTAMP|STATEMENT_TIMESTAMP|TRANSACTION_TIMESTAMP|AGE|DATE_TRUNC|DATE_PART"
    "|TO_TSVECTOR|TO_TSQUERY|PLAINTO_TSQUERY|PHRASETO_TSQUERY|WEBSEARCH_TO_TSQUERY|TS_RANK"
    "|TS_RANK_CD|TS_HEADLINE|SETWEIGHT|TSVECTOR_TO_ARRAY|UNACCENT|GEN_RANDOM_UUID"
    "|UUID_GENERATE_V4|JSONB_\\w+|JSON_BUILD_\\w+|JSON_AGG|JSON_OBJECT_AGG|ROW_TO_JSON|TO_JSONB?"
    "|ARRAY_\\w+|STRING_TO_ARRAY|STRING_AGG|UNNEST|GENERATE_SERIES|STRPOS|SPLIT_PART|LEFT|RIGHT"
    "|CHAR_LENGTH|CHARACTER_LENGTH|SUBSTRING|POSITION|OVERLAY|CONCAT_WS|FORMAT|RANDOM|MD5"
    "|BOOL_AND|BOOL_OR|STARTS_WITH|REGEXP_MATCHES|REGEXP_SPLIT_TO_\\w+|CURRENT_SETTING"
    "|SET_CONFIG"
)
# Read on the Oracle text, with string literals, quoted names, comments and bound
# parameters taken out, in upper case.
PG_ONLY: tuple[tuple[str, str], ...] = (
    (
        r"\bIS\s+(NOT\s+)?[01]\b",
        "IS 1 / IS 0 (de .is_(True) / .is_(False)): o Oracle antes do 23ai recusa (ORA-00908);"
        " use == true() / == false()",
    ),
    (r"\b(TRUE|FALSE)\b", "literal booleano: o Oracle 19c não tem; use true() / false()"),
    (r"::", "cast '::' do PostgreSQL; use CAST(x AS tipo) (sqlalchemy.cast)"),
    (r"\bILIKE\b", "ILIKE; use .ilike() (lower(x) LIKE lower(y) no Oracle)"),
    (r"\bON\s+CONFLICT\b", "ON CONFLICT; no Oracle: MERGE, ou um ramo escolhido por dialeto"),
    (r"\bDISTINCT\s+ON\b", "DISTINCT ON; use row_number() OVER (PARTITION BY ...)"),
    (r"\bLIMIT\b", "LIMIT em texto; use .limit() (FETCH FIRST no Oracle)"),
    (r"\bOFFSET\b(?!\s+\S+\s+ROWS?\b)", "OFFSET em texto; use .offset() (OFFSET n ROWS)"),
    (
        r"\bFETCH\s+(FIRST|NEXT)\b[\s\S]*\bFOR\s+UPDATE\b",
        "FOR UPDATE com LIMIT (FETCH FIRST): o Oracle recusa (ORA-02014); busque as N "
        "primeiras linhas do cursor (fetchmany) sem limitar a consulta",
    ),
    (r"\bRETURNING\b(?![\s\S]*\bINTO\b)", "RETURNING sem INTO (texto do PostgreSQL)"),
    (r"^\s*(PREPARE|EXECUTE|DEALLOCATE|DISCARD)\b", "PREPARE/EXECUTE do PostgreSQL"),
    (
        r"^\s*(SET(?!\s+(TRANSACTION|ROLE|CONSTRAINTS?)\b)|SHOW|RESET)\b",
        "SET/SHOW de sessão do PostgreSQL (no Oracle: ALTER SESSION)",
    ),
    (r"\bPG_\w+", "catálogo pg_* do PostgreSQL"),
    (r"\bINFORMATION_SCHEMA\b", "information_schema (o Oracle tem ALL_TABLES...)"),
    (r"\bCREATE\s+(SCHEMA|EXTENSION|TEXT\s+SEARCH)\b", "DDL do PostgreSQL"),
    (r"\$\$", "bloco $$ do PostgreSQL"),
    (r"\bIF\s+(NOT\s+)?EXISTS\b", "IF [NOT] EXISTS: só no Oracle 23ai"),
    (r"\bUSING\s+GIN\b|\bTSVECTOR\b|\bJSONB\b|\[\]|\bSTORED\b", "tipo ou índice do PostgreSQL"),
    (r"@@|&&|@>|<@|!~|~|->|#>", "operador do PostgreSQL"),
    (r"\bARRAY\s*\[", "ARRAY[...] do PostgreSQL"),
    (r"\bFILTER\s*\(\s*WHERE\b", "agregado com FILTER (WHERE ...); use CASE dentro do agregado"),
    (
        r"\bINTERVAL\s+''(?!\s*(YEAR|MONTH|DAY|HOUR|MINUTE|SECOND)\b)",
        "INTERVAL '...' do PostgreSQL (no Oracle: INTERVAL '1' DAY)",
    ),
    (r"\bEXTRACT\s*\(\s*EPOCH\b", "EXTRACT(EPOCH ...) do PostgreSQL"),
    (rf"\b({_FUNCTIONS})\s*\(", "função do PostgreSQL"),
    (
        r"\b(FROM|JOIN)\s+[\w.\"$#]+\s+AS\s+\w",
        "alias de tabela com AS: o Oracle não aceita (FROM tabela t)",
    ),
)
_COMPILED_PG_ONLY = [(re.compile(p), m) for p, m in PG_ONLY]
_LITERALS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*[\s\S]*?\*/")
_PARAMETERS = re.compile(r"(?<![:\w]):\w+|__\[POSTCOMPILE_\w+\]|%\(\w+\)s|%s|\$\d+")


def textual_problems(sql: str) -> list[str]:
    """PostgreSQL-only constructs in SQL text as Oracle would receive it."""
    bare = _PARAMETERS.sub(" :b ", _LITERALS.sub(" '' ", sql)).upper()
    problems = []
    for pattern, message in _COMPILED_PG_ONLY:
        match = pattern.search(bare)
        if match:
            problems.append(f"{message} [{' '.join(match.group(0).split())[:40]}]")
    if re.match(r"\s*SELECT\b", bare) and not re.search(r"\bFROM\b", bare):
        problems.append("SELECT sem FROM: o Oracle exige FROM dual")
    return problems


def structural_problems(statement: Any) -> list[str]:
    """What the Oracle text cannot show: SQLAlchemy drops it, or renders it differently."""
    problems = []
    if isinstance(statement, ExecutableDDLElement):
        target = getattr(statement, "element", None)
        kwargs = getattr(target, "dialect_kwargs", {}) or {}
        ignored = sorted(k for k in kwargs if k.startswith("postgresql_"))
        if ignored:
            problems.append(f"opções só do PostgreSQL, ignoradas no Oracle: {ignored}")
        return problems
    try:
        elements = list(visitors.iterate(statement))
    except Exception:  # noqa: BLE001 - a construct that cannot be walked is still compiled
        elements = [statement]
    for element in elements:
        if isinstance(element, Select) and element._distinct_on:
            problems.append("DISTINCT ON (o Oracle compila como DISTINCT, outro resultado)")
    return problems


def oracle_problems(recorded: Recorded, dialect: Dialect) -> tuple[list[str], str]:
    """The problems of one statement on Oracle 19c, and the SQL Oracle would receive."""
    statement = recorded.statement
    if isinstance(statement, str):
        return textual_problems(statement), statement
    problems = structural_problems(statement)
    options: dict[str, Any] = {"schema_translate_map": TENANT_SCHEMA_MAP}
    if not isinstance(statement, ExecutableDDLElement):
        options.update(column_keys=recorded.column_keys, for_executemany=recorded.executemany)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            compiled = statement.compile(dialect=dialect, **options)
        except Exception as exc:  # noqa: BLE001 - any failure to compile is the finding
            return [*problems, f"não compila para Oracle: {type(exc).__name__}: {exc}"], ""
    for warning in caught:
        if warning.category.__module__.startswith("sqlalchemy"):
            problems.append(f"aviso ao compilar para Oracle: {warning.message}")
    sql = compiled.preparer._render_schema_translates(compiled.string, TENANT_SCHEMA_MAP)
    return [*problems, *textual_problems(sql)], sql


@dataclass
class Finding:
    recorded: Recorded
    problems: list[str]
    oracle_sql: str


def check(recorded: Iterable[Recorded], dialect: Dialect | None = None) -> list[Finding]:
    """Every recorded runtime statement of services/ with a problem on Oracle 19c."""
    dialect = dialect or oracle_19c()
    findings = []
    for r in recorded:
        if r.source is None or r.library:
            continue
        problems, sql = oracle_problems(r, dialect)
        if problems:
            findings.append(Finding(r, problems, sql))
    return findings


# -- the pytest plugin -----------------------------------------------------------------------


@dataclass
class OracleCheck:
    mode: str
    recorder: StatementRecorder = field(default_factory=StatementRecorder)
    findings: list[Finding] = field(default_factory=list)
    checked: int = 0
    seconds: float = 0.0

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.recorder.remove()
        statements = list(self.recorder.statements.values())
        self.checked = sum(1 for r in statements if r.source is not None and not r.library)
        started = time.perf_counter()
        self.findings = check(statements)
        self.seconds = time.perf_counter() - started
        if self.findings and self.mode == "estrito" and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        statements = list(self.recorder.statements.values())
        if not statements and not self.recorder.declared:
            return
        write = terminalreporter.write_line
        terminalreporter.section("Oracle 19c: as instruções que os serviços executaram")
        library = sum(1 for r in statements if r.library)
        outside = sum(1 for r in statements if r.source is None)
        write(
            f"{self.recorder.executions} execuções; {self.checked} instruções distintas (por "
            f"texto) de services/ compiladas para Oracle 19c em {self.seconds:.1f} s; "
            f"não verificadas: {len(self.recorder.declared)} declaradas só PostgreSQL "
            f"(chassis/dialect_only.py), {library} do próprio dialeto PostgreSQL do "
            f"SQLAlchemy/Alembic, {outside} sem origem em services/ (SQL dos testes)."
        )
        if not self.findings:
            write("Nenhuma com SQL só do PostgreSQL.")
            return
        groups: dict[tuple, list[Finding]] = {}
        for finding in self.findings:
            r = finding.recorded
            groups.setdefault((r.source, r.caller, tuple(finding.problems)), []).append(finding)
        for number, ((source, caller, problems), findings) in enumerate(groups.items(), 1):
            write("")
            origin = source + (f" (chamada de {caller})" if caller else "")
            variants = f" [{len(findings)} variantes]" if len(findings) > 1 else ""
            write(f"[{number}] {origin}{variants}", red=True, bold=True)
            for problem in problems:
                write(f"    - {problem}")
            example = findings[0]
            label, sql = "SQL no Oracle", example.oracle_sql
            if not sql:  # it did not compile for Oracle: show what PostgreSQL ran
                label, sql = "SQL no PostgreSQL", str(example.recorded.statement)
            sql = " ".join(sql.split())
            write(f"    {label}: {sql[:600]}{' ...' if len(sql) > 600 else ''}")
        write("")
        consequence = (
            "A execução falha por isso"
            if self.mode == "estrito"
            else "Só relatório (SEMPAPEL_ORACLE_CHECK=relatorio)"
        )
        write(
            f"{len(self.findings)} instruções ({len(groups)} lugares) com SQL só do "
            f"PostgreSQL. {consequence}. "
            "Escreva a forma portável, ou declare o caminho escolhido por dialeto onde a "
            "instrução é emitida (services/chassis/dialect_only.py).",
            red=self.mode == "estrito",
            bold=True,
        )


def pytest_configure(config: pytest.Config) -> None:
    mode = os.environ.get(MODE_ENV, "estrito").strip().lower() or "estrito"
    if mode not in MODES:
        raise pytest.UsageError(f"{MODE_ENV} deve ser um de {MODES}, não {mode!r}")
    plugin = OracleCheck(mode)
    plugin.recorder.install()
    config.pluginmanager.register(plugin, "sempapel_oracle_check")


def pytest_unconfigure(config: pytest.Config) -> None:
    plugin = config.pluginmanager.get_plugin("sempapel_oracle_check")
    if plugin is not None:
        plugin.recorder.remove()
        config.pluginmanager.unregister(plugin)

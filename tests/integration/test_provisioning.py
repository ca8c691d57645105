"""Provisioning and migrating municipality schemas on a real PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, String, Table, inspect, select, text

from services.chassis.config import Settings
from services.chassis.errors import Conflito, DadosInvalidos
from services.chassis.schema_migrations import (
    TenantSchemaPart,
    current_revisions,
    discover_parts,
    tenant_metadata,
    upgrade,
)
from services.tenancy import provisioning, registry
from services.tenancy.tables import municipio


def schema_shape(engine, schema: str) -> dict:
    """Everything that defines a schema's tables, for comparing two schemas."""
    insp = inspect(engine)
    shape = {}
    for table in sorted(insp.get_table_names(schema=schema)):
        shape[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"])
                for c in insp.get_columns(table, schema=schema)
            ],
            "pk": insp.get_pk_constraint(table, schema=schema),
            "unique": sorted(
                (u["name"], tuple(u["column_names"]))
                for u in insp.get_unique_constraints(table, schema=schema)
            ),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), i["unique"])
                for i in insp.get_indexes(table, schema=schema)
            ),
            "fks": sorted(
                str(
                    {
                        **f,
                        "referred_schema": "<este>"
                        if f["referred_schema"] == schema
                        else f["referred_schema"],
                    }
                )
                for f in insp.get_foreign_keys(table, schema=schema)
            ),
        }
    return shape


def fail_at(step_name: str):
    def hook(step: str) -> None:
        if step == step_name:
            raise RuntimeError(f"falha injetada em {step}")

    return hook


def test_provisioning_twice_changes_nothing(engine):
    first = provisioning.provision(engine, "5201108", "Anápolis", "GO")
    before = registry.get(engine, "5201108")
    shape = schema_shape(engine, "mun_5201108")
    second = provisioning.provision(engine, "5201108", "Anápolis", "GO")
    assert set(first.parts.values()) == {"created"}
    assert set(second.parts.values()) == {"current"}
    assert (first.catalogo, second.catalogo) == ("seeded", "current")
    assert registry.get(engine, "5201108") == before
    assert schema_shape(engine, "mun_5201108") == shape
    assert before.status == "ativo" and before.schema_name == "mun_5201108"


@pytest.mark.parametrize("step", ["schema", "part:auth", "catalogo"])
def test_provisioning_that_failed_halfway_finishes_when_run_again(engine, step):
    ibge = {"schema": "5201405", "part:auth": "5201454", "catalogo": "5202304"}[step]
    with pytest.raises(RuntimeError, match="falha injetada"):
        provisioning.provision(engine, ibge, "Aparecida", "GO", after_step=fail_at(step))
    halfway = registry.get(engine, ibge)
    assert halfway.status == "provisionando"
    assert ibge not in [m.ibge for m in registry.list_active(engine)]

    report = provisioning.provision(engine, ibge, "Aparecida", "GO")
    assert registry.get(engine, ibge).status == "ativo"
    expected = {"schema": "created", "part:auth": "current", "catalogo": "current"}[step]
    assert report.parts["auth"] == expected
    assert "usuario" in inspect(engine).get_table_names(schema=f"mun_{ibge}")


def test_a_failure_inside_a_part_leaves_that_part_untouched(engine, tmp_path):
    """DDL is transactional on PostgreSQL: a part's upgrade applies whole or not at all."""
    provisioning.provision(engine, "5201504", "Aragarças", "GO")
    folder = _migrations(tmp_path)
    provisioning.migrate_schema(engine, "5201504", [_part(folder, False)])
    _migrations(tmp_path, second=True, broken=True)
    with pytest.raises(Exception, match="quebrada_nao_existe"):
        provisioning.migrate_schema(engine, "5201504", [_part(folder, True)])
    with engine.connect() as conn:
        assert current_revisions(conn, "mun_5201504", "alembic_version_teste") == ("t1",)
        columns = [c["name"] for c in inspect(conn).get_columns("teste_um", schema="mun_5201504")]
    assert columns == ["id"]


def test_fast_path_and_replayed_migrations_build_the_same_schema(engine):
    parts = discover_parts()
    provisioning.provision(engine, "5201603", "Araguapaz", "GO")  # fast path
    with engine.begin() as conn:
        provisioning.create_schema(conn, "mun_5201702")
    for part in parts:
        with engine.begin() as conn:
            assert (
                upgrade(
                    conn,
                    "mun_5201702",
                    part.metadata,
                    part.migrations_dir,
                    part.version_table,
                    fast_path=False,
                )
                == "upgraded"
            )
    assert schema_shape(engine, "mun_5201603") == schema_shape(engine, "mun_5201702")
    # And what the migrations built is exactly what the code declares.
    for part in parts:
        with engine.connect() as conn:
            routed = conn.execution_options(schema_translate_map={None: "mun_5201702"})
            context = MigrationContext.configure(
                routed,
                opts={
                    "include_schemas": False,
                    "target_metadata": part.metadata,
                    "version_table": part.version_table,
                    # other services' tables share the schema: compare only this part's
                    "include_name": lambda name, type_, parent, p=part: (
                        (type_ != "table" or name in p.metadata.tables)
                        and name not in p.postgres_only
                    ),
                },
            )
            conn.execute(text("SET search_path TO mun_5201702"))
            diffs = compare_metadata(context, part.metadata)
            conn.execute(text("SET search_path TO public"))
        assert diffs == []


def test_crafted_values_never_reach_ddl(engine):
    for crafted in ["5208004; DROP SCHEMA public", "../x", "pg_catalog", "52080041", "abc"]:
        with pytest.raises(DadosInvalidos):
            provisioning.provision(engine, crafted, "X", "GO")
    with pytest.raises(DadosInvalidos):
        provisioning.create_schema_sql("postgresql", 'mun_1"; DROP SCHEMA public; --')
    with pytest.raises(DadosInvalidos):
        provisioning.provision(engine, "5201801", "Arenópolis", "XX")


def test_the_same_code_cannot_be_registered_as_another_municipality(engine):
    provisioning.provision(engine, "5201900", "Aragoiânia", "GO")
    with pytest.raises(Conflito):
        provisioning.provision(engine, "5201900", "Outro Nome", "GO")


def _migrations(root: Path, broken: bool = False, second: bool = False) -> Path:
    folder = root / "migrations"
    (folder / "versions").mkdir(parents=True, exist_ok=True)
    src = Path(__file__).parents[2] / "services" / "auth" / "migrations" / "script.py.mako"
    (folder / "script.py.mako").write_text(src.read_text())
    body = "op.execute('SELECT * FROM quebrada_nao_existe')" if broken else ""
    (folder / "versions" / "t1.py").write_text(
        textwrap.dedent("""
        import sqlalchemy as sa
        from alembic import op
        revision = "t1"
        down_revision = None
        def upgrade():
            op.create_table("teste_um", sa.Column("id", sa.Integer, primary_key=True))
        def downgrade():
            op.drop_table("teste_um")
    """)
    )
    if second:
        (folder / "versions" / "t2.py").write_text(
            textwrap.dedent(f"""
            import sqlalchemy as sa
            from alembic import op
            revision = "t2"
            down_revision = "t1"
            def upgrade():
                op.add_column("teste_um", sa.Column("nome", sa.String(50)))
                {body}
            def downgrade():
                op.drop_column("teste_um", "nome")
        """)
        )
    return folder


def _part(folder: Path, with_nome: bool) -> TenantSchemaPart:
    md = tenant_metadata()
    cols = [Column("id", Integer, primary_key=True)]
    if with_nome:
        cols.append(Column("nome", String(50)))
    Table("teste_um", md, *cols)
    return TenantSchemaPart("teste", md, folder)


PARTS_MODULE = """
from pathlib import Path
from sqlalchemy import Column, Integer, String, Table
from services.chassis.schema_migrations import TenantSchemaPart, tenant_metadata

def part(with_nome):
    md = tenant_metadata()
    cols = [Column("id", Integer, primary_key=True)]
    if with_nome:
        cols.append(Column("nome", String(50)))
    Table("teste_um", md, *cols)
    return TenantSchemaPart("teste", md, Path(__file__).parent / "migrations")

V1 = part(False)
V2 = part(True)
"""


def test_migrate_all_is_parallel_resumable_and_reports_failures(engine, tmp_path, monkeypatch):
    """Worker processes take the part from a module the test writes (SEMPAPEL_TENANT_PARTS)."""
    (tmp_path / "partes_de_teste.py").write_text(PARTS_MODULE)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    ibges = [f"52{n:05d}" for n in range(2001, 2021)]
    for ibge in ibges:
        provisioning.provision(engine, ibge, f"Município {ibge}", "GO")
    _migrations(tmp_path)
    first = provisioning.migrate_all(engine, workers=4, parts_env="partes_de_teste:V1")
    assert {r.ibge for r in first} >= set(ibges)
    assert all(r.parts == {"teste": "created"} for r in first if r.ibge in ibges), first

    # A second revision arrives; one schema is in a state that makes it fail.
    _migrations(tmp_path, second=True)
    with engine.begin() as conn:
        conn.execute(text(f"ALTER TABLE mun_{ibges[3]}.teste_um ADD COLUMN nome integer"))
    seen = []
    reports = provisioning.migrate_all(
        engine, workers=4, on_done=seen.append, parts_env="partes_de_teste:V2"
    )
    by_ibge = {r.ibge: r for r in reports}
    assert len(seen) == len(reports) == len(registry.list_all(engine))
    assert "DuplicateColumn" in by_ibge[ibges[3]].error
    assert all(by_ibge[i].parts == {"teste": "upgraded"} for i in ibges if i != ibges[3])

    # Fixed by hand and run again: only the one left behind moves.
    with engine.begin() as conn:
        conn.execute(text(f"ALTER TABLE mun_{ibges[3]}.teste_um DROP COLUMN nome"))
    again = {
        r.ibge: r
        for r in provisioning.migrate_all(engine, workers=4, parts_env="partes_de_teste:V2")
    }
    assert again[ibges[3]].parts == {"teste": "upgraded"}
    assert all(again[i].parts == {"teste": "current"} for i in ibges if i != ibges[3])
    assert not any(r.error for r in again.values())


def _cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "services.operador.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_operator_command_provisions_creates_users_and_migrates(engine):
    done = _cli(
        "municipio", "provisionar", "--ibge", "5202155", "--nome", "Avelinópolis", "--uf", "go"
    )
    assert done.returncode == 0, done.stderr
    assert "5202155 ativo" in done.stdout
    created = _cli(
        "usuario",
        "criar",
        "--municipio",
        "5202155",
        "--login",
        "Carla",
        "--nome",
        "Carla Dias",
        stdin="senha-da-carla\n",
    )
    assert created.returncode == 0, created.stderr
    with engine.connect() as conn:
        row = conn.execute(text("SELECT login, nome, senha_hash FROM mun_5202155.usuario")).one()
    assert row.login == "carla" and row.nome == "Carla Dias"
    assert row.senha_hash.startswith("$argon2id$")
    again = _cli(
        "usuario",
        "criar",
        "--municipio",
        "5202155",
        "--login",
        "carla",
        "--nome",
        "Outra",
        stdin="outra-senha-123\n",
    )
    assert again.returncode == 2 and "já existe" in again.stderr.lower()
    short = _cli(
        "usuario",
        "criar",
        "--municipio",
        "5202155",
        "--login",
        "beto",
        "--nome",
        "Beto",
        stdin="curta\n",
    )
    assert short.returncode == 2 and "8 caracteres" in short.stderr
    crafted = _cli(
        "municipio", "provisionar", "--ibge", "x; DROP SCHEMA public", "--nome", "X", "--uf", "GO"
    )
    assert crafted.returncode == 2 and "IBGE" in crafted.stderr

    migrated = _cli("migrar", "--workers", "4")
    assert migrated.returncode == 0, migrated.stderr
    assert "current" in migrated.stdout
    assert "município" in migrated.stderr  # tqdm's progress bar, on stderr
    one = _cli("migrar", "--municipio", "5202155")
    assert one.returncode == 0
    assert f"current: {len(discover_parts())}" in one.stdout  # every part of the one schema
    total = len(registry.list_all(engine))
    with engine.connect() as conn:
        assert conn.execute(select(municipio.c.ibge)).all().__len__() == total


@pytest.fixture
def fresh_database(settings):
    """A database of its own, with none of the objects the platform shares in `public`
    (the `unaccent` extension, the search configuration and function): what a new
    installation provisioning its first municipalities starts from."""
    import psycopg2

    from services.chassis.database import engine_from_settings

    name = "sempapel_test_instalacao_nova"
    admin = psycopg2.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres")
    admin.autocommit = True
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    url = settings.database_url.rsplit("/", 1)[0] + f"/{name}"
    fresh = engine_from_settings(Settings.from_env(database_url=url))
    yield fresh
    fresh.dispose()
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def test_a_new_installation_provisions_several_municipalities_at_once(fresh_database):
    """`CREATE EXTENSION IF NOT EXISTS` and `CREATE OR REPLACE FUNCTION` race when run
    concurrently (unique violation, "tuple concurrently updated"): the objects every schema
    shares are made once, under a lock, so concurrent provisioning succeeds."""
    import eventlet

    codigos = ["5299911", "5299912", "5299913", "5299914", "5299915", "5299916"]
    pool = eventlet.GreenPool(len(codigos))
    results = list(pool.imap(lambda ibge: _provision_or_error(fresh_database, ibge), codigos))
    assert results == ["ok"] * len(codigos)
    with fresh_database.connect() as conn:
        ativos = conn.scalar(text("SELECT count(*) FROM sempapel.municipio WHERE status = 'ativo'"))
    assert ativos == len(codigos)


def _provision_or_error(engine, ibge: str) -> str:
    try:
        provisioning.provision(engine, ibge, f"Município {ibge}", "GO")
    except Exception as exc:  # noqa: BLE001 - the test reports which failed and why
        return f"{ibge}: {type(exc).__name__}: {str(exc).splitlines()[0]}"
    return "ok"

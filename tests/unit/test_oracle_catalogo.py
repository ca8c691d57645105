"""tenancy's catalog and classification lookups, and the directory, as Oracle 19c gets them.

The real code paths run against a session that records each statement and finds
nothing; every recorded statement is then compiled for Oracle before 23ai, which
has no boolean type: `.is_(True)` would become `IS 1` there (ORA-00908).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.dialects import oracle, postgresql
from sqlalchemy.sql import ClauseElement

from services.chassis.errors import NaoEncontrado
from services.chassis.spreadsheet import Review
from services.tenancy.handlers import catalogo, leituras, plano
from services.tenancy.handlers.planilha_plano import PlanoImporter, _PlanoVersao
from services.tenancy.handlers.planilha_tipos import TiposProcessoImporter, _PlanoTipos
from services.tenancy.handlers.planilha_unidades import UnidadesImporter
from services.tenancy.repository import CatalogoSql


class NothingFound:
    def __iter__(self) -> Any:
        return iter(())

    def all(self) -> list:
        return []

    def first(self) -> None:
        return None

    def scalar(self) -> int:
        return 0


class RecordingSession:
    def __init__(self) -> None:
        self.statements: list[ClauseElement] = []

    def execute(self, statement: ClauseElement, *args: Any) -> NothingFound:
        self.statements.append(statement)
        return NothingFound()

    scalars = execute

    def get(self, *args: Any, **kwargs: Any) -> None:
        return None


class RecordingUnitOfWork:
    def __init__(self, session: RecordingSession) -> None:
        self.session = session

    def __enter__(self) -> RecordingUnitOfWork:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


def oracle_19c() -> oracle.dialect:
    dialect = oracle.dialect()
    dialect.server_version_info = (19, 0)
    dialect.supports_native_boolean = False  # what connecting to a 19c server sets
    return dialect


@pytest.fixture(scope="module")
def recorded() -> list[ClauseElement]:
    session = RecordingSession()
    uow = RecordingUnitOfWork(session)
    leituras.diretorio(uow)
    for read in ("hipoteses_legais", "tipos_documento", "tipos_processo", "plano_versoes"):
        leituras.ler(uow, read)
    with pytest.raises(NaoEncontrado):
        leituras.plano_vigente(uow)
    with pytest.raises(NaoEncontrado):
        catalogo.criar_tipo_processo(uow, "Obras", "001.01.001", "publico", None)
    with pytest.raises(NaoEncontrado):
        plano.excluir_item(uow, "001.01.001")
    lookups = CatalogoSql(session)
    lookups.hipotese_ativa("Informação Pessoal")
    lookups.item_vigente("001.01.001")
    lookups.tipos_ativos_com_hipotese("h1")
    shared: dict[str, Any] = {}
    for importer in (UnidadesImporter(), PlanoImporter(), TiposProcessoImporter()):
        importer.review(session, [], shared, Review())
    PlanoImporter().apply(session, _PlanoVersao(None), shared, {})
    TiposProcessoImporter().apply(session, _PlanoTipos(), shared, {})
    return session.statements


def test_boolean_lookups_compile_to_comparisons_oracle_19c_accepts(recorded):
    sql = [str(s.compile(dialect=oracle_19c())) for s in recorded]
    assert [s for s in sql if " IS 1" in s or " IS 0" in s] == []
    assert sum("plano_versao.vigente = 1" in s for s in sql) >= 7
    assert sum("hipotese_legal.ativa = 1" in s for s in sql) >= 2
    assert any("tipo_processo.ativo = 1" in s for s in sql)


def test_the_same_lookups_stay_plain_booleans_on_postgresql(recorded):
    sql = [str(s.compile(dialect=postgresql.dialect())) for s in recorded]
    assert [s for s in sql if " IS true" in s or " IS false" in s] == []
    assert any("plano_versao.vigente = true" in s for s in sql)

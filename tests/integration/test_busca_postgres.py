"""The PostgreSQL search backend on a real schema: capped candidates, identifiers, access.

The cap is lowered for these tests (monkeypatched `CANDIDATOS`) so that a few
entries exceed it; everything else is the backend as the service runs it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.busca import postgres
from services.busca.domain import Acesso, Consulta, Entrada
from services.busca.postgres import PostgresBackend
from services.chassis import prepared_statements
from services.chassis.errors import DadosInvalidos
from services.chassis.tenant_session import TenantEngines

IBGE = "5209705"
PROT, SMS = "p" * 32, "s" * 32
CPF = "52998224725"
NUMERO = "09705000042202611"


def entrada(n: int, titulo: str, ano: int = 2026, **campos) -> Entrada:
    base = {
        "id": f"processo:{n:032d}",
        "tipo": "processo",
        "processo_id": f"{n:032d}",
        "versao": 1,
        "numero": f"09705{n:06d}202600",
        "numero_formatado": f"09705.{n:06d}/2026-00",
        "titulo": titulo,
        "texto": "Aquisição de material",
        "tipo_processo": "Compras",
        "tipo_documento": None,
        "unidade_geradora_id": PROT,
        "unidades": [PROT],
        "nivel": "publico",
        "credenciados": [],
        "documentos_id": [],
        "assinantes": [],
        "data": datetime(ano, 3, 1, 12, tzinfo=UTC),
    }
    return Entrada(**{**base, **campos})


@pytest.fixture
def backend(engine, provision, monkeypatch):
    provision(IBGE, "Itaberaí")
    monkeypatch.setattr(postgres, "CANDIDATOS", 5)
    b = PostgresBackend(TenantEngines(engine))
    b.limpar(IBGE)
    yield b
    b.limpar(IBGE)


def buscar(backend: PostgresBackend, q: str, unidade: str = PROT, **filtros):
    return backend.buscar(Acesso(IBGE, "u" * 32, unidade), Consulta(q=q, **filtros))


def test_beyond_the_cap_the_total_is_a_lower_bound_and_says_so(backend):
    backend.indexar(IBGE, [entrada(n, f"Alvará de obra {n}") for n in range(8)])
    muitos = buscar(backend, "alvara")
    assert (muitos.total, muitos.total_exato) == (5, False)
    assert len(muitos.itens) == 5 and sum(muitos.facetas["ano"].values()) == 5
    backend.remover(IBGE, [f"processo:{n:032d}" for n in range(4)])
    poucos = buscar(backend, "alvara")
    assert (poucos.total, poucos.total_exato) == (4, True)
    assert sum(poucos.facetas["ano"].values()) == 4


def test_the_access_filter_is_applied_before_the_cap(backend):
    restritos = [
        entrada(n, f"Alvará reservado {n}", nivel="restrito", unidades=[SMS], tipo_processo="X")
        for n in range(10)
    ]
    publicos = [entrada(n, f"Alvará aberto {n}") for n in range(10, 13)]
    backend.indexar(IBGE, restritos + publicos)
    fora = buscar(backend, "alvara")
    assert (fora.total, fora.total_exato) == (3, True)
    assert fora.facetas["tipo_processo"] == {"Compras": 3}
    assert {i["titulo"] for i in fora.itens} == {f"Alvará aberto {n}" for n in range(10, 13)}
    dentro = buscar(backend, "alvara", unidade=SMS)
    assert (dentro.total, dentro.total_exato) == (5, False)


def test_a_number_or_a_cpf_finds_its_process_first_whatever_the_word_matches(backend):
    # Its number and CPF are also written in many other entries' text: the word arm is capped
    # before it reaches the process itself.
    citado = f"Referência ao processo {NUMERO} e ao CPF {CPF}"
    outros = [entrada(n, f"Ofício {n}", texto=citado) for n in range(1, 9)]
    alvo = entrada(
        42,
        "Pedido de licença",
        numero=NUMERO,
        numero_formatado="09705.000042/2026-11",
        documentos_id=[CPF],
        ano=2019,
        data=datetime(2019, 1, 1, tzinfo=UTC),
    )
    backend.indexar(IBGE, [*outros, alvo])
    for q in (NUMERO, "09705.000042/2026-11", CPF, "529.982.247-25"):
        primeiro = buscar(backend, q).itens[0]
        assert primeiro["processo_id"] == alvo.processo_id, q


def test_the_newest_years_fill_the_candidates_first(backend):
    antigos = [entrada(n, f"Alvará {n}", ano=2019) for n in range(6)]
    novos = [entrada(n, f"Alvará {n}", ano=2025) for n in range(6, 10)]
    backend.indexar(IBGE, antigos + novos)
    resultado = buscar(backend, "alvara")
    assert resultado.total_exato is False
    assert resultado.facetas["ano"]["2025"] == 4  # all of the newest year before any older


def test_the_date_range_limits_the_years_read(backend):
    backend.indexar(IBGE, [entrada(n, f"Alvará {n}", ano=2019 + n % 4) for n in range(12)])
    resultado = buscar(backend, "alvara", de=date(2020, 1, 1), ate=date(2020, 12, 31))
    assert (resultado.total, resultado.total_exato) == (3, True)
    assert resultado.facetas["ano"] == {"2020": 3}


def test_pages_end_at_the_cap(backend):
    backend.indexar(IBGE, [entrada(n, f"Alvará {n}") for n in range(8)])
    assert len(buscar(backend, "alvara", pagina=2, por_pagina=3).itens) == 2
    with pytest.raises(DadosInvalidos) as erro:
        buscar(backend, "alvara", pagina=3, por_pagina=3)
    assert erro.value.code == "pagina_alem_do_limite"


def test_sigiloso_only_for_its_credentialed_and_cancelled_for_nobody(backend):
    backend.indexar(
        IBGE,
        [
            entrada(1, "Alvará sigiloso", nivel="sigiloso", credenciados=["u" * 32]),
            entrada(2, "Alvará de outro sigilo", nivel="sigiloso", credenciados=["x" * 32]),
            entrada(3, "Alvará cancelado", cancelado=True),
            entrada(4, "Alvará restrito sem unidades", nivel="restrito", unidades=[]),
        ],
    )
    resultado = buscar(backend, "alvara")
    assert (resultado.total, [i["titulo"] for i in resultado.itens]) == (1, ["Alvará sigiloso"])
    assert sum(resultado.facetas["unidade"].values()) == 1


def test_a_connection_prepares_each_search_shape_once_and_keeps_a_bounded_set(backend, monkeypatch):
    monkeypatch.setattr(prepared_statements, "PER_CONNECTION", 2)
    backend.indexar(
        IBGE, [entrada(n, f"Alvará de obra {n}", documentos_id=[CPF]) for n in range(3)]
    )
    formas = [
        {"q": "alvara"},
        {"q": "alvara", "tipo_processo": "Compras"},
        {"q": CPF},
        {"q": "obra", "de": date(2026, 1, 1)},
    ]
    for _ in range(2):  # each shape again, after others have pushed it out
        for forma in formas:
            assert buscar(backend, **forma).total == 3, forma
    with backend.engines.reader.connect() as conn:
        no_servidor = conn.exec_driver_sql(
            "SELECT name FROM pg_prepared_statements WHERE starts_with(name, 'sp_')"
        ).scalars()
        conhecidas = conn.connection.info.get(prepared_statements.INFO_KEY, {})
        assert sorted(no_servidor) == sorted(p.name for p in conhecidas.values())
        assert 1 <= len(conhecidas) <= 2


def test_the_snippet_is_taken_around_the_word_wherever_and_however_it_is_written(backend):
    texto = "Relatório de atividades do exercício. " * 30 + "Segue a LICITAÇÃO da ponte."
    backend.indexar(IBGE, [entrada(1, "Relatório anual", texto=texto)])
    trecho = buscar(backend, "licitacao").itens[0]["trecho"]
    assert "<mark>LICITAÇÃO</mark>" in trecho and "ponte" in trecho

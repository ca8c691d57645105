"""What a search text names exactly (a process number, a CPF, a CNPJ), without a database."""

from __future__ import annotations

import pytest

from services.busca.domain import identificadores_da_consulta


@pytest.mark.parametrize(
    ("q", "esperado"),
    [
        ("00058.055636/2023-28", ["00058055636202328"]),
        ("00058055636202328", ["00058055636202328"]),
        ("529.982.247-25", ["52998224725"]),
        ("52998224725", ["52998224725"]),
        ("11.222.333/0001-81", ["11222333000181"]),
        ("licitação", []),
        ("12345", []),
        ("obra na rua 12 casa 345 lote 678901", []),  # over 20 characters: words
    ],
)
def test_numbers_cpfs_and_cnpjs_are_identifiers_with_or_without_punctuation(q, esperado):
    assert identificadores_da_consulta(q) == esperado


@pytest.mark.parametrize("q", ["-municipal", "-obras -licitação", '"-nota" or -fiscal'])
def test_a_search_of_only_exclusions_is_refused(q):
    from services.busca.handlers import consulta_de
    from services.chassis.errors import DadosInvalidos

    with pytest.raises(DadosInvalidos) as erro:
        consulta_de({"q": q}, {})
    assert erro.value.code == "busca_so_exclusoes"
    assert consulta_de({"q": f"contrato {q}"}, {}).q == f"contrato {q}"


def test_the_backend_choice_is_explicit_and_checked_at_start():
    from services.busca.backends import backend_from_settings
    from services.busca.settings import BuscaSettings
    from services.chassis.config import Settings
    from services.chassis.errors import ConfiguracaoInvalida

    with pytest.raises(ConfiguracaoInvalida, match="postgres ou solr"):
        backend_from_settings(Settings.from_env(), BuscaSettings.from_env(busca_backend="elastic"))
    oracle = Settings.from_env(database_url="oracle+oracledb://u:p@db:1521/?service_name=x")
    with pytest.raises(ConfiguracaoInvalida, match="exige banco PostgreSQL"):
        backend_from_settings(oracle, BuscaSettings.from_env(busca_backend="postgres"))

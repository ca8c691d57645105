"""What a search text names exactly (a process number, a CPF, a CNPJ), without a database."""

from __future__ import annotations

import pytest

from services.busca.indice import identificadores_da_consulta


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
    from services.busca.service import _consulta
    from services.chassis.errors import DadosInvalidos

    with pytest.raises(DadosInvalidos) as erro:
        _consulta({"q": q}, {})
    assert erro.value.code == "busca_so_exclusoes"
    assert _consulta({"q": f"contrato {q}"}, {}).q == f"contrato {q}"

"""Process numbers and CPF/CNPJ check digits, without a database (the lifecycle rules are
in test_processo_domain.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.chassis.errors import DadosInvalidos
from services.chassis.niveis_acesso import mais_restritivo
from services.processos import domain, nup


@pytest.mark.parametrize(
    "numero", ["00058.055636/2023-28", "00261.000004/2026-64", "12345.000001/2026-80"]
)
def test_known_valid_nups(numero):
    lido = nup.ler(numero)
    assert lido is not None and lido.formatado == numero
    assert nup.ler(numero.replace(".", "").replace("/", "").replace("-", "")) == lido
    digitos = lido.digitos
    assert nup.gerar("nup", digitos[:5], int(digitos[5:11]), int(digitos[11:15])) == lido


def test_a_wrong_check_digit_or_length_is_not_a_number():
    assert nup.ler("00058.055636/2023-29") is None
    assert nup.ler("00058.055636/2023") is None
    assert nup.ler("abc") is None
    assert nup.ler("0005805563620232800") is None  # 19 digits


def reference_dv(digits: str) -> str:
    """ARCHITECTURE.md's rule, written out independently: weights 2, 3, 4 ... from the right."""
    out = digits
    for _ in range(2):
        total, weight = 0, 2
        for ch in reversed(out):
            total += int(ch) * weight
            weight += 1
        d = 11 - total % 11
        out += str(d - 10 if d > 9 else d)
    return out[-2:]


@given(
    prefixo=st.from_regex(r"[0-9]{8}", fullmatch=True),
    sequencia=st.integers(1, nup.SEQUENCIA_MAXIMA),
    ano=st.integers(2000, 2100),
)
def test_nipe_numbers_follow_the_rule_and_read_back(prefixo, sequencia, ano):
    numero = nup.gerar("nipe", prefixo, sequencia, ano)
    assert len(numero.digitos) == 20 and numero.ano == ano
    assert numero.digitos[-2:] == reference_dv(numero.digitos[:18])
    assert nup.ler(numero.formatado) == numero
    assert nup.ler(numero.digitos) == numero


@given(st.from_regex(r"\d{5}", fullmatch=True))
def test_only_ascii_digits_make_a_prefix(prefixo):
    if prefixo.isascii():
        assert nup.gerar("nup", prefixo, 1, 2026).digitos.startswith(prefixo)
    else:  # found by hypothesis: \d also matches other scripts' digits
        with pytest.raises(DadosInvalidos):
            nup.gerar("nup", prefixo, 1, 2026)


def test_sequence_and_prefix_limits():
    with pytest.raises(DadosInvalidos):
        nup.gerar("nup", "123", 1, 2026)
    with pytest.raises(DadosInvalidos) as exc:
        nup.gerar("nup", "12345", nup.SEQUENCIA_MAXIMA + 1, 2026)
    assert exc.value.code == "sequencia_esgotada"


@pytest.mark.parametrize("valido", ["529.982.247-25", "52998224725", "11.222.333/0001-81"])
def test_valid_cpf_and_cnpj(valido):
    assert domain.validar_cpf_cnpj(valido) == "".join(c for c in valido if c.isdigit())


@pytest.mark.parametrize(
    "invalido", ["529.982.247-24", "111.111.111-11", "11.222.333/0001-80", "123", "abc.def"]
)
def test_invalid_cpf_and_cnpj(invalido):
    with pytest.raises(DadosInvalidos) as exc:
        domain.validar_cpf_cnpj(invalido)
    assert exc.value.code == "cpf_cnpj_invalido"


def test_effective_level_is_the_most_restrictive():
    assert mais_restritivo(["publico"]) == "publico"
    assert mais_restritivo(["publico", "restrito", "publico"]) == "restrito"
    assert mais_restritivo(["restrito", "sigiloso"]) == "sigiloso"
    assert mais_restritivo([]) == "publico"

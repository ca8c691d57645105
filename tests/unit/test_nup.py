"""Process numbers, CPF/CNPJ check digits and the lifecycle rules, without a database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.chassis.errors import Conflito, DadosInvalidos
from services.chassis.niveis_acesso import mais_restritivo
from services.processos import dominio, nup
from services.processos.dominio import ABERTO, FECHADO, NAO_RECEBIDO, Processo, UnidadeNoProcesso


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
    assert dominio.validar_cpf_cnpj(valido) == "".join(c for c in valido if c.isdigit())


@pytest.mark.parametrize(
    "invalido", ["529.982.247-24", "111.111.111-11", "11.222.333/0001-80", "123", "abc.def"]
)
def test_invalid_cpf_and_cnpj(invalido):
    with pytest.raises(DadosInvalidos) as exc:
        dominio.validar_cpf_cnpj(invalido)
    assert exc.value.code == "cpf_cnpj_invalido"


def test_effective_level_is_the_most_restrictive():
    assert mais_restritivo(["publico"]) == "publico"
    assert mais_restritivo(["publico", "restrito", "publico"]) == "restrito"
    assert mais_restritivo(["restrito", "sigiloso"]) == "sigiloso"
    assert mais_restritivo([]) == "publico"


def processo(nivel="publico", **situacoes):
    return Processo(
        "p",
        "1",
        nivel,
        unidades={u: UnidadeNoProcesso(u, s) for u, s in situacoes.items()},
        credenciados={"dono"},
    )


def codigo(fn, *args):
    with pytest.raises((Conflito, DadosInvalidos)) as exc:
        fn(*args)
    return exc.value.code


def test_refused_transitions_have_precise_codes():
    p = processo(A=ABERTO, B=NAO_RECEBIDO, C=FECHADO)
    assert codigo(dominio.checar_conclusao, p, "C") == "processo_nao_aberto_na_unidade"
    assert codigo(dominio.checar_conclusao, p, "B") == "processo_nao_recebido"
    assert codigo(dominio.checar_envio, p, "C", ["D"]) == "processo_nao_aberto_na_unidade"
    assert codigo(dominio.checar_envio, p, "A", ["A"]) == "destino_igual_origem"
    assert codigo(dominio.checar_envio, p, "A", ["B"]) == "processo_ja_aberto_no_destino"
    assert codigo(dominio.checar_envio, p, "A", ["D", "D"]) == "destinos_invalidos"
    assert codigo(dominio.checar_reabertura, p, "A") == "processo_ja_aberto"
    assert codigo(dominio.checar_reabertura, p, "Z") == "processo_nunca_esteve_na_unidade"
    assert codigo(dominio.checar_recebimento, p, "A") == "processo_nao_enviado_a_unidade"
    p.sobrestado = True
    assert codigo(dominio.checar_envio, p, "A", ["D"]) == "processo_sobrestado"
    assert codigo(dominio.checar_sobrestamento, p, "A", True) == "processo_ja_sobrestado"
    p.principal_id = "q"
    assert codigo(dominio.checar_conclusao, p, "A") == "processo_anexado"
    assert codigo(dominio.checar_envio, processo("sigiloso", A=ABERTO), "A", ["D"]) == (
        "processo_sigiloso_nao_tramita"
    )


def test_annexing_into_itself_or_in_a_cycle_is_refused():
    a, b = processo(A=ABERTO), processo(A=ABERTO)
    b.id = "b"
    assert codigo(dominio.checar_anexacao, a, a, "A", []) == "anexacao_em_si_mesmo"
    # a's main process is b: annexing b into a would close a cycle
    assert codigo(dominio.checar_anexacao, a, b, "A", ["b"]) == "anexacao_ciclica"
    dominio.checar_anexacao(a, b, "A", [])  # allowed


def test_who_may_read():
    assert dominio.pode_ler(processo("publico", A=ABERTO), None, "x")
    restrito = processo("restrito", A=FECHADO)
    assert dominio.pode_ler(restrito, "A", "x")
    assert not dominio.pode_ler(restrito, "B", "x")
    assert not dominio.pode_ler(restrito, None, "x")
    sigiloso = processo("sigiloso", A=ABERTO)
    assert dominio.pode_ler(sigiloso, "Z", "dono")
    assert not dominio.pode_ler(sigiloso, "A", "x")  # being in the unit is not enough

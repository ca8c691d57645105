"""Process numbers: the 17-digit NUP and the 20-digit NIPE layout, with mod-11 check digits.

Both end in two check digits computed the federal NUP way: weights 2, 3, 4 ...
from the rightmost digit, d = 11 - (sum mod 11), d > 9 -> d - 10; the second
digit is computed over the number followed by the first.

- NUP  `UUUUU.SSSSSS/AAAA-DD`: unit code 5, sequence 6, year 4.
- NIPE `OO.III.UUU.SSSSSS/AAAA-DD`: origin 2, institution 3, protocol unit 3,
  sequence 6, year 4 (the layout states and municipalities use).

A municipality's prefix is everything before the sequence (5 digits for NUP, 8
for NIPE); its sequence restarts every year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.chassis.errors import DadosInvalidos

FORMATOS = ("nup", "nipe")
PREFIXO = {"nup": 5, "nipe": 8}
TAMANHO = {"nup": 17, "nipe": 20}
FORMATO_POR_TAMANHO = {tamanho: formato for formato, tamanho in TAMANHO.items()}
SEQUENCIA_MAXIMA = 999_999


def digito(digitos: str) -> int:
    soma = sum(int(d) * peso for d, peso in zip(reversed(digitos), range(2, 100), strict=False))
    d = 11 - soma % 11
    return d - 10 if d > 9 else d


def digitos_verificadores(base: str) -> str:
    primeiro = digito(base)
    return f"{primeiro}{digito(base + str(primeiro))}"


@dataclass(frozen=True)
class Numeracao:
    """A municipality's numbering: the format and the prefix before the sequence."""

    formato: str
    prefixo: str


@dataclass(frozen=True)
class Numero:
    formato: str
    digitos: str  # without punctuation, check digits included

    @property
    def formatado(self) -> str:
        d = self.digitos
        if self.formato == "nup":
            return f"{d[:5]}.{d[5:11]}/{d[11:15]}-{d[15:]}"
        return f"{d[:2]}.{d[2:5]}.{d[5:8]}.{d[8:14]}/{d[14:18]}-{d[18:]}"

    @property
    def ano(self) -> int:
        return int(self.digitos[-6:-2])


def validar_prefixo(formato: str, prefixo: str) -> str:
    if formato not in FORMATOS:
        raise DadosInvalidos("Formato de numeração: nup ou nipe.", code="formato_invalido")
    if not re.fullmatch(rf"[0-9]{{{PREFIXO[formato]}}}", str(prefixo)):
        raise DadosInvalidos(
            f"O prefixo do formato {formato} tem {PREFIXO[formato]} dígitos.",
            code="prefixo_invalido",
        )
    return prefixo


def gerar(formato: str, prefixo: str, sequencia: int, ano: int) -> Numero:
    validar_prefixo(formato, prefixo)
    if not 1 <= sequencia <= SEQUENCIA_MAXIMA:
        raise DadosInvalidos("A sequência do ano se esgotou.", code="sequencia_esgotada")
    base = f"{prefixo}{sequencia:06d}{ano:04d}"
    return Numero(formato, base + digitos_verificadores(base))


def ler(texto: str) -> Numero | None:
    """A number typed with or without punctuation; None if it is not a valid one."""
    if not isinstance(texto, str) or not re.fullmatch(r"[0-9./ -]{17,30}", texto.strip()):
        return None
    digitos = re.sub(r"[^0-9]", "", texto)
    formato = FORMATO_POR_TAMANHO.get(len(digitos))
    if formato is None or digitos_verificadores(digitos[:-2]) != digitos[-2:]:
        return None
    return Numero(formato, digitos)

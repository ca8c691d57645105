"""The extraction child's copy of an object: in memory while small, on disk beyond."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from services.chassis.errors import ArmazenamentoIndisponivel
from services.documentos import extracao, extracao_filho


class Loja:
    def __init__(self, pedacos: list[bytes], falha: Exception | None = None) -> None:
        self.pedacos, self.falha = pedacos, falha

    def stream(self, chave: str) -> Iterator[bytes]:
        yield from self.pedacos
        if self.falha:
            raise self.falha


def test_a_small_object_is_read_into_memory_and_a_large_one_onto_disk(monkeypatch):
    monkeypatch.setattr(extracao_filho, "EM_MEMORIA_BYTES", 10)
    pequeno = extracao_filho._ler_objeto(Loja([b"abc", b"def"]), "k")
    assert isinstance(pequeno, io.BytesIO) and pequeno.read() == b"abcdef"

    grande = extracao_filho._ler_objeto(Loja([b"0123456", b"789ab", b"cdef"]), "k")
    assert not isinstance(grande, io.BytesIO) and grande.fileno() >= 0  # a real file
    assert grande.read() == b"0123456789abcdef"
    grande.close()


def test_a_store_failing_mid_object_is_unavailable_and_too_large_is_no_text(monkeypatch):
    monkeypatch.setattr(extracao_filho, "EM_MEMORIA_BYTES", 4)
    with pytest.raises(ArmazenamentoIndisponivel):
        extracao_filho._ler_objeto(Loja([b"01234567"], ConnectionResetError()), "k")
    monkeypatch.setattr(extracao_filho, "MAXIMO_BYTES", 6)
    with pytest.raises(extracao.TextoIndisponivel):
        extracao_filho._ler_objeto(Loja([b"0123", b"4567"]), "k")

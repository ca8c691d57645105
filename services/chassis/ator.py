"""Who acts in a command: plain data, taken from the verified token by the service layer.

Free of any framework, so that domain modules can take it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Ator:
    """The user and the current unit (None before one is chosen)."""

    usuario_id: str
    login: str
    unidade_id: str | None

"""argon2id password hashing, off the eventlet hub.

Hashing takes tens of milliseconds of CPU in C; run on the hub it would stall
every other worker of the process, so it runs in eventlet's thread pool
(argon2-cffi releases the GIL while it works).
"""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool
from eventlet.semaphore import Semaphore

from services.auth.settings import AuthSettings


class Passwords:
    def __init__(
        self, time_cost: int, memory_kib: int, parallelism: int, max_concurrent: int = 4
    ) -> None:
        # Each hash holds `memory_kib` of RAM: bound how many run at once.
        self._slots = Semaphore(max_concurrent)
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        # Verified against when the login does not exist, so both answers take as long.
        self._decoy = self._hasher.hash("senha-inexistente")

    @classmethod
    def from_settings(cls, settings: AuthSettings) -> Passwords:
        return cls(
            settings.argon2_time_cost,
            settings.argon2_memory_kib,
            settings.argon2_parallelism,
            settings.argon2_max_concurrent,
        )

    def hash(self, senha: str) -> str:
        with self._slots:
            return tpool.execute(self._hasher.hash, senha)

    def verify(self, senha_hash: str | None, senha: str) -> bool:
        try:
            with self._slots:
                tpool.execute(self._hasher.verify, senha_hash or self._decoy, senha)
        except (VerificationError, InvalidHashError):
            return False
        return senha_hash is not None

"""A small per-process cache whose entries expire, for slow-changing reference data.

Used where a stale answer for a few seconds is harmless (municipality names,
the public list of municipalities) and a round trip per request is not.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from nameko.extensions import DependencyProvider

from services.chassis.config import Settings

V = TypeVar("V")


class TtlCache(Generic[V]):
    def __init__(self, ttl_seconds: float, max_entries: int = 10_000) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, V]] = {}

    def get(self, key: Hashable, load: Callable[[], V], refresh: bool = False) -> V:
        """The cached value, or `load()` when absent, expired, or `refresh` is asked."""
        now = time.monotonic()
        hit = None if refresh else self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (now + self.ttl_seconds, value)
        return value

    def forget(self, key: Hashable) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()


class TtlCacheProvider(DependencyProvider):
    """One TtlCache per service process, shared by its workers; its TTL is a setting's value.

    For reference data fetched from another service, such as tenancy's directory
    of units and catalog: a stale answer is harmless for that many seconds.
    """

    def __init__(self, ttl_setting: str) -> None:
        self.ttl_setting = ttl_setting

    def setup(self) -> None:
        self.cache = TtlCache[Any](getattr(Settings.from_env(), self.ttl_setting))

    def get_dependency(self, worker_ctx: Any) -> TtlCache[Any]:
        return self.cache

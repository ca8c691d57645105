from __future__ import annotations

from services.chassis import ttl_cache
from services.chassis.ttl_cache import TtlCache


def test_entries_are_reused_until_they_expire(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(ttl_cache.time, "monotonic", lambda: now[0])
    loads = []
    cache: TtlCache[int] = TtlCache(ttl_seconds=10)

    def load():
        loads.append(1)
        return len(loads)

    assert cache.get("k", load) == 1
    now[0] += 9.9
    assert cache.get("k", load) == 1
    now[0] += 0.2
    assert cache.get("k", load) == 2
    assert cache.get("other", load) == 3


def test_the_cache_never_grows_past_its_bound():
    cache: TtlCache[int] = TtlCache(ttl_seconds=60, max_entries=3)
    for n in range(10):
        cache.get(n, lambda n=n: n)
    assert len(cache._entries) <= 3

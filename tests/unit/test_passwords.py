"""auth's password hasher takes every argon2 setting it documents."""

from __future__ import annotations

from services.auth.passwords import Passwords
from services.auth.settings import AuthSettings


def test_the_concurrency_bound_of_password_hashes_comes_from_its_setting(monkeypatch):
    monkeypatch.setenv("SEMPAPEL_ARGON2_MAX_CONCURRENT", "2")
    monkeypatch.setenv("SEMPAPEL_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("SEMPAPEL_ARGON2_TIME_COST", "1")
    passwords = Passwords.from_settings(AuthSettings.from_env())
    assert passwords._slots.balance == 2
    assert passwords.verify(passwords.hash("uma senha"), "uma senha")

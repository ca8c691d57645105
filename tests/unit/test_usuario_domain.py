from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.auth.domain.usuario import Usuario, normalizar_login

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
LOCK = timedelta(minutes=15)


def usuario() -> Usuario:
    return Usuario(id="1", login="maria", nome="Maria", senha_hash="h")


def test_fifth_failure_in_a_row_locks_for_the_configured_time():
    u = usuario()
    for _ in range(4):
        u.registrar_falha(NOW, 5, LOCK)
    assert not u.bloqueado(NOW)
    u.registrar_falha(NOW, 5, LOCK)
    assert u.bloqueado(NOW)
    assert u.bloqueado(NOW + LOCK - timedelta(seconds=1))
    assert not u.bloqueado(NOW + LOCK)


def test_a_success_resets_the_count():
    u = usuario()
    for _ in range(4):
        u.registrar_falha(NOW, 5, LOCK)
    u.registrar_sucesso(NOW)
    for _ in range(4):
        u.registrar_falha(NOW, 5, LOCK)
    assert not u.bloqueado(NOW)


def test_after_a_lock_expires_five_more_failures_lock_again():
    u = usuario()
    for _ in range(5):
        u.registrar_falha(NOW, 5, LOCK)
    later = NOW + LOCK + timedelta(seconds=1)
    assert not u.bloqueado(later)
    u.registrar_falha(later, 5, LOCK)
    assert not u.bloqueado(later)


def test_logins_are_case_and_space_insensitive():
    assert normalizar_login("  Maria.Souza ") == "maria.souza"

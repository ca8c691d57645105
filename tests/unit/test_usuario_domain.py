from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.auth.domain.usuario import (
    LockoutPolicy,
    Usuario,
    exigir_ativo,
    normalizar_login,
    validar_login,
    validar_nome,
    validar_novo_usuario,
    validar_perfil,
    validar_senha,
)
from services.chassis.errors import Conflito, SemPapelError, TokenInvalido, UsuarioBloqueado

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


def test_logins_names_passwords_and_profiles_are_checked_with_their_codes():
    assert validar_novo_usuario(" Maria.Souza ", " Maria   Souza ", "senha-longa") == (
        "maria.souza",
        "Maria Souza",
    )
    refusals = [
        (validar_login, "maria souza", "login_invalido"),
        (validar_login, "m" * 65, "login_invalido"),
        (validar_nome, "   ", "dados_invalidos"),
        (validar_nome, "n" * 201, "dados_invalidos"),
        (validar_senha, "curta", "senha_curta"),
        (validar_senha, None, "senha_curta"),
        (validar_perfil, "chefe", "perfil_invalido"),
    ]
    for regra, valor, code in refusals:
        with pytest.raises(SemPapelError) as refused:
            regra(valor)
        assert refused.value.code == code, (regra.__name__, valor)
    assert validar_perfil("administrador") == "administrador"


def test_an_imported_account_signs_in_only_after_activation_with_its_code():
    politica = LockoutPolicy(5, LOCK)
    u = Usuario.a_ativar("1", "maria", "Maria", "7K2M-Q9XD-H3TR", NOW, dias=7)
    assert (u.tem_senha, u.pode_entrar, u.aguarda_ativacao) == (False, False, True)
    assert u.ativacao_expira_em == NOW + timedelta(days=7)
    assert not u.ativar("0000-0000-0000", "hash-novo", NOW, politica)
    assert (u.falhas_consecutivas, u.tem_senha) == (1, False)
    assert u.ativar("7k2m q9xd h3tr", "hash-novo", NOW, politica)  # typed loosely
    assert (u.senha_hash, u.ativacao_hash, u.falhas_consecutivas) == ("hash-novo", None, 0)
    assert u.pode_entrar and not u.aguarda_ativacao
    assert not u.ativar("7K2M-Q9XD-H3TR", "outro", NOW, politica)  # once only


def test_an_expired_code_does_not_activate_and_an_active_account_gets_no_new_code():
    u = Usuario.a_ativar("1", "maria", "Maria", "7K2M-Q9XD-H3TR", NOW, dias=1)
    assert not u.ativar("7K2M-Q9XD-H3TR", "h", NOW + timedelta(days=1), LockoutPolicy(5, LOCK))
    u.emitir_codigo("AAAA-BBBB-CCCC", NOW, dias=1)
    assert u.ativar("AAAA-BBBB-CCCC", "h", NOW, LockoutPolicy(5, LOCK))
    with pytest.raises(Conflito) as ativada:
        u.emitir_codigo("DDDD-EEEE-FFFF", NOW, dias=1)
    assert ativada.value.code == "conta_ja_ativada"


def test_a_locked_account_is_refused_with_its_deadline_and_a_new_password_unlocks_it():
    u = usuario()
    for _ in range(5):
        u.registrar_falha(NOW, 5, LOCK)
    with pytest.raises(UsuarioBloqueado) as locked:
        u.exigir_desbloqueado(NOW)
    assert locked.value.details == {"bloqueado_ate": (NOW + LOCK).isoformat()}
    u.trocar_senha("outro-hash", NOW)
    u.exigir_desbloqueado(NOW)


def test_deactivated_accounts_lose_their_tokens_and_admin_changes_say_if_they_changed():
    u = usuario()
    assert exigir_ativo(u) is u
    assert u.tornar_administrador(True, NOW) and not u.tornar_administrador(True, NOW)
    u.ativo = False
    assert not u.pode_entrar
    with pytest.raises(TokenInvalido):
        exigir_ativo(u)
    with pytest.raises(TokenInvalido):
        exigir_ativo(None)

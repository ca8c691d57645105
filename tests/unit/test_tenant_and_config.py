from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.chassis.config import Settings, describe
from services.chassis.errors import ConfiguracaoInvalida, DadosInvalidos
from services.chassis.tenant import SCHEMA_PATTERN, Tenant, schema_for, validar_ibge


def test_schema_name_is_derived_from_the_ibge_code():
    assert schema_for("5208004") == "mun_5208004"
    assert Tenant("5205109").schema == "mun_5205109"


@pytest.mark.parametrize(
    "value",
    [
        "5208004; DROP SCHEMA x",
        "../x",
        "pg_catalog",
        "52080041",
        "520800",
        "abcdefg",
        "",
        None,
        5208004,
        "0208004",
        "６２０８００４",
        "5208004\n",
    ],
)
def test_anything_but_seven_digits_is_refused(value):
    with pytest.raises(DadosInvalidos):
        validar_ibge(value)
    with pytest.raises(DadosInvalidos):
        Tenant(value)


@given(st.text(max_size=20))
def test_any_text_either_is_refused_or_yields_a_safe_schema_name(value):
    try:
        schema = schema_for(value)
    except DadosInvalidos:
        return
    assert SCHEMA_PATTERN.fullmatch(schema)
    assert len(schema) <= 30


def test_settings_read_environment_and_cast(monkeypatch):
    monkeypatch.setenv("SEMPAPEL_DB_POOL_SIZE", "3")
    monkeypatch.setenv("SEMPAPEL_RPC_TIMEOUT_SECONDS", "2.5")
    settings = Settings.from_env()
    assert settings.db_pool_size == 3
    assert settings.rpc_timeout_seconds == 2.5
    monkeypatch.setenv("SEMPAPEL_DB_POOL_SIZE", "muitos")
    with pytest.raises(ConfiguracaoInvalida, match="SEMPAPEL_DB_POOL_SIZE"):
        Settings.from_env()


def test_signing_key_has_no_default(monkeypatch):
    monkeypatch.delenv("SEMPAPEL_JWT_SECRET", raising=False)
    with pytest.raises(ConfiguracaoInvalida):
        Settings.from_env().require_jwt_secret()
    monkeypatch.setenv("SEMPAPEL_JWT_SECRET", "curta")
    with pytest.raises(ConfiguracaoInvalida):
        Settings.from_env().require_jwt_secret()


def test_every_setting_is_listed_with_its_variable():
    names = [env for env, _, _ in describe()]
    assert len(names) == len(set(names))
    assert all(n.startswith("SEMPAPEL_") for n in names)
    assert "SEMPAPEL_JWT_SECRET" in names

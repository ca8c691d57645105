from __future__ import annotations

from dataclasses import fields

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


def test_each_service_declares_its_own_settings_and_the_platform_lists_them_all():
    """The chassis knows no service: a service's settings live in its own settings.py and
    reach `sempapel config` through the entry point group, never twice."""
    from services.chassis.config import settings_classes

    classes = settings_classes()
    assert classes[0] is Settings
    owners = {cls.__module__.split(".")[1] for cls in classes[1:]}
    assert {"auth", "busca", "documentos", "gateway", "tenancy"} <= owners
    names = {env for env, _, _ in describe()}
    assert {"SEMPAPEL_LOCKOUT_SECONDS", "SEMPAPEL_BUSCA_BACKEND", "SEMPAPEL_CORS_ORIGINS"} <= names
    platform = {f.metadata["env"] for f in fields(Settings)}
    for cls in classes[1:]:
        own = {f.metadata["env"] for f in fields(cls)}
        assert own and not own & platform, cls


def test_the_services_a_process_can_run_are_found_not_listed_in_the_chassis():
    from pathlib import Path

    from services.chassis.runner import service_class, service_names

    services = Path(__file__).resolve().parents[2] / "services"
    assert service_names() == sorted(p.parent.name for p in services.glob("*/service.py"))
    assert service_class("busca").name == "busca"
    with pytest.raises(ValueError, match="desconhecido"):
        service_class("chassis")


def test_a_service_reads_its_settings_once_when_it_starts(monkeypatch):
    from services.chassis.settings_provider import SettingsProvider
    from services.gateway.settings import GatewaySettings

    monkeypatch.setenv("SEMPAPEL_MAX_BODY_BYTES", "123")
    provider = SettingsProvider(GatewaySettings)
    provider.setup()
    monkeypatch.setenv("SEMPAPEL_MAX_BODY_BYTES", "456")
    assert provider.get_dependency(None).max_body_bytes == 123
    assert provider.get_dependency(None) is provider.get_dependency(None)

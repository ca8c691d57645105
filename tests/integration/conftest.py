"""Fixtures shared by the integration tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def two_schemas(provision, create_user):
    """Formosa and Catalão, each with one user of its own: sessao_formosa, sessao_catalao."""
    provision("5208004", "Formosa")
    provision("5205109", "Catalão")
    create_user("5208004", "sessao_formosa", "senha-formosa-1")
    create_user("5205109", "sessao_catalao", "senha-catalao-1")

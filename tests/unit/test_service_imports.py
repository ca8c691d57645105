"""Each service, imported alone in a fresh process, has everything it needs mapped.

In the test process other modules (entry points, fixtures) import table modules
early; a service process imports only its own module tree.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

CHECKS = {
    "auth": ["services.auth.domain.usuario:Usuario"],
    "tenancy": [
        "services.tenancy.domain.unidades:Unidade",
        "services.tenancy.domain.unidades:VersaoUnidade",
        "services.tenancy.domain.catalogo:HipoteseLegal",
        "services.tenancy.domain.catalogo:TipoDocumento",
        "services.tenancy.domain.catalogo:TipoProcesso",
    ],
    "gateway": [],
    "processos": [],
    "documentos": [],
    "busca": [],
}

PROGRAM = """
import importlib, sys
from sqlalchemy.orm import class_mapper
importlib.import_module("services.{name}.service")
for spec in sys.argv[1:]:
    module, _, cls = spec.partition(":")
    class_mapper(getattr(importlib.import_module(module), cls))
print("ok")
"""


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_service_module_maps_its_own_classes_when_imported_alone(name):
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM.format(name=name), *CHECKS[name]],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"


FRAMEWORKS = {"sqlalchemy", "nameko", "pydantic", "werkzeug", "eventlet", "argon2"}
DOMAIN_ROOMS = ("services/tenancy/domain", "services/auth/domain")


@pytest.mark.parametrize("room", DOMAIN_ROOMS)
def test_domain_modules_import_no_framework(room):
    """The domain is plain Python: its tests need no database, broker or web server."""
    root = Path(__file__).parents[2]
    modules = sorted((root / room).glob("*.py"))
    assert modules
    found = {}
    for module in modules:
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                if name.partition(".")[0] in FRAMEWORKS:
                    found.setdefault(module.name, []).append(name)
    assert found == {}

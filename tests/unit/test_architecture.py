"""The shape every service keeps: boundaries that hold, domains free of frameworks, the same rooms.

- No service imports another service's modules: what one needs of another is a public
  RPC or an event. Only the chassis is shared, and the chassis imports no service. The
  operator command (`services/operador`) is the one place that may reach into services.
- A domain module imports no framework (nameko, eventlet, kombu, SQLAlchemy, pydantic,
  werkzeug, structlog...), checked in a fresh interpreter, transitively.
- Every service that owns data has the same rooms under the same names.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2] / "services"
FREE_TO_IMPORT_SERVICES = {"operador"}
OWNERS_OF_DATA = ("auth", "tenancy", "processos", "documentos", "busca")
ROOMS = ("service.py", "domain", "handlers", "tables.py", "migrations")
FRAMEWORKS = (
    "nameko",
    "eventlet",
    "kombu",
    "amqp",
    "sqlalchemy",
    "pydantic",
    "werkzeug",
    "structlog",
    "psycopg2",
    "oracledb",
    "minio",
    "pysolr",
    "alembic",
)


def services() -> list[str]:
    return sorted(p.name for p in SERVICES.iterdir() if (p / "__init__.py").exists())


def imported_services(path: Path) -> set[tuple[str, int]]:
    """(service, line) of every `services.<name>` a module imports, at any depth."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "services" and len(parts) > 1:
                found.add((parts[1], node.lineno))
    return found


def violations(service: str) -> list[str]:
    allowed = {service, "chassis"} if service != "chassis" else {"chassis"}
    found = []
    for path in sorted((SERVICES / service).rglob("*.py")):
        for target, line in sorted(imported_services(path)):
            if target not in allowed and target in services():
                found.append(
                    f"{path.relative_to(SERVICES.parent)}:{line} imports services.{target}"
                )
    return found


@pytest.mark.parametrize("service", [s for s in services() if s not in FREE_TO_IMPORT_SERVICES])
def test_a_service_imports_no_other_service_and_the_chassis_none(service):
    assert violations(service) == []


def test_the_boundary_check_finds_a_crossing(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "from services.processos.domain import Processo\n"
        "import services.documentos.handlers\n"
        "from services import busca\n"
        "def f():\n    from services.tenancy import catalogo\n"
    )
    assert {s for s, _ in imported_services(module)} == {
        "processos",
        "documentos",
        "busca",
        "tenancy",
    }


def domain_modules() -> list[str]:
    modules = []
    for service in OWNERS_OF_DATA:
        base = SERVICES / service
        if (base / "domain.py").exists():
            modules.append(f"services.{service}.domain")
        for path in sorted((base / "domain").glob("*.py")):
            name = "" if path.stem == "__init__" else f".{path.stem}"
            modules.append(f"services.{service}.domain{name}")
    return modules


PROGRAM = """
import importlib, sys
importlib.import_module(sys.argv[1])
frameworks = set(sys.argv[2].split(","))
print(",".join(sorted({m.split(".")[0] for m in sys.modules} & frameworks)))
"""


@pytest.mark.parametrize("module", domain_modules())
def test_a_domain_imports_no_framework(module):
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, module, ",".join(FRAMEWORKS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "", f"{module} loads {done.stdout.strip()}"


def test_every_owner_of_data_has_a_domain_to_check():
    assert {m.split(".")[1] for m in domain_modules()} == set(OWNERS_OF_DATA)


@pytest.mark.parametrize("service", OWNERS_OF_DATA)
def test_every_service_has_the_same_rooms(service):
    base = SERVICES / service
    missing = [
        room for room in ROOMS if not (base / room).exists() and not (base / f"{room}.py").exists()
    ]
    assert missing == []
    assert not (base / "dominio.py").exists() and not (base / "eventos.py").exists()


@pytest.mark.parametrize("service", OWNERS_OF_DATA + ("gateway",))
def test_service_py_holds_entrypoints_not_module_level_functions(service):
    """nameko-examples' shape: one class of thin entrypoints (its private helpers are
    methods); use cases live in handlers, rules in the domain."""
    tree = ast.parse((SERVICES / service / "service.py").read_text())
    functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert functions == []

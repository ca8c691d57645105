"""Test harness: real PostgreSQL, real RabbitMQ, services running in this process.

nameko's pytest plugin no longer monkey-patches, so eventlet is patched here,
before anything opens a socket. Tests use their own database (recreated each
session) and their own RabbitMQ vhost, so they never meet a running `make up`.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message="\nEventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()

import os  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import psycopg2  # noqa: E402
import pytest  # noqa: E402
import requests  # noqa: E402


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


S3_PORT = _port()  # moto's S3 server, a process of its own (see the s3_server fixture)
TEST_DB = os.environ.get("SEMPAPEL_TEST_DB", "sempapel_test")
TEST_VHOST = os.environ.get("SEMPAPEL_TEST_VHOST", "sempapel_test")
PG_ADMIN_DSN = os.environ.get("SEMPAPEL_TEST_PG_ADMIN", "host=127.0.0.1 port=5432 user=postgres")
JWT_SECRET = "segredo-de-teste-com-mais-de-32-caracteres-0123456789"
CORS_ORIGIN = "https://app.exemplo.gov.br"

os.environ.update(
    {
        "SEMPAPEL_DATABASE_URL": f"postgresql+psycopg2://postgres@127.0.0.1:5432/{TEST_DB}",
        "SEMPAPEL_AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{TEST_VHOST}",
        "SEMPAPEL_JWT_SECRET": JWT_SECRET,
        "SEMPAPEL_RPC_TIMEOUT_SECONDS": "5",
        "SEMPAPEL_CORS_ORIGINS": CORS_ORIGIN,
        "SEMPAPEL_MAX_BODY_BYTES": "65536",
        "SEMPAPEL_LOG_FORMAT": "json",
        "SEMPAPEL_LOG_LEVEL": "INFO",
        # Tests change the registry and read it back at once; caching is unit-tested.
        "SEMPAPEL_REGISTRY_CACHE_SECONDS": "0",
        # argon2id stays real but cheap here: tests exercise logins, not the hash's cost, and
        # five concurrent 64 MiB hashes on a busy 2-core machine outran the RPC timeout.
        "SEMPAPEL_ARGON2_MEMORY_KIB": "8192",
        "SEMPAPEL_ARGON2_TIME_COST": "1",
        "SEMPAPEL_S3_ENDPOINT": f"127.0.0.1:{S3_PORT}",
        "SEMPAPEL_S3_ACCESS_KEY": "teste",
        "SEMPAPEL_S3_SECRET_KEY": "teste-segredo",
        "SEMPAPEL_S3_BUCKET": "sempapel-teste",
        "SEMPAPEL_S3_PART_BYTES": str(5 * 1024 * 1024),
    }
)

from services.chassis.config import Settings  # noqa: E402
from services.chassis.database import engine_from_settings  # noqa: E402
from services.chassis.structured_logging import configure_logging  # noqa: E402

BACKENDS = ("tenancy", "auth", "processos", "documentos", "busca")

# Every statement the services run here is also compiled for Oracle 19c at the end of the
# session (see oracle_statements.py; SEMPAPEL_ORACLE_CHECK=relatorio only reports). pytester
# runs that check in a child pytest, to see it fail a run (tests/unit/test_oracle_statements.py).
pytest_plugins = ["oracle_statements", "pytester"]


def free_port() -> int:
    return _port()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """moto's S3 server over real HTTP, in its own process (its memory is not the services')."""
    moto = shutil.which("moto_server", path=os.path.dirname(sys.executable))
    proc = subprocess.Popen(
        [moto, "-H", "127.0.0.1", "-p", str(S3_PORT)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{S3_PORT}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{url}/moto-api/", timeout=1)
            break
        except requests.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("moto_server did not start") from None
            time.sleep(0.1)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _recreate_database() -> None:
    conn = psycopg2.connect(PG_ADMIN_DSN + " dbname=postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (TEST_DB,),
        )
        cur.execute(f'DROP DATABASE IF EXISTS "{TEST_DB}"')
        cur.execute(f'CREATE DATABASE "{TEST_DB}"')
    conn.close()


def _ensure_vhost() -> None:
    """A fresh vhost each session: durable event queues must not carry the last run's events."""
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        return
    subprocess.run([ctl, "delete_vhost", TEST_VHOST], capture_output=True, check=False)
    subprocess.run([ctl, "add_vhost", TEST_VHOST], capture_output=True, check=False)
    subprocess.run(
        [ctl, "set_permissions", "-p", TEST_VHOST, "guest", ".*", ".*", ".*"],
        capture_output=True,
        check=False,
    )


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session")
def engine(settings):
    _recreate_database()
    _ensure_vhost()
    configure_logging(settings)
    eng = engine_from_settings(settings)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def provision(engine):
    """Provision a municipality (idempotent) and return its IBGE code."""
    from services.tenancy import provisioning

    def _provision(ibge: str, nome: str, uf: str = "GO") -> str:
        provisioning.provision(engine, ibge, nome, uf)
        return ibge

    return _provision


@pytest.fixture(scope="session")
def create_user(engine):
    from services.operador.cli import criar_usuario

    def _create(
        ibge: str, login: str, senha: str, nome: str | None = None, administrador: bool = False
    ) -> str:
        return criar_usuario(ibge, login, nome or login.title(), senha, administrador)

    return _create


@pytest.fixture
def new_login():
    """A login no other test uses."""
    return lambda prefix="u": f"{prefix}{uuid.uuid4().hex[:10]}"


class Platform:
    """All six services in this process, each container with its own HTTP port."""

    def __init__(self, settings: Settings) -> None:
        from nameko.containers import ServiceContainer

        from services.chassis.runner import service_class

        self.settings = settings
        self.gateway_port = free_port()
        self.containers = {}
        for name in (*BACKENDS, "gateway"):
            port = self.gateway_port if name == "gateway" else free_port()
            config = dict(settings.nameko_config(), WEB_SERVER_ADDRESS=f"127.0.0.1:{port}")
            self.containers[name] = ServiceContainer(service_class(name), config)
        self.url = f"http://127.0.0.1:{self.gateway_port}"

    def start(self) -> None:
        for container in self.containers.values():
            container.start()

    def stop(self) -> None:
        for container in self.containers.values():
            # A container restarted inside one process can wait forever for its
            # consumer to cancel (nameko 2 QueueConsumer); tests do not wait with it.
            with eventlet.Timeout(15, False):
                container.stop()
            if not container._died.ready():
                container.kill()

    def restart(self, name: str) -> None:
        from nameko.containers import ServiceContainer

        old = self.containers[name]
        old.stop()
        self.containers[name] = ServiceContainer(old.service_cls, old.config)
        self.containers[name].start()


@pytest.fixture(scope="session")
def platform(settings, engine, s3_server) -> Iterator[Platform]:
    plat = Platform(settings)
    plat.start()
    yield plat
    plat.stop()


@pytest.fixture(scope="session")
def login(platform):
    def _login(municipio: str, usuario: str, senha: str) -> requests.Response:
        return requests.post(
            f"{platform.url}/api/v1/auth/login",
            json={"municipio": municipio, "usuario": usuario, "senha": senha},
            timeout=30,
        )

    return _login


@pytest.fixture(scope="session")
def bearer(login):
    """Log in through the gateway; the Authorization header of the token."""

    def _bearer(ibge: str, usuario: str, senha: str) -> dict[str, str]:
        answer = login(ibge, usuario, senha)
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    return _bearer

"""Replicas compete for work, a killed replica loses no request, a dead service is a 503."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from kombu import Connection
from nameko.containers import ServiceContainer
from nameko.rpc import rpc
from nameko.standalone.rpc import ClusterRpcProxy

from services.chassis.errors import ServicoIndisponivel
from services.chassis.rpc_client import ServiceRpc

FORMOSA = "5208004"


@pytest.fixture(scope="module")
def replica_user(provision, create_user):
    provision(FORMOSA, "Formosa")
    create_user(FORMOSA, "replicas", "senha-das-replicas")
    return "replicas"


def start_replica(tmp_path: Path, name: str) -> tuple[subprocess.Popen, Path]:
    log = tmp_path / f"{name}.log"
    env = dict(os.environ, SEMPAPEL_HTTP_ADDRESS="127.0.0.1:0", SEMPAPEL_LOG_FORMAT="json")
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.operador.cli", "servico", name],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while "Connected to amqp" not in log.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"replica did not start: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    return proc, log


def wait_for_consumers(amqp_uri: str, queue: str, count: int) -> None:
    """Until RabbitMQ reports `count` consumers on the queue (bounded)."""
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        for _ in range(200):
            _, _, consumers = channel.queue_declare(queue=queue, passive=True)
            if consumers >= count:
                return
            time.sleep(0.05)
    pytest.fail(f"{queue} never reached {count} consumers")


def served_logins(log: Path) -> int:
    count = 0
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("event") == "call" and entry.get("method") == "login":
                count += 1
    return count


def test_two_auth_replicas_share_logins_and_survive_one_being_killed(
    platform, replica_user, login, tmp_path
):
    replica, log = start_replica(tmp_path, "auth")
    wait_for_consumers(platform.settings.amqp_uri, "rpc-auth", 2)
    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            first = list(
                pool.map(lambda _: login(FORMOSA, replica_user, "senha-das-replicas"), range(30))
            )
        assert [a.status_code for a in first] == [200] * 30
        by_replica = served_logins(log)
        assert 0 < by_replica < 30, "both replicas (this process and the subprocess) must serve"

        # Kill the subprocess replica with work in flight: its unacknowledged requests
        # go back to the queue and the surviving replica answers them.
        with ThreadPoolExecutor(max_workers=10) as pool:
            futures = [
                pool.submit(login, FORMOSA, replica_user, "senha-das-replicas") for _ in range(40)
            ]
            time.sleep(0.3)
            replica.send_signal(signal.SIGKILL)
            answers = [f.result() for f in futures]
    finally:
        replica.kill()
        replica.wait()
    for answer in answers:
        assert answer.status_code in (200, 503), answer.text
        if answer.status_code == 503:
            assert answer.json()["error"]["code"] == "servico_indisponivel"
    assert sum(a.status_code == 200 for a in answers) >= 35


class Caller:
    """A service whose only job is to call a service that does not exist."""

    name = "chamador_de_teste"
    missing = ServiceRpc("servico_que_nao_existe", timeout=30)

    @rpc(expected_exceptions=ServicoIndisponivel)
    def call_missing(self):
        return self.missing.health()


def test_call_to_a_service_with_no_queue_fails_at_once_not_after_the_timeout(platform):
    container = ServiceContainer(Caller, platform.settings.nameko_config())
    container.start()
    try:
        with ClusterRpcProxy(platform.settings.nameko_config(), timeout=10) as cluster:
            # The caller's own deadline is 30 s and the cluster proxy gives up after 10 s:
            # only RabbitMQ's immediate return of an unroutable message can pass this.
            with pytest.raises(ServicoIndisponivel) as raised:
                cluster.chamador_de_teste.call_missing()
    finally:
        container.stop()
    assert raised.value.details == {"servico": "servico_que_nao_existe"}


def test_stopped_service_gives_503_after_the_rpc_timeout_never_a_hang(platform):
    platform.containers["busca"].stop()
    try:
        answer = requests.get(f"{platform.url}/api/v1/saude/busca", timeout=60)
        assert answer.status_code == 503
        assert answer.json()["error"] == {
            "code": "servico_indisponivel",
            "message": "Serviço temporariamente indisponível. Tente novamente em instantes.",
            "servico": "busca",
        }
    finally:
        platform.restart("busca")
    assert requests.get(f"{platform.url}/api/v1/saude/busca", timeout=60).status_code == 200

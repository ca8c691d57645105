"""Every log line of a call carries its tenant, user, unit, request id and call chain."""

from __future__ import annotations

import json
import logging

import eventlet
import pytest
import requests

FORMOSA = "5208004"


class JsonLines(logging.Handler):
    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__()
        self.setFormatter(formatter)
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def captured_logs(platform):
    root = logging.getLogger()
    handler = JsonLines(root.handlers[0].formatter)
    root.addHandler(handler)
    yield handler.lines
    root.removeHandler(handler)


def test_request_id_tenant_and_call_chain_follow_the_call_across_services(
    platform, provision, create_user, login, new_login, captured_logs
):
    provision(FORMOSA, "Formosa")
    name = new_login("log")
    create_user(FORMOSA, name, "senha-dos-logs")
    token = login(FORMOSA, name, "senha-dos-logs").json()["access_token"]
    captured_logs.clear()

    answer = requests.get(
        f"{platform.url}/api/v1/me",
        headers={"Authorization": f"Bearer {token}", "X-Request-Id": "req-log-123"},
        timeout=30,
    )
    assert answer.status_code == 200

    def calls_so_far():
        lines = [entry for entry in captured_logs if entry.get("request_id") == "req-log-123"]
        return lines, {e["service"]: e for e in lines if e.get("event") == "call"}

    # A service logs its call line after sending the reply: wait for the stragglers.
    for _ in range(100):
        lines, calls = calls_so_far()
        if len(calls) == 3:
            break
        eventlet.sleep(0.05)
    assert set(calls) == {"gateway", "auth", "tenancy"}
    for service, entry in calls.items():
        assert entry["tenant"] == FORMOSA, service
        assert entry["user"] == name, service
        assert "unit" in entry
        assert entry["outcome"] == "ok"
    assert calls["auth"]["parent_call_id"] == calls["gateway"]["call_id"]
    assert calls["tenancy"]["parent_call_id"] == calls["auth"]["call_id"]
    http_line = next(e for e in lines if e.get("event") == "http")
    assert http_line["status"] == 200 and http_line["path"] == "/api/v1/me"
    assert all("timestamp" in e and "level" in e for e in lines)

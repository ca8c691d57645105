"""End-to-end harness: what the gateway answered, for the status contract.

Every HTTP answer a test receives through `requests` is recorded (port, method,
path, status); `test_declared_statuses.py`, marked `after_e2e`, runs after the
other tests and compares what the API really answered with what each route declares.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
import requests.adapters

AFTER_E2E = "after_e2e"


@dataclass(frozen=True)
class Answer:
    port: int | None
    method: str
    path: str
    status: int


@dataclass
class AnswerRecord:
    answers: list[Answer] = field(default_factory=list)
    deselected_e2e: list[str] = field(default_factory=list)  # left out by -k, --lf, --deselect


RECORD = AnswerRecord()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{AFTER_E2E}: runs after every other test (it reads what they were answered)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    last = [item for item in items if item.get_closest_marker(AFTER_E2E)]
    items[:] = [item for item in items if not item.get_closest_marker(AFTER_E2E)] + last


def pytest_deselected(items: list[pytest.Item]) -> None:
    RECORD.deselected_e2e.extend(item.nodeid for item in items if "tests/e2e/" in item.nodeid)


@pytest.fixture(scope="session", autouse=True)
def answer_record() -> Iterator[AnswerRecord]:
    """Wrap requests' transport for the session: every answer a test receives is recorded."""
    send = requests.adapters.HTTPAdapter.send

    def recording_send(
        self: requests.adapters.HTTPAdapter, request: requests.PreparedRequest, **kwargs: object
    ) -> requests.Response:
        response = send(self, request, **kwargs)
        url = urlsplit(request.url)
        RECORD.answers.append(Answer(url.port, request.method, url.path, response.status_code))
        return response

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(requests.adapters.HTTPAdapter, "send", recording_send)
        yield RECORD

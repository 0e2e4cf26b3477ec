"""The one HTTP policy against a real loopback server with injected faults."""

from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from ledgerlink.errors import OutcomeUnknown
from ledgerlink.http import build_client, send
from ledgerlink.settings import Settings
from sandbox.faults import FaultInjector, FaultRule


class Server:
    def __init__(self) -> None:
        self.posts = 0
        app = FastAPI()

        @app.get("/items")
        def items() -> dict:
            return {"items": [1, 2, 3]}

        @app.post("/orders")
        def orders() -> dict:
            self.posts += 1
            return {"order": self.posts}

        self.faults = FaultInjector(app)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self._server = uvicorn.Server(uvicorn.Config(self.faults, log_level="error"))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        while not self._server.started:
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(5)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.stop()


@pytest.fixture
def fresh(server: Server) -> Server:
    server.faults.clear()
    server.faults.stats.clear()
    server.posts = 0
    return server


def client_for(server: Server, **overrides: object) -> httpx.Client:
    options = {
        "http_backoff_base_seconds": 0.01,
        "http_backoff_cap_seconds": 0.05,
        "http_max_attempts": 5,
    }
    settings = Settings(**{**options, **overrides})
    # A service name per client: a Retry-After pause in one test must not hold the next one.
    return build_client(f"test-{uuid.uuid4().hex[:8]}", server.url, settings, rate_limit=1000)


def get(client: httpx.Client, path: str) -> httpx.Response:
    return send(client, client.build_request("GET", path), service="test", what="read")


def test_retries_429_with_retry_after(fresh: Server):
    fresh.faults.add([FaultRule(kind="status", status=429, retry_after=0.3, count=2)])
    started = time.monotonic()
    with client_for(fresh) as client:
        response = get(client, "/items")
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.6  # both Retry-After waits honoured
    assert fresh.faults.stats["requests"] == 3


@pytest.mark.parametrize("status", [502, 503, 504])
def test_retries_transient_statuses(fresh: Server, status: int):
    fresh.faults.add([FaultRule(kind="status", status=status, count=3)])
    with client_for(fresh) as client:
        assert get(client, "/items").json() == {"items": [1, 2, 3]}
    assert fresh.faults.stats["requests"] == 4


def test_retries_dropped_connections_on_reads(fresh: Server):
    fresh.faults.add([FaultRule(kind="drop", count=2)])
    with client_for(fresh) as client:
        assert get(client, "/items").status_code == 200
    assert fresh.faults.stats["fault_drop"] == 2


def test_gives_back_the_last_answer_when_retries_run_out(fresh: Server):
    fresh.faults.add([FaultRule(kind="status", status=503, count=50)])
    with client_for(fresh, http_max_attempts=3) as client:
        assert get(client, "/items").status_code == 503
    assert fresh.faults.stats["requests"] == 3


def test_total_wait_is_bounded(fresh: Server):
    fresh.faults.add([FaultRule(kind="status", status=429, retry_after=30, count=5)])
    started = time.monotonic()
    with client_for(fresh, http_max_total_wait_seconds=2) as client:
        assert get(client, "/items").status_code == 429
    assert time.monotonic() - started < 2


def test_a_write_is_not_repeated_after_a_5xx(fresh: Server):
    fresh.faults.add([FaultRule(kind="status", status=503, count=1, method="POST")])
    with client_for(fresh) as client:
        response = send(
            client, client.build_request("POST", "/orders"), service="test", what="create"
        )
    assert response.status_code == 503
    assert fresh.faults.stats["requests"] == 1


def test_a_write_is_repeated_after_429_because_it_was_not_processed(fresh: Server):
    fresh.faults.add([FaultRule(kind="status", status=429, count=1, method="POST")])
    with client_for(fresh) as client:
        response = send(
            client, client.build_request("POST", "/orders"), service="test", what="create"
        )
    assert response.json() == {"order": 1}


def test_a_dropped_write_has_an_unknown_outcome(fresh: Server):
    fresh.faults.add([FaultRule(kind="drop", count=1, method="POST")])
    with client_for(fresh) as client, pytest.raises(OutcomeUnknown, match="look the record up"):
        send(client, client.build_request("POST", "/orders"), service="test", what="create order")
    assert fresh.posts == 0


def test_call_logs_are_redacted(fresh: Server, caplog: pytest.LogCaptureFixture):
    fresh.faults.add([FaultRule(kind="status", status=503, count=1)])
    caplog.set_level(logging.DEBUG, logger="ledgerlink")
    logging.getLogger("ledgerlink").propagate = True
    with client_for(fresh) as client:
        request = client.build_request(
            "GET",
            "/items",
            params={"access_token": "sekrit-token-42"},
            headers={"Authorization": "Bearer abc.def"},
        )
        send(client, request, service="test", what="read")
    text = caplog.text + " ".join(str(vars(r)) for r in caplog.records)
    assert "http call" in text
    assert "sekrit-token-42" not in text
    assert "abc.def" not in text

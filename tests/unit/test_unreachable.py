"""Requests no wait can help are not retried: nothing listening on this machine, a host name
that does not exist, an address that is not http(s). The rest still are."""

from __future__ import annotations

import socket

import httpx
import pytest

from ledgerlink.errors import ConfigurationError, ServiceUnreachable
from ledgerlink.http import build_client
from ledgerlink.settings import Settings

# The default policy: six tries within up to a minute, as an operator's run has it.
DEFAULTS = Settings()


class Counting(httpx.BaseTransport):
    """A real transport that counts the requests it is handed (tries, not calls)."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner or httpx.HTTPTransport()
        self.tries = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.tries += 1
        return self.inner.handle_request(request)


class Refusing(httpx.BaseTransport):
    """Answers every request the way the OS does when nothing listens on the port."""

    def __init__(self) -> None:
        self.tries = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.tries += 1
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except ConnectionRefusedError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_closed_port_on_this_machine_fails_at_once_naming_the_setting():
    transport = Counting()
    url = f"http://127.0.0.1:{closed_port()}"
    client = build_client(
        "shop", url, DEFAULTS, inner_transport=transport, url_setting="SHOP_API_URL"
    )
    with pytest.raises(ServiceUnreachable) as caught:
        client.get("/admin/api/orders.json")
    assert transport.tries == 1  # no retry, no backoff: a refused connection is final
    assert str(caught.value) == (
        f"shop: cannot connect to {url} (connection refused: nothing listens on that port); "
        "check SHOP_API_URL, or start the sandbox with `ledgerlink sandbox up` if that is what "
        "it points at"
    )


def test_a_host_name_that_does_not_exist_fails_at_once():
    transport = Counting()
    client = build_client(
        "freshbooks", "http://no-such-host.invalid", DEFAULTS, inner_transport=transport
    )
    with pytest.raises(ServiceUnreachable, match=r"the host name no-such-host\.invalid does not"):
        client.get("/auth/api/v1/users/me")
    assert transport.tries == 1


def test_a_refusal_from_another_machine_is_retried():
    """A remote service restarting behind its load balancer refuses for a moment."""
    settings = Settings(http_backoff_base_seconds=0.001, http_backoff_cap_seconds=0.001)
    transport = Refusing()
    client = build_client("infor", "https://m3.example.com", settings, inner_transport=transport)
    with pytest.raises(httpx.ConnectError):
        client.get("/execute")
    assert transport.tries == settings.http_max_attempts


@pytest.mark.parametrize("url", ["not-a-url", "ftp://files.example.com", "http://", "127.0.0.1:80"])
def test_a_base_url_that_is_not_http_is_refused_before_any_request(url: str):
    with pytest.raises(ConfigurationError, match=r"FRESHBOOKS_API_URL is .* not an http"):
        build_client("freshbooks", url, DEFAULTS, url_setting="FRESHBOOKS_API_URL")

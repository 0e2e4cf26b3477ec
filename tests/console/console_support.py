"""Running the real console (uvicorn on loopback, in a thread) and logging in to it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from conftest import serving_in_thread

from ledgerlink.console import auth
from ledgerlink.console.server import bind, build_server, url_of
from ledgerlink.settings import Settings


@contextmanager
def console_at(settings: Settings, **options: object) -> Iterator[str]:
    sock = bind("127.0.0.1", 0)
    server = build_server(settings, **options)  # type: ignore[arg-type]
    with serving_in_thread(server, sock, "console"):
        yield url_of(sock)


def logged_in(
    url: str, settings: Settings, name: str = "", secret: str | None = None
) -> httpx.Client:
    """A client with a session: the token's (an operator) unless a user is named."""
    client = httpx.Client(base_url=url, timeout=120)
    answer = client.post(
        "/login",
        data={"name": name, "secret": secret if secret is not None else auth.token(settings.home)},
    )
    assert answer.status_code == 303, answer.text
    return client


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)

"""Who may see and do what: no session is a 401 login page, a read-only user cannot act, a POST
without the session's CSRF token is refused, and the token never shows in a page."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import httpx
import pytest
from console_support import console_at, csrf_of, logged_in

from ledgerlink.console import announce, auth
from ledgerlink.console.server import bind, stop_detached
from ledgerlink.ops_schema import ensure_ops_schema
from ledgerlink.settings import load_settings
from ledgerlink.warehouse import connect, writer_lock


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith(("FRESHBOOKS_", "INFOR_", "SHOP_", "LEDGERLINK_")):
            monkeypatch.delenv(key)
    config = load_settings(ledgerlink_home=tmp_path / ".ledgerlink")
    with writer_lock(config, "test"), connect(config, read_only=False) as con:
        ensure_ops_schema(con)  # an empty ledger; the lock publishes the readers' snapshot
    return config


@pytest.fixture
def url(settings):
    with console_at(settings) as address:
        yield address


PAGES = ["/", "/dead-letters", "/records?q=x", "/reconciliation", "/mappings", "/field-maps",
         "/enrichment", "/reconciliation/ar-aging.csv"]  # fmt: skip


@pytest.mark.parametrize("page", PAGES)
def test_without_a_session_every_page_is_a_401_login(url, page):
    answer = httpx.get(url + page)
    assert answer.status_code == 401
    assert 'action="/login"' in answer.text


def test_a_wrong_token_is_refused_and_repeated_failures_wait(url, settings):
    for _ in range(auth.FAILED_LOGINS_ALLOWED):
        answer = httpx.post(url + "/login", data={"name": "", "secret": "guess"})
        assert answer.status_code == 401
    right = httpx.post(url + "/login", data={"name": "", "secret": auth.token(settings.home)})
    assert right.status_code == 429  # even the right one, for a minute


def test_the_token_logs_in_as_an_operator_and_never_shows(url, settings):
    client = logged_in(url, settings)
    for page in PAGES:
        answer = client.get(page)
        assert answer.status_code == 200, (page, answer.text[:300])
        assert auth.token(settings.home) not in answer.text
    assert "token (operator)" in client.get("/").text
    assert (settings.home / "console" / "token").stat().st_mode & 0o777 == 0o600


def test_a_post_without_the_csrf_token_is_refused(url, settings):
    client = logged_in(url, settings)
    answer = client.post("/dead-letters/bulk", data={"do": "replay", "keys[]": "abcd"})
    assert answer.status_code == 403
    assert "security token" in answer.text
    wrong = client.post("/dead-letters/bulk", data={"csrf": "forged", "keys[]": "abcd"})
    assert wrong.status_code == 403


def test_a_read_only_user_sees_pages_but_may_not_act(url, settings):
    auth.add_user(auth.users_file(settings.home), "ann", "read-only", "a long enough secret")
    client = logged_in(url, settings, "ann", "a long enough secret")
    page = client.get("/dead-letters")
    assert page.status_code == 200 and "ann (read-only)" in page.text
    answer = client.post("/dead-letters/bulk", data={"csrf": csrf_of(page.text), "keys[]": "a"})
    assert answer.status_code == 403
    assert "read-only" in answer.text
    mapping = client.post(
        "/mappings/currencies.csv", data={"csrf": csrf_of(page.text), "do": "save"}
    )
    assert mapping.status_code == 403
    bad = httpx.post(url + "/login", data={"name": "ann", "secret": "not the password"})
    assert bad.status_code == 401


def test_an_operator_user_acts_and_a_bearer_token_only_reads(url, settings):
    auth.add_user(auth.users_file(settings.home), "olga", "operator", "another long secret")
    client = logged_in(url, settings, "olga", "another long secret")
    page = client.get("/dead-letters")
    answer = client.post(
        "/dead-letters/bulk", data={"csrf": csrf_of(page.text), "do": "replay", "keys[]": "abcd"}
    )
    assert answer.status_code == 303  # allowed; the action itself says what it could not do
    assert "no such dead letter" in client.get("/dead-letters").text
    token = {"Authorization": f"Bearer {auth.token(settings.home)}"}
    assert httpx.get(url + "/reconciliation/cash-forecast.csv", headers=token).status_code == 200
    assert httpx.post(url + "/dead-letters/bulk", headers=token).status_code == 401


def test_the_console_never_opens_the_warehouse(url, settings):
    """Another process holds the warehouse for writing (DuckDB then lets no other process open
    it, not even to read): every page still answers, from the snapshot."""
    client = logged_in(url, settings)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_WAREHOUSE, str(settings.warehouse)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        with pytest.raises(duckdb.IOException):
            duckdb.connect(str(settings.warehouse), read_only=True)
        for page in PAGES:
            assert client.get(page).status_code == 200
    finally:
        holder.kill()
        holder.wait()


HOLD_THE_WAREHOUSE = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(60)
"""


def test_announce_starts_the_console_in_the_background_for_the_demo(settings, monkeypatch):
    monkeypatch.setenv("LEDGERLINK_HOME", str(settings.home))
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    sock.close()
    text = announce(settings, port=port)
    try:
        assert f"http://127.0.0.1:{port}/" in text and auth.token(settings.home) in text
        assert announce(settings, port=port) == text  # found again, not started twice
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 401
    finally:
        assert stop_detached(settings)

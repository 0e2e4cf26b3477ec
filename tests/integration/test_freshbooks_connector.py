"""The FreshBooks connector against its emulator: OAuth, reads, writes, errors, faults."""

from __future__ import annotations

import logging
from decimal import Decimal

import httpx
import pytest
from conftest import clear_faults, inject_faults, reset_emulator

from ledgerlink.auth import TokenStore
from ledgerlink.connectors.freshbooks import FreshBooksClient, FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.client import Search
from ledgerlink.connectors.freshbooks.models import Client, Invoice
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from ledgerlink.errors import Conflict, NotFound, ReauthorizationRequired, ValidationFailed

READ_RESOURCES = ("clients", "invoices", "payments", "expenses", "categories", "items", "taxes")


@pytest.fixture
def fb_url(sandbox: dict) -> str:
    return sandbox["urls"]["freshbooks"]


@pytest.fixture
def manager(settings) -> FreshBooksTokenManager:
    tokens = FreshBooksTokenManager(settings)
    authorize_headless(settings, tokens)
    return tokens


@pytest.fixture
def client(settings, manager) -> FreshBooksClient:
    with FreshBooksClient.from_settings(settings, manager) as fb:
        yield fb


def sandbox_counts(url: str) -> dict:
    return httpx.get(f"{url}/_sandbox/freshbooks/counts", timeout=10).json()


def visible_count(counts: dict, resource: str) -> int:
    """Active + archived: what a list returns without `search[vis_state]`."""
    by_state = counts[resource]
    if isinstance(by_state, int):
        return by_state
    return sum(int(n) for state, n in by_state.items() if state in ("0", "2"))


def test_identity_finds_the_account(client: FreshBooksClient):
    assert client.account_id
    assert isinstance(client.business_id, int)


def test_full_read_matches_the_sandbox(client: FreshBooksClient, fb_url: str):
    reset_emulator(fb_url)
    counts = sandbox_counts(fb_url)
    for resource in READ_RESOURCES:
        read = sum(1 for _ in client.list_raw(resource))
        assert read == visible_count(counts, resource), resource


def test_invoices_come_with_lines_and_exact_money(client: FreshBooksClient):
    invoices = list(client.list("invoices", search=Search()))
    assert invoices and all(isinstance(i, Invoice) for i in invoices)
    for invoice in invoices[:50]:
        assert invoice.lines, invoice.invoice_number
        assert isinstance(invoice.amount.amount, Decimal)
        line_total = sum(line.qty * line.unit_cost.amount for line in invoice.lines)
        assert invoice.amount.amount >= line_total  # taxes on top, never less
        assert invoice.updated is not None and invoice.updated.utcoffset().total_seconds() == 0


def test_create_update_and_soft_delete_a_client(client: FreshBooksClient, fb_url: str):
    reset_emulator(fb_url)
    created = client.create(
        "clients",
        {
            "email": "new.person@example.org",
            "fname": "New",
            "lname": "Person",
            "organization": "Newco",
        },
    )
    assert isinstance(created, Client) and created.organization == "Newco"
    updated = client.update("clients", created.id, {"organization": "Newco Holdings"})
    assert updated.organization == "Newco Holdings"
    client.delete("clients", created.id)
    assert client.find_client_by_email("new.person@example.org").deleted
    visible = {c["id"] for c in client.list_raw("clients")}
    assert created.id not in visible
    deleted = {c["id"] for c in client.list_raw("clients", search=Search(vis_state=1))}
    assert created.id in deleted


def test_duplicate_invoice_number_is_a_conflict(client: FreshBooksClient, fb_url: str):
    reset_emulator(fb_url)
    existing = next(client.list("invoices", search=Search()))
    with pytest.raises(Conflict) as err:
        client.create(
            "invoices",
            {
                "customerid": existing.customerid,
                "invoice_number": existing.invoice_number,
                "create_date": "2026-01-10",
                "lines": [{"name": "x", "qty": 1, "unit_cost": {"amount": "1.00", "code": "USD"}}],
            },
        )
    assert err.value.status == 409


def test_bad_input_gets_a_typed_error(client: FreshBooksClient, fb_url: str):
    reset_emulator(fb_url)
    with pytest.raises(ValidationFailed) as err:
        client.create(
            "invoices", {"customerid": 999999999, "create_date": "2026-01-10", "lines": []}
        )
    assert err.value.status in (400, 422)
    with pytest.raises(NotFound):
        client.get("clients", 999999999)


def test_expired_token_is_refreshed_once_and_the_new_refresh_token_persisted(
    client: FreshBooksClient, manager: FreshBooksTokenManager, fb_url: str
):
    before = manager.store.load()
    httpx.post(f"{fb_url}/_sandbox/tokens/expire", timeout=10).raise_for_status()
    assert client.count("clients") > 0  # 401 → one refresh → retried
    after = manager.store.load()
    assert after.refresh_token.get_secret_value() != before.refresh_token.get_secret_value()
    # The old refresh token was single use: presenting it again is refused.
    stale = FreshBooksTokenManager(
        manager.settings, TokenStore(manager.store.path.with_name("stale.json"))
    )
    stale.store.save(before.model_copy(update={"expires_at": before.expires_at.replace(year=2000)}))
    with pytest.raises(ReauthorizationRequired, match="ledgerlink auth freshbooks"):
        stale.access_token()


def test_crash_between_refresh_and_persist_is_a_clear_error(
    settings, manager: FreshBooksTokenManager, monkeypatch
):
    stored = manager.store.load()
    expired = stored.model_copy(update={"expires_at": stored.expires_at.replace(year=2000)})
    manager.store.save(expired)
    crashing = FreshBooksTokenManager(settings)

    def crash(_tokens):
        raise KeyboardInterrupt("killed after the refresh, before the save")

    monkeypatch.setattr(crashing.store, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        crashing.access_token()  # the server rotated the refresh token; we never wrote it
    restarted = FreshBooksTokenManager(settings)
    assert restarted.store.load().refresh_token == expired.refresh_token  # the file is intact
    with pytest.raises(ReauthorizationRequired) as err:
        restarted.access_token()
    assert "ledgerlink auth freshbooks" in str(err.value)


def test_reads_survive_ten_percent_faults(client: FreshBooksClient, fb_url: str):
    reset_emulator(fb_url)
    expected = {r: sum(1 for _ in client.list_raw(r)) for r in ("clients", "invoices")}
    inject_faults(
        fb_url,
        {"kind": "status", "status": 429, "retry_after": 0.05, "rate": 0.04},
        {"kind": "status", "status": 503, "rate": 0.03},
        {"kind": "drop", "rate": 0.03},
    )
    try:
        got = {r: sum(1 for _ in client.list_raw(r, per_page=10)) for r in ("clients", "invoices")}
    finally:
        stats = httpx.get(f"{fb_url}/_sandbox/stats", timeout=10).json()
        clear_faults(fb_url)
    assert got == expected
    assert sum(v for k, v in stats.items() if k.startswith("fault_")) > 0


def test_no_secret_reaches_the_logs(settings, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG, logger="ledgerlink")
    logging.getLogger("ledgerlink").propagate = True
    tokens = FreshBooksTokenManager(settings)
    authorize_headless(settings, tokens)
    with FreshBooksClient.from_settings(settings, tokens) as fb:
        fb.count("invoices")
    stored = tokens.store.load()
    secrets = [
        stored.access_token.get_secret_value(),
        stored.refresh_token.get_secret_value(),
        settings.freshbooks_client_secret.get_secret_value(),
    ]
    text = caplog.text + " ".join(str(vars(r)) for r in caplog.records)
    assert "http call" in text
    for secret in secrets:
        assert secret not in text

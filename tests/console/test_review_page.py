"""The review page: the rows the pre-posting gate held, with their reasons; a reviewer rejects
one with a reason (kept with who and when); a POST without the session's CSRF token is refused.
The sandbox's planted outlier is held, approved and pushed in
tests/e2e/test_review_on_sandbox.py."""

from __future__ import annotations

import os

import pytest
from console_support import console_at, csrf_of, logged_in

from ledgerlink.settings import load_settings
from ledgerlink.warehouse import connect, writer_lock
from reverse_etl import states
from reverse_etl.ledger import Ledger

REASON = "amount 234,938.11 is 399x this customer's median invoice of 588.87 over 6 invoices"


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith(("FRESHBOOKS_", "INFOR_", "SHOP_", "LEDGERLINK_")):
            monkeypatch.delenv(key)
    config = load_settings(ledgerlink_home=tmp_path / ".ledgerlink")
    with writer_lock(config, "test"), connect(config, read_only=False) as con:
        ledger = Ledger(con)  # the lock publishes the readers' snapshot when it ends
        run = ledger.start_run("push")
        intent = ledger.record_intent("infor", "customer_orders", "INV-1", "h1", "create", run)
        ledger.hold(intent.key, {"CUOR": "INV-1", "CUNO": "C1"}, [REASON])
        ledger.finish_run(run, states.SUCCEEDED, {"held_for_review": 1})
    return config


def test_held_rows_show_their_reasons_and_a_reviewer_rejects_one(settings):
    with console_at(settings) as url:
        client = logged_in(url, settings)
        page = client.get("/review")
        assert page.status_code == 200
        assert "INV-1" in page.text and "399x this customer&#39;s median invoice" in page.text

        forged = client.post("/review/decide", data={"keys[]": ["x"], "do": "reject"})
        assert forged.status_code == 403

        key = page.text.split('name="keys[]" value="', 1)[1].split('"', 1)[0]
        without_reason = client.post(
            "/review/decide", data={"csrf": csrf_of(page.text), "keys[]": [key], "do": "reject"}
        )
        assert without_reason.status_code == 303
        assert "Refused: " in client.get("/review").text

        done = client.post(
            "/review/decide",
            data={
                "csrf": csrf_of(page.text), "keys[]": [key], "do": "reject",
                "reason": "the customer never ordered this",
            },
        )  # fmt: skip
        assert done.status_code == 303
        assert "rejected INV-1: never written" in client.get("/review?status=rejected").text
    with connect(settings) as con:
        (record,) = Ledger(con, read_only=True).held(None)
    assert record["status"] == states.REJECTED
    assert record["decision_note"] == "the customer never ordered this"

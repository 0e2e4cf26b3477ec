"""Endpoints an account does not have (FreshBooks 404 or 403, an M3 transaction 501 or 404),
and a tenant whose cash receipts write the bank reference into the AR payment's text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_infor_emulator import M3
from variant_clients import (
    freshbooks_client,
    invoiced_order,
    m3_client,
    pay_in_full,
    running_variant,
)

pytestmark = pytest.mark.integration

UNSUPPORTED = (
    "freshbooks.credit_notes",  # 404, as an endpoint that is not there
    "freshbooks.expenses:403",  # the plan does not include them
    "infor.MWS411MI/LstDelLnByOrd:501",
    "infor.OIS350MI/LstInvHead:404",
)


@pytest.fixture(scope="module")
def info(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    home = tmp_path_factory.mktemp("unsupported") / ".ledgerlink"
    with running_variant(home, unsupported=UNSUPPORTED, receipt_text="bank-reference") as started:
        yield started


@pytest.fixture(scope="module")
def m3(info: dict) -> Iterator[M3]:
    client = m3_client(info)
    yield client
    client.http.close()


def test_a_missing_freshbooks_entity_answers_404_in_freshbooks_own_shape(info: dict) -> None:
    api = freshbooks_client(info)
    listed = api.get("credit_notes/credit_notes")
    assert listed.status_code == 404
    assert listed.json() == {
        "response": {
            "errors": [
                {
                    "errno": 1012,
                    "field": None,
                    "message": "Requested resource could not be found.",
                    "object": None,
                    "value": None,
                }
            ]
        }
    }
    assert api.get("credit_notes/credit_notes", 60001).status_code == 404
    newer = api.http.get(api.path("credit_notes/credit_notes"), headers={"X-API-VERSION": "2023"})
    assert (newer.status_code, newer.json()["code"]) == (404, 5)
    assert api.result(api.get("users/clients"))["clients"]  # the rest is there


def test_an_entity_outside_the_plan_answers_403(info: dict) -> None:
    api = freshbooks_client(info)
    for response in (api.get("expenses/expenses"), api.post("expenses/expenses", {"expense": {}})):
        assert response.status_code == 403
        error = response.json()["response"]["errors"][0]
        assert error["errno"] == 1003 and error["object"] == "expense"
        assert "plan does not include expenses" in error["message"]


def test_a_missing_m3_transaction_answers_501_or_404_with_its_reason(m3: M3) -> None:
    response = m3.get("/MWS411MI/LstDelLnByOrd", {"RORC": "3", "RIDN": "1000000001"})
    assert response.status_code == 501
    assert response.json() == {
        "code": 501,
        "message": "Not Implemented",
        "detail": "Transaction MWS411MI/LstDelLnByOrd is not available in this M3 environment "
        "(not deployed or not licensed for this tenant)",
    }
    missing = m3.get("/OIS350MI/LstInvHead", {"YEA4": "2025"})
    assert (missing.status_code, missing.json()["code"], missing.json()["message"]) == (
        404,
        404,
        "Not Found",
    )
    bulk = m3.http.post(
        m3.base,
        json={"program": "MWS411MI", "transactions": [{"transaction": "LstDelLnByOrd"}]},
        headers={"Authorization": f"Bearer {m3.access_token}"},
    )
    assert bulk.status_code == 501 and "MWS411MI/LstDelLnByOrd" in bulk.json()["detail"]
    assert m3.one("MWS411MI", "GetServerTime")["LMTS"]  # the rest of the program answers


def test_receipts_write_the_bank_reference_and_still_reconcile(m3: M3) -> None:
    customer = next(c for c in m3.ok("CRS610MI", "LstByNumber", maxrecs=0) if c["CUCD"] == "USD")
    item = m3.ok("MMS200MI", "LstItmByItm", ITNO="A", maxrecs=1)[0]["ITNO"]
    lines = [{"ITNO": item, "ORQT": "2", "SAPR": "30.00"}]
    for cuor, reference, text in (
        ("BANKREF-1", "ch_3PqX9kLmN2", "ch_3PqX9kL"),  # cut to the field's 10 characters
        ("BANKREF-2", "", ""),  # a check deposit: no bank reference at all
    ):
        invoice = invoiced_order(m3, customer["CUNO"], lines, CUOR=cuor)
        keys = pay_in_full(
            m3, invoice, f"FBP-{cuor}", bank="US-OPERATING", division="AAA", abno=reference
        )
        items = m3.ok("ARS200MI", "LstInvoiceTrans", **keys)
        assert next(i for i in items if i["TRCD"] == "20")["TDSC"] == text
        assert {i["RECO"] for i in items} == {"9"}

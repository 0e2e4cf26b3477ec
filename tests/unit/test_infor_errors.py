"""M3 answers become typed errors by field and message id, whatever M3's wording, in M3's words."""

from __future__ import annotations

import httpx
import pytest

from ledgerlink.connectors.infor.errors import (
    M3AlreadyExists,
    M3Error,
    M3InputRejected,
    M3NotFound,
    M3ServerError,
    M3Unavailable,
    M3ValidationError,
    error_class,
)
from ledgerlink.connectors.infor.m3 import parse_execute, read_body
from ledgerlink.connectors.infor.values import key_inputs
from ledgerlink.errors import AuthError, OutcomeUnknown, TransientFailure, Unavailable


def nok(message: str, code: str | None = None, field: str | None = None) -> dict:
    """An HTTP 200 answer whose one transaction M3 refused (`results[0]`)."""
    result = {"transaction": "", "errorMessage": message, "errorType": "ServerReturnedNOK"}
    if code:
        result["errorCode"] = code
    if field:
        result["errorField"] = field
    return {
        "results": [result],
        "wasTerminated": False,
        "nrOfSuccessfullTransactions": 0,
        "nrOfFailedTransactions": 1,
    }


# (program, transaction, what we sent, HTTP status, M3's answer, the error we expect)
ANSWERS = [
    # a missing customer on a Get, in the two wordings real M3 uses, and in another language
    ("CRS610MI", "GetBasicData", {"CUNO": "FB10001"}, 200,
     nok("Customer number is invalid", "XIM0002", "CUNO"), M3NotFound),
    ("CRS610MI", "GetBasicData", {"CUNO": "FB10001"}, 200,
     nok("Customer FB10001 does not exist", "WCU0103", "CUNO"), M3NotFound),
    ("CRS610MI", "GetBasicData", {"CUNO": "FB10001"}, 200,
     nok("Kundennummer ist ungültig", "XIM0002", "CUNO"), M3NotFound),
    # v1 spelling, top level on HTTP 400, with no field at all (M3H5's real example)
    ("CRS610MI", "GetBasicData", {"CUNO": "FB10001"}, 400,
     {"@code": "XIM0002", "@type": "ServerReturnedNOK", "Message": "Customer number is invalid"},
     M3NotFound),
    ("CRS610MI", "GetFinancial", {"CUNO": "FB10001"}, 200,
     nok("Customer number is invalid", "XIM0002", "CUNO"), M3NotFound),
    ("CRS610MI", "GetOrderInfo", {"CUNO": "FB10001"}, 200,
     nok("Customer FB10001 does not exist", None, "CUNO"), M3NotFound),
    ("CRS610MI", "ChgFinancial", {"CUNO": "FB10001", "CUCD": "USD"}, 200,
     nok("Customer number is invalid", "XIM0002", "CUNO"), M3NotFound),
    # a list by the parent's key: the customer is not there
    ("OIS100MI", "LstBatchHead", {"CUNO": "FB10001"}, 200,
     nok("Customer number is invalid", "XIM0002", "CUNO"), M3NotFound),
    ("ARS200MI", "LstInvByDivi", {"PYNO": "FB10001"}, 200,
     nok("Payer is invalid", "XIM0002", "PYNO"), M3NotFound),
    ("OIS100MI", "GetHead", {"ORNO": "1000123"}, 200,
     nok("Order number 1000123 does not exist", "XIM0002", "ORNO"), M3NotFound),
    ("GLS840MI", "UpdBatch", {"CONO": "100", "KEY1": "FB-EXP-1"}, 200,
     nok("Batch FB-EXP-1 does not exist", "XRE0103", "KEY1"), M3NotFound),
    # the same words on an input that is not the key are a wrong value, not a missing record
    ("CRS610MI", "ChgFinancial", {"CUNO": "FB10001", "CUCD": "XXX"}, 200,
     nok("Currency XXX does not exist", "XIM0002", "CUCD"), M3ValidationError),
    ("CRS610MI", "ChgFinancial", {"CUNO": "FB10001", "CUCD": "XXX"}, 200,
     nok("Currency is invalid", "XIM0002", "CUCD"), M3ValidationError),
    ("GLS840MI", "AddBatchLineFld", {"KEY1": "FB-EXP-1", "LINE": "1", "INRI": "1", "AIT1": "9999"},
     200, nok("Account 9999 does not exist", "XIM0002", "AIT1"), M3ValidationError),
    ("CRS610MI", "Add", {"CUTM": "NOPE", "CUNM": "Acme", "CUA1": "1 Main St"}, 200,
     nok("Customer template NOPE does not exist", "WCU0203", "CUTM"), M3ValidationError),
    ("GLS840MI", "CtrlBatch", {"CONO": "100", "KEY1": "FB-EXP-1"}, 200,
     nok("Batch FB-EXP-1 is not balanced: debit 10.00, credit 9.00", "XBA0001", "KEY1"),
     M3ValidationError),
    # a key M3 could not read is a wrong input, not a missing record
    ("CRS610MI", "GetBasicData", {"CUNO": "X" * 11}, 200,
     nok("Customer number is invalid", "XIM0002", "CUNO"), M3ValidationError),
    ("CRS610MI", "GetBasicData", {"CUNO": "FB10001"}, 200,
     nok("Customer number must be entered", "WCU0102", "CUNO"), M3ValidationError),
    # company and division are context: a setting to fix
    ("CRS610MI", "GetBasicData", {"CUNO": "FB10001", "CONO": "0"}, 200,
     nok("Not authorized for company 0", "XAU0008", "CONO"), M3ValidationError),
    # duplicates, by text or by message id
    ("CRS610MI", "Add", {"CUTM": "TPL", "CUNM": "Acme", "CUA1": "1 Main St", "CUNO": "FB1"}, 200,
     nok("Customer FB1 already exists", "XRE0104", "CUNO"), M3AlreadyExists),
    ("CRS610MI", "Add", {"CUTM": "TPL", "CUNM": "Acme", "CUA1": "1 Main St", "CUNO": "FB1"}, 200,
     nok("Kunde FB1 ist bereits vorhanden", "WCU0104", "CUNO"), M3AlreadyExists),
    # the transaction itself is not served here
    ("OIS350MI", "LstInvHead", {"YEA4": "2024"}, 400,
     {"errorMessage": "Transaction LstInvHead is not available in this M3 environment",
      "errorCode": "XTR0002", "errorType": "InvalidRequest"}, M3Unavailable),
    ("XYZ100MI", "LstThings", {}, 400,
     {"errorMessage": "Program XYZ100MI does not exist", "errorCode": "XPR0001"}, M3Unavailable),
    # nothing to go by but that M3 said no
    ("CRS610MI", "GetBasicData", {"CUNO": "FB10001"}, 200, nok("Unexpected condition", "X9999"),
     M3Error),
]  # fmt: skip


@pytest.mark.parametrize(("program", "transaction", "sent", "status", "body", "expected"), ANSWERS)
def test_each_answer_gets_its_typed_error(program, transaction, sent, status, body, expected):
    keys = key_inputs(program, transaction, sent)
    with pytest.raises(M3Error) as caught:
        parse_execute(program, transaction, status, body, key_fields=keys)
    assert type(caught.value) is expected
    assert caught.value.status == status
    assert caught.value.error_message  # M3's own text is kept


def test_error_class_reads_field_and_message_id_before_the_text():
    keys = {"CUNO"}
    for text in ("Customer number is invalid", "Customer C1 does not exist", "Ungültig", ""):
        assert error_class("GetBasicData", "XIM0002", text, "CUNO", key_fields=keys) is M3NotFound
    # without knowing the keys, the text still decides as it always did
    assert error_class("GetBasicData", None, "Customer C1 does not exist", "CUNO") is M3NotFound
    assert error_class("GetBasicData", None, "Customer number is invalid", "CUNO") is (
        M3ValidationError
    )


def test_the_key_inputs_are_the_required_ones_sent_well_formed():
    assert key_inputs("CRS610MI", "GetBasicData", {"CUNO": "FB10001"}) == {"CUNO"}
    assert key_inputs("CRS610MI", "GetBasicData", {"CUNO": "X" * 11}) == set()
    assert key_inputs("CRS610MI", "GetBasicData", {}) == set()
    assert key_inputs("GLS840MI", "CtrlBatch", {"CONO": "100", "KEY1": "K"}) == {"KEY1"}
    assert key_inputs("MWS410MI", "GetHead", {"DLIX": "123"}) == {"DLIX"}  # nothing required
    assert key_inputs("ARS200MI", "LstInvByDivi", {"PYNO": "FB10001"}) == {"PYNO"}


def test_a_refusal_reads_in_m3s_words():
    body = nok("Account 9999 does not exist", "XIM0002", "AIT1")
    with pytest.raises(M3ValidationError) as caught:
        parse_execute("GLS840MI", "AddBatchLineFld", 200, body)
    assert str(caught.value) == (
        "GLS840MI/AddBatchLineFld: Account 9999 does not exist [XIM0002, field AIT1]"
    )
    ours = M3InputRejected("CRS610MI", "Add", ["CUNM is 40 characters long, at most 36 allowed"])
    assert str(ours) == "CRS610MI/Add not sent: CUNM is 40 characters long, at most 36 allowed"


def answer(status: int, body: dict | None = None, text: str | None = None) -> httpx.Response:
    request = httpx.Request("GET", "https://ion.example/T/M3/m3api-rest/v2/execute/P/T")
    if body is not None:
        return httpx.Response(status, json=body, request=request)
    return httpx.Response(status, text=text or "", request=request)


GATEWAY_501 = {"code": 501, "message": "Not Implemented", "detail": "GetOrderInfo is not enabled"}


def test_501_keeps_the_gateways_words_and_is_a_definite_refusal_for_reads_and_writes():
    for transaction, read in (("GetOrderInfo", True), ("ChgOrderInfo", False)):
        with pytest.raises(M3Unavailable) as caught:
            read_body(answer(501, GATEWAY_501), "CRS610MI", transaction, read)
        assert isinstance(caught.value, Unavailable)
        assert not isinstance(caught.value, TransientFailure)
        assert str(caught.value) == (
            f"CRS610MI/{transaction}: Not Implemented: GetOrderInfo is not enabled [HTTP 501]"
        )


def test_403_and_404_are_refusals_too_with_whatever_text_came():
    with pytest.raises(M3Unavailable, match=r"OIS350MI/LstInvHead: Forbidden for this app"):
        read_body(answer(403, text="Forbidden for this app"), "OIS350MI", "LstInvHead", True)
    page = "<html><body><h1>404 Not Found</h1></body></html>"
    with pytest.raises(M3Unavailable, match=r"404 Not Found \[HTTP 404\]"):
        read_body(answer(404, text=page), "OIS350MI", "LstInvHead", True)


def test_a_server_error_keeps_m3s_text_and_a_write_meeting_it_is_outcome_unknown():
    body = {"code": 503, "message": "Service Unavailable", "detail": "M3 is restarting"}
    with pytest.raises(M3ServerError, match="Service Unavailable: M3 is restarting"):
        read_body(answer(503, body), "CRS610MI", "GetBasicData", True)
    with pytest.raises(OutcomeUnknown) as unknown:
        read_body(answer(503, body), "CRS610MI", "ChgBasicData", False)
    assert "M3 is restarting" in str(unknown.value) and unknown.value.server_answered


def test_a_400_page_that_is_not_json_keeps_its_words():
    page = "<html><body>Request header too large</body></html>"
    with pytest.raises(M3Error, match=r"^CRS610MI/LstByNumber: Request header too large$"):
        read_body(answer(400, text=page), "CRS610MI", "LstByNumber", True)


def test_a_refused_token_says_what_the_gateway_said():
    body = {"error": "invalid_token", "error_description": "The access token expired"}
    with pytest.raises(AuthError, match="invalid_token: The access token expired"):
        read_body(answer(401, body), "CRS610MI", "GetBasicData", True)


def test_a_400_on_a_write_is_m3s_refusal_never_an_unknown_outcome():
    body = {"errorMessage": "Account 9999 does not exist", "errorCode": "XIM0002",
            "errorField": "AIT1", "errorType": "ServerReturnedNOK"}  # fmt: skip
    raw = read_body(answer(400, body), "GLS840MI", "AddBatchLineFld", False)
    with pytest.raises(M3ValidationError) as caught:
        parse_execute("GLS840MI", "AddBatchLineFld", 400, raw)
    assert str(caught.value) == (
        "GLS840MI/AddBatchLineFld: Account 9999 does not exist [XIM0002, field AIT1]"
    )

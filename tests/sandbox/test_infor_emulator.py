"""The Infor M3 emulator over real HTTP: ION tokens, the MI v2 contract, and the ERP's behaviour."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import clear_faults, inject_faults, reset_emulator

from ledgerlink.contracts import load_contract
from sandbox.infor.registry import HANDLERS

pytestmark = pytest.mark.integration

CONTRACT = load_contract("infor_m3_programs")
PROGRAMS = CONTRACT["programs"]
ENVELOPE_KEYS = set(CONTRACT["envelope"]["response"])
RESULT_KEYS = set(CONTRACT["envelope"]["result"])
ERROR_KEYS = {"errorMessage", "errorCode", "errorField", "errorType", "errorCfg"}


class M3:
    """A thin test client: one token, MI calls, and a contract check on every answer."""

    def __init__(self, url: str, ionapi: dict[str, str]) -> None:
        self.url = url
        self.ion = ionapi
        self.base = f"{ionapi['iu']}/{ionapi['ti']}/M3/m3api-rest/v2/execute"
        self.http = httpx.Client(timeout=30)
        self.access_token = self.password_grant().json()["access_token"]

    def password_grant(self, **overrides: str) -> httpx.Response:
        form = {
            "grant_type": "password",
            "username": self.ion["saak"],
            "password": self.ion["sask"],
            "client_id": self.ion["ci"],
            "client_secret": self.ion["cs"],
            **overrides,
        }
        return self.http.post(self.ion["pu"] + self.ion["ot"], data=form)

    def get(
        self, path: str, params: dict | None = None, token: str | None = None
    ) -> httpx.Response:
        """GET with `token`, or with the client's own one, fetching a new one once on 401 as
        a connector would (tests move the sandbox clock past its expiry)."""
        response = self.http.get(
            self.base + path,
            params=params,
            headers={"Authorization": f"Bearer {token or self.access_token}"},
        )
        if response.status_code == 401 and token is None:
            self.access_token = self.password_grant().json()["access_token"]
            return self.get(path, params, self.access_token)
        return response

    def call(self, program: str, transaction: str, matrix: str = "", **fields: Any) -> dict:
        """GET one transaction; assert HTTP 200 and that the answer keeps to the contract."""
        params = {name: str(value) for name, value in fields.items()}
        response = self.get(f"/{program}/{transaction}{matrix}", params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert_conforms(program, transaction, body)
        return body

    def ok(self, program: str, transaction: str, matrix: str = "", **fields: Any) -> list[dict]:
        body = self.call(program, transaction, matrix, **fields)
        result = body["results"][0]
        assert "errorMessage" not in result, result
        return result["records"]

    def one(self, program: str, transaction: str, **fields: Any) -> dict:
        records = self.ok(program, transaction, **fields)
        assert len(records) == 1, records
        return records[0]

    def fails(
        self, program: str, transaction: str, code: str, field: str | None, **fields: Any
    ) -> dict:
        body = self.call(program, transaction, **fields)
        result = body["results"][0]
        assert result.get("errorCode") == code, result
        assert result.get("errorField") == field, result
        assert body["nrOfFailedTransactions"] == 1 and body["nrOfSuccessfullTransactions"] == 0
        return result

    def control(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, f"{self.url}/_sandbox{path}", timeout=60, **kwargs)


def assert_conforms(program: str, transaction: str, body: dict) -> None:
    """Envelope keys from the contract, the real misspelling, and records made of declared,
    string-valued output fields no longer than their declared length."""
    assert set(body) <= ENVELOPE_KEYS, set(body) - ENVELOPE_KEYS
    assert "nrOfSuccessfullTransactions" in body
    outputs = {
        field["name"]: field for field in PROGRAMS[program]["transactions"][transaction]["outputs"]
    }
    for result in body["results"]:
        assert set(result) <= RESULT_KEYS, set(result) - RESULT_KEYS
        if "errorMessage" in result:
            continue
        assert not ERROR_KEYS & set(result), result
        for record in result["records"]:
            unknown = set(record) - set(outputs)
            assert not unknown, f"{program}/{transaction} returned undeclared fields {unknown}"
            for name, value in record.items():
                assert isinstance(value, str), (name, value)
                assert len(value) <= outputs[name]["length"], (program, transaction, name, value)


@pytest.fixture(scope="module")
def m3(sandbox: dict) -> Iterator[M3]:
    ionapi = json.loads(Path(sandbox["environment"]["INFOR_IONAPI_FILE"]).read_text())
    client = M3(sandbox["urls"]["infor"], ionapi)
    yield client
    client.control("POST", "/clock", json={"reset": True})
    client.http.close()


@pytest.fixture
def fresh(m3: M3) -> Iterator[M3]:
    """Seeded data again, no faults, real time; the same afterwards for the next test."""
    reset_emulator(m3.url)
    m3.control("POST", "/clock", json={"reset": True})
    yield m3
    m3.control("POST", "/clock", json={"reset": True})
    m3.control("DELETE", "/infor/faults")
    clear_faults(m3.url)


def first_customer(m3: M3) -> dict:
    return m3.ok("CRS610MI", "LstByNumber", maxrecs=1)[0]


def confirmed_order(m3: M3, cuor: str = "INV-990001", lines: int = 2) -> tuple[str, str]:
    """Batch head, lines and confirm: (batch number, final order number)."""
    customer = first_customer(m3)["CUNO"]
    batch = m3.one("OIS100MI", "AddBatchHead", CUNO=customer, CUOR=cuor, RLDT="20260201")["ORNO"]
    items = m3.ok("MMS200MI", "LstItmByItm", ITNO="A", maxrecs=lines)
    for item in items:
        m3.one("OIS100MI", "AddBatchLine", ORNO=batch, ITNO=item["ITNO"], ORQT="2", SAPR="19.95")
    return batch, m3.one("OIS100MI", "Confirm", ORNO=batch)["ORNO"]


def invoiced_order(m3: M3, cuor: str) -> dict:
    _, orno = confirmed_order(m3, cuor)
    assert m3.control("POST", f"/infor/orders/{orno}/ship").status_code == 200
    assert m3.control("POST", f"/infor/orders/{orno}/invoice").status_code == 200
    return m3.one("OIS350MI", "LstInvHeadByCo", ORNO=orno)


def served(*, having: str) -> list[tuple[str, str]]:
    """Served transactions with a mandatory input (`required`) or with any input (`inputs`)."""
    chosen = []
    for program, transaction in sorted(HANDLERS):
        inputs = PROGRAMS[program]["transactions"][transaction]["inputs"]
        if any(field["required"] for field in inputs) if having == "required" else inputs:
            chosen.append((program, transaction))
    return chosen


# --- ION authorization server ---------------------------------------------------------------
def test_ionapi_file_points_at_the_sandbox(m3: M3) -> None:
    ion = m3.ion
    assert {"ti", "cn", "ci", "cs", "iu", "pu", "oa", "ot", "or", "saak", "sask", "v"} <= set(ion)
    assert ion["iu"] == m3.url
    assert ion["pu"] == f"{m3.url}/{ion['ti']}/as/"
    assert (ion["ot"], ion["or"], ion["oa"]) == (
        "token.oauth2",
        "revoke_token.oauth2",
        "authorization.oauth2",
    )
    assert ion["ci"].startswith(ion["ti"] + "~") and ion["saak"].startswith(ion["ti"] + "#")


def test_password_grant_with_form_or_basic_client_auth(m3: M3) -> None:
    in_form = m3.password_grant()
    assert in_form.status_code == 200
    token = in_form.json()
    assert (
        token["token_type"] == "Bearer" and token["expires_in"] == 7200 and token["refresh_token"]
    )
    basic = m3.http.post(
        m3.ion["pu"] + m3.ion["ot"],
        data={"grant_type": "password", "username": m3.ion["saak"], "password": m3.ion["sask"]},
        auth=(m3.ion["ci"], m3.ion["cs"]),
    )
    assert basic.status_code == 200 and basic.json()["access_token"] != token["access_token"]
    assert m3.password_grant(client_secret="wrong").json()["error"] == "invalid_client"
    bad_keys = m3.password_grant(password="wrong")
    assert (bad_keys.status_code, bad_keys.json()["error"]) == (400, "invalid_grant")


def test_expired_token_gets_401_and_a_refreshed_token_works(fresh: M3) -> None:
    m3 = fresh
    assert m3.control("POST", "/tokens/lifetime", json={"seconds": 60}).json() == {"seconds": 60}
    token = m3.password_grant().json()
    assert token["expires_in"] == 60
    assert (
        m3.get("/CRS610MI/LstByNumber", {"maxrecs": "1"}, token["access_token"]).status_code == 200
    )
    m3.control("POST", "/clock", json={"advance_seconds": 61})
    expired = m3.get("/CRS610MI/LstByNumber", {"maxrecs": "1"}, token["access_token"])
    assert expired.status_code == 401 and expired.json()["error"] == "invalid_token"
    refreshed = m3.http.post(
        m3.ion["pu"] + m3.ion["ot"],
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        auth=(m3.ion["ci"], m3.ion["cs"]),
    ).json()
    assert (
        m3.get("/CRS610MI/LstByNumber", {"maxrecs": "1"}, refreshed["access_token"]).status_code
        == 200
    )
    # The control expires every access token at once; a new grant still works.
    assert m3.control("POST", "/tokens/expire").json()["expired"] >= 1
    assert m3.get("/CRS610MI/LstByNumber", {}, refreshed["access_token"]).status_code == 401
    assert m3.get("/CRS610MI/LstByNumber", {}, token="").status_code == 401
    m3.access_token = m3.password_grant().json()["access_token"]
    assert m3.get("/CRS610MI/LstByNumber", {"maxrecs": "1"}).status_code == 200


def test_revoked_token_is_refused(m3: M3) -> None:
    token = m3.password_grant().json()["access_token"]
    revoke = m3.http.post(
        m3.ion["pu"] + m3.ion["or"],
        data={"token": token, "token_type_hint": "access_token"},
        auth=(m3.ion["ci"], m3.ion["cs"]),
    )
    assert revoke.status_code == 200
    assert m3.get("/CRS610MI/LstByNumber", {"maxrecs": "1"}, token).status_code == 401


# --- MI v2 envelope and contract ------------------------------------------------------------
def test_success_and_business_error_envelopes(m3: M3) -> None:
    body = m3.call("CRS610MI", "LstByNumber", maxrecs=2)
    assert body["wasTerminated"] is False
    assert (body["nrOfSuccessfullTransactions"], body["nrOfFailedTransactions"]) == (1, 0)
    assert body["nrOfNotProcessedTransactions"] == 0 and body["bulkJobId"]
    result = body["results"][0]
    assert result["transaction"] == "LstByNumber" and len(result["records"]) == 2
    assert not ERROR_KEYS & set(result) and "parameters" not in result
    error = m3.fails("CRS610MI", "GetBasicData", "XIM0002", "CUNO", CUNO="NOSUCH")
    assert error["errorMessage"] == "Customer number NOSUCH does not exist"
    assert error["errorType"] == "ServerReturnedNOK" and error["records"] == []


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("/NOSUCHMI/Get", {}, "XPR0001"),
        ("/CRS610MI/NoSuchTransaction", {}, "XTR0001"),
        (
            "/GLS840MI/AddBatchLine",
            {"CONO": "100", "KEY1": "K", "LINE": "1", "PARM": "x"},
            "XTR0002",
        ),
        ("/CRS610MI/GetBasicData", {"CUNO": "C100000", "EMAL": "x@example.com"}, "XFI0001"),
        ("/CRS610MI/LstByNumber", {"maxrecs": "-1"}, "XCP0001"),
        ("/CRS610MI/LstByNumber", {"dateformat": "ISO"}, "XCP0001"),
        ("/CRS610MI/LstByNumber;excludeempty=maybe", {}, "XCP0001"),
    ],
)
def test_request_level_errors_answer_400_at_the_top_level(
    m3: M3, path: str, params: dict, code: str
) -> None:
    response = m3.get(path, params)
    assert response.status_code == 400
    body = response.json()
    assert body["errorCode"] == code and body["errorMessage"]
    assert body["results"] == [] and body["nrOfFailedTransactions"] == 1


def test_v1_path_is_refused(m3: M3) -> None:
    url = f"{m3.ion['iu']}/{m3.ion['ti']}/M3/m3api-rest/execute/CRS610MI/LstByNumber"
    response = m3.http.get(url, headers={"Authorization": f"Bearer {m3.access_token}"})
    assert response.status_code == 400 and "v2" in response.json()["errorMessage"]


@pytest.mark.parametrize(("program", "transaction"), served(having="required"))
def test_mandatory_inputs_are_enforced(m3: M3, program: str, transaction: str) -> None:
    inputs = PROGRAMS[program]["transactions"][transaction]["inputs"]
    required = [field["name"] for field in inputs if field["required"]]
    result = m3.fails(program, transaction, "XRE0103", required[0])
    assert result["errorMessage"].endswith("must be entered")


def _dummy_inputs(inputs: list[dict], skip: str) -> dict[str, str]:
    return {
        f["name"]: "1" if f["type"] == "number" else "X"
        for f in inputs
        if f["required"] and f["name"] != skip
    }


@pytest.mark.parametrize(("program", "transaction"), served(having="inputs"))
def test_over_long_and_non_numeric_values_are_rejected_naming_the_field(
    m3: M3, program: str, transaction: str
) -> None:
    inputs = PROGRAMS[program]["transactions"][transaction]["inputs"]
    checked = 0
    text = next((f for f in inputs if f["type"] == "string"), None)
    if text is not None:
        fields = {**_dummy_inputs(inputs, text["name"]), text["name"]: "Y" * (text["length"] + 1)}
        result = m3.fails(program, transaction, "XLE0001", text["name"], **fields)
        assert str(text["length"]) in result["errorMessage"]
        checked += 1
    number = next((f for f in inputs if f["type"] == "number"), None)
    if number is not None:
        fields = _dummy_inputs(inputs, number["name"])
        m3.fails(
            program, transaction, "XNU0001", number["name"], **{**fields, number["name"]: "12A"}
        )
        m3.fails(
            program,
            transaction,
            "XLE0001",
            number["name"],
            **{**fields, number["name"]: "9" * (number["length"] + 1)},
        )
        checked += 1
    assert checked


def test_matrix_and_query_parameters_give_the_same_answer(m3: M3) -> None:
    by_query = m3.ok("CRS610MI", "LstByNumber", maxrecs=3, returncols="CUNO,CUNM")
    by_matrix = m3.ok(
        "CRS610MI", "LstByNumber", ";maxrecs=3;cono=100;divi=AAA;returncols=CUNO,CUNM"
    )
    assert by_query == by_matrix and len(by_query) == 3
    assert all(set(record) == {"CUNO", "CUNM"} for record in by_query)
    # Odin's own spelling of the option and its v1-only `metadata` flag are accepted too.
    assert m3.ok("CRS610MI", "LstByNumber", ";metadata=true;maxrecs=1;excludempty=false")
    m3.fails("CRS610MI", "LstByNumber", "XAU0008", "CONO", cono="200")
    m3.fails("CRS610MI", "GetBasicData", "XAU0008", "CONO", CUNO="C100000", CONO="200")


def test_output_options(m3: M3) -> None:
    cuno = first_customer(m3)["CUNO"]
    full = m3.one("CRS610MI", "GetBasicData", CUNO=cuno)
    assert full["CUA4"] == "" and full["LMDT"].isdigit() and len(full["LMDT"]) == 8
    lean = m3.one("CRS610MI", "GetBasicData", CUNO=cuno, excludeempty="true")
    assert "CUA4" not in lean and lean["CUNO"] == cuno
    padded = m3.one("CRS610MI", "GetBasicData", CUNO=cuno, righttrim="false")
    assert padded["CUNO"] == cuno.ljust(10)
    dashed = m3.one("CRS610MI", "GetBasicData", CUNO=cuno, dateformat="YMD8-")
    assert dashed["LMDT"] == f"{full['LMDT'][:4]}-{full['LMDT'][4:6]}-{full['LMDT'][6:]}"
    echoed = m3.call("CRS610MI", "GetBasicData", CUNO=cuno, extendedresult="true")["results"][0]
    assert echoed["parameters"] == {"CUNO": cuno}


def test_lists_page_by_start_key_and_maxrecs(m3: M3) -> None:
    everything = m3.ok("CRS610MI", "LstByNumber", maxrecs=0)
    counts = m3.control("GET", "/infor/counts").json()
    assert len(everything) == counts["customers"] > 5
    pages, start = [], ""
    while True:
        page = m3.ok("CRS610MI", "LstByNumber", CUNO=start, maxrecs=5)
        fresh_rows = page[1:] if pages else page  # a page starts at the last key seen
        pages.extend(fresh_rows)
        if len(page) < 5:
            break
        start = page[-1]["CUNO"]
    assert [row["CUNO"] for row in pages] == [row["CUNO"] for row in everything]
    # Without maxrecs a list stops at 100 records.
    lines = m3.ok("GLS200MI", "LstVouchersByDt", FRDT="20000101", TODT="20991231")
    assert len(lines) == 100 < counts["gl_lines"]


def test_lmts_filter_returns_what_changed_since_the_cursor(fresh: M3) -> None:
    m3 = fresh
    cursor = m3.one("CRS610MI", "GetServerTime")["LMTS"]
    assert m3.ok("CRS610MI", "LstByNumber", LMTS=cursor) == []
    cuno = first_customer(m3)["CUNO"]
    m3.one("CRS610MI", "ChgBasicData", CUNO=cuno, PHNO="+1-555-000-1111")
    changed = m3.ok("CRS610MI", "LstByNumber", LMTS=cursor, maxrecs=0)
    assert [row["CUNO"] for row in changed] == [cuno]
    assert changed[0]["PHNO"] == "+1-555-000-1111"
    basic = m3.one("CRS610MI", "GetBasicData", CUNO=cuno)
    assert basic["CHNO"] == "2" or int(basic["CHNO"]) > 1
    # Optimistic locking on the change number.
    m3.fails("CRS610MI", "ChgBasicData", "XCH0001", "CHNO", CUNO=cuno, CHNO="1", YREF="Someone")


def test_bulk_post_runs_each_transaction(m3: M3) -> None:
    cuno = first_customer(m3)["CUNO"]
    body = {
        "program": "CRS610MI",
        "cono": 100,
        "transactions": [
            {"transaction": "GetBasicData", "record": {"CUNO": cuno}},
            {"transaction": "GetBasicData", "record": {"CUNO": "NOSUCH"}},
            {"transaction": "GetBasicData", "record": {"CUNO": cuno, "EMAL": "x"}},
        ],
    }
    headers = {"Authorization": f"Bearer {m3.access_token}"}
    response = m3.http.post(m3.base, json=body, headers=headers)
    assert response.status_code == 200
    answer = response.json()
    assert_conforms("CRS610MI", "GetBasicData", answer)
    assert [r["transaction"] for r in answer["results"]] == ["GetBasicData"] * 3
    assert answer["results"][0]["records"][0]["CUNO"] == cuno
    assert [r.get("errorCode") for r in answer["results"][1:]] == ["XIM0002", "XFI0001"]
    assert (answer["nrOfSuccessfullTransactions"], answer["nrOfFailedTransactions"]) == (1, 2)
    body["transactions"].append({"transaction": "NoSuchTransaction", "record": {}})
    assert m3.http.post(m3.base, json=body, headers=headers).status_code == 400
    assert m3.http.post(m3.base, content=b"{", headers=headers).json()["errorCode"] == "XBU0001"


# Every transaction the emulator serves, exercised below (reads here, writes in the flows).
READS = {
    ("ABS100MI", "GetBankIdent"), ("ABS100MI", "GetBankIdent2"), ("ARS200MI", "GetInvTotInfo"),
    ("ARS200MI", "GetInvoice"), ("ARS200MI", "LstInvByDivi"), ("ARS200MI", "LstInvoiceTrans"),
    ("ARS200MI", "LstInvoices"), ("CRS610MI", "GetBasicData"), ("CRS610MI", "GetFinancial"),
    ("CRS610MI", "GetOrderInfo"), ("CRS610MI", "LstByName"), ("CRS610MI", "LstByNumber"),
    ("CRS610MI", "LstTemplates"), ("CRS610MI", "SearchCustomer"), ("CRS620MI", "GetBasicData"),
    ("CRS620MI", "LstByNumber"), ("CRS620MI", "LstSuppliers"), ("CRS630MI", "GetAccountID"),
    ("CRS630MI", "LstAccountID"), ("EXPORTMI", "LstFields"), ("EXPORTMI", "Select"),
    ("GLS200MI", "GetVoucherHead"), ("GLS200MI", "GetVoucherLine"),
    ("GLS200MI", "LstVoucherLines"), ("GLS200MI", "LstVouchersByDt"), ("MMS200MI", "GetItmBasic"),
    ("MMS200MI", "GetItmPrice"), ("MMS200MI", "GetItmWhsBal"), ("MMS200MI", "LstItmByChgDate"),
    ("MMS200MI", "LstItmByItm"), ("MWS410MI", "GetHead"), ("MWS411MI", "GetDeliveryLine"),
    ("MWS411MI", "LstDelLnByOrd"), ("MWS411MI", "LstDeliveryLine"), ("OIS100MI", "GetHead"),
    ("OIS100MI", "GetLine"), ("OIS100MI", "GetOrderType"), ("OIS100MI", "LstDelLineByCO"),
    ("OIS100MI", "LstHead"), ("OIS100MI", "LstLine"), ("OIS100MI", "LstOrderTypes"),
    ("OIS100MI", "SearchHead"), ("OIS350MI", "GetInvHead"),
    ("OIS350MI", "LstAllInvByCO"), ("OIS350MI", "LstInvHead"), ("OIS350MI", "LstInvHeadByCo"),
    ("OIS350MI", "LstInvLine"), ("PPS200MI", "GetHead"), ("PPS200MI", "GetLine"),
    ("PPS200MI", "LstLine"), ("APS450MI", "GetHead"), ("APS450MI", "LstInvBatchNo"),
    ("APS450MI", "LstInvBySupInv"), ("APS450MI", "LstLines"), ("CRS620MI", "LstSupplierRef"),
    ("MMS060MI", "LstBalID"), ("MMS060MI", "LstNewItemBal"),
}  # fmt: skip
WRITES = {
    ("ABS100MI", "AddStatmtDetail"), ("ABS100MI", "AddStatmtHead"), ("ABS100MI", "AddStatmtLine"),
    ("ABS100MI", "UpdStatmtHead"), ("ABS100MI", "UpdStatmtStatus"), ("ABS100MI", "ValidateStatmt"),
    ("CRS610MI", "Add"), ("CRS610MI", "ChgBasicData"), ("CRS610MI", "ChgFinancial"),
    ("CRS610MI", "ChgOrderInfo"), ("CRS620MI", "AddSupplier"), ("GLS840MI", "AddBatchHead"),
    ("GLS840MI", "AddBatchLineFld"), ("GLS840MI", "CtrlBatch"), ("GLS840MI", "UpdBatch"),
    ("OIS100MI", "AddBatchHead"), ("OIS100MI", "AddBatchLine"), ("OIS100MI", "Confirm"),
    ("OIS100MI", "DelBatchHead"), ("OIS100MI", "GetBatchHead"), ("OIS100MI", "GetOrderNo"),
    ("OIS100MI", "LstBatchHead"), ("OIS100MI", "LstBatchLine"), ("PPS370MI", "AddHead"),
    ("PPS370MI", "AddLine"), ("PPS370MI", "DeleteEntry"), ("PPS370MI", "FinishEntry"),
    ("PPS370MI", "GetBatchHead"), ("PPS370MI", "LstBatchLine"), ("PPS370MI", "StartEntry"),
    ("APS450MI", "AddHead"), ("APS450MI", "AddLine"), ("APS450MI", "ApproveInvoice"),
    ("APS450MI", "RejectInvoice"), ("CRS620MI", "AddSupplierRef"), ("PPS001MI", "Receipt"),
}  # fmt: skip


def test_every_served_transaction_is_covered_by_these_tests() -> None:
    common = {(p, t) for p in PROGRAMS for t in ("GetServerTime", "GetUserInfo")}
    assert set(HANDLERS) == READS | WRITES | common


def test_read_transactions_answer_within_the_contract(m3: M3) -> None:
    """Each read with keys taken from the seeded data; `call` checks every record it gets."""
    for program in PROGRAMS:
        assert m3.one(program, "GetServerTime")["LMTS"].isdigit()
        user = m3.one(program, "GetUserInfo")
        assert (user["ZDDIVI"], user["ZDFACI"], user["ZZWHLO"]) == ("AAA", "A01", "A01")
    # The first customer with an invoiced order in the seeded history.
    for row in m3.ok("CRS610MI", "LstByNumber", maxrecs=0):
        heads = m3.ok("OIS100MI", "LstHead", CUNO=row["CUNO"], ORSL="77", maxrecs=0)
        if heads:
            break
    customer = m3.one("CRS610MI", "GetBasicData", CUNO=row["CUNO"])
    cuno = customer["CUNO"]
    for name in ("GetFinancial", "GetOrderInfo"):
        assert m3.one("CRS610MI", name, CUNO=cuno)["CUNO"] == cuno
    assert m3.ok("CRS610MI", "LstByName", CUNM=customer["CUNM"], maxrecs=2)[0]["CUNO"] == cuno
    assert {row["CUNO"] for row in m3.ok("CRS610MI", "LstTemplates")} == {"TPLCAD", "TPLUSD"}
    assert {row["ORTP"] for row in m3.ok("OIS100MI", "LstOrderTypes")} == {"SO1", "SO2"}
    assert m3.one("OIS100MI", "GetOrderType", CUNO=cuno)["ORTP"] == "SO1"
    groups = m3.ok("EXPORTMI", "Select", QERY="CTSTKY from CSYTAB where CTSTCO = 'CUCL'", SEPC=";")
    assert {row["REPL"] for row in groups} == {"SMB", "ENT", "IND", "NPO"}
    fields = m3.ok("EXPORTMI", "LstFields", FILE="MITWHL")
    assert {"MWWHLO", "MWFACI"} <= {row["FLDN"] for row in fields}
    assert m3.ok("CRS610MI", "SearchCustomer", SQRY=f"CUNO:{cuno}")[0]["CUNO"] == cuno

    invoiced = heads[0]
    assert invoiced["ORST"] == "77"
    orno = invoiced["ORNO"]
    assert m3.one("OIS100MI", "GetHead", ORNO=orno)["CUOR"] == invoiced["CUOR"]
    assert m3.ok("OIS100MI", "SearchHead", SQRY=f"ORNO:{orno}")[0]["ORNO"] == orno
    lines = m3.ok("OIS100MI", "LstLine", ORNO=orno)
    assert (
        m3.one("OIS100MI", "GetLine", ORNO=orno, PONR=lines[0]["PONR"])["ITNO"] == lines[0]["ITNO"]
    )
    delivery_lines = m3.ok("MWS411MI", "LstDelLnByOrd", RORC=3, RIDN=orno)
    assert len(delivery_lines) == len(lines)
    dlix = delivery_lines[0]["DLIX"]
    assert m3.ok("OIS100MI", "LstDelLineByCO", ORNO=orno, PONR=lines[0]["PONR"])[0]["DLIX"] == dlix
    assert len(m3.ok("MWS411MI", "LstDeliveryLine", DLIX=dlix)) == len(lines)
    line = delivery_lines[0]
    assert m3.one(
        "MWS411MI",
        "GetDeliveryLine",
        DLIX=dlix,
        RORC=3,
        RIDN=orno,
        RIDL=line["RIDL"],
        RIDX=line["RIDX"],
    )
    head = m3.one("MWS410MI", "GetHead", DLIX=dlix)
    assert head["RIDN"] == orno and head["IVNO"]

    invoice = m3.one("OIS350MI", "LstAllInvByCO", ORNO=orno)
    yea4, ivno = invoice["YEA4"], invoice["IVNO"]
    assert m3.one("OIS350MI", "GetInvHead", YEA4=yea4, IVNO=ivno)["CUNO"] == cuno
    assert m3.ok("OIS350MI", "LstInvHead", YEA4=yea4, IVNO=ivno)[0]["IVNO"] == ivno
    assert m3.one("OIS350MI", "LstInvHeadByCo", ORNO=orno)["IVNO"] == ivno
    assert len(m3.ok("OIS350MI", "LstInvLine", YEA4=yea4, IVNO=ivno)) == len(lines)
    open_items = m3.ok("ARS200MI", "LstInvoices", CUNO=cuno, maxrecs=0)
    item = next(i for i in open_items if i["CINO"] == ivno)
    assert (
        m3.one("ARS200MI", "GetInvoice", YEA4=item["YEA4"], JRNO=item["JRNO"], JSNO=item["JSNO"])[
            "CINO"
        ]
        == ivno
    )
    keys = {"PYNO": item["PYNO"], "CINO": ivno, "INYR": item["INYR"], "CUNO": cuno}
    assert m3.ok("ARS200MI", "LstInvoiceTrans", **keys)[0]["TRCD"] == "10"
    assert m3.one("ARS200MI", "GetInvTotInfo", **keys)["CUAM"] == invoice["IVAV"]
    assert any(i["CINO"] == ivno for i in m3.ok("ARS200MI", "LstInvByDivi", CUNO=cuno, maxrecs=0))

    accounts = m3.ok("CRS630MI", "LstAccountID", AITP=1, maxrecs=0)
    assert {"1200", "2000", "6990"} <= {a["AITM"] for a in accounts}
    assert m3.one("CRS630MI", "GetAccountID", AITP=1, AITM="6990")["LCCD"] == "1"
    gl = m3.ok("GLS200MI", "LstVouchersByDt", FRDT="20000101", TODT="20991231", maxrecs=1)[0]
    voucher = {"DIVI": gl["DIVI"], "YEA4": gl["YEA4"], "VONO": gl["VONO"]}
    voucher_lines = m3.ok("GLS200MI", "LstVoucherLines", **voucher)
    assert sum(Decimal(line["ACAM"]) for line in voucher_lines) == 0
    assert (
        m3.one("GLS200MI", "GetVoucherLine", **voucher, JRNO=gl["JRNO"], JSNO=gl["JSNO"])["AIT1"]
        == gl["AIT1"]
    )
    voucher_head = m3.one("GLS200MI", "GetVoucherHead", **voucher)
    assert voucher_head["DSUM"] == voucher_head["CSUM"]

    item_row = m3.ok("MMS200MI", "LstItmByItm", ITNO="A", maxrecs=1)[0]
    itno = item_row["ITNO"]
    assert m3.one("MMS200MI", "GetItmBasic", ITNO=itno)["ITDS"] == item_row["ITDS"][:30]
    assert Decimal(m3.one("MMS200MI", "GetItmPrice", ITNO=itno)["SAPR"]) > 0
    assert int(m3.one("MMS200MI", "GetItmWhsBal", WHLO="A01", ITNO=itno)["STQT"]) > 0
    changed = m3.ok("MMS200MI", "LstItmByChgDate", FLMD="20000101", TLMD="20991231", maxrecs=0)
    assert len(changed) == m3.control("GET", "/infor/counts").json()["items"]

    suppliers = m3.ok("CRS620MI", "LstSuppliers", maxrecs=0)
    assert "Staples" in {s["SUNM"] for s in suppliers}
    suno = suppliers[0]["SUNO"]
    assert m3.one("CRS620MI", "GetBasicData", SUNO=suno)["STAT"] == "20"
    assert m3.ok("CRS620MI", "LstByNumber", SUNO=suno, maxrecs=1)[0]["SUNO"] == suno
    assert m3.ok("CRS620MI", "LstSuppliers", LMTS=m3.one("CRS620MI", "GetServerTime")["LMTS"]) == []
    for bank in ("US-OPERATING", "CA-OPERATING"):
        assert m3.one("ABS100MI", "GetBankIdent", DIVI="AAA", BSID=bank)["BKID"]
        assert m3.one("ABS100MI", "GetBankIdent2", BSID=bank)["BSID"] == bank

    counts = m3.control("GET", "/infor/counts").json()
    assert counts["purchase_orders"] >= 3
    po = m3.ok("PPS200MI", "LstLine", PUNO="2000000001")
    assert m3.one("PPS200MI", "GetHead", PUNO="2000000001")["NOLN"] == str(len(po))
    assert (
        m3.one("PPS200MI", "GetLine", PUNO="2000000001", PNLI=po[0]["PNLI"])["ITNO"]
        == po[0]["ITNO"]
    )


# --- behaviour ------------------------------------------------------------------------------
def test_customer_add_change_and_duplicates(fresh: M3) -> None:
    m3 = fresh
    generated = m3.one("CRS610MI", "Add", CUTM="TPLUSD", CUNM="ACME ROCKETS LLC", CUA1="1 Main St")
    assert generated["CUNO"].startswith("C5") and generated["ERRM"] == ""
    given = dict(
        CUTM="TPLCAD",
        CUNO="FB10001",
        CUNM="ACME NORTH",
        CUA1="2 King St",
        TOWN="Toronto",
        ECAR="ON",
    )
    assert m3.one("CRS610MI", "Add", **given)["CUNO"] == "FB10001"
    m3.fails("CRS610MI", "Add", "XRE0102", "CUNO", **given)
    m3.fails("CRS610MI", "Add", "XIM0002", "CUTM", **{**given, "CUNO": "FB10002", "CUTM": "NOPE"})
    m3.fails("CRS610MI", "Add", "XIM0002", "CSCD", **{**given, "CUNO": "FB10002", "CSCD": "XX"})
    m3.fails("CRS610MI", "Add", "XLE0001", "TOWN", **{**given, "CUNO": "FB10002", "TOWN": "T" * 21})
    assert m3.ok("CRS610MI", "ChgFinancial", CUNO="FB10001", CUCD="CAD", CRLM="5000") == []
    assert m3.ok("CRS610MI", "ChgOrderInfo", CUNO="FB10001", CUCL="SMB", TEPY="45") == []
    financial = m3.one("CRS610MI", "GetFinancial", CUNO="FB10001")
    assert (financial["CUCD"], financial["CRLM"]) == ("CAD", "5000")
    assert m3.one("CRS610MI", "GetOrderInfo", CUNO="FB10001")["TEPY"] == "45"
    basic = m3.one("CRS610MI", "GetBasicData", CUNO="FB10001")
    assert (basic["CUNM"], basic["TOWN"], basic["CSCD"], basic["STAT"]) == (
        "ACME NORTH",
        "Toronto",
        "CA",
        "20",
    )


def test_order_lifecycle_through_ship_and_invoice(fresh: M3) -> None:
    m3 = fresh
    cuno = first_customer(m3)["CUNO"]
    m3.fails("OIS100MI", "AddBatchHead", "XIM0002", "CUNO", CUNO="NOSUCH")
    batch = m3.one("OIS100MI", "AddBatchHead", CUNO=cuno, CUOR="INV-000777", RLDT="20260201")[
        "ORNO"
    ]
    m3.fails(
        "OIS100MI", "AddBatchLine", "XIM0002", "ITNO", ORNO=batch, ITNO="NO-SUCH-ITEM", ORQT="1"
    )
    m3.fails(
        "OIS100MI", "AddBatchLine", "XVA0001", "ORQT", ORNO=batch, ITNO="SVC-INSTALL", ORQT="0"
    )
    m3.fails("OIS100MI", "Confirm", "XST0001", "ORNO", ORNO=batch)  # no lines yet
    first = m3.one("OIS100MI", "AddBatchLine", ORNO=batch, ITNO="SVC-INSTALL", ORQT="2", SAPR="150")
    second = m3.one("OIS100MI", "AddBatchLine", ORNO=batch, ITNO="SVC-CONSULT", ORQT="1.5")
    assert (first["PONR"], second["PONR"]) == ("1", "2")
    assert len(m3.ok("OIS100MI", "LstBatchLine", ORNO=batch)) == 2
    assert m3.one("OIS100MI", "GetOrderNo", ORNO=batch)["ORNR"] == ""
    confirmed = m3.one("OIS100MI", "Confirm", ORNO=batch)
    orno = confirmed["ORNO"]
    assert orno != batch and confirmed["STAT"] == "22"
    assert m3.one("OIS100MI", "GetOrderNo", ORNO=batch)["ORNR"] == orno
    m3.fails("OIS100MI", "Confirm", "XST0001", "ORNO", ORNO=batch)
    batch_head = m3.one("OIS100MI", "GetBatchHead", ORNO=batch)
    assert (batch_head["ORNO"], batch_head["STAT"]) == (batch, "90")
    assert orno in {row["ORNR"] for row in m3.ok("OIS100MI", "LstBatchHead", CUNO=cuno, maxrecs=0)}

    head = m3.one("OIS100MI", "GetHead", ORNO=orno)
    assert (head["ORSL"], head["ORST"], head["CUOR"], head["CUNO"]) == (
        "22",
        "22",
        "INV-000777",
        cuno,
    )
    assert Decimal(head["NTAM"]) == Decimal("300.00") + Decimal("1.5") * Decimal("120.00")
    assert Decimal(head["TOAM"]) == Decimal(head["NTAM"]) + Decimal(head["VTAM"])
    assert m3.ok("OIS100MI", "SearchHead", SQRY="CUOR:INV-000777")[0]["ORNO"] == orno
    assert m3.ok("MWS411MI", "LstDelLnByOrd", RORC=3, RIDN=orno) == []
    assert m3.control("POST", f"/infor/orders/{orno}/invoice").status_code == 409  # not shipped

    shipped = m3.control("POST", f"/infor/orders/{orno}/ship").json()
    assert shipped["ORST"] == "66"
    assert {line["ORST"] for line in m3.ok("OIS100MI", "LstLine", ORNO=orno)} == {"66"}
    delivery_lines = m3.ok("MWS411MI", "LstDelLnByOrd", RORC=3, RIDN=orno)
    assert {line["DLIX"] for line in delivery_lines} == {shipped["DLIX"]}
    delivery = m3.one("MWS410MI", "GetHead", DLIX=shipped["DLIX"])
    assert (delivery["PGRS"], delivery["CONN"], delivery["IVNO"]) == ("60", shipped["CONN"], "")
    assert m3.control("POST", f"/infor/orders/{orno}/ship").status_code == 409

    invoiced = m3.control("POST", f"/infor/orders/{orno}/invoice").json()
    assert m3.one("OIS100MI", "GetHead", ORNO=orno)["ORST"] == "77"
    invoice = m3.one("OIS350MI", "LstInvHeadByCo", ORNO=orno)
    assert (
        invoice["IVNO"] == invoiced["IVNO"] and invoice["AMT1"] == head["TOAM"] == invoice["RAFC"]
    )
    assert m3.one("MWS410MI", "GetHead", DLIX=shipped["DLIX"])["IVNO"] == invoice["IVNO"]
    open_item = next(
        i
        for i in m3.ok("ARS200MI", "LstInvoices", CUNO=cuno, maxrecs=0)
        if i["CINO"] == invoice["IVNO"]
    )
    assert (open_item["RECO"], open_item["TRCD"]) == ("0", "10")
    assert m3.control("POST", "/infor/orders/9999999999/ship").status_code == 404


def test_batch_order_can_be_deleted_before_confirm(fresh: M3) -> None:
    m3 = fresh
    batch = m3.one("OIS100MI", "AddBatchHead", CUNO=first_customer(m3)["CUNO"])["ORNO"]
    assert m3.ok("OIS100MI", "DelBatchHead", ORNO=batch) == []
    m3.fails("OIS100MI", "GetBatchHead", "XIM0002", "ORNO", ORNO=batch)


def test_timed_rule_ships_and_invoices_by_the_sandbox_clock(fresh: M3) -> None:
    m3 = fresh
    rules = {"ship_after_hours": 24, "invoice_after_hours": 2}
    assert m3.control("POST", "/infor/lifecycle", json=rules).json() == rules
    _, orno = confirmed_order(m3, "INV-TIMED-1")
    assert m3.one("OIS100MI", "GetHead", ORNO=orno)["ORST"] == "22"
    m3.control("POST", "/clock", json={"advance_seconds": 25 * 3600})
    assert m3.one("OIS100MI", "GetHead", ORNO=orno)["ORST"] == "66"
    m3.control("POST", "/clock", json={"advance_seconds": 3 * 3600})
    assert m3.one("OIS100MI", "GetHead", ORNO=orno)["ORST"] == "77"
    assert m3.one("OIS350MI", "LstInvHeadByCo", ORNO=orno)["IVNO"]


def _statement(m3: M3, stmn: str, amount: str, invoice: dict, bank: str = "US-OPERATING") -> dict:
    job = m3.one(
        "ABS100MI", "AddStatmtHead", CONO=100, DIVI="AAA", BSTY=1, STMN=stmn, BSID=bank, CUCD="USD"
    )
    key = {"DIVI": "AAA", "JBNO": job["JBNO"], "JBDT": job["JBDT"], "JBTM": job["JBTM"]}
    m3.one(
        "ABS100MI",
        "AddStatmtLine",
        **key,
        BLSN=1,
        BLLF=amount,
        PYNO=invoice["PYNO"],
        ACDT="20260210",
    )
    return key


def test_cash_receipts_reconcile_the_ar_item(fresh: M3) -> None:
    m3 = fresh
    invoice = invoiced_order(m3, "INV-000888")
    cino, total = invoice["IVNO"], Decimal(invoice["AMT1"])
    half = str((total / 2).quantize(Decimal("0.01")))
    rest = str(total - Decimal(half))
    keys = {"PYNO": invoice["PYNO"], "CINO": cino, "INYR": invoice["YEA4"], "CUNO": invoice["CUNO"]}

    first = _statement(m3, "FB-PAY-1", half, invoice)
    m3.fails(
        "ABS100MI",
        "AddStatmtHead",
        "XRE0102",
        "STMN",
        CONO=100,
        DIVI="AAA",
        BSTY=1,
        STMN="FB-PAY-1",
        BSID="US-OPERATING",
        CUCD="USD",
    )
    m3.fails(
        "ABS100MI", "AddStatmtDetail", "XIM0002", "CINO", **first, BLSN=1, BLSS=1, CINO="999999"
    )
    m3.fails("ABS100MI", "ValidateStatmt", "XBA0001", "BLSN", **first)  # line without details
    assert m3.one(
        "ABS100MI", "AddStatmtDetail", **first, BLSN=1, BLSS=1, CINO=cino, INYR=invoice["YEA4"]
    )
    assert m3.ok("ABS100MI", "UpdStatmtHead", **first, BSCB=half) == []
    assert m3.ok("ABS100MI", "ValidateStatmt", **first) == []
    m3.fails("ABS100MI", "ValidateStatmt", "XST0001", "JBNO", **first)
    totals = m3.one("ARS200MI", "GetInvTotInfo", **keys)
    assert (totals["RECO"], totals["OCUA"], totals["PCUA"]) == ("0", rest, half)
    assert m3.one("OIS350MI", "GetInvHead", YEA4=invoice["YEA4"], IVNO=cino)["RAFC"] == rest

    second = _statement(m3, "FB-PAY-2", str(total), invoice)
    m3.fails(
        "ABS100MI",
        "AddStatmtDetail",
        "XVA0001",
        "BLNF",
        **second,
        BLSN=1,
        BLSS=1,
        CINO=cino,
        BLNF=str(total),
    )
    m3.one("ABS100MI", "AddStatmtDetail", **second, BLSN=1, BLSS=1, CINO=cino, BLNF=rest)
    m3.fails("ABS100MI", "ValidateStatmt", "XBA0001", "BLSN", **second)  # details short of the line
    assert m3.ok("ABS100MI", "UpdStatmtStatus", **second, BSHS=1, BSHB=1) == []
    m3.fails("ABS100MI", "ValidateStatmt", "XBL0001", "JBNO", **second)

    third = _statement(m3, "FB-PAY-3", rest, invoice)
    m3.one("ABS100MI", "AddStatmtDetail", **third, BLSN=1, BLSS=1, CINO=cino)
    assert m3.ok("ABS100MI", "ValidateStatmt", **third) == []
    items = m3.ok("ARS200MI", "LstInvoiceTrans", **keys)
    assert [i["TRCD"] for i in items] == ["10", "20", "20"]
    assert {i["RECO"] for i in items} == {"9"} and sum(Decimal(i["CUAM"]) for i in items) == 0
    assert m3.one("ARS200MI", "GetInvTotInfo", **keys)["OCUA"] == "0.00"
    assert m3.one("OIS350MI", "GetInvHead", YEA4=invoice["YEA4"], IVNO=cino)["RAFC"] == "0.00"
    assert cino not in {
        i["CINO"] for i in m3.ok("ARS200MI", "LstInvoices", CUNO=invoice["CUNO"], AAC0=1, maxrecs=0)
    }
    fourth = _statement(m3, "FB-PAY-4", "1.00", invoice)
    m3.fails("ABS100MI", "AddStatmtDetail", "XST0001", "CINO", **fourth, BLSN=1, BLSS=1, CINO=cino)


@pytest.mark.parametrize("difference", ["0.40", "-0.50"], ids=["over", "under"])
def test_a_payment_difference_is_booked_by_its_code_and_the_invoice_reconciles(
    fresh: M3, difference: str
) -> None:
    m3 = fresh
    invoice = invoiced_order(m3, f"INV-DIFF{difference}")
    cino, total = invoice["IVNO"], Decimal(invoice["AMT1"])
    received = str(total + Decimal(difference))
    keys = {"PYNO": invoice["PYNO"], "CINO": cino, "INYR": invoice["YEA4"], "CUNO": invoice["CUNO"]}
    stmn = f"FB-DIFF{difference}"
    job = _statement(m3, stmn, received, invoice)
    m3.one("ABS100MI", "AddStatmtDetail", **job, BLSN=1, BLSS=1, CINO=cino, BLNF=str(total))
    m3.fails("ABS100MI", "ValidateStatmt", "XBA0001", "BLSN", **job)  # the difference is missing
    m3.fails("ABS100MI", "AddStatmtDetail", "XRE0103", "CINO", **job, BLSN=1, BLSS=2)
    m3.fails("ABS100MI", "AddStatmtDetail", "XIM0002", "BLBC", **job, BLSN=1, BLSS=2, BLBC="NOSUCH")
    m3.fails(
        "ABS100MI", "AddStatmtDetail", "XVA0001", "BLNF",
        **job, BLSN=1, BLSS=2, BLBC="PAYDIF", BLNF="0.00",
    )  # fmt: skip
    m3.one(
        "ABS100MI", "AddStatmtDetail",
        **job, BLSN=1, BLSS=2, BLBC="PAYDIF", BLNF=difference, BLTX="Payment difference",
    )  # fmt: skip

    assert m3.ok("ABS100MI", "ValidateStatmt", **job) == []

    items = m3.ok("ARS200MI", "LstInvoiceTrans", **keys)
    assert [(i["TRCD"], i["CUAM"]) for i in items] == [("10", str(total)), ("20", str(-total))]
    assert {i["RECO"] for i in items} == {"9"}
    (posted,) = m3.control("GET", f"/infor/statements/{stmn}").json()["statements"]
    assert posted["BSHS"] == "3"  # processed
    assert [line["BLLF"] for line in posted["lines"]] == [received]
    assert [(d["BLSS"], d.get("CINO"), d.get("BLBC"), d["BLNF"]) for d in posted["details"]] == [
        ("1", cino, None, str(total)),
        ("2", None, "PAYDIF", difference),
    ]


def test_gl_batch_validation_posting_and_read_back(fresh: M3) -> None:
    m3 = fresh
    head = {
        "CONO": 100,
        "KEY1": "FB-EXP-000123",
        "INTN": "FRESHBOOKS",
        "DESC": "FreshBooks expenses",
    }
    assert m3.one("GLS840MI", "AddBatchHead", **head) == {"CONO": "100"}
    m3.fails("GLS840MI", "AddBatchHead", "XRE0102", "KEY1", **head)
    line = {
        "KEY1": "FB-EXP-000123",
        "INRI": "1",
        "CUCD": "USD",
        "ACDT": "20260115",
        "VTXT": "Staples receipt",
    }
    m3.fails(
        "GLS840MI", "AddBatchLineFld", "XIM0002", "AIT1", **line, LINE=1, AIT1="9999", ACAM="10"
    )
    m3.fails(
        "GLS840MI", "AddBatchLineFld", "XBL0001", "AIT1", **line, LINE=1, AIT1="6990", ACAM="10"
    )
    m3.fails("GLS840MI", "AddBatchLineFld", "XRE0103", "AIT1", **line, LINE=1, ACAM="10")
    assert (
        m3.ok("GLS840MI", "AddBatchLineFld", **line, LINE=1, AIT1="6550", ACAM="120.50", DBCR="D")
        == []
    )
    assert (
        m3.ok("GLS840MI", "AddBatchLineFld", **line, LINE=2, AIT1="2300", ACAM="100.50", DBCR="C")
        == []
    )
    m3.fails(
        "GLS840MI",
        "AddBatchLineFld",
        "XRE0102",
        "LINE",
        **line,
        LINE=2,
        AIT1="2300",
        ACAM="1",
        DBCR="C",
    )
    result = m3.fails("GLS840MI", "CtrlBatch", "XBA0001", "KEY1", CONO=100, KEY1="FB-EXP-000123")
    assert "debit 120.50, credit 100.50" in result["errorMessage"]
    m3.fails("GLS840MI", "UpdBatch", "XBA0001", "KEY1", CONO=100, KEY1="FB-EXP-000123")
    assert m3.ok("GLS840MI", "AddBatchLineFld", **line, LINE=3, AIT1="2300", ACAM="-20.00") == []
    assert m3.one("GLS840MI", "CtrlBatch", CONO=100, KEY1="FB-EXP-000123") == {"CONO": "100"}
    assert m3.one("GLS840MI", "UpdBatch", CONO=100, KEY1="FB-EXP-000123") == {"CONO": "100"}
    m3.fails("GLS840MI", "UpdBatch", "XST0001", "KEY1", CONO=100, KEY1="FB-EXP-000123")
    m3.fails(
        "GLS840MI", "AddBatchLineFld", "XST0001", "KEY1", **line, LINE=4, AIT1="6550", ACAM="1"
    )

    posted = [
        row
        for row in m3.ok("GLS200MI", "LstVouchersByDt", FRDT="20260115", TODT="20260115", maxrecs=0)
        if row["VTXT"] == "Staples receipt"
    ]
    assert [(row["AIT1"], row["ACAM"], row["DBCR"]) for row in posted] == [
        ("6550", "120.50", "D"),
        ("2300", "-100.50", "C"),
        ("2300", "-20.00", "C"),
    ]
    voucher = {"DIVI": "AAA", "YEA4": "2026", "VONO": posted[0]["VONO"]}
    assert len(m3.ok("GLS200MI", "LstVoucherLines", **voucher)) == 3
    assert m3.one("GLS200MI", "GetVoucherHead", **voucher)["DSUM"] == "120.50"


def test_scripted_m3_fault_fails_the_next_matching_transaction(fresh: M3) -> None:
    m3 = fresh
    fault = {
        "program": "GLS840MI",
        "transaction": "AddBatchLineFld",
        "errorCode": "GL_0042",
        "errorMessage": "Account 6550 is closed for period 202601",
        "field": "AIT1",
        "count": 1,
    }
    assert m3.control("POST", "/infor/faults", json=fault).status_code == 200
    m3.one("GLS840MI", "AddBatchHead", CONO=100, KEY1="FAULTED", INTN="FRESHBOOKS", DESC="x")
    line = {"KEY1": "FAULTED", "LINE": 1, "INRI": "1", "AIT1": "6550", "ACAM": "5"}
    result = m3.fails("GLS840MI", "AddBatchLineFld", "GL_0042", "AIT1", **line)
    assert result["errorMessage"] == fault["errorMessage"]
    assert m3.ok("GLS840MI", "AddBatchLineFld", **line) == []  # the fault fired once
    assert m3.control("GET", "/infor/faults").json()["faults"][0]["fired"] == 1


def test_scripted_fault_can_be_limited_to_one_record(fresh: M3) -> None:
    m3 = fresh
    fault = {
        "program": "GLS840MI",
        "transaction": "AddBatchLineFld",
        "errorCode": "XBL0001",
        "errorMessage": "Account 6550 is blocked",
        "field": "AIT1",
        "count": 100,
        "when": {"KEY1": "ONLYME"},
    }
    assert m3.control("POST", "/infor/faults", json=fault).status_code == 200
    for key in ("ONLYME", "OTHER"):
        m3.one("GLS840MI", "AddBatchHead", CONO=100, KEY1=key, INTN="FRESHBOOKS", DESC="x")
    line = {"LINE": 1, "INRI": "1", "AIT1": "6550", "ACAM": "5"}
    assert m3.ok("GLS840MI", "AddBatchLineFld", KEY1="OTHER", **line) == []
    m3.fails("GLS840MI", "AddBatchLineFld", "XBL0001", "AIT1", KEY1="ONLYME", **line)
    m3.fails("GLS840MI", "AddBatchLineFld", "XBL0001", "AIT1", KEY1="ONLYME", **line)
    assert m3.control("GET", "/infor/faults").json()["faults"][0]["fired"] == 2


def test_scripted_fault_can_terminate_a_bulk_request(fresh: M3) -> None:
    m3 = fresh
    m3.control(
        "POST",
        "/infor/faults",
        json={"program": "CRS610MI", "transaction": "ChgBasicData", "terminate": True},
    )
    cuno = first_customer(m3)["CUNO"]
    body = {
        "program": "CRS610MI",
        "transactions": [
            {"transaction": "ChgBasicData", "record": {"CUNO": cuno, "YREF": "A"}},
            {"transaction": "GetBasicData", "record": {"CUNO": cuno}},
        ],
    }
    answer = m3.http.post(
        m3.base, json=body, headers={"Authorization": f"Bearer {m3.access_token}"}
    ).json()
    assert answer["wasTerminated"] is True and answer["terminationReason"]
    assert answer["results"][1] == {
        "transaction": "GetBasicData",
        "notProcessed": True,
        "records": [],
    }
    assert (answer["nrOfFailedTransactions"], answer["nrOfNotProcessedTransactions"]) == (1, 1)


def test_gateway_faults_use_an_ion_style_body(fresh: M3) -> None:
    m3 = fresh
    inject_faults(m3.url, {"kind": "status", "status": 503, "count": 1, "path": "/M3/"})
    response = m3.get("/CRS610MI/LstByNumber", {"maxrecs": "1"})
    assert response.status_code == 503
    assert response.json() == {
        "code": 503,
        "message": "Service Unavailable",
        "detail": "M3 is not available; try again later",
    }
    assert m3.get("/CRS610MI/LstByNumber", {"maxrecs": "1"}).status_code == 200


def test_purchase_order_batch_entry(fresh: M3) -> None:
    m3 = fresh
    msgn = m3.one("PPS370MI", "StartEntry", BAOR="LEDGERLINK")["MSGN"]
    m3.fails(
        "PPS370MI",
        "AddHead",
        "XIM0002",
        "SUNO",
        MSGN=msgn,
        FACI="A01",
        WHLO="A01",
        SUNO="NOPE",
        DWDT="20260301",
    )
    puno = m3.one(
        "PPS370MI", "AddHead", MSGN=msgn, FACI="A01", WHLO="A01", SUNO="S1001", DWDT="20260301"
    )["PUNO"]
    m3.one("PPS370MI", "AddLine", MSGN=msgn, ITNO="SVC-INSTALL", ORQA=4, PUPR="80")
    assert m3.one("PPS370MI", "GetBatchHead", PUNO=puno)["SUNO"] == "S1001"
    assert len(m3.ok("PPS370MI", "LstBatchLine", PUNO=puno)) == 1
    m3.fails("PPS200MI", "GetHead", "XIM0002", "PUNO", PUNO=puno)  # not finished yet
    assert m3.ok("PPS370MI", "FinishEntry", MSGN=msgn) == []
    head = m3.one("PPS200MI", "GetHead", PUNO=puno)
    assert (head["SUNO"], head["NTAM"], head["NOLN"]) == ("S1001", "320.00", "1")
    other = m3.one("PPS370MI", "StartEntry", BAOR="LEDGERLINK")["MSGN"]
    assert m3.ok("PPS370MI", "DeleteEntry", MSGN=other) == []
    m3.fails(
        "PPS370MI",
        "AddHead",
        "XIM0002",
        "MSGN",
        MSGN=other,
        FACI="A01",
        WHLO="A01",
        SUNO="S1001",
        DWDT="20260301",
    )
    added = m3.one(
        "CRS620MI",
        "AddSupplier",
        SUNO="S9001",
        SUNM="Paper Co",
        SUTY=0,
        CSCD="US",
        DTFM="YMD",
        ORTY="PP1",
        DT4T=1,
        DTCD=1,
        CUCD="USD",
        CRTP=1,
        ATPR="0",
    )
    assert added == {"SUNO": "S9001", "STAT": "20"}


def test_counts_are_the_ground_truth(fresh: M3) -> None:
    m3 = fresh
    before = m3.control("GET", "/infor/counts").json()
    assert before["customers"] > 20 and before["orders"] > 20 and before["accounts"] > 30
    confirmed_order(m3, "INV-COUNT-1", lines=1)
    after = m3.control("GET", "/infor/counts").json()
    assert (after["orders"], after["order_lines"]) == (
        before["orders"] + 1,
        before["order_lines"] + 1,
    )

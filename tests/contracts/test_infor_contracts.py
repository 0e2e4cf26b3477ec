"""The M3 contract file: derived from the reference Swagger files; holds the facts we rely on."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledgerlink.contracts import CONTRACTS_DIR, load_contract
from ledgerlink.contracts.derive_infor import PROGRAMS, derive, render_contract

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"
CONTRACT_FILE = CONTRACTS_DIR / "infor_m3_programs.json"


def fields(program: str, transaction: str, kind: str) -> dict[str, dict]:
    contract = load_contract("infor_m3_programs")
    return {
        field["name"]: field
        for field in contract["programs"][program]["transactions"][transaction][kind]
    }


def test_contract_file_is_what_the_reference_derives() -> None:
    if not (REFERENCE / "infor" / "m3-mi-v2-swagger").is_dir():
        pytest.skip(
            f"{REFERENCE} is not present (a clone without ../shared): "
            "the committed infor_m3_programs.json is used as is"
        )
    derived = render_contract(derive(REFERENCE))
    assert CONTRACT_FILE.read_text(encoding="utf-8") == derived, (
        "infor_m3_programs.json is stale: run "
        "python -m ledgerlink.contracts.derive_infor --reference <reference folder>"
    )


def test_contract_covers_every_program_the_product_calls() -> None:
    programs = load_contract("infor_m3_programs")["programs"]
    assert set(programs) == set(PROGRAMS)
    for name, program in programs.items():
        assert program["title"] and program["transactions"], name
        assert "GetServerTime" in program["transactions"], name
        for transaction in program["transactions"].values():
            for field in transaction["inputs"]:
                assert field["type"] in ("string", "number") and field["length"] > 0
                assert isinstance(field["required"], bool) and field["description"]
            for field in transaction["outputs"]:
                assert field["type"] in ("string", "number") and field["length"] > 0


def test_contract_keeps_the_facts_the_flows_rely_on() -> None:
    add = fields("CRS610MI", "Add", "inputs")
    assert {name for name, f in add.items() if f["required"]} == {"CUTM", "CUNM", "CUA1"}
    assert (add["CUNO"]["length"], add["CUNM"]["length"], add["TOWN"]["length"]) == (10, 36, 20)
    assert add["MAIL"]["description"] == "E-mail address" and "EMAL" not in add
    assert add["CONO"]["type"] == "number"
    assert set(fields("CRS610MI", "Add", "outputs")) == {"CUNO", "ERRM"}
    assert fields("CRS610MI", "LstByNumber", "inputs")["LMTS"]["length"] == 18
    assert fields("OIS100MI", "AddBatchHead", "inputs")["CUOR"]["length"] == 20
    assert set(fields("OIS100MI", "Confirm", "outputs")) == {"ORNO", "STAT"}
    gl_line = fields("GLS840MI", "AddBatchLineFld", "inputs")
    assert {name for name, f in gl_line.items() if f["required"]} == {"KEY1", "LINE", "INRI"}
    assert gl_line["AIT1"]["length"] == 10 and gl_line["ACAM"]["type"] == "number"
    assert fields("ARS200MI", "LstInvoices", "outputs")["RECO"]["description"].endswith("(9=payed)")
    job = fields("ABS100MI", "AddStatmtHead", "outputs")
    assert [job[name]["length"] for name in ("JBNO", "JBDT", "JBTM")] == [6, 6, 6]
    assert fields("CRS630MI", "LstAccountID", "outputs")["LMTS"]["type"] == "string"


def test_contract_carries_the_envelope_and_control_parameters() -> None:
    contract = load_contract("infor_m3_programs")
    response = contract["envelope"]["response"]
    assert response["nrOfSuccessfullTransactions"] == "integer"  # the real misspelling
    assert {"results", "wasTerminated", "nrOfFailedTransactions", "bulkJobId"} <= set(response)
    assert {"errorMessage", "errorCode", "errorField", "records"} <= set(
        contract["envelope"]["result"]
    )
    controls = {entry["name"]: entry for entry in contract["control_parameters"]}
    assert {"cono", "divi", "maxrecs", "returncols", "excludeempty", "extendedresult"} <= set(
        controls
    )
    assert controls["dateformat"]["default"] == "YMD8" and "YMD8-" in controls["dateformat"]["enum"]

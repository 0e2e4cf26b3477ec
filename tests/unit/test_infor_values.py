"""Infor M3 boundary conversions and v2 envelope parsing, on canned bodies shaped as documented."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from ledgerlink.connectors.infor.errors import (
    M3AlreadyExists,
    M3Error,
    M3NotFound,
    M3ValidationError,
)
from ledgerlink.connectors.infor.inputs import BatchOrderLine, NewCustomer
from ledgerlink.connectors.infor.ionapi import parse_ionapi
from ledgerlink.connectors.infor.m3 import is_read_transaction, parse_bulk, parse_execute
from ledgerlink.connectors.infor.records import Customer, OrderInvoice, ReceivableItem
from ledgerlink.connectors.infor.values import (
    build_contract,
    format_date,
    format_decimal,
    format_timestamp,
    input_problems,
    parse_date,
    parse_decimal,
    parse_flag,
    parse_timestamp,
    to_m3_record,
    transaction_spec,
)
from ledgerlink.errors import ConfigurationError, MalformedResponse
from ledgerlink.redaction import redact

# --- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("20240131", date(2024, 1, 31)),
        (" 20240131 ", date(2024, 1, 31)),
        ("2024-01-31", date(2024, 1, 31)),  # dateformat YMD8-
        ("", None),
        ("0", None),
        ("00000000", None),
        (None, None),
    ],
)
def test_parse_date(raw: str | None, expected: date | None) -> None:
    assert parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["2024013", "20241301", "31/01/2024"])
def test_parse_date_refuses_what_is_no_date(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_date(raw)


def test_format_date_takes_aware_datetimes_in_utc() -> None:
    late_evening_in_new_york = datetime(2024, 1, 31, 22, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert format_date(date(2024, 2, 1)) == "20240201"
    assert format_date(late_evening_in_new_york) == "20240201"
    assert format_date(None) == ""


# --- numbers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12.30", Decimal("12.30")),
        ("-4", Decimal("-4")),
        ("4-", Decimal("-4")),  # trailing sign
        ("  19.95", Decimal("19.95")),
        (".5", Decimal("0.5")),
        ("", None),
        (None, None),
    ],
)
def test_parse_decimal(raw: str | None, expected: Decimal | None) -> None:
    assert parse_decimal(raw) == expected


def test_numbers_never_pass_through_float() -> None:
    with pytest.raises(TypeError):
        parse_decimal(0.1)
    with pytest.raises(TypeError):
        format_decimal(0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        parse_decimal("12,30")
    with pytest.raises(ValueError):
        parse_decimal("1e3")


def test_format_decimal_is_plain_digits() -> None:
    assert format_decimal(Decimal("19.950")) == "19.950"
    assert format_decimal(Decimal("1E+2")) == "100"
    assert format_decimal(Decimal("-0")) == "0"
    assert format_decimal(7) == "7"


def test_flags() -> None:
    assert parse_flag("1") is True
    assert parse_flag("0") is False
    assert parse_flag("") is None
    with pytest.raises(ValueError):
        parse_flag("Y")


# --- LMTS timestamps ------------------------------------------------------------------------------


def test_lmts_as_epoch_milliseconds_round_trips() -> None:
    moment = datetime(2024, 1, 31, 11, 20, 0, 123000, tzinfo=UTC)
    assert format_timestamp(moment) == "1706700000123"
    assert parse_timestamp("1706700000123") == moment


def test_lmts_in_date_time_digits() -> None:
    assert parse_timestamp("20240131112000123") == datetime(
        2024, 1, 31, 11, 20, 0, 123000, tzinfo=UTC
    )
    assert parse_timestamp("0") is None
    with pytest.raises(ValueError):
        format_timestamp(datetime(2024, 1, 31))  # naive: no way to know its zone


# --- input records --------------------------------------------------------------------------------


def test_to_m3_record_converts_and_drops_unset() -> None:
    record = to_m3_record(
        {
            "CUNO": " FB10001 ",
            "RLDT": date(2024, 2, 1),
            "SAPR": Decimal("19.95"),
            "AAC0": True,
            "CUOR": None,
        }
    )
    assert record == {"CUNO": "FB10001", "RLDT": "20240201", "SAPR": "19.95", "AAC0": "1"}


def test_typed_input_uses_m3_field_codes() -> None:
    line = BatchOrderLine(
        item_number="A100",
        quantity=Decimal("2"),
        sales_price=Decimal("19.95"),
        requested_delivery_date=date(2024, 2, 1),
    )
    assert line.to_record() == {"ITNO": "A100", "ORQT": "2", "SAPR": "19.95", "DWDT": "20240201"}


# --- contract checks ------------------------------------------------------------------------------

CANNED_CONTRACT = {
    "programs": {
        "CRS610MI": {
            "transactions": {
                "Add": {
                    "inputs": [
                        {"name": "CUTM", "type": "string", "length": 10, "required": True},
                        {"name": "CUNM", "type": "string", "length": 36, "required": True},
                        {"name": "CUA1", "type": "string", "length": 36, "required": True},
                        {"name": "CONO", "type": "number", "length": 3, "required": False},
                        {"name": "CUTP", "type": "number", "length": 1, "required": False},
                    ],
                    "outputs": [{"name": "CUNO", "type": "string", "length": 10}],
                }
            }
        }
    }
}


def test_input_problems_required_length_type_and_unknown_fields() -> None:
    spec = build_contract(CANNED_CONTRACT)[("CRS610MI", "Add")]
    problems = input_problems(
        spec, {"CUNM": "x" * 37, "CUA1": "1 Main St", "CUTP": "12", "EMAL": "a"}
    )
    assert "CUTM is required" in problems
    assert "CUNM is 37 characters long, at most 36 allowed" in problems
    assert "CUTP has 2 digits, at most 1 allowed" in problems
    assert "EMAL is not an input of CRS610MI/Add" in problems
    assert input_problems(spec, {"CUTM": "T", "CUNM": "Acme", "CUA1": "1 Main St"}) == []
    assert input_problems(spec, {"CUTM": "T", "CUNM": "A", "CUA1": "B", "CUTP": "x"}) == [
        "CUTP must be a number, got 'x'"
    ]


def test_project_contract_knows_the_programs_the_flows_use() -> None:
    spec = transaction_spec("CRS610MI", "Add")
    if spec is None:
        pytest.fail("ledgerlink/contracts/infor_m3_programs.json is missing CRS610MI/Add")
    assert spec.inputs["CUNM"].length == 36
    assert spec.inputs["CUTM"].required
    customer = NewCustomer(template="TPLUSD", name="A" * 40, address_1="1 Main St")
    assert customer.problems() == ["CUNM is 40 characters long, at most 36 allowed"]
    # The order number of a batch line is filled in by the wrapper, not by the caller.
    assert BatchOrderLine(item_number="A100", quantity=Decimal("1")).problems() == []


# --- typed records --------------------------------------------------------------------------------


def test_records_trim_and_type_values() -> None:
    customer = Customer.from_m3(
        {
            "CUNO": "FB10001   ",
            "CUNM": "Acme ",
            "CRLM": "5000.00",
            "LMDT": "20240131",
            "RGDT": "",
            "UNKNOWN": "kept out",
        }
    )
    assert customer.customer_number == "FB10001"
    assert customer.name == "Acme"
    assert customer.credit_limit == Decimal("5000.00")
    assert customer.changed_on == date(2024, 1, 31)
    assert customer.created_on is None
    assert customer.to_m3()["CUNO"] == "FB10001"


def test_sibling_lists_with_other_field_names_fill_the_same_model() -> None:
    by_co = OrderInvoice.from_m3({"IVNO": "1001", "IVDT": "20240205", "AMT1": "107.99"})
    all_by_co = OrderInvoice.from_m3({"IVNO": "1001", "IDAT": "20240205", "IVAV": "107.99"})
    assert by_co.invoice_date == all_by_co.invoice_date == date(2024, 2, 5)
    assert ReceivableItem.from_m3({"CINO": "1001", "RECO": "9"}).is_paid


def test_a_record_m3_should_never_send_is_a_malformed_response() -> None:
    with pytest.raises(MalformedResponse, match="LMDT"):
        Customer.from_m3({"CUNO": "1", "LMDT": "31.01.2024"})


# --- the v2 envelope ------------------------------------------------------------------------------


def test_success_envelope() -> None:
    body = {
        "results": [
            {
                "transaction": "LstByNumber",
                "records": [
                    {"CONO": "100", "CUNO": "10001", "CUNM": "Acme", "LMDT": "20240131"},
                    {"CONO": "100", "CUNO": "10002", "CUNM": "Globex", "LMDT": "20240201"},
                ],
            }
        ],
        "wasTerminated": False,
        "nrOfSuccessfullTransactions": 1,
        "nrOfNotProcessedTransactions": 0,
        "nrOfFailedTransactions": 0,
    }
    result = parse_execute("CRS610MI", "LstByNumber", 200, body)
    assert [r["CUNO"] for r in result] == ["10001", "10002"]
    assert result.record["CUNM"] == "Acme"


def test_empty_list_is_no_error() -> None:
    body = {
        "results": [{"transaction": "LstHead", "records": []}],
        "nrOfSuccessfullTransactions": 1,
    }
    assert len(parse_execute("OIS100MI", "LstHead", 200, body)) == 0


def test_error_in_results_on_http_200_keeps_m3_fields() -> None:
    body = {
        "results": [
            {
                "transaction": "GetBasicData",
                "errorMessage": "Customer number FB404 does not exist",
                "errorCode": "WCU0203",
                "errorField": "CUNO",
                "errorType": "ServerReturnedNOK",
                "records": [],
            }
        ],
        "wasTerminated": False,
        "nrOfSuccessfullTransactions": 0,
        "nrOfFailedTransactions": 1,
    }
    with pytest.raises(M3NotFound) as caught:
        parse_execute("CRS610MI", "GetBasicData", 200, body)
    error = caught.value
    assert (error.error_code, error.error_field, error.error_type) == (
        "WCU0203",
        "CUNO",
        "ServerReturnedNOK",
    )
    assert error.error_message == "Customer number FB404 does not exist"
    assert error.status == 200
    assert str(error) == (
        "CRS610MI/GetBasicData: Customer number FB404 does not exist [WCU0203, field CUNO]"
    )


def test_error_at_top_level_on_http_400() -> None:
    body = {
        "errorMessage": "Field CUNO is too long",
        "errorCode": "XLE0001",
        "errorField": "CUNO",
        "errorType": "InvalidRequest",
        "results": [],
        "wasTerminated": True,
        "nrOfFailedTransactions": 1,
    }
    with pytest.raises(M3ValidationError) as caught:
        parse_execute("CRS610MI", "GetBasicData", 400, body)
    assert caught.value.status == 400
    assert caught.value.error_code == "XLE0001"
    assert caught.value.error_field == "CUNO"


def test_http_400_with_the_error_only_inside_results() -> None:
    body = {"results": [{"errorMessage": "Unknown transaction Foo", "errorCode": "XTR0001"}]}
    with pytest.raises(M3Error, match="Unknown transaction Foo"):
        parse_execute("CRS610MI", "Foo", 400, body)


def test_v1_style_error_keys_are_read_too() -> None:
    body = {
        "@code": "XAU0008",
        "@field": "CONO",
        "@type": "ServerReturnedNOK",
        "Message": "Not authorized for company 0",
    }
    with pytest.raises(M3ValidationError) as caught:
        parse_execute("CRS610MI", "LstByNumber", 400, body)
    assert caught.value.error_code == "XAU0008"


def test_termination_without_a_result_error_is_still_an_error() -> None:
    body = {
        "results": [],
        "wasTerminated": True,
        "terminationReason": "Timeout",
        "terminationErrorType": "TIMEOUT",
    }
    with pytest.raises(M3Error, match="Timeout"):
        parse_execute("CRS610MI", "LstByNumber", 200, body)


@pytest.mark.parametrize(
    "body", [[], "oops", {"wasTerminated": False}, {"results": [{"records": "x"}]}]
)
def test_bodies_without_the_documented_shape_are_malformed(body: object) -> None:
    with pytest.raises(MalformedResponse):
        parse_execute("CRS610MI", "LstByNumber", 200, body)


@pytest.mark.parametrize(
    ("transaction", "message", "code", "field", "expected"),
    [
        ("GetBasicData", "Customer number X does not exist", "WCU0203", "CUNO", M3NotFound),
        ("Add", "Customer number X already exists", "XRE0104", "CUNO", M3AlreadyExists),
        (
            "AddBatchLineFld",
            "Accounting identity 9999 does not exist",
            "XIM0002",
            "AIT1",
            M3ValidationError,
        ),
        ("Add", "Customer template must be entered", "XRE0103", "CUTM", M3ValidationError),
        ("CtrlBatch", "Batch is not balanced", "XBA0001", None, M3Error),
        ("GetInvoice", "", "XRE0103", None, M3NotFound),
    ],
)
def test_error_types(
    transaction: str, message: str, code: str, field: str | None, expected: type
) -> None:
    body = {"results": [{"errorMessage": message, "errorCode": code, "errorField": field}]}
    with pytest.raises(M3Error) as caught:
        parse_execute("ANY", transaction, 200, body)
    assert type(caught.value) is expected


def test_bulk_keeps_errors_per_transaction() -> None:
    body = {
        "results": [
            {"transaction": "GetBasicData", "records": [{"CUNO": "10001"}]},
            {
                "transaction": "GetBasicData",
                "errorMessage": "Customer number 99 does not exist",
                "errorCode": "WCU0203",
                "errorField": "CUNO",
            },
            {"transaction": "GetBasicData", "notProcessed": True},
        ],
        "wasTerminated": False,
        "nrOfSuccessfullTransactions": 1,
        "nrOfFailedTransactions": 1,
        "nrOfNotProcessedTransactions": 1,
        "bulkJobId": "b-1",
    }
    bulk = parse_bulk("CRS610MI", 200, body)
    assert (bulk.successful, bulk.failed, bulk.not_processed) == (1, 1, 1)
    assert bulk.results[0].record == {"CUNO": "10001"}
    assert isinstance(bulk.results[1].error, M3NotFound)
    assert bulk.results[2].not_processed
    with pytest.raises(M3NotFound):
        bulk.raise_for_errors()


def test_reads_and_writes() -> None:
    for read in ("GetBasicData", "LstByNumber", "SelItem", "SearchCustomer", "List"):
        assert is_read_transaction(read)
    for write in (
        "Add",
        "ChgBasicData",
        "UpdBatch",
        "DltLine",
        "Confirm",
        "CtrlBatch",
        "ValidateStatmt",
    ):
        assert not is_read_transaction(write)


# --- the .ionapi file -----------------------------------------------------------------------------

IONAPI = {
    "ti": "ACME_TST",
    "cn": "ledgerlink",
    "dt": "12",
    "ci": "ACME_TST~client-id",
    "cs": "client-secret-value-1",
    "iu": "https://mingle-ionapi.example.com",
    "pu": "https://mingle-sso.example.com:443/ACME_TST/as/",
    "oa": "authorization.oauth2",
    "ot": "token.oauth2",
    "or": "revoke_token.oauth2",
    "saak": "ACME_TST#service-access-key",
    "sask": "service-secret-key-value",
    "ev": "U1234",
    "v": "1.0",
}


def test_ionapi_urls() -> None:
    credentials = parse_ionapi(IONAPI)
    assert credentials.token_url == "https://mingle-sso.example.com:443/ACME_TST/as/token.oauth2"
    assert credentials.revoke_url.endswith("/as/revoke_token.oauth2")
    assert credentials.m3_base_url == "https://mingle-ionapi.example.com/ACME_TST/M3/m3api-rest/v2"


def test_ionapi_secrets_are_registered_for_redaction() -> None:
    credentials = parse_ionapi(IONAPI)
    assert "client-secret-value-1" not in repr(credentials)
    text = redact(
        "sask=service-secret-key-value cs client-secret-value-1 ACME_TST#service-access-key"
    )
    assert "service-secret-key-value" not in text
    assert "client-secret-value-1" not in text
    assert "ACME_TST#service-access-key" not in text


@pytest.mark.parametrize("key", ["saak", "sask", "ot", "pu", "ci"])
def test_ionapi_missing_key_is_named(key: str) -> None:
    data = {k: v for k, v in IONAPI.items() if k != key}
    with pytest.raises(ConfigurationError, match=f"missing key '{key}'"):
        parse_ionapi(data)


def test_ionapi_empty_secret_and_bad_url() -> None:
    with pytest.raises(ConfigurationError, match="empty key 'sask'"):
        parse_ionapi({**IONAPI, "sask": " "})
    with pytest.raises(ConfigurationError, match="'iu' must be an http"):
        parse_ionapi({**IONAPI, "iu": "mingle-ionapi.example.com"})

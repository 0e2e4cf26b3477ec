"""The Infor M3 writer against the emulator: found by natural key, written once, resumed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from conftest import reset_emulator

from ledgerlink.connectors.infor import InforClient, M3Error, M3InputRejected, M3ValidationError
from ledgerlink.connectors.infor.inputs import BatchOrderHead, BatchOrderLine
from ledgerlink.errors import ValidationFailed
from reverse_etl.definitions import load_syncs
from reverse_etl.operations import Operation, WriteResult
from reverse_etl.writers.infor import InforWriter, JournalLineInput, build_input

pytestmark = pytest.mark.integration

SYNCS = {sync.name: sync for sync in load_syncs()}
ACCOUNT = "3uLNM"  # the FreshBooks account the rows come from
US_BANK = "US-OPERATING"
GL_INTERFACE = "FBEXPENSE"


@pytest.fixture(scope="module")
def infor_url(sandbox: dict) -> Iterator[str]:
    assert "infor" in sandbox["urls"], "the sandbox did not start the Infor emulator"
    url = sandbox["urls"]["infor"]
    reset_emulator(url)
    yield url
    reset_emulator(url)


@pytest.fixture
def writer(settings, infor_url: str) -> Iterator[InforWriter]:
    with InforClient.from_settings(settings) as client:
        client.customers.server_time()  # the token is fetched: later requests are M3 calls only
        yield InforWriter(client)
    httpx.delete(f"{infor_url}/_sandbox/infor/faults", timeout=10).raise_for_status()


def m3_calls(writer: InforWriter) -> list[str]:
    """From now on, every M3 transaction the writer's client sends, as PROGRAM/Transaction."""
    calls: list[str] = []

    def record(request: httpx.Request) -> None:
        calls.append("/".join(request.url.path.split("/")[-2:]))

    writer.client.m3.http.event_hooks["request"].append(record)
    return calls


def control(url: str, path: str, body: dict | None = None) -> dict:
    response = httpx.post(f"{url}/_sandbox/{path}", json=body or {}, timeout=30)
    response.raise_for_status()
    return response.json()


def counts(url: str) -> dict[str, int]:
    return httpx.get(f"{url}/_sandbox/infor/counts", timeout=10).json()


def new_id() -> int:
    """A FreshBooks-like id of 8 digits, so 'FB' + id fits CUNO (10)."""
    return 10_000_000 + uuid.uuid4().int % 90_000_000


def operation(
    sync: str, natural_key: str, values: dict[str, Any], *, kind: str = "create", **leading: Any
) -> Operation:
    """A row shaped like the sync model's: leading columns, then payload and source ids."""
    definition = SYNCS[sync]
    row = {
        "sync_key": uuid.uuid4().hex,
        "target": "infor",
        "entity": definition.model.split("__", 1)[1],
        "natural_key": natural_key,
        "operation": kind,
        "depends_on": leading.get("depends_on"),
        "content_hash": uuid.uuid4().hex,
        **values,
    }
    return Operation(definition, row)


CUSTOMER_PAYLOAD = (
    "CUNO", "CUNM", "CUA1", "CUA2", "TOWN", "ECAR", "PONO", "CSCD", "PHNO", "MAIL", "YREF", "ALCU",
    "CUTM", "CUCL", "ORTP", "TEPY", "CUCD", "VRNO", "CRLM",
)  # fmt: skip


def customer_operation(
    client_id: int | None = None, *, kind: str = "create", **changes: Any
) -> Operation:
    client_id = client_id or new_id()
    number = f"FB{client_id}"
    values = {
        "CUNO": number,
        "CUNM": "Harbor Lights Bakery LLC",
        "CUA1": "12 Wharf Road",
        "CUA2": "Suite 4",
        "TOWN": "Portland",
        "ECAR": "ME",
        "PONO": "04101",
        "CSCD": "US",
        "PHNO": "+1-207-555-0142",
        "MAIL": "orders@harborlights.example",
        "YREF": "Dana Whitfield",
        "ALCU": "HARBORLIGH",
        "CUTM": "TPLUSD",
        "CUCL": "ENT",
        "ORTP": "SO2",
        "TEPY": "45",
        "CUCD": "USD",
        "VRNO": "01-2345678",
        "CRLM": "25000",
        "client_key": f"{ACCOUNT}|{client_id}",
        "account_id": ACCOUNT,
        "client_id": client_id,
        "match_status": "unmatched",
        **changes,
    }
    return operation("infor_customers", number, values, kind=kind)


def new_customer(writer: InforWriter) -> str:
    op = customer_operation()
    assert writer.write(op, {}).status == "created"
    return op.natural_key


def items(writer: InforWriter, count: int) -> list[str]:
    sellable = [i.item_number for i in writer.client.items.list_items() if i.status != "90"]
    return sellable[:count]


def today(writer: InforWriter) -> str:
    return writer.client.customers.server_time().date.strftime("%Y%m%d")


def order_operation(writer: InforWriter, customer: str, lines: list[dict[str, str]]) -> Operation:
    invoice_id = new_id()
    number = f"INV-{invoice_id}"
    values = {
        "CUNO": customer,
        "CUOR": number,
        "ORTP": "SO1",
        "FACI": "A01",
        "WHLO": "A01",
        "ORDT": today(writer),
        "RLDT": today(writer),
        "CUCD": "USD",
        "lines": json.dumps(lines),
        "invoice_key": f"{ACCOUNT}|{invoice_id}",
        "account_id": ACCOUNT,
        "invoice_id": invoice_id,
        "client_id": int(customer[2:]),
        "line_count": len(lines),
    }
    return operation("infor_customer_orders", number, values, depends_on=customer)


def two_lines(writer: InforWriter) -> list[dict[str, str]]:
    first, second = items(writer, 2)
    return [
        {"ITNO": first, "ORQT": "2", "SAPR": "19.95"},
        {"ITNO": second, "ORQT": "1", "SAPR": "60.00"},
    ]


def journal_operation(
    writer: InforWriter,
    debit: str = "6600",
    credit: str = "2300",
    *,
    amount: str = "125.40",
    credit_amount: str | None = None,
    currency: str = "USD",
    local: bool = True,
) -> Operation:
    expense_id = new_id() % 10_000_000  # 'FB-EXP-' + 7 digits fits KEY1 (15)
    key = f"FB-EXP-{expense_id}"
    sides = [(debit, "D", amount), (credit, "C", credit_amount or amount)]
    lines = [
        {
            "LINE": str(n),
            "INRI": "1",
            "GRNR": "1",
            "AIT1": account,
            "DBCR": side,
            "ACAM": value if local else None,
            "CUAM": value,
            "CUCD": currency,
            "ACDT": today(writer),
            "VTXT": f"{key} Alaska Airlines",
        }
        for n, (account, side, value) in enumerate(sides, start=1)
    ]
    values = {
        "CONO": "100",
        "DIVI": "AAA",
        "KEY1": key,
        "INTN": GL_INTERFACE,
        "DESC": f"FreshBooks expense {expense_id} Alaska Air",
        "lines": json.dumps(lines),
        "expense_key": f"{ACCOUNT}|{expense_id}",
        "account_id": ACCOUNT,
        "expense_id": expense_id,
        "expense_category": "Travel",
        "currency_code": currency,
        "amount": Decimal(amount),
    }
    return operation("infor_gl_journals", key, values)


# --- customers ------------------------------------------------------------------------------------


def test_customer_create_reads_back_with_all_fields_and_groups(writer: InforWriter):
    op = customer_operation()
    number = op.natural_key

    result = writer.write(op, {})

    assert (result.status, result.target_id) == ("created", number)
    assert result.links == [
        {
            "entity": "customer",
            "freshbooks_account_id": ACCOUNT,
            "freshbooks_id": str(op.row["client_id"]),
            "infor_company": "100",
            "infor_key": number,
        }
    ]
    customer = writer.client.customers.get(number)
    assert customer is not None
    assert (
        customer.name,
        customer.address_1,
        customer.address_2,
        customer.town,
        customer.state,
        customer.postal_code,
        customer.country,
        customer.phone,
        customer.email,
        customer.your_reference,
        customer.search_key,
    ) == (
        "Harbor Lights Bakery LLC",
        "12 Wharf Road",
        "Suite 4",
        "Portland",
        "ME",
        "04101",
        "US",
        "+1-207-555-0142",
        "orders@harborlights.example",
        "Dana Whitfield",
        "HARBORLIGH",
    )
    m3 = writer.client.m3
    financial = m3.execute("CRS610MI", "GetFinancial", {"CUNO": number}).record
    assert (financial["CUCD"], financial["VRNO"]) == ("USD", "01-2345678")
    assert Decimal(financial["CRLM"]) == Decimal("25000")
    order_info = m3.execute("CRS610MI", "GetOrderInfo", {"CUNO": number}).record
    assert (order_info["CUCL"], order_info["ORTP"], order_info["TEPY"]) == ("ENT", "SO2", "45")


def test_the_same_customer_create_twice_gives_one_customer(writer: InforWriter, infor_url: str):
    op = customer_operation()
    before = counts(infor_url)["customers"]

    created = writer.write(op, {})
    found = writer.find(op)
    calls = m3_calls(writer)
    again = writer.write(op, {})

    assert found == WriteResult("unchanged", op.natural_key, created.links)
    assert (again.status, again.target_id) == ("unchanged", op.natural_key)
    assert not [call for call in calls if "/Add" in call or "/Chg" in call]
    assert counts(infor_url)["customers"] == before + 1


def test_a_customer_whose_chg_financial_failed_is_completed_without_a_second_add(
    writer: InforWriter, infor_url: str
):
    op = customer_operation()
    before = counts(infor_url)["customers"]
    control(
        infor_url,
        "infor/faults",
        {
            "program": "CRS610MI",
            "transaction": "ChgFinancial",
            "errorCode": "XVA0001",
            "errorMessage": "VAT number could not be verified",
            "count": 1,
        },
    )

    with pytest.raises(M3Error) as refused:
        writer.write(op, {})
    assert (refused.value.error_code, refused.value.error_message) == (
        "XVA0001",
        "VAT number could not be verified",
    )
    assert writer.client.customers.get(op.natural_key) is not None  # Add went through
    assert writer.find(op) is None  # half done is not done

    calls = m3_calls(writer)
    result = writer.write(op, {})

    assert (result.status, result.target_id) == ("created", op.natural_key)
    assert "CRS610MI/Add" not in calls
    assert {"CRS610MI/ChgFinancial", "CRS610MI/ChgOrderInfo"} <= set(calls)
    assert counts(infor_url)["customers"] == before + 1
    financial = writer.client.m3.execute("CRS610MI", "GetFinancial", {"CUNO": op.natural_key})
    assert financial.record["VRNO"] == "01-2345678"
    assert writer.find(op) == WriteResult("unchanged", op.natural_key, result.links)


def test_a_customer_update_changes_only_the_fields_freshbooks_owns(writer: InforWriter):
    client_id = new_id()
    writer.write(customer_operation(client_id), {})
    # As the sync model plans an update: only the fields FreshBooks owns, the others null.
    changes = {code: None for code in CUSTOMER_PAYLOAD if code != "CUNO"} | {
        "MAIL": "billing@harborlights.example",
        "VRNO": "01-7654321",
        "CUCD": "USD",
    }
    update = customer_operation(client_id, kind="update", **changes)

    assert writer.find(update) is None
    result = writer.write(update, {})

    assert (result.status, result.target_id) == ("updated", update.natural_key)
    customer = writer.client.customers.get(update.natural_key)
    assert customer.email == "billing@harborlights.example"
    assert customer.name == "Harbor Lights Bakery LLC"  # Infor's: left as it was
    financial = writer.client.m3.execute("CRS610MI", "GetFinancial", {"CUNO": update.natural_key})
    assert financial.record["VRNO"] == "01-7654321"
    assert writer.find(update) == WriteResult("unchanged", update.natural_key, result.links)
    assert writer.write(update, {}).status == "unchanged"


# --- customer orders ------------------------------------------------------------------------------


def test_an_order_with_two_lines_is_confirmed_once_and_ships(writer: InforWriter, infor_url: str):
    customer = new_customer(writer)
    op = order_operation(writer, customer, two_lines(writer))

    created = writer.write(op, {customer: customer})
    again = writer.write(op, {customer: customer})
    found = writer.find(op)

    order_number = created.target_id
    assert created.status == "created" and order_number
    assert again == found == WriteResult("unchanged", order_number, created.links)
    assert created.links[0]["entity"] == "invoice"
    assert created.links[0]["freshbooks_id"] == str(op.row["invoice_id"])
    heads = writer.client.orders.list_heads(customer)
    assert [(h.order_number, h.customer_order_number) for h in heads] == [
        (order_number, op.natural_key)
    ]
    lines = writer.client.orders.list_lines(order_number)
    assert [(line.ordered_quantity, line.sales_price) for line in lines] == [
        (Decimal("2"), Decimal("19.95")),
        (Decimal("1"), Decimal("60.00")),
    ]

    shipped = control(infor_url, f"infor/orders/{order_number}/ship")

    assert shipped["ORST"] == "66"
    assert {d.delivery_number for d in writer.client.deliveries.lines_for_order(order_number)} == {
        shipped["DLIX"]
    }


def test_an_unconfirmed_batch_order_is_completed_not_entered_again(writer: InforWriter):
    customer = new_customer(writer)
    lines = two_lines(writer)
    op = order_operation(writer, customer, lines)
    # An earlier attempt entered the head and the first line, then stopped.
    orders = writer.client.orders
    batch = orders.add_batch_head(BatchOrderHead(CUNO=customer, CUOR=op.natural_key))
    orders.add_batch_line(batch, BatchOrderLine.model_validate(lines[0]))

    assert writer.find(op) is None
    calls = m3_calls(writer)
    result = writer.write(op, {customer: customer})

    assert result.status == "created"
    assert calls.count("OIS100MI/AddBatchHead") == 0
    assert calls.count("OIS100MI/AddBatchLine") == 1
    heads = [
        h for h in orders.list_batch_heads(customer) if h.customer_order_number == op.natural_key
    ]
    assert [(h.batch_order_number, h.order_number) for h in heads] == [(batch, result.target_id)]
    assert len(orders.list_lines(result.target_id)) == 2


# --- cash receipts --------------------------------------------------------------------------------


def invoiced_order(writer: InforWriter, infor_url: str) -> tuple[str, dict]:
    """A new customer's order, shipped and invoiced in M3: (customer, the invoice head)."""
    customer = new_customer(writer)
    order = writer.write(order_operation(writer, customer, two_lines(writer)), {})
    control(infor_url, f"infor/orders/{order.target_id}/ship")
    return customer, control(infor_url, f"infor/orders/{order.target_id}/invoice")


def receipt_operation(
    writer: InforWriter,
    customer: str,
    invoiced: dict,
    amount: str,
    booked_alike: str = "",
    *,
    settled: str | None = None,
    difference: dict[str, str] | None = None,
) -> Operation:
    """A sync_infor__cash_receipts row: `amount` received, `settled` on the invoice (the
    amount by default), with a payment-difference detail when one is given."""
    payment_id = new_id()
    statement = f"FBP{payment_id}"
    values = {
        "CONO": "100",
        "DIVI": "AAA",
        "BSTY": "1",
        "STMN": statement,
        "BSID": US_BANK,
        "CUCD": "USD",
        "BLSN": "1",
        "BLLF": amount,
        "CURD": today(writer),
        "ACDT": today(writer),
        "PYNO": customer,
        "AIN1": "Harbor Lights Bakery LLC",
        "ABNO": "ch_3PQRsT",
        "BLSS": "1",
        "CINO": invoiced["IVNO"],
        "INYR": invoiced["YEA4"],
        "BLNF": settled or amount,
        "IRNO": f"FreshBooks payment {payment_id} INV-1",
        "difference_detail": json.dumps(difference) if difference else None,
        "payment_key": f"{ACCOUNT}|{payment_id}",
        "account_id": ACCOUNT,
        "payment_id": payment_id,
        "booked_alike": booked_alike,
    }
    return operation("infor_cash_receipts", statement, values)


def test_a_receipt_reconciles_the_invoiced_order_in_ar(writer: InforWriter, infor_url: str):
    customer, invoiced = invoiced_order(writer, infor_url)
    op = receipt_operation(writer, customer, invoiced, invoiced["AMT1"])
    statement, payment_id = op.natural_key, op.row["payment_id"]
    assert writer.find(op) is None

    created = writer.write(op, {})

    assert (created.status, created.target_id) == ("created", statement)
    assert created.links == [
        {
            "entity": "payment",
            "freshbooks_account_id": ACCOUNT,
            "freshbooks_id": str(payment_id),
            "infor_company": "100",
            "infor_key": statement,
        }
    ]
    (item,) = writer.client.receivables.find_invoice(customer, invoiced["IVNO"])
    assert item.reconciliation_code == "9"
    assert writer.find(op) == WriteResult("unchanged", statement, created.links)
    calls = m3_calls(writer)
    assert writer.write(op, {}).status == "unchanged"
    assert not [call for call in calls if call.startswith("ABS100MI/")]


def test_receipts_of_the_same_amount_and_day_are_told_apart_by_the_ledger_count(
    settings, writer: InforWriter, infor_url: str
):
    """ARS200MI shows a payment item's amount and date, not which statement booked it: two
    part payments of the same amount on the same day are two receipts, each found again by
    counting."""
    customer, invoiced = invoiced_order(writer, infor_url)
    part = "10.00"
    first = receipt_operation(writer, customer, invoiced, part)
    second = receipt_operation(writer, customer, invoiced, part)

    assert writer.write(first, {}).status == "created"
    assert writer.find(first) is not None
    assert writer.find(second) is None  # the one item of that amount is the first's
    assert writer.write(second, {}).status == "created"
    (item,) = writer.client.receivables.find_invoice(customer, invoiced["IVNO"])
    assert item.reconciliation_code != "9"  # two parts of it are paid

    # a later run: the ledger lists the other receipt of that amount and day for each
    both = f"{first.natural_key},{second.natural_key}"
    with InforClient.from_settings(settings) as client:
        later = InforWriter(client)
        for op in (first, second):
            assert later.find(Operation(op.sync, {**op.row, "booked_alike": both})) is not None
        third = receipt_operation(later, customer, invoiced, part, booked_alike=both)
        assert later.find(third) is None


def statement_details(infor_url: str, statement: str) -> list[tuple]:
    """(BLSS, CINO, BLBC, BLNF) of each detail of the posted statement."""
    response = httpx.get(f"{infor_url}/_sandbox/infor/statements/{statement}", timeout=10)
    (posted,) = response.json()["statements"]
    assert posted["BSHS"] == "3"  # validated: processed
    return [(d["BLSS"], d.get("CINO"), d.get("BLBC"), d["BLNF"]) for d in posted["details"]]


@pytest.mark.parametrize("difference", ["0.40", "-0.50"], ids=["over", "under"])
def test_a_payment_within_the_tolerance_settles_the_invoice_and_books_the_difference(
    settings, writer: InforWriter, infor_url: str, difference: str
):
    customer, invoiced = invoiced_order(writer, infor_url)
    open_amount = Decimal(invoiced["AMT1"])
    received = str(open_amount + Decimal(difference))
    detail = {"BLSN": "1", "BLSS": "2", "BLBC": "PAYDIF", "BLNF": difference, "BLTX": "Difference"}
    op = receipt_operation(
        writer, customer, invoiced, received, settled=str(open_amount), difference=detail
    )
    assert writer.find(op) is None

    created = writer.write(op, {})

    assert (created.status, created.target_id) == ("created", op.natural_key)
    (item,) = writer.client.receivables.find_invoice(customer, invoiced["IVNO"])
    assert item.reconciliation_code == "9"
    assert statement_details(infor_url, op.natural_key) == [
        ("1", invoiced["IVNO"], None, str(open_amount)),
        ("2", None, "PAYDIF", difference),
    ]
    # a retry, in this run or a later one: the booked receipt is found, nothing is written
    calls = m3_calls(writer)
    assert writer.find(op) == WriteResult("unchanged", op.natural_key, created.links)
    assert writer.write(op, {}).status == "unchanged"
    assert not [call for call in calls if call.startswith("ABS100MI/")]
    with InforClient.from_settings(settings) as client:
        assert InforWriter(client).find(op) == WriteResult(
            "unchanged", op.natural_key, created.links
        )


def test_a_difference_detail_that_does_not_balance_the_line_is_refused_before_any_request(
    writer: InforWriter, infor_url: str
):
    customer, invoiced = invoiced_order(writer, infor_url)
    detail = {"BLSN": "1", "BLSS": "2", "BLBC": "PAYDIF", "BLNF": "0.40"}
    received = str(Decimal(invoiced["AMT1"]) + Decimal("0.50"))
    op = receipt_operation(
        writer, customer, invoiced, received, settled=invoiced["AMT1"], difference=detail
    )
    calls = m3_calls(writer)

    with pytest.raises(M3InputRejected) as err:
        writer.write(op, {})

    assert "must add up to the line amount BLLF" in str(err.value)
    assert calls == []


# --- GL journals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "local"), [("USD", True), ("CAD", False)], ids=["local", "foreign-cuam-only"]
)
def test_a_gl_journal_posts_balanced_and_reads_back(
    writer: InforWriter, currency: str, local: bool
):
    op = journal_operation(writer, currency=currency, local=local)
    key = op.natural_key

    created = writer.write(op, {})

    assert (created.status, created.target_id) == ("created", key)
    assert created.links[0]["entity"] == "expense"
    ledger = writer.client.general_ledger
    day = ledger.server_time().date
    posted = [
        v for v in ledger.vouchers_between(day, day) if (v.voucher_text or "").startswith(key)
    ]
    assert sorted((v.account, v.foreign_amount, v.currency) for v in posted) == [
        ("2300", Decimal("-125.40"), currency),
        ("6600", Decimal("125.40"), currency),
    ]
    lines = ledger.voucher_lines(posted[0].year, posted[0].voucher_number)
    assert sum(line.amount for line in lines) == Decimal("0")
    assert writer.find(op) == WriteResult("unchanged", key, created.links)
    assert writer.write(op, {}).status == "unchanged"


def test_a_gl_batch_opened_by_an_earlier_attempt_is_completed_and_posted(writer: InforWriter):
    op = journal_operation(writer)
    key = op.natural_key
    ledger = writer.client.general_ledger
    ledger.add_batch_head(key, GL_INTERFACE, "opened, then the attempt stopped")
    first_line = build_input(JournalLineInput, json.loads(op.row["lines"])[0])
    ledger.add_batch_line(key, first_line)

    assert writer.find(op) is None
    assert writer.write(op, {}).status == "created"
    assert writer.find(op) is not None


@pytest.mark.parametrize(
    ("account", "code", "text"),
    [("9999", "XIM0002", "9999 does not exist"), ("6990", "XBL0001", "6990 is blocked")],
    ids=["unknown", "blocked"],
)
def test_an_account_m3_refuses_is_a_typed_error_with_its_code_and_message(
    writer: InforWriter, account: str, code: str, text: str
):
    op = journal_operation(writer, debit=account)

    with pytest.raises(M3ValidationError) as refused:
        writer.write(op, {})

    assert (refused.value.error_code, refused.value.error_field) == (code, "AIT1")
    assert text in refused.value.error_message
    assert refused.value.status == 200  # M3 answered: not our own validation


# --- validation before sending --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "field", "message"),
    [
        (lambda w: customer_operation(CUNM="N" * 40), "CUNM", "CUNM is 40 characters long"),
        (
            lambda w: journal_operation(w, amount="125.40", credit_amount="120.00"),
            "lines",
            "lines do not balance in voucher group 1: debit 125.40, credit 120.00",
        ),
        (
            lambda w: order_operation(w, "FB10000001", [{"ITNO": "X", "ORQT": "two"}]),
            "ORQT",
            "ORQT is not valid (input should be a valid decimal), got 'two' (line 1)",
        ),
    ],
    ids=["customer-name-too-long", "unbalanced-journal", "order-quantity-not-a-number"],
)
def test_an_invalid_payload_is_refused_before_any_request(
    writer: InforWriter, build, field: str, message: str
):
    op = build(writer)
    calls = m3_calls(writer)

    with pytest.raises(ValidationFailed) as refused:
        writer.write(op, {})

    assert calls == []
    assert isinstance(refused.value, M3InputRejected)
    assert refused.value.status is None  # never sent: the runner dead-letters it at once
    assert refused.value.field == field
    assert message in str(refused.value)

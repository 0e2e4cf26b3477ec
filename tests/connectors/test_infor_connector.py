"""The Infor M3 connector against its emulator: ION auth, reads, paging, errors, flows, faults."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import parse_qs

import httpx
import pytest
from conftest import clear_faults, inject_faults, reset_emulator

from ledgerlink.connectors.infor import (
    InforClient,
    M3AlreadyExists,
    M3Client,
    M3Error,
    M3InputRejected,
    M3NotFound,
    M3ValidationError,
)
from ledgerlink.connectors.infor.errors import M3Unavailable
from ledgerlink.connectors.infor.inputs import (
    BatchOrderHead,
    BatchOrderLine,
    CustomerBasicData,
    CustomerOrderInfo,
    JournalLine,
    NewCustomer,
    StatementDetail,
    StatementHead,
    StatementLine,
)
from ledgerlink.errors import OutcomeUnknown

pytestmark = pytest.mark.integration

GL_INTERFACE = "FBEXPENSE"
US_BANK = "US-OPERATING"


@pytest.fixture
def infor_url(sandbox: dict) -> str:
    # Fail, never skip: these tests must run wherever the sandbox runs.
    assert "infor" in sandbox["urls"], "the sandbox did not start the Infor emulator"
    return sandbox["urls"]["infor"]


@pytest.fixture
def client(settings, infor_url: str) -> Iterator[InforClient]:
    with InforClient.from_settings(settings) as infor:
        yield infor
    clear_faults(infor_url)
    httpx.delete(f"{infor_url}/_sandbox/infor/faults", timeout=10).raise_for_status()


def counts(url: str) -> dict[str, int]:
    return httpx.get(f"{url}/_sandbox/infor/counts", timeout=10).json()


def sandbox_requests(url: str) -> int:
    return httpx.get(f"{url}/_sandbox/stats", timeout=10).json().get("requests", 0)


def control(url: str, path: str, body: dict | None = None) -> dict:
    response = httpx.post(f"{url}/_sandbox/{path}", json=body or {}, timeout=30)
    response.raise_for_status()
    return response.json()


def unique(prefix: str, length: int = 15) -> str:
    return f"{prefix}{uuid.uuid4().hex}"[:length].upper()


# --- reads and paging -----------------------------------------------------------------------------


def test_customers_page_by_start_key_without_gaps_or_repeats(client: InforClient, infor_url: str):
    reset_emulator(infor_url)
    expected = counts(infor_url)["customers"]
    whole = client.m3.execute("CRS610MI", "LstByNumber", maxrecs=0).records
    paged = list(client.customers.list_customers(page_size=7))
    numbers = [c.customer_number for c in paged]
    assert len(paged) == len(whole) == expected
    assert numbers == sorted(set(numbers)) == [r["CUNO"] for r in whole]
    assert all(c.name for c in paged)


def test_items_page_by_item_number(client: InforClient, infor_url: str):
    expected = counts(infor_url)["items"]
    items = list(client.items.list_items(page_size=9))
    assert len(items) == expected
    assert len({i.item_number for i in items}) == expected


def test_incremental_customers_by_lmts(client: InforClient, infor_url: str):
    reset_emulator(infor_url)
    cursor = client.customers.server_time().lmts
    assert cursor is not None
    assert list(client.customers.records(changed_since=cursor)) == []
    some = next(client.customers.list_customers(page_size=5))
    client.customers.change_basic_data(
        CustomerBasicData(customer_number=some.customer_number, your_reference="Changed by test")
    )
    changed = list(client.customers.list_customers(changed_since=cursor))
    assert [c.customer_number for c in changed] == [some.customer_number]
    assert changed[0].your_reference == "Changed by test"
    next_cursor = client.customers.server_time().lmts
    assert next_cursor > cursor
    assert list(client.customers.records(changed_since=next_cursor)) == []


def test_add_customer_then_read_it_back(client: InforClient):
    number = unique("T", 10)
    created = client.customers.add(
        NewCustomer(
            template="TPLUSD",
            customer_number=number,
            name="Acme Test Corporation",
            address_1="1 Main St",
            town="Austin",
            state="TX",
            postal_code="73301",
            email="ap@acme.test",
        )
    )
    assert created == number
    customer = client.customers.get(number)
    assert customer is not None
    assert (customer.name, customer.town, customer.email, customer.currency) == (
        "Acme Test Corporation",
        "Austin",
        "ap@acme.test",
        "USD",
    )
    with pytest.raises(M3AlreadyExists) as duplicate:
        client.customers.add(
            NewCustomer(template="TPLUSD", customer_number=number, name="X", address_1="Y")
        )
    assert duplicate.value.error_field == "CUNO"


# --- typed errors ---------------------------------------------------------------------------------


def test_missing_record_is_a_typed_error_from_results_on_http_200(client: InforClient):
    assert client.customers.get("NOSUCHCUST") is None
    with pytest.raises(M3NotFound) as caught:
        client.m3.execute("CRS610MI", "GetBasicData", {"CUNO": "NOSUCHCUST"})
    error = caught.value
    assert error.status == 200
    assert error.error_field == "CUNO"
    assert error.error_code
    assert "NOSUCHCUST" in error.error_message and "does not exist" in error.error_message


def test_refused_request_is_a_typed_error_from_the_top_level_on_http_400(client: InforClient):
    with pytest.raises(M3Error) as unknown_transaction:
        client.m3.execute("CRS610MI", "NoSuchTransaction")
    assert unknown_transaction.value.status == 400
    assert unknown_transaction.value.error_code
    assert "NoSuchTransaction" in unknown_transaction.value.error_message
    # Without the local contract check the emulator itself refuses an unknown field.
    unchecked = M3Client(client.m3.http, cono="100", divi="AAA", check_inputs=False)
    with pytest.raises(M3ValidationError) as unknown_field:
        unchecked.execute("CRS610MI", "GetBasicData", {"CUNO": "C100000", "EMAL": "x@y.z"})
    assert (unknown_field.value.status, unknown_field.value.error_field) == (400, "EMAL")


def test_field_errors_keep_m3_code_field_and_message(client: InforClient):
    unchecked = M3Client(client.m3.http, cono="100", divi="AAA", check_inputs=False)
    with pytest.raises(M3ValidationError) as too_long:
        unchecked.execute("CRS610MI", "GetBasicData", {"CUNO": "X" * 11})
    assert too_long.value.status == 200
    assert too_long.value.error_field == "CUNO"
    assert too_long.value.error_code and too_long.value.error_message


def test_contract_check_stops_an_invalid_input_before_it_is_sent(
    client: InforClient, infor_url: str
):
    client.customers.server_time()  # token fetched: only the M3 call could still be counted
    before = sandbox_requests(infor_url)
    with pytest.raises(M3InputRejected, match="CUNM is 40 characters long"):
        client.customers.add(NewCustomer(template="TPLUSD", name="N" * 40, address_1="1 Main St"))
    assert sandbox_requests(infor_url) == before


def test_scripted_m3_fault_arrives_typed(client: InforClient, infor_url: str):
    control(
        infor_url,
        "infor/faults",
        {
            "program": "CRS610MI",
            "transaction": "ChgBasicData",
            "errorCode": "WCU0101",
            "errorMessage": "Customer name is invalid",
            "field": "CUNM",
        },
    )
    with pytest.raises(M3ValidationError) as caught:
        client.customers.change_basic_data(CustomerBasicData(customer_number="C100000", name="X"))
    assert (caught.value.error_code, caught.value.error_field) == ("WCU0101", "CUNM")
    assert caught.value.error_message == "Customer name is invalid"


def test_a_missing_customer_is_not_found_in_either_wording(client: InforClient, infor_url: str):
    # Real M3 answers a missing key on a Get with `XIM0002 "Customer number is invalid"`.
    for transaction in ("GetBasicData", "GetFinancial", "GetOrderInfo"):
        control(
            infor_url,
            "infor/faults",
            {
                "program": "CRS610MI",
                "transaction": transaction,
                "errorCode": "XIM0002",
                "errorMessage": "Customer number is invalid",
                "field": "CUNO",
                "when": {"CUNO": "FB99999"},
            },
        )
    assert client.customers.get("FB99999") is None
    for transaction in ("GetFinancial", "GetOrderInfo"):
        with pytest.raises(M3NotFound) as caught:
            client.m3.execute("CRS610MI", transaction, {"CUNO": "FB99999"})
        assert str(caught.value) == (
            f"CRS610MI/{transaction}: Customer number is invalid [XIM0002, field CUNO]"
        )
    # and in the sandbox's own wording, with no fault armed
    assert client.customers.get("FB99998") is None
    assert client.customers.get_basic_data("FB99998") is None
    assert client.customers.get_financial("FB99998") is None
    assert client.customers.get_order_info("FB99998") is None


def test_a_missing_customer_has_no_batch_orders(client: InforClient, infor_url: str):
    control(
        infor_url,
        "infor/faults",
        {
            "program": "OIS100MI",
            "transaction": "LstBatchHead",
            "errorCode": "XIM0002",
            "errorMessage": "Customer number is invalid",
            "field": "CUNO",
        },
    )
    with pytest.raises(M3NotFound):
        client.orders.list_batch_heads("FB99999")


def test_501_is_a_definite_refusal_with_the_gateways_words(client: InforClient, infor_url: str):
    client.customers.server_time()
    inject_faults(infor_url, {"kind": "status", "status": 501, "count": 2, "path": "OrderInfo"})
    with pytest.raises(M3Unavailable) as read:
        client.m3.execute("CRS610MI", "GetOrderInfo", {"CUNO": "C100000"})
    assert str(read.value) == "CRS610MI/GetOrderInfo: Not Implemented [HTTP 501]"
    with pytest.raises(M3Unavailable) as write:  # not OutcomeUnknown: nothing was applied
        client.customers.change_order_info(CustomerOrderInfo(CUNO="C100000", TEPY="30"))
    assert write.value.status == 501 and write.value.transaction == "ChgOrderInfo"
    assert fired(infor_url) == 2  # neither was repeated


def test_bulk_keeps_a_result_per_transaction(client: InforClient):
    bulk = client.m3.bulk(
        "CRS610MI",
        [
            ("GetBasicData", {"CUNO": "C100000"}),
            ("GetBasicData", {"CUNO": "NOSUCHCUST"}),
            ("GetBasicData", {"CUNO": "C100001"}),
        ],
    )
    assert (bulk.successful, bulk.failed) == (2, 1)
    assert bulk.results[0].record["CUNO"] == "C100000"
    assert isinstance(bulk.results[1].error, M3NotFound)
    assert bulk.results[2].record["CUNO"] == "C100001"


# --- ION tokens -----------------------------------------------------------------------------------


def count_grants(client: InforClient) -> list[str]:
    grants: list[str] = []

    def seen(request: httpx.Request) -> None:
        if request.url.path.endswith("/token.oauth2"):
            grants.append(parse_qs(request.content.decode())["grant_type"][0])

    client.tokens.http.event_hooks["request"].append(seen)
    return grants


def test_expired_token_gets_one_refresh_and_the_call_succeeds(client: InforClient, infor_url: str):
    grants = count_grants(client)
    client.customers.get("C100000")
    control(infor_url, "tokens/expire")
    assert client.customers.get("C100000") is not None
    assert grants == ["password", "refresh_token"]
    control(infor_url, "tokens/expire", {"refresh_tokens": True})
    assert client.customers.get("C100000") is not None
    assert grants == ["password", "refresh_token", "refresh_token", "password"]


def test_token_is_cached_across_clients(settings, infor_url: str):
    with InforClient.from_settings(settings) as first:
        first.customers.server_time()
        token = first.tokens.access_token()
    with InforClient.from_settings(settings) as second:
        grants = count_grants(second)
        second.customers.server_time()
        assert second.tokens.access_token() == token
    assert grants == []


def test_secrets_stay_out_of_logs(client: InforClient, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG, logger="ledgerlink")
    client.customers.get("C100000")
    credentials = client.credentials
    secrets = [
        credentials.cs.get_secret_value(),
        credentials.sask.get_secret_value(),
        credentials.saak.get_secret_value(),
        client.tokens.access_token(),
    ]
    assert caplog.records, "expected the HTTP policy to log its calls"
    for secret in secrets:
        assert secret not in caplog.text


# --- order to cash --------------------------------------------------------------------------------


def usd_customer(client: InforClient) -> str:
    for customer in client.customers.list_customers(page_size=50):
        if customer.currency == "USD" and customer.status == "20":
            return customer.customer_number
    raise AssertionError("the sandbox has no active USD customer")


def sellable_items(client: InforClient, count: int) -> list[str]:
    items = [i.item_number for i in client.items.list_items() if i.status != "90"]
    assert len(items) >= count
    return items[:count]


def test_order_to_cash_through_the_connector(client: InforClient, infor_url: str):
    customer = usd_customer(client)
    first_item, second_item = sellable_items(client, 2)
    cuor = unique("FB-INV-", 20)

    order = client.orders.create(
        BatchOrderHead(customer_number=customer, customer_order_number=cuor),
        [
            BatchOrderLine(
                item_number=first_item, quantity=Decimal("2"), sales_price=Decimal("19.95")
            ),
            BatchOrderLine(
                item_number=second_item, quantity=Decimal("1"), sales_price=Decimal("60.00")
            ),
        ],
    )
    (head,) = [h for h in client.orders.list_heads(customer) if h.customer_order_number == cuor]
    assert head.order_number == order.order_number
    assert head.highest_status == order.status
    lines = client.orders.list_lines(order.order_number)
    assert [(line.item_number, line.ordered_quantity) for line in lines] == [
        (first_item, Decimal("2")),
        (second_item, Decimal("1")),
    ]
    found = client.orders.find_by_customer_order_number(customer, cuor)
    assert found is not None and found.order_number == order.order_number
    batches = client.orders.list_batch_heads(customer)
    assert [b.order_number for b in batches if b.customer_order_number == cuor] == [
        order.order_number
    ]

    shipped = control(infor_url, f"infor/orders/{order.order_number}/ship")
    delivery_lines = client.deliveries.lines_for_order(order.order_number)
    assert {d.delivery_number for d in delivery_lines} == {shipped["DLIX"]}

    invoiced = control(infor_url, f"infor/orders/{order.order_number}/invoice")
    number, year, amount = invoiced["IVNO"], int(invoiced["YEA4"]), Decimal(invoiced["AMT1"])
    (open_item,) = client.receivables.find_invoice(customer, number)
    assert not open_item.is_paid
    by_payer = client.receivables.list_for_payer(customer)
    assert [(i.invoice_year, i.amount) for i in by_payer if i.invoice_number == number] == [
        (year, amount)
    ]

    cash = client.cash_receipts
    job = cash.add_head(
        StatementHead(
            statement_type=1,
            statement_number=unique("ST"),
            bank_identifier=US_BANK,
            currency="USD",
        )
    )
    cash.add_line(
        job, StatementLine(sequence=1, amount=amount, payer=customer, bank_reference=cuor)
    )
    cash.add_detail(
        job,
        StatementDetail(
            sequence=1, sub_sequence=1, invoice_number=number, invoice_year=year, net_amount=amount
        ),
    )
    cash.validate(job)
    assert job.job_number
    (paid_item,) = client.receivables.find_invoice(customer, number)
    assert paid_item.is_paid and paid_item.reconciliation_code == "9"
    transactions = client.receivables.invoice_transactions(customer, customer, number, year)
    assert sorted((i.transaction_code, i.amount) for i in transactions) == [
        ("10", amount),
        ("20", -amount),
    ]


def test_an_unconfirmed_batch_order_is_found_by_its_customer_order_number(client: InforClient):
    """After an unknown outcome of AddBatchHead, the caller looks the batch up instead of
    entering the order twice, and reads which lines it already has."""
    customer = usd_customer(client)
    item = sellable_items(client, 1)[0]
    cuor = unique("FB-INV-", 20)
    batch_number = client.orders.add_batch_head(
        BatchOrderHead(customer_number=customer, customer_order_number=cuor)
    )
    client.orders.add_batch_line(batch_number, BatchOrderLine(item_number=item, quantity=3))
    assert client.orders.find_by_customer_order_number(customer, cuor) is None
    (batch,) = [
        b for b in client.orders.list_batch_heads(customer) if b.customer_order_number == cuor
    ]
    assert (batch.batch_order_number, batch.is_confirmed) == (batch_number, False)
    (line,) = client.orders.list_batch_lines(batch_number)
    assert (line.item_number, line.ordered_quantity) == (item, Decimal("3"))


def test_every_read_wrapper_answers_typed_records(client: InforClient, infor_url: str):
    reset_emulator(infor_url)
    customer = usd_customer(client)
    heads = client.orders.list_heads(customer)
    assert heads and all(h.order_number for h in heads)
    invoiced = [h for h in heads if h.highest_status == "77"]
    assert invoiced, "the seed has invoiced orders for every customer with history"
    items = client.receivables.list_for_customer(customer)
    assert items and all(i.invoice_number and i.year for i in items)
    open_items = client.receivables.list_for_customer(customer, open_only=True)
    assert len(open_items) < len(items)
    assert not any(i.is_paid for i in open_items)

    accounts = list(client.accounts.list_accounts(page_size=4))
    assert len(accounts) == len(
        client.m3.execute("CRS630MI", "LstAccountID", {"AITP": 1}, maxrecs=0)
    )
    assert any(a.blocked for a in accounts)

    suppliers = client.suppliers.list_suppliers()
    assert suppliers and all(s.supplier_number and s.name for s in suppliers)
    assert client.suppliers.list_suppliers(changed_since=client.suppliers.server_time().lmts) == []


# --- GL journal -----------------------------------------------------------------------------------


def journal(lines: list[tuple[str, str, str]], text: str, day) -> list[JournalLine]:
    return [
        JournalLine(
            line=n,
            record_identity="1",
            group="1",
            account=account,
            amount=Decimal(amount),
            debit_credit=side,
            accounting_date=day,
            currency="USD",
            voucher_text=text,
        )
        for n, (account, amount, side) in enumerate(lines, start=1)
    ]


def test_balanced_gl_batch_is_posted_and_read_back(client: InforClient):
    day = client.general_ledger.server_time().date
    key, text = unique("FB-EXP-"), unique("Test expense ", 30)
    client.general_ledger.post_journal(
        key,
        GL_INTERFACE,
        "FreshBooks expenses",
        journal([("6600", "125.40", "D"), ("1010", "125.40", "C")], text, day),
    )
    posted = [v for v in client.general_ledger.vouchers_between(day, day) if v.voucher_text == text]
    assert sorted((v.account, v.amount, v.debit_credit) for v in posted) == [
        ("1010", Decimal("-125.40"), "C"),
        ("6600", Decimal("125.40"), "D"),
    ]
    voucher = posted[0]
    lines = client.general_ledger.voucher_lines(voucher.year, voucher.voucher_number)
    assert sum(line.amount for line in lines) == Decimal("0")
    with pytest.raises(M3AlreadyExists):
        client.general_ledger.add_batch_head(key, GL_INTERFACE, "the same batch again")


def test_unbalanced_gl_batch_is_refused_at_control(client: InforClient):
    day = client.general_ledger.server_time().date
    key = unique("FB-EXP-")
    client.general_ledger.add_batch_head(key, GL_INTERFACE, "Unbalanced")
    for line in journal([("6600", "100.00", "D"), ("1010", "90.00", "C")], "unbalanced", day):
        client.general_ledger.add_batch_line(key, line)
    with pytest.raises(M3Error) as caught:
        client.general_ledger.control_batch(key)
    assert caught.value.status == 200
    assert caught.value.error_code
    assert "balanc" in caught.value.error_message.lower()


def test_unknown_gl_account_is_a_validation_error(client: InforClient):
    day = client.general_ledger.server_time().date
    key = unique("FB-EXP-")
    client.general_ledger.add_batch_head(key, GL_INTERFACE, "Unknown account")
    (line,) = journal([("9999", "10.00", "D")], "unknown account", day)
    with pytest.raises(M3ValidationError) as caught:
        client.general_ledger.add_batch_line(key, line)
    assert caught.value.error_field == "AIT1"
    accounts = {a.account: a for a in client.accounts.list_accounts()}
    assert "9999" not in accounts
    assert accounts["6600"].description == "Travel"


# --- faults, handled by the one HTTP policy -------------------------------------------------------


def fired(url: str) -> int:
    rules = httpx.get(f"{url}/_sandbox/faults", timeout=10).json()["rules"]
    return sum(rule["fired"] for rule in rules)


def test_server_errors_on_reads_are_retried(client: InforClient, infor_url: str):
    expected = counts(infor_url)["customers"]
    client.customers.server_time()
    inject_faults(infor_url, {"kind": "status", "status": 503, "count": 2, "path": "LstByNumber"})
    assert len(list(client.customers.list_customers(page_size=100))) == expected
    assert fired(infor_url) == 2


def test_rate_limit_and_dropped_connections_on_reads_are_retried(
    client: InforClient, infor_url: str
):
    client.customers.server_time()
    inject_faults(
        infor_url,
        {"kind": "status", "status": 429, "retry_after": 1, "count": 1, "path": "GetBasicData"},
        {"kind": "drop", "count": 1, "path": "GetBasicData"},
    )
    assert client.customers.get("C100000") is not None
    assert fired(infor_url) == 2


def test_a_write_is_never_repeated_blindly(client: InforClient, infor_url: str):
    client.customers.server_time()
    before = client.customers.get("C100000")
    inject_faults(infor_url, {"kind": "status", "status": 503, "count": 1, "path": "ChgBasicData"})
    with pytest.raises(OutcomeUnknown):
        client.customers.change_basic_data(
            CustomerBasicData(customer_number="C100000", your_reference="Never applied")
        )
    assert fired(infor_url) == 1
    assert client.customers.get("C100000").your_reference == before.your_reference
    inject_faults(infor_url, {"kind": "drop", "count": 1, "path": "ChgBasicData"})
    with pytest.raises(OutcomeUnknown):
        client.customers.change_basic_data(
            CustomerBasicData(customer_number="C100000", your_reference="Dropped")
        )


def test_a_write_meeting_429_is_retried_because_it_was_not_processed(
    client: InforClient, infor_url: str
):
    client.customers.server_time()
    inject_faults(
        infor_url,
        {"kind": "status", "status": 429, "retry_after": 0, "count": 1, "path": "ChgBasicData"},
    )
    client.customers.change_basic_data(
        CustomerBasicData(customer_number="C100000", your_reference="After a 429")
    )
    assert client.customers.get("C100000").your_reference == "After a 429"

"""The FreshBooks writer against its emulator: idempotent creates, 409s, voids, sent state."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from conftest import reset_emulator

from ledgerlink.connectors.freshbooks import FreshBooksClient, FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.client import Search
from ledgerlink.connectors.freshbooks.models import Invoice
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from ledgerlink.errors import Conflict, ValidationFailed
from reverse_etl.definitions import load_syncs
from reverse_etl.operations import DIFFERS, Operation, WriteResult, onto_existing
from reverse_etl.writers.freshbooks import FreshBooksWriter, InvoiceNumberTaken

pytestmark = pytest.mark.integration

SYNCS = {sync.name: sync for sync in load_syncs()}


# --- rows shaped like the sync models ---------------------------------------------------------


def operation(sync: str, entity: str, natural_key: str, op: str, **payload) -> Operation:
    row = {
        "sync_key": f"{entity}:{natural_key}:{op}",
        "target": "freshbooks",
        "entity": entity,
        "natural_key": natural_key,
        "operation": op,
        "depends_on": payload.pop("depends_on", None),
        "content_hash": "test",
        **payload,
    }
    return Operation(sync=SYNCS[sync], row=row)


def client_create(email: str | None, /, **changes) -> Operation:
    payload = {
        "email": email,
        "fname": "Ada",
        "lname": "Lovelace",
        "organization": "Analytical Engines Ltd",
        "bus_phone": "+44 20 7946 0000",
        "p_street": "12 Marylebone Road",
        "p_street2": None,
        "p_city": "London",
        "p_province": None,
        "p_code": "NW1 5LR",
        "p_country": "United Kingdom",
        "currency_code": "USD",
        "source_system": "shop",
        "shop_customer_id": "7001",
        "client_id": None,
        "customer_number": None,
    }
    return operation("freshbooks_clients", "clients", email or "", "create", **(payload | changes))


LINES = [
    {
        "type": 0,
        "name": "Walnut desk",
        "description": "DESK-01",
        "qty": "2",
        "unit_cost": {"amount": "449.95", "code": "USD"},
        "taxName1": "Sales tax",
        "taxAmount1": "8.25",
        "taxName2": "",
        "taxAmount2": "0",
    },
    {
        "type": 0,
        "name": "Discount",
        "description": "Walnut desk",
        "qty": "1",
        "unit_cost": {"amount": "-45.00", "code": "USD"},
        "taxName1": "Sales tax",
        "taxAmount1": "8.25",
        "taxName2": "",
        "taxAmount2": "0",
    },
    {
        "type": 0,
        "name": "Shipping",
        "description": "",
        "qty": "1",
        "unit_cost": {"amount": "12.30", "code": "USD"},
        "taxName1": "",
        "taxAmount1": "0",
        "taxName2": "",
        "taxAmount2": "0",
    },
]


def invoice_create(number: str, *, customerid=None, depends_on=None, lines=LINES) -> Operation:
    return operation(
        "freshbooks_invoices",
        "invoices",
        number,
        "create",
        depends_on=depends_on,
        customerid=customerid,
        create_date="2026-03-02",
        invoice_number=number,
        currency_code="USD",
        notes=f"Shop order #{number.removeprefix('SHOP-')}",
        lines=None if lines is None else json.dumps(lines),
        vis_state=None,
        order_id=f"order-{number}",
        order_name=f"#{number.removeprefix('SHOP-')}",
    )


def invoice_void(number: str) -> Operation:
    return operation(
        "freshbooks_invoices", "invoices", number, "void", customerid=None, invoice_number=None,
        lines=None, vis_state=1, order_id=f"order-{number}",
    )  # fmt: skip


def invoice_status(
    number: str,
    invoice_id: str | None,
    po_number: str,
    *,
    mark_sent: bool | None = True,
    read_po_number: str | None = None,
) -> Operation:
    """A row of sync_freshbooks__invoice_status; `read_po_number` is the po_number the plan read
    (its `before_values`)."""
    before = {"action_mark_as_sent": not mark_sent, "po_number": read_po_number}
    return operation(
        "freshbooks_invoice_status", "invoice_status", number, "update", invoiceid=invoice_id,
        action_mark_as_sent=mark_sent, po_number=po_number, invoice_number=number,
        before_values=json.dumps(before),
    )  # fmt: skip


def push(writer: FreshBooksWriter, op: Operation, parent_ids=None) -> WriteResult:
    """What the runner does for an intent whose outcome is unknown: look, then write."""
    found = writer.find(op)
    if found is not None and found.status == "unchanged":
        return found
    if found is not None and found.status == DIFFERS:
        op = onto_existing(op, found.target_id)
    return writer.write(op, parent_ids or {})


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fb_url(sandbox: dict) -> str:
    url = sandbox["urls"]["freshbooks"]
    reset_emulator(url)  # once: every test below uses its own e-mails and invoice numbers
    return url


@pytest.fixture
def api(settings, fb_url: str) -> Iterator[FreshBooksClient]:
    tokens = FreshBooksTokenManager(settings)
    authorize_headless(settings, tokens)
    with FreshBooksClient.from_settings(settings, tokens) as client:
        yield client


@pytest.fixture
def requests(api: FreshBooksClient) -> list[httpx.Request]:
    """Every request the client sends from now on."""
    sent: list[httpx.Request] = []
    api.http.event_hooks["request"].append(sent.append)
    return sent


@pytest.fixture
def writer(api: FreshBooksClient) -> FreshBooksWriter:
    return FreshBooksWriter(api, infor_company="100")


def invoices_numbered(api: FreshBooksClient, number: str, vis_state: int | None = None) -> int:
    return api.count(
        "invoices", search=Search(vis_state=vis_state, extra={"invoice_number": number})
    )


def new_client(writer: FreshBooksWriter, email: str) -> str:
    return writer.write(client_create(email), {}).target_id


# --- clients -----------------------------------------------------------------------------------


def test_a_client_create_pushed_twice_makes_one_client(
    api: FreshBooksClient, writer: FreshBooksWriter
):
    op = client_create("ada.twice@example.org")
    assert writer.find(op) is None
    first = writer.write(op, {})
    assert first.status == "created"
    assert first.links == [
        {
            "entity": "customer",
            "freshbooks_account_id": api.account_id,
            "freshbooks_id": first.target_id,
            "shop_id": "7001",
        }
    ]
    # After an unknown outcome the runner looks first; even a blind second write looks first.
    assert push(writer, op).status == "unchanged"
    again = writer.write(op, {})
    assert (again.status, again.target_id) == ("unchanged", first.target_id)
    assert api.count("clients", search=Search(extra={"email": "ada.twice@example.org"})) == 1

    moved = client_create("ADA.twice@example.org", p_city="Manchester")
    found = writer.find(moved)
    assert (found.status, found.target_id) == (DIFFERS, first.target_id)
    assert push(writer, moved).status == "updated"
    assert api.get("clients", int(first.target_id)).p_city == "Manchester"
    assert api.count("clients", search=Search(extra={"email": "ada.twice@example.org"})) == 1


def test_a_client_update_links_the_infor_customer(api: FreshBooksClient, writer: FreshBooksWriter):
    client_id = new_client(writer, "grace.update@example.org")
    update = operation(
        "freshbooks_clients", "clients", client_id, "update", organization="Hopper Compilers Inc",
        p_city="Arlington", source_system="infor", client_id=client_id, customer_number="C10042",
    )  # fmt: skip
    assert writer.find(update).status == DIFFERS
    result = writer.write(update, {})
    assert (result.status, result.target_id) == ("updated", client_id)
    assert result.links[0] | {"freshbooks_account_id": None} == {
        "entity": "customer",
        "freshbooks_account_id": None,
        "freshbooks_id": client_id,
        "infor_key": "C10042",
        "infor_company": "100",
    }
    client = api.get("clients", int(client_id))
    assert (client.organization, client.p_city, client.fname) == (
        "Hopper Compilers Inc",
        "Arlington",
        "Ada",  # fields the row leaves null are not sent
    )
    assert writer.find(update).status == "unchanged"


# --- invoices ----------------------------------------------------------------------------------


def test_an_invoice_takes_its_new_client_from_parent_ids_with_exact_money(
    api: FreshBooksClient, writer: FreshBooksWriter
):
    email = "buyer.990101@example.org"
    client_id = new_client(writer, email)
    op = invoice_create("SHOP-990101", depends_on=email)
    result = writer.write(op, {email: client_id})
    assert result.status == "created"
    assert result.links[0]["shop_id"] == "order-SHOP-990101"

    invoice = api.get("invoices", int(result.target_id))
    assert isinstance(invoice, Invoice)
    assert (invoice.invoice_number, invoice.customerid) == ("SHOP-990101", int(client_id))
    assert str(invoice.create_date) == "2026-03-02"
    assert invoice.notes == "Shop order #990101"
    assert [(line.name, line.qty, line.unit_cost.amount) for line in invoice.lines] == [
        ("Walnut desk", Decimal("2"), Decimal("449.95")),
        ("Discount", Decimal("1"), Decimal("-45.00")),
        ("Shipping", Decimal("1"), Decimal("12.30")),
    ]
    assert invoice.lines[0].taxName1 == "Sales tax"
    assert invoice.lines[0].taxAmount1 == Decimal("8.25")
    # 899.90 - 45.00 = 854.90, taxed at 8.25 % (70.53), plus 12.30 shipping
    assert invoice.amount.amount == Decimal("937.73")


def test_the_same_invoice_again_is_unchanged_and_never_a_second_invoice(
    api: FreshBooksClient, writer: FreshBooksWriter
):
    client_id = new_client(writer, "buyer.990102@example.org")
    op = invoice_create("SHOP-990102", customerid=int(client_id))
    created = writer.write(op, {})
    found = writer.find(op)
    assert (found.status, found.target_id) == ("unchanged", created.target_id)
    assert push(writer, op).status == "unchanged"
    # A blind retry gets FreshBooks' 409, reads the invoice and finds it identical.
    again = writer.write(op, {})
    assert (again.status, again.target_id) == ("unchanged", created.target_id)
    assert invoices_numbered(api, "SHOP-990102") == 1


def test_an_invoice_number_held_by_different_content_is_reported_then_written_over(
    api: FreshBooksClient, writer: FreshBooksWriter
):
    client_id = new_client(writer, "buyer.990103@example.org")
    created = writer.write(invoice_create("SHOP-990103", customerid=int(client_id)), {})
    repriced = [LINES[0] | {"unit_cost": {"amount": "399.95", "code": "USD"}}, *LINES[1:]]
    changed = invoice_create("SHOP-990103", customerid=int(client_id), lines=repriced)

    with pytest.raises(InvoiceNumberTaken) as taken:
        writer.write(changed, {})
    assert taken.value.existing_id == int(created.target_id)
    assert taken.value.differences == ["lines"]
    assert "SHOP-990103" in str(taken.value)
    other_client = int(new_client(writer, "someone.else@example.org"))
    with pytest.raises(InvoiceNumberTaken) as taken:
        writer.write(invoice_create("SHOP-990103", customerid=other_client), {})
    assert taken.value.differences == ["customerid"]

    found = writer.find(changed)
    assert (found.status, found.target_id) == (DIFFERS, created.target_id)
    updated = writer.write(onto_existing(changed, found.target_id), {})
    assert (updated.status, updated.target_id) == ("updated", created.target_id)
    assert writer.find(changed).status == "unchanged"
    assert invoices_numbered(api, "SHOP-990103") == 1


def test_an_injected_409_on_a_free_number_is_retried_once_then_reported(
    api: FreshBooksClient, writer: FreshBooksWriter, fb_url: str, requests: list[httpx.Request]
):
    client_id = int(new_client(writer, "buyer.990104@example.org"))

    def creates() -> int:
        return sum(1 for r in requests if r.method == "POST" and "invoices" in r.url.path)

    def conflicts(count: int) -> None:
        httpx.post(
            f"{fb_url}/_sandbox/freshbooks/conflicts", json={"count": count}, timeout=10
        ).raise_for_status()

    try:
        # One collision: nothing holds the number, so the create is tried again and succeeds.
        conflicts(1)
        result = writer.write(invoice_create("SHOP-990104", customerid=client_id), {})
        assert result.status == "created"
        assert creates() == 2
        assert invoices_numbered(api, "SHOP-990104") == 1

        # Collisions that outlast the retry: a clear Conflict, and still no invoice.
        conflicts(5)
        with pytest.raises(Conflict) as err:
            writer.write(invoice_create("SHOP-990105", customerid=client_id), {})
        assert not isinstance(err.value, InvoiceNumberTaken)
        assert "nothing was created" in str(err.value)
        assert err.value.field == "invoice_number"
        assert creates() == 4  # two more: the create and its one retry
    finally:
        conflicts(0)
    assert invoices_numbered(api, "SHOP-990105") == 0
    assert invoices_numbered(api, "SHOP-990105", vis_state=1) == 0


def test_a_void_sets_vis_state_1_once(api: FreshBooksClient, writer: FreshBooksWriter):
    client_id = new_client(writer, "buyer.990106@example.org")
    create = invoice_create("SHOP-990106", customerid=int(client_id))
    created = writer.write(create, {})
    void = invoice_void("SHOP-990106")
    assert writer.find(void).status == DIFFERS
    result = writer.write(void, {})
    assert (result.status, result.target_id) == ("updated", created.target_id)
    assert api.get("invoices", int(created.target_id)).vis_state == 1
    assert writer.find(void).status == "unchanged"
    assert writer.write(void, {}).status == "unchanged"
    assert invoices_numbered(api, "SHOP-990106") == 0
    assert invoices_numbered(api, "SHOP-990106", vis_state=1) == 1
    # The create it voided is still found (deleted), so a late retry does not bring it back.
    assert writer.find(create).status == "unchanged"


def test_a_shipped_invoice_is_marked_sent_with_the_infor_delivery_number(
    api: FreshBooksClient, writer: FreshBooksWriter, requests: list[httpx.Request]
):
    client_id = new_client(writer, "buyer.990107@example.org")
    created = writer.write(invoice_create("SHOP-990107", customerid=int(client_id)), {})
    status = invoice_status("SHOP-990107", created.target_id, "DLV-0042")
    assert writer.find(status).status == DIFFERS

    requests.clear()
    result = writer.write(status, {})
    assert (result.status, result.target_id) == ("updated", created.target_id)
    puts = [json.loads(r.content)["invoice"] for r in requests if r.method == "PUT"]
    assert puts == [{"po_number": "DLV-0042"}, {"action_mark_as_sent": True}]

    invoice = api.get("invoices", int(created.target_id))
    assert invoice.po_number == "DLV-0042"
    assert invoice.v3_status == "sent" and invoice.display_status == "sent"
    assert writer.find(status).status == "unchanged"


def sent_invoice(api: FreshBooksClient, writer: FreshBooksWriter, number: str, po: str) -> Invoice:
    """A sent invoice, partly paid, whose customer's PO a person wrote into po_number."""
    client_id = new_client(writer, f"buyer.{number.lower()}@example.org")
    created = writer.write(invoice_create(number, customerid=int(client_id)), {})
    invoice_id = int(created.target_id)
    api.update("invoices", invoice_id, {"po_number": po})
    api.mark_invoice_sent(invoice_id)
    payment = {"invoiceid": invoice_id, "amount": {"amount": "100.00"}, "date": "2026-03-03"}
    api.create("payments", payment | {"type": "Check"})
    return api.get("invoices", invoice_id)  # type: ignore[return-value]


def test_a_sent_invoice_gets_the_infor_reference_and_nothing_else(
    api: FreshBooksClient, writer: FreshBooksWriter, requests: list[httpx.Request]
):
    before = sent_invoice(api, writer, "SHOP-990111", "PO-4711")
    assert (before.v3_status, before.display_status) == ("partial", "sent")
    wanted = "PO-4711 / M3 delivery 1000000231 shipment 1000012"
    status = invoice_status(
        "SHOP-990111", str(before.id), wanted, mark_sent=None, read_po_number="PO-4711"
    )
    assert writer.find(status).status == DIFFERS

    requests.clear()
    result = writer.write(status, {})

    assert (result.status, result.target_id) == ("updated", str(before.id))
    puts = [json.loads(r.content)["invoice"] for r in requests if r.method == "PUT"]
    assert puts == [{"po_number": wanted}]  # never marked sent again, no lines, no amounts
    after = api.get("invoices", before.id)
    assert after.po_number == wanted
    assert (after.v3_status, after.display_status, after.status) == (
        before.v3_status,
        before.display_status,
        before.status,
    )
    assert (after.amount, after.outstanding, after.lines) == (
        before.amount,
        before.outstanding,
        before.lines,
    )
    assert writer.find(status).status == "unchanged"
    requests.clear()
    assert writer.write(status, {}).status == "unchanged"
    assert [r.method for r in requests] == ["GET"]


def test_a_po_number_a_person_changed_after_the_plan_read_it_is_not_overwritten(
    api: FreshBooksClient, writer: FreshBooksWriter
):
    invoice = sent_invoice(api, writer, "SHOP-990112", "PO-1")
    status = invoice_status(
        "SHOP-990112", str(invoice.id), "PO-1 / M3 delivery 1000000232",
        mark_sent=None, read_po_number="PO-1",
    )  # fmt: skip
    api.update("invoices", invoice.id, {"po_number": "PO-2"})  # a person, after the extract

    with pytest.raises(Conflict) as err:
        writer.write(status, {})

    assert (err.value.field, err.value.code) == ("po_number", "changed_since_read")
    assert api.get("invoices", invoice.id).po_number == "PO-2"


# --- validation before any request ------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "field"),
    [
        (invoice_create("SHOP-990108", depends_on="nobody@example.org"), "customerid"),
        (invoice_create("SHOP-990108", customerid=42, lines=None), "lines"),
        (invoice_create("SHOP-990108", customerid=42, lines=[]), "lines"),
        (
            invoice_create("SHOP-990108", customerid=42, lines=[{"name": "x", "qty": "1"}]),
            "lines.0.unit_cost",
        ),
        (
            invoice_create(
                "SHOP-990108",
                customerid=42,
                lines=[{"name": "x", "unit_cost": {"amount": "1.00"}}],
            ),
            "lines.0.qty",
        ),
        (client_create(None, organization=None), "email"),
        (client_create("not-an-e-mail"), "email"),
    ],
    ids=[
        "no-customerid",
        "no-lines",
        "empty-lines",
        "no-unit-cost",
        "no-qty",
        "client-no-email-or-organization",
        "client-bad-email",
    ],
)
def test_an_invalid_row_fails_before_any_request(
    writer: FreshBooksWriter, requests: list[httpx.Request], op: Operation, field: str
):
    with pytest.raises(ValidationFailed) as err:
        writer.write(op, {})
    assert err.value.field == field
    assert "not sent" in str(err.value)
    assert requests == []

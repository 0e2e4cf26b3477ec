"""dlt source for Infor M3: master data, customer orders to cash, and the general ledger.

M3 has no cursors and no webhooks. Lists with an `LMTS` input (customers, suppliers) ask only
for rows changed since M3's own clock at the previous run; item changes come by date window;
GL vouchers by a re-read window; everything else is read and reduced to changed rows by a
content hash kept in dlt state (see helpers). Rows keep M3's field codes and string values;
staging types them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import dlt
from dlt.extract.resource import DltResource

from ledgerlink.connectors.infor import InforClient
from ledgerlink.connectors.infor.programs import CUSTOMER_ORDER_CATEGORY
from ledgerlink.settings import Settings
from pipelines.infor.helpers import changed_only, tag
from pipelines.infor.settings import (
    GL_HISTORY_DAYS,
    ITEM_OVERLAP_DAYS,
    KEYS,
    PAGE_SIZE,
    SCHEMA_CONTRACT,
)

ClientFactory = Callable[[], InforClient]


def _resource(name: str, **hints: Any) -> Callable[[Callable[..., Any]], DltResource]:
    """Decorate a generator as a merged resource keyed by KEYS[name]."""
    return dlt.resource(name=name, primary_key=KEYS[name], write_disposition="merge", **hints)


@dlt.source(name="infor", schema_contract=SCHEMA_CONTRACT)
def infor_source(client_factory: ClientFactory, cono: str, divi: str) -> Iterator[DltResource]:
    """Customers, orders, deliveries, invoices, AR, chart of accounts, GL, suppliers, items."""
    infor = client_factory()
    m3 = infor.m3

    @_resource("customers")
    def customers() -> Iterator[dict[str, Any]]:
        """CRS610MI/LstByNumber, rows changed since M3's clock at the last run (`LMTS`)."""
        state = dlt.current.resource_state()
        cursor = infor.customers.server_time().lmts  # read before the list: nothing slips by
        record = {"LMTS": state["lmts"]} if state.get("lmts") else {}
        yield from tag(
            m3.list_all("CRS610MI", "LstByNumber", "CUNO", record, PAGE_SIZE), cono, divi
        )
        state["lmts"] = str(cursor)

    def customer_numbers() -> list[str]:
        """Every customer number in M3 (one column, so a few calls even for many customers)."""
        rows = m3.list_all("CRS610MI", "LstByNumber", "CUNO", {}, PAGE_SIZE, returncols=["CUNO"])
        return [row["CUNO"] for row in rows]

    @_resource("customer_orders")
    def customer_orders() -> Iterator[list[dict[str, Any]]]:
        """OIS100MI/LstHead for every customer; only new or changed heads are yielded."""
        seen = dlt.current.resource_state().setdefault("hashes", {})
        for customer in customer_numbers():
            heads = m3.execute("OIS100MI", "LstHead", {"CUNO": customer}, maxrecs=0).records
            heads = ({**head, "CUNO": head.get("CUNO") or customer} for head in heads)
            changed = list(changed_only(tag(heads, cono, divi), KEYS["customer_orders"], seen))
            if changed:
                yield changed

    @dlt.transformer(
        data_from=customer_orders,
        name="customer_order_lines",
        primary_key=KEYS["customer_order_lines"],
        write_disposition="merge",
    )
    def customer_order_lines(heads: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """OIS100MI/LstLine of every order whose head changed (its status moves with its lines)."""
        seen = dlt.current.resource_state().setdefault("hashes", {})
        for head in heads:
            lines = m3.execute("OIS100MI", "LstLine", {"ORNO": head["ORNO"]}, maxrecs=0).records
            lines = ({**line, "ORNO": head["ORNO"]} for line in lines)  # LstLine omits it
            yield from changed_only(tag(lines, cono, divi), KEYS["customer_order_lines"], seen)

    @dlt.transformer(
        data_from=customer_orders,
        name="delivery_lines",
        primary_key=KEYS["delivery_lines"],
        write_disposition="merge",
    )
    def delivery_lines(heads: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """MWS411MI/LstDelLnByOrd of every order whose head changed."""
        seen = dlt.current.resource_state().setdefault("hashes", {})
        for head in heads:
            record = {"RORC": CUSTOMER_ORDER_CATEGORY, "RIDN": head["ORNO"]}
            lines = m3.execute("MWS411MI", "LstDelLnByOrd", record, maxrecs=0).records
            yield from changed_only(tag(lines, cono, divi), KEYS["delivery_lines"], seen)

    @dlt.transformer(
        data_from=delivery_lines,
        name="deliveries",
        primary_key=KEYS["deliveries"],
        write_disposition="merge",
    )
    def deliveries(lines: list[dict[str, Any]] | dict[str, Any]) -> Iterator[dict[str, Any]]:
        """MWS410MI/GetHead for the deliveries those lines belong to (status, shipment, invoice)."""
        seen = dlt.current.resource_state().setdefault("hashes", {})
        batch = lines if isinstance(lines, list) else [lines]
        numbers = sorted({line["DLIX"] for line in batch if line.get("DLIX")})
        for number in numbers:
            heads = m3.execute("MWS410MI", "GetHead", {"DLIX": number}).records
            yield from changed_only(tag(heads, cono, divi), KEYS["deliveries"], seen)

    @_resource("customer_invoices")
    def customer_invoices() -> Iterator[dict[str, Any]]:
        """OIS350MI/LstInvHead for this year and last (invoices are listed per year)."""
        state = dlt.current.resource_state()
        seen = state.setdefault("hashes", {})
        this_year = date.today().year
        for year in (this_year - 1, this_year):
            rows = m3.list_all("OIS350MI", "LstInvHead", "IVNO", {"YEA4": year}, PAGE_SIZE)
            rows = ({**row, "YEA4": row.get("YEA4") or str(year)} for row in rows)
            yield from changed_only(tag(rows, cono, divi), KEYS["customer_invoices"], seen)

    @_resource("ar_open_items")
    def ar_open_items() -> Iterator[dict[str, Any]]:
        """ARS200MI/LstInvoices per known customer: the AR items and their reconciliation."""
        state = dlt.current.resource_state()
        seen = state.setdefault("hashes", {})
        for customer in customer_numbers():
            rows = m3.execute("ARS200MI", "LstInvoices", {"CUNO": customer}, maxrecs=0).records
            rows = ({**row, "CUNO": row.get("CUNO") or customer} for row in rows)
            yield from changed_only(tag(rows, cono, divi), KEYS["ar_open_items"], seen)

    @_resource("chart_of_accounts")
    def chart_of_accounts() -> Iterator[dict[str, Any]]:
        """CRS630MI/LstAccountID, accounting dimension 1 (the GL accounts)."""
        state = dlt.current.resource_state()
        seen = state.setdefault("hashes", {})
        rows = m3.list_all("CRS630MI", "LstAccountID", "AITM", {"AITP": 1}, PAGE_SIZE)
        yield from changed_only(tag(rows, cono, divi), KEYS["chart_of_accounts"], seen)

    @_resource("gl_voucher_lines")
    def gl_voucher_lines() -> Iterator[dict[str, Any]]:
        """GLS200MI/LstVouchersByDt over the whole history window on every run: vouchers are
        often posted with an earlier accounting date, so a recent window would miss them; the
        content hash keeps the load to what changed."""
        seen = dlt.current.resource_state().setdefault("hashes", {})
        today = date.today()
        record = {
            "FRDT": (today - timedelta(days=GL_HISTORY_DAYS)).strftime("%Y%m%d"),
            "TODT": (today + timedelta(days=1)).strftime("%Y%m%d"),
        }
        rows = m3.execute("GLS200MI", "LstVouchersByDt", record, maxrecs=0).records
        yield from changed_only(tag(rows, cono, divi), KEYS["gl_voucher_lines"], seen)

    @_resource("suppliers")
    def suppliers() -> Iterator[dict[str, Any]]:
        """CRS620MI/LstSuppliers changed since M3's clock at the last run."""
        state = dlt.current.resource_state()
        cursor = infor.suppliers.server_time().lmts
        record = {"LMTS": state["lmts"]} if state.get("lmts") else {}
        yield from tag(
            m3.execute("CRS620MI", "LstSuppliers", record, maxrecs=0).records, cono, divi
        )
        state["lmts"] = str(cursor)

    @_resource("items")
    def items() -> Iterator[dict[str, Any]]:
        """MMS200MI: every item on the first run, then LstItmByChgDate over the changed days."""
        state = dlt.current.resource_state()
        today = date.today()
        if state.get("read_until"):
            since = date.fromisoformat(state["read_until"]) - timedelta(days=ITEM_OVERLAP_DAYS)
            record = {"FLMD": since.strftime("%Y%m%d"), "TLMD": today.strftime("%Y%m%d")}
            rows = m3.execute("MMS200MI", "LstItmByChgDate", record, maxrecs=0).records
        else:
            rows = m3.list_all("MMS200MI", "LstItmByItm", "ITNO", {"ITNO": "0"}, PAGE_SIZE)
        seen = state.setdefault("hashes", {})
        yield from changed_only(tag(rows, cono, divi), KEYS["items"], seen)
        state["read_until"] = today.isoformat()

    return (
        customers,
        customer_orders,
        customer_order_lines,
        delivery_lines,
        deliveries,
        customer_invoices,
        ar_open_items,
        chart_of_accounts,
        gl_voucher_lines,
        suppliers,
        items,
    )


def make_source(settings: Settings, client_factory: ClientFactory | None = None) -> Any:
    """A fresh source per run (a dlt source object cannot run twice); `client_factory` replaces
    the client built from settings."""
    return infor_source(
        client_factory or (lambda: InforClient.from_settings(settings)),
        cono=settings.infor_cono,
        divi=settings.infor_divi,
    )

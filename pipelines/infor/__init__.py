"""dlt source for Infor M3: master data, customer orders to cash, and the general ledger.

M3 has no cursors and no webhooks. Lists with an `LMTS` input (customers, suppliers) ask only
for rows changed since M3's own clock at the previous run; item changes come by date window;
customer invoices and GL vouchers are read whole on the first load (from INFOR_HISTORY_START,
else back to the first years M3 has: see `history.py`) and through re-read windows afterwards;
everything else is read and reduced to changed rows by a content hash kept in dlt state (see
`helpers.py`). Rows keep M3's field codes and string values; staging types them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dlt
from dlt.extract.resource import DltResource

from ledgerlink.connectors.infor import InforClient, M3Client
from ledgerlink.connectors.infor.programs import CUSTOMER_ORDER_CATEGORY
from ledgerlink.connectors.infor.records import ServerTime
from ledgerlink.settings import DEFAULT_GL_REREAD_DAYS, Settings
from pipelines.infor.helpers import batch_key, changed_only, journals_posted_since, tag
from pipelines.infor.history import (
    Window,
    read_back,
    reread_window,
    windows_before,
    year_window,
)
from pipelines.infor.settings import (
    ENTITY_NAMES,
    INVOICE_REREAD_YEARS,
    ITEM_OVERLAP_DAYS,
    KEYS,
    PAGE_SIZE,
    SCHEMA_CONTRACT,
)
from pipelines.progress import ResponseHook, with_hook
from pipelines.skipping import Skipped

ClientFactory = Callable[[], InforClient]
Row = dict[str, str]


def nothing_posted(since: datetime) -> set[str]:
    return set()


@dataclass(frozen=True)
class M3Run:
    """What the resources of one run share: the client, the company its rows belong to, where
    history starts, the journals the push posted, and the entities skipped so far."""

    infor: InforClient
    cono: str
    divi: str
    skipped: Skipped
    history_start: date | None = None
    gl_reread_days: int = DEFAULT_GL_REREAD_DAYS
    posted_journals: Callable[[datetime], set[str]] = nothing_posted

    @property
    def m3(self) -> M3Client:
        return self.infor.m3

    def rows(self, rows: Iterable[Row]) -> Iterator[Row]:
        return tag(rows, self.cono, self.divi)

    def today(self, program: str) -> date:
        """M3's date (GetServerTime): windows follow the clock that dates the records."""
        record = self.m3.execute(program, "GetServerTime").record
        return ServerTime.from_m3(record, source=f"{program}/GetServerTime").date or (
            datetime.now(UTC).date()
        )

    def customer_numbers(self) -> list[str]:
        """Every customer number in M3 (one column, so a few calls even for many customers)."""
        rows = self.m3.list_all(
            "CRS610MI", "LstByNumber", "CUNO", {}, PAGE_SIZE, returncols=["CUNO"]
        )
        return [row["CUNO"] for row in rows]


def _merged(name: str) -> dict[str, Any]:
    return {"name": name, "primary_key": KEYS[name], "write_disposition": "merge"}


# --- master data ----------------------------------------------------------------------------------
@dlt.resource(**_merged("customers"))
def customers(run: M3Run) -> Iterator[Row]:
    """CRS610MI/LstByNumber: customers changed since M3's clock at the last run (`LMTS`), all
    of them on the first. Key (CONO, CUNO)."""

    def changed(record: Row) -> Iterable[Row]:
        return run.m3.list_all("CRS610MI", "LstByNumber", "CUNO", record, PAGE_SIZE)

    yield from run.skipped.guard("customers", _changed_since_clock(run, "CRS610MI", changed))


@dlt.resource(**_merged("suppliers"))
def suppliers(run: M3Run) -> Iterator[Row]:
    """CRS620MI/LstSuppliers: suppliers changed since M3's clock at the last run (`LMTS`), all
    of them on the first. Key (CONO, SUNO)."""

    def changed(record: Row) -> Iterable[Row]:
        return run.m3.execute("CRS620MI", "LstSuppliers", record, maxrecs=0).records

    yield from run.skipped.guard("suppliers", _changed_since_clock(run, "CRS620MI", changed))


def _changed_since_clock(
    run: M3Run, program: str, changed: Callable[[Row], Iterable[Row]]
) -> Iterator[Row]:
    state = dlt.current.resource_state()
    # M3's clock, read before the list: a row changed while the list runs is read next time.
    clock = run.m3.execute(program, "GetServerTime").record
    cursor = ServerTime.from_m3(clock, source=f"{program}/GetServerTime").lmts
    yield from run.rows(changed({"LMTS": state["lmts"]} if state.get("lmts") else {}))
    state["lmts"] = str(cursor)


@dlt.resource(**_merged("items"))
def items(run: M3Run) -> Iterator[Row]:
    """MMS200MI: every item on the first run (LstItmByItm), then LstItmByChgDate over the days
    changed since; only new or changed items are yielded. Key (CONO, ITNO)."""
    yield from run.skipped.guard("items", _items(run))


def _items(run: M3Run) -> Iterator[Row]:
    state = dlt.current.resource_state()
    today = run.today("MMS200MI")
    if state.get("read_until"):
        since = date.fromisoformat(state["read_until"]) - timedelta(days=ITEM_OVERLAP_DAYS)
        record = {"FLMD": since.strftime("%Y%m%d"), "TLMD": today.strftime("%Y%m%d")}
        rows: Iterable[Row] = run.m3.execute(
            "MMS200MI", "LstItmByChgDate", record, maxrecs=0
        ).records
    else:
        rows = run.m3.list_all("MMS200MI", "LstItmByItm", "ITNO", {"ITNO": "0"}, PAGE_SIZE)
    seen = state.setdefault("hashes", {})
    yield from changed_only(run.rows(rows), KEYS["items"], seen)
    state["read_until"] = today.isoformat()


@dlt.resource(**_merged("chart_of_accounts"))
def chart_of_accounts(run: M3Run) -> Iterator[Row]:
    """CRS630MI/LstAccountID of accounting dimension 1 (the GL accounts); only new or changed
    accounts are yielded. Key (CONO, AITM)."""
    yield from run.skipped.guard("chart_of_accounts", _chart_of_accounts(run))


def _chart_of_accounts(run: M3Run) -> Iterator[Row]:
    seen = dlt.current.resource_state().setdefault("hashes", {})
    rows = run.m3.list_all("CRS630MI", "LstAccountID", "AITM", {"AITP": 1}, PAGE_SIZE)
    yield from changed_only(run.rows(rows), KEYS["chart_of_accounts"], seen)


# --- orders to cash -------------------------------------------------------------------------------
@dlt.resource(**_merged("customer_orders"))
def customer_orders(run: M3Run) -> Iterator[list[Row]]:
    """OIS100MI/LstHead for every customer: new or changed order heads, one list per customer.
    Key (CONO, ORNO)."""
    yield from run.skipped.guard("customer_orders", _customer_orders(run))


def _customer_orders(run: M3Run) -> Iterator[list[Row]]:
    seen = dlt.current.resource_state().setdefault("hashes", {})
    for customer in run.customer_numbers():
        heads = run.m3.execute("OIS100MI", "LstHead", {"CUNO": customer}, maxrecs=0).records
        heads = tuple({**head, "CUNO": head.get("CUNO") or customer} for head in heads)
        changed = list(changed_only(run.rows(heads), KEYS["customer_orders"], seen))
        if changed:
            yield changed


@dlt.transformer(**_merged("customer_order_lines"))
def customer_order_lines(heads: list[Row], run: M3Run) -> Iterator[Row]:
    """OIS100MI/LstLine of every order whose head changed (its status moves with its lines).
    Key (CONO, ORNO, PONR, POSX)."""
    yield from run.skipped.guard("customer_order_lines", _order_lines(heads, run))


def _order_lines(heads: list[Row], run: M3Run) -> Iterator[Row]:
    seen = dlt.current.resource_state().setdefault("hashes", {})
    for head in heads:
        lines = run.m3.execute("OIS100MI", "LstLine", {"ORNO": head["ORNO"]}, maxrecs=0).records
        lines = tuple({**line, "ORNO": head["ORNO"]} for line in lines)  # LstLine omits it
        yield from changed_only(run.rows(lines), KEYS["customer_order_lines"], seen)


@dlt.transformer(**_merged("delivery_lines"))
def delivery_lines(heads: list[Row], run: M3Run) -> Iterator[Row]:
    """MWS411MI/LstDelLnByOrd of every order whose head changed. Key (CONO, DLIX, RIDN, RIDL,
    RIDX)."""
    yield from run.skipped.guard("delivery_lines", _delivery_lines(heads, run))


def _delivery_lines(heads: list[Row], run: M3Run) -> Iterator[Row]:
    seen = dlt.current.resource_state().setdefault("hashes", {})
    for head in heads:
        record = {"RORC": CUSTOMER_ORDER_CATEGORY, "RIDN": head["ORNO"]}
        lines = run.m3.execute("MWS411MI", "LstDelLnByOrd", record, maxrecs=0).records
        yield from changed_only(run.rows(lines), KEYS["delivery_lines"], seen)


@dlt.transformer(**_merged("deliveries"))
def deliveries(lines: list[Row] | Row, run: M3Run) -> Iterator[Row]:
    """MWS410MI/GetHead of the deliveries those lines belong to (status, shipment, invoice).
    Key (CONO, DLIX)."""
    yield from run.skipped.guard("deliveries", _deliveries(lines, run))


def _deliveries(lines: list[Row] | Row, run: M3Run) -> Iterator[Row]:
    seen = dlt.current.resource_state().setdefault("hashes", {})
    batch = lines if isinstance(lines, list) else [lines]
    for number in sorted({line["DLIX"] for line in batch if line.get("DLIX")}):
        heads = run.m3.execute("MWS410MI", "GetHead", {"DLIX": number}).records
        yield from changed_only(run.rows(heads), KEYS["deliveries"], seen)


@dlt.resource(**_merged("customer_invoices"))
def customer_invoices(run: M3Run) -> Iterator[Row]:
    """OIS350MI/LstInvHead, one year at a time: every year M3 has on the first load (from
    INFOR_HISTORY_START when set), then this year and the last; only new or changed invoices
    are yielded. Key (CONO, DIVI, YEA4, IVNO)."""
    yield from run.skipped.guard("customer_invoices", _customer_invoices(run))


def _customer_invoices(run: M3Run) -> Iterator[Row]:
    state = dlt.current.resource_state()
    seen = state.setdefault("hashes", {})
    this_year = run.today("OIS350MI").year

    def year_rows(year: int) -> Iterator[Row]:
        rows = run.m3.list_all("OIS350MI", "LstInvHead", "IVNO", {"YEA4": year}, PAGE_SIZE)
        return ({**row, "YEA4": row.get("YEA4") or str(year)} for row in rows)

    if state.get("history_read"):
        first = this_year - INVOICE_REREAD_YEARS + 1
        if run.history_start is not None:
            first = max(first, run.history_start.year)
        years = range(first, this_year + 1)
        rows: Iterable[Row] = (row for year in years for row in year_rows(year))
    else:
        rows = (row for _, row in read_back(year_rows, this_year, run.history_start))
    yield from changed_only(run.rows(rows), KEYS["customer_invoices"], seen)
    state["history_read"] = True


@dlt.resource(**_merged("ar_open_items"))
def ar_open_items(run: M3Run) -> Iterator[Row]:
    """ARS200MI/LstInvoices per customer: the AR items and their reconciliation (RECO); only
    new or changed items are yielded. Key (CONO, CUNO, YEA4, JRNO, JSNO)."""
    yield from run.skipped.guard("ar_open_items", _ar_open_items(run))


def _ar_open_items(run: M3Run) -> Iterator[Row]:
    seen = dlt.current.resource_state().setdefault("hashes", {})
    for customer in run.customer_numbers():
        rows = run.m3.execute("ARS200MI", "LstInvoices", {"CUNO": customer}, maxrecs=0).records
        rows = tuple({**row, "CUNO": row.get("CUNO") or customer} for row in rows)
        yield from changed_only(run.rows(rows), KEYS["ar_open_items"], seen)


# --- general ledger -------------------------------------------------------------------------------
@dlt.resource(**_merged("gl_voucher_lines"))
def gl_voucher_lines(run: M3Run) -> Iterator[Row]:
    """GLS200MI/LstVouchersByDt by accounting-date window: every year M3 has on the first load
    (from INFOR_HISTORY_START when set); later, the last INFOR_GL_REREAD_DAYS days, plus earlier
    windows until the journals the push posted since the last run are all seen. Only new or
    changed voucher lines are yielded. Key (CONO, DIVI, YEA4, JRNO, JSNO)."""
    yield from run.skipped.guard("gl_voucher_lines", _gl_voucher_lines(run))


def _gl_voucher_lines(run: M3Run) -> Iterator[Row]:
    """Vouchers are often posted back-dated, and our own GLS840MI journals carry the expense's
    date. A window catches what M3's users post into the periods still open. The journals the
    push posted are known by batch key (ops.sync_records) but not by date, and each leads its
    voucher texts with that key: so earlier windows are read, newest first, until every one
    is seen. This needs nothing but the ledger and M3 itself, and costs a call per window
    only when a journal lies outside the re-read window."""
    state = dlt.current.resource_state()
    seen = state.setdefault("hashes", {})
    started = datetime.now(UTC)
    today = run.today("GLS200MI")

    def window_rows(window: Window) -> tuple[Row, ...]:
        return run.m3.execute("GLS200MI", "LstVouchersByDt", window.record(), maxrecs=0).records

    if not state.get("history_from"):
        oldest = today

        def year_rows(year: int) -> tuple[Row, ...]:
            nonlocal oldest
            window = year_window(year, run.history_start, today)
            oldest = window.first
            return window_rows(window)

        rows = (row for _, row in read_back(year_rows, today.year, run.history_start))
        yield from changed_only(run.rows(rows), KEYS["gl_voucher_lines"], seen)
        state["history_from"] = oldest.isoformat()
    else:
        floor = date.fromisoformat(state["history_from"])
        window = reread_window(today, run.gl_reread_days)
        window = Window(max(window.first, floor), window.last)
        rows = window_rows(window)
        since = datetime.fromisoformat(state["read_at"])
        missing = run.posted_journals(since) - {batch_key(row.get("VTXT")) for row in rows}
        yield from changed_only(run.rows(rows), KEYS["gl_voucher_lines"], seen)
        for earlier in windows_before(window, run.gl_reread_days, floor):
            if not missing:
                break
            rows = window_rows(earlier)
            missing -= {batch_key(row.get("VTXT")) for row in rows}
            yield from changed_only(run.rows(rows), KEYS["gl_voucher_lines"], seen)
    state["read_at"] = started.isoformat()


@dlt.source(name="infor", schema_contract=SCHEMA_CONTRACT)
def infor_source(
    client_factory: ClientFactory,
    cono: str,
    divi: str,
    entities: Sequence[str] = ENTITY_NAMES,
    skipped: Skipped | None = None,
    history_start: date | None = None,
    gl_reread_days: int = DEFAULT_GL_REREAD_DAYS,
    posted_journals: Callable[[datetime], set[str]] = nothing_posted,
) -> list[DltResource]:
    """The M3 `entities` of one company: customers, orders, deliveries, invoices, AR, chart of
    accounts, GL, suppliers, items. Entities this M3 does not serve are recorded in `skipped`."""
    run = M3Run(
        client_factory(),
        cono,
        divi,
        skipped if skipped is not None else Skipped("infor"),
        history_start,
        gl_reread_days,
        posted_journals,
    )
    orders = customer_orders(run)
    order_deliveries = orders | delivery_lines(run)
    resources = {
        "customers": customers(run),
        "customer_orders": orders,
        "customer_order_lines": orders | customer_order_lines(run),
        "delivery_lines": order_deliveries,
        "deliveries": order_deliveries | deliveries(run),
        "customer_invoices": customer_invoices(run),
        "ar_open_items": ar_open_items(run),
        "chart_of_accounts": chart_of_accounts(run),
        "gl_voucher_lines": gl_voucher_lines(run),
        "suppliers": suppliers(run),
        "items": items(run),
    }
    return [resources[name] for name in ENTITY_NAMES if name in entities]


def make_source(
    settings: Settings,
    client_factory: ClientFactory | None = None,
    *,
    entities: Sequence[str] = ENTITY_NAMES,
    skipped: Skipped | None = None,
    on_request: ResponseHook | None = None,
) -> Any:
    """A fresh source per run (a dlt source object cannot run twice) of `entities`;
    `client_factory` replaces the client built from settings, and `on_request` is called after
    each answer its API client gets (token refreshes aside)."""
    factory = client_factory or (lambda: InforClient.from_settings(settings))
    return infor_source(
        with_hook(factory, on_request, lambda c: c.m3.http),  # not the ION token client
        cono=settings.infor_cono,
        divi=settings.infor_divi,
        entities=entities,
        skipped=skipped,
        history_start=settings.infor_history_start,
        gl_reread_days=settings.infor_gl_reread_days,
        posted_journals=lambda since: journals_posted_since(settings.warehouse, since),
    )

"""M3 history: the first load reads every year M3 has, later runs a window plus the journals the
push posted back-dated. Old invoices and vouchers are planted through M3's own write
transactions, with the emulator's clock set back for the invoices.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import duckdb
import httpx
import pytest
from conftest import reset_emulator

from ledgerlink.connectors.infor import InforClient
from ledgerlink.connectors.infor.inputs import BatchOrderHead, BatchOrderLine, JournalLine
from ledgerlink.errors import ConfigurationError
from ledgerlink.ops_schema import ensure_ops_schema
from ledgerlink.settings import Settings
from pipelines.entities import ENTITIES
from pipelines.extract import extract

GL_INTERFACE = "FBEXPENSE"
KEPT = ("customer_invoices", "gl_voucher_lines")


@pytest.fixture
def infor_url(sandbox: dict) -> Iterator[str]:
    url = sandbox["urls"]["infor"]
    reset_emulator(url)
    yield url
    set_clock(url, None)
    reset_emulator(url)


@pytest.fixture
def config(settings: Settings) -> Settings:
    """Invoices and GL vouchers only: the two lists read by year and by date."""
    off = [f"infor.{name}" for name in ENTITIES["infor"] if name not in KEPT]
    return settings.model_copy(update={"disabled_entities_setting": ",".join(off)})


def set_clock(url: str, moment: datetime | None) -> None:
    body = {"reset": True} if moment is None else {"set": moment.isoformat()}
    httpx.post(f"{url}/_sandbox/clock", json=body, timeout=10).raise_for_status()


def m3_today(client: InforClient) -> date:
    return client.general_ledger.server_time().date


def plant_invoice(url: str, client: InforClient, year: int) -> None:
    """An order entered, shipped and invoiced while M3's clock stood in `year`."""
    set_clock(url, datetime(year, 6, 15, 12, tzinfo=UTC))
    try:
        customer = next(client.customers.list_customers()).customer_number
        item = next(client.items.list_items()).item_number
        reference = f"OLD-{year}-{uuid.uuid4().hex[:6]}"
        order = client.orders.create(
            BatchOrderHead(CUNO=customer, CUOR=reference),
            [BatchOrderLine(ITNO=item, ORQT=Decimal(1))],
        )
        for step in ("ship", "invoice"):
            httpx.post(
                f"{url}/_sandbox/infor/orders/{order.order_number}/{step}", timeout=10
            ).raise_for_status()
    finally:
        set_clock(url, None)


def post_journal(client: InforClient, day: date) -> str:
    """A balanced two-line GL journal dated `day`, its batch key leading the voucher text as
    the push writes it; returns the key."""
    key = f"FB-EXP-{uuid.uuid4().hex[:8].upper()}"
    lines = [
        JournalLine(
            line=n,
            record_identity="1",
            group="1",
            account=account,
            amount=Decimal("125.00"),
            debit_credit=side,
            accounting_date=day,
            currency="USD",
            voucher_text=f"{key} Office supplies",
        )
        for n, (account, side) in enumerate((("6550", "D"), ("2000", "C")), start=1)
    ]
    client.general_ledger.post_journal(key, GL_INTERFACE, "Back-dated expense", lines)
    return key


def record_posted(settings: Settings, key: str) -> None:
    """What the push's ledger holds for a journal it posted."""
    with duckdb.connect(str(settings.warehouse)) as con:
        ensure_ops_schema(con)
        con.execute(
            "insert into ops.sync_records (intent_key, target, entity, natural_key, "
            "content_hash, operation, status, attempts, last_attempt_at) "
            "values (?, 'infor', 'gl_journals', ?, 'h', 'create', 'created', 1, ?)",
            [uuid.uuid4().hex, key, datetime.now(UTC).replace(tzinfo=None)],
        )


def query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def m3_counts(url: str) -> dict[str, int]:
    return httpx.get(f"{url}/_sandbox/infor/counts", timeout=10).json()


def test_the_first_load_reads_every_year_m3_has(config, infor_url):
    with InforClient.from_settings(config) as client:
        this_year = m3_today(client).year
        # two old years with an empty one between them: a gap does not end the history
        for year in (this_year - 5, this_year - 3):
            plant_invoice(infor_url, client, year)
            post_journal(client, date(year, 3, 31))
        old_journal_day = date(this_year - 5, 3, 31)
    [result] = extract(config, ["infor"])
    served = m3_counts(infor_url)
    assert result.rows["customer_invoices"] == served["invoices"]
    assert result.rows["gl_voucher_lines"] == served["gl_lines"]
    years = query(config, "select distinct yea4 from raw_infor.customer_invoices order by 1")
    assert (str(this_year - 5),) in years and (str(this_year - 3),) in years
    [(oldest,)] = query(config, "select min(acdt) from raw_infor.gl_voucher_lines")
    assert oldest == old_journal_day.strftime("%Y%m%d")

    [again] = extract(config, ["infor"])
    assert again.total_rows == 0  # later runs read windows; nothing changed in them


def test_infor_history_start_limits_the_first_load(config, infor_url):
    with InforClient.from_settings(config) as client:
        this_year = m3_today(client).year
        plant_invoice(infor_url, client, this_year - 4)
        post_journal(client, date(this_year - 4, 5, 1))
    start = date(this_year - 1, 7, 1)
    limited = config.model_copy(update={"infor_history_start_setting": start.isoformat()})
    extract(limited, ["infor"])
    [(first_year,)] = query(limited, "select min(yea4) from raw_infor.customer_invoices")
    assert first_year == str(start.year)  # invoices are listed per year: the start's year whole
    [(oldest,)] = query(limited, "select min(acdt) from raw_infor.gl_voucher_lines")
    assert oldest >= start.strftime("%Y%m%d")


def test_a_bad_history_start_is_one_line_naming_the_setting(config):
    bad = config.model_copy(update={"infor_history_start_setting": "2021-13-01"})
    with pytest.raises(ConfigurationError) as caught:
        extract(bad, ["infor"])
    assert str(caught.value) == (
        "INFOR_HISTORY_START=2021-13-01 is not a date: use YYYY-MM-DD (e.g. 2019-01-01), or "
        "leave it empty to load all of M3's history"
    )


def test_later_runs_see_the_journals_the_push_posted_back_dated(config, infor_url):
    extract(config, ["infor"])
    with InforClient.from_settings(config) as client:
        today = m3_today(client)
        window = config.infor_gl_reread_days
        ours = post_journal(client, today - timedelta(days=window + 200))
        # keyed in M3 by hand, further back still: no ledger row names it
        theirs = post_journal(client, today - timedelta(days=window + 500))
        recent = post_journal(client, today - timedelta(days=3))
    record_posted(config, ours)
    record_posted(config, recent)

    [result] = extract(config, ["infor"])
    loaded = {
        key
        for (key,) in query(
            config, "select distinct split_part(vtxt, ' ', 1) from raw_infor.gl_voucher_lines"
        )
    }
    assert {ours, recent} <= loaded
    # Outside the re-read window, only the ledger's journals are searched for; a voucher
    # back-dated by hand that far needs a --full-refresh (or a longer INFOR_GL_REREAD_DAYS).
    assert theirs not in loaded
    assert result.rows["gl_voucher_lines"] == 4  # two lines each: ours and the recent one

    [after] = extract(config, ["infor"])
    assert after.total_rows == 0  # searched once: the next run starts after it


def test_later_runs_reread_this_year_and_the_last_for_invoices(config, infor_url):
    extract(config, ["infor"])
    with InforClient.from_settings(config) as client:
        plant_invoice(infor_url, client, m3_today(client).year)
    [result] = extract(config, ["infor"])
    assert result.rows == {"customer_invoices": 1}

"""The event sensors, evaluated with Dagster's sensor contexts: webhook inbox and Infor polling."""

from __future__ import annotations

import json
import threading
import time

import pytest
from conftest import reset_emulator
from dagster import AssetKey, DagsterInstance, build_sensor_context

from ledgerlink.connectors.infor import InforClient
from ledgerlink.connectors.infor.inputs import CustomerBasicData
from ledgerlink.settings import load_settings
from ledgerlink.webhooks.inbox import Inbox
from orchestration.definitions import build_defs
from orchestration.sensors import inbox_sensor, infor_changes_sensor, with_tables_read_from

defs = build_defs(load_settings(systems_setting="freshbooks,infor,shop"))


def evaluate(sensor, cursor: str | None = None, definitions=defs):
    with DagsterInstance.ephemeral() as instance:
        context = build_sensor_context(
            instance=instance, cursor=cursor, repository_def=definitions.get_repository_def()
        )
        return sensor.evaluate_tick(context)


def keys(run_request) -> set[str]:
    return {key.to_user_string() for key in run_request.asset_selection}


@pytest.fixture
def inbox(settings):
    with Inbox.from_settings(settings) as opened:
        yield opened


def append(inbox: Inbox, source: str, topic: str, key: str) -> None:
    assert inbox.append(source, topic, key, json.dumps({"name": topic}), keep_for=60)


def test_inbox_events_run_only_the_tables_they_change_and_what_follows(settings, inbox):
    append(inbox, "freshbooks", "invoice.update", "a")
    append(inbox, "shop", "orders/create", "b")
    append(inbox, "freshbooks", "project.create", "c")  # not a table ledgerlink loads
    sensor = inbox_sensor(lambda: settings, wait_seconds=0.2)

    tick = evaluate(sensor)

    (request,) = tick.run_requests
    selected = keys(request)
    assert {"raw_freshbooks/invoices", "raw_shop/orders"} <= selected
    assert {"staging/stg_freshbooks__invoices", "push/infor_customer_orders"} <= selected
    assert not any(k.startswith(("raw_infor/", "raw_freshbooks/expenses")) for k in selected)
    assert request.tags["ledgerlink/warehouse"] == "write"
    assert tick.cursor == str(inbox.last_id())
    assert inbox.pending_count() == 0

    again = evaluate(sensor, tick.cursor)
    assert not again.run_requests and again.skip_message


def test_inbox_events_for_tables_not_loaded_move_the_cursor_without_a_run(settings, inbox):
    append(inbox, "freshbooks", "project.update", "d")
    tick = evaluate(inbox_sensor(lambda: settings, wait_seconds=0))
    assert not tick.run_requests
    assert tick.cursor == str(inbox.last_id())


def test_shop_events_start_no_run_where_the_shop_is_off(settings, inbox):
    no_shop = build_defs(load_settings(systems_setting="freshbooks,infor"))
    append(inbox, "shop", "orders/create", "s1")
    sensor = inbox_sensor(lambda: settings, wait_seconds=0.2)

    tick = evaluate(sensor, definitions=no_shop)

    assert not tick.run_requests and "none for loaded tables" in tick.skip_message
    assert tick.cursor == str(inbox.last_id())


def test_an_empty_inbox_is_watched_so_an_event_starts_a_run_within_the_tick(settings, inbox):
    """An event that arrives while the tick waits is picked up at once, not one daemon loop
    (5 s) later; with nothing arriving, the tick skips after the wait."""
    late = threading.Timer(0.5, append, (inbox, "freshbooks", "invoice.create", "late"))
    started = time.monotonic()
    late.start()
    tick = evaluate(inbox_sensor(lambda: settings, wait_seconds=3))
    late.join()
    assert time.monotonic() - started < 2.5
    (request,) = tick.run_requests
    assert "raw_freshbooks/invoices" in keys(request)

    started = time.monotonic()
    quiet = evaluate(inbox_sensor(lambda: settings, wait_seconds=0.5), tick.cursor)
    assert not quiet.run_requests and quiet.skip_message
    assert time.monotonic() - started >= 0.5


def test_infor_changes_launch_a_run_and_no_change_skips(settings, sandbox):
    sensor = infor_changes_sensor(lambda: settings)
    first = evaluate(sensor)
    assert not first.run_requests and "baseline" in first.skip_message
    quiet = evaluate(sensor, first.cursor)
    assert not quiet.run_requests and "nothing changed" in quiet.skip_message

    try:
        with InforClient.from_settings(settings) as infor:
            number = next(iter(infor.customers.records(page_size=2)))["CUNO"]
            change = CustomerBasicData(CUNO=number, PHNO="+1 555 0100")
            infor.customers.change_basic_data(change)
        changed = evaluate(sensor, quiet.cursor)
    finally:
        reset_emulator(sandbox["urls"]["infor"])

    (request,) = changed.run_requests
    selected = keys(request)
    assert "raw_infor/customers" in selected and "push/freshbooks_clients" in selected
    assert "raw_infor/suppliers" not in selected
    assert AssetKey(["raw_freshbooks", "clients"]) not in request.asset_selection
    assert changed.cursor != quiet.cursor


def test_a_run_that_loads_order_heads_loads_what_is_read_from_them():
    heads = AssetKey(["raw_infor", "customer_orders"])
    tables = with_tables_read_from([heads])
    assert {
        heads,
        AssetKey(["raw_infor", "customer_order_lines"]),
        AssetKey(["raw_infor", "delivery_lines"]),
        AssetKey(["raw_infor", "deliveries"]),  # read from delivery lines, read from heads
    } <= tables
    assert AssetKey(["raw_infor", "customers"]) not in tables

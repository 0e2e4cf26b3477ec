"""The pre-posting gate on the sandbox: the invoice the world plants as an amount outlier is
held for review with its reason instead of becoming an Infor order; approved with `--push` (the
approval, then the push service run as the next push would run it), it is posted exactly once,
and a push after that plans nothing new."""

from __future__ import annotations

import json

import duckdb
import pytest
from conftest import start_from_built
from typer.testing import CliRunner

from ledgerlink.cli import app as cli
from ledgerlink.connectors.infor import InforClient
from reverse_etl import states
from reverse_etl.push import run_push
from sandbox.generator import World

SYNCS = ["infor_customers", "infor_customer_orders"]


def review(settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["review", *args], env={"LEDGERLINK_HOME": str(settings.home)})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def orders_in_infor(settings, cuor: str) -> int:
    with InforClient.from_settings(settings) as infor:
        return len(infor.m3.execute("OIS100MI", "SearchHead", {"SQRY": f"CUOR:{cuor}"}).records)


def record(settings, natural_key: str) -> list[tuple[str, str | None]]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(
            "select status, target_id from ops.sync_records "
            "where entity = 'customer_orders' and natural_key = ?",
            [natural_key],
        ).fetchall()


@pytest.fixture(scope="module")
def outlier() -> str:
    return World().sale(World().invoice_count // 2).number


@pytest.fixture(scope="module")
def dry_run(built_world, sandbox: dict, module_settings):
    start_from_built(built_world, sandbox, module_settings)
    return run_push(module_settings, SYNCS, dry_run=True)


@pytest.fixture(scope="module")
def first_push(dry_run, module_settings):
    return run_push(module_settings, SYNCS)


def test_the_dry_run_shows_the_hold_and_records_nothing(dry_run, module_settings, outlier):
    orders = next(s for s in dry_run.syncs if s.sync == "infor_customer_orders")
    assert orders.counts["held_for_review"] == 1
    assert [line.split(":")[0] for line in orders.holds] == [outlier]
    with duckdb.connect(str(module_settings.warehouse), read_only=True) as con:
        assert con.execute("select count(*) from ops.review_holds").fetchone() == (0,)


def test_the_planted_outlier_is_held_with_its_reason_and_not_posted(
    first_push, module_settings, outlier
):
    orders = next(s for s in first_push.syncs if s.sync == "infor_customer_orders")
    assert orders.counts["held_for_review"] == 1, orders.holds
    assert orders.counts["create"] > 0 and orders.counts["created"] == orders.counts["create"]
    (line,) = orders.holds
    assert line.startswith(f"{outlier}: amount ") and "this customer's median invoice" in line
    assert record(module_settings, outlier) == [(states.HELD_FOR_REVIEW, None)]
    assert orders_in_infor(module_settings, outlier) == 0

    code, output = review(module_settings, "list", "--json")
    assert code == 0, output
    (held,) = json.loads(output)
    assert held["natural_key"] == outlier and held["status"] == states.HELD_FOR_REVIEW
    assert "x this customer's median invoice of" in held["reasons"][0]


def test_a_second_push_neither_rescores_nor_posts_the_held_record(
    first_push, module_settings, outlier
):
    again = run_push(module_settings, SYNCS)
    orders = next(s for s in again.syncs if s.sync == "infor_customer_orders")
    assert orders.counts["held_for_review"] == 1 and orders.holds == []  # held before, as is
    assert orders.counts["create"] == 0
    assert orders_in_infor(module_settings, outlier) == 0


def test_approved_with_push_it_is_posted_once_and_the_next_push_plans_nothing(
    first_push, module_settings, outlier
):
    code, output = review(module_settings, "list")
    held_id = next(line.split()[0] for line in output.splitlines() if outlier in line)
    code, output = review(module_settings, "approve", held_id, "--by", "controller", "--push")
    assert code == 0 and f"approved {outlier}; the push wrote" in output, output
    assert orders_in_infor(module_settings, outlier) == 1
    ((status, order_number),) = record(module_settings, outlier)
    assert status == states.CREATED and order_number

    after = run_push(module_settings, SYNCS)
    assert sum(after.total(c) for c in ("create", "update", "void", "held_for_review")) == 0
    assert orders_in_infor(module_settings, outlier) == 1

    code, output = review(module_settings, "show", held_id)
    assert code == 0 and "controller: approve" in output, output
    code, output = review(module_settings, "approve", held_id, "--push")  # once is enough
    assert code == 1 and len(output.strip().splitlines()) == 1, output
    assert orders_in_infor(module_settings, outlier) == 1

"""Crash safety: `ledgerlink push` killed with SIGKILL at random moments, 20 times, then run to
the end: nothing is written twice and nothing is lost."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from conftest import start_from_built

from ledgerlink.connectors.freshbooks import FreshBooksClient
from ledgerlink.connectors.freshbooks.client import Search
from ledgerlink.connectors.infor import InforClient
from ledgerlink.dbt import build_models
from pipelines.extract import extract

# `make test` kills 8 pushes, enough to land kills before, during and after writes of each
# kind; `make soak` (LEDGERLINK_SOAK=1) kills 20.
TRIALS = 20 if os.environ.get("LEDGERLINK_SOAK") == "1" else 8


def push_process(settings) -> subprocess.Popen:
    env = {
        **os.environ,
        "LEDGERLINK_HOME": str(settings.home),
        "FRESHBOOKS_RATE_LIMIT": "500",
        "INFOR_RATE_LIMIT": "500",
        "LOG_LEVEL": "WARNING",
        # every planned write must land: the pre-posting gate's holds are not the subject here
        "ANOMALY_GATE": "false",
    }
    command = [str(Path(sys.executable).with_name("ledgerlink")), "push"]
    return subprocess.Popen(
        command,
        env=env,
        cwd=settings.home.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


SYNC_MODELS = (
    "sync_infor__customers",
    "sync_infor__customer_orders",
    "sync_infor__gl_journals",
    "sync_freshbooks__clients",
    "sync_freshbooks__invoices",
)


# Every sync's plan and what it is built from (the marts and snapshots feed no push).
PLANS = "+path:models/sync"


def planned(settings) -> dict[str, int]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return {m: con.execute(f"select count(*) from sync.{m}").fetchone()[0] for m in SYNC_MODELS}


@pytest.fixture(scope="module")
def prepared(built_world, sandbox: dict, module_settings):
    start_from_built(built_world, sandbox, module_settings)
    return module_settings


def test_killed_pushes_never_duplicate_or_lose(prepared):
    settings = prepared
    rng = random.Random(7)
    for _ in range(TRIALS):
        process = push_process(settings)
        time.sleep(rng.uniform(1.2, 3.5))  # start-up takes about a second; writes follow
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(30)
    for _ in range(2):  # run to the end, then plan again from what the targets now hold
        assert push_process(settings).wait(600) in (0, 1)
        extract(settings)
        build_models(settings, PLANS, with_tests=False)
        if not any(planned(settings).values()):
            break

    left = planned(settings)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        orders = [
            row[0]
            for row in con.execute(
                "select natural_key from ops.sync_records "
                "where entity = 'customer_orders' and target_id is not null"
            ).fetchall()
        ]
        dead = con.execute("select count(*) from ops.dead_letters").fetchone()[0]
    assert left == dict.fromkeys(left, 0)  # nothing lost: every planned write is in the target
    assert dead == 0

    with FreshBooksClient.from_settings(settings) as client:
        numbers = Counter(
            i["invoice_number"] for i in client.list_raw("invoices", search=Search(), include=())
        )
    assert [n for n, count in numbers.items() if count > 1] == []
    with InforClient.from_settings(settings) as infor:
        for cuor in orders:
            heads = infor.m3.execute("OIS100MI", "SearchHead", {"SQRY": f"CUOR:{cuor}"}).records
            assert len(heads) == 1, cuor

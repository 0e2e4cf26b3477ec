"""A write the target does not offer (HTTP 501, a program or transaction the tenant lacks) is a
definite refusal: a dead letter in the same push, with the target's own words, never retried."""

from __future__ import annotations

from conftest import clear_faults, inject_faults
from synthetic_syncs import customer, ledger_rows, unpaced, write_plan

from ledgerlink.warehouse import connect, writer_lock
from reverse_etl.runner import Pusher
from reverse_etl.targets import TargetWriters


def test_a_write_answered_501_becomes_a_dead_letter_at_once(settings, sandbox):
    url = sandbox["urls"]["infor"]
    sync = unpaced("infor_customers")
    write_plan(settings, sync, [customer("FB901001", "Grace Hopper")])
    inject_faults(url, {"kind": "status", "status": 501, "path": "CRS610MI/Add", "count": 10})
    try:
        with (
            writer_lock(settings, "test push"),
            connect(settings, read_only=False) as con,
            TargetWriters(settings) as writers,
        ):
            report = Pusher(con, writers).push([sync])
    finally:
        clear_faults(url)

    (pushed,) = report.syncs
    assert pushed.counts["dead_lettered"] == 1 and pushed.counts["failed"] == 0
    [(reason, attempts)] = ledger_rows(settings, "select reason, attempts from ops.dead_letters")
    assert "CRS610MI/Add" in reason and "501" in reason
    assert attempts == 1  # refused once, not retried

"""The SQLite inbox on its own: dedup windows, the drain cursor, concurrency, file safety."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ledgerlink.webhooks import Inbox, InboxEvent
from ledgerlink.webhooks.db import InboxDatabase
from ledgerlink.webhooks.verifiers import CallbackVerifiers

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def inbox(tmp_path: Path):
    with Inbox(tmp_path / "home" / "inbox.sqlite") as box:
        yield box


def add(inbox: Inbox, key: str, *, at: datetime = T0, keep_for: float = 300.0, **kw) -> bool:
    return inbox.append(
        kw.pop("source", "freshbooks"),
        kw.pop("topic", "invoice.update"),
        key,
        json.dumps({"name": "invoice.update", "object_id": "7"}),
        keep_for=keep_for,
        object_id="7",
        now=at,
        **kw,
    )


def test_append_then_drain_by_cursor(inbox: Inbox):
    assert inbox.last_id() == 0 and inbox.events_after(0, 10) == []
    assert add(inbox, "a") and add(inbox, "b", source="shop", topic="orders/create")
    assert add(inbox, "c", occurred_at=T0 - timedelta(seconds=2))
    first = inbox.events_after(0, 2)
    assert [e.dedup_key for e in first] == ["a", "b"]
    assert isinstance(first[0], InboxEvent) and first[0].received_at == T0
    assert first[1].source == "shop" and first[1].topic == "orders/create"
    assert first[0].data() == {"name": "invoice.update", "object_id": "7"}
    with pytest.raises(AttributeError):
        first[0].topic = "x"  # type: ignore[misc]  # frozen
    rest = inbox.events_after(first[-1].id, 10)
    assert [e.dedup_key for e in rest] == ["c"] and rest[0].occurred_at == T0 - timedelta(seconds=2)
    assert inbox.pending_count() == 3 and inbox.last_id() == rest[0].id
    assert inbox.mark_drained(first[-1].id) == 2 and inbox.pending_count() == 1
    assert inbox.mark_drained(first[-1].id) == 0
    # the cursor, not the flag, decides what a reader sees
    assert [e.drained for e in inbox.events_after(0, 10)] == [True, True, False]
    assert [e.dedup_key for e in inbox.latest(2)] == ["c", "b"]
    assert inbox.prune(timedelta(days=1), now=T0 + timedelta(days=2)) == 2
    assert [e.dedup_key for e in inbox.events_after(0, 10)] == ["c"]


def test_a_repeat_is_dropped_within_the_window_from_the_first_delivery(inbox: Inbox):
    assert add(inbox, "same", keep_for=300)
    assert not add(inbox, "same", at=T0 + timedelta(seconds=299), keep_for=300)
    # the window counts from the first delivery: a repeat does not extend it
    assert add(inbox, "same", at=T0 + timedelta(seconds=300), keep_for=300)
    assert not add(inbox, "same", at=T0 + timedelta(seconds=301), keep_for=300)
    assert add(inbox, "same", source="shop", at=T0 + timedelta(seconds=301))  # per source
    assert len(inbox.events_after(0, 10)) == 3


def test_concurrent_copies_of_one_event_make_one_row(tmp_path: Path):
    path = tmp_path / "inbox.sqlite"
    with Inbox(path) as inbox:
        barrier, results = threading.Barrier(16), []

        def deliver() -> None:
            barrier.wait()
            results.append(add(inbox, "dup", at=datetime.now(UTC)))

        threads = [threading.Thread(target=deliver) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == [False] * 15 + [True]
        assert len(inbox.events_after(0, 100)) == 1


WRITER = """
import json, sys
from datetime import UTC, datetime
from ledgerlink.webhooks import Inbox
with Inbox(sys.argv[1]) as inbox:
    for n in range(300):
        inbox.append("shop", "orders/create", f"event-{n}", json.dumps({"id": n}),
                     keep_for=60, object_id=str(n))
"""


def test_a_reader_in_another_process_drains_while_a_writer_appends(tmp_path: Path):
    path = tmp_path / "inbox.sqlite"
    with Inbox(path) as inbox:
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)])
        cursor, seen = 0, []
        while True:
            done = writer.poll() is not None
            batch = inbox.events_after(cursor, 50)
            seen += [int(e.object_id or -1) for e in batch]
            cursor = batch[-1].id if batch else cursor
            if done and not batch:
                break
            time.sleep(0.005)  # a sensor polls; it does not spin
        assert writer.returncode == 0
        assert seen == list(range(300))


def test_the_file_is_private_and_verifiers_stay_in_their_table(tmp_path: Path):
    path = tmp_path / "inbox.sqlite"
    verifiers = CallbackVerifiers(path)
    try:
        assert verifiers.add_pending(2001, "planted-verifier-0123456789", "6BApk")
        assert not verifiers.add_pending(2001, "planted-verifier-0123456789", "6BApk")
        assert verifiers.trusted() == () and verifiers.counts() == {"pending": 1, "trusted": 0}
        assert verifiers.add_pending(2001, "genuine-verifier-0123456789", "6BApk")
        assert verifiers.trust(2001, "genuine-verifier-0123456789")
        verifiers.discard(2001, "planted-verifier-0123456789")
        verifiers.discard(2001, "genuine-verifier-0123456789")  # trusted ones are not discarded
        assert verifiers.trusted() == ("genuine-verifier-0123456789",)
        assert verifiers.trusted_callbacks() == {2001}
    finally:
        verifiers.close()
    for file in tmp_path.glob("inbox.sqlite*"):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file


def test_a_reader_in_another_process_never_loses_the_receivers_events(tmp_path):
    """Opening a second database on the same inbox (the receiver opens two) must not drop the
    first one's SQLite locks; else a reader closing its connection deletes the WAL the receiver
    still writes to, and later events vanish."""

    path = tmp_path / "inbox.sqlite"
    reader = (
        "import sys; from ledgerlink.webhooks.inbox import Inbox; from pathlib import Path\n"
        "with Inbox(Path(sys.argv[1])) as inbox: print(len(inbox.events_after(0, 1000)))"
    )
    with Inbox(path) as inbox:
        InboxDatabase(path)  # a second handle on the same file, as the receiver's app has
        for n in range(4):
            assert inbox.append("shop", "orders/create", f"event-{n}", "{}", keep_for=60)
            seen = subprocess.run(
                [sys.executable, "-c", reader, str(path)], capture_output=True, text=True
            )
            assert seen.stdout.strip() == str(n + 1), seen.stderr

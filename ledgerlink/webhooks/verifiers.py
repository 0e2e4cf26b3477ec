"""FreshBooks callback verifiers: pending when announced, trusted once FreshBooks confirms them.

Anyone can POST `callback.verify` with a verifier of their choosing, so an announced verifier
only becomes `pending`; the receiver then sends it back to FreshBooks (PUT callbacks/{id}) and
marks it `trusted` only if FreshBooks accepts it. Deliveries signed with a pending verifier are
rejected. Each (callback, verifier) pair is its own row, so a planted verifier can never replace
or demote a trusted one. The verifiers are secrets: this table is the only place they are kept.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from ledgerlink.webhooks.db import InboxDatabase


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class CallbackVerifiers:
    """The `freshbooks_verifiers` table of the inbox file."""

    def __init__(self, path: Path) -> None:
        self.db = InboxDatabase(path)

    def close(self) -> None:
        self.db.close()

    def add_pending(self, callback_id: int, verifier: str, account_id: str) -> bool:
        """Remember an announced verifier; False when this pair is already known (pending or
        trusted), so a repeated announcement does not trigger another confirmation."""
        with self.db.write() as conn:
            return bool(
                conn.execute(
                    "insert or ignore into freshbooks_verifiers"
                    " (callback_id, verifier, account_id, state, updated_at)"
                    " values (?, ?, ?, 'pending', ?)",
                    (callback_id, verifier, account_id, _now()),
                ).rowcount
            )

    def trust(self, callback_id: int, verifier: str) -> bool:
        """Promote a pending verifier after FreshBooks accepted it."""
        with self.db.write() as conn:
            return bool(
                conn.execute(
                    "update freshbooks_verifiers set state = 'trusted', updated_at = ?"
                    " where callback_id = ? and verifier = ? and state = 'pending'",
                    (_now(), callback_id, verifier),
                ).rowcount
            )

    def discard(self, callback_id: int, verifier: str) -> None:
        """Drop a pending verifier FreshBooks refused (or that could not be confirmed)."""
        with self.db.write() as conn:
            conn.execute(
                "delete from freshbooks_verifiers"
                " where callback_id = ? and verifier = ? and state = 'pending'",
                (callback_id, verifier),
            )

    def trusted(self) -> tuple[str, ...]:
        """Every confirmed verifier: a delivery signed with any of them is authentic."""
        rows = self.db.connection().execute(
            "select distinct verifier from freshbooks_verifiers where state = 'trusted'"
        )
        return tuple(row[0] for row in rows)

    def trusted_callbacks(self) -> set[int]:
        """Ids of the callbacks this inbox holds a confirmed verifier for."""
        rows = self.db.connection().execute(
            "select distinct callback_id from freshbooks_verifiers where state = 'trusted'"
        )
        return {int(row[0]) for row in rows}

    def pending(self) -> list[tuple[int, str, str]]:
        """(callback_id, verifier, account_id) of every verifier still awaiting confirmation."""
        rows = self.db.connection().execute(
            "select callback_id, verifier, account_id from freshbooks_verifiers"
            " where state = 'pending' order by callback_id"
        )
        return [(int(r[0]), r[1], r[2]) for r in rows]

    def counts(self) -> dict[str, int]:
        rows: list[sqlite3.Row] = (
            self.db.connection()
            .execute("select state, count(*) from freshbooks_verifiers group by state")
            .fetchall()
        )
        return {"pending": 0, "trusted": 0, **{row[0]: int(row[1]) for row in rows}}

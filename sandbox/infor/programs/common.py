"""What the program modules share: change sets, change numbers, LES-style search."""

from __future__ import annotations

import fnmatch

from sandbox.infor import errors
from sandbox.infor.registry import Call

# Inputs that identify a record or the context, never copied into it by a change transaction.
CONTEXT_FIELDS = frozenset({"CONO", "DIVI", "CHNO"})


def changes(call: Call, *, keys: tuple[str, ...]) -> dict[str, str]:
    """The fields a Chg/Upd transaction sets: every non-blank input that is not a key."""
    skip = CONTEXT_FIELDS | set(keys)
    return {name: value for name, value in call.fields.items() if name not in skip}


def check_change_number(call: Call, record: dict[str, str]) -> None:
    """Optimistic locking: a CHNO input must match the record's current change number."""
    given = call.get("CHNO")
    if given and given.lstrip("0") != record.get("CHNO", "").lstrip("0"):
        raise errors.MIError(
            errors.CHANGED,
            f"Record changed by another user (change number {record.get('CHNO', '')}, "
            f"given {given})",
            "CHNO",
        )


def matches_query(doc: dict[str, str], query: str) -> bool:
    """A small subset of M3's LES search syntax: `FIELD:value` terms (`*` wildcards) and words
    that must appear in the record's name or number."""
    text = " ".join(doc.get(name, "") for name in ("CUNM", "CUNO", "ORNO", "SUNM", "ITDS")).upper()
    for term in query.split():
        name, sep, value = term.partition(":")
        if sep and name.isupper():
            if not fnmatch.fnmatchcase(doc.get(name, "").upper(), value.upper()):
                return False
        elif term.upper().strip("*") not in text:
            return False
    return True

"""CRS630MI chart of accounts (accounting identities per dimension AITP; AIT1 = GL account)."""

from __future__ import annotations

from sandbox.infor.registry import Call, Record, handles


@handles("CRS630MI", "LstAccountID")
def list_accounts(call: Call) -> list[Record]:
    return call.store.docs(
        "select doc from accounts where aitp = ? and aitm >= ? order by aitm limit ?",
        (call.integer("AITP"), call.get("AITM"), call.sql_limit),
    )


@handles("CRS630MI", "GetAccountID")
def get_account(call: Call) -> list[Record]:
    found = call.store.doc(
        "select doc from accounts where aitp = ? and aitm = ?",
        (call.integer("AITP"), call.get("AITM")),
    )
    if found is None:
        raise call.not_found("AITM")
    return [found]

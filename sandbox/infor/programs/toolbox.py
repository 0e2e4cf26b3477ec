"""Transactions every MI program carries; GetServerTime's LMTS is the safe next `LMTS` cursor."""

from __future__ import annotations

from sandbox.infor.contract import load_contract
from sandbox.infor.registry import Call, Record, handles


def server_time(call: Call) -> list[Record]:
    now = call.store.now()
    return [
        {
            "DATE": now.strftime("%Y%m%d"),
            "TIME": now.strftime("%H%M%S"),
            "LMTS": str(call.store.server_lmts()),
        }
    ]


for _program, _transactions in load_contract().programs.items():
    if "GetServerTime" in _transactions:
        handles(_program, "GetServerTime")(server_time)

"""Transactions every MI program carries: GetServerTime, whose LMTS is the safe next `LMTS`
cursor, and GetUserInfo, the API user's company, division, facility and warehouse."""

from __future__ import annotations

from sandbox.infor.company import API_USER, CONO
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


def user_info(call: Call) -> list[Record]:
    """The defaults M3 fills in for this user: where its orders go unless a call says otherwise."""
    tenant = call.tenant
    return [
        {
            "ZZUSID": API_USER,
            "ZDCONO": CONO,
            "ZDDIVI": tenant.divi,
            "ZDFACI": tenant.faci,
            "ZZWHLO": tenant.whlo,
            "ZDAUPF": "",
            "ZDREPF": "0",
            "ZDLANC": "GB",
            "ZDDTFM": "YMD",
            "DSEP": "-",
            "TSEP": ":",
            "TIZO": "UTC",
            "USFN": "Ledgerlink integration user",
        }
    ]


for _program, _transactions in load_contract().programs.items():
    if "GetServerTime" in _transactions:
        handles(_program, "GetServerTime")(server_time)
    if "GetUserInfo" in _transactions:
        handles(_program, "GetUserInfo")(user_info)

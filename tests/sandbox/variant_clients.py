"""Clients and flows the sandbox-variant tests share: one module-scoped variant, its APIs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from conftest import start_variant
from test_freshbooks_emulator import Api
from test_infor_emulator import M3

from sandbox import runner
from sandbox.generator import World
from sandbox.options import SandboxOptions


@contextmanager
def running_variant(home: Path, profile: str = "default", **options: Any) -> Iterator[dict]:
    """A variant sandbox for one test module, stopped when the module is done."""
    try:
        yield start_variant(home, profile, **options)
    finally:
        runner.stop(home)


def world_of(info: dict) -> World:
    """The world the variant was seeded from, to compare what the APIs serve with it."""
    options = SandboxOptions.from_dict(info["options"])
    return World(seed=info["seed"], scale=info["scale"], options=options)


def m3_client(info: dict) -> M3:
    ionapi = json.loads(Path(info["environment"]["INFOR_IONAPI_FILE"]).read_text())
    return M3(info["urls"]["infor"], ionapi)


def freshbooks_client(info: dict) -> Api:
    url, env = info["urls"]["freshbooks"], info["environment"]
    token = httpx.post(f"{url}/_sandbox/tokens/issue", timeout=30).json()["access_token"]
    account = httpx.get(f"{url}/_sandbox/freshbooks/account", timeout=30).json()
    http = httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {token}"})
    return Api(
        url,
        http,
        account["account_id"],
        env["FRESHBOOKS_CLIENT_ID"],
        env["FRESHBOOKS_CLIENT_SECRET"],
    )


def every(api: Api, resource: str, **params: Any) -> list[dict]:
    """Every record of a FreshBooks list, page by page (active and archived)."""
    key = resource.split("/")[-1]
    found, page = [], 1
    while True:
        result = api.result(api.get(resource, per_page=100, page=page, **params))
        found += result[key]
        if page >= result["pages"]:
            return found
        page += 1


def invoiced_order(m3: M3, cuno: str, lines: list[dict[str, str]], **head: str) -> dict:
    """Batch head, the given lines (AddBatchLine inputs), confirm, ship and invoice: the
    OIS350MI invoice head of the new order."""
    batch = m3.one("OIS100MI", "AddBatchHead", CUNO=cuno, **head)["ORNO"]
    for line in lines:
        m3.one("OIS100MI", "AddBatchLine", ORNO=batch, **line)
    orno = m3.one("OIS100MI", "Confirm", ORNO=batch)["ORNO"]
    for step in ("ship", "invoice"):
        response = m3.control("POST", f"/infor/orders/{orno}/{step}")
        assert response.status_code == 200, response.text
    return m3.one("OIS350MI", "LstInvHeadByCo", ORNO=orno)


def pay_in_full(
    m3: M3, invoice: dict, statement: str, *, bank: str, division: str, abno: str = ""
) -> dict[str, str]:
    """A cash receipt (ABS100MI head, line, detail, validate) of the invoice's whole amount;
    the keys of its AR transactions (ARS200MI/LstInvoiceTrans)."""
    job = m3.one(
        "ABS100MI", "AddStatmtHead", CONO=100, DIVI=division, BSTY=1, STMN=statement, BSID=bank,
        CUCD=invoice["CUCD"],
    )  # fmt: skip
    key = {"DIVI": division, "JBNO": job["JBNO"], "JBDT": job["JBDT"], "JBTM": job["JBTM"]}
    line = {"BLSN": 1, "BLLF": invoice["AMT1"], "PYNO": invoice["PYNO"], "ACDT": "20260210"}
    m3.one("ABS100MI", "AddStatmtLine", **key, **line, **({"ABNO": abno} if abno else {}))
    m3.one("ABS100MI", "AddStatmtDetail", **key, BLSN=1, BLSS=1, CINO=invoice["IVNO"])
    assert m3.ok("ABS100MI", "ValidateStatmt", **key) == []
    return {
        "PYNO": invoice["PYNO"],
        "CINO": invoice["IVNO"],
        "INYR": invoice["YEA4"],
        "CUNO": invoice["CUNO"],
    }


def money(value: str | dict) -> Decimal:
    return Decimal(value["amount"] if isinstance(value, dict) else value)

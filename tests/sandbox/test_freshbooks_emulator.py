"""The FreshBooks emulator's behaviour over real HTTP: OAuth, paging, search, quirks, webhooks."""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import httpx
import pytest
from conftest import clear_faults, inject_faults, reset_emulator

from sandbox.freshbooks.webhooks import signature
from sandbox.generator import World

REDIRECT_URI = "http://127.0.0.1:8765/callback"


@dataclass
class Api:
    """An authorized HTTP client for the emulator, with the account it belongs to."""

    url: str
    http: httpx.Client
    account_id: str
    client_id: str
    client_secret: str

    def path(self, resource: str, record_id: int | None = None) -> str:
        tail = "" if record_id is None else f"/{record_id}"
        return f"/accounting/account/{self.account_id}/{resource}{tail}"

    def get(self, resource: str, record_id: int | None = None, **params) -> httpx.Response:
        return self.http.get(self.path(resource, record_id), params=_params(params))

    def post(self, resource: str, body: dict, **params) -> httpx.Response:
        return self.http.post(self.path(resource), json=body, params=_params(params))

    def put(self, resource: str, record_id: int, body: dict, **params) -> httpx.Response:
        return self.http.put(self.path(resource, record_id), json=body, params=_params(params))

    def result(self, response: httpx.Response) -> dict:
        assert response.status_code == 200, response.text
        return response.json()["response"]["result"]

    def control(self, path: str, body: dict | None = None) -> dict:
        response = httpx.post(f"{self.url}/_sandbox/{path}", json=body, timeout=30)
        response.raise_for_status()
        return response.json()


def _params(params: dict) -> list[tuple[str, str]]:
    """`search__updated_min="x"` -> `search[updated_min]=x`; `include=["lines"]` -> include[]."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        if key == "include":
            pairs += [("include[]", v) for v in value]
        elif key.startswith("search__"):
            pairs.append((f"search[{key[len('search__') :]}]", str(value)))
        else:
            pairs.append((key, str(value)))
    return pairs


def authorize(url: str, env: dict, http: httpx.Client, state: str = "s1") -> dict:
    """The authorization-code grant as a connector runs it (the sandbox approves at once)."""
    response = http.get(
        f"{url}/oauth/authorize",
        params={
            "client_id": env["FRESHBOOKS_CLIENT_ID"],
            "response_type": "code",
            "redirect_uri": REDIRECT_URI,
            "state": state,
        },
    )
    assert response.status_code == 302
    location = httpx.URL(response.headers["location"])
    assert str(location).startswith(REDIRECT_URI)
    assert location.params["state"] == state
    token = http.post(
        f"{url}/auth/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": env["FRESHBOOKS_CLIENT_ID"],
            "client_secret": env["FRESHBOOKS_CLIENT_SECRET"],
            "code": location.params["code"],
            "redirect_uri": REDIRECT_URI,
        },
    )
    assert token.status_code == 200, token.text
    return token.json()


@pytest.fixture(scope="module")
def api(sandbox: dict) -> Iterator[Api]:
    url, env = sandbox["urls"]["freshbooks"], sandbox["environment"]
    with httpx.Client(base_url=url, timeout=30) as http:
        tokens = authorize(url, env, http)
        http.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        me = http.get("/auth/api/v1/users/me").json()["response"]
        account_id = me["business_memberships"][0]["business"]["account_id"]
        yield Api(
            url, http, account_id, env["FRESHBOOKS_CLIENT_ID"], env["FRESHBOOKS_CLIENT_SECRET"]
        )


@pytest.fixture
def fresh(api: Api) -> Iterator[Api]:
    """Seeded data, no faults, real time, default token lifetime; the same again afterwards.
    A new token each time: tests expire and revoke every token the sandbox issued."""
    reset_emulator(api.url)
    api.http.headers["Authorization"] = f"Bearer {api.control('tokens/issue')['access_token']}"
    yield api
    httpx.post(f"{api.url}/_sandbox/clock", json={"reset": True}, timeout=10).raise_for_status()
    reset_emulator(api.url)


def set_clock(api: Api, instant: str) -> None:
    api.control("clock", {"set": instant, "frozen": True})


def counts(api: Api) -> dict:
    return httpx.get(f"{api.url}/_sandbox/freshbooks/counts", timeout=10).json()


def errors_of(response: httpx.Response) -> list[dict]:
    return response.json()["response"]["errors"]


def new_invoice(api: Api, **fields) -> dict:
    client = api.result(api.get("users/clients", per_page=1))["clients"][0]
    body = {
        "customerid": client["id"],
        "create_date": "2026-02-01",
        "currency_code": "USD",
        "lines": [
            {
                "name": "Widget",
                "qty": 3,
                "unit_cost": {"amount": "19.99"},
                "taxName1": "Sales Tax",
                "taxAmount1": "8.25",
            },
            {"name": "Setup", "qty": "1.5", "unit_cost": {"amount": "100.00", "code": "USD"}},
        ],
        **fields,
    }
    return api.result(api.post("invoices/invoices", {"invoice": body}, include=["lines"]))[
        "invoice"
    ]


# --- OAuth and identity --------------------------------------------------------------------------
def test_environment_names_the_api_and_the_app_registration(sandbox: dict):
    env = {k: v for k, v in sandbox["environment"].items() if k.startswith("FRESHBOOKS_")}
    assert set(env) == {
        "FRESHBOOKS_API_URL",
        "FRESHBOOKS_AUTH_URL",
        "FRESHBOOKS_CLIENT_ID",
        "FRESHBOOKS_CLIENT_SECRET",
    }
    assert env["FRESHBOOKS_API_URL"] == env["FRESHBOOKS_AUTH_URL"] == sandbox["urls"]["freshbooks"]


def test_identity_names_one_business_membership(api: Api):
    me = api.http.get("/auth/api/v1/users/me").json()
    assert "result" not in me["response"]
    (membership,) = me["response"]["business_memberships"]
    business = membership["business"]
    assert isinstance(business["id"], int) and isinstance(business["business_uuid"], str)
    assert business["account_id"] == api.account_id and len(api.account_id) <= 8


def test_codes_are_single_use_and_expire_after_five_minutes(fresh: Api, sandbox: dict):
    env, url = sandbox["environment"], fresh.url
    with httpx.Client(timeout=10) as http:

        def code() -> str:
            response = http.get(
                f"{url}/oauth/authorize",
                params={
                    "client_id": fresh.client_id,
                    "response_type": "code",
                    "redirect_uri": REDIRECT_URI,
                },
            )
            return httpx.URL(response.headers["location"]).params["code"]

        def exchange(value: str) -> httpx.Response:
            body = {
                "grant_type": "authorization_code",
                "client_id": env["FRESHBOOKS_CLIENT_ID"],
                "client_secret": env["FRESHBOOKS_CLIENT_SECRET"],
                "code": value,
                "redirect_uri": REDIRECT_URI,
            }
            # The Node SDK sends JSON; the Python SDK a form; both are accepted.
            return http.post(f"{url}/auth/oauth/token", json=body)

        first = code()
        assert exchange(first).status_code == 200
        reused = exchange(first)
        assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
        late = code()
        fresh.control("clock", {"advance_seconds": 301})
        assert exchange(late).json()["error"] == "invalid_grant"


def test_wrong_client_secret_is_invalid_client(api: Api):
    response = httpx.post(
        f"{api.url}/auth/oauth/token",
        files={  # multipart, as in the documentation's curl example
            "grant_type": (None, "refresh_token"),
            "client_id": (None, api.client_id),
            "client_secret": (None, "not-the-secret"),
            "refresh_token": (None, "whatever"),
        },
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client" and response.json()["error_description"]


def test_refresh_tokens_rotate_and_work_once(fresh: Api, sandbox: dict):
    env = sandbox["environment"]
    with httpx.Client(base_url=fresh.url, timeout=10) as http:
        first = authorize(fresh.url, env, http)
        assert first["token_type"] == "Bearer" and first["expires_in"] == 43200

        def refresh(token: str) -> httpx.Response:
            return http.post(
                "/auth/oauth/token",
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": token,
                    "client_id": env["FRESHBOOKS_CLIENT_ID"],
                    "client_secret": env["FRESHBOOKS_CLIENT_SECRET"],
                    "redirect_uri": REDIRECT_URI,
                },
            )

        second = refresh(first["refresh_token"]).json()
        assert second["refresh_token"] != first["refresh_token"]
        assert second["access_token"] != first["access_token"]
        reused = refresh(first["refresh_token"])
        assert reused.status_code == 400
        assert reused.json()["error"] == "invalid_grant" and reused.json()["error_description"]
        # Using the refresh token revoked the access token issued with it.
        old = http.get(
            "/auth/api/v1/users/me", headers={"Authorization": f"Bearer {first['access_token']}"}
        )
        assert old.status_code == 401
        new = http.get(
            "/auth/api/v1/users/me", headers={"Authorization": f"Bearer {second['access_token']}"}
        )
        assert new.status_code == 200
        fresh.control("tokens/revoke")
        assert refresh(second["refresh_token"]).json()["error"] == "invalid_grant"


def test_access_tokens_expire_by_the_sandbox_clock(fresh: Api):
    fresh.control("tokens/lifetime", {"seconds": 60})
    token = fresh.control("tokens/issue")
    assert token["expires_in"] == 60
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    path = fresh.path("users/clients")
    assert fresh.http.get(path, headers=headers).status_code == 200
    fresh.control("clock", {"advance_seconds": 61})
    expired = fresh.http.get(path, headers=headers)
    assert expired.status_code == 401
    assert errors_of(expired)[0]["errno"] == 1003
    me = fresh.http.get("/auth/api/v1/users/me", headers=headers)
    assert me.status_code == 401 and me.json()["error"] == "unauthenticated"
    events = fresh.http.get(f"/events/account/{fresh.account_id}/events/callbacks", headers=headers)
    assert events.status_code == 401 and events.json()["errno"] == 401
    # The shared control expires every token at once, the module's own included.
    fresh.control("tokens/expire")
    assert fresh.get("users/clients").status_code == 401


# --- paging, search, includes --------------------------------------------------------------------
def test_paging_defaults_caps_and_edges(fresh: Api):
    default = fresh.result(fresh.get("invoices/invoices"))
    total = default["total"]
    assert default["per_page"] == 15 and len(default["invoices"]) == 15
    assert default["pages"] == math.ceil(total / 15)
    capped = fresh.result(fresh.get("invoices/invoices", per_page=500))
    assert capped["per_page"] == 100 and len(capped["invoices"]) == 100
    zero = fresh.result(fresh.get("invoices/invoices", page=0))
    assert zero["page"] == 1 and zero["invoices"] == default["invoices"]
    past = fresh.result(fresh.get("invoices/invoices", page=999))
    assert past["invoices"] == [] and past["total"] == total and past["page"] == 999
    ids = [i["id"] for i in capped["invoices"]]
    assert ids == sorted(ids)
    for bad in ("abc", "-1", "1.5"):
        response = fresh.get("invoices/invoices", page=bad)
        assert response.status_code == 400
        assert errors_of(response)[0]["field"] == "page"


def test_sort_by_updated(fresh: Api):
    newest = fresh.result(fresh.get("invoices/invoices", sort="updated_desc", per_page=20))[
        "invoices"
    ]
    stamps = [i["updated"] for i in newest]
    assert stamps == sorted(stamps, reverse=True)


def test_lines_only_with_include(fresh: Api):
    plain = fresh.result(fresh.get("invoices/invoices", per_page=5))["invoices"]
    assert all("lines" not in i for i in plain)
    full = fresh.result(fresh.get("invoices/invoices", per_page=5, include=["lines"]))["invoices"]
    assert all(i["lines"] and i["lines"][0]["invoiceid"] == i["id"] for i in full)
    one = fresh.result(fresh.get("invoices/invoices", full[0]["id"], include=["lines"]))["invoice"]
    assert one["lines"] == full[0]["lines"]
    assert "lines" not in fresh.result(fresh.get("invoices/invoices", full[0]["id"]))["invoice"]


def test_search_filters(fresh: Api):
    clients = fresh.result(fresh.get("users/clients", per_page=100))["clients"]
    target = clients[3]
    by_email = fresh.result(fresh.get("users/clients", search__email=target["email"].upper()))
    assert [c["id"] for c in by_email["clients"]] == [target["id"]]
    stem = target["organization"].split()[0].lower()
    like = fresh.result(fresh.get("users/clients", search__organization_like=stem))["clients"]
    assert target["id"] in {c["id"] for c in like}
    assert all(stem in c["organization"].lower() for c in like)
    invoices = fresh.result(
        fresh.get("invoices/invoices", search__customerid=target["id"], per_page=100)
    )
    assert invoices["invoices"] and all(
        i["customerid"] == target["id"] for i in invoices["invoices"]
    )
    number = invoices["invoices"][0]["invoice_number"]
    exact = fresh.result(fresh.get("invoices/invoices", search__invoice_number=number))["invoices"]
    assert [i["invoice_number"] for i in exact] == [number]
    window = fresh.result(
        fresh.get(
            "invoices/invoices",
            search__date_min="2025-06-01",
            search__date_max="2025-06-30",
            per_page=100,
        )
    )["invoices"]
    assert window and all("2025-06-01" <= i["create_date"] <= "2025-06-30" for i in window)


def test_the_planted_duplicate_client_is_served(fresh: Api):
    world = World(seed=42, scale=1.0)
    first = world.freshbooks_companies()[0]
    twins = fresh.result(fresh.get("users/clients", search__email=first.email))["clients"]
    assert len(twins) == 2 and {c["email"] for c in twins} == {first.email, first.email.upper()}


def test_money_matches_the_world_exactly(fresh: Api):
    world = World(seed=42, scale=1.0)
    invoices = fresh.result(fresh.get("invoices/invoices", per_page=100, include=["lines"]))[
        "invoices"
    ]
    by_number = {i["invoice_number"]: i for i in invoices}
    for sale in world.iter_sales():
        invoice = by_number.get(sale.number)
        if invoice is None:
            continue
        assert invoice["amount"] == {"amount": str(sale.total), "code": sale.currency}
        assert invoice["paid"]["amount"] == str(sale.paid)
        for line, expected in zip(invoice["lines"], sale.lines, strict=True):
            assert Decimal(line["qty"]) * Decimal(line["unit_cost"]["amount"]) == Decimal(
                line["amount"]["amount"]
            )
            assert line["amount"]["amount"] == str(expected.amount)


# --- vis_state ------------------------------------------------------------------------------------
def test_deleted_only_on_request_and_archived_by_default(fresh: Api):
    truth = counts(fresh)
    for resource, key in (
        ("invoices/invoices", "invoices"),
        ("users/clients", "clients"),
        ("expenses/expenses", "expenses"),
    ):
        listed = fresh.result(fresh.get(resource))["total"]
        assert listed == truth[key]["0"] + truth[key]["2"], key
        deleted = fresh.result(fresh.get(resource, search__vis_state=1, per_page=100))
        assert deleted["total"] == truth[key]["1"] >= 1, key
        assert all(r["vis_state"] == 1 for r in deleted[key])
        archived = fresh.result(fresh.get(resource, search__vis_state=2))
        assert archived["total"] == truth[key]["2"] >= 1, key


def test_put_with_vis_state_ignores_every_other_field(fresh: Api):
    client = fresh.result(fresh.get("users/clients", per_page=1))["clients"][0]
    body = {"client": {"vis_state": 2, "organization": "Ignored Org", "note": "ignored"}}
    archived = fresh.result(fresh.put("users/clients", client["id"], body))["client"]
    assert archived["vis_state"] == 2 and archived["organization"] == client["organization"]
    partial = fresh.result(fresh.put("users/clients", client["id"], {"client": {"note": "kept"}}))[
        "client"
    ]
    assert partial["note"] == "kept" and partial["organization"] == client["organization"]
    assert partial["vis_state"] == 2
    deleted = fresh.result(fresh.put("users/clients", client["id"], {"client": {"vis_state": 1}}))[
        "client"
    ]
    assert deleted["vis_state"] == 1
    assert client["id"] not in {
        c["id"] for c in fresh.result(fresh.get("users/clients", per_page=100))["clients"]
    }
    assert fresh.result(fresh.get("users/clients", client["id"]))["client"]["vis_state"] == 1


# --- timestamps ----------------------------------------------------------------------------------
def test_updated_is_eastern_wall_time_across_dst(fresh: Api):
    client = fresh.result(fresh.get("users/clients", per_page=1))["clients"][0]
    # 2026-03-08: clocks jump from 02:00 EST to 03:00 EDT (07:00 UTC).
    set_clock(fresh, "2026-03-08T06:30:00Z")
    before = fresh.result(fresh.put("users/clients", client["id"], {"client": {"note": "a"}}))[
        "client"
    ]
    assert before["updated"] == "2026-03-08 01:30:00"
    set_clock(fresh, "2026-03-08T07:30:00Z")
    after = fresh.result(fresh.put("users/clients", client["id"], {"client": {"note": "b"}}))[
        "client"
    ]
    assert after["updated"] == "2026-03-08 03:30:00"
    set_clock(fresh, "2026-11-01T05:30:00Z")  # 01:30 EDT, the first of the two 01:30s
    autumn = fresh.result(fresh.post("users/clients", {"client": {"email": "fall@example.org"}}))[
        "client"
    ]
    assert autumn["updated"] == "2026-11-01 01:30:00"
    assert autumn["signup_date"] == "2026-11-01 05:30:00"  # client signup_date is UTC


def test_updated_min_is_a_day_in_eastern_time(fresh: Api):
    clients = fresh.result(fresh.get("users/clients", per_page=2))["clients"]
    # 03:30 UTC on the 10th is still the evening of the 9th in New York.
    set_clock(fresh, "2026-03-10T03:30:00Z")
    fresh.put("users/clients", clients[0]["id"], {"client": {"note": "late on the 9th"}})
    set_clock(fresh, "2026-03-10T14:00:00Z")
    fresh.put("users/clients", clients[1]["id"], {"client": {"note": "on the 10th"}})

    def ids(**search) -> set[int]:
        found = fresh.result(fresh.get("users/clients", per_page=100, **search))["clients"]
        return {c["id"] for c in found}

    assert ids(search__updated_min="2026-03-09") == {clients[0]["id"], clients[1]["id"]}
    assert ids(search__updated_min="2026-03-10") == {clients[1]["id"]}
    # Day granularity: a time of day is ignored, the whole day counts.
    assert ids(search__updated_min="2026-03-10 23:00:00") == {clients[1]["id"]}
    assert clients[0]["id"] in ids(
        search__updated_min="2026-03-09", search__updated_max="2026-03-09"
    )
    assert clients[1]["id"] not in ids(
        search__updated_min="2026-03-09", search__updated_max="2026-03-09"
    )


# --- invoices and payments -----------------------------------------------------------------------
def test_new_invoice_is_a_draft_with_exact_amounts(fresh: Api):
    invoice = new_invoice(fresh)
    assert (invoice["status"], invoice["v3_status"], invoice["display_status"]) == (
        1,
        "draft",
        "draft",
    )
    assert invoice["payment_status"] == "unpaid"
    assert [line["amount"]["amount"] for line in invoice["lines"]] == ["59.97", "150.00"]
    # 59.97 + 150.00 + 8.25% of 59.97 (4.947... -> 4.95)
    assert invoice["amount"] == {"amount": "214.92", "code": "USD"}
    assert invoice["outstanding"]["amount"] == "214.92"
    assert invoice["lines"][0]["taxAmount1"] == "8.25" and invoice["lines"][1]["qty"] == "1.5"
    sent = fresh.result(
        fresh.put("invoices/invoices", invoice["id"], {"invoice": {"action_mark_as_sent": True}})
    )["invoice"]
    assert (sent["status"], sent["v3_status"]) == (2, "sent")


def test_put_lines_replaces_them(fresh: Api):
    invoice = new_invoice(fresh)
    body = {"invoice": {"lines": [{"name": "Only", "qty": 2, "unit_cost": {"amount": "5.00"}}]}}
    updated = fresh.result(fresh.put("invoices/invoices", invoice["id"], body, include=["lines"]))[
        "invoice"
    ]
    assert [line["name"] for line in updated["lines"]] == ["Only"]
    assert updated["amount"]["amount"] == "10.00"


def test_invoice_numbers_increment_and_collide_with_409(fresh: Api):
    last = fresh.result(fresh.get("invoices/invoices", sort="id_desc", per_page=1))["invoices"][0]
    created = new_invoice(fresh)
    assert created["invoice_number"] == "INV-010201" and last["invoice_number"] == "INV-010200"
    duplicate = fresh.post(
        "invoices/invoices",
        {
            "invoice": {
                "customerid": created["customerid"],
                "create_date": "2026-02-02",
                "invoice_number": "INV-010201",
            }
        },
    )
    assert duplicate.status_code == 409
    assert errors_of(duplicate)[0]["field"] == "invoice_number"
    fresh.control("freshbooks/conflicts", {"count": 2})
    body = {"invoice": {"customerid": created["customerid"], "create_date": "2026-02-02"}}
    assert [fresh.post("invoices/invoices", body).status_code for _ in range(3)] == [409, 409, 200]


def test_payments_recompute_the_invoice(fresh: Api):
    invoice = new_invoice(fresh, action_mark_as_sent=True)

    def pay(amount: str, day: str) -> dict:
        body = {
            "payment": {
                "invoiceid": invoice["id"],
                "amount": {"amount": amount},
                "date": day,
                "type": "Check",
            }
        }
        return fresh.result(fresh.post("payments/payments", body))["payment"]

    first = pay("100.00", "2026-02-10")
    assert first["id"] == first["logid"] and first["clientid"] == invoice["customerid"]
    assert first["amount"] == {"amount": "100.00", "code": "USD"}
    partial = fresh.result(fresh.get("invoices/invoices", invoice["id"]))["invoice"]
    assert (partial["status"], partial["v3_status"], partial["payment_status"]) == (
        8,
        "partial",
        "partial",
    )
    assert partial["outstanding"]["amount"] == "114.92" and partial["date_paid"] is None
    pay("114.92", "2026-02-12")
    paid = fresh.result(fresh.get("invoices/invoices", invoice["id"]))["invoice"]
    assert (paid["status"], paid["v3_status"], paid["payment_status"]) == (4, "paid", "paid")
    assert paid["outstanding"]["amount"] == "0.00" and paid["date_paid"] == "2026-02-12"
    fresh.put("payments/payments", first["id"], {"payment": {"vis_state": 1}})
    again = fresh.result(fresh.get("invoices/invoices", invoice["id"]))["invoice"]
    assert again["payment_status"] == "partial" and again["paid"]["amount"] == "114.92"


# --- errors --------------------------------------------------------------------------------------
def test_validation_errors_use_the_accounting_shape(fresh: Api):
    missing = fresh.post("invoices/invoices", {"invoice": {"create_date": "2026-01-01"}})
    assert missing.status_code == 422
    assert errors_of(missing)[0]["field"] == "customerid"
    assert set(errors_of(missing)[0]) == {"errno", "field", "message", "object", "value"}
    wrong_type = fresh.post(
        "invoices/invoices", {"invoice": {"customerid": "abc", "create_date": "2026-01-01"}}
    )
    assert wrong_type.status_code == 422 and errors_of(wrong_type)[0]["value"] == "abc"
    unknown_client = fresh.post(
        "invoices/invoices", {"invoice": {"customerid": 1, "create_date": "2026-01-01"}}
    )
    assert (
        unknown_client.status_code == 422 and errors_of(unknown_client)[0]["field"] == "customerid"
    )
    unknown_invoice = fresh.post(
        "payments/payments",
        {"payment": {"invoiceid": 1, "amount": {"amount": "1.00"}, "date": "2026-01-01"}},
    )
    assert (
        unknown_invoice.status_code == 422 and errors_of(unknown_invoice)[0]["field"] == "invoiceid"
    )
    bad_money = fresh.post(
        "expenses/expenses", {"expense": {"categoryid": 1, "date": "2026-01-01", "amount": 5}}
    )
    assert bad_money.status_code == 422 and errors_of(bad_money)[0]["field"] == "amount"
    malformed = fresh.http.post(
        fresh.path("users/clients"),
        content=b'{"client": {',
        headers={"Content-Type": "application/json"},
    )
    assert malformed.status_code == 400 and errors_of(malformed)[0]["errno"]
    unwrapped = fresh.post("users/clients", {"email": "a@b.co"})
    assert unwrapped.status_code == 422 and errors_of(unwrapped)[0]["field"] == "client"
    assert (
        fresh.result(fresh.post("users/clients", {"client": {"email": "a@b.co"}}))["client"][
            "organization"
        ]
        == "a@b.co"
    )


HOSTILE = [
    ("POST", "invoices/invoices", {"invoice": {"customerid": 40001, "create_date": "2026-01-01",
                                               "lines": [{"qty": "1e999"}]}}),
    ("POST", "invoices/invoices", {"invoice": {"customerid": 40001, "create_date": "2026-01-01",
                                               "due_offset_days": 10**12}}),
    ("POST", "users/clients", {"client": {"fname": {"nested": True}}}),
    ("GET", "users/clients/99999999999999999999999", None),
    ("GET", "invoices/invoices?search[updated_max]=9999-12-31&page=99999999999999999999", None),
    ("GET", "invoices/invoices?search[customerid]=99999999999999999999999", None),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body"), HOSTILE)
def test_hostile_input_gets_an_api_error_never_a_crash(api: Api, method: str, path: str, body):
    response = api.http.request(method, api.path(path), json=body)
    assert response.status_code < 500, response.text
    assert response.status_code == 200 or errors_of(response)[0]["message"]


def test_not_found_in_both_accounting_styles(api: Api):
    legacy = api.get("users/clients", 1)
    assert legacy.status_code == 404
    assert errors_of(legacy) == [
        {
            "errno": 1012,
            "field": "userid",
            "message": "Client not found.",
            "object": "client",
            "value": "1",
        }
    ]
    newer = api.http.get(api.path("users/clients", 1), headers={"X-API-VERSION": "2023-02-20"})
    assert newer.status_code == 404 and newer.json()["code"] == 5
    assert newer.json()["details"][0]["reason"] == "1012"


def test_injected_faults_have_freshbooks_bodies(fresh: Api):
    inject_faults(
        fresh.url, {"status": 429, "retry_after": 2, "count": 1}, {"status": 503, "count": 1}
    )
    try:
        limited = fresh.get("users/clients")
        assert limited.status_code == 429 and limited.headers["retry-after"] == "2"
        assert errors_of(limited)[0]["message"]
        unavailable = fresh.get("users/clients")
        assert unavailable.status_code == 503 and "text/html" in unavailable.headers["content-type"]
        assert fresh.get("users/clients").status_code == 200
    finally:
        clear_faults(fresh.url)


# --- webhooks ------------------------------------------------------------------------------------
def test_signature_matches_the_documented_test_vector():
    fields = [
        ("name", "invoice.create"),
        ("object_id", "1234567"),
        ("account_id", "6BApk"),
        ("business_id", "6543"),
        ("identity_id", "1234"),
        ("user_id", "1"),
    ]
    assert (
        signature("YLN6RcfR3Q99Xxmfzz8WdJChgVjb4uZ42", fields)
        == "RNA0rC4YrtpUkR4fHpIyfyh3mgdfGNEcwFeYxoJMcBQ="
    )


class Receiver:
    """A tiny real HTTP server that records every POST it gets."""

    def __init__(self) -> None:
        self.received: queue.Queue[tuple[dict[str, str], list[tuple[str, str]]]] = queue.Queue()
        self.failures_left = 0  # answer this many POSTs with a 500 first
        received, receiver = self.received, self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                if receiver.failures_left > 0:
                    receiver.failures_left -= 1
                    self.send_response(500)
                else:
                    received.put((dict(self.headers), parse_qsl(body, keep_blank_values=True)))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self, timeout: float = 10) -> tuple[dict[str, str], list[tuple[str, str]]]:
        return self.received.get(timeout=timeout)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def test_callback_handshake_and_signed_delivery(fresh: Api, receiver: Receiver):
    callbacks = f"/events/account/{fresh.account_id}/events/callbacks"
    created = fresh.http.post(
        callbacks, json={"callback": {"event": "client.update", "uri": receiver.url}}
    )
    callback = created.json()["response"]["result"]["callback"]
    assert callback["verified"] is False and callback["uri"] == receiver.url
    headers, verification = receiver.next()
    form = dict(verification)
    assert form["name"] == "callback.verify" and form["object_id"] == str(callback["callbackid"])
    assert (
        form["account_id"] == fresh.account_id
        and headers["Content-Type"] == "application/x-www-form-urlencoded"
    )

    client = fresh.result(fresh.get("users/clients", per_page=1))["clients"][0]
    fresh.put("users/clients", client["id"], {"client": {"note": "before verification"}})
    wrong = fresh.http.put(
        f"{callbacks}/{callback['callbackid']}", json={"callback": {"verifier": "nope"}}
    )
    assert wrong.status_code == 400 and wrong.json()["errno"] == 422
    verified = fresh.http.put(
        f"{callbacks}/{callback['callbackid']}", json={"callback": {"verifier": form["verifier"]}}
    )
    assert verified.json()["response"]["result"]["callback"]["verified"] is True

    fresh.put("users/clients", client["id"], {"client": {"note": "after verification"}})
    headers, delivery = receiver.next()
    assert [key for key, _ in delivery] == [
        "name",
        "object_id",
        "account_id",
        "business_id",
        "identity_id",
        "user_id",
    ]
    assert dict(delivery)["name"] == "client.update" and dict(delivery)["object_id"] == str(
        client["id"]
    )
    assert headers["X-FreshBooks-Hmac-SHA256"] == signature(form["verifier"], delivery)
    assert receiver.received.empty()  # nothing was sent for the update made before verifying

    resent = fresh.http.put(
        f"{callbacks}/{callback['callbackid']}", json={"callback": {"resend": True}}
    )
    assert resent.status_code == 200 and dict(receiver.next()[1])["verifier"] == form["verifier"]
    assert fresh.http.delete(f"{callbacks}/{callback['callbackid']}").status_code == 204
    gone = fresh.http.get(f"{callbacks}/{callback['callbackid']}")
    assert gone.status_code == 404 and gone.json() == {
        "errno": 404,
        "message": "Requested resource could not be found.",
    }


def test_a_bare_noun_subscribes_to_every_verb(fresh: Api, receiver: Receiver):
    callbacks = f"/events/account/{fresh.account_id}/events/callbacks"
    callback = fresh.http.post(
        callbacks, json={"callback": {"event": "invoice", "uri": receiver.url}}
    ).json()
    callback_id = callback["response"]["result"]["callback"]["callbackid"]
    verifier = dict(receiver.next()[1])["verifier"]
    fresh.http.put(f"{callbacks}/{callback_id}", json={"callback": {"verifier": verifier}})
    invoice = new_invoice(fresh)
    fresh.put("invoices/invoices", invoice["id"], {"invoice": {"vis_state": 1}})
    names = sorted(dict(receiver.next()[1])["name"] for _ in range(2))
    assert names == ["invoice.create", "invoice.delete"]
    listed = fresh.http.get(callbacks, params={"search[event]": "invoice.create"}).json()[
        "response"
    ]["result"]
    assert [c["callbackid"] for c in listed["callbacks"]] == [callback_id] and listed["total"] == 1


def test_a_failed_delivery_is_retried(fresh: Api, receiver: Receiver):
    receiver.failures_left = 1
    callbacks = f"/events/account/{fresh.account_id}/events/callbacks"
    fresh.http.post(callbacks, json={"callback": {"event": "client.create", "uri": receiver.url}})
    _, verification = receiver.next()  # the second attempt, after a short backoff
    assert dict(verification)["name"] == "callback.verify"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the log is written once the POST has returned
        log = httpx.get(f"{fresh.url}/_sandbox/freshbooks/deliveries", timeout=10).json()
        if log["deliveries"]:
            break
        time.sleep(0.05)
    assert log["deliveries"][-1]["attempts"] == 2 and log["deliveries"][-1]["delivered"] is True


def test_callback_validation_uses_the_events_shape(api: Api):
    callbacks = f"/events/account/{api.account_id}/events/callbacks"
    response = api.http.post(
        callbacks, json={"callback": {"event": "invoice.explode", "uri": "not a url"}}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["errno"] == 422 and len(body["details"]) == 2

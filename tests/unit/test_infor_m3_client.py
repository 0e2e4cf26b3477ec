"""The M3 client and ION token manager against an in-process transport: requests, paging, policy."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from urllib.parse import parse_qs

import httpx
import pytest

from ledgerlink.auth import RefreshingBearerAuth
from ledgerlink.connectors.infor.auth import IonTokenManager, ServiceAccountRejected
from ledgerlink.connectors.infor.errors import M3InputRejected
from ledgerlink.connectors.infor.ionapi import parse_ionapi
from ledgerlink.connectors.infor.m3 import M3Client
from ledgerlink.errors import OutcomeUnknown
from ledgerlink.http import build_client
from ledgerlink.settings import Settings

_hosts = itertools.count()
Handler = Callable[[httpx.Request], httpx.Response]


def settings() -> Settings:
    return Settings(
        _env_file=None,
        http_backoff_base_seconds=0.001,
        http_backoff_cap_seconds=0.01,
        http_max_total_wait_seconds=5,
    )


def unique_base() -> str:
    # Token buckets are per host and process-wide: a host per test keeps tests independent.
    return f"https://m3-{next(_hosts)}.test/TST/M3/m3api-rest/v2"


def m3_client(handler: Handler) -> M3Client:
    http = build_client(
        "infor",
        unique_base(),
        settings(),
        rate_limit=1000,
        inner_transport=httpx.MockTransport(handler),
    )
    return M3Client(http, cono="100", divi="AAA")


def ok(*records: dict[str, str], transaction: str = "T") -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "results": [{"transaction": transaction, "records": list(records)}],
            "wasTerminated": False,
            "nrOfSuccessfullTransactions": 1,
            "nrOfFailedTransactions": 0,
        },
    )


def test_execute_sends_fields_and_controls() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return ok({"CUNO": "10001"})

    client = m3_client(handler)
    result = client.execute(
        "CRS610MI", "LstByNumber", {"CUNO": "10001"}, maxrecs=50, returncols=["CUNO", "CUNM"]
    )
    assert result.record == {"CUNO": "10001"}
    request = seen[0]
    assert request.method == "GET"
    assert request.url.path == "/TST/M3/m3api-rest/v2/execute/CRS610MI/LstByNumber"
    assert dict(request.url.params) == {
        "CUNO": "10001",
        "cono": "100",
        "divi": "AAA",
        "maxrecs": "50",
        "returncols": "CUNO,CUNM",
    }


def test_list_all_pages_by_start_key_and_drops_the_repeated_row() -> None:
    customers = [f"C{n:04d}" for n in range(1, 26)]
    starts: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        start = request.url.params.get("CUNO")
        starts.append(start)
        size = int(request.url.params["maxrecs"])
        remaining = [c for c in customers if start is None or c >= start]
        return ok(*({"CUNO": c} for c in remaining[:size]))

    client = m3_client(handler)
    seen = [r["CUNO"] for r in client.list_all("CRS610MI", "LstByNumber", "CUNO", page_size=10)]
    assert seen == customers
    assert starts == [None, "C0010", "C0019"]


def test_a_write_is_not_repeated_after_a_server_error() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(503, json={"error": "unavailable"})

    client = m3_client(handler)
    with pytest.raises(OutcomeUnknown):
        client.execute("CRS610MI", "ChgBasicData", {"CUNO": "10001", "CUNM": "Acme"})
    assert len(calls) == 1


def test_a_read_is_retried_by_the_policy() -> None:
    answers = iter([httpx.Response(503), httpx.Response(502), ok({"CUNO": "10001"})])
    client = m3_client(lambda request: next(answers))
    assert client.execute("CRS610MI", "GetBasicData", {"CUNO": "10001"}).record["CUNO"] == "10001"


def test_an_input_the_contract_refuses_never_leaves() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return ok()

    client = m3_client(handler)
    with pytest.raises(M3InputRejected, match="CUNM is 40 characters long"):
        client.execute("CRS610MI", "Add", {"CUTM": "TPLUSD", "CUNM": "x" * 40, "CUA1": "1 Main"})
    assert calls == []


def test_bulk_posts_one_body_for_the_program() -> None:
    bodies = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(
            200,
            json={
                "results": [
                    {"transaction": "GetBasicData", "records": [{"CUNO": "1"}]},
                    {"transaction": "GetBasicData", "records": [{"CUNO": "2"}]},
                ],
                "nrOfSuccessfullTransactions": 2,
            },
        )

    client = m3_client(handler)
    bulk = client.bulk(
        "CRS610MI", [("GetBasicData", {"CUNO": "1"}), ("GetBasicData", {"CUNO": "2"})]
    )
    assert [r.record["CUNO"] for r in bulk.results] == ["1", "2"]
    assert bodies == [
        {
            "program": "CRS610MI",
            "cono": 100,
            "divi": "AAA",
            "transactions": [
                {"transaction": "GetBasicData", "record": {"CUNO": "1"}},
                {"transaction": "GetBasicData", "record": {"CUNO": "2"}},
            ],
        }
    ]


# --- ION tokens -----------------------------------------------------------------------------------

IONAPI = {
    "ti": "TST",
    "cn": "ledgerlink",
    "ci": "TST~client",
    "cs": "unit-client-secret",
    "iu": "https://ionapi.test",
    "pu": "https://sso.test/TST/as/",
    "oa": "authorization.oauth2",
    "ot": "token.oauth2",
    "or": "revoke_token.oauth2",
    "saak": "TST#unit-access-key",
    "sask": "unit-secret-key",
}


class FakeIon:
    """Token endpoint and one M3 transaction; `expire()` invalidates every issued access token."""

    def __init__(self, *, issue_refresh: bool = True, refuse_password: bool = False) -> None:
        self.issue_refresh = issue_refresh
        self.refuse_password = refuse_password
        self.grants: list[dict[str, str]] = []
        self.valid: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.m3_calls = 0

    def expire(self, *, refresh_too: bool = False) -> None:
        self.valid.clear()
        if refresh_too:
            self.refresh_tokens.clear()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/TST/as/token.oauth2":
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            self.grants.append(form)
            refused = httpx.Response(400, json={"error": "invalid_grant"})
            if form["grant_type"] == "password" and self.refuse_password:
                return refused
            if (
                form["grant_type"] == "refresh_token"
                and form["refresh_token"] not in self.refresh_tokens
            ):
                return refused
            token = f"access-{len(self.grants)}"
            self.valid.add(token)
            body = {"access_token": token, "token_type": "Bearer", "expires_in": 7200}
            if self.issue_refresh:
                body["refresh_token"] = f"refresh-{len(self.grants)}"
                self.refresh_tokens.add(body["refresh_token"])
            return httpx.Response(200, json=body)
        self.m3_calls += 1
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if bearer not in self.valid:
            return httpx.Response(401, json={"error": "invalid_token"})
        return ok({"CUNO": "10001"})


def ion_client(fake: FakeIon) -> tuple[M3Client, IonTokenManager]:
    credentials = parse_ionapi(IONAPI)
    transport = httpx.MockTransport(fake)
    token_http = build_client("infor", credentials.pu, settings(), inner_transport=transport)
    tokens = IonTokenManager(credentials, token_http)
    http = build_client(
        "infor",
        credentials.m3_base_url,
        settings(),
        auth=RefreshingBearerAuth(tokens),
        inner_transport=transport,
        rate_limit=1000,
    )
    return M3Client(http, cono="100"), tokens


def test_password_grant_with_service_account_keys_then_cached() -> None:
    fake = FakeIon()
    client, _ = ion_client(fake)
    client.execute("CRS610MI", "GetBasicData", {"CUNO": "10001"})
    client.execute("CRS610MI", "GetBasicData", {"CUNO": "10001"})
    assert fake.grants == [
        {
            "grant_type": "password",
            "username": "TST#unit-access-key",
            "password": "unit-secret-key",
            "client_id": "TST~client",
            "client_secret": "unit-client-secret",
        }
    ]


def test_expired_token_is_refreshed_once_with_the_refresh_grant() -> None:
    fake = FakeIon()
    client, _ = ion_client(fake)
    client.execute("CRS610MI", "GetBasicData", {"CUNO": "10001"})
    fake.expire()
    client.execute("CRS610MI", "GetBasicData", {"CUNO": "10001"})
    assert [g["grant_type"] for g in fake.grants] == ["password", "refresh_token"]
    assert fake.m3_calls == 3  # ok, 401, ok after the refresh


def test_refused_refresh_falls_back_to_the_password_grant() -> None:
    fake = FakeIon()
    client, _ = ion_client(fake)
    client.execute("CRS610MI", "GetBasicData", {"CUNO": "10001"})
    fake.expire(refresh_too=True)
    client.execute("CRS610MI", "GetBasicData", {"CUNO": "10001"})
    assert [g["grant_type"] for g in fake.grants] == ["password", "refresh_token", "password"]


def test_without_refresh_tokens_a_new_password_grant_is_used() -> None:
    fake = FakeIon(issue_refresh=False)
    client, _ = ion_client(fake)
    client.execute("CRS610MI", "GetBasicData", {"CUNO": "10001"})
    fake.expire()
    client.execute("CRS610MI", "GetBasicData", {"CUNO": "10001"})
    assert [g["grant_type"] for g in fake.grants] == ["password", "password"]


def test_a_rejected_service_account_is_a_clear_error_without_secrets() -> None:
    fake = FakeIon(refuse_password=True)
    client, _ = ion_client(fake)
    with pytest.raises(ServiceAccountRejected) as caught:
        client.execute("CRS610MI", "GetBasicData", {"CUNO": "10001"})
    text = str(caught.value)
    assert "rejected the service account" in text and "invalid_grant" in text
    assert "INFOR_IONAPI_FILE" in text
    for secret in ("unit-secret-key", "unit-client-secret", "TST#unit-access-key"):
        assert secret not in text

"""The FreshBooks contract file: it matches the reference, and the emulator's payloads match it.

`ledgerlink/contracts/freshbooks_payloads.json` holds the shape (keys and JSON types) of every
reference payload. Each payload the emulator serves is fetched over HTTP and compared with it:
the envelope key for key, and records against the union of the reference records of their kind
(get, list and create fixtures of both SDKs). Deliberate differences are listed below, each with
its reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import reset_emulator

from ledgerlink.contracts import load_contract
from ledgerlink.contracts.derive_freshbooks import ANY_OF, OPTIONAL, derive, merge

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"
CONTRACT = load_contract("freshbooks_payloads")["payloads"]

# Record kind -> the reference fixtures that show it.
RECORD_FIXTURES = {
    "client": [
        f"{sdk}/{name}_response.json"
        for sdk in ("python-sdk", "java-sdk")
        for name in ("get_client", "list_clients", "create_client")
    ],
    "invoice": ["java-sdk/get_invoice_response.json", "java-sdk/list_invoices_response.json"],
    "payment": ["java-sdk/get_payment_response.json", "java-sdk/list_payments_response.json"],
    "expense": ["java-sdk/get_expense_response.json", "java-sdk/list_expenses_response.json"],
    "item": ["java-sdk/get_item_response.json", "java-sdk/list_items_response.json"],
    "tax": ["java-sdk/get_tax_response.json", "java-sdk/list_taxes_response.json"],
    "callback": [
        "python-sdk/get_callback_response.json",
        "python-sdk/list_callbacks_response.json",
    ],
}

# Reference keys the emulator leaves out, with the reason.
OMITTED = {
    "client": {
        "test_amount": "fixture oddity (SOURCES.md): a test value, not an API field",
        "grand_total_balance": "an include the emulator does not serve",
        "outstanding_balance": "only with include[]=outstanding_balance (checked separately)",
    },
}

# Fields the emulator sends as null where the reference records happen to carry a value.
NULLABLE = {
    "expense.attachment": "no receipt attached (the reference expense has one)",
    "expense.profileid": "not created from a recurring expense profile",
    "expense.taxName1": "no first tax; the reference shows taxName2/taxAmount2 null the same way",
    "expense.taxAmount1": "no first tax; the reference shows taxName2/taxAmount2 null the same way",
    "tax.number": "a tax without a registration number (US sales tax)",
    "invoice.presentation.image_banner_src": "no banner uploaded",
    "invoice.presentation.image_logo_src": "no logo uploaded",
}

# Objects keyed by account id: their keys are data, only their values have a shape.
MAPS = {"$.response.permissions", "$.response.subscription_statuses"}

# Reference payloads of APIs ledgerlink does not call, so the emulator does not serve them.
NOT_EMULATED = {
    "project": "projects (business_id family) are not used by ledgerlink",
    "time_entr": "time tracking is not used by ledgerlink",
    "service": "services are not used by ledgerlink",
    "task": "tasks are not used by ledgerlink",
    "ledger_account": "ledger accounts (business_uuid family) are not used by ledgerlink",
    "other_income": "other income is not used by ledgerlink",
    "report_profit_and_loss": "reports are not used by ledgerlink",
    "upload_": "attachments are not used by ledgerlink",
}


# --- comparison ----------------------------------------------------------------------------------
def json_type(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return "number" if isinstance(value, float) else "string"


def mismatches(
    value: Any, shape: Any, path: str, nullable: dict[str, str] | None = None
) -> list[str]:
    """Every difference between a payload and a contract shape, as readable paths."""
    nullable = nullable or {}
    if isinstance(shape, dict) and ANY_OF in shape:
        if any(not mismatches(value, option, path, nullable) for option in shape[ANY_OF]):
            return []
        return [f"{path}: {json_type(value)} matches none of {shape[ANY_OF]}"]
    if value is None and path in nullable:
        return []
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return [f"{path}: {json_type(value)} where the reference has an object"]
        if path in MAPS:
            values = list(shape.values())
            return [p for k, v in value.items() for p in mismatches(v, values[0], f"{path}.{k}")]
        keys = set(shape) - {OPTIONAL}
        problems = [
            f"{path}.{k}: missing" for k in sorted(keys - set(value) - set(shape.get(OPTIONAL, [])))
        ]
        problems += [f"{path}.{k}: not in the reference" for k in sorted(set(value) - keys)]
        for key in sorted(keys & set(value)):
            problems += mismatches(value[key], shape[key], f"{path}.{key}", nullable)
        return problems
    if isinstance(shape, list):
        if not isinstance(value, list):
            return [f"{path}: {json_type(value)} where the reference has a list"]
        if not shape:
            return []  # the reference list is empty: its elements' shape is unknown
        return [p for item in value for p in mismatches(item, shape[0], f"{path}[]", nullable)]
    allowed = set(shape.split("|"))
    if json_type(value) in allowed or allowed == {"null"}:
        return []  # a reference value that is only ever null says nothing about its type
    return [f"{path}: {json_type(value)} where the reference has {shape}"]


def at(node: Any, path: list[str]) -> Any:
    for key in path:
        node = node[key]
    return node


def record_shape(kind: str) -> dict:
    """The union of the reference records of one kind; keys not in all of them are optional."""
    shapes = []
    for name in RECORD_FIXTURES[kind]:
        entry = CONTRACT[name]
        node = at(entry["shape"], entry["envelope"])
        shapes.append(node[0] if isinstance(node, list) else node)
    merged = shapes[0]
    for shape in shapes[1:]:
        merged = merge(merged, shape)
    return merged


def envelope_mismatches(document: Any, fixture: str, key: str | None = None) -> list[str]:
    """Compare everything but the records: wrappers, paging keys and their types. `key` names
    the emulator's record key when it differs from the fixture's (another resource)."""
    entry = CONTRACT[fixture]
    envelope = entry["envelope"]
    path = [*envelope[:-1], key or envelope[-1]]
    skeleton = _skeleton(document, path, None, rename_to=envelope[-1])
    return mismatches(skeleton, _skeleton(entry["shape"], envelope, "null"), "$")


def _skeleton(node: Any, path: list[str], placeholder: Any, rename_to: str | None = None) -> Any:
    """`node` with the value at `path` replaced by `placeholder` (its key renamed if asked)."""
    if not isinstance(node, dict) or path[0] not in node:
        return node
    copy = dict(node)
    if len(path) > 1:
        copy[path[0]] = _skeleton(copy[path[0]], path[1:], placeholder, rename_to)
    else:
        del copy[path[0]]
        copy[rename_to or path[0]] = placeholder
    return copy


def record_mismatches(kind: str, records: list[dict]) -> list[str]:
    """Differences between served records and the reference records of their kind. A reference
    key that only some fixtures show must be served too, unless it is listed in OMITTED."""
    assert records, f"no {kind} records to compare"
    shape = record_shape(kind)
    omitted = OMITTED.get(kind, {})
    served = {key for record in records for key in record}
    unserved = set(shape.get(OPTIONAL, [])) - served - set(omitted)
    problems = {f"{kind}.{k}: omitted but not listed in OMITTED" for k in unserved}
    problems |= {f"{kind}.{k}: listed in OMITTED but served" for k in set(omitted) & served}
    shape = {k: v for k, v in shape.items() if k not in omitted}
    nullable = {path: why for path, why in NULLABLE.items() if path.startswith(f"{kind}.")}
    for record in records:
        problems.update(mismatches(record, shape, kind, nullable))
    return sorted(problems)


# --- the contract file itself --------------------------------------------------------------------
def test_committed_contract_matches_the_reference():
    if not REFERENCE.is_dir():
        pytest.skip(
            f"{REFERENCE} is not present (a clone without ../shared): the committed "
            "freshbooks_payloads.json is used as is"
        )
    assert derive(REFERENCE)["payloads"] == CONTRACT, (
        "freshbooks_payloads.json is stale: run "
        "`python -m ledgerlink.contracts.derive_freshbooks --reference ../shared/reference`"
    )


def test_every_reference_payload_is_checked_or_excused():
    checked = {name for names in RECORD_FIXTURES.values() for name in names} | set(ERROR_FIXTURES)
    checked |= {
        name for name in CONTRACT if "auth_me_response.json" in name or "auth_token" in name
    }
    unexplained = [
        name
        for name in CONTRACT
        if name not in checked and not any(part in name for part in NOT_EMULATED)
    ]
    assert unexplained == []


def test_comparison_catches_differences():
    shape = {"id": "integer", "amount": {"amount": "string", "code": "string"}, "note": "null"}
    good = {"id": 1, "amount": {"amount": "1.00", "code": "USD"}, "note": "anything"}
    assert mismatches(good, shape, "x") == []
    bad = {"id": "1", "amount": {"amount": 1.0, "code": "USD"}, "extra": True}
    assert mismatches(bad, shape, "x") == [
        "x.note: missing",
        "x.extra: not in the reference",
        "x.amount.amount: number where the reference has string",
        "x.id: string where the reference has integer",
    ]


# --- the emulator against the contract -----------------------------------------------------------
class FreshBooks(httpx.Client):
    """An authorized client for the emulator that knows its account's paths."""

    account_id = ""

    def accounting(self, path: str) -> str:
        return f"/accounting/account/{self.account_id}/{path}"

    def callbacks(self, tail: str = "") -> str:
        return f"/events/account/{self.account_id}/events/callbacks{tail}"


@pytest.fixture(scope="module")
def fb(sandbox: dict) -> Iterator[FreshBooks]:
    url = sandbox["urls"]["freshbooks"]
    reset_emulator(url)
    token = httpx.post(f"{url}/_sandbox/tokens/issue", timeout=10).json()
    with FreshBooks(base_url=url, timeout=30) as http:
        http.headers["Authorization"] = f"Bearer {token['access_token']}"
        me = http.get("/auth/api/v1/users/me").json()["response"]
        http.account_id = me["business_memberships"][0]["business"]["account_id"]
        yield http
    reset_emulator(url)


RESOURCES = [
    ("client", "users/clients", "clients", [], "get_client"),
    ("invoice", "invoices/invoices", "invoices", ["lines", "presentation"], "get_invoice"),
    ("payment", "payments/payments", "payments", [], "get_payment"),
    ("expense", "expenses/expenses", "expenses", [], "get_expense"),
    ("item", "items/items", "items", [], "get_item"),
    ("tax", "taxes/taxes", "taxes", [], "get_tax"),
]


@pytest.mark.parametrize(("kind", "path", "plural", "include", "get_fixture"), RESOURCES)
def test_lists_and_records_match_the_reference(fb, kind, path, plural, include, get_fixture):
    params = [("per_page", "100"), *[("include[]", name) for name in include]]
    listed = fb.get(fb.accounting(path), params=params).json()
    list_fixture = next(n for n in RECORD_FIXTURES[kind] if "/list_" in n)
    assert envelope_mismatches(listed, list_fixture) == []
    records = listed["response"]["result"][plural]
    deleted = fb.get(fb.accounting(path), params=[*params, ("search[vis_state]", "1")]).json()
    records += deleted["response"]["result"][plural]
    assert record_mismatches(kind, records) == []

    one = fb.get(fb.accounting(f"{path}/{records[0]['id']}"), params=params[1:]).json()
    get_fixture = next(n for n in RECORD_FIXTURES[kind] if f"/{get_fixture}_" in n)
    assert envelope_mismatches(one, get_fixture) == []
    assert record_mismatches(kind, [one["response"]["result"][kind]]) == []


def test_created_client_matches_the_create_responses(fb):
    created = fb.post(
        fb.accounting("users/clients"), json={"client": {"email": "john.doe@abcorp.com"}}
    )
    for fixture in (
        "python-sdk/create_client_response.json",
        "java-sdk/create_client_response.json",
    ):
        assert envelope_mismatches(created.json(), fixture) == []
    client = created.json()["response"]["result"]["client"]
    assert record_mismatches("client", [client]) == []
    assert client["organization"] == "john.doe@abcorp.com"  # as the reference create shows


def test_client_outstanding_balance_include(fb):
    listed = fb.get(
        fb.accounting("users/clients"), params={"include[]": "outstanding_balance"}
    ).json()
    balances = [
        b for c in listed["response"]["result"]["clients"] for b in c["outstanding_balance"]
    ]
    assert balances
    shape = record_shape("client")["outstanding_balance"]
    # The reference amounts are numbers, a fixture oddity (SOURCES.md): the API sends strings.
    assert set(mismatches(balances, shape, "outstanding_balance")) == {
        "outstanding_balance[].amount.amount: string where the reference has integer"
    }


def test_invoice_lines_match_the_reference_lines(fb):
    listed = fb.get(fb.accounting("invoices/invoices"), params={"include[]": "lines"}).json()
    lines = [line for i in listed["response"]["result"]["invoices"] for line in i["lines"]]
    line_shape = record_shape("invoice")["lines"][0]
    assert sorted({p for line in lines for p in mismatches(line, line_shape, "line")}) == []


def test_callbacks_match_the_reference(fb):
    callbacks = fb.callbacks()
    created = fb.post(
        callbacks, json={"callback": {"event": "invoice.create", "uri": "http://127.0.0.1:9/hook"}}
    )
    assert envelope_mismatches(created.json(), "python-sdk/get_callback_response.json") == []
    listed = fb.get(callbacks).json()
    assert envelope_mismatches(listed, "python-sdk/list_callbacks_response.json") == []
    records = [
        created.json()["response"]["result"]["callback"],
        *listed["response"]["result"]["callbacks"],
    ]
    assert record_mismatches("callback", records) == []


def test_records_without_a_reference_fixture_use_the_same_envelopes(fb):
    # Expense categories and credit notes have no SDK fixture: their envelopes follow the
    # accounting family (checked against the taxes fixtures), and their ids are duplicated.
    for path, plural, singular, id_field in (
        ("expenses/categories", "categories", "category", "categoryid"),
        ("credit_notes/credit_notes", "credit_notes", "credit_note", "creditid"),
    ):
        listed = fb.get(fb.accounting(path)).json()
        assert envelope_mismatches(listed, "java-sdk/list_taxes_response.json", plural) == []
        record = listed["response"]["result"][plural][0]
        assert record["id"] == record[id_field]
        one = fb.get(fb.accounting(f"{path}/{record['id']}")).json()
        assert envelope_mismatches(one, "java-sdk/get_tax_response.json", singular) == []


def test_identity_matches_both_reference_responses(fb):
    me = fb.get("/auth/api/v1/users/me").json()
    for fixture in ("python-sdk/auth_me_response.json", "java-sdk/auth_me_response.json"):
        assert mismatches(me, CONTRACT[fixture]["shape"], "$") == [], fixture


def test_token_response_matches_the_reference(fb, sandbox):
    env = sandbox["environment"]
    redirect = "http://127.0.0.1:8765/callback"
    authorize = fb.get(
        "/oauth/authorize",
        params={
            "client_id": env["FRESHBOOKS_CLIENT_ID"],
            "response_type": "code",
            "redirect_uri": redirect,
        },
    )
    code = httpx.URL(authorize.headers["location"]).params["code"]
    token = fb.post(
        "/auth/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": env["FRESHBOOKS_CLIENT_ID"],
            "client_secret": env["FRESHBOOKS_CLIENT_SECRET"],
            "redirect_uri": redirect,
        },
    ).json()
    for fixture in ("python-sdk/auth_token_response.json", "java-sdk/auth_token_response.json"):
        assert mismatches(token, CONTRACT[fixture]["shape"], "$") == [], fixture


# Error fixture -> how to provoke the same error from the emulator.
NO_TOKEN = {"Authorization": "Bearer nope"}
NEWER_API = {"X-API-VERSION": "2023-02-20"}
MISSING_CLIENT = "users/clients/1"
ERROR_FIXTURES = {
    "python-sdk/get_client_response__not_found.json": ("GET", "accounting", MISSING_CLIENT, {}),
    "java-sdk/get_client_response__not_found_old.json": (
        "GET",
        "accounting",
        MISSING_CLIENT,
        {},
    ),
    "java-sdk/get_client_response__not_found_new.json": (
        "GET",
        "accounting",
        MISSING_CLIENT,
        NEWER_API,
    ),
    "java-sdk/get_client_response__no_auth.json": (
        "GET",
        "accounting",
        "users/clients",
        {**NO_TOKEN, **NEWER_API},
    ),
    "python-sdk/auth_me_response__no_auth.json": ("GET", "me", "", NO_TOKEN),
    "java-sdk/auth_response__no_auth.json": ("GET", "me", "", NO_TOKEN),
    "python-sdk/get_callback_response__no_auth.json": ("GET", "events", "", NO_TOKEN),
    "python-sdk/get_callback_response__not_found.json": ("GET", "events", "/1", {}),
    "python-sdk/create_callback_response__validation_error.json": ("POST", "events", "", {}),
}


@pytest.mark.parametrize("fixture", sorted(ERROR_FIXTURES))
def test_error_bodies_match_the_reference(fb, fixture):
    method, family, tail, headers = ERROR_FIXTURES[fixture]
    url = {
        "accounting": fb.accounting(tail),
        "me": "/auth/api/v1/users/me",
        "events": fb.callbacks(tail),
    }[family]
    body = {"callback": {"event": "nope", "uri": "not a url"}} if method == "POST" else None
    response = fb.request(method, url, headers=headers, json=body)
    assert response.status_code in (400, 401, 404)
    assert mismatches(response.json(), CONTRACT[fixture]["shape"], "$") == []

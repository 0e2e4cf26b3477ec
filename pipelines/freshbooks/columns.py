"""Column hints for raw FreshBooks tables, from the project's FreshBooks contract file.

dlt creates a column only once it sees a non-null value, but staging selects every field
FreshBooks documents. Declaring the documented fields up front keeps raw tables stable on an
account where, say, no client has a `company_size` yet. Values stay as sent: strings as text,
money objects as `<field>__amount` / `<field>__code` text.
"""

from __future__ import annotations

from typing import Any

from ledgerlink.contracts import load_contract

# resource -> (wrapper key, fixture files whose record shape documents it)
FIXTURES: dict[str, tuple[str, tuple[str, ...]]] = {
    "clients": (
        "client",
        ("python-sdk/get_client_response.json", "java-sdk/get_client_response.json"),
    ),
    "invoices": ("invoice", ("java-sdk/get_invoice_response.json",)),
    "payments": ("payment", ("java-sdk/get_payment_response.json",)),
    "expenses": ("expense", ("java-sdk/get_expense_response.json",)),
    "items": ("item", ("java-sdk/get_item_response.json",)),
    "taxes": ("tax", ("java-sdk/get_tax_response.json",)),
}
SCALAR_TYPES = {
    "string": "text",
    "null": "text",
    "integer": "bigint",
    "boolean": "bool",
    "number": "double",
}


def _record_shape(path: str, wrapper: str) -> dict[str, Any]:
    payload = load_contract("freshbooks_payloads")["payloads"][path]
    return payload["shape"]["response"]["result"][wrapper]


def _data_type(shape: Any) -> str | None:
    if not isinstance(shape, str):
        return None
    kinds = [k for k in shape.split("|") if k != "null"] or ["null"]
    return SCALAR_TYPES.get(kinds[0]) if len(kinds) == 1 else "text"


def column_hints(resource: str) -> dict[str, dict[str, Any]]:
    """dlt column hints for the root table of `resource` (empty when the contract has none)."""
    if resource not in FIXTURES:
        return {}
    wrapper, paths = FIXTURES[resource]
    hints: dict[str, dict[str, Any]] = {}
    for path in paths:
        for key, shape in _record_shape(path, wrapper).items():
            if isinstance(shape, dict) and set(shape) <= {"amount", "code"}:
                for part in ("amount", "code"):  # a money object, flattened as dlt does
                    hints[f"{key}__{part}"] = {"data_type": "text", "nullable": True}
            elif (data_type := _data_type(shape)) and key not in hints:
                hints[key] = {"data_type": data_type, "nullable": True}
    return hints

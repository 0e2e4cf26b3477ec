"""How one sandbox differs from the seeded default world: a frozen value, and its named profiles.

Real accounts differ in ordinary ways: no shop, no credit notes, optional fields never filled,
years of history, another M3 tenant set-up, taxed invoices. `SandboxOptions` names each of
those as a plain field; the world generator and the emulators read them, and the serve process
receives them as JSON (`to_dict` / `from_dict`). A profile is a named starting point whose
fields single options override.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from functools import cached_property
from typing import Any

SYSTEMS = ("freshbooks", "infor", "shop")

# Entities as the pipelines name their raw tables, per system.
ENTITIES: dict[str, tuple[str, ...]] = {
    "freshbooks": (
        "clients", "invoices", "payments", "expenses", "expense_categories", "items", "taxes",
        "credit_notes", "bill_vendors", "bills", "bill_payments",
    ),
    "infor": (
        "customers", "customer_orders", "customer_order_lines", "delivery_lines", "deliveries",
        "customer_invoices", "ar_open_items", "chart_of_accounts", "gl_voucher_lines",
        "suppliers", "items",
    ),
    "shop": ("orders", "customers", "products"),
}  # fmt: skip

# An empty entity empties what cannot exist without it, so no record points at a missing one.
IMPLIED_EMPTY: dict[str, tuple[str, ...]] = {
    "freshbooks.clients": ("freshbooks.invoices",),
    "freshbooks.invoices": ("freshbooks.payments", "freshbooks.credit_notes"),
    "freshbooks.expense_categories": ("freshbooks.expenses", "freshbooks.bills"),
    "freshbooks.bill_vendors": ("freshbooks.bills",),
    "freshbooks.bills": ("freshbooks.bill_payments",),
    "infor.customers": ("infor.customer_orders",),
    "infor.items": ("infor.customer_orders",),
    "infor.customer_order_lines": ("infor.customer_orders",),  # a confirmed order has lines
    "infor.customer_orders": ("infor.customer_order_lines", "infor.deliveries"),
    "infor.deliveries": ("infor.delivery_lines", "infor.customer_invoices"),
    "infor.delivery_lines": ("infor.deliveries",),
    "infor.customer_invoices": ("infor.ar_open_items",),
    "infor.ar_open_items": ("infor.customer_invoices",),  # every M3 invoice books an AR item
    "infor.chart_of_accounts": ("infor.gl_voucher_lines",),
    "shop.products": ("shop.orders",),
}

# Optional fields an account may never fill: null on every FreshBooks row, blank in M3.
OPTIONAL_FIELDS: dict[str, tuple[str, ...]] = {
    "freshbooks.invoices__lines": (
        "taxName1", "taxAmount1", "taxNumber1", "taxName2", "taxAmount2", "taxNumber2",
        "description",
    ),
    "freshbooks.clients": (
        "company_size", "company_industry", "vat_name", "vat_number", "note", "home_phone",
    ),
    "freshbooks.invoices": ("po_number", "terms", "vat_name", "vat_number"),
    "freshbooks.expenses": ("notes", "taxName1", "taxAmount1", "taxPercent1"),
    "freshbooks.payments": ("gateway", "transactionid"),
    "freshbooks.items": ("sku", "inventory"),
    "infor.customers": ("PHNO", "MAIL", "YREF", "VRNO"),
    "infor.suppliers": ("PHNO", "VRNO"),
}  # fmt: skip
ALL_OPTIONAL_FIELDS = tuple(
    f"{entity}.{name}" for entity, names in OPTIONAL_FIELDS.items() for name in names
)
LINE_TAX_FIELDS = tuple(
    f"freshbooks.invoices__lines.{name}"
    for name in ("taxName1", "taxAmount1", "taxNumber1", "taxName2", "taxAmount2", "taxNumber2")
)
# Named sets for `--null-optional-fields` (explicit `system.entity.field` names work too).
NULL_FIELD_SETS: dict[str, tuple[str, ...]] = {
    "line-taxes": LINE_TAX_FIELDS,  # invoices carry no taxes at all
    "line-details": tuple(
        f"freshbooks.invoices__lines.{name}" for name in ("description", "taxNumber1", "taxNumber2")
    ),
    "clients": tuple(f for f in ALL_OPTIONAL_FIELDS if f.startswith("freshbooks.clients.")),
    "all": ALL_OPTIONAL_FIELDS,
}
# The tax name and percent a taxed line needs (the registration numbers may stay null).
TAX_VALUE_FIELDS = frozenset(
    f"freshbooks.invoices__lines.{name}"
    for name in ("taxName1", "taxAmount1", "taxName2", "taxAmount2")
)

M3_WORDINGS = ("sandbox", "reference")
TENANTS = ("default", "other")
LINE_TAX_DEFAULTS = ("customer", "none")
RECEIPT_TEXTS = ("statement", "bank-reference", "payment-date")
# Options that change how the emulators answer, not what they hold: no reload when they change.
RUNTIME_ONLY = ("profile", "systems", "m3_wording", "unsupported", "latency_ms")
# Which HTTP statuses an unsupported endpoint may answer with, per system (first = default).
UNSUPPORTED_STATUSES = {"freshbooks": (404, 403), "infor": (501, 404)}


def split_list(text: str | None) -> tuple[str, ...]:
    """'a, b,,c' -> ('a', 'b', 'c')."""
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


@dataclass(frozen=True)
class SandboxOptions:
    """One sandbox's variant of the world. Every field's default keeps today's seeded world."""

    profile: str = "default"
    systems: tuple[str, ...] = SYSTEMS  # the emulators that run
    empty: tuple[str, ...] = ()  # "system.entity" with no rows (and what needs them)
    null_fields: tuple[str, ...] = ()  # set names or "system.entity.field"
    history_years: int = 1  # transactions span this many years before the world's anchor
    m3_wording: str = "sandbox"  # how M3 words a missing key: "does not exist" or "is invalid"
    tenant: str = "default"  # the M3 tenant's codes: templates, order types, warehouse, ...
    taxed: bool = False  # invoice lines taxed per the client's jurisdiction and the product
    m3_line_tax: str = "customer"  # VAT of an M3 order line with no code of its own
    receipt_text: str = "statement"  # what ABS100MI writes into the AR payment's TDSC
    person_clients: bool = False  # "Individual" clients are people (no organization), ERP-new
    unsupported: tuple[str, ...] = ()  # "freshbooks.credit_notes:404", "infor.P/T:501"
    latency_ms: int = 0  # every API request is answered this much later

    def __post_init__(self) -> None:
        self._set("systems", _ordered(self.systems, SYSTEMS, "system"))
        self._set("empty", _checked_entities(self.empty))
        self._set("null_fields", _checked_null_fields(self.null_fields))
        self._set("unsupported", _checked_unsupported(self.unsupported))
        for name, allowed in (
            ("m3_wording", M3_WORDINGS),
            ("tenant", TENANTS),
            ("m3_line_tax", LINE_TAX_DEFAULTS),
            ("receipt_text", RECEIPT_TEXTS),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"{name} {getattr(self, name)!r} is unknown: use one of {', '.join(allowed)}"
                )
        if not self.systems:
            raise ValueError(f"systems is empty: name at least one of {', '.join(SYSTEMS)}")
        if self.history_years < 1:
            raise ValueError(f"history_years must be 1 or more, not {self.history_years}")
        if self.latency_ms < 0:
            raise ValueError(f"latency_ms must not be negative, not {self.latency_ms}")
        if self.taxed and TAX_VALUE_FIELDS & self.nulled_fields:
            raise ValueError(
                "taxed invoices need the line tax names and percents: drop them from "
                "null_fields (the 'line-details' set keeps them)"
            )

    def _set(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)

    # --- what the generator and the emulators ask ----------------------------------------------
    @cached_property
    def emptied(self) -> frozenset[str]:
        """Every empty entity: the named ones and what they imply."""
        found: set[str] = set()
        pending = list(self.empty)
        while pending:
            entity = pending.pop()
            if entity not in found:
                found.add(entity)
                pending.extend(IMPLIED_EMPTY.get(entity, ()))
        return frozenset(found)

    def is_empty(self, entity: str) -> bool:
        """Whether `system.entity` has no rows in this sandbox."""
        return entity in self.emptied

    @cached_property
    def nulled_fields(self) -> frozenset[str]:
        """Every `system.entity.field` that is null (FreshBooks) or blank (M3) on every row."""
        expanded: set[str] = set()
        for name in self.null_fields:
            expanded.update(NULL_FIELD_SETS.get(name, (name,)))
        return frozenset(expanded)

    def nulls(self, entity: str) -> frozenset[str]:
        """The field names of `system.entity` left null on every row."""
        prefix = f"{entity}."
        return frozenset(f[len(prefix) :] for f in self.nulled_fields if f.startswith(prefix))

    @property
    def untaxed_lines(self) -> bool:
        """Invoice lines carry no tax: the account has no taxes, or their fields stay null."""
        return self.is_empty("freshbooks.taxes") or bool(TAX_VALUE_FIELDS & self.nulled_fields)

    def unsupported_in(self, system: str) -> dict[str, int]:
        """Endpoint (FreshBooks entity, M3 PROGRAM/TRANSACTION) -> the HTTP status it answers."""
        found = {}
        for entry in self.unsupported:
            target, _, status = entry.partition(":")
            owner, _, name = target.partition(".")
            if owner == system:
                found[name] = int(status)
        return found

    # --- recording and describing ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {key: list(v) if isinstance(v, tuple) else v for key, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SandboxOptions:
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(f"unknown sandbox options: {', '.join(unknown)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})

    def stamp(self) -> str:
        """A stable text of the options that shape seeded data, for the emulators' world stamp."""
        data = self.to_dict()
        for runtime_only in RUNTIME_ONLY:
            data.pop(runtime_only)
        return json.dumps(data, sort_keys=True)

    def differences(self) -> dict[str, Any]:
        """The fields that differ from the default world, as `to_dict` writes them."""
        default = SandboxOptions().to_dict()
        return {
            key: value
            for key, value in self.to_dict().items()
            if key != "profile" and value != default[key]
        }


def _ordered(names: tuple[str, ...], known: tuple[str, ...], kind: str) -> tuple[str, ...]:
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise ValueError(f"unknown {kind} {', '.join(unknown)}: use {', '.join(known)}")
    return tuple(name for name in known if name in names)


def _checked_entities(names: tuple[str, ...]) -> tuple[str, ...]:
    for name in names:
        system, _, entity = name.partition(".")
        if entity not in ENTITIES.get(system, ()):
            raise ValueError(
                f"unknown entity {name!r}: use system.entity, e.g. freshbooks.credit_notes "
                f"({', '.join(f'{s}.{e}' for s in ENTITIES for e in ENTITIES[s])})"
            )
    return tuple(sorted(set(names)))


def _checked_null_fields(names: tuple[str, ...]) -> tuple[str, ...]:
    for name in names:
        if name not in NULL_FIELD_SETS and name not in ALL_OPTIONAL_FIELDS:
            raise ValueError(
                f"unknown optional field {name!r}: use a set ({', '.join(NULL_FIELD_SETS)}) "
                f"or one of {', '.join(ALL_OPTIONAL_FIELDS)}"
            )
    return tuple(sorted(set(names)))


def _checked_unsupported(entries: tuple[str, ...]) -> tuple[str, ...]:
    """'freshbooks.credit_notes' -> 'freshbooks.credit_notes:404' (each with its status)."""
    checked = set()
    for entry in entries:
        target, _, status = entry.partition(":")
        system, _, name = target.partition(".")
        statuses = UNSUPPORTED_STATUSES.get(system)
        if statuses is None:
            raise ValueError(
                f"unsupported endpoint {entry!r}: name freshbooks.<entity> or "
                "infor.<PROGRAM>/<TRANSACTION>"
            )
        if system == "freshbooks" and name not in ENTITIES["freshbooks"]:
            raise ValueError(
                f"unsupported endpoint {entry!r}: FreshBooks entities are "
                f"{', '.join(ENTITIES['freshbooks'])}"
            )
        program, _, transaction = name.partition("/")
        if system == "infor" and not (program.isupper() and transaction):
            raise ValueError(f"unsupported endpoint {entry!r}: write infor.PROGRAM/TRANSACTION")
        code = int(status) if status.isdigit() else statuses[0] if not status else 0
        if code not in statuses:
            raise ValueError(
                f"unsupported endpoint {entry!r}: {system} answers "
                f"{' or '.join(map(str, statuses))}"
            )
        checked.add(f"{target}:{code}")
    return tuple(sorted(checked))


PROFILES: dict[str, SandboxOptions] = {
    "default": SandboxOptions(),
    "no-shop": SandboxOptions(profile="no-shop", systems=("freshbooks", "infor")),
    "real-world": SandboxOptions(
        profile="real-world",
        systems=("freshbooks", "infor"),
        empty=("freshbooks.credit_notes", "infor.suppliers"),
        null_fields=("line-details",),
        history_years=5,
        m3_wording="reference",
        tenant="other",
        taxed=True,
        receipt_text="payment-date",
        person_clients=True,
    ),
    "slow": SandboxOptions(profile="slow", latency_ms=50),
}


def sandbox_options(profile: str = "default", **overrides: Any) -> SandboxOptions:
    """The profile's options with each given (not None) override; ValueError names a bad one."""
    base = PROFILES.get(profile)
    if base is None:
        raise ValueError(f"unknown profile {profile!r}: use one of {', '.join(PROFILES)}")
    known = {f.name for f in fields(SandboxOptions)} - {"profile"}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"unknown sandbox options: {', '.join(unknown)}")
    given = {name: value for name, value in overrides.items() if value is not None}
    return replace(base, **given)

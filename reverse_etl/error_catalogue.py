"""The one catalogue of push errors: what an error code means, who fixes it, whether a retry helps.

Every failed try is classified here (`classify`), when it happens, and stored with the attempt;
a dead letter from before that is classified from what the ledger kept (`explain`). Rules are
data, read top to bottom: the first that matches an error's target, code, field and kind wins,
and the last rules match by kind alone, so every error gets a class.

Classes: `value` (a field's value is refused), `missing` (a record or code it names does not
exist), `connection` (no answer, or the outcome is unknown), `intermittent` (the server failed
and may not next time), `rate_limit`, `parse` (an answer we cannot read), `duplicate` (the
target already has another record under the key), `configuration` (a setting, credential or
grant), `unavailable` (the target does not offer the call).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from ledgerlink.errors import (
    ApiError,
    AuthError,
    ConfigurationError,
    Conflict,
    MalformedResponse,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    ServiceUnreachable,
    TransientFailure,
    Unavailable,
    ValidationFailed,
)


class ErrorClass(StrEnum):
    VALUE = "value"
    MISSING = "missing"
    CONNECTION = "connection"
    INTERMITTENT = "intermittent"
    RATE_LIMIT = "rate_limit"
    PARSE = "parse"
    DUPLICATE = "duplicate"
    CONFIGURATION = "configuration"
    UNAVAILABLE = "unavailable"


class Fixer(StrEnum):
    """Who can remove the cause."""

    MAPPING = "mapping"  # a row of a mapping table (dbt seed)
    FRESHBOOKS_DATA = "data in FreshBooks"
    INFOR_DATA = "data in Infor"
    CONFIGURATION = "configuration"  # settings, credentials, the tenant's set-up
    API = "the API"  # nobody here: the service was down, slow or rate limited


# Payload fields whose values come from a mapping table: a refused value is a mapping to fix.
MAPPED_FIELDS: dict[str, str] = {
    "AIT1": "expense_category_gl_accounts.csv",
    "CUTM": "currencies.csv",
    "BSID": "currencies.csv",
    "CUCL": "customer_groups.csv",
    "ORTP": "customer_groups.csv",
    "TEPY": "customer_groups.csv",
    "PYCD": "payment_methods.csv",
    "VTCD": "tax_codes.csv",
    "ITNO": "item_crosswalk.csv",
}
# Error kinds (the exception's type, as the ledger stores it), most specific first.
KINDS: tuple[type[BaseException], ...] = (
    OutcomeUnknown,
    ServiceUnreachable,
    AuthError,
    ConfigurationError,
    MalformedResponse,
    RateLimited,
    TransientFailure,
    Unavailable,
    Conflict,
    NotFound,
    ValidationFailed,
    ApiError,
)


@dataclass(frozen=True)
class Rule:
    """When an error matches (every given condition holds), what it is."""

    error_class: ErrorClass
    meaning: str
    action: str
    fixer: Fixer
    retry_helps: bool  # a retry alone (no fix) can succeed
    code: str | None = None  # a regular expression the whole error code matches
    kinds: tuple[str, ...] = ()  # any of these error kinds
    target: str | None = None
    mapped_field: bool | None = None  # the refused field comes from a mapping table
    message: str | None = None  # a regular expression found in the message (any case)

    def matches(self, error: ErrorFacts) -> bool:
        return (
            (self.code is None or bool(error.code and re.fullmatch(self.code, error.code)))
            and (not self.kinds or error.kind in self.kinds)
            and (self.target is None or error.target == self.target)
            and (self.mapped_field is None or (error.field in MAPPED_FIELDS) == self.mapped_field)
            and (
                self.message is None
                or bool(re.search(self.message, error.message or "", re.IGNORECASE))
            )
        )


@dataclass(frozen=True)
class ErrorFacts:
    """What the ledger keeps of an error."""

    target: str
    kind: str | None
    code: str | None
    field: str | None
    message: str | None


@dataclass(frozen=True)
class Explanation:
    rule: Rule
    facts: ErrorFacts

    @property
    def error_class(self) -> ErrorClass:
        return self.rule.error_class

    @property
    def fixer(self) -> Fixer:
        return self.rule.fixer

    @property
    def retry_helps(self) -> bool:
        return self.rule.retry_helps

    @property
    def mapping_file(self) -> str | None:
        """The mapping table to look at, when the refused field comes from one."""
        return MAPPED_FIELDS.get(self.facts.field or "") if self.fixer is Fixer.MAPPING else None

    @property
    def action(self) -> str:
        where = f" ({self.mapping_file}, field {self.facts.field})" if self.mapping_file else ""
        return self.rule.action + where

    @property
    def cause(self) -> str:
        """A key that groups letters with one cause: class, code and field."""
        return "|".join((self.error_class, self.facts.code or "-", self.facts.field or "-"))


_VALIDATION = ("ValidationFailed", "NotFound", "ApiError")

CATALOGUE: tuple[Rule, ...] = (
    # --- Infor M3 message ids ------------------------------------------------------------------
    Rule(
        ErrorClass.VALUE,
        "Infor refuses to post to the account: it is blocked (or closed) for posting",
        "unblock the account in Infor, or map the expense category to an open account, then replay",
        Fixer.INFOR_DATA,
        False,
        code=r"XBL\d+",
    ),
    Rule(
        ErrorClass.CONFIGURATION,
        "the Infor service account may not use this company or division",
        "set INFOR_CONO / INFOR_DIVI, or have the M3 administrator authorize the user",
        Fixer.CONFIGURATION,
        False,
        code=r"XAU\d+",
    ),
    Rule(
        ErrorClass.DUPLICATE,
        "Infor already has a record under this key",
        "nothing to send: the next push looks it up and links it; if it is another record, "
        "change the key in the source data",
        Fixer.INFOR_DATA,
        False,
        code=r"XRE0104",
    ),
    Rule(
        ErrorClass.MISSING,
        "a code the record names (from a mapping table) does not exist in Infor",
        "fix the mapping row, or create the code in Infor, then replay",
        Fixer.MAPPING,
        False,
        code=r"XIM0002|W[A-Z0-9]{4}03",
        mapped_field=True,
    ),
    Rule(
        ErrorClass.MISSING,
        "a record the write names does not exist in Infor (a customer, an order, an AR invoice)",
        "create or correct the record in Infor (or let its own sync write it first), then replay",
        Fixer.INFOR_DATA,
        False,
        code=r"XIM0002|W[A-Z0-9]{4}03",
    ),
    Rule(
        ErrorClass.VALUE,
        "Infor refuses a value that comes from a mapping table",
        "fix the mapping row, then replay",
        Fixer.MAPPING,
        False,
        code=r"[WX][A-Z0-9]+",
        mapped_field=True,
    ),
    Rule(
        ErrorClass.VALUE,
        "Infor refuses a field's value (format, length, a value it does not accept)",
        "correct the value in FreshBooks (or edit the field here), then replay",
        Fixer.FRESHBOOKS_DATA,
        False,
        code=r"[WX][A-Z0-9]+",
        target="infor",
    ),
    # --- FreshBooks and our own codes -----------------------------------------------------------
    Rule(
        ErrorClass.DUPLICATE,
        "FreshBooks already has another record with this number or e-mail",
        "merge or renumber the records in FreshBooks, then replay",
        Fixer.FRESHBOOKS_DATA,
        False,
        code=r"invoice_number_taken|invoice_number_conflict|ambiguous_client|ambiguous_invoice",
    ),
    Rule(
        ErrorClass.INTERMITTENT,
        "the record changed in FreshBooks after the plan read it: nothing was overwritten",
        "nothing to fix: the next sync reads it again and plans from what it holds now",
        Fixer.FRESHBOOKS_DATA,
        True,
        code=r"changed_since_read",
    ),
    # --- by kind ---------------------------------------------------------------------------------
    Rule(
        ErrorClass.VALUE,
        "our checks refused a mapped field before sending (required, length, format)",
        "fix the mapping row, then replay",
        Fixer.MAPPING,
        False,
        kinds=_VALIDATION,
        mapped_field=True,
        message=r"not sent",
    ),
    Rule(
        ErrorClass.VALUE,
        "our checks refused the record before sending (a field is required, too long or malformed)",
        "correct the source record in FreshBooks (or edit the field here), then replay",
        Fixer.FRESHBOOKS_DATA,
        False,
        kinds=_VALIDATION,
        message=r"not sent",
    ),
    Rule(
        ErrorClass.MISSING,
        "the record the write needs is not in the target",
        "create or correct it in the target system, then replay",
        Fixer.INFOR_DATA,
        False,
        kinds=("NotFound",),
        target="infor",
    ),
    Rule(
        ErrorClass.MISSING,
        "the record the write needs is not in FreshBooks",
        "create or correct it in FreshBooks, then replay",
        Fixer.FRESHBOOKS_DATA,
        False,
        kinds=("NotFound",),
    ),
    Rule(
        ErrorClass.VALUE,
        "the target refuses a field's value",
        "correct the value in the source system (or edit the field here), then replay",
        Fixer.FRESHBOOKS_DATA,
        False,
        kinds=("ValidationFailed",),
    ),
    Rule(
        ErrorClass.DUPLICATE,
        "the target already has a record under this key",
        "merge or renumber the records in the source, then replay",
        Fixer.FRESHBOOKS_DATA,
        False,
        kinds=("Conflict",),
    ),
    Rule(
        ErrorClass.CONNECTION,
        "no answer (timeout or dropped connection): the write may or may not have landed",
        "nothing to fix if the service is up: the next try looks the record up first",
        Fixer.API,
        True,
        kinds=("OutcomeUnknown",),
    ),
    Rule(
        ErrorClass.CONNECTION,
        "nothing answers at the configured address",
        "start the service, or correct its address in the settings, then replay",
        Fixer.CONFIGURATION,
        True,
        kinds=("ServiceUnreachable",),
    ),
    Rule(
        ErrorClass.CONFIGURATION,
        "a setting, credential or grant is missing or was refused",
        "fix the setting or authorize again (`ledgerlink auth ...`), then replay",
        Fixer.CONFIGURATION,
        False,
        kinds=("AuthError", "ConfigurationError"),
    ),
    Rule(
        ErrorClass.RATE_LIMIT,
        "the target kept answering 429 (too many requests) through every retry",
        "nothing to fix: retries later succeed; lower the sync's rate if it recurs",
        Fixer.API,
        True,
        kinds=("RateLimited",),
    ),
    Rule(
        ErrorClass.INTERMITTENT,
        "the target failed (5xx) through every retry",
        "nothing to fix here: replay once the service is healthy",
        Fixer.API,
        True,
        kinds=("TransientFailure",),
    ),
    Rule(
        ErrorClass.PARSE,
        "the target answered with something we cannot read",
        "replay later; if it recurs, report the answer shown below",
        Fixer.API,
        True,
        kinds=("MalformedResponse",),
    ),
    Rule(
        ErrorClass.UNAVAILABLE,
        "the target does not offer this call to this account (a program or plan feature)",
        "have the program or feature enabled for the account, or switch the sync off",
        Fixer.CONFIGURATION,
        False,
        kinds=("Unavailable",),
    ),
    # --- last resort: what the message says -------------------------------------------
    Rule(
        ErrorClass.CONNECTION,
        "no answer from the target",
        "replay once the service answers",
        Fixer.API,
        True,
        message=r"outcome of .* is unknown|timed? ?out|connect",
    ),
    Rule(
        ErrorClass.VALUE,
        "the target refused the record",
        "read the target's answer below, correct the source data, then replay",
        Fixer.FRESHBOOKS_DATA,
        False,
    ),
)


def kind_of(exc: BaseException) -> str:
    """The error's kind, as stored with the attempt: the first of `KINDS` it is."""
    return next((k.__name__ for k in KINDS if isinstance(exc, k)), type(exc).__name__)


def facts_of(exc: BaseException, target: str) -> ErrorFacts:
    return ErrorFacts(
        target=target,
        kind=kind_of(exc),
        code=getattr(exc, "code", None),
        field=getattr(exc, "field", None),
        message=str(exc),
    )


def explain(facts: ErrorFacts) -> Explanation:
    """The first rule that matches; the catalogue's last rule matches anything."""
    if facts.kind is None:
        facts = ErrorFacts(
            facts.target, _kind_from_text(facts), facts.code, facts.field, facts.message
        )
    if facts.field is None:
        facts = ErrorFacts(
            facts.target, facts.kind, facts.code, _field_from_text(facts.message), facts.message
        )
    rule = next(rule for rule in CATALOGUE if rule.matches(facts))
    return Explanation(rule, facts)


def classify(exc: BaseException, target: str) -> Explanation:
    return explain(facts_of(exc, target))


def _kind_from_text(facts: ErrorFacts) -> str | None:
    """A letter stored before kinds were kept: its code and words say most of it."""
    text = facts.message or ""
    if "outcome of" in text and "unknown" in text:
        return "OutcomeUnknown"
    if "not sent" in text:
        return "ValidationFailed"
    if facts.code and re.fullmatch(r"[WX][A-Z0-9]+", facts.code):
        return "ValidationFailed"
    return None


def _field_from_text(message: str | None) -> str | None:
    """M3's errors read `... [XIM0002, field AIT1]`; ours `(field AIT1)`."""
    found = re.search(r"field ([A-Za-z0-9_]+)", message or "")
    return found.group(1) if found else None

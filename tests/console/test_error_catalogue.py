"""The one error catalogue: every class is reachable, known codes say who fixes them, and a
dead letter kept before kinds were stored is still classified from its code and words."""

from __future__ import annotations

import httpx
import pytest

from ledgerlink.connectors.infor.errors import M3ValidationError
from ledgerlink.errors import (
    AuthError,
    Conflict,
    MalformedResponse,
    OutcomeUnknown,
    RateLimited,
    TransientFailure,
    Unavailable,
    ValidationFailed,
)
from reverse_etl.error_catalogue import CATALOGUE, ErrorClass, ErrorFacts, Fixer, classify, explain


def m3(code: str, field: str, message: str) -> M3ValidationError:
    return M3ValidationError(
        "GLS840MI", "AddBatchLineFld", message, status=200, code=code, field=field
    )


@pytest.mark.parametrize(
    ("error", "target", "error_class", "fixer", "retry_helps"),
    [
        (
            m3("XBL0001", "AIT1", "Account is blocked for posting"),
            "infor",
            "value",
            Fixer.INFOR_DATA,
            False,
        ),
        (m3("XIM0002", "AIT1", "Account does not exist"), "infor", "missing", Fixer.MAPPING, False),
        (
            m3("XIM0002", "CUNO", "Customer number is invalid"),
            "infor",
            "missing",
            Fixer.INFOR_DATA,
            False,
        ),
        (
            m3("WCUTM03", "CUTM", "Customer template TPLUSD does not exist"),
            "infor",
            "missing",
            Fixer.MAPPING,
            False,
        ),
        (
            m3("XRE0104", "CUNO", "Record already exists"),
            "infor",
            "duplicate",
            Fixer.INFOR_DATA,
            False,
        ),
        (
            m3("XAU0008", "CONO", "Not authorized for company"),
            "infor",
            "configuration",
            Fixer.CONFIGURATION,
            False,
        ),
        (
            Conflict("freshbooks", "taken", status=409, code="invoice_number_taken"),
            "freshbooks",
            "duplicate",
            Fixer.FRESHBOOKS_DATA,
            False,
        ),
        (
            ValidationFailed(
                "freshbooks", "client not sent: email is required", code="invalid_record"
            ),
            "freshbooks",
            "value",
            Fixer.FRESHBOOKS_DATA,
            False,
        ),
        (
            OutcomeUnknown("infor", "AddBatchHead", httpx.ReadTimeout("timed out")),
            "infor",
            "connection",
            Fixer.API,
            True,
        ),
        (
            TransientFailure("infor", "bad gateway", status=502),
            "infor",
            "intermittent",
            Fixer.API,
            True,
        ),
        (
            RateLimited("freshbooks", "slow down", status=429),
            "freshbooks",
            "rate_limit",
            Fixer.API,
            True,
        ),
        (
            MalformedResponse("freshbooks", "not JSON", status=200),
            "freshbooks",
            "parse",
            Fixer.API,
            True,
        ),
        (
            Unavailable("infor", "GLS840MI is not offered", status=501),
            "infor",
            "unavailable",
            Fixer.CONFIGURATION,
            False,
        ),
        (
            AuthError("the grant was revoked"),
            "freshbooks",
            "configuration",
            Fixer.CONFIGURATION,
            False,
        ),
    ],
)
def test_errors_are_classified_with_who_fixes_them(error, target, error_class, fixer, retry_helps):
    explained = classify(error, target)
    assert explained.error_class == error_class
    assert explained.fixer == fixer
    assert explained.retry_helps is retry_helps
    assert explained.action and explained.rule.meaning


def test_every_class_is_in_the_catalogue_and_the_last_rule_takes_anything():
    assert {rule.error_class for rule in CATALOGUE} == set(ErrorClass)
    anything = explain(ErrorFacts("infor", "SomethingNew", None, None, "??"))
    assert anything.rule is CATALOGUE[-1]


def test_a_mapped_field_points_at_its_mapping_table():
    explained = classify(m3("XIM0002", "AIT1", "Account 9999 does not exist"), "infor")
    assert explained.mapping_file == "expense_category_gl_accounts.csv"
    assert "expense_category_gl_accounts.csv" in explained.action


def test_a_letter_stored_without_its_kind_is_read_from_its_code_and_words():
    old = ErrorFacts(
        "infor", None, "XIM0002", None,
        "GLS840MI/AddBatchLineFld: Account does not exist [XIM0002, field AIT1]",
    )  # fmt: skip
    explained = explain(old)
    assert explained.error_class == "missing" and explained.fixer == Fixer.MAPPING
    unknown = explain(ErrorFacts("infor", None, None, None, "infor: outcome of X is unknown (...)"))
    assert unknown.error_class == "connection" and unknown.retry_helps

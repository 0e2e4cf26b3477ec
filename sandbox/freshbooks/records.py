"""Stored fields of new records: the defaults the API fills in (as its create responses show)."""

from __future__ import annotations

import random
import string
from typing import Any

from sandbox.freshbooks.money import ZERO, money

BASE_CURRENCY = "USD"


def username(rng: random.Random) -> str:
    # Real client usernames are random tokens such as "nTZRapCeW5".
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(10))


def client_data(values: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "fname": "",
        "lname": "",
        "organization": "",
        "email": "",
        "username": "",
        "uuid": "",
        "currency_code": BASE_CURRENCY,
        "language": "en",
        "bus_phone": "",
        "mob_phone": "",
        "home_phone": None,
        "fax": "",
        **dict.fromkeys(
            ("p_street", "p_street2", "p_city", "p_province", "p_code", "p_country"), ""
        ),
        **dict.fromkeys(
            ("s_street", "s_street2", "s_city", "s_province", "s_code", "s_country"), ""
        ),
        "vat_name": None,
        "vat_number": None,
        "note": None,
        "allow_late_fees": True,
        "allow_late_notifications": True,
        "allow_email_include_pdf": False,
        "pref_email": True,
        "pref_gmail": False,
        "company_industry": None,
        "company_size": None,
    }
    data.update(values)
    if not data["organization"]:
        # The API names a client without an organization after the person, else the e-mail.
        data["organization"] = f"{data['fname']} {data['lname']}".strip() or data["email"]
    return data


def payment_data(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "invoiceid": 0,
        "clientid": 0,
        "amount": money(ZERO, BASE_CURRENCY),
        "date": "",
        "type": "Check",
        "note": "",
        "gateway": None,
        "transactionid": None,
        "send_client_notification": None,
        **values,
    }


def expense_data(values: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "categoryid": 0,
        "clientid": 0,
        "projectid": 0,
        "staffid": 1,
        "date": "",
        "amount": money(ZERO, BASE_CURRENCY),
        "vendor": "",
        "notes": "",
        "taxName1": None,
        "taxName2": None,
        "taxAmount1": None,
        "taxAmount2": None,
        "taxPercent1": None,
        "taxPercent2": None,
        "markup_percent": "0",
        "status": 0,
        "billable": False,
        "bank_name": "",
        "account_name": "",
    }
    data.update(values)
    return data


def item_data(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "",
        "description": "",
        "sku": "",
        "qty": "0",
        "inventory": None,
        "unit_cost": money(ZERO, BASE_CURRENCY),
        "tax1": 0,
        "tax2": 0,
        **values,
    }

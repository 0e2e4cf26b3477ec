"""Stored records -> FreshBooks JSON: duplicated ids, money objects, Eastern/UTC timestamps.

Stored `data` holds a record's own fields; what every record of a kind has in common (and
what the emulator never changes) is added here, so the rendered keys match the reference.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sandbox.freshbooks.store import Record
from sandbox.freshbooks.timestamps import eastern, eastern_micro, utc

CLIENT_CONSTANTS: dict[str, Any] = {
    "direct_link_token": None,
    "has_retainer": None,
    "last_activity": None,
    "last_login": None,
    "level": 0,
    "notified": False,
    "num_logins": 0,
    "retainer_id": None,
    "role": "client",
    "statement_token": None,
    "subdomain": None,
}

INVOICE_CONSTANTS: dict[str, Any] = {
    "auto_bill": False,
    "autobill_status": None,
    "basecampid": 0,
    "deposit_amount": None,
    "deposit_percentage": None,
    "deposit_status": "none",
    "discount_description": None,
    "dispute_status": None,
    "estimateid": 0,
    "ext_archive": 0,
    "generation_date": None,
    "gmail": False,
    "last_order_status": None,
    "ownerid": 1,
    "parent": 0,
    "payment_details": "",
    "return_uri": None,
    "show_attachments": False,
}

LINE_CONSTANTS: dict[str, Any] = {
    "basecampid": 0,
    "compounded_tax": False,
    "date": None,
    "modern_project_id": None,
    "modern_time_entries": [],
    "retainer_id": None,
    "retainer_period_id": None,
}

PAYMENT_CONSTANTS: dict[str, Any] = {
    "bulk_paymentid": None,
    "creditid": None,
    "from_credit": False,
    "gateway": None,
    "orderid": None,
    "overpaymentid": None,
    "send_client_notification": None,
    "transactionid": None,
}

EXPENSE_CONSTANTS: dict[str, Any] = {
    "account_name": "",
    "accountid": None,
    "attachment": None,
    "background_jobid": None,
    "bank_name": "",
    "bill_matches": [],
    "compounded_tax": False,
    "converse_projectid": None,
    "ext_accountid": None,
    "ext_invoiceid": 0,
    "ext_systemid": 0,
    "from_bulk_import": False,
    "has_receipt": False,
    "include_receipt": False,
    "invoiceid": None,
    "is_cogs": False,
    "isduplicate": False,
    "markup_percent": "0",
    "modern_projectid": None,
    "potential_bill_payment": False,
    "profileid": None,
    "projectid": 0,
    "staffid": 1,
    "status": 0,
    "transactionid": None,
}

ITEM_CONSTANTS: dict[str, Any] = {"inventory": None, "qty": "0", "tax1": 0, "tax2": 0}


def _ids(record: Record, id_field: str, account_id: str) -> dict[str, Any]:
    return {"id": record.id, id_field: record.id, "accounting_systemid": account_id}


def client(record: Record, account_id: str) -> dict[str, Any]:
    return {
        **CLIENT_CONSTANTS,
        **record.data,
        **_ids(record, "userid", account_id),
        "signup_date": utc(record.created),
        "updated": eastern(record.updated),
        "vis_state": record.vis_state,
    }


def invoice_line(line: dict[str, Any]) -> dict[str, Any]:
    return {**LINE_CONSTANTS, **line, "updated": eastern(line["updated"])}


def presentation(record: Record) -> dict[str, Any]:
    return {
        "date_format": "mm/dd/yyyy",
        "description_heading": None,
        "hours_heading": None,
        "image_banner_position_y": 0,
        "image_banner_src": None,
        "image_logo_src": None,
        "invoiceid": record.id,
        "item_heading": None,
        "label": None,
        "quantity_heading": None,
        "rate_heading": None,
        "task_heading": None,
        "theme_font_name": "modern",
        "theme_layout": "simple",
        "theme_primary_color": "#345beb",
        "time_entry_notes_heading": None,
        "unit_cost_heading": None,
    }


def invoice(
    record: Record,
    account_id: str,
    lines: list[dict[str, Any]] | None = None,
    *,
    with_presentation: bool = False,
) -> dict[str, Any]:
    data = record.data
    due = date.fromisoformat(data["create_date"]) + timedelta(days=data["due_offset_days"])
    rendered = {
        **INVOICE_CONSTANTS,
        **data,
        **_ids(record, "invoiceid", account_id),
        "accountid": account_id,
        "current_organization": data["organization"],
        "due_date": due.isoformat(),
        "fulfillment_date": data["create_date"],
        "net_paid_amount": data["paid"],
        "created_at": eastern(record.created),
        "updated": eastern(record.updated),
        "version": eastern_micro(record.updated),
        "vis_state": record.vis_state,
    }
    if lines is not None:
        rendered["lines"] = [invoice_line(line) for line in lines]
    if with_presentation:
        rendered["presentation"] = presentation(record)
    return rendered


def payment(record: Record, account_id: str) -> dict[str, Any]:
    return {
        **PAYMENT_CONSTANTS,
        **record.data,
        **_ids(record, "logid", account_id),
        "updated": eastern(record.updated),
        "vis_state": record.vis_state,
    }


def expense(record: Record, account_id: str) -> dict[str, Any]:
    return {
        **EXPENSE_CONSTANTS,
        **record.data,
        **_ids(record, "expenseid", account_id),
        "updated": eastern(record.updated),
        "vis_state": record.vis_state,
    }


def item(record: Record, account_id: str) -> dict[str, Any]:
    return {
        **ITEM_CONSTANTS,
        **record.data,
        **_ids(record, "itemid", account_id),
        "updated": eastern(record.updated),
        "vis_state": record.vis_state,
    }


def tax(record: Record, account_id: str) -> dict[str, Any]:
    # Taxes carry no vis_state in the reference.
    return {**record.data, **_ids(record, "taxid", account_id), "updated": eastern(record.updated)}


def category(record: Record, account_id: str) -> dict[str, Any]:
    return {
        "category": record.data["category"],
        "categoryid": record.id,
        "id": record.id,
        "is_cogs": record.data.get("is_cogs", False),
        "is_editable": False,
        "parentid": record.data.get("parentid"),
        "transaction_posted": False,
        "created_at": eastern(record.created),
        "updated_at": eastern(record.updated),
        "vis_state": record.vis_state,
    }


def credit_note(record: Record, account_id: str, *, with_lines: bool = False) -> dict[str, Any]:
    data = dict(record.data)
    lines = data.pop("lines", [])
    rendered = {
        **data,
        "id": record.id,
        "creditid": record.id,
        "accounting_systemid": account_id,
        "created_at": eastern(record.created),
        "updated": eastern(record.updated),
        "vis_state": record.vis_state,
    }
    if with_lines:
        rendered["lines"] = [
            {**line, "creditid": record.id, "updated": eastern(line["updated"])} for line in lines
        ]
    return rendered


# --- bills: UTC `created_at` / `updated_at`, snake_case line taxes ------------------------------
def bill_vendor(record: Record, account_id: str) -> dict[str, Any]:
    return {
        **record.data,
        "vendorid": record.id,
        "outstanding_balance": [],
        "overdue_balance": [],
        "created_at": utc(record.created),
        "updated_at": utc(record.updated),
        "vis_state": record.vis_state,
    }


def bill_payment(record: Record, account_id: str) -> dict[str, Any]:
    return {**record.data, "id": record.id, "vis_state": record.vis_state}


def bill(
    record: Record,
    account_id: str,
    vendor: dict[str, Any] | None,
    payments: list[dict[str, Any]],
) -> dict[str, Any]:
    data = record.data
    due = date.fromisoformat(data["issue_date"]) + timedelta(days=data["due_offset_days"])
    return {
        **data,
        "id": record.id,
        "due_date": due.isoformat(),
        "bill_payments": payments,
        "vendor": vendor,
        "created_at": utc(record.created),
        "updated_at": utc(record.updated),
        "vis_state": record.vis_state,
    }

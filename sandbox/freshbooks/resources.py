"""The accounting resources the emulator serves: paths, envelope keys, search filters, fields."""

from __future__ import annotations

from dataclasses import dataclass, field

# Field kinds understood by `validation.coerce`.
STR, INT, BOOL, DATE, DECIMAL, MONEY, EMAIL, CURRENCY, VIS = (
    "str", "int", "bool", "date", "decimal", "money", "email", "currency", "vis_state",
)  # fmt: skip

ADDRESS = ("p_street", "p_street2", "p_city", "p_province", "p_code", "p_country")
SHIPPING = ("s_street", "s_street2", "s_city", "s_province", "s_code", "s_country")
INVOICE_ADDRESS = ("address", "street", "street2", "city", "province", "code", "country")
PAYMENT_TYPES = (
    "Check", "Credit", "Cash", "Bank Transfer", "Credit Card", "Debit", "PayPal", "2Checkout",
    "VISA", "MASTERCARD", "DISCOVER", "AMEX", "DINERS", "JCB", "ACH", "Other",
)  # fmt: skip


@dataclass(frozen=True)
class Search:
    """One `search[<key>]` filter: the column it reads and how it compares."""

    column: str
    op: str  # eq | eq_nocase | like | in | min | max


@dataclass(frozen=True)
class Resource:
    name: str  # singular envelope key and webhook noun
    plural: str  # list envelope key
    path: str  # under /accounting/account/{account_id}/
    id_field: str  # the duplicate of `id` (`invoiceid`, `userid`, ...)
    columns: tuple[str, ...] = ()  # copies of data fields, indexed for search
    searches: dict[str, Search] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)  # writable field -> kind
    writable: bool = True
    http_delete: bool = False  # the Python SDK deletes invoices with HTTP DELETE
    utc: bool = False  # timestamps in UTC, not US/Eastern (the newer bill endpoints)

    @property
    def table(self) -> str:
        return self.plural


def _ids(column: str = "id") -> Search:
    return Search(column, "in")


CLIENTS = Resource(
    name="client",
    plural="clients",
    path="users/clients",
    id_field="userid",
    columns=("email", "organization"),
    searches={
        "userid": Search("id", "eq"),
        "userids": _ids(),
        "email": Search("email", "eq_nocase"),
        "email_like": Search("email", "like"),
        "organization_like": Search("organization", "like"),
    },
    fields={
        **dict.fromkeys(
            (
                "fname",
                "lname",
                "organization",
                "username",
                "language",
                "bus_phone",
                "mob_phone",
                "home_phone",
                "fax",
                *ADDRESS,
                *SHIPPING,
                "vat_name",
                "vat_number",
                "note",
                "company_industry",
                "company_size",
            ),
            STR,
        ),
        "email": EMAIL,
        "currency_code": CURRENCY,
        **dict.fromkeys(
            (
                "allow_late_fees",
                "allow_late_notifications",
                "allow_email_include_pdf",
                "pref_email",
                "pref_gmail",
            ),
            BOOL,
        ),
        "vis_state": VIS,
    },
)

INVOICES = Resource(
    name="invoice",
    plural="invoices",
    path="invoices/invoices",
    id_field="invoiceid",
    columns=("customerid", "invoice_number", "create_date", "v3_status"),
    searches={
        "invoiceid": Search("id", "eq"),
        "invoiceids": _ids(),
        "customerid": Search("customerid", "eq"),
        "customerids": _ids("customerid"),
        "clientid": Search("customerid", "eq"),
        "invoice_number": Search("invoice_number", "eq"),
        "invoice_number_like": Search("invoice_number", "like"),
        "v3_status": Search("v3_status", "eq"),
        "date_min": Search("create_date", "min"),
        "date_max": Search("create_date", "max"),
    },
    fields={
        "customerid": INT,
        "create_date": DATE,
        "due_offset_days": INT,
        "currency_code": CURRENCY,
        "discount_value": DECIMAL,
        "invoice_number": STR,
        **dict.fromkeys(
            (
                "notes",
                "terms",
                "po_number",
                "description",
                "template",
                "language",
                "fname",
                "lname",
                "organization",
                *INVOICE_ADDRESS,
                "vat_name",
                "vat_number",
            ),
            STR,
        ),
        "action_mark_as_sent": BOOL,
        "action_email": BOOL,
        "vis_state": VIS,
    },
    http_delete=True,
)

PAYMENTS = Resource(
    name="payment",
    plural="payments",
    path="payments/payments",
    id_field="logid",
    columns=("invoiceid", "clientid", "date"),
    searches={
        "logid": Search("id", "eq"),
        "logids": _ids(),
        "invoiceid": Search("invoiceid", "eq"),
        "invoiceids": _ids("invoiceid"),
        "clientid": Search("clientid", "eq"),
        "customerid": Search("clientid", "eq"),
        "date_min": Search("date", "min"),
        "date_max": Search("date", "max"),
    },
    fields={
        "invoiceid": INT,
        "amount": MONEY,
        "date": DATE,
        "type": STR,
        "note": STR,
        "transactionid": STR,
        "send_client_notification": BOOL,
        "vis_state": VIS,
    },
)

EXPENSES = Resource(
    name="expense",
    plural="expenses",
    path="expenses/expenses",
    id_field="expenseid",
    columns=("categoryid", "clientid", "date"),
    searches={
        "expenseid": Search("id", "eq"),
        "expenseids": _ids(),
        "categoryid": Search("categoryid", "eq"),
        "categoryids": _ids("categoryid"),
        "clientid": Search("clientid", "eq"),
        "customerid": Search("clientid", "eq"),
        "date_min": Search("date", "min"),
        "date_max": Search("date", "max"),
    },
    fields={
        "categoryid": INT,
        "staffid": INT,
        "clientid": INT,
        "projectid": INT,
        "date": DATE,
        "amount": MONEY,
        **dict.fromkeys(
            ("vendor", "notes", "taxName1", "taxName2", "bank_name", "account_name"), STR
        ),
        "taxAmount1": MONEY,
        "taxAmount2": MONEY,
        "taxPercent1": DECIMAL,
        "taxPercent2": DECIMAL,
        "markup_percent": DECIMAL,
        "billable": BOOL,
        "status": INT,
        "vis_state": VIS,
    },
)

ITEMS = Resource(
    name="item",
    plural="items",
    path="items/items",
    id_field="itemid",
    columns=("sku", "name"),
    searches={
        "itemid": Search("id", "eq"),
        "itemids": _ids(),
        "sku": Search("sku", "eq"),
        "name": Search("name", "eq_nocase"),
        "name_like": Search("name", "like"),
    },
    fields={
        "name": STR,
        "description": STR,
        "sku": STR,
        "qty": DECIMAL,
        "inventory": DECIMAL,
        "unit_cost": MONEY,
        "tax1": INT,
        "tax2": INT,
        "vis_state": VIS,
    },
)

TAXES = Resource(
    name="tax",
    plural="taxes",
    path="taxes/taxes",
    id_field="taxid",
    columns=("name",),
    searches={"taxid": Search("id", "eq"), "taxids": _ids(), "name": Search("name", "eq_nocase")},
    writable=False,
)

CATEGORIES = Resource(
    name="category",
    plural="categories",
    path="expenses/categories",
    id_field="categoryid",
    columns=("category",),
    searches={"categoryid": Search("id", "eq"), "categoryids": _ids()},
    writable=False,
)

CREDIT_NOTES = Resource(
    name="credit_note",
    plural="credit_notes",
    path="credit_notes/credit_notes",
    id_field="creditid",
    columns=("clientid", "create_date"),
    searches={
        "creditid": Search("id", "eq"),
        "creditids": _ids(),
        "clientid": Search("clientid", "eq"),
        "date_min": Search("create_date", "min"),
        "date_max": Search("create_date", "max"),
    },
    writable=False,
)

BILL_VENDORS = Resource(
    name="bill_vendor",
    plural="bill_vendors",
    path="bill_vendors/bill_vendors",
    id_field="vendorid",
    columns=("vendor_name",),
    searches={
        "vendorid": Search("id", "eq"),
        "vendorids": _ids(),
        "vendor_name": Search("vendor_name", "eq_nocase"),
        "vendor_name_like": Search("vendor_name", "like"),
    },
    fields={
        **dict.fromkeys(
            (
                "vendor_name",
                "language",
                "account_number",
                "phone",
                "website",
                "street",
                "street2",
                "city",
                "province",
                "postal_code",
                "country",
                "primary_contact_first_name",
                "primary_contact_last_name",
                "note",
            ),
            STR,
        ),
        "primary_contact_email": EMAIL,
        "currency_code": CURRENCY,
        "is_1099": BOOL,
        "vis_state": VIS,
    },
    utc=True,
)

BILLS = Resource(
    name="bill",
    plural="bills",
    path="bills/bills",
    id_field="id",
    columns=("vendorid", "bill_number", "issue_date", "status"),
    searches={
        "id": Search("id", "eq"),
        "ids": _ids(),
        "vendorid": Search("vendorid", "eq"),
        "vendorids": _ids("vendorid"),
        "bill_number": Search("bill_number", "eq"),
        "bill_number_like": Search("bill_number", "like"),
        "status": Search("status", "eq"),
        "issue_date_min": Search("issue_date", "min"),
        "issue_date_max": Search("issue_date", "max"),
    },
    fields={
        "vendorid": INT,
        "issue_date": DATE,
        "due_offset_days": INT,
        "currency_code": CURRENCY,
        **dict.fromkeys(
            ("bill_number", "language", "overall_category", "overall_description"), STR
        ),
        "vis_state": VIS,
    },
    utc=True,
)

BILL_PAYMENTS = Resource(
    name="bill_payment",
    plural="bill_payments",
    path="bill_payments/bill_payments",
    id_field="id",
    columns=("billid", "paid_date"),
    searches={
        "id": Search("id", "eq"),
        "ids": _ids(),
        "billid": Search("billid", "eq"),
        "billids": _ids("billid"),
        "paid_date_min": Search("paid_date", "min"),
        "paid_date_max": Search("paid_date", "max"),
    },
    fields={
        "billid": INT,
        "amount": MONEY,
        "payment_type": STR,
        "paid_date": DATE,
        "note": STR,
        "vis_state": VIS,
    },
    utc=True,
)

RESOURCES = (
    CLIENTS, INVOICES, PAYMENTS, EXPENSES, ITEMS, TAXES, CATEGORIES, CREDIT_NOTES,
    BILL_VENDORS, BILLS, BILL_PAYMENTS,
)  # fmt: skip
BY_NAME = {resource.name: resource for resource in RESOURCES}
# Each resource's raw table in the warehouse: how sandbox options name the entity.
RAW_TABLES = {resource.name: resource.plural for resource in RESOURCES} | {
    CATEGORIES.name: "expense_categories"
}

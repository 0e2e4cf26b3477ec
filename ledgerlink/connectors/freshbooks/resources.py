"""The FreshBooks accounting resources we read and write: paths, envelope keys, typed models."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from ledgerlink.connectors.freshbooks import models


@dataclass(frozen=True)
class Resource:
    name: str  # our plural name, also the list key in FreshBooks' envelope
    path: str  # under /accounting/account/{account_id}/
    single: str  # wrapper key for one record
    model: type[BaseModel]
    writable: bool = False
    soft_delete: bool = True  # deleted via PUT vis_state=1 (else HTTP DELETE or none)
    includes: tuple[str, ...] = ()  # include[] we always ask for

    @property
    def plural(self) -> str:
        return self.name


RESOURCES: dict[str, Resource] = {
    r.name: r
    for r in (
        Resource("clients", "users/clients", "client", models.Client, writable=True),
        Resource(
            "invoices",
            "invoices/invoices",
            "invoice",
            models.Invoice,
            writable=True,
            includes=("lines",),
        ),
        Resource("payments", "payments/payments", "payment", models.Payment, writable=True),
        Resource("expenses", "expenses/expenses", "expense", models.Expense, writable=True),
        Resource("categories", "expenses/categories", "category", models.ExpenseCategory),
        Resource("items", "items/items", "item", models.Item, writable=True),
        Resource("taxes", "taxes/taxes", "tax", models.Tax, soft_delete=False),
        Resource("credit_notes", "credit_notes/credit_notes", "credit_note", models.CreditNote),
    )
}

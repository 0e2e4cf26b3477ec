"""The MI programs the sandbox serves, one module per family; importing them registers them."""

from sandbox.infor.programs import (  # noqa: F401 - imported for their registrations
    accounts,
    balances,
    cash,
    customers,
    deliveries,
    export,
    invoices,
    items,
    ledger,
    orders,
    purchasing,
    supplier_invoices,
    suppliers,
    toolbox,
)

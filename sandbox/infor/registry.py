"""Which function serves which MI transaction, and the call each one receives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from sandbox.infor import errors
from sandbox.infor.contract import Transaction
from sandbox.infor.store import Stamp, Store
from sandbox.infor.tenant import Tenant
from sandbox.infor.values import DEFAULT_DATE_FORMAT, parse_date, parse_decimal

Record = dict[str, str]
Handler = Callable[["Call"], list[Record]]
HANDLERS: dict[tuple[str, str], Handler] = {}


def handles(program: str, *transactions: str) -> Callable[[Handler], Handler]:
    """Register the decorated function for `program`'s `transactions`."""

    def register(handler: Handler) -> Handler:
        for transaction in transactions:
            HANDLERS[(program, transaction)] = handler
        return handler

    return register


@dataclass
class Call:
    """One validated transaction: its non-blank inputs and what a handler needs around them."""

    transaction: Transaction
    fields: dict[str, str]
    store: Store
    limit: int | None = 100  # None = unlimited (maxrecs=0)
    dateformat: str = DEFAULT_DATE_FORMAT
    _stamp: Stamp | None = field(default=None, repr=False)

    @property
    def stamp(self) -> Stamp:
        """One stamp per transaction, so every record it changes carries the same LMTS/LMDT."""
        if self._stamp is None:
            self._stamp = self.store.stamp()
        return self._stamp

    @property
    def tenant(self) -> Tenant:
        return self.store.tenant

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default)

    def label(self, name: str) -> str:
        return self.transaction.label(name)

    def require(self, name: str) -> str:
        """A field this transaction needs although the contract marks it optional."""
        value = self.fields.get(name, "")
        if not value:
            raise errors.missing(name, self.label(name))
        return value

    def decimal(self, name: str, default: Decimal | None = None) -> Decimal | None:
        value = self.fields.get(name, "")
        if not value:
            return default
        try:
            return parse_decimal(value)
        except ValueError:
            raise errors.invalid(name, self.label(name), value) from None

    def integer(self, name: str, default: int | None = None) -> int | None:
        """A whole-number input (keys such as DLIX, JRNO, BLSN)."""
        value = self.fields.get(name, "")
        if not value:
            return default
        number = self.decimal(name)
        if number is None or number != number.to_integral_value():
            raise errors.invalid(name, self.label(name), value, "must be a whole number")
        return int(number)

    def date(self, name: str, default: str | None = None) -> str | None:
        """An input date as YYYYMMDD, read in the request's `dateformat`."""
        value = self.fields.get(name, "")
        if not value:
            return default
        try:
            return parse_date(value, self.dateformat)
        except (ValueError, KeyError):
            raise errors.invalid(name, self.label(name), value) from None

    def not_found(
        self, name: str, value: str | None = None, label: str | None = None
    ) -> errors.MIError:
        """The record `name` (the input, or `value`) points at does not exist, in the tenant's
        wording."""
        return self.tenant.wording.missing_record(
            name, label or self.label(name), value if value is not None else self.get(name)
        )

    def check_codes(self, values: dict[str, str]) -> None:
        """Coded fields must hold codes the tenant's tables know, as M3 checks them on writes."""
        for name, value in values.items():
            allowed = self.tenant.codes(name)
            if value and allowed is not None and value not in allowed:
                raise self.tenant.wording.unknown_code(name, self.label(name), value)

    def page(self, rows: list[Record]) -> list[Record]:
        return rows if self.limit is None else rows[: self.limit]

    @property
    def sql_limit(self) -> int:
        """For `limit ?` in SQL: -1 is SQLite's 'no limit'."""
        return -1 if self.limit is None else self.limit

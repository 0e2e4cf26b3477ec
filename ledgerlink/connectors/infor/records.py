"""Typed records M3 returns, named for people; aliases are the M3 field codes of the Swagger."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Self

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

from ledgerlink.connectors.infor.errors import SERVICE
from ledgerlink.connectors.infor.values import (
    M3Date,
    M3Decimal,
    M3Flag,
    M3Int,
    M3OptStr,
    M3Str,
    M3Timestamp,
    parse_timestamp,
)
from ledgerlink.errors import MalformedResponse


def m3(code: str, *also: str) -> Any:
    """An optional output field read from `code` (or from another name a sibling list uses)."""
    if also:
        return Field(None, validation_alias=AliasChoices(code, *also), serialization_alias=code)
    return Field(None, alias=code)


class M3Record(BaseModel):
    """Base of every output record: built from M3's string values, unknown fields ignored."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    @classmethod
    def from_m3(cls, record: Mapping[str, str], *, source: str = "") -> Self:
        """Parse one M3 record; a value M3 should never send raises `MalformedResponse`."""
        try:
            return cls.model_validate(record)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem["loc"])
            raise MalformedResponse(
                SERVICE, f"{source or cls.__name__}: {where}: {problem['msg']}", field=where
            ) from None

    def to_m3(self) -> dict[str, Any]:
        """Back to M3 field codes (typed values), e.g. for a warehouse row."""
        return self.model_dump(by_alias=True, exclude_none=True)


class ServerTime(M3Record):
    """`GetServerTime` (every program has it): its LMTS is the safe cursor for `LMTS` filters,
    because it comes from the same clock that stamps the records."""

    date: M3Date = m3("DATE")
    time: M3OptStr = m3("TIME")
    lmts: M3Int = m3("LMTS")

    @property
    def moment(self) -> datetime | None:
        return parse_timestamp(self.lmts) if self.lmts is not None else None


# --- CRS610MI customers ---------------------------------------------------------------------------
class Customer(M3Record):
    customer_number: M3Str = Field(alias="CUNO")
    company: M3OptStr = m3("CONO")
    division: M3OptStr = m3("DIVI")
    name: M3OptStr = m3("CUNM")
    address_1: M3OptStr = m3("CUA1")
    address_2: M3OptStr = m3("CUA2")
    address_3: M3OptStr = m3("CUA3")
    address_4: M3OptStr = m3("CUA4")
    postal_code: M3OptStr = m3("PONO")
    town: M3OptStr = m3("TOWN")
    state: M3OptStr = m3("ECAR")
    country: M3OptStr = m3("CSCD")
    phone: M3OptStr = m3("PHNO")
    email: M3OptStr = m3("MAIL")
    language: M3OptStr = m3("LNCD")
    customer_type: M3OptStr = m3("CUTP")
    status: M3OptStr = m3("STAT")
    search_key: M3OptStr = m3("ALCU")
    your_reference: M3OptStr = m3("YREF")
    currency: M3OptStr = m3("CUCD")
    customer_group: M3OptStr = m3("CUCL")
    order_type: M3OptStr = m3("ORTP")
    payment_terms: M3OptStr = m3("TEPY")
    payment_method: M3OptStr = m3("PYCD")
    payer: M3OptStr = m3("PYNO")
    vat_number: M3OptStr = m3("VRNO")
    credit_limit: M3Decimal = m3("CRLM")
    created_on: M3Date = m3("RGDT")
    changed_on: M3Date = m3("LMDT")
    changed_at: M3Timestamp = m3("LMTS")


# --- OIS100MI customer orders ---------------------------------------------------------------------
class BatchLineAdded(M3Record):
    line_number: M3Int = m3("PONR")
    line_suffix: M3Int = m3("POSX")


class ConfirmedOrder(M3Record):
    order_number: M3Str = Field(alias="ORNO")
    status: M3OptStr = m3("STAT")


class BatchHead(M3Record):
    """A batch-entry head (OIS100MI LstBatchHead/GetBatchHead): ORNO is the batch number."""

    batch_order_number: M3Str = Field(alias="ORNO")
    order_number: M3OptStr = m3("ORNR")
    status: M3OptStr = m3("STAT")
    customer_order_number: M3OptStr = m3("CUOR")
    order_type: M3OptStr = m3("ORTP")
    order_date: M3Date = m3("ORDT")
    requested_delivery_date: M3Date = m3("RLDT")

    @property
    def is_confirmed(self) -> bool:
        return bool(self.order_number)


class OrderHead(M3Record):
    order_number: M3Str = Field(alias="ORNO")
    order_type: M3OptStr = m3("ORTP")
    order_date: M3Date = m3("ORDT")
    status: M3OptStr = m3("STAT")
    lowest_status: M3OptStr = m3("ORSL")
    highest_status: M3OptStr = m3("ORST")
    facility: M3OptStr = m3("FACI")
    warehouse: M3OptStr = m3("WHLO")
    division: M3OptStr = m3("DIVI")
    customer_number: M3OptStr = m3("CUNO")
    customer_order_number: M3OptStr = m3("CUOR")
    your_reference: M3OptStr = m3("YREF")
    currency: M3OptStr = m3("CUCD")
    payment_terms: M3OptStr = m3("TEPY")
    payer: M3OptStr = m3("PYNO")
    delivery_method: M3OptStr = m3("MODL")
    delivery_terms: M3OptStr = m3("TEDL")
    requested_delivery_date: M3Date = m3("RLDT")
    net_amount: M3Decimal = m3("NTAM")
    gross_amount: M3Decimal = m3("BRAM")
    subtotal_before_tax: M3Decimal = m3("ORVA")
    vat_amount: M3Decimal = m3("VTAM")
    subtotal_after_tax: M3Decimal = m3("TOAM")
    total: M3Decimal = m3("TOPY")


class OrderLine(M3Record):
    order_number: M3OptStr = m3("ORNO", "RIDN")
    line_number: M3Int = m3("PONR")
    line_suffix: M3Int = m3("POSX")
    item_number: M3OptStr = m3("ITNO")
    item_description: M3OptStr = m3("ITDS")
    status: M3OptStr = m3("ORST")
    warehouse: M3OptStr = m3("WHLO")
    currency: M3OptStr = m3("CUCD")
    ordered_quantity: M3Decimal = m3("ORQT")
    allocated_quantity: M3Decimal = m3("ALQT")
    delivered_quantity: M3Decimal = m3("DLQT")
    invoiced_quantity: M3Decimal = m3("IVQT")
    sales_price: M3Decimal = m3("SAPR")
    net_price: M3Decimal = m3("NEPR")
    net_line_amount: M3Decimal = m3("NLAM")
    requested_delivery_date: M3Date = m3("DWDT")
    confirmed_delivery_date: M3Date = m3("CODT")


# --- MWS411MI / MWS410MI deliveries ---------------------------------------------------------------
class DeliveryLine(M3Record):
    delivery_number: M3Str = Field(alias="DLIX")
    reference_category: M3OptStr = m3("RORC")
    order_number: M3OptStr = m3("RIDN")
    order_line: M3Int = m3("RIDL")
    line_suffix: M3Int = m3("RIDX")
    item_number: M3OptStr = m3("ITNO")
    facility: M3OptStr = m3("FACI")
    warehouse: M3OptStr = m3("WHLO")
    quantity: M3Decimal = m3("TRQT")
    picking_list_quantity: M3Decimal = m3("PLQT")
    created_on: M3Date = m3("RGDT")
    changed_on: M3Date = m3("LMDT")
    changed_at: M3Timestamp = m3("LMTS")


class DeliveryHead(M3Record):
    delivery_number: M3Str = Field(alias="DLIX")
    shipment: M3OptStr = m3("CONN")
    delivery_status: M3OptStr = m3("PGRS")
    packing_status: M3OptStr = m3("PIST")
    invoice_number: M3OptStr = m3("IVNO")
    invoice_date: M3Date = m3("IVDT")
    transaction_date: M3Date = m3("TRDT")
    reference_category: M3OptStr = m3("RORC")
    order_number: M3OptStr = m3("RIDN")
    customer_order_number: M3OptStr = m3("CUOR")
    warehouse: M3OptStr = m3("WHLO")
    delivery_method: M3OptStr = m3("MODL")
    delivery_terms: M3OptStr = m3("TEDL")
    route: M3OptStr = m3("ROUT")
    blocked: M3OptStr = m3("BLOP")
    packages: M3Int = m3("NRUL")
    gross_weight: M3Decimal = m3("GRW2")


# --- OIS350MI customer-order invoices -------------------------------------------------------------
class InvoiceHead(M3Record):
    invoice_number: M3Str = Field(alias="IVNO")
    year: M3Int = m3("YEA4")
    facility: M3OptStr = m3("FACI")
    voucher_number: M3OptStr = m3("VONO")
    customer_number: M3OptStr = m3("CUNO")
    customer_name: M3OptStr = m3("CUNM")
    payer: M3OptStr = m3("PYNO")
    status: M3OptStr = m3("INST")
    currency: M3OptStr = m3("CUCD")
    invoice_date: M3Date = m3("IDAT")
    due_date: M3Date = m3("DUDT")
    accounting_date: M3Date = m3("ACDT")
    gross_amount: M3Decimal = m3("AMT1")
    net_amount: M3Decimal = m3("AMT2")
    remaining_amount: M3Decimal = m3("RAFC")
    extended_invoice_number: M3OptStr = m3("EXIN")
    created_on: M3Date = m3("RGDT")
    changed_on: M3Date = m3("LMDT")
    changed_by: M3OptStr = m3("CHID")


class OrderInvoice(M3Record):
    """An invoice of one customer order (OIS350MI LstInvHeadByCo or LstAllInvByCO)."""

    invoice_number: M3Str = Field(alias="IVNO")
    year: M3Int = m3("YEA4")
    order_number: M3OptStr = m3("ORNO")
    delivery_number: M3OptStr = m3("DLIX")
    warehouse: M3OptStr = m3("WHLO")
    shipment: M3OptStr = m3("CONN")
    customer_number: M3OptStr = m3("CUNO")
    payer: M3OptStr = m3("PYNO")
    highest_status: M3OptStr = m3("ORST")
    currency: M3OptStr = m3("CUCD")
    payment_terms: M3OptStr = m3("TEPY")
    invoice_date: M3Date = m3("IVDT", "IDAT")
    due_date: M3Date = m3("DUDT")
    gross_amount: M3Decimal = m3("AMT1")
    net_amount: M3Decimal = m3("AMT2")
    invoice_amount: M3Decimal = m3("IVAV")
    remaining_amount: M3Decimal = m3("RAFC")
    extended_invoice_number: M3OptStr = m3("EXIN")


# --- ARS200MI accounts-receivable open items ------------------------------------------------------
PAID_RECONCILIATION_CODE = "9"


class ReceivableItem(M3Record):
    year: M3Int = m3("YEA4")
    journal_number: M3Int = m3("JRNO")
    journal_sequence: M3Int = m3("JSNO")
    invoice_number: M3OptStr = m3("CINO")
    invoice_year: M3Int = m3("INYR")
    transaction_code: M3OptStr = m3("TRCD")
    customer_number: M3OptStr = m3("CUNO")
    payer: M3OptStr = m3("PYNO")
    currency: M3OptStr = m3("CUCD")
    amount: M3Decimal = m3("CUAM")
    vat_amount: M3Decimal = m3("VTAM")
    voucher_number: M3OptStr = m3("VONO")
    reconciliation_code: M3OptStr = m3("RECO")
    reconciliation_date: M3Date = m3("REDE")
    invoice_date: M3Date = m3("IVDT")
    due_date: M3Date = m3("DUDT")
    accounting_date: M3Date = m3("ACDT")
    payment_date: M3Date = m3("DTP5")

    @property
    def is_paid(self) -> bool:
        """M3's own wording: internal reconciliation code 9 = paid."""
        return self.reconciliation_code == PAID_RECONCILIATION_CODE


# --- ABS100MI bank statements (cash receipts) -----------------------------------------------------
class StatementJob(M3Record):
    """The key ABS100MI hands out for a statement: every later call names it."""

    job_number: M3Str = Field(alias="JBNO")
    job_date: M3Str = Field(alias="JBDT")
    job_time: M3Str = Field(alias="JBTM")
    company: M3OptStr = m3("CONO")
    division: M3OptStr = m3("DIVI")

    def key(self) -> dict[str, str]:
        return {"JBNO": self.job_number, "JBDT": self.job_date, "JBTM": self.job_time}


# --- GLS200MI general-ledger read-back, CRS630MI chart of accounts -------------------------------
class VoucherLine(M3Record):
    company: M3OptStr = m3("CONO")
    division: M3OptStr = m3("DIVI")
    year: M3Int = m3("YEA4")
    journal_number: M3Int = m3("JRNO")
    journal_sequence: M3Int = m3("JSNO")
    voucher_series: M3OptStr = m3("VSER")
    voucher_number: M3Int = m3("VONO")
    transaction_code: M3OptStr = m3("TRCD")
    accounting_date: M3Date = m3("ACDT")
    account: M3OptStr = m3("AIT1")
    dimension_2: M3OptStr = m3("AIT2")
    dimension_3: M3OptStr = m3("AIT3")
    dimension_4: M3OptStr = m3("AIT4")
    dimension_5: M3OptStr = m3("AIT5")
    dimension_6: M3OptStr = m3("AIT6")
    dimension_7: M3OptStr = m3("AIT7")
    amount: M3Decimal = m3("ACAM")
    foreign_amount: M3Decimal = m3("CUAM")
    currency: M3OptStr = m3("CUCD")
    debit_credit: M3OptStr = m3("DBCR")
    voucher_text: M3OptStr = m3("VTXT")
    created_on: M3Date = m3("RGDT")
    changed_on: M3Date = m3("LMDT")
    change_number: M3Int = m3("CHNO")


class GlAccount(M3Record):
    account: M3Str = Field(alias="AITM")
    dimension: M3Int = m3("AITP")
    company: M3OptStr = m3("CONO")
    division: M3OptStr = m3("DIVI")
    account_group: M3OptStr = m3("AICL")
    description: M3OptStr = m3("TX40")
    name: M3OptStr = m3("TX15")
    currency: M3OptStr = m3("CUCD")
    balance_account: M3Flag = m3("AT01")
    profit_or_loss_account: M3Flag = m3("AT02")
    receivable_account: M3Flag = m3("AT03")
    payable_account: M3Flag = m3("AT11")
    blocked: M3Flag = m3("LCCD")
    valid_from: M3Date = m3("VFDT")
    valid_to: M3Date = m3("VTDT")
    changed_on: M3Date = m3("LMDT")
    changed_at: M3Timestamp = m3("LMTS")


# --- MMS200MI items, CRS620MI suppliers, PPS200MI purchase orders --------------------------------
class Item(M3Record):
    item_number: M3Str = Field(alias="ITNO")
    name: M3OptStr = m3("ITDS")
    description: M3OptStr = m3("FUDS")
    status: M3OptStr = m3("STAT")
    basic_unit: M3OptStr = m3("UNMS")
    item_group: M3OptStr = m3("ITGR")
    product_group: M3OptStr = m3("ITCL")
    item_type: M3OptStr = m3("ITTY")
    make_or_buy: M3OptStr = m3("MABU")
    responsible: M3OptStr = m3("RESP")
    purchase_unit: M3OptStr = m3("PUUN")
    sales_price_unit: M3OptStr = m3("SPUN")
    changed_on: M3Date = m3("LMDT")
    changed_at: M3Timestamp = m3("LMTS")


class Supplier(M3Record):
    supplier_number: M3Str = Field(alias="SUNO")
    company: M3OptStr = m3("CONO")
    name: M3OptStr = m3("SUNM")
    supplier_type: M3OptStr = m3("SUTY")
    status: M3OptStr = m3("STAT")
    phone: M3OptStr = m3("PHNO")
    country: M3OptStr = m3("CSCD")
    state: M3OptStr = m3("ECAR")
    currency: M3OptStr = m3("CUCD")
    payment_terms: M3OptStr = m3("TEPY")
    payment_method: M3OptStr = m3("PYME")
    supplier_group: M3OptStr = m3("SUCL")
    vat_number: M3OptStr = m3("VRNO")
    changed_on: M3Date = m3("LMDT")
    changed_at: M3Timestamp = m3("LMTS")


class PurchaseOrderHead(M3Record):
    order_number: M3Str = Field(alias="PUNO")
    company: M3OptStr = m3("CONO")
    division: M3OptStr = m3("DIVI")
    supplier_number: M3OptStr = m3("SUNO")
    order_type: M3OptStr = m3("ORTY")
    facility: M3OptStr = m3("FACI")
    warehouse: M3OptStr = m3("WHLO")
    buyer: M3OptStr = m3("BUYE")
    currency: M3OptStr = m3("CUCD")
    payment_terms: M3OptStr = m3("TEPY")
    order_date: M3Date = m3("PUDT")
    requested_delivery_date: M3Date = m3("DWDT")
    net_amount: M3Decimal = m3("NTAM")
    total_cost: M3Decimal = m3("COAM")
    line_count: M3Int = m3("NOLN")


class PurchaseOrderLine(M3Record):
    order_number: M3Str = Field(alias="PUNO")
    line_number: M3Int = m3("PNLI")
    line_subnumber: M3Int = m3("PNLS")
    item_number: M3OptStr = m3("ITNO")
    item_name: M3OptStr = m3("PITD")
    supplier_number: M3OptStr = m3("SUNO")
    warehouse: M3OptStr = m3("WHLO")
    lowest_status: M3OptStr = m3("PUSL")
    highest_status: M3OptStr = m3("PUST")
    ordered_quantity: M3Decimal = m3("ORQA")
    received_quantity: M3Decimal = m3("RVQA")
    invoiced_quantity: M3Decimal = m3("IVQA")
    purchase_price: M3Decimal = m3("PUPR")
    line_amount: M3Decimal = m3("LNAM")
    requested_delivery_date: M3Date = m3("DWDT")

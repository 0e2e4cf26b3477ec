"""Typed inputs of the M3 write transactions, checkable against the contract before sending."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from ledgerlink.connectors.infor.values import input_problems, to_m3_record, transaction_spec


def m3(code: str) -> Any:
    return Field(None, alias=code)


class M3Input(BaseModel):
    """One write's input record; `transaction` names the (program, transaction) it is for."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid", frozen=True)
    transaction: ClassVar[tuple[str, str]]
    # Required keys the wrapper fills in (the batch order number, the statement job key, ...).
    supplied_later: ClassVar[tuple[str, ...]] = ()

    def to_record(self) -> dict[str, str]:
        """The M3 record: field codes, values as M3 strings, unset fields left out."""
        return to_m3_record(self.model_dump(by_alias=True, exclude_none=True))

    def problems(self) -> list[str]:
        """What the contract says M3 would refuse (empty when valid or when no contract exists)."""
        spec = transaction_spec(*self.transaction)
        if spec is None:
            return []
        return input_problems(spec, self.to_record(), supplied_later=self.supplied_later)


# --- CRS610MI customers ---------------------------------------------------------------------------
class _CustomerAddress(M3Input):
    name: str | None = m3("CUNM")
    address_1: str | None = m3("CUA1")
    address_2: str | None = m3("CUA2")
    address_3: str | None = m3("CUA3")
    address_4: str | None = m3("CUA4")
    postal_code: str | None = m3("PONO")
    town: str | None = m3("TOWN")
    state: str | None = m3("ECAR")
    country: str | None = m3("CSCD")
    phone: str | None = m3("PHNO")
    email: str | None = m3("MAIL")
    language: str | None = m3("LNCD")
    customer_type: int | None = m3("CUTP")
    status: str | None = m3("STAT")
    search_key: str | None = m3("ALCU")
    your_reference: str | None = m3("YREF")


class NewCustomer(_CustomerAddress):
    """CRS610MI/Add: `template` (CUTM) supplies every field not given here."""

    transaction = ("CRS610MI", "Add")
    template: str = Field(alias="CUTM")
    name: str = Field(alias="CUNM")
    address_1: str = Field(alias="CUA1")
    customer_number: str | None = m3("CUNO")


class CustomerBasicData(_CustomerAddress):
    transaction = ("CRS610MI", "ChgBasicData")
    customer_number: str = Field(alias="CUNO")


class CustomerFinancial(M3Input):
    transaction = ("CRS610MI", "ChgFinancial")
    customer_number: str = Field(alias="CUNO")
    currency: str | None = m3("CUCD")
    vat_number: str | None = m3("VRNO")
    vat_code: str | None = m3("VTCD")
    credit_limit: Decimal | None = m3("CRLM")
    cash_discount_term: str | None = m3("TECD")
    payment_method: str | None = m3("PYCD")
    customer_stop: int | None = m3("BLCD")


class CustomerOrderInfo(M3Input):
    transaction = ("CRS610MI", "ChgOrderInfo")
    customer_number: str = Field(alias="CUNO")
    customer_group: str | None = m3("CUCL")
    order_type: str | None = m3("ORTP")
    payment_terms: str | None = m3("TEPY")
    payer: str | None = m3("PYNO")
    delivery_method: str | None = m3("MODL")
    delivery_terms: str | None = m3("TEDL")
    warehouse: str | None = m3("WHLO")
    facility: str | None = m3("FACI")


# --- OIS100MI batch order entry -------------------------------------------------------------------
class BatchOrderHead(M3Input):
    """OIS100MI/AddBatchHead; `customer_order_number` (CUOR) is the natural key to find it again."""

    transaction = ("OIS100MI", "AddBatchHead")
    customer_number: str = Field(alias="CUNO")
    customer_order_number: str | None = m3("CUOR")
    order_type: str | None = m3("ORTP")
    facility: str | None = m3("FACI")
    warehouse: str | None = m3("WHLO")
    order_date: date | None = m3("ORDT")
    requested_delivery_date: date | None = m3("RLDT")
    currency: str | None = m3("CUCD")
    payment_terms: str | None = m3("TEPY")
    payment_method: str | None = m3("PYCD")
    delivery_method: str | None = m3("MODL")
    delivery_terms: str | None = m3("TEDL")
    your_reference: str | None = m3("YREF")
    our_reference: str | None = m3("OREF")


class BatchOrderLine(M3Input):
    """OIS100MI/AddBatchLine without the order number, which the wrapper adds."""

    transaction = ("OIS100MI", "AddBatchLine")
    supplied_later = ("ORNO",)
    item_number: str = Field(alias="ITNO")
    quantity: Decimal = Field(alias="ORQT")
    sales_price: Decimal | None = m3("SAPR")
    warehouse: str | None = m3("WHLO")
    requested_delivery_date: date | None = m3("DWDT")
    item_description: str | None = m3("ITDS")
    unit: str | None = m3("ALUN")
    discount_percent_1: Decimal | None = m3("DIP1")
    customer_line_reference: str | None = m3("CUPO")


# --- ABS100MI bank statement (cash receipts) ------------------------------------------------------
class StatementHead(M3Input):
    """ABS100MI/AddStatmtHead; company and division come from the client."""

    transaction = ("ABS100MI", "AddStatmtHead")
    statement_type: int = Field(alias="BSTY")
    statement_number: str = Field(alias="STMN")
    bank_identifier: str = Field(alias="BSID")
    currency: str = Field(alias="CUCD")
    opening_balance: Decimal | None = m3("BSOB")
    opening_date: date | None = m3("BSOT")
    closing_balance: Decimal | None = m3("BSCB")
    closing_date: date | None = m3("BSCT")
    total_debit: Decimal | None = m3("BSTD")
    total_credit: Decimal | None = m3("BSTC")
    reference: str | None = m3("BSRE")


class StatementLine(M3Input):
    """ABS100MI/AddStatmtLine: one payment on the statement (the wrapper adds the job key)."""

    transaction = ("ABS100MI", "AddStatmtLine")
    supplied_later = ("JBNO", "JBDT", "JBTM")
    sequence: int = Field(alias="BLSN")
    amount: Decimal = Field(alias="BLLF")
    line_type: int | None = m3("BLLT")
    currency: str | None = m3("CUCD")
    value_date: date | None = m3("CURD")
    accounting_date: date | None = m3("ACDT")
    payer: str | None = m3("PYNO")
    payer_info_1: str | None = m3("AIN1")
    payer_info_2: str | None = m3("AIN2")
    payer_info_3: str | None = m3("AIN3")
    bank_reference: str | None = m3("ABNO")


class StatementDetail(M3Input):
    """ABS100MI/AddStatmtDetail: how much of a payment line settles which AR invoice (CINO,
    INYR), or, without an invoice, goes where the tenant books the business transaction code
    (BLBC) to, such as a payment difference."""

    transaction = ("ABS100MI", "AddStatmtDetail")
    supplied_later = ("JBNO", "JBDT", "JBTM")
    sequence: int = Field(alias="BLSN")
    sub_sequence: int = Field(alias="BLSS")
    invoice_number: str | None = m3("CINO")
    invoice_year: int | None = m3("INYR")
    net_amount: Decimal | None = m3("BLNF")
    transaction_type: str | None = m3("BLTT")
    business_code: str | None = m3("BLBC")
    text: str | None = m3("BLTX")
    debit_credit: str | None = m3("BLDC")
    payment_reference: str | None = m3("IRNO")


# --- GLS840MI generic GL interface, field-based (usage type 2) ------------------------------------
class JournalLine(M3Input):
    """GLS840MI/AddBatchLineFld; lines with the same `group` (GRNR) form one voucher."""

    transaction = ("GLS840MI", "AddBatchLineFld")
    supplied_later = ("KEY1",)
    line: int = Field(alias="LINE")
    record_identity: str = Field(alias="INRI")
    account: str = Field(alias="AIT1")
    amount: Decimal = Field(alias="ACAM")
    accounting_date: date = Field(alias="ACDT")
    currency: str | None = m3("CUCD")
    foreign_amount: Decimal | None = m3("CUAM")
    debit_credit: str | None = m3("DBCR")
    group: str | None = m3("GRNR")
    voucher_text: str | None = m3("VTXT")
    dimension_2: str | None = m3("AIT2")
    dimension_3: str | None = m3("AIT3")
    dimension_4: str | None = m3("AIT4")
    dimension_5: str | None = m3("AIT5")
    dimension_6: str | None = m3("AIT6")
    dimension_7: str | None = m3("AIT7")
    exchange_rate: Decimal | None = m3("ARAT")
    exchange_rate_type: int | None = m3("CRTP")
    vat_code: int | None = m3("VTCD")
    division: str | None = m3("DIVI")

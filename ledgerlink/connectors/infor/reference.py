"""The codes an M3 tenant is set up with: what a write may name, read before writing.

Each list comes from the transaction that serves it on the tenant's MI catalogue: customer
templates (CRS610MI/LstTemplates), order types (OIS100MI/LstOrderTypes), GL accounts
(CRS630MI/LstAccountID), and the code tables EXPORTMI/Select reads (divisions CMNDIV,
facilities CFACIL, warehouses MITWHL, and CSYTAB's constants: currencies CUCD, customer groups
CUCL, payment methods PYCD, payment terms TEPY, VAT codes VTCD, countries CSCD). Bank
identifiers and items are asked one by one (ABS100MI/GetBankIdent, MMS200MI/GetItmBasic).
"""

from __future__ import annotations

from functools import cached_property

from ledgerlink.connectors.infor.errors import M3Error, M3NotFound
from ledgerlink.connectors.infor.m3 import M3Client
from ledgerlink.connectors.infor.values import trim

SEPARATOR = ";"  # EXPORTMI joins a row's values with SEPC


class TenantReference:
    """One tenant's codes, each list read once and kept for the life of this object."""

    def __init__(self, m3: M3Client) -> None:
        self.m3 = m3
        self._system_table: dict[str, frozenset[str]] = {}

    # --- from EXPORTMI ---------------------------------------------------------------------------
    def table(self, query: str) -> list[list[str]]:
        """EXPORTMI/Select: each row's values, split at the separator and trimmed."""
        result = self.m3.execute(
            "EXPORTMI", "Select", {"QERY": query, "SEPC": SEPARATOR}, maxrecs=0
        )
        return [[trim(v) for v in row.get("REPL", "").split(SEPARATOR)] for row in result.records]

    def _codes(self, query: str) -> frozenset[str]:
        return frozenset(row[0] for row in self.table(query) if row and row[0])

    @cached_property
    def divisions(self) -> frozenset[str]:
        return self._codes(f"CCDIVI from CMNDIV where CCCONO = {self.m3.cono}")

    @cached_property
    def facilities(self) -> frozenset[str]:
        return self._codes(f"CFFACI from CFACIL where CFCONO = {self.m3.cono}")

    @cached_property
    def warehouses(self) -> frozenset[str]:
        return self._codes(f"MWWHLO from MITWHL where MWCONO = {self.m3.cono}")

    def system_codes(self, constant: str) -> frozenset[str]:
        """The keys of one CSYTAB constant (CUCD, CUCL, PYCD, TEPY, VTCD, CSCD)."""
        if constant not in self._system_table:
            query = f"CTSTKY from CSYTAB where CTCONO = {self.m3.cono} and CTSTCO = '{constant}'"
            self._system_table[constant] = self._codes(query)
        return self._system_table[constant]

    # --- from their own programs -----------------------------------------------------------------
    @cached_property
    def customer_templates(self) -> frozenset[str]:
        rows = self.m3.execute("CRS610MI", "LstTemplates", maxrecs=0).records
        return frozenset(trim(row.get("CUNO")) for row in rows if trim(row.get("CUNO")))

    @cached_property
    def order_types(self) -> frozenset[str]:
        rows = self.m3.execute("OIS100MI", "LstOrderTypes", maxrecs=0).records
        return frozenset(trim(row.get("ORTP")) for row in rows if trim(row.get("ORTP")))

    @cached_property
    def gl_accounts(self) -> frozenset[str]:
        rows = self.m3.list_all("CRS630MI", "LstAccountID", "AITM", {"AITP": 1}, 500)
        return frozenset(trim(row.get("AITM")) for row in rows if trim(row.get("AITM")))

    def has_bank(self, bank_identifier: str) -> bool:
        return self._exists(
            "ABS100MI", "GetBankIdent", {"DIVI": self.m3.divi, "BSID": bank_identifier}
        )

    def has_item(self, item_number: str) -> bool:
        return self._exists("MMS200MI", "GetItmBasic", {"ITNO": item_number})

    def _exists(self, program: str, transaction: str, record: dict[str, str]) -> bool:
        try:
            return bool(self.m3.execute(program, transaction, record).records)
        except M3NotFound:
            return False
        except M3Error as error:
            # A Get that names the key it was given answers "not found" in M3's own words,
            # which vary by tenant ("... is invalid", "... does not exist").
            if error.error_field in record:
                return False
            raise

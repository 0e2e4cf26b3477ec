"""The `real-world` profile: another M3 tenant's codes and its reference data, the reference
wording of M3 errors, taxed invoices whose M3 totals match, receipts texted by payment date,
no credit notes or suppliers, null line details and five years of history."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from test_infor_emulator import M3
from variant_clients import (
    every,
    freshbooks_client,
    invoiced_order,
    m3_client,
    money,
    pay_in_full,
    running_variant,
    world_of,
)

from sandbox.generator import Sale, World

pytestmark = pytest.mark.integration

# Seed 47 has FreshBooks clients in every kind of jurisdiction (HST, GST + PST, state tax, none).
SEED = 47
DIVISION, BANK = "US1", "CHASE-USD-01"


@pytest.fixture(scope="module")
def info(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    home = tmp_path_factory.mktemp("real-world") / ".ledgerlink"
    with running_variant(home, "real-world", seed=SEED) as started:
        yield started


@pytest.fixture(scope="module")
def m3(info: dict) -> Iterator[M3]:
    client = m3_client(info)
    yield client
    client.http.close()


def test_the_profile_runs_freshbooks_and_m3_for_the_other_tenant(info: dict) -> None:
    assert (info["profile"], set(info["urls"])) == ("real-world", {"freshbooks", "infor"})
    assert info["environment"]["INFOR_DIVI"] == DIVISION
    assert "SHOP_API_URL" not in info["environment"]


# --- M3 wording ------------------------------------------------------------------------------
def test_a_missing_key_is_invalid_as_the_reference_quotes_m3(m3: M3) -> None:
    error = m3.fails("CRS610MI", "GetBasicData", "XIM0002", "CUNO", CUNO="NOSUCH")
    assert error["errorMessage"] == "Customer number is invalid"
    error = m3.fails("OIS100MI", "AddBatchHead", "XIM0002", "CUNO", CUNO="NOSUCH")
    assert error["errorMessage"] == "Customer number is invalid"
    error = m3.fails("MMS200MI", "GetItmBasic", "XIM0002", "ITNO", ITNO="NO-SUCH-ITEM")
    assert error["errorMessage"].endswith(" is invalid") and "NO-SUCH-ITEM" not in str(error)


# --- tenant codes ------------------------------------------------------------------------------
def test_codes_of_another_tenant_are_refused_naming_field_and_code(m3: M3) -> None:
    new = {"CUNM": "ACME TOOLS LIMITED", "CUA1": "1 Main St", "CUNO": "FB90001"}
    error = m3.fails("CRS610MI", "Add", "WCUTM03", "CUTM", CUTM="TPLUSD", **new)
    assert error["errorMessage"] == "Customer template TPLUSD does not exist"
    assert m3.one("CRS610MI", "Add", CUTM="CUSTDOM", **new)["CUNO"] == "FB90001"
    error = m3.fails("CRS610MI", "ChgOrderInfo", "WCUCL03", "CUCL", CUNO="FB90001", CUCL="SMB")
    assert "SMB" in error["errorMessage"]
    assert m3.ok("CRS610MI", "ChgOrderInfo", CUNO="FB90001", CUCL="20", ORTP="C20") == []
    for field, code, message_id in (
        ("ORTP", "SO1", "WORTP03"),
        ("WHLO", "A01", "WWH0103"),
        ("FACI", "A01", "WFAC303"),
        ("PYCD", "CC", "WPYCD03"),
    ):
        error = m3.fails(
            "OIS100MI", "AddBatchHead", message_id, field, CUNO="FB90001", **{field: code}
        )
        assert error["errorMessage"].endswith(f"{code} does not exist"), error
    m3.fails("ABS100MI", "GetBankIdent", "WDIVI03", "DIVI", DIVI="AAA", BSID=BANK)
    line = {"KEY1": "FB-EXP-1", "LINE": 1, "INRI": 1, "ACAM": "10"}
    m3.one("GLS840MI", "AddBatchHead", CONO=100, KEY1="FB-EXP-1", INTN="FB", DESC="Expenses")
    m3.fails("GLS840MI", "AddBatchLineFld", "XIM0002", "AIT1", **line, AIT1="6000")
    assert m3.ok("GLS840MI", "AddBatchLineFld", **line, AIT1="60000") == []


def test_the_tenant_reference_data_is_served_where_a_connector_looks(m3: M3) -> None:
    assert {r["CUNO"] for r in m3.ok("CRS610MI", "LstTemplates")} == {"CUSTDOM", "CUSTFOR"}
    assert {r["ORTP"] for r in m3.ok("OIS100MI", "LstOrderTypes")} == {"C10", "C20"}
    user = m3.one("CRS610MI", "GetUserInfo")
    assert (user["ZDDIVI"], user["ZDFACI"], user["ZZWHLO"]) == (DIVISION, "F10", "W10")

    def select(query: str) -> set[str]:
        return {r["REPL"] for r in m3.ok("EXPORTMI", "Select", QERY=query, SEPC=";", maxrecs=0)}

    assert select("MWWHLO, MWFACI from MITWHL") == {"W10;F10", "W20;F10"}
    assert select("select CCDIVI from CMNDIV where CCCONO = 100") == {DIVISION}
    assert select("CFFACI from CFACIL") == {"F10"}
    assert select("OOORTP from OOTYPE") == {"C10", "C20"}
    assert select("CTSTKY from CSYTAB where CTSTCO = 'CUCL'") == {"10", "20", "30", "40"}
    assert select("CTSTKY from CSYTAB where CTSTCO = 'CUCD'") == {"USD", "CAD", "MXN"}
    assert "WIR" in select("CTSTKY from CSYTAB where CTSTCO = 'PYCD'")
    vat_codes = m3.ok("EXPORTMI", "Select", QERY="CTSTKY, CTTX40 from CSYTAB", SEPC=";")
    assert "12;BC GST 5% + PST 7%" in {r["REPL"] for r in vat_codes}
    flat = m3.ok("EXPORTMI", "Select", QERY="MWWHLO, MWWHNM from MITWHL", HDRS=1)
    assert [r["REPL"] for r in flat[:2]] == [  # no separator: fixed width, with headers
        "MWWHLO" + "MWWHNM".ljust(36),
        "W10   " + "Central warehouse".ljust(36),
    ]
    m3.fails("EXPORTMI", "Select", "XIM0002", "QERY", QERY="OKCUNO from OCUSMA")
    accounts = {a["AITM"] for a in m3.ok("CRS630MI", "LstAccountID", AITP=1, maxrecs=0)}
    assert {"10100", "60000", "69900"} <= accounts and "6000" not in accounts
    assert m3.one("ABS100MI", "GetBankIdent2", BSID=BANK)["BSID"] == BANK


# --- taxed invoices ------------------------------------------------------------------------------
def vat_codes(m3: M3) -> dict[str, str]:
    """The tenant's VAT codes by jurisdiction ("Exempt" too), read as a connector would."""
    query = "CTSTKY, CTTX40 from CSYTAB where CTSTCO = 'VTCD'"
    rows = m3.ok("EXPORTMI", "Select", QERY=query, SEPC=";", maxrecs=0)
    return {text.split()[0]: code for code, text in (r["REPL"].split(";") for r in rows)}


def _sales(info: dict) -> tuple[World, dict[str, Sale]]:
    world = world_of(info)
    return world, {sale.number: sale for sale in world.iter_sales()}


def test_invoices_carry_varied_line_taxes_and_are_paid_gross(info: dict) -> None:
    api = freshbooks_client(info)
    invoices = every(api, "invoices/invoices", include=["lines"])
    names = {line[f"taxName{n}"] for i in invoices for line in i["lines"] for n in (1, 2)}
    assert {"GST", "PST", "HST", "Sales Tax"} <= names
    assert any(not line["taxName1"] for i in invoices for line in i["lines"])  # untaxed lines
    for invoice in invoices:
        net = sum((money(line["amount"]) for line in invoice["lines"]), Decimal(0))
        taxed = any(line["taxName1"] for line in invoice["lines"])
        assert (money(invoice["amount"]) > net) == taxed, invoice["invoice_number"]
    paid = [i for i in invoices if i["payment_status"] == "paid"]
    assert paid and all(money(i["paid"]) == money(i["amount"]) for i in paid)


def test_m3_totals_equal_freshbooks_gross_when_lines_carry_the_tax_codes(
    info: dict, m3: M3
) -> None:
    api = freshbooks_client(info)
    world, sales = _sales(info)
    invoices = every(api, "invoices/invoices", include=["lines"])
    # One invoice per region, and a client the connector must first create in M3 (BC here).
    chosen: dict[str, dict] = {}
    for invoice in invoices:
        company = world.companies[sales[invoice["invoice_number"]].company_index]
        chosen.setdefault(company.region, invoice)
    assert {"BC", "ON", "NS", "OR", "TX"} <= set(chosen)
    for region, invoice in sorted(chosen.items()):
        sale = sales[invoice["invoice_number"]]
        company = world.companies[sale.company_index]
        cuno = company.infor_customer_number or f"FB{invoice['customerid']}"
        if not company.infor_customer_number:
            template = "CUSTFOR" if company.currency == "CAD" else "CUSTDOM"
            m3.one("CRS610MI", "Add", CUNO=cuno, CUTM=template, CUNM=company.name, CUA1="1 St")
            vat_code = vat_codes(m3)[region]
            assert m3.ok("CRS610MI", "ChgFinancial", CUNO=cuno, VTCD=vat_code) == []
        lines = [
            {"ITNO": line.sku, "ORQT": str(line.quantity), "SAPR": str(line.unit_price)}
            for line in sale.lines
        ]
        m3_invoice = invoiced_order(m3, cuno, lines, CUOR=invoice["invoice_number"])
        assert money(m3_invoice["AMT1"]) == money(invoice["amount"]), region
        keys = {"PYNO": m3_invoice["PYNO"], "CINO": m3_invoice["IVNO"], "CUNO": cuno}
        totals = m3.one("ARS200MI", "GetInvTotInfo", **keys, INYR=m3_invoice["YEA4"])
        assert money(totals["CUAM"]) == money(invoice["amount"]), region
        m3_lines = m3.ok("OIS350MI", "LstInvLine", YEA4=m3_invoice["YEA4"], IVNO=m3_invoice["IVNO"])
        for fb_line, m3_line in zip(sale.lines, m3_lines, strict=True):
            rates = sorted(Decimal(m3_line[f"VTP{n}"]) for n in (1, 2))
            assert [r for r in rates if r] == sorted(t.percent for t in fb_line.taxes), region


def test_a_tax_exemption_contract_exempts_its_line(m3: M3) -> None:
    codes = vat_codes(m3)
    customer = next(
        c for c in m3.ok("CRS610MI", "LstByNumber", maxrecs=0) if c["VTCD"] == codes["TX"]
    )
    taxable = next(
        i["ITNO"] for i in m3.ok("MMS200MI", "LstItmByItm", ITNO="A", maxrecs=0) if not i["VTCS"]
    )
    lines = [
        {"ITNO": taxable, "ORQT": "1", "SAPR": "100.00"},
        {"ITNO": taxable, "ORQT": "1", "SAPR": "100.00", "TECN": "EXEMPT-2026-01"},
    ]
    invoice = invoiced_order(m3, customer["CUNO"], lines, CUOR="TECN-1")
    assert (invoice["AMT2"], invoice["AMT1"]) == ("200.00", "208.25")
    vat = m3.ok("OIS350MI", "LstInvLine", YEA4=invoice["YEA4"], IVNO=invoice["IVNO"])
    assert [(line["VTCD"], line["VTAM"]) for line in vat] == [
        (codes["TX"], "8.25"),
        (codes["Exempt"], "0.00"),
    ]


# --- cash receipts -------------------------------------------------------------------------------
def test_receipts_write_the_payment_date_and_still_reconcile(m3: M3) -> None:
    customer = next(c for c in m3.ok("CRS610MI", "LstByNumber", maxrecs=0) if c["CUCD"] == "USD")
    item = m3.ok("MMS200MI", "LstItmByItm", ITNO="A", maxrecs=1)[0]["ITNO"]
    lines = [{"ITNO": item, "ORQT": "3", "SAPR": "20.00"}]
    invoice = invoiced_order(m3, customer["CUNO"], lines, CUOR="RECEIPT-1")
    keys = pay_in_full(m3, invoice, "FBP70001", bank=BANK, division=DIVISION)
    items = m3.ok("ARS200MI", "LstInvoiceTrans", **keys)
    payment = next(i for i in items if i["TRCD"] == "20")
    assert payment["TDSC"] == "PMT 260210" and payment["TDSC"] != "FBP70001"
    assert {i["RECO"] for i in items} == {"9"}


# --- the rest of the profile ---------------------------------------------------------------------
def test_no_credit_notes_no_suppliers_and_null_line_details(info: dict, m3: M3) -> None:
    api = freshbooks_client(info)
    assert every(api, "credit_notes/credit_notes") == []
    assert m3.ok("CRS620MI", "LstSuppliers", maxrecs=0) == []
    lines = [
        line for i in every(api, "invoices/invoices", include=["lines"]) for line in i["lines"]
    ]
    assert lines and all(
        (line["description"], line["taxNumber1"], line["taxNumber2"]) == (None, None, None)
        for line in lines
    )
    assert m3.ok("OIS350MI", "LstInvHead", YEA4=2022, maxrecs=0)  # five years of history

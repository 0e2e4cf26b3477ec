"""Derive `infor_m3_programs.json` (the M3 MI contract) from the tenant's exported MI Swagger files.

Usage: `python -m ledgerlink.contracts.derive_infor --reference <reference folder>` (the folder
that holds `infor/m3-mi-v2-swagger/`).

The Swagger files declare each transaction as a `GET /<TRANSACTION>` path. Inputs are the
upper-case query parameters (`type` string/number, `required`, a description ending with the
maximum length, e.g. "Customer number(10)"); outputs are the keys of the records' `example`,
whose values are the same "description(length)" text. The control parameters (`cono`, `maxrecs`,
...) and the response envelope are identical in every file and are kept once.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

# The MI programs ledgerlink calls (DESIGN.md §3) and, per program, the transactions kept: those the
# flows call, the reads that extraction and look-ups need (including the tenant's codes a write
# must use: customer templates, order types, and EXPORTMI selects over its code tables), plus in
# every program `GetServerTime` (its LMTS is the server's clock, the safe cursor for `LMTS`
# filters) and `GetUserInfo` (the user's division, facility and warehouse). Widen a list and
# re-run to carry more.
TRANSACTIONS: dict[str, tuple[str, ...]] = {
    "ABS100MI": (
        "AddStatmtHead", "AddStatmtLine", "AddStatmtDetail", "ValidateStatmt", "UpdStatmtStatus",
        "UpdStatmtHead", "GetBankIdent", "GetBankIdent2",
    ),
    "APS450MI": (
        "AddHead", "AddLine", "ApproveInvoice", "GetHead", "LstInvBatchNo", "LstInvBySupInv",
        "LstLines", "RejectInvoice",
    ),
    "ARS200MI": ("LstInvoices", "GetInvoice", "LstInvoiceTrans", "GetInvTotInfo", "LstInvByDivi"),
    "CRS610MI": (
        "Add", "ChgBasicData", "ChgFinancial", "ChgOrderInfo", "GetBasicData", "GetFinancial",
        "GetOrderInfo", "LstByNumber", "LstByName", "LstTemplates", "SearchCustomer",
    ),
    "CRS620MI": (
        "AddSupplier", "AddSupplierRef", "GetBasicData", "LstByNumber", "LstSupplierRef",
        "LstSuppliers",
    ),
    "CRS630MI": ("GetAccountID", "LstAccountID"),
    "EXPORTMI": ("LstFields", "Select"),
    "GLS200MI": ("GetVoucherHead", "GetVoucherLine", "LstVoucherLines", "LstVouchersByDt"),
    "GLS840MI": ("AddBatchHead", "AddBatchLine", "AddBatchLineFld", "CtrlBatch", "UpdBatch"),
    "MMS060MI": ("LstBalID", "LstNewItemBal"),
    "MMS200MI": ("GetItmBasic", "GetItmPrice", "GetItmWhsBal", "LstItmByChgDate", "LstItmByItm"),
    "MWS410MI": ("GetHead",),
    "MWS411MI": ("GetDeliveryLine", "LstDelLnByOrd", "LstDeliveryLine"),
    "OIS100MI": (
        "AddBatchHead", "AddBatchLine", "Confirm", "DelBatchHead", "GetBatchHead", "GetHead",
        "GetLine", "GetOrderNo", "GetOrderType", "LstBatchHead", "LstBatchLine", "LstDelLineByCO",
        "LstHead", "LstLine", "LstOrderTypes", "SearchHead",
    ),
    "OIS350MI": ("GetInvHead", "LstAllInvByCO", "LstInvHead", "LstInvHeadByCo", "LstInvLine"),
    "PPS001MI": ("Receipt",),
    "PPS200MI": ("GetHead", "GetLine", "LstLine"),
    "PPS370MI": (
        "StartEntry", "AddHead", "AddLine", "FinishEntry", "DeleteEntry", "GetBatchHead",
        "LstBatchLine",
    ),
}  # fmt: skip
COMMON_TRANSACTIONS = ("GetServerTime", "GetUserInfo")
PROGRAMS = tuple(sorted(TRANSACTIONS))
SWAGGER_FOLDER = Path("infor") / "m3-mi-v2-swagger"
OUTPUT = Path(__file__).resolve().parent / "infor_m3_programs.json"
_LENGTH = re.compile(r"^(?P<text>.*)\((?P<length>\d+)\)\s*$", re.DOTALL)


class ContractError(ValueError):
    """The reference files do not have the shape this script relies on."""


def split_description(text: str, where: str) -> tuple[str, int]:
    """'Customer number(10)' -> ('Customer number', 10)."""
    match = _LENGTH.match(text)
    if match is None:
        raise ContractError(f"{where}: no '(length)' at the end of description {text!r}")
    return match["text"].strip(), int(match["length"])


def _records_example(operation: dict, where: str) -> dict[str, str]:
    try:
        result = operation["responses"]["200"]["schema"]["properties"]["results"]["items"]
        return result["properties"]["records"]["items"].get("example", {})
    except KeyError as missing:
        raise ContractError(f"{where}: response schema lacks {missing}") from None


def derive_transaction(operation: dict, where: str) -> tuple[dict, list[dict]]:
    """One transaction's contract, plus its control parameters (the same in every transaction)."""
    inputs, controls = [], []
    for parameter in operation["parameters"]:
        name = parameter["name"]
        if parameter.get("in") != "query":
            raise ContractError(f"{where}: parameter {name} is not a query parameter")
        if not name.isupper():
            controls.append(parameter)
            continue
        description, length = split_description(parameter.get("description", ""), f"{where} {name}")
        inputs.append(
            {
                "name": name,
                "type": parameter["type"],
                "length": length,
                "required": bool(parameter.get("required", False)),
                "description": description,
            }
        )
    input_types = {field["name"]: field["type"] for field in inputs}
    outputs = []
    for name, text in _records_example(operation, where).items():
        description, length = split_description(text, f"{where} output {name}")
        outputs.append(
            {
                "name": name,
                "type": input_types.get(name, "string"),
                "length": length,
                "description": description,
            }
        )
    transaction = {
        "description": operation.get("summary") or operation.get("description", ""),
        "inputs": inputs,
        "outputs": outputs,
    }
    return transaction, controls


def _infer_output_types(transactions: dict[str, dict]) -> None:
    """Type each output like an input of the same name in the program (Swagger says only string)."""
    program_types: dict[str, str] = {}
    for transaction in transactions.values():
        for field in transaction["inputs"]:
            program_types.setdefault(field["name"], field["type"])
    for transaction in transactions.values():
        own = {field["name"] for field in transaction["inputs"]}
        for field in transaction["outputs"]:
            if field["name"] not in own:
                field["type"] = program_types.get(field["name"], "string")


def _control_parameters(parameters: list[dict]) -> list[dict]:
    kept = []
    for parameter in parameters:
        entry = {"name": parameter["name"], "description": parameter.get("description", "")}
        if "default" in parameter:
            entry["default"] = parameter["default"]
        if "enum" in parameter:
            entry["enum"] = list(parameter["enum"])
        kept.append(entry)
    return kept


def _envelope(definitions: dict) -> dict[str, dict[str, str]]:
    def keys(schema: dict) -> dict[str, str]:
        return {name: spec.get("type", "object") for name, spec in schema["properties"].items()}

    return {
        "response": keys(definitions["BulkResponse"]),
        "result": keys(definitions["BulkResponseResult"]),
    }


def load_swagger_files(reference: Path) -> dict[str, tuple[str, dict]]:
    """Program name -> (file name, parsed Swagger), found by each file's `basePath`."""
    folder = reference / SWAGGER_FOLDER
    if not folder.is_dir():
        raise ContractError(
            f"{folder} does not exist; pass the folder that holds infor/m3-mi-v2-swagger"
        )
    found: dict[str, tuple[str, dict]] = {}
    for path in sorted(folder.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        program = document.get("basePath", "").rstrip("/").rsplit("/", 1)[-1]
        found[program] = (path.name, document)
    return found


def derive(reference: Path) -> dict[str, Any]:
    """The whole contract as a plain dictionary."""
    swagger = load_swagger_files(reference)
    missing = [program for program in PROGRAMS if program not in swagger]
    if missing:
        raise ContractError(
            f"no Swagger file for {', '.join(missing)} in {reference / SWAGGER_FOLDER}"
        )
    programs: dict[str, Any] = {}
    sources: dict[str, str] = {}
    controls: list[dict] | None = None
    envelope: dict | None = None
    for program in PROGRAMS:
        file_name, document = swagger[program]
        sources[program] = file_name
        wanted = {*TRANSACTIONS[program], *COMMON_TRANSACTIONS}
        declared = {path.strip("/") for path in document["paths"]}
        if wanted - declared:
            raise ContractError(f"{program}: no transaction {', '.join(sorted(wanted - declared))}")
        transactions: dict[str, dict] = {}
        for path, operations in document["paths"].items():
            if set(operations) != {"get"}:
                raise ContractError(
                    f"{program}{path}: expected only GET, found {sorted(operations)}"
                )
            name = path.strip("/")
            transaction, control = derive_transaction(operations["get"], f"{program}/{name}")
            control_entries = _control_parameters(control)
            if controls is None:
                controls = control_entries
            elif control_entries != controls:
                raise ContractError(f"{program}/{name}: control parameters differ from the others")
            transactions[name] = transaction
        _infer_output_types(transactions)  # from every transaction, kept or not
        transactions = {name: transactions[name] for name in wanted}
        this_envelope = _envelope(document["definitions"])
        if envelope is None:
            envelope = this_envelope
        elif this_envelope != envelope:
            raise ContractError(f"{program}: response envelope differs from the others")
        title = document["info"]["title"]
        programs[program] = {
            "title": title.split(" - ", 1)[1] if " - " in title else title,
            "version": document["info"].get("version", ""),
            "transactions": dict(sorted(transactions.items())),
        }
    return {
        "about": (
            "Infor M3 MI REST v2 contract for the programs ledgerlink calls, derived by "
            "ledgerlink/contracts/derive_infor.py from a tenant's exported MI Swagger files "
            "(GPL-3.0 source, see the reference folder's SOURCES.md). Inputs: type, max length and "
            "required flag as declared. Outputs: length as declared; type taken from an input of "
            "the same name in the same program (the Swagger types every output as a string), else "
            "string. "
            "All values travel as strings."
        ),
        "control_parameters": controls or [],
        "envelope": envelope or {},
        "programs": programs,
        "source_files": sources,
    }


def render(value: Any, indent: int = 0) -> str:
    """JSON with sorted keys; each field definition on one line so diffs stay readable."""
    pad, inner = " " * indent, " " * (indent + 1)
    if isinstance(value, dict) and not (
        "name" in value and ("length" in value or "description" in value)
    ):
        if not value:
            return "{}"
        items = [
            f"{inner}{json.dumps(key)}: {render(value[key], indent + 1)}" for key in sorted(value)
        ]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value and isinstance(value[0], dict):
        items = [f"{inner}{render(item, indent + 1)}" for item in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def render_contract(contract: dict[str, Any]) -> str:
    return render(contract) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ledgerlink.contracts.derive_infor", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--reference",
        type=Path,
        required=True,
        help="reference folder holding infor/m3-mi-v2-swagger",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=OUTPUT,
        help=f"where to write (default {OUTPUT.name} beside this script)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="only compare with the existing file; exit 1 when it differs",
    )
    args = parser.parse_args(argv)
    try:
        text = render_contract(derive(args.reference))
    except ContractError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.check:
        same = args.output.exists() and args.output.read_text(encoding="utf-8") == text
        verdict = "up to date" if same else "differs from the reference; re-run without --check"
        print(f"{args.output}: {verdict}")
        return 0 if same else 1
    args.output.write_text(text, encoding="utf-8")
    programs = json.loads(text)["programs"]
    count = sum(len(p["transactions"]) for p in programs.values())
    print(f"wrote {args.output} ({len(programs)} programs, {count} transactions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

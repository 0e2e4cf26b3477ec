"""Each sync is declared once, in reverse_etl/syncs.yml: dbt's copy is generated from it and
current, every M3 field it declares is an input of its transaction in the project's M3 contract,
its target's writer has a handler for it, and a declaration with a key it does not know is
refused."""

from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError

from ledgerlink.contracts import load_contract
from ledgerlink.contracts.derive_dbt_macros import WRITE_TRANSACTIONS
from reverse_etl import definitions
from reverse_etl.definitions import SyncDefinition, load_syncs
from reverse_etl.operations import Operation
from reverse_etl.writers.freshbooks import FreshBooksWriter
from reverse_etl.writers.infor import InforWriter

SYNCS = load_syncs()
WRITERS = {"infor": InforWriter, "freshbooks": FreshBooksWriter}
M3_PARTS = [
    (sync.name, transaction, fields)
    for sync in SYNCS
    for transaction, fields in [
        *sync.transactions.items(),
        *((t, f) for t, f in sync.records.values()),
    ]
]


def test_the_dbt_macro_is_generated_from_the_declaration():
    assert definitions.DBT_MACRO.read_text() == definitions.dbt_macro(), (
        "dbt's copy of the sync declarations is stale: run `python -m reverse_etl.definitions`"
    )


@pytest.mark.parametrize(("sync", "transaction", "fields"), M3_PARTS)
def test_every_declared_m3_field_is_an_input_of_its_transaction(
    sync: str, transaction: str, fields: tuple[str, ...]
):
    program, name = transaction.split("/")
    inputs = load_contract("infor_m3_programs")["programs"][program]["transactions"][name]
    assert set(fields) <= {field["name"] for field in inputs["inputs"]}
    # dbt's length test reads the contract through the generated m3_field_specs macro
    assert (program, name) in WRITE_TRANSACTIONS


def test_the_payload_columns_keep_the_order_the_content_hash_reads():
    (receipts,) = [sync for sync in SYNCS if sync.name == "infor_cash_receipts"]
    # BLSN is an input of the line and of its details: one column, where the line lists it
    assert receipts.columns[:8] == ("CONO", "DIVI", "BSTY", "STMN", "BSID", "CUCD", "BLSN", "BLLF")
    assert receipts.columns.count("BLSN") == 1
    assert receipts.columns[-1] == "difference_detail"


def test_every_sync_model_is_built_from_its_declaration():
    models = definitions.DBT_MACRO.parents[2] / "models" / "sync"
    for sync in SYNCS:
        text = (models / f"{sync.model}.sql").read_text()
        assert f"sync_model('{sync.name}'" in text, sync.model


def declaration(**changes: object) -> dict:
    (customers,) = yaml.safe_load(definitions.SYNCS_FILE.read_text())["syncs"][:1]
    return {**customers, **changes}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"batch_size": 50}, "batch_size"),
        ({"payload": ["CUNO", "CUNM"]}, "declared per M3 transaction"),
        ({"payload": {"CUNO": ["CUNO"]}}, "PROGRAM/Transaction"),
    ],
    ids=["unknown-key", "infor-payload-as-a-list", "not-a-transaction"],
)
def test_a_declaration_it_cannot_read_is_refused(changes: dict, message: str):
    with pytest.raises(ValidationError, match=message):
        SyncDefinition(**declaration(**changes))


@pytest.mark.parametrize("sync", SYNCS, ids=[sync.name for sync in SYNCS])
def test_every_sync_has_a_handler_in_its_targets_writer(sync: SyncDefinition):
    writer = WRITERS[sync.target](None)  # routing reads no client
    handler = writer.handler(Operation(sync, {"entity": sync.entity}))
    assert (handler.entity, handler.sync) == (sync.entity, sync.name)

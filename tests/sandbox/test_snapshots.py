"""Emulator snapshots: a world built once can be restored whole, with the faults gone."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from conftest import inject_faults, reset_emulator

from sandbox.emulator import Emulator, SandboxContext
from sandbox.freshbooks.emulator import FreshBooksEmulator
from sandbox.infor import InforEmulator
from sandbox.shop import ShopEmulator


def row_counts(emulator: Emulator) -> dict[str, int]:
    tables = [
        row[0]
        for row in emulator.db.all("select name from sqlite_master where type = 'table'")
        if not row[0].startswith("sqlite_")
    ]
    return {t: emulator.db.scalar(f'select count(*) from "{t}"') for t in tables}


@pytest.mark.parametrize("kind", [FreshBooksEmulator, InforEmulator, ShopEmulator])
def test_a_restore_brings_back_every_table_as_it_was(kind: type[Emulator], tmp_path: Path):
    emulator = kind(SandboxContext(data_dir=tmp_path, scale=0.05))
    emulator.ensure_loaded()
    before = row_counts(emulator)
    assert sum(before.values()) > 0
    emulator.snapshot("seeded")
    for table in before:
        emulator.db.execute(f'delete from "{table}"')
    assert sum(row_counts(emulator).values()) == 0

    emulator.restore("seeded")
    assert row_counts(emulator) == before


def test_snapshot_names_are_checked_and_a_missing_one_says_so(tmp_path: Path):
    emulator = ShopEmulator(SandboxContext(data_dir=tmp_path, scale=0.05))
    with pytest.raises(ValueError, match="snapshot names"):
        emulator.snapshot("../elsewhere")
    with pytest.raises(KeyError):
        emulator.restore("never-taken")


def test_the_controls_restore_data_and_clear_faults(sandbox: dict):
    url = sandbox["urls"]["freshbooks"]
    reset_emulator(url)
    counts = httpx.get(f"{url}/_sandbox/freshbooks/counts", timeout=10).json()
    httpx.post(f"{url}/_sandbox/snapshots/test-seeded", timeout=60).raise_for_status()

    token = httpx.post(f"{url}/_sandbox/tokens/issue", timeout=10).json()
    account = httpx.get(f"{url}/_sandbox/freshbooks/account", timeout=10).json()["account_id"]
    created = httpx.post(
        f"{url}/accounting/account/{account}/users/clients",
        json={"client": {"organization": "Snapshot Test Ltd", "email": "snap@example.com"}},
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    )
    assert created.status_code == 200, created.text
    assert httpx.get(f"{url}/_sandbox/freshbooks/counts", timeout=10).json() != counts
    inject_faults(url, {"status": 503, "count": 100})

    restored = httpx.post(f"{url}/_sandbox/snapshots/test-seeded/restore", timeout=60)
    assert restored.status_code == 200, restored.text
    assert httpx.get(f"{url}/_sandbox/freshbooks/counts", timeout=10).json() == counts
    assert httpx.get(f"{url}/_sandbox/faults", timeout=10).json()["rules"] == []

    missing = httpx.post(f"{url}/_sandbox/snapshots/never-taken/restore", timeout=10)
    assert missing.status_code == 404 and "never-taken" in missing.text

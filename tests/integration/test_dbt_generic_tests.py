"""Our dbt generic tests pass on clean seeds and fail on exactly the planted bad rows."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SELF_TEST_PROJECT = Path("tests") / "dbt_generic_tests"
MACROS = Path("dbt_project") / "macros"
DBT = Path(sys.executable).with_name("dbt")

# Test name -> (status, failing rows). Every `__bad` test except the one filtered away by `where`
# fails on its planted rows only; the `_default_severity` tests show each macro's own severity.
EXPECTED: dict[str, tuple[str, int]] = {
    "unique_combination__clean": ("pass", 0),
    "unique_combination__bad": ("fail", 1),
    "unique_combination__bad_default_severity": ("fail", 1),
    "expression_is_true__clean": ("pass", 0),
    "expression_is_true__bad": ("fail", 1),
    "expression_is_true__column_bad": ("fail", 1),
    "expression_is_true__bad_filtered_by_where": ("pass", 0),
    "accepted_range__clean": ("pass", 0),
    "accepted_range__bad": ("fail", 1),
    "accepted_range__exclusive_bounds": ("fail", 2),
    "relationships_where__clean": ("pass", 0),
    "relationships_where__bad": ("fail", 2),
    "mapping_complete__clean": ("pass", 0),
    "mapping_complete__bad": ("fail", 2),
    "balanced_journal__clean": ("pass", 0),
    "balanced_journal__bad": ("fail", 4),
    "payments_not_above_total__clean": ("pass", 0),
    "payments_not_above_total__bad": ("fail", 1),
    "drift_within_tolerance__clean": ("pass", 0),
    "drift_within_tolerance__bad": ("fail", 2),
    "zscore_anomaly__clean": ("pass", 0),
    "zscore_anomaly__bad": ("fail", 2),
    "zscore_anomaly__bad_default_severity": ("warn", 2),
    "volume_anomaly__clean": ("pass", 0),
    "volume_anomaly__bad": ("fail", 2),
    "volume_anomaly__bad_filtered_by_where": ("fail", 1),
    "volume_anomaly__no_rows": ("pass", 0),
    "fuzzy_duplicates__clean": ("pass", 0),
    "fuzzy_duplicates__bad": ("fail", 3),
    "fits_m3_contract__clean": ("pass", 0),
    "fits_m3_contract__bad": ("fail", 3),
    "fits_m3_contract__records_clean": ("pass", 0),
    "fits_m3_contract__records_bad": ("fail", 1),
}


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One `dbt build` of the self-test project in a temporary copy; its parsed run results."""
    if not DBT.exists():
        pytest.fail(f"dbt is not installed next to {sys.executable}; run `make install`")
    root = tmp_path_factory.mktemp("dbt-generic-tests")
    # Keep the repository layout so the project's `macro-paths: ../../dbt_project/macros` resolves.
    shutil.copytree(REPO / MACROS, root / MACROS)
    shutil.copytree(
        REPO / SELF_TEST_PROJECT,
        root / SELF_TEST_PROJECT,
        ignore=shutil.ignore_patterns("target", "logs"),
    )
    project = root / SELF_TEST_PROJECT
    env = {
        **os.environ,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "LEDGERLINK_GENERIC_TESTS_DUCKDB": str(root / "generic_tests.duckdb"),
    }
    completed = subprocess.run(
        [str(DBT), "build", "--project-dir", str(project), "--profiles-dir", str(project)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    run_results = project / "target" / "run_results.json"
    assert run_results.exists(), f"dbt wrote no run results:\n{completed.stdout[-4000:]}"
    return {
        "returncode": completed.returncode,
        "output": completed.stdout[-4000:],
        "results": json.loads(run_results.read_text())["results"],
    }


def _tests(build: dict) -> dict[str, dict]:
    """Data-test results by test name (`test.<project>.<name>.<hash>`)."""
    return {
        result["unique_id"].split(".")[2]: result
        for result in build["results"]
        if result["unique_id"].startswith("test.")
    }


def test_every_seed_loads(build: dict) -> None:
    seeds = [result for result in build["results"] if result["unique_id"].startswith("seed.")]
    assert len(seeds) == len(list((REPO / SELF_TEST_PROJECT / "seeds").glob("*.csv")))
    assert {seed["status"] for seed in seeds} == {"success"}, build["output"]


def test_exactly_the_expected_tests_ran(build: dict) -> None:
    assert sorted(_tests(build)) == sorted(EXPECTED)


def test_clean_data_passes(build: dict) -> None:
    tests = _tests(build)
    expected_passes = [name for name, (status, _) in EXPECTED.items() if status == "pass"]
    outcomes = {name: (tests[name]["status"], tests[name]["failures"]) for name in expected_passes}
    assert outcomes == {name: ("pass", 0) for name in expected_passes}, build["output"]


def test_bad_data_fails_on_exactly_the_planted_rows(build: dict) -> None:
    tests = _tests(build)
    failed = {
        name: (result["status"], result["failures"])
        for name, result in tests.items()
        if result["status"] in ("fail", "warn")
    }
    expected = {name: outcome for name, outcome in EXPECTED.items() if outcome[0] != "pass"}
    assert failed == expected, build["output"]


def test_dbt_exit_code_reports_the_failures(build: dict) -> None:
    # 1 = some tests failed (as planted); 2 would mean dbt itself broke.
    assert build["returncode"] == 1, build["output"]

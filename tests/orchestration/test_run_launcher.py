"""The warm run launcher: runs execute in processes forked from a fork server that already
imported the code location; a code change restarts it; a run can be terminated."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import tiny_location
from dagster import DagsterRunStatus
from dagster._core.instance_for_test import instance_for_test
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import ModuleTarget

from orchestration.run_launcher import PID_TAG

HERE = Path(__file__).parent


@pytest.fixture
def launcher_home(tmp_path: Path) -> Iterator[tuple]:
    code_root = tmp_path / "code"
    code_root.mkdir()
    (code_root / "model.sql").write_text("select 1\n")
    overrides = {
        "run_launcher": {
            "module": "orchestration.run_launcher",
            "class": "WarmRunLauncher",
            "config": {"code_roots": [str(code_root)]},
        }
    }
    target = ModuleTarget(
        module_name="tiny_location",
        attribute=None,
        working_directory=str(HERE),
        location_name="tiny",
    )
    with (
        instance_for_test(overrides=overrides) as instance,
        WorkspaceProcessContext(instance, target) as workspace_process,
    ):
        yield instance, workspace_process.create_request_context(), code_root
        instance.run_launcher.join()


def launch(instance, workspace, report: Path, sleep_seconds: float = 0.0):
    remote_job = (
        workspace.get_code_location("tiny")
        .get_repository("__repository__")
        .get_full_job("tiny_job")
    )
    run_config = {
        "ops": {"process_report": {"config": {"path": str(report), "sleep_seconds": sleep_seconds}}}
    }
    run = instance.create_run_for_job(
        job_def=tiny_location.defs.resolve_job_def("tiny_job"),
        run_config=run_config,
        remote_job_origin=remote_job.get_remote_origin(),
        job_code_origin=remote_job.get_python_origin(),
    )
    instance.launch_run(run.run_id, workspace)
    return run.run_id


def finished(instance, run_id: str, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = instance.get_run_by_id(run_id)
        if run.is_finished:
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s")


def test_runs_fork_from_a_warm_server_that_reloads_changed_code(launcher_home, tmp_path):
    instance, workspace, code_root = launcher_home
    reports = []
    for n in range(3):
        if n == 2:  # an edited model: the next run must not start from the old server
            (code_root / "model.sql").write_text("select 2\n")
            os.utime(code_root / "model.sql", ns=(time.time_ns(), time.time_ns() + 10**9))
        report = tmp_path / f"report{n}.json"
        run = finished(instance, launch(instance, workspace, report))
        assert run.status == DagsterRunStatus.SUCCESS, run.status
        facts = json.loads(report.read_text())
        assert int(run.tags[PID_TAG]) == facts["ran_in"]
        reports.append(facts)

    first, second, third = reports
    for facts in reports:
        # the code was imported before the run, by the fork server the run was forked from
        assert facts["imported_by"] == facts["parent"] != facts["ran_in"]
        assert facts["parent"] != os.getpid()
    assert first["imported_by"] == second["imported_by"]  # the same warm server
    assert third["imported_by"] != second["imported_by"]  # restarted after the change


def test_a_running_run_can_be_terminated(launcher_home, tmp_path):
    instance, workspace, _ = launcher_home
    run_id = launch(instance, workspace, tmp_path / "never.json", sleep_seconds=60)
    deadline = time.monotonic() + 60
    while instance.get_run_by_id(run_id).status != DagsterRunStatus.STARTED:
        assert time.monotonic() < deadline, "run did not start"
        time.sleep(0.1)
    assert instance.run_launcher.terminate(run_id)
    run = finished(instance, run_id, timeout=30)
    assert run.status == DagsterRunStatus.CANCELED
    assert not (tmp_path / "never.json").exists()


def test_the_launcher_is_pinned_to_the_dagster_it_was_tested_with():
    """The launcher rests on Dagster internals: this run of the tests is on the release it
    names, and those internals are where it expects them (a change fails here, loudly)."""
    import multiprocessing.forkserver

    import dagster
    from dagster._grpc.impl import start_run_in_subprocess
    from dagster._grpc.types import ExecuteExternalJobArgs

    from orchestration.run_launcher import TESTED_DAGSTER_VERSION

    assert dagster.__version__ == TESTED_DAGSTER_VERSION
    assert callable(start_run_in_subprocess)
    assert {"job_origin", "run_id", "instance_ref"} <= set(ExecuteExternalJobArgs.__annotations__)
    assert callable(multiprocessing.forkserver._forkserver._stop)

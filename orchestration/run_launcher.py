"""A run launcher that starts each run in a process forked from a warm one.

Dagster's default launcher starts every run in a fresh Python process, which imports Dagster,
dagster-dbt, dlt and this code location before the run can begin: about 7 s on a small machine,
a third of an event-driven run. This launcher keeps a fork server (Python's `forkserver`
start method) that has imported the code location once; a run's process is forked from it in
milliseconds and executes the run exactly as the default launcher's process does (same events,
same executor, same run status handling).

The fork server holds the code as it was when it started, so the launcher fingerprints the
code location's files (Python, YAML, the dbt project's sources) on every launch and starts a
new fork server when they changed: an edited model or asset runs as edited. Runs whose code is
not a Python module (a file target) go through the default launcher.

Termination from the UI interrupts the run's process (its pid is a run tag), which Dagster
turns into a canceled run, as the default launcher's cancel request does.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import multiprocessing.forkserver
import os
import signal
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dagster import Array, DefaultRunLauncher, Field, Noneable
from dagster import __version__ as dagster_version
from dagster._core.code_pointer import ModuleCodePointer, PackageCodePointer
from dagster._core.launcher.base import LaunchRunContext
from dagster._grpc.impl import start_run_in_subprocess
from dagster._grpc.types import ExecuteExternalJobArgs
from dagster._serdes import serialize_value
from dagster._utils.hosted_user_process import recon_job_from_origin

from ledgerlink.log import get_logger

log = get_logger("ledgerlink.orchestration")

PID_TAG = "ledgerlink/run_worker_pid"
# What the fork server's code depends on; a change in any of these restarts it.
WATCHED_SUFFIXES = {".py", ".yml", ".yaml", ".sql", ".csv", ".md"}
SKIPPED_DIRS = {"target", "logs", "dbt_packages", "__pycache__", ".venv", ".git", ".ledgerlink"}


def code_fingerprint(roots: list[Path]) -> tuple[int, int]:
    """(files, latest mtime in ns) of the code under `roots`: cheap enough for every launch."""
    files, latest = 0, 0
    for path in _watched_files(roots):
        files += 1
        latest = max(latest, path.stat().st_mtime_ns)
    return files, latest


@contextmanager
def _python_path(folder: str | None) -> Iterator[None]:
    saved = os.environ.get("PYTHONPATH")
    if folder:
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (folder, saved) if p)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


def project_root(module: str) -> Path:
    """The folder holding the module's top-level package, found without importing it."""
    spec = importlib.util.find_spec(module.split(".")[0])
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(module)
    return Path(spec.origin).resolve().parent.parent


def _watched_files(roots: list[Path]) -> Iterator[Path]:
    for root in roots:
        for folder, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.startswith(".")]
            for name in names:
                if Path(name).suffix in WATCHED_SUFFIXES:
                    yield Path(folder, name)


# The Dagster release whose private run-launch functions this launcher was written and tested
# against (tests/orchestration/test_run_launcher.py pins it). On any other release it steps
# aside for Dagster's own launcher, and says so, rather than guess at changed internals.
TESTED_DAGSTER_VERSION = "1.13.27"


class WarmRunLauncher(DefaultRunLauncher):
    """Launches runs in processes forked from a fork server that has the code loaded."""

    def __init__(self, inst_data: Any = None, code_roots: list[str] | None = None) -> None:
        super().__init__(inst_data=inst_data)
        self._code_roots = [Path(root) for root in code_roots or []]
        self._lock = threading.Lock()
        self._warm: tuple[str, tuple[int, int]] | None = None  # (module, fingerprint)
        self._running: dict[str, tuple[Any, ...]] = {}  # run id -> (process, queue, event)

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {
            "code_roots": Field(
                Noneable(Array(str)),
                is_required=False,
                description="Folders whose files the fork server's code depends on; "
                "by default the folder holding the code location's top-level package.",
            )
        }

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Mapping[str, Any]) -> WarmRunLauncher:
        return cls(inst_data=inst_data, code_roots=config_value.get("code_roots"))

    def launch_run(self, context: LaunchRunContext) -> None:
        run = context.dagster_run
        origin = run.job_code_origin
        pointer = origin.repository_origin.code_pointer if origin else None
        if dagster_version != TESTED_DAGSTER_VERSION:
            log.warning(
                f"warm run launcher: Dagster {dagster_version} is not the tested "
                f"{TESTED_DAGSTER_VERSION}; runs start in fresh processes (Dagster's own launcher)"
            )
            super().launch_run(context)
            return
        if origin is None or not isinstance(pointer, (ModuleCodePointer, PackageCodePointer)):
            super().launch_run(context)
            return
        args = ExecuteExternalJobArgs(
            job_origin=run.remote_job_origin,  # type: ignore[arg-type]
            run_id=run.run_id,
            instance_ref=self._instance.get_ref(),
        )
        with self._lock:
            forkserver = self._fork_server(pointer.module, pointer.working_directory)
            # The status queue and the termination event live as long as the run: a semaphore
            # collected before the child has unpickled it is gone when the child looks for it.
            channels = (forkserver.Queue(), forkserver.Event())
            process = forkserver.Process(
                target=start_run_in_subprocess,
                args=[serialize_value(args), recon_job_from_origin(origin), *channels],
                name=f"dagster-run-{run.run_id[:8]}",
            )
            process.start()
            self._running = {k: v for k, v in self._running.items() if v[0].is_alive()}
            self._running[run.run_id] = (process, *channels)
        self._instance.add_run_tags(run.run_id, {PID_TAG: str(process.pid)})

    def _fork_server(self, module: str, working_directory: str | None) -> Any:
        """The forkserver context, (re)started with `module` loaded when the code changed."""
        wanted = (module, code_fingerprint(self._code_roots or [project_root(module)]))
        if self._warm != wanted:
            if self._warm is not None:
                multiprocessing.forkserver._forkserver._stop()  # the next start loads the new code
            multiprocessing.get_context("forkserver").set_forkserver_preload([module])
            # The server imports `module` from the code location's working directory, as the
            # code server does (it is a fresh interpreter that sees only PYTHONPATH).
            with _python_path(working_directory):
                multiprocessing.forkserver.ensure_running()
            self._warm = wanted
        return multiprocessing.get_context("forkserver")

    def terminate(self, run_id: str) -> bool:
        run = self._instance.get_run_by_id(run_id) if self.has_instance else None
        if run is None or run.is_finished or PID_TAG not in run.tags:
            return super().terminate(run_id)
        self._instance.report_run_canceling(run)
        try:
            os.kill(int(run.tags[PID_TAG]), signal.SIGINT)  # Dagster's own cancel signal
        except ProcessLookupError:
            return False
        return True

"""What every command shares: settings, logging, and how a command ends when it cannot finish.

Every command runs inside `run_guarded`, so it ends in one of four ways, each in one line:
- as the command chose (its output, its exit code);
- `error: <reason>`, exit 1, for our typed errors: a setting, a file, an API's refusal; the
  reason names what to change;
- `interrupted: ...`, exit 130 (what shells report for Ctrl-C), on Ctrl-C or SIGTERM, saying
  what the command had done and what remains when it knows (`so_far`);
- `error: unexpected ...` for anything else, which is a bug: the exception's type and message,
  with its traceback written to `<home>/logs/errors.log`.

Tracebacks reach the terminal only with `ledgerlink --debug ...` (or LEDGERLINK_DEBUG=1).
"""

from __future__ import annotations

import _thread
import functools
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import typer

from ledgerlink.auth.files import open_private, private_folder
from ledgerlink.errors import LedgerlinkError
from ledgerlink.log import configure_logging
from ledgerlink.redaction import redact
from ledgerlink.settings import Settings, load_settings

F = TypeVar("F", bound=Callable[..., Any])

INTERRUPTED_EXIT_CODE = 130  # 128 + SIGINT
# After the interrupted line, threads a library left running (dlt's workers in a request) get
# this long to end before the process exits without them.
STOP_GRACE_SECONDS = 5.0
ERROR_LOG = Path("logs") / "errors.log"  # under the home
DEBUG_VARIABLE = "LEDGERLINK_DEBUG"
_TRUE = ("1", "true", "yes", "on")


class _State:
    """The running command's: `--debug`, its home (for the error log), and what it has done."""

    debug = False
    command: str | None = None  # the top-level verb, from the app's callback
    home: Path | None = None
    done: str | None = None
    left: str | None = None


def set_invocation(command: str | None, *, debug: bool) -> None:
    """Called by the app before any command: its verb and the `--debug` flag."""
    _State.command, _State.debug = command, debug


def debugging() -> bool:
    return _State.debug or os.environ.get(DEBUG_VARIABLE, "").strip().lower() in _TRUE


def settings() -> Settings:
    """The settings, with the home folder made private (0700) and logging configured."""
    loaded = load_settings()
    _State.home = loaded.home
    private_folder(loaded.home)
    configure_logging(loaded.log_level, loaded.log_format)
    return loaded


def so_far(done: str | None = None, left: str | None = None) -> None:
    """Record what the running command has done and what remains, in a few words each: the
    line an interruption prints says them ("loaded freshbooks (153 rows)", "not loaded:
    infor, shop")."""
    _State.done, _State.left = done, left


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into the path Ctrl-C takes (a service manager's or `kill`'s stop)."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


@contextmanager
def stops_delivered() -> Iterator[None]:
    """While the block runs, SIGTERM stops it the way Ctrl-C does, and no stop is lost.

    Python drops an exception raised inside a finalizer (a `__del__`, a weakref callback) once
    it has printed "Exception ignored": a Ctrl-C or SIGTERM that lands while the garbage
    collector runs one (dlt's connection pools have them) would let the command run on. The
    signal is sent again, to be handled once the finalizer has returned.

    Handlers can only be set in the main thread; elsewhere SIGTERM keeps what it had.
    """
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:
        yield
        return
    previous_hook = sys.unraisablehook

    def redeliver(unraisable: Any) -> None:
        if not issubclass(unraisable.exc_type, KeyboardInterrupt):
            previous_hook(unraisable)
            return
        signum = signal.SIGTERM if issubclass(unraisable.exc_type, Terminated) else signal.SIGINT
        # From another thread, a moment later: raised here, it would be handled (and dropped)
        # inside this hook. Should it land in a finalizer again, it comes back here again.
        again = threading.Timer(0.01, _thread.interrupt_main, args=(signum,))
        again.daemon = True
        again.start()

    sys.unraisablehook = redeliver
    try:
        yield
    finally:
        sys.unraisablehook = previous_hook
        signal.signal(signal.SIGTERM, previous)


def run_guarded(command: F | None = None, *, interrupted: str | None = None) -> Any:
    """Run `command` so that it ends in one line (see the module's docstring).

    Use as `@run_guarded`, or `run_guarded(command, interrupted="...")` to say what an
    interruption leaves behind when the command itself cannot say it.
    """

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            so_far()
            try:
                with stops_delivered():
                    return function(*args, **kwargs)
            except (typer.Exit, typer.Abort, typer.TyperException):
                raise  # the command chose its exit, or typer reports a usage error
            except KeyboardInterrupt as exc:
                _show_traceback()
                line = _interrupted_line(function, exc, interrupted)
                _fail(line, INTERRUPTED_EXIT_CODE, "yellow")
            except LedgerlinkError as exc:
                _show_traceback()
                _fail(f"error: {_one_line(str(exc))}", 1)
            except OSError as exc:
                # The machine's refusal (permission, full disk, missing folder), not a bug.
                _show_traceback()
                reason = exc.strerror or str(exc) or type(exc).__name__
                _fail(f"error: {reason}{f': {exc.filename}' if exc.filename else ''}", 1)
            except Exception as exc:
                _show_traceback()
                _fail(_unexpected_line(exc), 1)
            finally:
                # Per invocation: the app's callback sets them again before the next command.
                _State.command, _State.debug = None, False

        return wrapper  # type: ignore[return-value]

    return decorate(command) if command is not None else decorate


def _fail(line: str, code: int, colour: str = "red") -> None:
    typer.secho(redact(line), fg=colour, err=True)
    raise typer.Exit(code=code) from None


def _one_line(text: str, limit: int = 500) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _command_path(function: Callable[..., Any]) -> str:
    """`ledgerlink extract`, `ledgerlink webhooks serve`: the verb from the app's callback and,
    in a group, the command's own name (functions are named after their command)."""
    name = function.__name__.removesuffix("_command").replace("_", "-")
    words = [w for w in ("ledgerlink", _State.command) if w]
    return " ".join(words if words[-1] == name else [*words, name])


def _interrupted_line(
    function: Callable[..., Any], exc: KeyboardInterrupt, note: str | None
) -> str:
    how = "SIGTERM" if isinstance(exc, Terminated) else "Ctrl-C"
    parts = [f"interrupted: {_command_path(function)} stopped ({how})"]
    parts += [part for part in (_State.done, _State.left or note) if part]
    return "; ".join(parts)


def _unexpected_line(exc: Exception) -> str:
    where = _write_error_log()
    detail = _one_line(str(exc), 300)
    return (
        f"error: unexpected {type(exc).__name__}{f': {detail}' if detail else ''} "
        f"(a bug in ledgerlink); {where}; rerun with --debug for the traceback"
    )


def _show_traceback() -> None:
    if debugging():
        typer.echo(redact(traceback.format_exc()).rstrip(), err=True)


def _write_error_log() -> str:
    """Append the current traceback to `<home>/logs/errors.log` (0600); say where it went."""
    home = _State.home or Path(os.environ.get("LEDGERLINK_HOME", ".ledgerlink")).resolve()
    path = home / ERROR_LOG
    entry = (
        f"--- {datetime.now(UTC).isoformat(timespec='seconds')} "
        f"{redact(' '.join(sys.argv))}\n{redact(traceback.format_exc())}\n"
    )
    try:
        private_folder(path.parent)
        descriptor = open_private(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        with os.fdopen(descriptor, "a", encoding="utf-8") as log:
            log.write(entry)
    except (OSError, LedgerlinkError) as exc:
        return f"the traceback could not be logged ({exc})"
    return f"traceback in {path}"


def exit_soon_if_stuck(code: int = INTERRUPTED_EXIT_CODE) -> None:
    """Let the process end within `STOP_GRACE_SECONDS` even if a library's worker thread is
    still waiting on the network: Python waits for every such thread before it exits."""

    def force() -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)

    timer = threading.Timer(STOP_GRACE_SECONDS, force)
    timer.daemon = True
    timer.start()


def table(rows: list[tuple[Any, ...]], headers: tuple[str, ...]) -> str:
    """Rows aligned in columns, numbers right-aligned."""
    cells = [tuple(str(c) for c in headers), *[tuple(str(c) for c in row) for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [
        all(str(row[i]).replace(".", "").isdigit() for row in rows) for i in range(len(headers))
    ]
    lines = []
    for n, row in enumerate(cells):
        parts = [
            c.rjust(w) if numeric[i] and n else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)

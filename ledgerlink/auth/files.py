"""Owner-only folders and files: the home, token files, the webhook inbox and the warehouse.

Everything under the home holds a secret (tokens, FreshBooks callback verifiers) or the books
(the warehouse, dlt's load packages), so the home is 0700 and each such file 0600. Files are
created with that mode, never opened first and tightened later, and an older install with
looser modes is tightened the next time ledgerlink opens it.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from ledgerlink.errors import ConfigurationError

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


def private_folder(path: Path, *, tighten: bool = True, setting: str = "LEDGERLINK_HOME") -> Path:
    """`path` as a folder only its owner can enter: created 0700, with any missing parents
    (they hold nothing but ours); an existing one tightened unless `tighten` is False (a
    folder the operator chose for the warehouse may be shared on purpose). `setting` is what
    to change when the folder cannot be used."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    try:
        for folder in reversed(missing):
            with contextlib.suppress(FileExistsError):  # another process made it meanwhile
                folder.mkdir(mode=PRIVATE_FOLDER)
        if tighten or path in missing:
            _restrict(path, PRIVATE_FOLDER)
    except (FileExistsError, NotADirectoryError):
        raise ConfigurationError(
            f"{path} cannot be a folder: a file is in the way; move it, or change {setting}"
        ) from None
    except PermissionError as exc:
        raise ConfigurationError(
            f"cannot create or use the folder {path} ({exc.strerror}): change {setting} to a "
            "folder you own"
        ) from None
    if not path.is_dir():
        raise ConfigurationError(f"{path} is a file, not a folder: move it, or change {setting}")
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty with mode 0600 unless it exists; tighten an existing one.

    An existing file is never opened: closing any descriptor of a file drops every POSIX lock
    this process holds on it (SQLite's, for one)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, PRIVATE_FILE))
    tighten_files(path)
    return path


def tighten_files(*paths: Path) -> None:
    """Make each existing file 0600 when its group or others may read it (missing ones and
    files of another owner are left alone)."""
    for path in paths:
        with contextlib.suppress(FileNotFoundError, PermissionError):
            _restrict(path, PRIVATE_FILE)


def _restrict(path: Path, mode: int) -> None:
    if path.stat().st_mode & 0o077:
        path.chmod(mode)


def open_private(path: Path, flags: int = os.O_RDWR | os.O_CREAT | os.O_APPEND) -> int:
    """A descriptor on `path`, which is created 0600 if missing and tightened if looser."""
    descriptor = os.open(path, flags, PRIVATE_FILE)
    if os.fstat(descriptor).st_mode & 0o077:
        os.fchmod(descriptor, PRIVATE_FILE)
    return descriptor

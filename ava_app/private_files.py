"""Files only AVA's own user may read: the data folder (0700), its databases and kept secrets (0600).

The data folder holds the app database, the job queue, the emulators' state, recordings and generated secrets. They
are created private whatever the process umask says, and tightened again at each start for older installations.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
# SQLite's companions of a database file: it gives them the database file's mode when it creates them.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def private_dir(path: Path | str) -> Path:
    """Create ``path`` (and missing parents) as 0700; an existing folder is set to 0700."""
    path = Path(path)
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    path.chmod(DIR_MODE)
    return path


def private_file(path: Path | str) -> Path:
    """Make sure ``path`` exists as a 0600 file before SQLite or anything else opens it.

    A missing folder is created 0700; an existing one is left as it is (it may be any folder the operator chose), the
    data folder itself is made private by ``private_dir`` where AVA knows it is the data folder.
    """
    path = Path(path)
    path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE))
    path.chmod(FILE_MODE)
    return path


def private_sqlite_file(path: Path | str) -> Path:
    """A SQLite database file (and its WAL/SHM/journal files if present) kept 0600."""
    path = private_file(path)
    for suffix in SQLITE_SIDE_FILES:
        side = path.with_name(path.name + suffix)
        with contextlib.suppress(FileNotFoundError):
            side.chmod(FILE_MODE)
    return path


def kept_secret(path: Path | str, *, make: Callable[[], str] | None = None) -> str:
    """The value kept in ``path``, generated once with ``make`` (a random token by default) and written 0600.

    Processes of one installation starting together agree: the file appears whole (written aside, then linked into
    place, which fails if another process was first), and the loser reads the winner's value.
    """
    path = Path(path)
    if path.exists():
        path.chmod(FILE_MODE)
        return path.read_text().strip()
    private_dir(path.parent)
    value = make() if make else secrets.token_urlsafe(48)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(value)
        try:
            os.link(draft, path)
        except FileExistsError:
            return path.read_text().strip()
    finally:
        draft.unlink(missing_ok=True)
    return value

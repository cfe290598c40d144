"""Where AVA keeps the ZIP files of data exports (``services.data_exports`` builds them), and how a caller's go with
their erasure (``services.caller_data``): a module of its own so that both can use it without importing each other."""

from __future__ import annotations

import pickle
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from ava_app.models import DataExport, utcnow
from ava_app.private_files import private_dir
from ava_app.settings import get_settings

# An export file's name: random, so a name never says whose data it holds.
FILE_KEY = re.compile(r"^[0-9a-f]{32}\.zip$")
# An export waiting for its job or being built.
ACTIVE = ("queued", "running")
# Why an organisation's export made before a caller's erasure was withdrawn (``DataExport.error``).
ERASED = "caller_erased"


def exports_dir() -> Path:
    """AVA's private folder of export files (created 0700)."""
    return private_dir(get_settings().data_dir / "exports")


def export_path(file_key: str) -> Path:
    """The file of ``file_key``; ``ValueError`` for anything that is not an export's random name."""
    if not FILE_KEY.match(file_key):
        raise ValueError(f"not an export file key: {file_key!r}")
    return exports_dir() / file_key


class _SpooledEntries:
    """A ZIP's directory records (one ``ZipInfo`` per file in it) kept in an anonymous temporary file, not in memory.

    ``zipfile`` appends one record per file written and reads them all once, in order, when ``close`` writes the
    central directory: that is all this list offers (append, count, read through).
    """

    def __init__(self) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by ``close``, with the ZIP)
        self._count = 0

    def append(self, info: zipfile.ZipInfo) -> None:
        pickle.dump(info, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[zipfile.ZipInfo]:
        self._file.flush()
        self._file.seek(0)
        try:
            for _ in range(self._count):
                yield pickle.load(self._file)  # written by this object above, never from outside
        finally:
            self._file.seek(0, 2)

    def close(self) -> None:
        self._file.close()


class _NoNames(dict[str, Any]):
    """``zipfile``'s index of names, left empty: an export never reads back nor writes a name twice."""

    def __setitem__(self, key: str, value: Any) -> None:
        return None


class ExportZip(zipfile.ZipFile):
    """A ZIP being written whose memory stays flat however many files it holds.

    ``zipfile`` keeps a record of every file written until ``close`` (about half a kilobyte each, per recording in an
    organisation's export); here those records wait in a temporary file and are copied into the ZIP's central
    directory at close by ``zipfile`` itself. Write-only: the archive cannot be read back through this object.
    """

    def __init__(self, file: IO[bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> None:
        super().__init__(file, "w", compression=compression)
        self.filelist = _SpooledEntries()  # type: ignore[assignment]
        self.NameToInfo = _NoNames()

    def close(self) -> None:
        try:
            super().close()
        finally:
            entries = self.filelist
            if isinstance(entries, _SpooledEntries):
                entries.close()


def forget_caller_exports(
    session: Session, *, tenant_id: int, subjects: Iterable[str], organisation: bool = True
) -> int:
    """A caller's erasure: delete the exports of the caller (``subjects``: their number or address, and the
    addresses they gave) with their files, and (``organisation``: AVA held something of theirs) withdraw the
    organisation's exports made before, which hold the caller too: a ready one's file is deleted (the row says
    ``expired``), one being built is marked failed (its job then deletes what it wrote; the admin builds it again).
    Added to the caller's session, committed with the
    erasure. Returns the number of exports deleted or withdrawn."""
    names = sorted(set(subjects))
    theirs = and_(col(DataExport.kind) == "caller", col(DataExport.subject).in_(names))
    made_before = and_(col(DataExport.kind) == "organisation", col(DataExport.status).in_((*ACTIVE, "ready")))
    rows = session.exec(
        select(DataExport).where(
            col(DataExport.tenant_id) == tenant_id, or_(theirs, made_before) if organisation else theirs
        )
    ).all()
    for row in rows:
        if row.file_key and FILE_KEY.match(row.file_key):
            export_path(row.file_key).unlink(missing_ok=True)
        if row.kind == "caller":
            session.delete(row)
            continue
        row.status = "expired" if row.status == "ready" else "failed"
        row.error, row.file_key, row.finished_at = ERASED, None, row.finished_at or utcnow()
        session.add(row)
    return len(rows)

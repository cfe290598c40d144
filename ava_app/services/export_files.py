"""Where AVA keeps the ZIP files of data exports (``services.data_exports`` builds them), and how a caller's go with
their erasure (``services.caller_data``): a module of its own so that both can use it without importing each other."""

from __future__ import annotations

import re
from pathlib import Path

from sqlmodel import Session, col, select

from ava_app.models import DataExport
from ava_app.private_files import private_dir
from ava_app.settings import get_settings

# An export file's name: random, so a name never says whose data it holds.
FILE_KEY = re.compile(r"^[0-9a-f]{32}\.zip$")


def exports_dir() -> Path:
    """AVA's private folder of export files (created 0700)."""
    return private_dir(get_settings().data_dir / "exports")


def export_path(file_key: str) -> Path:
    """The file of ``file_key``; ``ValueError`` for anything that is not an export's random name."""
    if not FILE_KEY.match(file_key):
        raise ValueError(f"not an export file key: {file_key!r}")
    return exports_dir() / file_key


def forget_caller_exports(session: Session, *, tenant_id: int, subject: str) -> int:
    """Delete the exports of one caller and their files (their erasure); a job building one finds its row gone and
    deletes what it wrote. Added to the caller's session, committed with the erasure."""
    rows = session.exec(
        select(DataExport).where(
            col(DataExport.tenant_id) == tenant_id, col(DataExport.kind) == "caller", col(DataExport.subject) == subject
        )
    ).all()
    for row in rows:
        if row.file_key and FILE_KEY.match(row.file_key):
            export_path(row.file_key).unlink(missing_ok=True)
        session.delete(row)
    return len(rows)

"""Counting the SQL statements a piece of code sends, to pin down how many queries a page load costs."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import event
from sqlalchemy.engine import Engine


@contextlib.contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL text of every statement ``engine`` executes inside the block (transaction control not included)."""
    seen: list[str] = []

    def record(_connection, _cursor, statement, _parameters, _context, _executemany) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)

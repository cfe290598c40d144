"""Dependencies shared by the API routes: a database session per request."""

from __future__ import annotations

from collections.abc import Iterator

from sqlmodel import Session

from ava_app.db import get_engine


def get_session() -> Iterator[Session]:
    """A session for one request (FastAPI dependency)."""
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session

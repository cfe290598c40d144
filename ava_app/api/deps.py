"""Dependencies shared by the API routes: a database session per request, and the type of a row id in a path.

The ``...Dep`` aliases name a dependency once, so a route declares ``session: SessionDep`` instead of repeating
``Session = Depends(get_session)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path
from sqlmodel import Session

from ava_app.db import get_engine
from ava_app.models import DB_INT_MAX

# Every id in a path: a number an id column can hold, so anything larger is a 422, never a driver error (500).
RowId = Annotated[int, Path(ge=1, le=DB_INT_MAX)]


def get_session() -> Iterator[Session]:
    """A session for one request (FastAPI dependency)."""
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

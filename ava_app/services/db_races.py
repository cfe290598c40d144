"""One transaction retried on the races a second try resolves: a unique key inserted by a concurrent request first
(``IntegrityError``: the next try finds its row) or SQLite busy (``OperationalError``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_incrementing

T = TypeVar("T")

ATTEMPTS = 4


def run_with_race_retries(session: Session, work: Callable[[], T], *, attempts: int = ATTEMPTS) -> T:
    """Run ``work`` (which commits, or rolls back and returns) up to ``attempts`` times, 5, 10, 15 ms apart.

    After a race the session is rolled back before the next try; the last try's error is raised as it is.
    """
    retrying = Retrying(
        retry=retry_if_exception_type((IntegrityError, OperationalError)),
        stop=stop_after_attempt(attempts),
        wait=wait_incrementing(start=0.005, increment=0.005),
        reraise=True,
    )
    for attempt in retrying:
        with attempt:
            try:
                result = work()
            except (IntegrityError, OperationalError):
                session.rollback()
                raise
    return result

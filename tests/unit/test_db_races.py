"""run_with_race_retries: a race is retried after a rollback, anything else and the last race are raised."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from ava_app.services.db_races import run_with_race_retries


class FakeSession:
    def __init__(self) -> None:
        self.rollbacks = 0

    def rollback(self) -> None:
        self.rollbacks += 1


def race(kind=IntegrityError):
    return kind("INSERT INTO call ...", {}, Exception("UNIQUE constraint failed: call.provider_call_id"))


def test_a_race_is_retried_after_a_rollback_and_the_result_returned():
    session, tries = FakeSession(), []

    def work():
        tries.append(1)
        if len(tries) < 3:
            raise race(OperationalError if len(tries) == 2 else IntegrityError)
        return "call 7"

    assert run_with_race_retries(session, work) == "call 7"
    assert len(tries) == 3
    assert session.rollbacks == 2


def test_the_last_race_is_raised_after_every_attempt():
    session, tries = FakeSession(), []

    def work():
        tries.append(1)
        raise race()

    with pytest.raises(IntegrityError):
        run_with_race_retries(session, work, attempts=3)
    assert len(tries) == 3
    assert session.rollbacks == 3


def test_other_errors_are_not_retried():
    session, tries = FakeSession(), []

    def work():
        tries.append(1)
        raise ValueError("bad payload")

    with pytest.raises(ValueError):
        run_with_race_retries(session, work)
    assert tries == [1]
    assert session.rollbacks == 0

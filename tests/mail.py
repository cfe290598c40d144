"""Helpers for tests of mail delivery: a closed port, the retry schedule, a fresh outbox row."""

from __future__ import annotations

import socket
from datetime import datetime

from sqlmodel import Session

from ava_app.models import Outbox


def closed_port() -> int:
    """A local port with nothing listening (connections are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_scheduled(jobs) -> None:
    """Run every scheduled retry as the consumer would once its eta has passed."""
    for task in jobs.read_schedule(datetime.max):
        jobs.execute(task, timestamp=task.eta)


def reload(db: Session, outbox_id: int) -> Outbox:
    return db.get(Outbox, outbox_id, populate_existing=True)

"""Outbox delivery survives lost jobs and never sends one row twice, against a live SMTP server (aiosmtpd).

- two deliveries of one row at the same time send one email (the claim);
- a worker SIGKILLed after claiming a row and before sending it: once its claim expires, the sweep re-enqueues the
  row and a restarted worker sends it, exactly once;
- a process killed between the row's commit and the enqueue of its job: the sweep sends it, exactly once.

Run as a script (``python tests/integration/test_outbox_recovery.py worker LEASE MARKER``) this module is the worker
the kill test starts: a real huey consumer on the configured queue whose SMTP send touches MARKER and then hangs
(``worker 0 -`` for an ordinary one). ``send-and-die TO`` records an email and is killed before enqueueing it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update
from sqlmodel import Session, col, select

from ava_app import task_queue
from ava_app.models import Outbox, utcnow
from ava_app.services.messaging import email, outbox
from tests.integration.test_smtp_delivery import Mailbox, smtp_server
from tests.mail import reload
from tests.processes import kill_group, wait_until

PROJECT_DIR = Path(__file__).resolve().parents[2]


class SlowMailbox(Mailbox):
    """Takes its time over each message, so that a second sender would arrive while the first is still sending."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.5)
        return await super().handle_DATA(server, session, envelope)


def test_concurrent_deliveries_of_one_row_send_it_once(engine, db, smtp_env):
    mailbox = SlowMailbox()
    rows = [outbox.queue_message(db, channel="email", to=f"r{i}@example.com", body_text="T") for i in range(3)]
    racers = 4
    start = threading.Barrier(racers * len(rows))
    outcomes: list[dict] = []
    errors: list[BaseException] = []

    def deliver(outbox_id: int) -> None:
        try:
            with Session(engine, expire_on_commit=False) as session:
                start.wait(timeout=30)
                outcomes.append(email.deliver(session, outbox_id=outbox_id))
        except BaseException as exc:  # reported below: a thread's exception would otherwise vanish
            errors.append(exc)

    with smtp_server(mailbox) as port:
        smtp_env(host="127.0.0.1", port=port, tls="none")
        threads = [threading.Thread(target=deliver, args=(row.id,)) for row in rows for _ in range(racers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert errors == []
    assert sorted(item.rcpt_tos[0] for item in mailbox.received) == [row.to for row in rows]
    for row in rows:
        stored = reload(db, row.id)
        assert (stored.status, stored.attempts, stored.claimed_by) == ("sent", 1, None)
    assert sum(outcome["status"] == "sent" for outcome in outcomes) == len(rows)


# --- killed processes -------------------------------------------------------------------------------------------


def _env(database_url: str, smtp_port: int) -> dict[str, str]:
    env = dict(
        os.environ,
        AVA_DATABASE_URL=database_url,
        PYTHONPATH=str(PROJECT_DIR),
        AVA_SMTP_HOST="127.0.0.1",
        AVA_SMTP_PORT=str(smtp_port),
        AVA_SMTP_TLS="none",
    )
    filename = getattr(task_queue.huey.storage, "filename", None)
    if filename:
        # The queue (and the dev secret) of this process, wherever an earlier test's settings put them.
        env["AVA_DATA_DIR"] = str(Path(filename).parent)
    return env


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, __file__, *args],
        cwd=PROJECT_DIR,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )


def _only_row(db) -> Outbox:
    db.expire_all()
    (row,) = db.exec(select(Outbox)).all()
    return row


def test_worker_killed_between_claim_and_send_then_restarted_sends_exactly_once(db, database_url, smtp_env, tmp_path):
    task_queue.huey.immediate = False
    task_queue.huey.flush()
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        smtp_env(host="127.0.0.1", port=port, tls="none")
        env = _env(database_url, port)
        outbox_id = email.send_email(db, to="owner@example.com", subject="Call summary", body_text="T")
        marker = tmp_path / "sending"

        doomed = _start(["worker", "3", str(marker)], env, tmp_path / "doomed.log")
        try:
            wait_until(marker.exists, seconds=60, what="the worker to claim the row and start sending")
        finally:
            kill_group(doomed)
        row = _only_row(db)
        assert (row.status, row.attempts, mailbox.received) == ("queued", 1, [])
        assert row.claimed_by and row.claimed_until
        assert task_queue.huey.pending_count() == 0, "huey has no ack: the job died with its worker"
        # While the claim is live nothing touches the row; once expired, the sweep picks it up.
        assert email.stale_queued_ids(db, now=row.claimed_until - timedelta(seconds=1)) == []
        wait_until(lambda: utcnow() > row.claimed_until, seconds=10, what="the claim to expire")

        survivor = _start(["worker", "0", "-"], env, tmp_path / "survivor.log")
        try:
            email.sweep_outbox.call_local()
            wait_until(lambda: _only_row(db).status == "sent", seconds=60, what="the restarted worker to send")
            email.sweep_outbox.call_local()  # nothing left to do: no second email
            time.sleep(1)
        finally:
            kill_group(survivor)

    assert len(mailbox.received) == 1
    assert mailbox.received[0].message["Subject"] == "Call summary"
    row = _only_row(db)
    assert (row.id, row.status, row.attempts, row.claimed_by, row.claimed_until) == (outbox_id, "sent", 2, None, None)


def test_process_killed_between_commit_and_enqueue_is_sent_once_by_the_sweep(
    db, database_url, smtp_env, jobs, tmp_path
):
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        smtp_env(host="127.0.0.1", port=port, tls="none")
        died = subprocess.run(
            [sys.executable, __file__, "send-and-die", "owner@example.com"],
            cwd=PROJECT_DIR,
            env=_env(database_url, port),
            stderr=subprocess.PIPE,
            timeout=60,
        )
        assert died.returncode == -signal.SIGKILL, died.stderr.decode()
        row = _only_row(db)
        assert (row.status, row.attempts) == ("queued", 0)

        email.sweep_outbox.call_local()
        assert mailbox.received == [], "its job may still be on its way"
        # Let REQUEUE_AFTER pass for this row.
        db.exec(update(Outbox).where(col(Outbox.id) == row.id).values(created_at=utcnow() - email.REQUEUE_AFTER))
        db.commit()
        email.sweep_outbox.call_local()
        email.sweep_outbox.call_local()

    assert [item.rcpt_tos for item in mailbox.received] == [["owner@example.com"]]
    assert (_only_row(db).status, _only_row(db).attempts) == ("sent", 1)


def _run_worker(lease: float, marker: str) -> None:
    """A real consumer; with a MARKER, its SMTP send announces itself and hangs until the process is killed."""
    from ava_app.task_queue import _huey

    if marker != "-":
        email.CLAIM_LEASE = timedelta(seconds=lease)

        async def announce_and_hang(message, *, server) -> None:
            Path(marker).touch()
            await asyncio.sleep(3600)

        email._send = announce_and_hang
    consumer = _huey().create_consumer(workers=1, worker_type="thread", periodic=False, max_delay=0.1)
    consumer.run()


def _send_and_die(to: str) -> None:
    """Record an email and be killed right after the row's commit, before its job is enqueued."""
    from ava_app.db import session_scope

    email.deliver_outbox_message = lambda outbox_id: os.kill(os.getpid(), signal.SIGKILL)
    with session_scope() as session:
        email.send_email(session, to=to, subject="Sign in", body_text="T")


if __name__ == "__main__" and sys.argv[1:2] == ["worker"]:
    _run_worker(float(sys.argv[2]), sys.argv[3])
elif __name__ == "__main__" and sys.argv[1:2] == ["send-and-die"]:
    _send_and_die(sys.argv[2])

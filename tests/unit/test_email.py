"""Email service and delivery job without a mail server: sandbox mode, outbox bookkeeping, retries and the cap."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col

from ava_app.models import Outbox, utcnow
from ava_app.services.errors import Invalid, NotFound, ProviderError, ProviderUnavailable
from ava_app.services.messaging import email, outbox
from tests.conftest import PROJECT_DIR
from tests.mail import closed_port, reload, run_scheduled


def test_sandbox_marks_sent_without_network_and_shows_in_dev_outbox(db, smtp_env, jobs):
    outbox_id = email.send_email(
        db, to="owner@example.com", subject="Hello", body_text="Text body", body_html="<p>HTML body</p>"
    )

    row = reload(db, outbox_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    assert row.sent_at is not None
    listed = outbox.list_messages(db, channels=("email",))
    assert listed[0]["id"] == outbox_id
    assert listed[0]["status"] == "sent"
    assert listed[0]["body_html"] == "<p>HTML body</p>"


def test_send_template_renders_in_the_requested_locale(db, smtp_env, jobs):
    outbox_id = email.send_template(
        db, to="marie@example.com", kind="magic_link", locale="fr", link="https://app.example.com/auth/abc"
    )

    row = reload(db, outbox_id)
    assert row.subject == "Votre lien de connexion AVA"
    assert "https://app.example.com/auth/abc" in row.body_text
    assert 'href="https://app.example.com/auth/abc"' in row.body_html


def test_same_dedupe_key_is_one_message_delivered_once(db, smtp_env, jobs):
    first = email.send_email(db, to="a@example.com", subject="S", body_text="T", dedupe_key="call-summary:42")
    second = email.send_email(db, to="a@example.com", subject="S", body_text="T", dedupe_key="call-summary:42")

    assert first == second
    assert reload(db, first).attempts == 1
    assert len(outbox.list_messages(db, channels=("email",))) == 1


def test_send_email_rejects_a_missing_address(db, smtp_env):
    with pytest.raises(Invalid):
        email.send_email(db, to="not-an-address", subject="S", body_text="T")


def test_deliver_leaves_sent_and_failed_rows_alone(db, smtp_env):
    sent = outbox.queue_message(db, channel="email", to="a@example.com", body_text="x")
    email.deliver(db, outbox_id=sent.id)
    failed = outbox.queue_message(db, channel="email", to="b@example.com", body_text="x")
    failed.status = "failed"
    db.add(failed)
    db.commit()
    # A real (unreachable) server now: any attempt to send would be recorded as a new failed attempt.
    smtp_env(host="127.0.0.1", port=closed_port(), tls="none")

    assert email.deliver(db, outbox_id=sent.id) == {"id": sent.id, "status": "sent", "attempts": 1}
    assert email.deliver(db, outbox_id=failed.id) == {"id": failed.id, "status": "failed", "attempts": 0}


def test_deliver_unknown_or_non_email_row(db, smtp_env):
    sms = outbox.queue_message(db, channel="sms", to="+15555550100", body_text="code 123456")
    with pytest.raises(NotFound):
        email.deliver(db, outbox_id=999_999)
    with pytest.raises(Invalid):
        email.deliver(db, outbox_id=sms.id)


def test_server_down_records_attempt_and_error_then_fails_at_the_cap(db, smtp_env):
    smtp_env(host="127.0.0.1", port=closed_port(), tls="none")
    row = outbox.queue_message(db, channel="email", to="a@example.com", subject="S", body_text="T")

    with pytest.raises(ProviderUnavailable) as first:
        email.deliver(db, outbox_id=row.id, max_attempts=2)
    assert first.value.details["attempts"] == 1
    row = reload(db, row.id)
    assert (row.status, row.attempts) == ("queued", 1)
    assert row.last_error

    with pytest.raises(ProviderError) as second:
        email.deliver(db, outbox_id=row.id, max_attempts=2)
    assert not isinstance(second.value, ProviderUnavailable)
    row = reload(db, row.id)
    assert (row.status, row.attempts, row.sent_at) == ("failed", 2, None)


def test_message_is_multipart_alternative_with_a_stable_message_id(db):
    row = outbox.queue_message(
        db, channel="email", to="a@example.com", subject="Hi", body_text="plain", body_html="<b>rich</b>"
    )
    message = email.build_message(row, sender="AVA <no-reply@ava.example>")

    assert message.get_content_type() == "multipart/alternative"
    parts = {part.get_content_type(): part.get_content() for part in message.iter_parts()}
    assert parts["text/plain"].strip() == "plain"
    assert parts["text/html"].strip() == "<b>rich</b>"
    assert message["Message-ID"] == email.message_id_for(row, sender="AVA <no-reply@ava.example>")
    assert message["Message-ID"].startswith(f"<outbox.{row.id}.")
    assert message["Message-ID"].endswith("@ava.example>")
    assert email.build_message(row, sender="no-reply@ava.example")["Message-ID"] == message["Message-ID"]

    text_only = outbox.queue_message(db, channel="email", to="b@example.com", body_text="plain only")
    assert email.build_message(text_only, sender="x@ava.example").get_content_type() == "text/plain"
    assert email.message_id_for(text_only, sender="x@ava.example") != message["Message-ID"]


def test_retry_delay_grows_exponentially_up_to_a_cap():
    delays = [email.retry_delay(attempts) for attempts in range(1, 10)]
    assert delays[:4] == [60, 120, 240, 480]
    assert max(delays) == email.RETRY_MAX_SECONDS
    assert delays == sorted(delays)


def test_job_schedules_a_retry_with_backoff_when_the_server_is_down(db, smtp_env, jobs):
    smtp_env(host="127.0.0.1", port=closed_port(), tls="none")
    before = datetime.now(UTC).replace(tzinfo=None)

    outbox_id = email.send_email(db, to="a@example.com", subject="S", body_text="T")

    row = reload(db, outbox_id)
    assert (row.status, row.attempts) == ("queued", 1)
    [retry] = jobs.scheduled()
    assert retry.args == (outbox_id,)
    assert 55 <= (retry.eta - before).total_seconds() <= 70

    # When its time comes the second attempt fails too: the next wait doubles.
    run_scheduled(jobs)
    [retry] = jobs.scheduled()
    assert reload(db, outbox_id).attempts == 2
    assert 115 <= (retry.eta - before).total_seconds() <= 130


def test_job_stops_retrying_once_the_row_is_failed(db, smtp_env, jobs):
    deliver_outbox_message = email.deliver_outbox_message

    smtp_env(host="127.0.0.1", port=closed_port(), tls="none")
    row = outbox.queue_message(db, channel="email", to="a@example.com", body_text="T")
    row.attempts = email.MAX_ATTEMPTS - 1
    db.add(row)
    db.commit()

    deliver_outbox_message(row.id)

    row = reload(db, row.id)
    assert (row.status, row.attempts) == ("failed", email.MAX_ATTEMPTS)
    assert jobs.scheduled() == []


def test_importing_the_modules_opens_nothing(tmp_path):
    """Importing the job queue and the email services builds no queue and creates no job store."""
    code = (
        "import ava_app.task_queue as task_queue, ava_app.services.messaging.email, ava_app.services.credentials; "
        "assert task_queue._huey.cache_info().currsize == 0"
    )
    env = {**os.environ, "AVA_DATA_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, env=env, check=True)
    assert not (tmp_path / "jobs.db").exists()


# --- claims and the outbox sweep ------------------------------------------------------------------------------


def _set(db, outbox_id: int, **values) -> None:
    """Write row fields directly, e.g. to let time pass for one row."""
    db.exec(update(Outbox).where(col(Outbox.id) == outbox_id).values(**values))
    db.commit()


def test_sweep_sends_a_queued_row_whose_job_never_ran(db, smtp_env, jobs):
    sweep_outbox = email.sweep_outbox

    # What send_email leaves when its process dies between the row's commit and the enqueue.
    row = outbox.queue_message(db, channel="email", to="a@example.com", subject="S", body_text="T")
    sweep_outbox.call_local()
    assert reload(db, row.id).status == "queued", "a fresh row's job may just be on its way"

    _set(db, row.id, created_at=utcnow() - email.REQUEUE_AFTER - timedelta(seconds=5))
    sweep_outbox.call_local()
    sweep_outbox.call_local()

    row = reload(db, row.id)
    assert (row.status, row.attempts, row.claimed_by, row.claimed_until) == ("sent", 1, None, None)


def test_stale_rows_are_the_lost_ones_only(db):
    now = utcnow()
    old = now - email.REQUEUE_AFTER - timedelta(seconds=1)

    def row(**values) -> int:
        queued = outbox.queue_message(db, channel=values.pop("channel", "email"), to="a@example.com", body_text="T")
        _set(db, queued.id, created_at=old, **values)
        return queued.id

    fresh = outbox.queue_message(db, channel="email", to="a@example.com", body_text="T").id
    never_ran = row()
    waiting_retry = row(attempts=1, next_attempt_at=now + timedelta(seconds=30))
    live_claim = row(attempts=1, claimed_by="x", claimed_until=now + timedelta(minutes=1))
    dead_claim = row(attempts=1, claimed_by="y", claimed_until=now - timedelta(seconds=1))
    row(status="sent")
    row(status="failed")
    row(channel="sms")

    assert email.stale_queued_ids(db, now=now) == [never_ran, dead_claim]
    # Later the retry is overdue, the live claim has expired and the fresh row's job is lost too.
    later = now + email.CLAIM_LEASE + email.REQUEUE_AFTER
    assert email.stale_queued_ids(db, now=later) == [fresh, never_ran, waiting_retry, live_claim, dead_claim]


def test_a_retry_records_when_it_is_due(db, smtp_env):
    smtp_env(host="127.0.0.1", port=closed_port(), tls="none")
    row = outbox.queue_message(db, channel="email", to="a@example.com", body_text="T")
    before = utcnow()

    with pytest.raises(ProviderUnavailable) as error:
        email.deliver(db, outbox_id=row.id)

    row = reload(db, row.id)
    assert error.value.details["retry_in"] == email.retry_delay(1) == 60
    assert 55 <= (row.next_attempt_at - before).total_seconds() <= 70
    assert (row.claimed_by, row.claimed_until) == (None, None)


def test_a_row_claimed_by_a_live_attempt_is_not_sent_by_another_job(db, smtp_env):
    row = outbox.queue_message(db, channel="email", to="a@example.com", body_text="T")
    claim = email._claim(db, outbox_id=row.id)
    assert claim is not None
    assert email._claim(db, outbox_id=row.id) is None, "one claim at a time"

    assert email.deliver(db, outbox_id=row.id) == {"id": row.id, "status": "queued", "attempts": 1}

    # Once the lease has run out (its worker died), the next attempt takes over.
    _set(db, row.id, claimed_until=utcnow() - timedelta(seconds=1))
    assert email.deliver(db, outbox_id=row.id) == {"id": row.id, "status": "sent", "attempts": 2}


def test_attempts_used_up_by_killed_workers_fail_the_row(db, smtp_env, jobs):
    deliver_outbox_message = email.deliver_outbox_message

    row = outbox.queue_message(db, channel="email", to="a@example.com", body_text="T")
    expired = utcnow() - timedelta(seconds=1)
    _set(db, row.id, attempts=email.MAX_ATTEMPTS, claimed_by="dead", claimed_until=expired)

    deliver_outbox_message(row.id)

    row = reload(db, row.id)
    assert (row.status, row.attempts, row.sent_at) == ("failed", email.MAX_ATTEMPTS, None)
    assert "interrupted" in row.last_error
    assert jobs.scheduled() == []


def test_a_seal_that_no_longer_opens_fails_the_row_instead_of_sending_a_dead_link(db, smtp_env, monkeypatch):
    from ava_app.settings import get_settings

    link = "https://app.example.com/verify?token=abc"
    placeholder = outbox.link_placeholder(link)
    row = outbox.queue_message(
        db, channel="email", to="a@example.com", body_text=f"Sign in: {placeholder}", links={placeholder: link}
    )
    monkeypatch.setenv("AVA_SECRET_KEY", "rotated-" + "x" * 40)
    get_settings.cache_clear()
    smtp_env(host="127.0.0.1", port=closed_port(), tls="none")

    with pytest.raises(ProviderError) as error:
        email.deliver(db, outbox_id=row.id)

    assert not isinstance(error.value, ProviderUnavailable)
    row = reload(db, row.id)
    assert (row.status, row.sealed_links) == ("failed", None)
    assert "server key" in row.last_error


def test_a_job_retried_through_retrytask_leaves_no_request_id_behind(db, smtp_env, jobs):
    from ava_app.observability.request_ids import current_request_id

    smtp_env(host="127.0.0.1", port=closed_port(), tls="none")
    email.send_email(db, to="a@example.com", subject="S", body_text="T")
    run_scheduled(jobs)

    assert jobs.scheduled(), "the delivery was retried"
    assert current_request_id() is None

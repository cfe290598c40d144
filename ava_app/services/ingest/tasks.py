"""The call-ingest jobs: applying stored webhook events, and the sweep that recovers what a lost job left behind."""

from __future__ import annotations

import logging
from typing import Any

from huey import crontab

from ava_app.db import session_scope
from ava_app.models import utcnow
from ava_app.services import dead_letters, post_call
from ava_app.services.ingest import events as vapi_events
from ava_app.task_queue import periodic_task, task

log = logging.getLogger(__name__)


# Applying a stored report retries quickly (2 s doubling to about 4 minutes, 8.5 minutes in all): its failures are
# database hiccups. One that still fails keeps its error on the event (shown to admins, retried on redelivery).
@task(retries=8, retry_delay=2, retry_backoff=2)
def apply_webhook_event(event_id: int) -> None:
    """Apply one stored Vapi event (store-and-enqueue's second half), then enqueue the call's post-call job."""
    with session_scope() as session:
        vapi_events.apply_stored_event(session, event_id=event_id, on_call_ended=post_call.run_post_call)


# A platform admin's retry of a dead letter is one attempt: failing again, the event stays listed with one more.
@task(retries=0)
def reapply_webhook_event(event_id: int) -> None:
    """Apply a failed stored webhook event (Vapi or Twilio) again, then enqueue its call's post-call job if it ended."""
    with session_scope() as session:
        error = dead_letters.reapply_event(session, event_id=event_id, on_call_ended=post_call.run_post_call)
    if error:
        log.warning("webhook event %s failed again on retry: %s", event_id, error)


def sweep_pipeline_once(*, event_grace: Any = None, now: Any = None) -> dict[str, list[int]]:
    """Re-enqueue what a lost job left behind; returns the event and call ids re-enqueued.

    huey has no acknowledgement: a task taken by a worker that dies is gone. The database says what is unfinished:
    stored events still unapplied after ``event_grace`` (default: the ingest in-flight grace), and ended calls whose
    post-call work is pending and untouched for post_call.STALE_AFTER. Both jobs are idempotent, so re-enqueueing one
    that is in fact still queued only costs a no-op run. ``now`` is for tests that let time pass.
    """
    now = now or utcnow()
    grace = vapi_events.IN_FLIGHT_GRACE if event_grace is None else event_grace
    with session_scope() as session:
        events = vapi_events.unapplied_event_ids(session, received_before=now - grace)
        calls = post_call.calls_needing_work(session, now=now)
    for event_id in events:
        apply_webhook_event(event_id)
    for call_id in calls:
        post_call.run_post_call(call_id)
    if events or calls:
        log.warning("sweep re-enqueued %d stored event(s) and %d call(s)", len(events), len(calls))
    return {"events": events, "calls": calls}


@periodic_task(crontab(minute="*"))
def sweep_pipeline() -> None:
    """Every minute: recover webhook events and post-call jobs lost with a worker, settle email statuses."""
    sweep_pipeline_once()

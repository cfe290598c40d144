"""Retention: what a business keeps about its calls, and for how long; a nightly job deletes what is due.

Per business (admins choose on /settings/privacy):

- recordings: ``retain_recordings_days`` after a call ended, AVA's copy is deleted, and the call at the voice
  provider with it (Vapi deletes its recording with the call). A provider that cannot be reached leaves the call for
  the next night (its ``recording_url`` stays set, which is what marks it as still to purge); one that no longer
  knows the call (404) counts as done;
- transcripts: ``retain_transcripts_days`` after a call ended, its conversation lines, transcript, summary, captured
  details and the provider's analysis are deleted, and ``content_purged_at`` set. The call row stays, so the
  dashboard's counts and charts (kept by triggers on it) do not change;
- raw provider messages: deleted ``retain_payloads_days`` after they arrived, 30 at most (the platform's ceiling);
  outgoing webhook deliveries that are done (delivered or failed) go on the same day, since their bodies carry the
  same call data. One still waiting for a retry is kept until it ends;
- deleted calls (``services.trash``): once their ``purge_after`` passed, the snapshot, AVA's recording file (unless
  another call has the same audio) and the call at the voice provider. Unreachable: kept for the next night.

A recording Twilio keeps (a voicemail's ``<Record>``) is deleted at Twilio with the call's recording, its deleted
call or its caller's erasure (``recordings.deleted_at_twilio``): gone there (404) counts as done.

Work goes in batches of ``BATCH`` rows, each its own short transaction, so webhooks keep landing during a purge on
PostgreSQL. Each batch starts after the last id of the one before: read from the start, PostgreSQL steps past every
row already purged (kept, or dead until vacuumed), and batch 480 of a million-call business took a second instead of
18 ms (``bench/purge.py``). A row that falls due during a run waits for the next night. Each purge that removed
something leaves one audit line per business with its counts.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from huey import crontab
from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from ava_app.db import session_scope
from ava_app.models import (
    Call,
    CallMessage,
    CallRecording,
    DeletedCall,
    Tenant,
    WebhookDelivery,
    WebhookEvent,
    utcnow,
)
from ava_app.services import assistants, audit, recordings
from ava_app.services.async_bridge import run_coroutine_sync
from ava_app.services.errors import Invalid, NotFound, ProviderError
from ava_app.services.principal import Principal
from ava_app.task_queue import periodic_task

log = logging.getLogger(__name__)

PAYLOAD_CEILING_DAYS = 30
BATCH = 500
RECORDING_CHOICES = (None, 7, 30, 90, 180, 365)
TRANSCRIPT_CHOICES = (None, 30, 90, 180, 365, 730)
PAYLOAD_CHOICES = (7, 14, 30)


@dataclass(frozen=True)
class RetentionOut:
    recordings_days: int | None
    transcripts_days: int | None
    payloads_days: int


@dataclass
class PurgeReport:
    """What one purge removed, per business."""

    recordings: dict[int, int] = field(default_factory=dict)
    transcripts: dict[int, int] = field(default_factory=dict)
    payloads: dict[int, int] = field(default_factory=dict)
    webhook_deliveries: dict[int, int] = field(default_factory=dict)
    deleted_calls: dict[int, int] = field(default_factory=dict)
    provider_failures: int = 0


def retention_settings(session: Session, *, principal: Principal) -> RetentionOut:
    """The organisation's retention choices; any member may read them."""
    return _out(_tenant(session, principal.require_member()))


def save_retention(
    session: Session, *, principal: Principal, recordings_days: int | None, transcripts_days: int | None,
    payloads_days: int,
) -> RetentionOut:  # fmt: skip
    """Admins choose how long recordings, transcripts and raw provider messages are kept; audited."""
    tenant_id = principal.require_admin()
    fields = {}
    if recordings_days not in RECORDING_CHOICES:
        fields["recordings_days"] = "Choose one of the offered periods for recordings."
    if transcripts_days not in TRANSCRIPT_CHOICES:
        fields["transcripts_days"] = "Choose one of the offered periods for transcripts."
    if payloads_days not in PAYLOAD_CHOICES:
        fields["payloads_days"] = "Raw provider messages are kept 7, 14 or 30 days."
    if fields:
        raise Invalid("Some retention periods are not offered.", fields=fields)
    tenant = _tenant(session, tenant_id)
    chosen = {"recordings_days": recordings_days, "transcripts_days": transcripts_days, "payloads_days": payloads_days}
    if _out(tenant) != RetentionOut(recordings_days, transcripts_days, payloads_days):
        tenant.retain_recordings_days, tenant.retain_transcripts_days = recordings_days, transcripts_days
        tenant.retain_payloads_days = payloads_days
        session.add(tenant)
        audit.record(session, action="retention_changed", tenant_id=tenant_id, user_id=principal.user_id, detail=chosen)
        session.commit()
    return _out(tenant)


def purge_due(session: Session, *, now: datetime | None = None) -> PurgeReport:
    """Delete every business's recordings, transcripts and raw messages that are past their retention."""
    now = now or utcnow()
    report = PurgeReport()
    tenants = session.exec(
        select(
            col(Tenant.id), col(Tenant.retain_recordings_days), col(Tenant.retain_transcripts_days),
            col(Tenant.retain_payloads_days),
        )
    ).all()  # fmt: skip
    session.rollback()
    for tenant_id, recording_days, transcript_days, payload_days in tenants:
        assert tenant_id is not None
        if recording_days is not None:
            removed, failed = _purge_recordings(
                session, tenant_id=tenant_id, before=now - timedelta(days=recording_days)
            )
            report.recordings[tenant_id], report.provider_failures = removed, report.provider_failures + failed
        if transcript_days is not None:
            cutoff = now - timedelta(days=transcript_days)
            report.transcripts[tenant_id] = _purge_transcripts(session, tenant_id=tenant_id, before=cutoff, now=now)
        days = min(payload_days or PAYLOAD_CEILING_DAYS, PAYLOAD_CEILING_DAYS)
        report.payloads[tenant_id] = _purge_payloads(session, tenant_id=tenant_id, before=now - timedelta(days=days))
        report.webhook_deliveries[tenant_id] = _purge_webhook_deliveries(
            session, tenant_id=tenant_id, before=now - timedelta(days=days)
        )
        counts = {
            "recordings": report.recordings.get(tenant_id, 0),
            "transcripts": report.transcripts.get(tenant_id, 0),
            "raw_messages": report.payloads.get(tenant_id, 0),
        }
        if report.webhook_deliveries.get(tenant_id):
            counts["webhook_deliveries"] = report.webhook_deliveries[tenant_id]
        if any(counts.values()):
            audit.record(session, action="retention_purged", tenant_id=tenant_id, detail=counts)
            session.commit()
    # Events no business owns (unresolved deliveries) have no one to choose longer: the ceiling applies.
    _purge_payloads(session, tenant_id=None, before=now - timedelta(days=PAYLOAD_CEILING_DAYS))
    report.deleted_calls, failed = _purge_deleted_calls(session, now=now)
    report.provider_failures += failed
    for tenant_id, purged in report.deleted_calls.items():
        audit.record(session, action="deleted_calls_purged", tenant_id=tenant_id, detail={"calls": purged})
    session.commit()
    return report


@periodic_task(crontab(hour="3", minute="17"))
def purge_expired_data() -> None:
    """Every night: delete what each business's retention says is due."""
    with session_scope() as session:
        report = purge_due(session)
    log.info(
        "retention: %d recording(s), %d transcript(s), %d raw message(s), %d deleted call(s) purged; "
        "%d provider failure(s)",
        sum(report.recordings.values()),
        sum(report.transcripts.values()),
        sum(report.payloads.values()),
        sum(report.deleted_calls.values()),
        report.provider_failures,
    )


def _purge_recordings(session: Session, *, tenant_id: int, before: datetime) -> tuple[int, int]:
    """Delete recordings of calls that ended before ``before``: at the provider, then AVA's copy."""
    removed = failed = 0
    skipped: set[int] = set()
    while True:
        query = (
            select(col(Call.id), col(Call.provider_call_id), col(Call.recording_url), col(Call.phone_number_id))
            .where(
                col(Call.tenant_id) == tenant_id,
                col(Call.ended_at) < before,
                col(Call.recording_url).is_not(None)
                | col(Call.id).in_(select(col(CallRecording.call_id)).where(col(CallRecording.tenant_id) == tenant_id)),
            )
            .order_by(col(Call.id))
            .limit(BATCH)
        )
        if skipped:
            query = query.where(col(Call.id).not_in(skipped))
        rows = session.exec(query).all()
        session.rollback()
        if not rows:
            return removed, failed
        done: list[int] = []
        for call_id, provider_call_id, recording_url, phone_number_id in rows:
            assert call_id is not None
            if deleted_at_provider(
                session,
                tenant_id=tenant_id,
                provider_call_id=provider_call_id,
                recording_url=recording_url,
                phone_number_id=phone_number_id,
            ):
                done.append(call_id)
            else:
                skipped.add(call_id)
                failed += 1
        if done:
            keys = recordings.detach_recordings(session, tenant_id=tenant_id, call_ids=done)
            session.exec(update(Call).where(col(Call.id).in_(done)).values(recording_url=None))
            session.commit()
            recordings.delete_unreferenced(session, keys=keys)
            removed += len(done)


def deleted_at_provider(
    session: Session,
    *,
    tenant_id: int,
    provider_call_id: str,
    recording_url: str | None = None,
    phone_number_id: int | None = None,
) -> bool:
    """Whether the call is gone at Vapi (deleted now, or unknown there), and its recording at Twilio if Twilio keeps
    one (``recording_url``, the call's number ``phone_number_id``); False when either could not be reached."""
    at_twilio = recordings.deleted_at_twilio(
        session, tenant_id=tenant_id, phone_number_id=phone_number_id, url=recording_url
    )
    return _deleted_at_vapi(session, tenant_id=tenant_id, provider_call_id=provider_call_id) and at_twilio


def _deleted_at_vapi(session: Session, *, tenant_id: int, provider_call_id: str) -> bool:
    try:
        uuid.UUID(provider_call_id)
    except ValueError:
        return True  # not a Vapi call: a sandbox test call, or a Twilio-only call (CallSid) whose audio AVA copied

    try:
        client = assistants.vapi_client(session, tenant_id=tenant_id)
        run_coroutine_sync(client.delete_call(call_id=provider_call_id))
    except NotFound:
        return True
    except ProviderError as exc:
        log.warning("retention: Vapi call %s not deleted yet: %s", provider_call_id, exc.message)
        return False
    return True


def _purge_deleted_calls(session: Session, *, now: datetime) -> tuple[dict[int, int], int]:
    """Purge deleted calls whose grace period is over, a batch at a time: at the providers, then AVA's snapshot and
    recording file. Returns the calls purged per business and how many a provider left for the next night."""
    purged: dict[int, int] = {}
    failed = 0
    skipped: set[int] = set()
    while True:
        query = (
            select(col(DeletedCall.id), col(DeletedCall.tenant_id), col(DeletedCall.snapshot))
            .where(col(DeletedCall.purge_after) <= now)
            .order_by(col(DeletedCall.id))
            .limit(BATCH)
        )
        if skipped:
            query = query.where(col(DeletedCall.id).not_in(skipped))
        rows = session.exec(query).all()
        session.rollback()
        if not rows:
            return purged, failed
        done: list[int] = []
        keys: list[str] = []
        for trashed_id, tenant_id, snapshot in rows:
            assert trashed_id is not None
            call = (snapshot or {}).get("call") or {}
            if deleted_at_provider(
                session,
                tenant_id=tenant_id,
                provider_call_id=str(call.get("provider_call_id") or ""),
                recording_url=call.get("recording_url"),
                phone_number_id=call.get("phone_number_id"),
            ):
                done.append(trashed_id)
                purged[tenant_id] = purged.get(tenant_id, 0) + 1
                key = ((snapshot or {}).get("recording") or {}).get("storage_key")
                if key:
                    keys.append(key)
            else:
                skipped.add(trashed_id)
                failed += 1
        if done:
            session.exec(delete(DeletedCall).where(col(DeletedCall.id).in_(done)))
            session.commit()
            recordings.delete_unreferenced(session, keys=sorted(set(keys)))


def _purge_transcripts(session: Session, *, tenant_id: int, before: datetime, now: datetime) -> int:
    """Clear what was said on calls that ended before ``before``; the calls themselves stay (and stay counted)."""
    purged = after = 0
    while True:
        ids = list(
            session.exec(
                select(col(Call.id))
                .where(
                    col(Call.tenant_id) == tenant_id,
                    col(Call.id) > after,
                    col(Call.ended_at) < before,
                    col(Call.content_purged_at).is_(None),
                )
                .order_by(col(Call.id))
                .limit(BATCH)
            ).all()
        )
        if not ids:
            session.rollback()
            return purged
        session.exec(delete(CallMessage).where(col(CallMessage.call_id).in_(ids)))
        # Topics stay: a word such as "appointment" says nothing of the caller, and clearing them would take the
        # call out of the topic rollup (its trigger), so an older period's "top topics" would read empty.
        session.exec(
            update(Call)
            .where(col(Call.id).in_(ids))
            .values(
                transcript="",
                summary=None,
                intent=None,
                data_fields=None,
                provider_analysis={},
                content_purged_at=now,
            )
        )
        session.commit()
        purged, after = purged + len(ids), ids[-1] or after


def _purge_payloads(session: Session, *, tenant_id: int | None, before: datetime) -> int:
    """Delete stored provider messages received before ``before``, a batch at a time."""
    owner = col(WebhookEvent.tenant_id).is_(None) if tenant_id is None else col(WebhookEvent.tenant_id) == tenant_id
    purged = after = 0
    while True:
        ids = list(
            session.exec(
                select(col(WebhookEvent.id))
                .where(owner, col(WebhookEvent.id) > after, col(WebhookEvent.received_at) < before)
                .order_by(col(WebhookEvent.id))
                .limit(BATCH)
            ).all()
        )
        if not ids:
            session.rollback()
            return purged
        session.exec(delete(WebhookEvent).where(col(WebhookEvent.id).in_(ids)))
        session.commit()
        purged, after = purged + len(ids), ids[-1] or after


def _purge_webhook_deliveries(session: Session, *, tenant_id: int, before: datetime) -> int:
    """Delete the business's finished webhook deliveries created before ``before``, a batch at a time."""
    purged = after = 0
    while True:
        ids = list(
            session.exec(
                select(col(WebhookDelivery.id))
                .where(
                    col(WebhookDelivery.tenant_id) == tenant_id,
                    col(WebhookDelivery.id) > after,
                    col(WebhookDelivery.created_at) < before,
                    col(WebhookDelivery.status).in_(("succeeded", "failed")),
                )
                .order_by(col(WebhookDelivery.id))
                .limit(BATCH)
            ).all()
        )
        if not ids:
            session.rollback()
            return purged
        session.exec(delete(WebhookDelivery).where(col(WebhookDelivery.id).in_(ids)))
        session.commit()
        purged, after = purged + len(ids), ids[-1] or after


def _tenant(session: Session, tenant_id: int) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("Organisation not found.")
    return tenant


def _out(tenant: Tenant) -> RetentionOut:
    return RetentionOut(
        recordings_days=tenant.retain_recordings_days,
        transcripts_days=tenant.retain_transcripts_days,
        payloads_days=min(tenant.retain_payloads_days or PAYLOAD_CEILING_DAYS, PAYLOAD_CEILING_DAYS),
    )

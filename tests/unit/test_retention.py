"""Retention: the nightly purge deletes old recordings (AVA's copy and the call at the Vapi emulator), old transcripts
and summaries, and old raw provider messages, in the business's own periods; the calls stay counted; only admins
choose the periods, for their own business."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from ava_app.models import (
    AuditLog,
    Call,
    CallMessage,
    CallRecording,
    CallRollup,
    CallTopicRollup,
    Tenant,
    WebhookEvent,
    utcnow,
)
from ava_app.services import recordings, retention
from ava_app.services.errors import Forbidden, Invalid
from ava_app.services.principal import Principal
from ava_app.services.providers.sandbox_keys import sandbox_keys
from ava_app.settings import get_settings
from tests.factories import make_call, make_tenant, make_user
from tests.unit.test_assistants import providers
from tests.unit.test_recordings import VAPI_URL, configure, provider

__all__ = ["configure", "provider", "providers"]

NOW = utcnow()


def old_call(db: Session, tenant: Tenant, *, days: int, said: str = "My name is Jo, call me back.") -> Call:
    """A call that ended ``days`` ago, with a transcript, lines, a summary, captured details and a recording URL."""
    call = make_call(
        db,
        tenant=tenant,
        minutes_ago=days * 24 * 60 + 3,
        duration=180,
        recording_url=VAPI_URL,
        transcript=f"User: {said}",
        summary=f"Jo asked for a call back ({days} days ago).",
        data_fields={"caller_name": "Jo"},
    )
    db.add(CallMessage(tenant_id=tenant.id, call_id=call.id, position=0, role="user", text=said))
    db.commit()
    return call


def at_vapi(providers, call: Call) -> None:
    """The call as the Vapi emulator keeps it, in the sandbox org."""
    sandbox = providers.vapi.state.sandbox
    org = sandbox.org_for(f"Bearer {sandbox_keys().vapi_api_key}")
    stamp = NOW.isoformat()
    sandbox.store.insert("call", {"id": call.provider_call_id, "orgId": org, "createdAt": stamp, "updatedAt": stamp})


def event(db: Session, tenant: Tenant | None, *, days: int) -> int:
    row = WebhookEvent(
        tenant_id=tenant.id if tenant else None,
        provider="vapi",
        event_type="status-update",
        dedupe_key=uuid.uuid4().hex,
        payload="{}",
        received_at=NOW - timedelta(days=days),
        processed_at=NOW - timedelta(days=days),
    )
    db.add(row)
    db.commit()
    assert row.id is not None
    return row.id


def rolled_up(db: Session, tenant: Tenant) -> int:
    """The tenant's calls as the dashboard's rollups count them."""
    return db.exec(select(func.coalesce(func.sum(CallRollup.calls), 0)).where(CallRollup.tenant_id == tenant.id)).one()


def stored_files() -> list:
    root = get_settings().recordings_dir
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_old_recordings_transcripts_and_raw_messages_go_and_the_calls_stay_counted(
    db,
    configure,
    provider,
    providers,
):
    provider()
    tenant = make_tenant(db, name="Keep Little", timezone="Europe/Paris")
    tenant.retain_recordings_days, tenant.retain_transcripts_days, tenant.retain_payloads_days = 30, 90, 7
    db.add(tenant)
    db.commit()
    ancient, middle, recent = (
        old_call(db, tenant, days=120),
        old_call(db, tenant, days=45),
        old_call(db, tenant, days=2),
    )
    for call in (ancient, middle, recent):
        at_vapi(providers, call)
        assert recordings.copy_recording(call_id=call.id) == "stored"
    old_event, new_event = event(db, tenant, days=10), event(db, tenant, days=3)
    counted = rolled_up(db, tenant)
    other = make_tenant(db, name="Keep Everything")
    kept = old_call(db, other, days=400)
    other_event = event(db, other, days=20)

    report = retention.purge_due(db, now=NOW)

    assert (report.recordings, report.transcripts) == ({tenant.id: 2}, {tenant.id: 1})
    assert report.payloads[tenant.id] == 1 and report.payloads[other.id] == 0 and report.provider_failures == 0
    db.expire_all()
    ancient, middle, recent, kept = (db.get(Call, call.id) for call in (ancient, middle, recent, kept))
    # Recordings older than 30 days: gone from AVA's store and from Vapi; the recent one stays in both.
    assert (ancient.recording_url, middle.recording_url, recent.recording_url) == (None, None, VAPI_URL)
    rows = db.exec(select(CallRecording.call_id)).all()
    assert sorted(rows) == [recent.id]
    assert len(stored_files()) == 1, "calls share one audio file until the last one goes"
    store = providers.vapi.state.sandbox.store
    assert store.get("call", ancient.provider_call_id) is None and store.get("call", middle.provider_call_id) is None
    assert store.get("call", recent.provider_call_id) is not None
    # Transcripts older than 90 days: cleared; the call row stays.
    assert (ancient.transcript, ancient.summary, ancient.data_fields, ancient.content_purged_at) == (
        "",
        None,
        None,
        NOW,
    )
    assert db.exec(select(CallMessage).where(CallMessage.call_id == ancient.id)).all() == []
    assert middle.transcript.startswith("User:") and middle.content_purged_at is None
    assert kept.transcript.startswith("User:") and kept.recording_url == VAPI_URL
    # Raw messages: the business's 7 days; the other business's 30-day ceiling.
    assert db.get(WebhookEvent, old_event) is None and db.get(WebhookEvent, new_event) is not None
    assert db.get(WebhookEvent, other_event) is not None
    assert rolled_up(db, tenant) == counted == 3, "the dashboard's counts do not change"
    assert len(db.exec(select(Call).where(Call.tenant_id == tenant.id)).all()) == 3
    (line,) = db.exec(select(AuditLog).where(AuditLog.action == "retention_purged")).all()
    assert line.tenant_id == tenant.id and line.detail == {"recordings": 2, "transcripts": 1, "raw_messages": 1}

    # A second night finds nothing more to do.
    again = retention.purge_due(db, now=NOW)
    assert sum(again.recordings.values()) == sum(again.transcripts.values()) == sum(again.payloads.values()) == 0


def test_a_provider_that_cannot_be_reached_keeps_the_recording_for_the_next_night(
    db,
    configure,
    provider,
    providers,
):
    provider()
    tenant = make_tenant(db, name="Outage Day")
    tenant.retain_recordings_days = 7
    db.add(tenant)
    db.commit()
    call = old_call(db, tenant, days=30)
    at_vapi(providers, call)
    assert recordings.copy_recording(call_id=call.id) == "stored"

    providers.down.add("vapi")
    report = retention.purge_due(db, now=NOW)
    assert report.recordings == {tenant.id: 0} and report.provider_failures == 1
    db.expire_all()
    assert db.get(Call, call.id).recording_url == VAPI_URL and len(stored_files()) == 1

    providers.down.clear()
    assert retention.purge_due(db, now=NOW).recordings == {tenant.id: 1}
    db.expire_all()
    assert db.get(Call, call.id).recording_url is None and stored_files() == []


def test_raw_messages_no_business_owns_go_after_the_ceiling(db):
    stray_old, stray_new = event(db, None, days=31), event(db, None, days=29)
    retention.purge_due(db, now=NOW)
    db.expire_all()
    assert db.get(WebhookEvent, stray_old) is None and db.get(WebhookEvent, stray_new) is not None


def test_only_admins_choose_periods_from_the_offered_ones_for_their_own_business(db):
    first, second = make_tenant(db, name="First"), make_tenant(db, name="Second")
    viewer = Principal(user_id=make_user(db, tenant=first, role="viewer").id, tenant_id=first.id, role="viewer")
    admin = Principal(user_id=make_user(db, tenant=second).id, tenant_id=second.id, role="admin")
    with pytest.raises(Forbidden):
        retention.save_retention(db, principal=viewer, recordings_days=30, transcripts_days=None, payloads_days=30)
    with pytest.raises(Invalid) as refused:
        retention.save_retention(db, principal=admin, recordings_days=3, transcripts_days=None, payloads_days=60)
    assert set(refused.value.details["fields"]) == {"recordings_days", "payloads_days"}

    saved = retention.save_retention(db, principal=admin, recordings_days=30, transcripts_days=365, payloads_days=14)
    assert saved == retention.RetentionOut(30, 365, 14)
    db.expire_all()
    assert retention.retention_settings(db, principal=viewer) == retention.RetentionOut(None, None, 30)
    line = db.exec(select(AuditLog).where(AuditLog.action == "retention_changed")).one()
    assert line.tenant_id == second.id and line.detail["transcripts_days"] == 365


def test_batches_walk_on_by_id_and_keep_the_calls_topics(db, monkeypatch):
    # Batches of two over five due calls and five due messages: each batch starts after the last one's ids.
    monkeypatch.setattr(retention, "BATCH", 2)
    tenant = make_tenant(db, name="Many Batches")
    tenant.retain_transcripts_days, tenant.retain_payloads_days = 30, 7
    db.add(tenant)
    db.commit()
    calls = []
    for days in (40, 50, 60, 70, 80):
        call = old_call(db, tenant, days=days)
        call.recording_url, call.topics = None, ["appointment"]
        db.add(call)
        calls.append(call)
    db.commit()
    events = [event(db, tenant, days=days) for days in (8, 9, 10, 11, 12)]
    topics_before = db.exec(
        select(func.coalesce(func.sum(CallTopicRollup.calls), 0)).where(CallTopicRollup.tenant_id == tenant.id)
    ).one()

    report = retention.purge_due(db, now=NOW)

    assert report.transcripts[tenant.id] == 5 and report.payloads[tenant.id] == 5
    db.expire_all()
    assert all(db.get(Call, call.id).content_purged_at == NOW for call in calls)
    assert all(db.get(WebhookEvent, event_id) is None for event_id in events)
    # A topic word says nothing of the caller: the calls keep theirs, and older periods' top topics stay right.
    assert all(db.get(Call, call.id).topics == ["appointment"] for call in calls)
    topics_after = db.exec(
        select(func.coalesce(func.sum(CallTopicRollup.calls), 0)).where(CallTopicRollup.tenant_id == tenant.id)
    ).one()
    assert topics_after == topics_before == 5

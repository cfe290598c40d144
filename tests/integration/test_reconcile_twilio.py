"""Reconciliation of the calls AVA answers through Twilio itself (forward, voicemail): a final status callback that
never arrived is applied from Twilio's call records, read through the real SDK from the Twilio emulator."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, update
from sqlmodel import col, select

from ava_app.models import Call, Outbox, WebhookEvent, utcnow
from ava_app.sandbox.twilio.app import create_twilio_emulator
from ava_app.services import reconcile
from ava_app.services.providers import twilio as tw
from ava_app.services.providers.sandbox_keys import SANDBOX_ACCOUNT_SID
from ava_app.settings import get_settings
from tests.factories import make_call, make_phone_number, make_tenant, make_user
from tests.servers import serve_app

CALLER = "+16505550142"


@pytest.fixture()
def twilio_calls(engine, monkeypatch):
    """The Twilio emulator on a free port as the sandbox account AVA's SDK client uses; yields its state."""
    for name in ("AVA_TWILIO_ACCOUNT_SID", "AVA_TWILIO_AUTH_TOKEN"):
        monkeypatch.setenv(name, "")
    get_settings.cache_clear()
    app = create_twilio_emulator()
    with serve_app(app) as base_url:
        tw.set_sandbox_base_url(base_url)
        yield app.state.emulator
        tw.set_sandbox_base_url(None)
    get_settings.cache_clear()


def _forwarded(db, tenant, number, sid: str, **fields) -> Call:
    """A call AVA answered with a forward (its voice event stored), last seen in progress."""
    db.add(
        WebhookEvent(
            tenant_id=tenant.id,
            provider="twilio",
            event_type="voice:forward",
            dedupe_key=f"twilio:{sid}:voice",
            provider_call_id=sid,
            payload="",
            received_at=utcnow(),
            processed_at=utcnow(),
        )
    )
    db.commit()
    call = make_call(
        db, tenant=tenant, provider_call_id=sid, phone_number_id=number.id, status="in-progress", outcome=None, **fields
    )
    # Live: no end, no duration, no cost yet (the factory makes ended calls).
    db.exec(update(Call).where(col(Call.id) == call.id).values(ended_at=None, duration_seconds=None, cost=None))
    db.commit()
    return call


def _state(db) -> tuple:
    db.expire_all()
    calls = sorted(db.exec(select(Call.provider_call_id, Call.status, Call.outcome, Call.email_status)).all())
    return calls, db.exec(select(func.count()).select_from(Outbox)).one()


def test_lost_final_callbacks_are_applied_from_twilios_call_records(db, twilio_calls, jobs, smtp_env):
    tenant = make_tenant(db, name="Garage Martin")
    make_user(db, tenant=tenant, email="owner@garage.test")
    number = make_phone_number(
        db, tenant=tenant, provider="twilio", twilio_sid="PN" + "1" * 32, twilio_account_sid=SANDBOX_ACCOUNT_SID
    )
    now, clock = utcnow(), time.time()

    def record(status: str, *, minutes_ago: float, duration: int = 0) -> str:
        kept = twilio_calls.record_call(
            SANDBOX_ACCOUNT_SID,
            to=number.e164,
            from_=CALLER,
            status=status,
            start_time=clock - minutes_ago * 60,
            duration=duration,
        )
        return kept["sid"]

    forwarded = record("completed", minutes_ago=60, duration=95)
    _forwarded(db, tenant, number, forwarded)
    unanswered = record("no-answer", minutes_ago=40)  # every request of this call was lost: AVA has nothing
    live = record("in-progress", minutes_ago=2)
    done = record("completed", minutes_ago=30, duration=40)
    make_call(db, tenant=tenant, provider_call_id=done, phone_number_id=number.id)
    old = record("completed", minutes_ago=30 * 60, duration=300)  # outside the window: found as a stuck call
    _forwarded(db, tenant, number, old, updated_at=now - timedelta(hours=29))

    first = reconcile.reconcile_once(now=now)

    assert first.failures == [] and sorted(first.twilio_applied) == sorted([forwarded, unanswered, old])
    db.expire_all()
    rows = {row.provider_call_id: row for row in db.exec(select(Call)).all()}
    assert live not in rows
    ended = rows[forwarded]
    assert (ended.status, ended.outcome, ended.duration_seconds) == ("ended", "forwarded", 95)
    assert (rows[unanswered].status, rows[unanswered].outcome) == ("ended", "missed")
    assert rows[unanswered].action_needed and rows[unanswered].caller_number == CALLER
    assert (rows[old].status, rows[old].outcome, rows[old].duration_seconds) == ("ended", "forwarded", 300)
    keys = db.exec(select(Outbox.dedupe_key).where(col(Outbox.dedupe_key).startswith("call-summary:"))).all()
    emails = Counter(int(str(key).split(":")[1]) for key in keys)
    assert {emails[rows[sid].id] for sid in (forwarded, unanswered, old)} == {1}

    before = _state(db)
    again = reconcile.reconcile_once(now=now)
    assert (again.twilio_applied, again.failures) == ([], [])
    assert _state(db) == before

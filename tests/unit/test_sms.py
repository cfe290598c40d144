"""Text messages through the outbox: queue_sms, the delivery job against the Twilio emulator, opt-outs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from ava_app.models import Outbox, PhoneNumber, SmsOptOut, Tenant
from ava_app.sandbox.twilio.app import create_twilio_emulator
from ava_app.services.async_bridge import run_coroutine_sync
from ava_app.services.errors import Invalid, ProviderUnavailable
from ava_app.services.messaging import outbox, sms
from ava_app.services.providers import twilio as tw
from ava_app.settings import get_settings
from tests.servers import serve_app

CALLER = "+14155550177"


@pytest.fixture()
def emulator(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator:
    """The Twilio emulator served locally, with the platform (sandbox) account owning AVA's numbers."""
    monkeypatch.setenv("AVA_DATA_DIR", str(tmp_path))
    for name in ("AVA_TWILIO_ACCOUNT_SID", "AVA_TWILIO_AUTH_TOKEN", "AVA_TWILIO_VERIFY_SERVICE_SID"):
        monkeypatch.setenv(name, "")
    get_settings.cache_clear()
    app = create_twilio_emulator()
    with serve_app(app) as base_url:
        tw.set_sandbox_base_url(base_url)
        yield app.state.emulator
        tw.set_sandbox_base_url(None)
    get_settings.cache_clear()


def _tenant_with_number(db: Session, name: str, e164: str) -> tuple[int, str]:
    bought = run_coroutine_sync(tw.purchase_number(phone_number=e164))
    tenant = Tenant(name=name)
    db.add(tenant)
    db.commit()
    assert tenant.id is not None
    db.add(
        PhoneNumber(
            tenant_id=tenant.id,
            e164=e164,
            provider="twilio",
            twilio_sid=bought["sid"],
            twilio_account_sid=bought["account_sid"],
        )
    )
    db.commit()
    return tenant.id, e164


def _row(db: Session, outbox_id: int) -> Outbox:
    row = db.get(Outbox, outbox_id, populate_existing=True)
    assert row is not None
    return row


def test_queued_sms_is_sent_from_the_tenants_number(db, emulator, jobs):
    tenant_id, number = _tenant_with_number(db, "Bright Smile", "+14155550160")
    outbox_id = sms.queue_sms(db, tenant_id=tenant_id, to=CALLER, body="Booked: Monday 9:00.", dedupe_key="b-1")
    assert outbox_id is not None
    row = _row(db, outbox_id)
    assert (row.channel, row.status, row.attempts, row.sent_at is not None) == ("sms", "sent", 1, True)
    assert emulator.delivered == [(CALLER, "Booked: Monday 9:00.")]
    assert [m["from"] for m in emulator.messages(emulator_sid(emulator))] == [number]
    # The same dedupe key is the same message, not a second text.
    assert sms.queue_sms(db, tenant_id=tenant_id, to=CALLER, body="Booked: Monday 9:00.", dedupe_key="b-1") == outbox_id
    assert len(emulator.delivered) == 1


def emulator_sid(emulator) -> str:
    return next(iter(emulator.accounts))


def test_opted_out_number_is_not_queued_and_only_for_that_tenant(db, emulator, jobs):
    tenant_a, _ = _tenant_with_number(db, "A", "+14155550161")
    tenant_b, _ = _tenant_with_number(db, "B", "+14155550162")
    sms.record_opt_out(db, tenant_id=tenant_a, phone=CALLER)
    sms.record_opt_out(db, tenant_id=tenant_a, phone=CALLER)  # idempotent
    assert sms.queue_sms(db, tenant_id=tenant_a, to=CALLER, body="Hello", dedupe_key=None) is None
    assert db.exec(select(Outbox)).all() == []
    sent = sms.queue_sms(db, tenant_id=tenant_b, to=CALLER, body="Hello from B", dedupe_key=None)
    assert sent is not None and _row(db, sent).status == "sent"
    sms.remove_opt_out(db, tenant_id=tenant_a, phone=CALLER)
    again = sms.queue_sms(db, tenant_id=tenant_a, to=CALLER, body="Hello again", dedupe_key=None)
    assert again is not None and _row(db, again).status == "sent"


def test_twilio_21610_records_the_opt_out_and_is_not_retried(db, emulator, jobs):
    tenant_id, number = _tenant_with_number(db, "C", "+14155550163")
    # The caller replied STOP to the number directly at Twilio; AVA has not heard of it yet.
    emulator.set_opt_out(number, CALLER, opted_out=True)
    outbox_id = sms.queue_sms(db, tenant_id=tenant_id, to=CALLER, body="Reminder", dedupe_key=None)
    assert outbox_id is not None
    row = _row(db, outbox_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error == sms.OPTED_OUT_ERROR
    assert sms.is_opted_out(db, tenant_id=tenant_id, phone=CALLER)
    assert db.exec(select(SmsOptOut)).one().tenant_id == tenant_id
    assert emulator.delivered == []


def test_429_is_retried_with_backoff_then_sent(db, emulator):
    tenant_id, _ = _tenant_with_number(db, "D", "+14155550164")
    row = outbox.queue_message(db, channel="sms", to=CALLER, body_text="Your visit", tenant_id=tenant_id)
    assert row.id is not None
    emulator.fail_next(status=429, retry_after=7)
    with pytest.raises(ProviderUnavailable) as caught:
        sms.deliver_sms(db, outbox_id=row.id)
    assert caught.value.details["retry_in"] >= 60
    stored = _row(db, row.id)
    assert (stored.status, stored.attempts, stored.next_attempt_at is not None) == ("queued", 1, True)
    assert "twilio_unavailable" in (stored.last_error or "")
    assert sms.deliver_sms(db, outbox_id=row.id)["status"] == "sent"
    assert emulator.delivered == [(CALLER, "Your visit")]
    # A sent row is never sent twice.
    assert sms.deliver_sms(db, outbox_id=row.id) == {"id": row.id, "status": "sent", "attempts": 2}
    assert len(emulator.delivered) == 1


def test_empty_or_incomplete_bodies_are_never_sent(db, emulator, jobs):
    tenant_id, _ = _tenant_with_number(db, "E", "+14155550165")
    for body in ("", "   ", "Hello {first_name}", "x" * 1601):
        with pytest.raises(Invalid):
            sms.queue_sms(db, tenant_id=tenant_id, to=CALLER, body=body, dedupe_key=None)
    with pytest.raises(Invalid):
        sms.queue_sms(db, tenant_id=tenant_id, to="0612345678", body="Hi", dedupe_key=None)
    # A row that reached the outbox some other way incomplete is failed, not sent.
    row = outbox.queue_message(db, channel="sms", to=CALLER, body_text="Dear {{ name }}", tenant_id=tenant_id)
    assert row.id is not None
    assert sms.deliver_sms(db, outbox_id=row.id)["status"] == "failed"
    assert emulator.delivered == []


def test_tenant_without_a_twilio_number_fails_cleanly(db, emulator, jobs):
    tenant = Tenant(name="No number")
    db.add(tenant)
    db.commit()
    assert tenant.id is not None
    outbox_id = sms.queue_sms(db, tenant_id=tenant.id, to=CALLER, body="Hi", dedupe_key=None)
    assert outbox_id is not None
    row = _row(db, outbox_id)
    assert (row.status, row.last_error) == ("failed", "no active Twilio number to text from")


def test_sandbox_sms_shows_once_in_the_dev_outbox(db, monkeypatch, tmp_path, jobs):
    from ava_app.sandbox.twilio.app import deliver_code_to_outbox

    monkeypatch.setenv("AVA_DATA_DIR", str(tmp_path))
    for name in ("AVA_TWILIO_ACCOUNT_SID", "AVA_TWILIO_AUTH_TOKEN", "AVA_TWILIO_VERIFY_SERVICE_SID"):
        monkeypatch.setenv(name, "")
    get_settings.cache_clear()
    app = create_twilio_emulator(deliver_code=deliver_code_to_outbox)
    with serve_app(app) as base_url:
        tw.set_sandbox_base_url(base_url)
        try:
            tenant_id, _ = _tenant_with_number(db, "Outbox", "+14155550166")
            outbox_id = sms.queue_sms(db, tenant_id=tenant_id, to=CALLER, body="See you Monday", dedupe_key=None)
            # A text sent through the emulator by someone else than AVA's SMS delivery still shows.
            run_coroutine_sync(tw.send_message(to="+14155550178", from_="+14155550166", body="Direct"))
        finally:
            tw.set_sandbox_base_url(None)
            get_settings.cache_clear()
    listed = outbox.list_messages(db, channels=("sms",))
    assert [(m["id"] == outbox_id, m["to"], m["body_text"], m["status"]) for m in listed] == [
        (False, "+14155550178", "Direct", "queued"),
        (True, CALLER, "See you Monday", "sent"),
    ]


def test_sweep_finds_lost_texts_of_an_organisation_only(db, emulator):
    from datetime import timedelta

    from ava_app.models import utcnow

    tenant_id, _ = _tenant_with_number(db, "Sweep", "+14155550167")
    lost = outbox.queue_message(db, channel="sms", to=CALLER, body_text="Lost job", tenant_id=tenant_id)
    outbox.queue_message(db, channel="sms", to=CALLER, body_text="Your code is 123456")  # a sandbox Verify copy
    outbox.queue_message(db, channel="email", to="a@example.com", body_text="Mail", tenant_id=tenant_id)
    later = utcnow() + timedelta(minutes=5)
    assert sms.stale_sms_ids(db, now=later) == [lost.id]
    assert sms.stale_sms_ids(db) == []

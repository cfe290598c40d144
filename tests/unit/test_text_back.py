"""Missed-call and after-hours text-back: who is texted, in which language, how often, and who may turn it on; the
texts go through the SMS outbox to the Twilio emulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from ava_app.models import Assistant, AuditLog, PhoneNumber, SmsOptOut, Tenant
from ava_app.services import post_call, text_back
from ava_app.services.async_bridge import run_coroutine_sync
from ava_app.services.errors import Forbidden
from ava_app.services.principal import Principal
from ava_app.services.providers import twilio as tw
from tests.factories import make_call, make_user
from tests.unit.test_sms import emulator

__all__ = ["emulator"]

CALLER = "+16505550199"
# Wednesday 4 June 2025 in San Francisco: 10:00 (open) and 21:00 (closed), in UTC.
OPEN_TIME = datetime(2025, 6, 4, 17, 0, tzinfo=UTC)
CLOSED_TIME = datetime(2025, 6, 5, 4, 0, tzinfo=UTC)


@pytest.fixture()
def dental(db, vapi_business, emulator, jobs):
    """The contract business with a Twilio number to text from, text-back on for missed calls."""
    tenant, assistant, number = vapi_business
    bought = run_coroutine_sync(tw.purchase_number(phone_number=number.e164))
    line = db.get(PhoneNumber, number.id)
    line.twilio_sid, line.twilio_account_sid, line.provider = bought["sid"], bought["account_sid"], "twilio"
    row = db.get(Tenant, tenant.id)
    row.text_back_missed = True
    db.commit()
    return row, assistant, line


def ended(db, tenant, line, *, at: datetime = OPEN_TIME, **fields):
    fields.setdefault("outcome", "missed")
    call = make_call(db, tenant=tenant, phone_number_id=line.id, **fields)
    call.started_at, call.ended_at = at, at + timedelta(seconds=8)
    db.add(call)
    db.commit()
    return call


def texts_to(emulator, number: str = CALLER) -> list[str]:
    return [body for to, body in emulator.delivered if to == number]


def test_a_missed_caller_is_texted_back_once_a_day_from_the_business_number(db, dental, emulator):
    tenant, _assistant, line = dental
    call = ended(db, tenant, line)
    post_call.process_call(db, call_id=call.id)
    (text,) = texts_to(emulator)
    assert text.startswith("Sorry we missed your call to Bright Smile Dental. Reply to this text or call us back on ")
    assert "(415) 555-0142" in text and text.endswith("Reply STOP to stop these texts.")
    # A second missed call the same day: no second text.
    post_call.process_call(db, call_id=ended(db, tenant, line, at=OPEN_TIME + timedelta(hours=2)).id)
    assert len(texts_to(emulator)) == 1


def test_the_text_speaks_the_calls_language(db, dental, emulator):
    tenant, assistant, line = dental
    row = db.get(Assistant, assistant.id)
    row.language = "fr"
    db.commit()
    text_back.text_back_after_call(db, call=ended(db, tenant, line, assistant_id=assistant.id))
    (text,) = texts_to(emulator)
    assert text.startswith("Désolés d'avoir manqué votre appel à Bright Smile Dental.")


@pytest.mark.parametrize(
    "fields",
    [
        {"outcome": "answered"},  # helped: nothing to make up for
        {"caller_number": None},  # withheld
        {"caller_number": "+18005550199"},  # toll-free: not someone's phone
        {"caller_number": "+19005550123"},  # premium-rate
        {"call_type": "test"},  # the owner's own test call
        {"spam": True, "spam_source": "owner"},  # marked spam
    ],
)
def test_no_text_when_a_rule_says_no(db, dental, emulator, fields):
    tenant, _assistant, line = dental
    assert text_back.text_back_after_call(db, call=ended(db, tenant, line, **fields)) is None
    assert emulator.delivered == []


def test_nothing_while_off_and_nothing_to_a_number_that_said_stop(db, dental, emulator):
    tenant, _assistant, line = dental
    db.add(SmsOptOut(tenant_id=tenant.id, phone=CALLER))
    db.commit()
    text_back.text_back_after_call(db, call=ended(db, tenant, line))
    assert texts_to(emulator) == []  # queued, then refused by the outbox: the caller said STOP
    tenant.text_back_missed = False
    db.add(tenant)
    db.commit()
    assert text_back.text_back_after_call(db, call=ended(db, tenant, line, caller_number="+16505550111")) is None


def test_after_hours_text_back_follows_the_lines_hours(db, dental, emulator):
    tenant, _assistant, line = dental
    tenant.text_back_missed, tenant.text_back_after_hours = False, True
    db.add(tenant)
    db.commit()
    assert text_back.text_back_after_call(db, call=ended(db, tenant, line, outcome="answered")) is None  # open
    said = text_back.text_back_after_call(db, call=ended(db, tenant, line, outcome="voicemail", at=CLOSED_TIME))
    assert said is not None and said.startswith("Thanks for calling Bright Smile Dental. We are closed right now;")
    assert texts_to(emulator) == [said]


def test_a_number_that_called_with_spam_before_is_never_texted(db, dental, emulator):
    tenant, _assistant, line = dental
    ended(db, tenant, line, outcome="answered", spam=True, spam_source="summary", at=OPEN_TIME - timedelta(days=3))
    assert text_back.text_back_after_call(db, call=ended(db, tenant, line)) is None
    # Another caller's missed call is texted as usual.
    assert text_back.text_back_after_call(db, call=ended(db, tenant, line, caller_number="+16505550111"))


def test_after_hours_a_robocall_is_judged_by_its_summary_before_any_text(db, dental, emulator):
    tenant, _assistant, line = dental
    tenant.text_back_missed, tenant.text_back_after_hours = False, True
    db.add(tenant)
    db.commit()
    pitch = "AI: Hello, you reached Bright Smile Dental.\nUser: This is a recorded message about your Google listing."
    robocall = ended(db, tenant, line, outcome="answered", at=CLOSED_TIME, duration=20, transcript=pitch)
    post_call.process_call(db, call_id=robocall.id)
    db.refresh(robocall)
    assert robocall.spam and robocall.summary_status == "done"
    assert texts_to(emulator) == []
    # A real caller after hours, the same night: the text follows the summary.
    asking = "AI: Hello, you reached Bright Smile Dental.\nUser: Hi, can I move my cleaning to next week?"
    real = ended(db, tenant, line, outcome="answered", at=CLOSED_TIME, caller_number="+16505550111", transcript=asking)
    post_call.process_call(db, call_id=real.id)
    (text,) = texts_to(emulator, "+16505550111")
    assert text.startswith("Thanks for calling Bright Smile Dental. We are closed right now;")


def test_only_admins_turn_it_on_and_the_change_is_audited(db, dental):
    tenant, _assistant, _line = dental
    admin = make_user(db, tenant=tenant, role="admin")
    viewer = make_user(db, tenant=tenant, role="viewer", email="viewer@dental.example")
    as_admin = Principal(user_id=admin.id, tenant_id=tenant.id, role="admin")
    as_viewer = Principal(user_id=viewer.id, tenant_id=tenant.id, role="viewer")
    assert text_back.get_text_back(db, principal=as_viewer) == text_back.TextBackOut(True, False, False)
    with pytest.raises(Forbidden):
        text_back.save_text_back(db, principal=as_viewer, missed=False, after_hours=True)
    saved = text_back.save_text_back(db, principal=as_admin, missed=False, after_hours=True)
    assert saved == text_back.TextBackOut(False, True, True)
    (entry,) = db.exec(select(AuditLog).where(AuditLog.action == "text_back_changed")).all()
    assert entry.tenant_id == tenant.id and entry.detail == {"missed": False, "after_hours": True}

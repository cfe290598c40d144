"""Text alerts to members: chosen on the notifications page (a confirmed mobile needed, quiet hours checked), sent
after the call's summary to each member who asked, never in their quiet hours, once per call."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from ava_app.models import User, utcnow
from ava_app.services import member_alerts, notification_settings, post_call
from ava_app.services.async_bridge import run_coroutine_sync
from ava_app.services.errors import Invalid
from ava_app.services.principal import Principal
from ava_app.services.providers import twilio as tw
from tests.factories import make_call, make_phone_number, make_tenant, make_user
from tests.unit.test_sms import emulator

__all__ = ["emulator"]

OWNER_MOBILE = "+16505550123"
VIEWER_MOBILE = "+16505550124"


@pytest.fixture()
def bakery(db, emulator, jobs):
    """Corner Bakery (UTC) with a Twilio number to text from; the owner and a viewer with confirmed mobiles."""
    tenant = make_tenant(db, name="Corner Bakery", timezone="UTC", country="US")
    bought = run_coroutine_sync(tw.purchase_number(phone_number="+14155550177"))
    make_phone_number(
        db, tenant=tenant, e164="+14155550177", provider="twilio", twilio_sid=bought["sid"],
        twilio_account_sid=bought["account_sid"],
    )  # fmt: skip
    owner = make_user(db, tenant=tenant, email="owner@corner.test", phone=OWNER_MOBILE, phone_verified_at=utcnow())
    viewer = make_user(
        db, tenant=tenant, role="viewer", email="viewer@corner.test", phone=VIEWER_MOBILE, phone_verified_at=utcnow()
    )
    return tenant, owner, viewer


def principal(user: User, tenant, role: str) -> Principal:
    return Principal(user_id=user.id, tenant_id=tenant.id, role=role)


def choose(db, user, tenant, role, sms, quiet=("", "")):
    return notification_settings.save_notification_preferences(
        db, principal=principal(user, tenant, role), per_call="every", digest=False, sms=sms,
        quiet_from=quiet[0], quiet_until=quiet[1],
    )  # fmt: skip


def texts_to(emulator, number: str) -> list[str]:
    return [body for to, body in emulator.delivered if to == number]


def test_each_member_gets_the_texts_they_chose_after_the_summary(db, bakery, emulator):
    tenant, owner, viewer = bakery
    assert choose(db, owner, tenant, "admin", "every").sms == "every"
    choose(db, viewer, tenant, "viewer", "action")

    calm = make_call(db, tenant=tenant, transcript="User: Do you sell rye bread?\nAI: Yes, every day.")
    post_call.process_call(db, call_id=calm.id)
    (text,) = texts_to(emulator, OWNER_MOBILE)
    assert text.startswith("Corner Bakery: call from (650) 555-0199.")
    assert text.endswith(f"/calls/{calm.id}")
    assert texts_to(emulator, VIEWER_MOBILE) == []  # only calls needing action

    urgent = make_call(db, tenant=tenant, action_needed=True, transcript="User: Please call me back, it's urgent.")
    post_call.process_call(db, call_id=urgent.id)
    post_call.process_call(db, call_id=urgent.id)  # a retried job texts nothing more
    assert len(texts_to(emulator, OWNER_MOBILE)) == 2
    (alert,) = texts_to(emulator, VIEWER_MOBILE)
    assert alert.startswith("Corner Bakery: a caller needs you. Call from (650) 555-0199.")


def test_quiet_hours_hold_texts_back_over_midnight(db, bakery):
    tenant, owner, _viewer = bakery
    choose(db, owner, tenant, "admin", "every", ("22:00", "07:00"))
    call = make_call(db, tenant=tenant)
    assert member_alerts.alert_members(db, call=call, now=datetime(2026, 12, 6, 23, 30, tzinfo=UTC)) == 0
    assert member_alerts.alert_members(db, call=call, now=datetime(2026, 12, 6, 6, 59, tzinfo=UTC)) == 0
    assert member_alerts.alert_members(db, call=call, now=datetime(2026, 12, 6, 7, 0, tzinfo=UTC)) == 1
    assert member_alerts.quiet(time(13, 0), "12:00", "14:00") and not member_alerts.quiet(time(14, 0), "12:00", "14:00")


def test_texts_need_a_confirmed_mobile_and_sane_quiet_hours(db, bakery):
    tenant, owner, _viewer = bakery
    stranger = make_user(db, tenant=tenant, role="viewer", email="new@corner.test")
    read = notification_settings.get_notification_settings(db, principal=principal(stranger, tenant, "viewer"))
    assert (read.sms, read.phone) == ("never", "")
    with pytest.raises(Invalid) as refused:
        choose(db, stranger, tenant, "viewer", "every")
    assert refused.value.code == "notify_sms_no_phone"
    for quiet in (("22:00", ""), ("25:00", "07:00"), ("08:00", "08:00")):
        with pytest.raises(Invalid) as bad:
            choose(db, owner, tenant, "admin", "every", quiet)
        assert bad.value.code == "notify_quiet_hours"
    assert choose(db, owner, tenant, "admin", "every", ("22:00", "07:00")).phone == "(650) 555-0123"


def test_test_calls_text_no_one(db, bakery):
    tenant, owner, _viewer = bakery
    choose(db, owner, tenant, "admin", "every")
    assert member_alerts.alert_members(db, call=make_call(db, tenant=tenant, call_type="test")) == 0

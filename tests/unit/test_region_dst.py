"""The business's zone across the 2026 clock changes: Europe/Paris (29 March, 25 October) and America/New_York
(8 March, 1 November). Open/closed routing, the summary email, the daily digest and the dashboard's hours all follow
local time, the day after each change as on any other day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from ava_app.models import Call, Membership, Outbox
from ava_app.services import phones, post_call
from ava_app.services.analytics import dashboard_summary
from ava_app.services.principal import Principal
from tests.factories import make_assistant, make_call, make_tenant, make_user
from tests.unit.vapi_messages import load, send

OPEN_ALL_WEEK = {
    day: [{"open": "08:00", "close": "18:00"}] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}
# (zone, day of the change, the day after, expected offset the day after)
CHANGES = [
    ("Europe/Paris", date(2026, 3, 29), timedelta(hours=2)),
    ("Europe/Paris", date(2026, 10, 25), timedelta(hours=1)),
    ("America/New_York", date(2026, 3, 8), timedelta(hours=-4)),
    ("America/New_York", date(2026, 11, 1), timedelta(hours=-5)),
]
IDS = ["paris-spring", "paris-autumn", "new-york-spring", "new-york-autumn"]


def local(zone: str, day: date, clock: time) -> datetime:
    """A local wall-clock moment as UTC (what the server sees)."""
    return datetime.combine(day, clock, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _region(tenant, db, zone: str) -> None:
    tenant.timezone = zone
    tenant.country, tenant.locale = ("FR", "fr") if zone.startswith("Europe") else ("US", "en")
    db.add(tenant)
    db.commit()


@pytest.mark.parametrize(("zone", "change", "offset"), CHANGES, ids=IDS)
def test_open_at_half_past_five_closed_at_half_past_six_the_day_after(db, vapi_business, zone, change, offset):
    tenant, _, number = vapi_business
    _region(tenant, db, zone)
    number.business_hours, number.holidays = OPEN_ALL_WEEK, []
    db.add(number)
    db.commit()
    day_after = change + timedelta(days=1)
    assert datetime.combine(day_after, time(12), tzinfo=ZoneInfo(zone)).utcoffset() == offset

    def is_open(clock: time) -> str:
        body = load("assistant-request")
        response = send(db, body, now=local(zone, day_after, clock)).response
        return response["assistantOverrides"]["variableValues"]["isOpen"]

    assert is_open(time(17, 30)) == "yes"
    assert is_open(time(18, 30)) == "no"
    assert is_open(time(7, 30)) == "no"
    assert is_open(time(8, 30)) == "yes"


@pytest.fixture()
def owner_of(db):
    def make(zone: str):
        tenant = make_tenant(db, name="Salon", timezone=zone)
        _region(tenant, db, zone)
        owner = make_user(db, tenant=tenant, email=f"owner-{zone.replace('/', '-').lower()}@example.com")
        owner.locale = tenant.locale
        db.add(owner)
        db.commit()
        return tenant, owner, make_assistant(db, tenant=tenant)

    return make


@pytest.mark.parametrize(("zone", "change", "offset"), CHANGES, ids=IDS)
def test_summary_email_shows_the_local_time(db, jobs, smtp_env, owner_of, zone, change, offset):
    tenant, _, assistant = owner_of(zone)
    started = local(zone, change + timedelta(days=1), time(17, 30))
    call = make_call(
        db,
        tenant=tenant,
        assistant_id=assistant.id,
        transcript="AI: Hello.\nUser: Please call me back.",
        provider_analysis={},
        summary_status="pending",
        email_status="pending",
    )
    db.exec(Call.__table__.update().where(Call.__table__.c.id == call.id).values(started_at=started))
    db.commit()

    post_call.run_post_call(call.id)

    db.expire_all()
    (mail,) = db.exec(select(Outbox)).all()
    expected = "à 17:30" if zone.startswith("Europe") else ", 5:30 PM"
    assert expected in mail.body_text, mail.body_text
    assert f"{started:%H:%M}" not in mail.body_text, "the UTC time is never shown"


@pytest.mark.parametrize(("zone", "change", "offset"), CHANGES, ids=IDS)
def test_daily_digest_covers_the_local_day_of_the_change(db, jobs, smtp_env, owner_of, zone, change, offset):
    tenant, owner, _ = owner_of(zone)
    membership = db.exec(select(Membership).where(Membership.user_id == owner.id)).one()
    membership.notify_mode = "digest"
    db.add(membership)
    db.commit()
    first, last = local(zone, change, time(0, 5)), local(zone, change, time(23, 55))
    inside = [first, last]
    outside = [local(zone, change, time(0)) - timedelta(minutes=5), local(zone, change + timedelta(days=1), time(0, 5))]
    # The day is 23 or 25 hours long: 24 hours after the first call is not the end of the day.
    assert (last - first) != timedelta(hours=23, minutes=50)
    for moment in inside + outside:
        call = make_call(db, tenant=tenant, caller_number="+33612345678")
        db.exec(Call.__table__.update().where(Call.__table__.c.id == call.id).values(started_at=moment))
    db.commit()

    assert post_call.send_daily_digests(db, now=local(zone, change + timedelta(days=1), time(6))) == 0
    assert post_call.send_daily_digests(db, now=local(zone, change + timedelta(days=1), time(9))) == 1

    (mail,) = db.exec(select(Outbox)).all()
    # The caller is written as the business's people write it: national in France, international in the US.
    assert mail.body_text.count(phones.display("+33612345678", tenant.country)) == 2
    if zone.startswith("Europe"):
        assert "00:05" in mail.body_text and "23:55" in mail.body_text
    else:
        assert "12:05 AM" in mail.body_text and "11:55 PM" in mail.body_text


@pytest.mark.parametrize(("zone", "change", "offset"), CHANGES, ids=IDS)
def test_dashboard_hours_are_local_the_day_after(db, zone, change, offset):
    tenant = make_tenant(db, timezone=zone)
    day_after = change + timedelta(days=1)
    for clock in (time(8, 10), time(17, 30), time(17, 45)):
        make_call(db, tenant=tenant)
        db.exec(
            Call.__table__.update()
            .where(Call.__table__.c.id == db.exec(select(Call.id).order_by(Call.id.desc())).first())
            .values(started_at=local(zone, day_after, clock), created_at=local(zone, day_after, clock))
        )
    db.commit()

    summary = dashboard_summary(
        db,
        principal=Principal(user_id=1, tenant_id=tenant.id, role="viewer"),
        period="today",
        now=local(zone, day_after, time(20)),
    )

    assert summary.today.calls == 3
    assert {h.hour: h.calls for h in summary.calls_by_hour if h.calls} == {8: 1, 17: 2}
    assert summary.recent_calls[0].started_at.strftime("%H:%M") == "17:45"


@pytest.mark.parametrize(("zone", "change", "offset"), CHANGES, ids=IDS)
def test_calls_date_filter_takes_the_local_day_of_the_change(db, zone, change, offset):
    from ava_app.services.calls import CallFilters, list_calls

    tenant = make_tenant(db, timezone=zone)
    moments = {
        "first": local(zone, change, time(0, 10)),
        "last": local(zone, change, time(23, 50)),
        "before": local(zone, change, time(0)) - timedelta(minutes=10),
        "after": local(zone, change + timedelta(days=1), time(0, 10)),
    }
    ids = {}
    for name, moment in moments.items():
        call = make_call(db, tenant=tenant)
        db.exec(Call.__table__.update().where(Call.__table__.c.id == call.id).values(started_at=moment))
        ids[name] = call.id
    db.commit()

    page = list_calls(
        db,
        principal=Principal(user_id=1, tenant_id=tenant.id, role="viewer"),
        filters=CallFilters(date_from=change, date_to=change),
    )

    assert sorted(item.id for item in page.items) == sorted([ids["first"], ids["last"]])
    assert {item.started_at.strftime("%H:%M") for item in page.items} == {"00:10", "23:50"}

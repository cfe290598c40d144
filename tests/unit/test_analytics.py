"""Dashboard summary: hand-computed figures on a known set of calls, tenant-local days across midnight and DST."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select, update

from ava_app.models import Call, CallRollup
from ava_app.services.analytics import dashboard_summary
from ava_app.services.errors import Forbidden, Invalid
from ava_app.services.principal import Principal
from tests.factories import make_tenant


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def add_call(db, tenant, started: str, outcome: str | None = "answered", duration: int | None = 60, **fields) -> Call:
    """A call that started at ``started`` (UTC, ISO) with the given outcome, duration and fields."""
    start = utc(started)
    fields.setdefault("status", "ended" if outcome else "in-progress")
    call = Call(
        tenant_id=tenant.id,
        provider_call_id=str(uuid.uuid4()),
        started_at=start,
        ended_at=start + timedelta(seconds=duration) if duration is not None else None,
        duration_seconds=duration,
        outcome=outcome,
        caller_number="+33612345678",
        created_at=start,
        **fields,
    )
    db.add(call)
    db.commit()
    db.refresh(call)
    return call


def member(tenant, role: str = "viewer") -> Principal:
    return Principal(user_id=1, tenant_id=tenant.id, role=role)


@pytest.fixture()
def spring(db):
    """Europe/Paris around the spring change (Sunday 29 March 2026, 02:00 CET -> 03:00 CEST); now 14:00 local."""
    tenant = make_tenant(db, timezone="Europe/Paris")
    other = make_tenant(db, timezone="Europe/Paris")
    calls = {
        "sat_2359": add_call(
            db, tenant, "2026-03-28T22:59:00", duration=60, cost=Decimal("0.10"), topics=["appointment"]
        ),
        "sun_0000": add_call(
            db, tenant, "2026-03-28T23:00:00", duration=120, cost=Decimal("0.20"), topics=["appointment", "pricing"]
        ),
        "sun_0130": add_call(db, tenant, "2026-03-29T00:30:00", outcome="missed", duration=0, cost=Decimal("0")),
        "sun_0330": add_call(
            db,
            tenant,
            "2026-03-29T01:30:00",
            outcome="voicemail",
            duration=30,
            cost=Decimal("0.05"),
            topics=["appointment"],
        ),
        "sun_1359": add_call(
            db,
            tenant,
            "2026-03-29T11:59:00",
            duration=90,
            cost=Decimal("0.15"),
            topics=["pricing"],
            action_needed=True,
            summary="Wants a quote for whitening.\nSecond line.",
        ),
        "live": add_call(db, tenant, "2026-03-29T11:58:00", outcome=None, duration=None),
        "mon_23": add_call(db, tenant, "2026-03-23T09:00:00", duration=100, cost=Decimal("0.10")),
        "prev_week": add_call(db, tenant, "2026-03-16T09:00:00", outcome="forwarded", duration=40),
        "prev_month": add_call(db, tenant, "2026-02-10T09:00:00", duration=50),
        "done_action": add_call(
            db,
            tenant,
            "2026-02-11T09:00:00",
            duration=50,
            action_needed=True,
            action_done_at=utc("2026-02-12T09:00:00"),
        ),
    }
    add_call(db, tenant, "2026-03-29T10:00:00", call_type="test", cost=Decimal("5"), topics=["appointment"])
    add_call(db, other, "2026-03-29T10:00:00", cost=Decimal("9"), topics=["appointment"], action_needed=True)
    return tenant, calls, utc("2026-03-29T12:00:00")


def test_today_figures_by_hand(db, spring):
    tenant, calls, now = spring
    summary = dashboard_summary(db, principal=member(tenant), period="today", now=now)

    assert summary.timezone == "Europe/Paris"
    # Yesterday's only call was at 23:59, after "the same time yesterday" (14:00): nothing to compare with yet.
    assert (summary.today.calls, summary.today.previous_calls, summary.today.change_pct) == (5, 0, None)
    assert summary.today.start == utc("2026-03-28T23:00:00")
    assert summary.today.previous_end == utc("2026-03-28T13:00:00")  # Saturday 14:00 CET
    assert (summary.week.calls, summary.week.previous_calls) == (7, 1)
    assert (summary.month.calls, summary.month.previous_calls, summary.month.change_pct) == (8, 2, 300.0)
    assert summary.calls == 5
    # 120 + 0 + 30 + 90 seconds over the four calls with a duration; the live call has none yet.
    assert summary.average_duration_seconds == 60.0
    assert {k: v for k, v in summary.outcome_counts.items() if v} == {
        "answered": 2,
        "missed": 1,
        "voicemail": 1,
        "pending": 1,
    }
    assert (summary.answered_share, summary.missed_share) == (0.5, 0.5)
    assert summary.action_needed == 1
    # 02:00-03:00 does not exist that night: the 01:30 UTC call is 03:30 local.
    assert {h.hour: h.calls for h in summary.calls_by_hour if h.calls} == {0: 1, 1: 1, 3: 1, 13: 2}
    assert [(t.topic, t.calls) for t in summary.top_topics] == [("appointment", 2), ("pricing", 2)]
    assert [c.id for c in summary.live_calls] == [calls["live"].id]
    recent = [c.id for c in summary.recent_calls]
    assert recent[:2] == [calls["sun_1359"].id, calls["live"].id] and recent[3] == calls["sun_0330"].id
    assert summary.recent_calls[0].summary_line == "Wants a quote for whitening."
    assert summary.recent_calls[0].started_at.isoformat() == "2026-03-29T13:59:00+02:00"
    # Other tenants' calls are left out; the test call shows, marked, at its time (12:00 local).
    assert len(summary.recent_calls) == 10
    assert [c.call_type for c in summary.recent_calls][:4] == ["inbound", "inbound", "test", "inbound"]


def test_week_chart_is_stacked_by_local_day(db, spring):
    tenant, _calls, now = spring
    summary = dashboard_summary(db, principal=member(tenant), period="week", now=now)

    assert [bar.day for bar in summary.calls_per_day] == [date(2026, 3, 23) + timedelta(days=i) for i in range(7)]
    totals = {bar.day.day: bar.total for bar in summary.calls_per_day if bar.total}
    assert totals == {23: 1, 28: 1, 29: 5}
    sunday = summary.calls_per_day[-1].by_outcome
    assert (sunday["answered"], sunday["missed"], sunday["voicemail"], sunday["pending"]) == (2, 1, 1, 1)
    assert summary.calls == 7


def test_month_chart_has_thirty_days(db, spring):
    tenant, _calls, now = spring
    summary = dashboard_summary(db, principal=member(tenant), period="month", now=now)

    assert len(summary.calls_per_day) == 30
    assert summary.calls_per_day[-1].day == date(2026, 3, 29)
    assert summary.calls == 8
    assert summary.outcome_counts["forwarded"] == 1


def test_autumn_day_has_25_hours(db):
    """Sunday 25 October 2026, 03:00 CEST -> 02:00 CET: the local hour 02:00-03:00 happens twice."""
    tenant = make_tenant(db, timezone="Europe/Paris")
    add_call(db, tenant, "2026-10-24T21:59:00")  # Saturday 23:59 CEST
    add_call(db, tenant, "2026-10-24T22:00:00")  # Sunday 00:00 CEST
    add_call(db, tenant, "2026-10-25T00:30:00")  # 02:30 CEST
    add_call(db, tenant, "2026-10-25T01:30:00")  # 02:30 CET
    add_call(db, tenant, "2026-10-25T22:30:00")  # 23:30 CET
    add_call(db, tenant, "2026-10-25T23:00:00")  # Monday 00:00 CET: tomorrow, after "now"

    summary = dashboard_summary(db, principal=member(tenant), period="today", now=utc("2026-10-25T22:45:00"))

    assert summary.today.calls == 4
    assert [(d.day, d.total) for d in summary.calls_per_day[-2:]] == [(date(2026, 10, 24), 1), (date(2026, 10, 25), 4)]
    assert {h.hour: h.calls for h in summary.calls_by_hour if h.calls} == {0: 1, 2: 2, 23: 1}


@pytest.mark.parametrize(
    ("zone", "last_of_day", "first_of_next"),
    [
        ("UTC", "2026-06-10T23:59:59", "2026-06-11T00:00:00"),
        ("Asia/Kolkata", "2026-06-10T18:29:59", "2026-06-10T18:30:00"),  # +05:30
        ("Asia/Kathmandu", "2026-06-10T18:14:59", "2026-06-10T18:15:00"),  # +05:45
        ("America/St_Johns", "2026-06-11T02:29:59", "2026-06-11T02:30:00"),  # -02:30 in summer
    ],
)
def test_midnight_in_any_offset(db, zone, last_of_day, first_of_next):
    tenant = make_tenant(db, timezone=zone)
    add_call(db, tenant, last_of_day)
    add_call(db, tenant, first_of_next)
    add_call(db, tenant, first_of_next, outcome="missed")
    now = utc(first_of_next) + timedelta(hours=1)

    summary = dashboard_summary(db, principal=member(tenant), now=now)

    assert summary.today.calls == 2
    assert [d.total for d in summary.calls_per_day[-2:]] == [1, 2]  # the last second belongs to the day before
    assert {h.hour: h.calls for h in summary.calls_by_hour if h.calls} == {0: 2}


def test_each_period_is_compared_up_to_the_same_point_of_the_previous_one(db):
    tenant = make_tenant(db, timezone="Europe/Paris")
    # Tuesday 31 March 2026, 14:00 CEST. Yesterday: one call before 14:00, one after.
    add_call(db, tenant, "2026-03-30T07:00:00")  # Monday 09:00
    add_call(db, tenant, "2026-03-30T17:00:00")  # Monday 19:00: later in the day than now
    add_call(db, tenant, "2026-03-24T08:00:00")  # last week, Tuesday 10:00: before the same point
    add_call(db, tenant, "2026-03-25T08:00:00")  # last week, Wednesday: after it
    add_call(db, tenant, "2026-02-27T09:00:00")  # February, which is shorter: all of it counts
    for _ in range(3):
        add_call(db, tenant, "2026-03-31T08:00:00")  # today 10:00

    summary = dashboard_summary(db, principal=member(tenant), now=utc("2026-03-31T12:00:00"))

    assert (summary.today.calls, summary.today.previous_calls, summary.today.change_pct) == (3, 1, 200.0)
    assert summary.today.previous_end == utc("2026-03-30T12:00:00")
    assert (summary.week.calls, summary.week.previous_calls, summary.week.change_pct) == (5, 1, 400.0)
    assert summary.week.previous_end == utc("2026-03-24T13:00:00")  # Tuesday 14:00 CET, before the clocks changed
    assert (summary.month.calls, summary.month.previous_calls) == (7, 1)
    assert summary.month.previous_end == utc("2026-02-28T23:00:00")  # the end of February


def test_rollups_follow_updates_and_deletes(db, spring):
    tenant, calls, now = spring
    live = calls["live"]
    db.execute(
        update(Call)
        .where(Call.id == live.id)
        .values(status="ended", outcome="answered", duration_seconds=200, cost=Decimal("0.30"), topics=["billing"])
    )
    db.execute(delete(Call).where(Call.id == calls["sun_0130"].id))
    db.commit()

    summary = dashboard_summary(db, principal=member(tenant), now=now)

    assert summary.today.calls == 4
    assert {k: v for k, v in summary.outcome_counts.items() if v} == {"answered": 3, "voicemail": 1}
    assert summary.average_duration_seconds == (120 + 30 + 90 + 200) / 4
    assert not [name for name in type(summary).model_fields if "cost" in name], "provider costs are not the owner's"
    # The rollup still sums provider costs exactly (test calls are not in it), through updates and deletes.
    rolled = db.execute(select(func.sum(CallRollup.cost_total)).where(CallRollup.tenant_id == tenant.id)).scalar_one()
    costed = db.execute(
        select(func.sum(Call.cost)).where(Call.tenant_id == tenant.id, Call.call_type != "test")
    ).scalar_one()
    assert Decimal(str(rolled)) == Decimal(str(costed))
    assert ("billing", 1) in [(t.topic, t.calls) for t in summary.top_topics]
    assert summary.live_calls == []


def test_rollup_rows_match_calls(db, spring):
    """The triggers keep exactly one count per non-test started call."""
    tenant, _calls, _now = spring
    total = db.execute(select(CallRollup.calls).where(CallRollup.tenant_id == tenant.id)).scalars().all()
    assert sum(total) == 10


def test_empty_tenant_and_unknown_timezone(db):
    tenant = make_tenant(db, timezone="Mars/Olympus")
    summary = dashboard_summary(db, principal=member(tenant), period="month", now=utc("2026-05-05T10:00:00"))
    assert summary.timezone == "UTC"
    assert (summary.calls, summary.today.change_pct, summary.average_duration_seconds) == (0, None, None)
    assert summary.answered_share is None
    assert len(summary.calls_by_hour) == 24 and summary.top_topics == [] and summary.recent_calls == []


def test_needs_an_organisation_and_a_known_period(db):
    tenant = make_tenant(db)
    with pytest.raises(Forbidden):
        dashboard_summary(db, principal=Principal(user_id=1, tenant_id=None, role=None))
    with pytest.raises(Invalid):
        dashboard_summary(db, principal=member(tenant), period="year")


def test_bookings_made_by_ava_in_the_period_and_their_value(db):
    from ava_app.models import Booking, BookingService, BookingStaff
    from ava_app.services import bookings

    tenant = make_tenant(db, timezone="Europe/Paris", currency="EUR")
    other = make_tenant(db, timezone="Europe/Paris")
    now = utc("2026-03-25T13:00:00")  # Wednesday 14:00 in Paris
    quiet = dashboard_summary(db, principal=member(tenant), period="today", now=now).bookings
    assert quiet is not None and (quiet.enabled, quiet.booked, quiet.value_minor) == (False, 0, 0)

    def book(owner, made: str, *, price: int | None, source: str = "assistant", status: str = "booked") -> None:
        service = BookingService(tenant_id=owner.id, name="Coupe", duration_minutes=30, price_minor=price)
        staff = BookingStaff(tenant_id=owner.id, name="Léa")
        db.add_all([service, staff])
        db.commit()
        start = utc(made) + timedelta(days=2)
        db.add(
            Booking(
                tenant_id=owner.id, service_id=service.id, staff_id=staff.id, start_at=start, end_at=start,
                busy_until=start, price_minor=price, source=source, status=status, created_at=utc(made),
            )
        )  # fmt: skip
        db.commit()

    book(tenant, "2026-03-25T08:00:00", price=4500)  # today
    book(tenant, "2026-03-25T09:00:00", price=None)  # today, no price given
    book(tenant, "2026-03-25T10:00:00", price=9900, status="cancelled")  # cancelled: not counted
    book(tenant, "2026-03-25T11:00:00", price=3000, source="owner")  # the owner's own: not AVA's
    book(tenant, "2026-03-23T10:00:00", price=2000)  # Monday: this week, not today
    book(other, "2026-03-25T08:00:00", price=7000)  # another business
    bookings.save_booking_rules(
        db, tenant_id=tenant.id, enabled=True, min_notice_minutes=60, horizon_days=30, granularity_minutes=30,
        max_per_day=None,
    )  # fmt: skip
    db.commit()

    today = dashboard_summary(db, principal=member(tenant), period="today", now=now).bookings
    assert today is not None and (today.enabled, today.booked, today.value_minor, today.currency) == (
        True, 2, 4500, "EUR",
    )  # fmt: skip
    week = dashboard_summary(db, principal=member(tenant), period="week", now=now).bookings
    assert week is not None and (week.booked, week.value_minor) == (3, 6500)

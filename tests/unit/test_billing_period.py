"""Billing periods: the trial's, then monthly on the creation day (31st → last day of shorter months), no proration,
on the business's own clock across DST, and a subscription's period when one is given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ava_app.models import Tenant
from ava_app.services.billing import period, plans

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def fresh_plans(monkeypatch):
    monkeypatch.delenv(plans.PLANS_FILE_VARIABLE, raising=False)
    plans.all_plans.cache_clear()
    yield
    plans.all_plans.cache_clear()


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone).astimezone(UTC)


def tenant(created: datetime, *, timezone: str = "UTC", plan: str = "pro") -> Tenant:
    return Tenant(name="Clinic", created_at=created, timezone=timezone, plan=plan)


@pytest.mark.parametrize(
    ("now", "start", "end"),
    [
        # Anchor day 31: the shorter months end the period on their last day, and the next one starts there.
        ((2027, 2, 10), (2027, 1, 31), (2027, 2, 28)),
        ((2027, 2, 28), (2027, 2, 28), (2027, 3, 31)),
        ((2027, 3, 30), (2027, 2, 28), (2027, 3, 31)),
        ((2027, 4, 30), (2027, 4, 30), (2027, 5, 31)),
        # A leap year's February has a 29th.
        ((2028, 2, 15), (2028, 1, 31), (2028, 2, 29)),
        ((2028, 2, 29), (2028, 2, 29), (2028, 3, 31)),
        # Across the year's end.
        ((2027, 12, 31), (2027, 12, 31), (2028, 1, 31)),
        ((2028, 1, 5), (2027, 12, 31), (2028, 1, 31)),
    ],
)
def test_anchor_on_the_31st_falls_on_the_last_day_of_shorter_months(now, start, end):
    got_start, got_end = period.monthly_period(anchor_day=31, timezone="UTC", now=datetime(*now, 12, tzinfo=UTC))
    assert got_start == datetime(*start, tzinfo=UTC)
    assert got_end == datetime(*end, tzinfo=UTC)


def test_anchor_on_the_30th_and_29th_in_february():
    assert period.anchored_day(2027, 2, 30).day == 28
    assert period.anchored_day(2028, 2, 30).day == 29
    assert period.anchored_day(2027, 2, 29).day == 28
    assert period.anchored_day(2027, 3, 30).day == 30


def test_consecutive_periods_tile_time_with_no_gap_and_no_overlap():
    now = datetime(2027, 1, 1, tzinfo=UTC)
    seen = []
    while now < datetime(2029, 1, 1, tzinfo=UTC):
        start, end = period.monthly_period(anchor_day=31, timezone="Europe/Paris", now=now)
        assert start <= now < end
        if seen and seen[-1] != (start, end):
            assert seen[-1][1] == start
        seen.append((start, end))
        now += timedelta(hours=7)
    # From the period that began on 31 December 2026 to the one that began on 31 December 2028.
    assert len(set(seen)) == 25


def test_boundaries_are_local_midnights_across_dst():
    # Paris springs forward on 28 March 2027: the period from 15 March to 15 April is one hour short of 31 days.
    start, end = period.monthly_period(anchor_day=15, timezone="Europe/Paris", now=local(PARIS, 2027, 3, 30, 9))
    assert start == local(PARIS, 2027, 3, 15, 0)
    assert end == local(PARIS, 2027, 4, 15, 0)
    assert start.astimezone(PARIS).hour == end.astimezone(PARIS).hour == 0
    assert end - start == timedelta(days=31, hours=-1)
    # New York falls back on 7 November 2027: that period is an hour longer.
    start, end = period.monthly_period(anchor_day=1, timezone="America/New_York", now=local(NEW_YORK, 2027, 11, 20, 9))
    assert end - start == timedelta(days=30, hours=1)


def test_the_local_day_decides_which_period_a_moment_is_in():
    # 23:30 on 14 March in New York is already 15 March in UTC: still the previous period on the business's clock.
    late = local(NEW_YORK, 2027, 3, 14, 23, 30)
    start, end = period.monthly_period(anchor_day=15, timezone="America/New_York", now=late)
    assert start == local(NEW_YORK, 2027, 2, 15, 0)
    assert end == local(NEW_YORK, 2027, 3, 15, 0)
    start, _ = period.monthly_period(anchor_day=15, timezone="UTC", now=late)
    assert start == datetime(2027, 3, 15, tzinfo=UTC)


def test_the_anchor_is_the_creation_day_on_the_business_clock():
    # Created at 23:30 on 31 January in Los Angeles: 1 February in UTC, but the business's periods start on the 31st.
    created = local(ZoneInfo("America/Los_Angeles"), 2027, 1, 31, 23, 30)
    business = tenant(created, timezone="America/Los_Angeles")
    found = period.period_for(business, now=datetime(2027, 2, 20, tzinfo=UTC))
    assert found.kind == "monthly"
    assert found.start.astimezone(ZoneInfo("America/Los_Angeles")).date().isoformat() == "2027-01-31"
    assert found.end.astimezone(ZoneInfo("America/Los_Angeles")).date().isoformat() == "2027-02-28"


def test_a_trial_business_is_in_its_trial_period_then_monthly_from_the_trial_end():
    created = datetime(2027, 1, 31, 10, tzinfo=UTC)
    business = tenant(created, plan="trial")
    during = period.period_for(business, now=created + timedelta(days=3))
    assert (during.kind, during.start, during.end) == ("trial", created, created + timedelta(days=14))
    after = period.period_for(business, now=created + timedelta(days=20))
    assert after.kind == "monthly"
    # The first monthly period starts when the trial ended: the trial's minutes are not counted twice.
    assert after.start == created + timedelta(days=14)
    assert after.end == datetime(2027, 2, 28, tzinfo=UTC)
    later = period.period_for(business, now=datetime(2027, 3, 10, tzinfo=UTC))
    assert (later.start, later.end) == (datetime(2027, 2, 28, tzinfo=UTC), datetime(2027, 3, 31, tzinfo=UTC))


def test_a_subscription_period_wins_when_given():
    business = tenant(datetime(2027, 1, 31, tzinfo=UTC), plan="trial")
    sub = (datetime(2027, 2, 3, 8, tzinfo=UTC), datetime(2027, 3, 3, 8, tzinfo=UTC))
    found = period.period_for(business, now=datetime(2027, 2, 4, tzinfo=UTC), subscription=sub)
    assert (found.kind, found.start, found.end) == ("subscription", *sub)


def test_elapsed_share():
    span = period.BillingPeriod(datetime(2027, 4, 1, tzinfo=UTC), datetime(2027, 5, 1, tzinfo=UTC), "monthly")
    assert span.elapsed_share(datetime(2027, 4, 16, tzinfo=UTC)) == pytest.approx(0.5)
    assert span.elapsed_share(datetime(2027, 3, 1, tzinfo=UTC)) == 0
    assert span.elapsed_share(datetime(2027, 6, 1, tzinfo=UTC)) == 1

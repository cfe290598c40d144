"""The current billing period of a business: the span its included minutes are counted over.

- On trial: the trial's period (``plans.trial_period``: from the organisation's creation, ``trial_days`` long).
- Subscribed: the subscription's own period, passed in as ``subscription`` (the dates Stripe's events carry).
- Otherwise: monthly periods anchored on the organisation's creation day, on the business's own clock. A period
  starts at local midnight of the anchor day and ends at local midnight of the same day a month later; an anchor day
  a month does not have (the 29th to the 31st) falls on that month's last day (Jan 31 → Feb 28, or 29 in a leap
  year → Mar 31). Nothing is prorated: every period includes the plan's minutes in full. The first monthly period
  after a trial (a business still on the trial plan) starts when the trial ends, so trial minutes are never
  counted twice.

Boundaries are local midnights turned into UTC, so a period that spans a DST change is an hour shorter or longer than
its days times 24 hours, as the owner's calendar reads it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Literal

from sqlmodel import Session

from ava_app.models import Tenant, as_utc, utcnow
from ava_app.services import regional
from ava_app.services.billing import plans, subscriptions

PeriodKind = Literal["trial", "monthly", "subscription"]


@dataclass(frozen=True)
class BillingPeriod:
    """``start`` (inclusive) to ``end`` (exclusive), timezone-aware UTC."""

    start: datetime
    end: datetime
    kind: PeriodKind

    def contains(self, moment: datetime) -> bool:
        return self.start <= as_utc(moment) < self.end

    def elapsed_share(self, now: datetime) -> float:
        """How much of the period has gone by at ``now``, from 0 to 1."""
        total = (self.end - self.start).total_seconds()
        if total <= 0:
            return 1.0
        return min(1.0, max(0.0, (as_utc(now) - self.start).total_seconds() / total))


def anchored_day(year: int, month: int, anchor_day: int) -> date:
    """The anchor day in that month: the last day of the month when the month is shorter than the anchor."""
    return date(year, month, min(anchor_day, calendar.monthrange(year, month)[1]))


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def monthly_period(*, anchor_day: int, timezone: str, now: datetime) -> tuple[datetime, datetime]:
    """The monthly period around ``now`` for a business whose periods start on ``anchor_day`` in ``timezone``."""
    tz = regional.zone(timezone)
    today = as_utc(now).astimezone(tz).date()
    year, month = today.year, today.month
    if today < anchored_day(year, month, anchor_day):
        year, month = _add_months(year, month, -1)
    next_year, next_month = _add_months(year, month, 1)
    start_day = anchored_day(year, month, anchor_day)
    end_day = anchored_day(next_year, next_month, anchor_day)

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)

    return midnight(start_day), midnight(end_day)


def period_for(
    tenant: Tenant,
    *,
    now: datetime | None = None,
    subscription: tuple[datetime, datetime] | None = None,
) -> BillingPeriod:
    """The billing period of ``tenant`` at ``now``.

    ``subscription``: the current period of the business's subscription when it has one (start, end); it wins over
    everything else. Without it, the trial's period while the trial runs, else the monthly period.
    """
    moment = as_utc(now or utcnow())
    if subscription is not None:
        return BillingPeriod(as_utc(subscription[0]), as_utc(subscription[1]), "subscription")
    trial_start, trial_end = plans.trial_period(tenant)
    on_trial = plans.tenant_plan(tenant).is_trial
    if on_trial and moment < trial_end:
        return BillingPeriod(trial_start, trial_end, "trial")
    timezone = tenant.timezone or regional.DEFAULT_TIMEZONE
    created_local = as_utc(tenant.created_at).astimezone(regional.zone(timezone))
    start, end = monthly_period(anchor_day=created_local.day, timezone=timezone, now=moment)
    if on_trial and start < trial_end < end:
        start = trial_end
    return BillingPeriod(start, end, "monthly")


def subscription_period(session: Session, tenant: Tenant) -> tuple[datetime, datetime] | None:
    """The current period of the business's Stripe subscription (``billing/subscriptions.py``), or None without one."""
    return subscriptions.subscription_period(session, tenant.id or 0)


def current_period(session: Session, tenant: Tenant, *, now: datetime | None = None) -> BillingPeriod:
    """The business's billing period at ``now``: its subscription's when it has one, else ``period_for``'s."""
    return period_for(tenant, now=now, subscription=subscription_period(session, tenant))

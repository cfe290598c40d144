"""A business's usage in its billing period: minutes used against the plan, what it costs, and the 80 %/95 % emails.

Minutes are counted in SQL with the rule of ``billing.billable`` (``billable_minutes_sql`` mirrors it, and
``tests/unit/test_billing_usage.py`` checks the two agree call by call): one read of the calls of the period through
``ix_call_tenant_when`` gives the minutes used, the billable calls, the leads, and the calls not billed per reason.

A **lead** is a billed call on which AVA took a message or flagged a follow-up for the owner (``Call.action_needed``),
or booked an appointment (a live ``Booking`` made on the call). The Usage page says so.

Money: the plan's price and extra minutes are in the currency the business is billed in (minor units;
``plans.billing_currency``). Provider costs (what Vapi bills, in US dollars) are for the platform's operators only:
``platform_margins``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import BindParameter, bindparam, case, exists, func, literal
from sqlalchemy import select as sql_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from ava_app import routes
from ava_app.db import session_scope
from ava_app.models import BillingSubscription, Booking, Call, Tenant, UsageAlert, as_utc, utcnow
from ava_app.services import regional
from ava_app.services.billing import billable, subscriptions
from ava_app.services.billing.period import BillingPeriod, current_period, period_for
from ava_app.services.billing.plans import Plan, tenant_plan
from ava_app.services.errors import NotFound
from ava_app.services.messaging.email import email_admins
from ava_app.services.operators import last_call_at, tenant_status
from ava_app.services.principal import Principal
from ava_app.settings import get_settings
from ava_app.task_queue import task

log = logging.getLogger(__name__)

ALERT_THRESHOLDS = (80, 95)
# How much of a period must have gone by before its pace is projected to its end.
PACE_AFTER = timedelta(days=1)
NOT_BILLED_REASONS = ("test", "blocked", "spam", "short")
# The provider's currency (what Vapi bills); provider costs are never converted.
PROVIDER_CURRENCY = "USD"

_WHEN = func.coalesce(col(Call.started_at), col(Call.created_at))
_SECONDS = func.coalesce(col(Call.duration_seconds), 0)


def not_billed_reason_sql():
    """``billable.not_billed_reason`` as a SQL expression: the reason, or NULL for a billable call."""
    return case(
        (col(Call.call_type).in_(sorted(billable.NOT_BILLED_CALL_TYPES)), literal("test")),
        (col(Call.outcome) == "blocked", literal("blocked")),
        (col(Call.spam).is_(True), literal("spam")),
        (_SECONDS < billable.MIN_BILLABLE_SECONDS, literal("short")),
        else_=None,
    )


def billable_minutes_sql():
    """``billable.billable_minutes`` as a SQL expression: 0 for a call not billed, else its minutes rounded up.

    ``//`` keeps integer division on both databases (SQLAlchemy renders ``/`` on integers as true division)."""
    return case((not_billed_reason_sql().is_not(None), 0), else_=(_SECONDS + 59) // 60)


@dataclass(frozen=True)
class PeriodCounts:
    """What one read of the period's calls gives."""

    minutes: int = 0
    billed_calls: int = 0
    leads: int = 0
    not_billed: dict[str, int] = field(default_factory=dict)
    provider_cost: Decimal = Decimal(0)


# Read on every dashboard load (the minutes used) and usage page: built once with bound parameters, which spares
# building the expressions and their cache key on each read (2.0 → 0.5 ms of CPU on the bench's data). Run through
# the session, so that what it holds unsaved is flushed and counted first.
_TENANT: BindParameter[int] = bindparam("tenant_id")
_REASON = not_billed_reason_sql().label("reason")
# A lead: a call that asked for a follow-up or made a booking. The tenant's own bookings only: PostgreSQL may hash the
# sub-query once, and then reads just those.
_BOOKED = exists().where(
    col(Booking.tenant_id) == _TENANT, col(Booking.call_id) == col(Call.id), col(Booking.status) != "cancelled"
)
_LEAD = case((col(Call.action_needed).is_(True) | _BOOKED, 1), else_=0)
# SQLAlchemy's own select: sqlmodel's is typed for at most four columns.
_PERIOD_COUNTS = (
    sql_select(
        _REASON,
        func.count(col(Call.id)),
        func.coalesce(func.sum(billable_minutes_sql()), 0),
        func.coalesce(func.sum(_LEAD), 0),
        func.coalesce(func.sum(col(Call.cost)), 0),
    )
    .where(col(Call.tenant_id) == _TENANT, bindparam("start") <= _WHEN, bindparam("end") > _WHEN)
    .group_by(_REASON)
)


def period_counts(session: Session, *, tenant_id: int, start: datetime, end: datetime) -> PeriodCounts:
    """Minutes used, billed calls, leads and calls not billed by reason between ``start`` and ``end``: one query on
    the range of ``ix_call_tenant_when``, grouped by the not-billed reason (a handful of rows)."""
    rows = session.execute(_PERIOD_COUNTS, {"tenant_id": tenant_id, "start": start, "end": end}).all()
    minutes = billed = leads = 0
    cost = Decimal(0)
    not_billed: dict[str, int] = {}
    for why, count, used, lead_count, provider_cost in rows:
        cost += Decimal(str(provider_cost or 0))
        if why is None:
            minutes, billed, leads = int(used), int(count), int(lead_count)
        else:
            not_billed[str(why)] = int(count)
    return PeriodCounts(minutes=minutes, billed_calls=billed, leads=leads, not_billed=not_billed, provider_cost=cost)


def billable_minutes_by_day(
    session: Session, *, tenant_id: int, start: datetime, end: datetime, timezone: str
) -> dict[date, int]:
    """Billable minutes per local day of the business: the billable calls' start times and minutes (two columns)."""
    rows = session.execute(
        select(_WHEN, billable_minutes_sql()).where(
            col(Call.tenant_id) == tenant_id, start <= _WHEN, end > _WHEN, not_billed_reason_sql().is_(None)
        )
    ).all()
    tz = regional.zone(timezone)
    days: dict[date, int] = {}
    for when, minutes in rows:
        day = as_utc(when).astimezone(tz).date()
        days[day] = days.get(day, 0) + int(minutes)
    return days


def bookings_made(session: Session, *, tenant_id: int, start: datetime, end: datetime) -> int:
    """Appointments the assistant booked in the period, cancelled ones left out (as the dashboard counts them)."""
    return int(
        session.execute(
            select(func.count(col(Booking.id))).where(
                col(Booking.tenant_id) == tenant_id,
                col(Booking.source) == "assistant",
                col(Booking.status) != "cancelled",
                col(Booking.created_at) >= start,
                col(Booking.created_at) < end,
            )
        ).scalar_one()
    )


def projected_minutes(used: int, period: BillingPeriod, now: datetime) -> int:
    """The minutes the period will end on at the pace so far (straight line from its start); ``used`` once over."""
    share = period.elapsed_share(now)
    if share >= 1 or used == 0:
        return used
    # Less than a day in, a pace means nothing yet (a first hour's call would project thousands of minutes).
    if (as_utc(now) - period.start) < PACE_AFTER:
        return used
    return max(used, round(used / share))


def cost_minor(plan: Plan, minutes: int) -> int:
    """The plan's price plus the minutes over what it includes at its extra-minute price (minor units)."""
    return plan.monthly_price + max(0, minutes - plan.included_minutes) * plan.extra_minute_price


@dataclass(frozen=True)
class DayMinutes:
    day: date
    minutes: int
    cumulative: int


@dataclass(frozen=True)
class Usage:
    """A business's usage in its current billing period; money in the plan's currency's minor units."""

    plan: Plan
    period: BillingPeriod
    timezone: str
    minutes_used: int
    projected_minutes: int
    billed_calls: int
    leads: int
    bookings: int
    not_billed: dict[str, int]
    cost_minor: int
    projected_cost_minor: int
    days: list[DayMinutes]
    provider_cost: Decimal
    generated_at: datetime

    @property
    def included_minutes(self) -> int:
        return self.plan.included_minutes

    @property
    def used_share(self) -> float:
        return self.minutes_used / self.included_minutes if self.included_minutes else 0.0

    @property
    def currency(self) -> str:
        return self.plan.currency

    def cost_per(self, count: int) -> int | None:
        """The cost so far divided by ``count`` (calls, bookings, leads), None when there are none."""
        return round(self.cost_minor / count) if count else None


def tenant_usage(
    session: Session,
    *,
    tenant_id: int,
    now: datetime | None = None,
    subscription: tuple[datetime, datetime] | None = None,
) -> Usage:
    """The usage of ``tenant_id`` in its billing period at ``now`` (services and jobs; pages use ``usage_for``)."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("Organisation not found.")
    moment = as_utc(now or utcnow())
    plan = tenant_plan(tenant, subscriptions.subscribed_currency(session, tenant_id))
    period = (
        period_for(tenant, now=moment, subscription=subscription)
        if subscription is not None
        else current_period(session, tenant, now=moment)
    )
    counts = period_counts(session, tenant_id=tenant_id, start=period.start, end=period.end)
    timezone = tenant.timezone or regional.DEFAULT_TIMEZONE
    by_day = billable_minutes_by_day(
        session, tenant_id=tenant_id, start=period.start, end=period.end, timezone=timezone
    )
    days: list[DayMinutes] = []
    first = period.start.astimezone(regional.zone(timezone)).date()
    last = min(moment, period.end - timedelta(microseconds=1)).astimezone(regional.zone(timezone)).date()
    running, day = 0, first
    while day <= last:
        running += by_day.get(day, 0)
        days.append(DayMinutes(day=day, minutes=by_day.get(day, 0), cumulative=running))
        day += timedelta(days=1)
    projected = projected_minutes(counts.minutes, period, moment)
    return Usage(
        plan=plan,
        period=period,
        timezone=timezone,
        minutes_used=counts.minutes,
        projected_minutes=projected,
        billed_calls=counts.billed_calls,
        leads=counts.leads,
        bookings=bookings_made(session, tenant_id=tenant_id, start=period.start, end=period.end),
        not_billed=counts.not_billed,
        cost_minor=cost_minor(plan, counts.minutes),
        projected_cost_minor=cost_minor(plan, projected),
        days=days,
        provider_cost=counts.provider_cost,
        generated_at=moment,
    )


@dataclass(frozen=True)
class MinutesUsed:
    """What the dashboard's minutes card shows: minutes used in the period and what the plan includes."""

    used: int
    included: int


def minutes_used(session: Session, *, principal: Principal, now: datetime | None = None) -> MinutesUsed:
    """The caller's organisation's minutes in its period: the one grouped read of ``period_counts``."""
    tenant = session.get(Tenant, principal.require_member())
    if tenant is None:
        raise NotFound("Organisation not found.")
    span = current_period(session, tenant, now=now)
    counts = period_counts(session, tenant_id=tenant.id or 0, start=span.start, end=span.end)
    return MinutesUsed(used=counts.minutes, included=tenant_plan(tenant).included_minutes)


def usage_for(session: Session, *, principal: Principal, now: datetime | None = None) -> Usage:
    """The caller's organisation's usage: every member (viewers too) may read it."""
    return tenant_usage(session, tenant_id=principal.require_member(), now=now)


# --- the 80 % and 95 % emails ------------------------------------------------------------------------------------

_ALERT_EMAIL = {
    "en": (
        "{business}: {threshold}% of your included minutes used",
        "Hello,\n\n{business} has used {used} of the {included} minutes its {plan} plan includes this period "
        "({threshold}%), which ends on {period_end}.\nAt this pace the period ends on about {projected} minutes. "
        "Minutes over the plan cost {extra_price} each.\n\nSee your usage: {link}\n\nAVA",
    ),
    "fr": (
        "{business} : {threshold} % de vos minutes incluses utilisées",
        "Bonjour,\n\n{business} a utilisé {used} des {included} minutes que son forfait {plan} inclut sur cette "
        "période ({threshold} %), qui se termine le {period_end}.\nÀ ce rythme, la période se terminera vers "
        "{projected} minutes. Chaque minute au-delà du forfait coûte {extra_price}.\n\nVoir votre consommation : "
        "{link}\n\nAVA",
    ),
}


def _claim_alert(session: Session, *, tenant_id: int, period_start: datetime, threshold: int, used: int) -> bool:
    """Insert the (tenant, period, threshold) row; False when it already existed (sent by an earlier run)."""
    values = {
        "tenant_id": tenant_id,
        "period_start": period_start,
        "threshold": threshold,
        "minutes_used": used,
        "created_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(UsageAlert)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["tenant_id", "period_start", "threshold"])
        .returning(col(UsageAlert.id))
    )
    # RETURNING says whether this insert made the row (an ORM insert's rowcount does not, on PostgreSQL).
    claimed = session.execute(statement).first() is not None
    if not claimed:
        # End the transaction the conflicting insert opened (on SQLite it holds the write lock).
        session.commit()
    return claimed


def send_usage_alerts(session: Session, *, tenant_id: int, now: datetime | None = None) -> list[int]:
    """Email the admins once per period for each threshold the minutes used have reached; returns the new ones.

    Each threshold is claimed by an insert that may conflict, committed with its emails' outbox rows, so a rerun (or
    two jobs at once) sends nothing twice."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        return []
    usage = tenant_usage(session, tenant_id=tenant_id, now=now)
    if not usage.included_minutes:
        return []
    sent: list[int] = []
    for threshold in ALERT_THRESHOLDS:
        if usage.minutes_used * 100 < threshold * usage.included_minutes:
            continue
        if not _claim_alert(
            session,
            tenant_id=tenant_id,
            period_start=usage.period.start,
            threshold=threshold,
            used=usage.minutes_used,
        ):
            continue
        language = tenant.locale if tenant.locale in _ALERT_EMAIL else "en"
        values = {
            "business": tenant.name,
            "threshold": str(threshold),
            "used": str(usage.minutes_used),
            "included": str(usage.included_minutes),
            "plan": usage.plan.name,
            "projected": str(usage.projected_minutes),
            "period_end": regional.format_date(
                usage.period.end - timedelta(seconds=1), timezone=usage.timezone, language=language
            ),
            "extra_price": regional.format_money(
                Decimal(usage.plan.extra_minute_price) / 100, usage.currency, language
            ),
            "link": get_settings().public_url + routes.USAGE,
        }
        # Commits the claim with the outbox rows (``send_email`` commits each one).
        email_admins(
            session,
            tenant_id=tenant_id,
            texts=_ALERT_EMAIL,
            values=values,
            dedupe_key=f"usage:{tenant_id}:{int(usage.period.start.timestamp())}:{threshold}",
        )
        session.commit()
        sent.append(threshold)
    return sent


@task(retries=3, retry_delay=30)
def check_usage_alerts(tenant_id: int) -> None:
    """Job (queued by name after a call's summary): send the usage emails the business has just become due for."""
    with session_scope() as session:
        sent = send_usage_alerts(session, tenant_id=tenant_id)
    if sent:
        log.info("usage alerts %s sent to the admins of tenant %s", sent, tenant_id)


# --- platform admins ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TenantMargin:
    """One organisation as the platform's operators see it: plan revenue against what its calls cost the platform."""

    tenant_id: int
    name: str
    plan: str
    minutes_used: int
    included_minutes: int
    revenue_minor: int
    currency: str
    provider_cost: Decimal
    # Revenue minus provider cost, when both are in one currency or the operators gave a rate for the plan's
    # (``margin_approximate``); else None.
    margin: Decimal | None
    # ``operators.STATUSES``; the suspension's reason; when the newest call started.
    margin_approximate: bool = False
    status: str = "active"
    plan_code: str = ""
    suspended_reason: str = ""
    last_call_at: datetime | None = None


def _margin(revenue: Decimal, provider_cost: Decimal, currency: str) -> tuple[Decimal | None, bool]:
    """Revenue minus provider cost in the plan's currency, and whether an operator's rate made it approximate."""
    if currency == PROVIDER_CURRENCY:
        return revenue - provider_cost, False
    rate = get_settings().provider_cost_rates.get(currency)
    if rate is None:
        return None, False
    return (revenue - provider_cost * rate).quantize(Decimal("0.01")), True


def platform_margins(session: Session, *, principal: Principal, now: datetime | None = None) -> list[TenantMargin]:
    """Every organisation's usage, revenue so far, provider cost and margin in its period (platform admins only)."""
    principal.require_platform_admin()
    rows: list[TenantMargin] = []
    subscriptions = {row.tenant_id: row for row in session.exec(select(BillingSubscription)).all()}
    for tenant_id in session.exec(select(Tenant.id).order_by(col(Tenant.id))).all():
        assert tenant_id is not None, "a stored row has an id"
        usage = tenant_usage(session, tenant_id=tenant_id, now=now)
        tenant = session.get(Tenant, tenant_id)
        assert tenant is not None, "the organisation was just read"
        revenue = Decimal(usage.cost_minor) / 100
        margin, approximate = _margin(revenue, usage.provider_cost, usage.currency)
        rows.append(
            TenantMargin(
                tenant_id=tenant_id,
                name=tenant.name,
                plan=usage.plan.name,
                minutes_used=usage.minutes_used,
                included_minutes=usage.included_minutes,
                revenue_minor=usage.cost_minor,
                currency=usage.currency,
                provider_cost=usage.provider_cost,
                margin=margin,
                margin_approximate=approximate,
                plan_code=usage.plan.code,
                status=tenant_status(tenant, subscriptions.get(tenant_id), now=now),
                suspended_reason=tenant.suspended_reason or "",
                last_call_at=last_call_at(session, tenant_id=tenant_id),
            )
        )
    return rows

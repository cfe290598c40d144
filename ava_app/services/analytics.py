"""The dashboard: call counts, outcomes, topics and charts for a tenant, in the tenant's own timezone.

How it stays fast at a million calls per tenant: the counting is done ahead of time. Migration 0002 adds
``callrollup`` (calls, timed calls, duration and cost per tenant, 15-minute UTC slot and outcome) and
``calltopicrollup`` (calls per tenant, slot and topic), kept exact by database triggers on ``call`` for every insert,
update and delete, whoever writes (webhook ingestion, bulk loads, deletes). Every UTC offset in use is a multiple of
15 minutes, so each local day and hour of any tenant, across DST changes, is a whole number of slots: the summary reads
at most ~62 days x 96 slots x a few outcomes rollup rows, however many calls there are. The local day and hour of a
slot is computed in SQL as ``(bucket + offset) / 86400`` where ``offset`` is a CASE over the few UTC offset changes of
the window (found here with zoneinfo), so the same SQL runs on SQLite and PostgreSQL.

The other panels read ``call`` through indexes that bound their work: last 10 calls (``ix_call_tenant_when``), live
calls (``ix_call_tenant_status``), open follow-up actions (partial index ``ix_call_tenant_action_open``).

Test calls (``call_type == "test"``, typed from the wizard or /assistant) are left out of every figure except the
count of open follow-ups (kept to its partial index, see ``_open_actions``; post-call work never flags a test call);
they do show in the last calls, marked, so an owner sees the summary of the call they just made, and ``has_test_calls``
tells a dashboard with only test calls from one with no call at all. A call counts on
the day and hour it started; ``pending`` is the outcome of calls that have not ended yet.

A period so far is compared with the previous period up to the same point: today until 14:00 against yesterday
until 14:00, this week until Tuesday 14:00 against last week until Tuesday 14:00, the month's first 10 days and a
half against the previous month's (clamped to its length). Comparing a morning with a whole day would always read as
a fall. The cut is taken to the 15-minute slot the rollups keep, from the same ``callrollup`` rows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel
from sqlalchemy import BindParameter, bindparam, event, exists, func, select, text, true
from sqlmodel import Session, col

from ava_app.models import Booking, BookingSettings, Call, Tenant, utcnow
from ava_app.services import phones
from ava_app.services.ended_reasons import OUTCOMES
from ava_app.services.errors import Invalid
from ava_app.services.principal import Principal

Period = Literal["today", "week", "month"]
PERIODS: tuple[str, ...] = ("today", "week", "month")
# The rollup's key (migration 0030): a call marked spam counts as "spam", an answered call under HANGUP_SECONDS as
# "hangup", any other as its outcome; so the dashboard tells answered, hang-ups, spam and blocked calls apart from
# the one aggregate it already reads.
HANGUP_SECONDS = 15
CHART_OUTCOMES: tuple[str, ...] = (*OUTCOMES, "hangup", "spam", "pending")
LIVE_STATUSES = ("ringing", "in-progress", "forwarding")
SLOT_SECONDS = 900
# A call left "in progress" by a lost webhook must not show as live forever.
LIVE_MAX_AGE = timedelta(hours=4)
RECENT_LIMIT = 10
TOP_TOPICS = 5


class PeriodCount(BaseModel):
    """Calls in a period so far, against the previous period up to the same point (``previous_end``)."""

    period: str
    start: datetime
    end: datetime
    calls: int
    previous_calls: int
    previous_end: datetime
    change_pct: float | None


class DayCalls(BaseModel):
    """One bar of the calls-per-day chart, stacked by outcome (every outcome key present)."""

    day: date
    total: int
    by_outcome: dict[str, int]


class HourCalls(BaseModel):
    """Calls that started in one local hour of the day (0-23) during the selected period."""

    hour: int
    calls: int


class TopicCount(BaseModel):
    """A topic and the number of calls that touched it."""

    topic: str
    calls: int


class RecentCall(BaseModel):
    """One line of the "last calls" list; times are in the tenant's timezone."""

    id: int
    started_at: datetime
    caller_number: str | None
    # The number as the business writes it: national for its own country ("01 23 45 67 89"), international else.
    caller_display: str = ""
    duration_seconds: int | None
    status: str
    outcome: str | None
    summary_line: str
    call_type: str


class BookingFigures(BaseModel):
    """Appointments the assistant booked in the period (by when they were made; cancelled ones left out) and their
    value in minor units of the business's currency. ``enabled``: the business takes bookings by phone."""

    enabled: bool
    booked: int
    value_minor: int
    currency: str


class DashboardSummary(BaseModel):
    """Everything the dashboard shows; ``period`` selects the averages, shares, hours, topics and chart length."""

    period: str
    timezone: str
    generated_at: datetime
    today: PeriodCount
    week: PeriodCount
    month: PeriodCount
    calls: int
    average_duration_seconds: float | None
    outcome_counts: dict[str, int]
    answered_share: float | None
    missed_share: float | None
    action_needed: int
    calls_per_day: list[DayCalls]
    calls_by_hour: list[HourCalls]
    top_topics: list[TopicCount]
    recent_calls: list[RecentCall]
    live_calls: list[RecentCall]
    # Whether the business ever had a call from a caller, and whether it made test calls: a dashboard listing only
    # test calls says so rather than "no calls yet".
    has_calls: bool = False
    has_test_calls: bool = False
    bookings: BookingFigures | None = None


# Where a session keeps the tenants' (timezone, country) of its current transaction: ``(transaction, {id: place})``.
_PLACES = "ava_tenant_places"


def tenant_place(session: Session, *, tenant_id: int) -> tuple[str | None, str | None]:
    """The tenant's stored (timezone, country), read once per transaction of ``session``.

    A page load asks for them from several helpers (the zone of every date, the country of every number); a change
    to the tenant in the same session (pending, or flushed) is read again rather than served from the cache.
    """
    transaction = session.get_transaction()
    cached = session.info.get(_PLACES)
    if (
        transaction is not None
        and cached is not None
        and cached[0] is transaction
        and tenant_id in cached[1]
        and not any(isinstance(row, Tenant) for row in (*session.new, *session.dirty))
    ):
        return cached[1][tenant_id]
    row = session.execute(select(col(Tenant.timezone), col(Tenant.country)).where(col(Tenant.id) == tenant_id)).first()
    place = (row[0], row[1]) if row is not None else (None, None)
    transaction = session.get_transaction()  # the query began one if none was open
    if cached is None or cached[0] is not transaction:
        if not session.info.get(_PLACES + "_watched"):
            session.info[_PLACES + "_watched"] = True
            event.listen(session, "after_flush", _forget_places_on_tenant_change)
        places: dict[int, tuple[str | None, str | None]] = {}
        cached = session.info[_PLACES] = (transaction, places)
    cached[1][tenant_id] = place
    return place


def _forget_places_on_tenant_change(session: Session, _flush_context) -> None:
    # After a flush the session still lists what it wrote as new / dirty / deleted.
    if any(isinstance(row, Tenant) for row in (*session.new, *session.dirty, *session.deleted)):
        session.info.pop(_PLACES, None)


def tenant_zone(session: Session, *, tenant_id: int) -> ZoneInfo:
    """The tenant's timezone (UTC when unset or unknown to the system's tz database)."""
    name = tenant_place(session, tenant_id=tenant_id)[0]
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _tenant_country(session: Session, *, tenant_id: int) -> str:
    """The tenant's country, which decides how its callers' numbers are written."""
    return tenant_place(session, tenant_id=tenant_id)[1] or phones.DEFAULT_COUNTRY


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant a local day starts."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def dashboard_summary(
    session: Session,
    *,
    principal: Principal,
    period: str = "today",
    now: datetime | None = None,
    chart_days: int | None = None,
) -> DashboardSummary:
    """The dashboard of the caller's tenant for ``period`` (today | week | month), as of ``now``.

    ``chart_days``: how many days ``calls_per_day`` holds (30 for a month, else 7 unless asked), so a dashboard
    showing a month's chart beside a week's figures reads both in one summary.
    """
    tenant_id = principal.require_member()
    if period not in PERIODS:
        raise Invalid(fields={"period": f"One of {', '.join(PERIODS)}."})
    now = (now or utcnow()).astimezone(UTC)
    zone = tenant_zone(session, tenant_id=tenant_id)
    country = _tenant_country(session, tenant_id=tenant_id)
    today = now.astimezone(zone).date()
    bounds = _period_bounds(today)
    chart_days = chart_days or (30 if period == "month" else 7)
    first_day = min(bounds["month"][2], bounds["week"][2], today - timedelta(days=chart_days - 1))
    window = (local_midnight(first_day, zone), local_midnight(today + timedelta(days=1), zone))
    offset_sql = _offset_case(zone, *window)

    days = _rollup_by_day(session, tenant_id=tenant_id, window=window, offset_sql=offset_sql)
    cuts = {
        name: _same_point_before(now, zone, start=start, previous_start=prev)
        for name, (start, _, prev) in bounds.items()
    }
    previous = _previous_counts(session, tenant_id=tenant_id, zone=zone, bounds=bounds, cuts=cuts)
    counts = {
        name: _period_count(
            name, days, now=now, zone=zone, start=start, end=end, previous=previous[name], previous_end=cuts[name]
        )
        for name, (start, end, _) in bounds.items()
    }
    start_day, end_day, _ = bounds[period]
    outcome_counts = {outcome: 0 for outcome in CHART_OUTCOMES}
    timed = duration = 0
    for (day, outcome), row in days.items():
        if start_day <= day <= end_day:
            outcome_counts[outcome] = outcome_counts.get(outcome, 0) + row[0]
            timed, duration = timed + row[1], duration + row[2]
    period_start = local_midnight(start_day, zone)
    finished = sum(n for outcome, n in outcome_counts.items() if outcome != "pending")
    has_calls, has_test_calls = _any_calls(session, tenant_id=tenant_id)
    return DashboardSummary(
        period=period,
        timezone=zone.key,
        generated_at=now,
        today=counts["today"],
        week=counts["week"],
        month=counts["month"],
        calls=counts[period].calls,
        average_duration_seconds=round(duration / timed, 1) if timed else None,
        outcome_counts=outcome_counts,
        answered_share=_share(outcome_counts["answered"], finished),
        missed_share=_share(outcome_counts["missed"] + outcome_counts["voicemail"], finished),
        action_needed=_open_actions(session, tenant_id=tenant_id),
        calls_per_day=_chart(days, first=today - timedelta(days=chart_days - 1), last=today),
        calls_by_hour=_by_hour(session, tenant_id=tenant_id, start=period_start, end=window[1], offset_sql=offset_sql),
        top_topics=_top_topics(session, tenant_id=tenant_id, start=period_start, end=window[1]),
        recent_calls=_recent(session, tenant_id=tenant_id, zone=zone, country=country),
        live_calls=_live(session, tenant_id=tenant_id, zone=zone, now=now, country=country),
        has_calls=has_calls,
        has_test_calls=has_test_calls,
        bookings=_booking_figures(session, tenant_id=tenant_id, start=period_start, end=window[1]),
    )


def _booking_figures(session: Session, *, tenant_id: int, start: datetime, end: datetime) -> BookingFigures:
    """What the assistant booked between ``start`` and ``end``, whether bookings are on, and the currency: one
    statement of small indexed reads."""
    enabled, currency, count, value = (
        session.connection().execute(_BOOKING_FIGURES, {"tenant_id": tenant_id, "start": start, "end": end}).one()
    )
    return BookingFigures(enabled=bool(enabled), booked=int(count), value_minor=int(value), currency=currency or "USD")


def _any_calls(session: Session, *, tenant_id: int) -> tuple[bool, bool]:
    """Whether the tenant has a call that is not a test call, and whether it has a test call: one statement, the
    first matching row of each answering."""
    real, test = session.connection().execute(_ANY_CALLS, {"tenant_id": tenant_id}).one()
    return bool(real), bool(test)


def _period_bounds(today: date) -> dict[str, tuple[date, date, date]]:
    """(first day, last day, first day of the previous period) of today, this week and this month."""
    week_start = today - timedelta(days=today.weekday())
    month_start = today.replace(day=1)
    previous_month = (month_start - timedelta(days=1)).replace(day=1)
    return {
        "today": (today, today, today - timedelta(days=1)),
        "week": (week_start, today, week_start - timedelta(days=7)),
        "month": (month_start, today, previous_month),
    }


def _same_point_before(now: datetime, zone: ZoneInfo, *, start: date, previous_start: date) -> datetime:
    """The instant as far into the previous period as ``now`` is into the current one, by local date and clock."""
    local = now.astimezone(zone)
    day = previous_start + timedelta(days=(local.date() - start).days)
    if day >= start:  # a shorter previous month (31 March against February): all of it
        return local_midnight(start, zone)
    return datetime.combine(day, local.time(), tzinfo=zone).astimezone(UTC)


def _previous_counts(
    session: Session, *, tenant_id: int, zone: ZoneInfo, bounds: dict, cuts: dict[str, datetime]
) -> dict[str, int]:
    """Calls of each previous period up to its cut, in one pass over the rollup rows."""
    sums, params = [], {"tenant_id": tenant_id}
    for name, (_, _, previous_start) in bounds.items():
        params[f"{name}_start"] = int(local_midnight(previous_start, zone).timestamp())
        params[f"{name}_end"] = int(cuts[name].timestamp())
        sums.append(f"SUM(CASE WHEN bucket >= :{name}_start AND bucket < :{name}_end THEN calls ELSE 0 END)")
    low = min(params[f"{name}_start"] for name in bounds)
    high = max(params[f"{name}_end"] for name in bounds)
    row = session.execute(
        text(
            f"SELECT {', '.join(sums)} FROM callrollup "
            "WHERE tenant_id = :tenant_id AND bucket >= :low AND bucket < :high"
        ),
        {**params, "low": low, "high": high},
    ).one()
    return {name: int(value or 0) for name, value in zip(bounds, row, strict=True)}


def _period_count(
    name: str,
    days: dict,
    *,
    now: datetime,
    zone: ZoneInfo,
    start: date,
    end: date,
    previous: int,
    previous_end: datetime,
) -> PeriodCount:
    calls = sum(row[0] for (day, _outcome), row in days.items() if start <= day <= end)
    change = round((calls - previous) * 100 / previous, 1) if previous else None
    return PeriodCount(
        period=name,
        start=local_midnight(start, zone),
        end=now,
        calls=calls,
        previous_calls=previous,
        previous_end=previous_end,
        change_pct=change,
    )


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _offset_case(zone: ZoneInfo, start: datetime, end: datetime) -> str:
    """SQL giving the zone's UTC offset (seconds) at slot ``bucket``, as a CASE over the offset changes in the window.

    Built from integers computed here (never from input) so the same text can sit in SELECT and GROUP BY.
    """

    def offset_at(epoch: int) -> int:
        offset = datetime.fromtimestamp(epoch, zone).utcoffset()
        assert offset is not None, "an aware datetime has an offset"
        return int(offset.total_seconds())

    first, last = int(start.timestamp()), int(end.timestamp())
    pieces = [(first, offset_at(first))]
    step = 6 * 3600  # no zone changes its offset twice within six hours
    cursor = first
    while cursor < last:
        ahead = min(cursor + step, last)
        if offset_at(ahead) != pieces[-1][1]:
            low, high = cursor, ahead  # offset changes in (low, high]; narrow it to one slot
            while high - low > SLOT_SECONDS:
                middle = low + (high - low) // (2 * SLOT_SECONDS) * SLOT_SECONDS
                if offset_at(middle) == pieces[-1][1]:
                    low = middle
                else:
                    high = middle
            pieces.append((high, offset_at(high)))
        cursor = ahead
    if len(pieces) == 1:
        return str(pieces[0][1])
    changes = zip(pieces, pieces[1:], strict=False)
    whens = " ".join(f"WHEN bucket < {since} THEN {offset}" for (_, offset), (since, _) in changes)
    return f"CASE {whens} ELSE {pieces[-1][1]} END"


def _rollup_by_day(
    session: Session, *, tenant_id: int, window: tuple[datetime, datetime], offset_sql: str
) -> dict[tuple[date, str], tuple[int, int, int]]:
    """(local day, outcome) -> (calls, timed calls, total seconds) over the window."""
    rows = session.execute(
        text(
            f"SELECT (bucket + {offset_sql}) / 86400 AS local_day, outcome, SUM(calls), SUM(timed_calls), "
            "SUM(duration_total) FROM callrollup "
            "WHERE tenant_id = :tenant_id AND bucket >= :start AND bucket < :end GROUP BY 1, 2"
        ),
        {"tenant_id": tenant_id, "start": int(window[0].timestamp()), "end": int(window[1].timestamp())},
    )
    epoch = date(1970, 1, 1)
    return {
        (epoch + timedelta(days=int(day)), outcome): (int(calls), int(timed), int(seconds))
        for day, outcome, calls, timed, seconds in rows
        if calls
    }


def _chart(days: dict, *, first: date, last: date) -> list[DayCalls]:
    bars = {
        first + timedelta(days=i): {outcome: 0 for outcome in CHART_OUTCOMES} for i in range((last - first).days + 1)
    }
    for (day, outcome), row in days.items():
        if day in bars:
            bars[day][outcome] = bars[day].get(outcome, 0) + row[0]
    return [DayCalls(day=day, total=sum(counts.values()), by_outcome=counts) for day, counts in bars.items()]


def _by_hour(session: Session, *, tenant_id: int, start: datetime, end: datetime, offset_sql: str) -> list[HourCalls]:
    rows = session.execute(
        text(
            f"SELECT ((bucket + {offset_sql}) % 86400) / 3600 AS local_hour, SUM(calls) FROM callrollup "
            "WHERE tenant_id = :tenant_id AND bucket >= :start AND bucket < :end GROUP BY 1"
        ),
        {"tenant_id": tenant_id, "start": int(start.timestamp()), "end": int(end.timestamp())},
    )
    hours = dict.fromkeys(range(24), 0)
    for hour, calls in rows:
        hours[int(hour)] += int(calls)
    return [HourCalls(hour=hour, calls=calls) for hour, calls in hours.items()]


def _top_topics(session: Session, *, tenant_id: int, start: datetime, end: datetime) -> list[TopicCount]:
    rows = session.execute(
        text(
            "SELECT topic, SUM(calls) AS n FROM calltopicrollup "
            "WHERE tenant_id = :tenant_id AND bucket >= :start AND bucket < :end "
            "GROUP BY topic HAVING SUM(calls) > 0 ORDER BY n DESC, topic LIMIT :limit"
        ),
        {"tenant_id": tenant_id, "start": int(start.timestamp()), "end": int(end.timestamp()), "limit": TOP_TOPICS},
    )
    return [TopicCount(topic=topic, calls=int(calls)) for topic, calls in rows]


def _open_actions(session: Session, *, tenant_id: int) -> int:
    return int(session.connection().execute(_OPEN_ACTIONS, {"tenant_id": tenant_id}).scalar_one())


def call_time(started_at: datetime | None, created_at: datetime) -> datetime:
    """When a call happened for lists and sorting: its start, or when AVA first heard of it."""
    return started_at or created_at


def summary_line(summary: str | None, intent: str | None, limit: int = 140) -> str:
    """The first line of a call's summary (else its intent), cut to ``limit`` characters."""
    line = ((summary or "").strip().splitlines() or [""])[0].strip() or (intent or "").strip()
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


RECENT_COLUMNS = (
    col(Call.id),
    col(Call.started_at),
    col(Call.created_at),
    col(Call.caller_number),
    col(Call.duration_seconds),
    col(Call.status),
    col(Call.outcome),
    col(Call.summary),
    col(Call.intent),
    col(Call.call_type),
)
started_or_created = func.coalesce(Call.started_at, Call.created_at)


def _recent_rows(rows, zone: ZoneInfo, country: str) -> list[RecentCall]:
    return [
        RecentCall(
            id=row.id,
            started_at=call_time(row.started_at, row.created_at).astimezone(zone),
            caller_number=row.caller_number,
            caller_display=phones.display(row.caller_number, country) if row.caller_number else "",
            duration_seconds=row.duration_seconds,
            status=row.status,
            outcome=row.outcome,
            summary_line=summary_line(row.summary, row.intent),
            call_type=row.call_type,
        )
        for row in rows
    ]


def _recent(session: Session, *, tenant_id: int, zone: ZoneInfo, country: str) -> list[RecentCall]:
    return _recent_rows(session.connection().execute(_RECENT, {"tenant_id": tenant_id}), zone, country)


def _live(session: Session, *, tenant_id: int, zone: ZoneInfo, now: datetime, country: str) -> list[RecentCall]:
    rows = session.connection().execute(_LIVE, {"tenant_id": tenant_id, "since": now - LIVE_MAX_AGE})
    return _recent_rows(rows, zone, country)


# The statements every dashboard load sends, built once with bound parameters: building a statement and its cache
# key costs SQLAlchemy about as much CPU as PostgreSQL's whole answer to these small indexed reads. They run on the
# session's connection (Core), as they select columns, not entities.
_TENANT: BindParameter[int] = bindparam("tenant_id")

_RECENT = (
    select(*RECENT_COLUMNS)
    .where(col(Call.tenant_id) == _TENANT)
    .order_by(started_or_created.desc(), col(Call.id).desc())
    .limit(RECENT_LIMIT)
)
_LIVE = (
    select(*RECENT_COLUMNS)
    .where(
        col(Call.tenant_id) == _TENANT,
        col(Call.status).in_(LIVE_STATUSES),
        col(Call.call_type) != "test",
        started_or_created >= bindparam("since"),
    )
    .order_by(started_or_created.desc(), col(Call.id).desc())
    .limit(20)
)
# Exactly the partial index's condition ("= true", not IS, for SQLite) and nothing else, so the count is an
# index-only scan: the planner cannot see that most follow-ups are done, and any extra column check sent it to a
# scan of all the tenant's calls. Open follow-ups therefore include test calls, like the calls list filter.
_OPEN_ACTIONS = select(func.count()).where(
    col(Call.tenant_id) == _TENANT,
    col(Call.action_needed) == true(),
    col(Call.action_done_at).is_(None),
)


def _exists_call(kind) -> Any:
    return exists(select(col(Call.id)).where(col(Call.tenant_id) == _TENANT, kind))


_ANY_CALLS = select(_exists_call(col(Call.call_type) != "test"), _exists_call(col(Call.call_type) == "test"))
_BOOKED = (
    col(Booking.tenant_id) == _TENANT,
    col(Booking.source) == "assistant",
    col(Booking.status) != "cancelled",
    col(Booking.created_at) >= bindparam("start"),
    col(Booking.created_at) < bindparam("end"),
)
_BOOKING_FIGURES = (
    select(
        col(BookingSettings.enabled),
        col(Tenant.currency),
        select(func.count(col(Booking.id))).where(*_BOOKED).scalar_subquery(),
        select(func.coalesce(func.sum(col(Booking.price_minor)), 0)).where(*_BOOKED).scalar_subquery(),
    )
    .select_from(Tenant)
    .join(BookingSettings, col(BookingSettings.tenant_id) == col(Tenant.id), isouter=True)
    .where(col(Tenant.id) == _TENANT)
)

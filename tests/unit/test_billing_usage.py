"""Usage in the billing period: SQL minutes agree with ``billable``'s rule, projection, cost, leads, and the 80 %/95 %
emails sent once per period and threshold whatever reruns."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import col, select

from ava_app.models import Booking, BookingService, BookingStaff, Call, Outbox, UsageAlert
from ava_app.services.billing import billable, plans, usage
from ava_app.services.billing.period import BillingPeriod
from ava_app.services.errors import Forbidden
from ava_app.services.principal import Principal
from ava_app.settings import get_settings
from tests.factories import make_tenant, make_user

NOW = datetime(2027, 3, 20, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fresh_plans(monkeypatch):
    monkeypatch.delenv(plans.PLANS_FILE_VARIABLE, raising=False)
    plans.all_plans.cache_clear()
    yield
    plans.all_plans.cache_clear()


def add_call(db, tenant, *, at: datetime, seconds: int | None, **fields) -> Call:
    call = Call(
        tenant_id=tenant.id,
        provider_call_id=str(uuid.uuid4()),
        status="ended",
        outcome=fields.pop("outcome", "answered"),
        started_at=at,
        duration_seconds=seconds,
        cost=fields.pop("cost", Decimal("0.10")),
        **fields,
    )
    db.add(call)
    db.commit()
    return call


def test_sql_and_python_rules_agree_on_many_calls(db):
    tenant = make_tenant(db, plan="pro", created_at=datetime(2027, 1, 15, tzinfo=UTC))
    other = make_tenant(db, plan="pro", created_at=datetime(2027, 1, 15, tzinfo=UTC))
    chance = random.Random(17)
    start, end = datetime(2027, 3, 15, tzinfo=UTC), datetime(2027, 4, 15, tzinfo=UTC)
    calls = []
    for _ in range(400):
        at = start + timedelta(minutes=chance.randrange(0, 31 * 24 * 60))
        seconds = chance.choice([None, 0, 1, 14, 15, 16, 59, 60, 61, 119, 120, 121, 600, 3599, chance.randrange(3600)])
        calls.append(
            add_call(
                db,
                tenant,
                at=at,
                seconds=seconds,
                call_type=chance.choice(["inbound", "inbound", "inbound", "web", "test", "outbound"]),
                outcome=chance.choice(["answered", "answered", "blocked", "missed", None, "voicemail"]),
                spam=chance.random() < 0.1,
            )
        )
    # Calls outside the period and another business's calls are not counted.
    add_call(db, tenant, at=start - timedelta(seconds=1), seconds=600)
    add_call(db, tenant, at=end, seconds=600)
    add_call(db, other, at=start + timedelta(days=1), seconds=600)
    # Per call: the SQL expressions give what the Python rule gives.
    by_id = {
        row[0]: (row[1], row[2])
        for row in db.exec(
            select(col(Call.id), usage.billable_minutes_sql(), usage.not_billed_reason_sql()).where(
                col(Call.tenant_id) == tenant.id
            )
        ).all()
    }
    for call in calls:
        assert by_id[call.id] == (billable.billable_minutes(call), billable.not_billed_reason(call)), call
    counts = usage.period_counts(db, tenant_id=tenant.id, start=start, end=end)
    assert counts.minutes == sum(billable.billable_minutes(call) for call in calls) > 0
    assert counts.billed_calls == sum(billable.not_billed_reason(call) is None for call in calls)
    for reason in usage.NOT_BILLED_REASONS:
        assert counts.not_billed.get(reason, 0) == sum(billable.not_billed_reason(call) == reason for call in calls)


def test_period_counts_see_what_the_session_holds_unsaved_and_one_tenant_only(db):
    # The statement is built once with bound parameters: each read must still bind its own tenant and period, and
    # count a call added in the same session and not yet flushed.
    tenant = make_tenant(db, plan="pro", created_at=datetime(2027, 1, 15, tzinfo=UTC))
    other = make_tenant(db, plan="pro", created_at=datetime(2027, 1, 15, tzinfo=UTC))
    start, end = datetime(2027, 3, 15, tzinfo=UTC), datetime(2027, 4, 15, tzinfo=UTC)
    add_call(db, tenant, at=start + timedelta(days=1), seconds=61)
    add_call(db, other, at=start + timedelta(days=1), seconds=600)
    db.add(
        Call(
            tenant_id=tenant.id,
            provider_call_id="unsaved",
            status="ended",
            started_at=end - timedelta(hours=1),
            duration_seconds=120,
            outcome="answered",
            action_needed=True,
        )
    )
    counts = usage.period_counts(db, tenant_id=tenant.id, start=start, end=end)
    assert (counts.minutes, counts.billed_calls, counts.leads) == (2 + 2, 2, 1)
    assert usage.period_counts(db, tenant_id=other.id, start=start, end=end).minutes == 10
    assert usage.period_counts(db, tenant_id=tenant.id, start=end, end=end + timedelta(days=30)).billed_calls == 0


def test_projection_cost_and_cost_per_call_booking_and_lead(db):
    # Pro: 700 minutes included, 79.00 a month, 0.20 per extra minute. Period 15 March → 15 April (UTC).
    tenant = make_tenant(db, plan="pro", created_at=datetime(2027, 1, 15, tzinfo=UTC))
    first = add_call(db, tenant, at=datetime(2027, 3, 16, 9, tzinfo=UTC), seconds=361 * 60 - 30, action_needed=True)
    booked = add_call(db, tenant, at=datetime(2027, 3, 18, 9, tzinfo=UTC), seconds=90 * 60)
    add_call(db, tenant, at=datetime(2027, 3, 19, 9, tzinfo=UTC), seconds=10)  # a hang-up, not billed
    add_call(db, tenant, at=datetime(2027, 3, 19, 10, tzinfo=UTC), seconds=300, spam=True)
    add_call(db, tenant, at=datetime(2027, 3, 19, 11, tzinfo=UTC), seconds=300, call_type="web")
    service = BookingService(tenant_id=tenant.id, name="Cleaning", duration_minutes=30)
    db.add(service)
    db.commit()
    staff = BookingStaff(tenant_id=tenant.id, name="Dr Martin")
    db.add(staff)
    db.commit()
    slot = datetime(2027, 3, 25, 9, tzinfo=UTC)
    for call_id, status in ((booked.id, "booked"), (first.id, "cancelled")):
        db.add(
            Booking(
                tenant_id=tenant.id,
                service_id=service.id,
                staff_id=staff.id,
                start_at=slot,
                end_at=slot + timedelta(minutes=30),
                busy_until=slot + timedelta(minutes=30),
                call_id=call_id,
                status=status,
                created_at=datetime(2027, 3, 18, 9, 5, tzinfo=UTC),
            )
        )
        slot += timedelta(hours=1)
    db.commit()
    found = usage.tenant_usage(db, tenant_id=tenant.id, now=NOW)
    assert (found.period.start, found.period.end) == (
        datetime(2027, 3, 15, tzinfo=UTC),
        datetime(2027, 4, 15, tzinfo=UTC),
    )
    assert found.minutes_used == 361 + 90
    assert found.not_billed == {"short": 1, "spam": 1, "test": 1}
    assert (found.billed_calls, found.bookings, found.leads) == (2, 1, 2)
    # 5.5 of 31 days gone: 451 minutes at that pace end near 2542; the cost counts the minutes over 700.
    assert found.projected_minutes == round(451 / (5.5 / 31))
    assert found.cost_minor == 7900
    assert found.projected_cost_minor == 7900 + (found.projected_minutes - 700) * 20
    assert found.cost_per(found.billed_calls) == 3950
    assert found.cost_per(0) is None
    # The chart's days: cumulative minutes on the business's clock, up to today.
    assert [day.cumulative for day in found.days][:5] == [0, 361, 361, 451, 451]
    assert found.days[-1].day.isoformat() == "2027-03-20"


def test_projection_waits_for_a_pace():
    span = BillingPeriod(datetime(2027, 4, 1, tzinfo=UTC), datetime(2027, 5, 1, tzinfo=UTC), "monthly")
    assert usage.projected_minutes(30, span, datetime(2027, 4, 1, 20, tzinfo=UTC)) == 30
    assert usage.projected_minutes(100, span, datetime(2027, 4, 11, tzinfo=UTC)) == 300
    assert usage.projected_minutes(100, span, datetime(2027, 5, 2, tzinfo=UTC)) == 100


def test_threshold_emails_go_once_per_period_each_even_when_the_job_reruns(db, jobs):
    # ``jobs``: the outbox's delivery jobs run in the test.
    # Trial: 60 minutes included, from the creation for 14 days.
    created = NOW - timedelta(days=2)
    tenant = make_tenant(db, plan="trial", created_at=created, locale="fr", name="Boulangerie")
    admin = make_user(db, tenant=tenant, role="admin", locale="fr")
    make_user(db, tenant=tenant, role="viewer")
    add_call(db, tenant, at=NOW - timedelta(hours=5), seconds=47 * 60)
    assert usage.send_usage_alerts(db, tenant_id=tenant.id, now=NOW) == []
    add_call(db, tenant, at=NOW - timedelta(hours=4), seconds=2 * 60)  # 49 of 60 minutes: 81 %
    assert usage.send_usage_alerts(db, tenant_id=tenant.id, now=NOW) == [80]
    assert usage.send_usage_alerts(db, tenant_id=tenant.id, now=NOW) == []
    add_call(db, tenant, at=NOW - timedelta(hours=3), seconds=9 * 60)  # 58 of 60: 96 %
    assert usage.send_usage_alerts(db, tenant_id=tenant.id, now=NOW) == [95]
    assert usage.send_usage_alerts(db, tenant_id=tenant.id, now=NOW) == []
    mails = db.exec(select(Outbox).where(col(Outbox.tenant_id) == tenant.id).order_by(col(Outbox.id))).all()
    # Admins only, in their language.
    assert [mail.to for mail in mails] == [admin.email, admin.email]
    assert mails[0].subject == "Boulangerie : 80 % de vos minutes incluses utilisées"
    assert "49 des 60 minutes" in mails[0].body_text
    assert "/usage" in mails[0].body_text
    assert mails[1].subject.startswith("Boulangerie : 95 %")
    claims = db.exec(select(UsageAlert).where(col(UsageAlert.tenant_id) == tenant.id)).all()
    assert sorted(claim.threshold for claim in claims) == [80, 95]
    # The next period starts afresh: the trial is over, the first monthly period begins at its end.
    later = created + timedelta(days=15)
    add_call(db, tenant, at=later - timedelta(hours=2), seconds=58 * 60)
    assert usage.send_usage_alerts(db, tenant_id=tenant.id, now=later) == [80, 95]


def test_usage_reads_the_callers_own_organisation_and_margins_need_a_platform_admin(db):
    mine = make_tenant(db, plan="pro", created_at=NOW - timedelta(days=40))
    theirs = make_tenant(db, plan="pro", created_at=NOW - timedelta(days=40))
    add_call(db, theirs, at=NOW - timedelta(hours=1), seconds=600)
    viewer = Principal(user_id=1, tenant_id=mine.id, role="viewer")
    assert usage.usage_for(db, principal=viewer, now=NOW).minutes_used == 0
    with pytest.raises(Forbidden):
        usage.platform_margins(db, principal=Principal(user_id=1, tenant_id=theirs.id, role="admin"), now=NOW)
    operator = Principal(user_id=1, tenant_id=None, role=None, is_platform_admin=True)
    rows = {row.tenant_id: row for row in usage.platform_margins(db, principal=operator, now=NOW)}
    assert rows[theirs.id].minutes_used == 10
    assert rows[theirs.id].provider_cost == Decimal("0.10")
    assert rows[theirs.id].revenue_minor == 7900


def test_a_margin_in_another_currency_needs_the_operators_rate(db, monkeypatch):
    tenant = make_tenant(db, plan="pro", currency="EUR", created_at=NOW - timedelta(days=40))
    add_call(db, tenant, at=NOW - timedelta(hours=1), seconds=600)
    operator = Principal(user_id=1, tenant_id=None, role=None, is_platform_admin=True)

    def margin_of() -> tuple:
        get_settings.cache_clear()
        row = next(row for row in usage.platform_margins(db, principal=operator, now=NOW) if row.tenant_id == tenant.id)
        return row.margin, row.margin_approximate

    monkeypatch.delenv("AVA_PROVIDER_COST_RATES", raising=False)
    assert margin_of() == (None, False), "euros against dollars: no margin without a rate"
    monkeypatch.setenv("AVA_PROVIDER_COST_RATES", "EUR=0.90, GBP=0.80")
    # €79.00 of plan revenue, $0.10 of provider cost at 0.90.
    assert margin_of() == (Decimal("78.91"), True)
    get_settings.cache_clear()

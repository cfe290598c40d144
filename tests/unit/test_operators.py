"""The operators' console: suspend and resume an organisation, change its plan, read its status (operators only)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from ava_app.models import AuditLog, BillingSubscription, Outbox, Tenant, utcnow
from ava_app.services import operators
from ava_app.services.billing import subscriptions, usage
from ava_app.services.caller_phrases import phrase
from ava_app.services.errors import Forbidden, Invalid, NotFound
from ava_app.services.principal import Principal
from tests.factories import make_call, make_tenant, make_user
from tests.unit.vapi_messages import LA_WEDNESDAY_10AM, load, send


@pytest.fixture()
def operator(db) -> Principal:
    """A platform admin (of no organisation)."""
    person = make_user(db, email="ops@ava.example", is_platform_admin=True)
    return Principal(user_id=person.id, tenant_id=None, role=None, is_platform_admin=True)


def audit_actions(db, tenant: Tenant) -> list[tuple[str, dict]]:
    rows = db.exec(select(AuditLog).where(AuditLog.tenant_id == tenant.id).order_by(AuditLog.id)).all()
    return [(row.action, row.detail) for row in rows]


def mails_to(db, address: str) -> list[Outbox]:
    db.expire_all()
    return list(db.exec(select(Outbox).where(Outbox.to == address).order_by(Outbox.id)).all())


def test_an_organisations_admin_can_neither_suspend_resume_nor_change_a_plan(db):
    tenant = make_tenant(db, name="Alpha Dental")
    person = make_user(db, tenant=tenant, role="admin")
    own_admin = Principal(user_id=person.id, tenant_id=tenant.id, role="admin")
    with pytest.raises(Forbidden) as refused:
        operators.suspend(db, principal=own_admin, tenant_id=tenant.id, reason="no")
    assert refused.value.code == "platform_admin_only"
    with pytest.raises(Forbidden):
        operators.resume(db, principal=own_admin, tenant_id=tenant.id)
    with pytest.raises(Forbidden):
        operators.set_plan(db, principal=own_admin, tenant_id=tenant.id, plan_code="business")
    db.refresh(tenant)
    assert (tenant.suspended_at, tenant.plan) == (None, "trial")
    assert audit_actions(db, tenant) == []


def test_a_suspension_needs_a_short_reason_and_an_existing_organisation(db, operator):
    tenant = make_tenant(db)
    for reason, code in (("", "reason_required"), ("   \n ", "reason_required"), ("x" * 201, "reason_too_long")):
        with pytest.raises(Invalid) as refused:
            operators.suspend(db, principal=operator, tenant_id=tenant.id, reason=reason)
        assert refused.value.code == code
    for missing in (tenant.id + 1000, "1", True, None):
        with pytest.raises(NotFound):
            operators.suspend(db, principal=operator, tenant_id=missing, reason="Unpaid")  # type: ignore[arg-type]
    db.refresh(tenant)
    assert tenant.suspended_at is None


def test_suspending_pauses_the_next_call_tells_the_admins_and_is_audited_once(db, vapi_business, operator):
    tenant, _, _ = vapi_business
    owner = make_user(db, tenant=tenant, role="admin", email="owner@alpha.example", locale="fr")
    make_user(db, tenant=tenant, role="viewer", email="viewer@alpha.example")
    operators.suspend(db, principal=operator, tenant_id=tenant.id, reason="Invoice  unpaid\nsince March")
    operators.suspend(db, principal=operator, tenant_id=tenant.id, reason="again")
    db.refresh(tenant)
    assert tenant.suspended_at is not None and tenant.suspended_reason == "Invoice unpaid since March"
    assert audit_actions(db, tenant) == [("tenant_suspended", {"reason": "Invoice unpaid since March"})]
    (mail,) = mails_to(db, owner.email)
    assert mail.subject == f"{tenant.name} : votre assistant AVA est suspendu"
    assert "Invoice unpaid since March" in mail.body_text
    assert mails_to(db, "viewer@alpha.example") == [], "only admins are emailed"
    assert subscriptions.call_policy(db, tenant_id=tenant.id) == "pause"
    result = send(db, load("assistant-request"), now=LA_WEDNESDAY_10AM)
    assert result.response == {"error": phrase(tenant.locale, "paused")}

    operators.resume(db, principal=operator, tenant_id=tenant.id)
    operators.resume(db, principal=operator, tenant_id=tenant.id)
    db.refresh(tenant)
    assert (tenant.suspended_at, tenant.suspended_reason) == (None, None)
    assert [action for action, _ in audit_actions(db, tenant)] == ["tenant_suspended", "tenant_resumed"]
    assert [mail.subject for mail in mails_to(db, owner.email)][-1] == (
        f"{tenant.name} : votre assistant AVA répond de nouveau"
    )
    assert subscriptions.call_policy(db, tenant_id=tenant.id) == "normal"
    assert "assistantId" in send(db, load("assistant-request"), now=LA_WEDNESDAY_10AM).response


def test_a_second_suspension_emails_the_admins_again(db, operator):
    tenant = make_tenant(db)
    owner = make_user(db, tenant=tenant, role="admin")
    operators.suspend(db, principal=operator, tenant_id=tenant.id, reason="Unpaid")
    operators.resume(db, principal=operator, tenant_id=tenant.id)
    operators.suspend(db, principal=operator, tenant_id=tenant.id, reason="Abuse report")
    subjects = [mail.subject for mail in mails_to(db, owner.email)]
    assert len(subjects) == 3 and subjects[0] == subjects[2] == f"{tenant.name}: your AVA assistant is suspended"


def test_the_operators_change_the_plan_of_an_organisation_outside_stripe_only(db, operator):
    tenant = make_tenant(db)
    with pytest.raises(Invalid) as refused:
        operators.set_plan(db, principal=operator, tenant_id=tenant.id, plan_code="platinum")
    assert refused.value.code == "unknown_plan"
    operators.set_plan(db, principal=operator, tenant_id=tenant.id, plan_code="pro")
    db.refresh(tenant)
    assert tenant.plan == "pro"
    assert usage.tenant_usage(db, tenant_id=tenant.id).included_minutes == 700
    # Its billing page says who set the plan, not "trial".
    owner = make_user(db, tenant=tenant, role="admin")
    overview = subscriptions.billing_overview(
        db, principal=Principal(user_id=owner.id, tenant_id=tenant.id, role="admin")
    )
    assert (overview.plan_code, overview.status, overview.trial_ends) == ("pro", "managed", None)
    assert audit_actions(db, tenant) == [("tenant_plan_changed", {"from": "trial", "to": "pro"})]

    paying = make_tenant(db, plan="starter")
    db.add(BillingSubscription(tenant_id=paying.id, stripe_customer_id=f"cus_{paying.id}", status="active"))
    db.commit()
    with pytest.raises(Invalid) as refused:
        operators.set_plan(db, principal=operator, tenant_id=paying.id, plan_code="business")
    assert refused.value.code == "plan_in_stripe"
    db.refresh(paying)
    assert paying.plan == "starter" and audit_actions(db, paying) == []


def test_the_status_says_what_needs_the_operators_attention(db, operator):
    now = utcnow()
    trial = make_tenant(db, created_at=now - timedelta(days=3))
    ended = make_tenant(db, created_at=now - timedelta(days=20))
    invoiced = make_tenant(db, plan="pro", created_at=now - timedelta(days=20))
    failing = make_tenant(db, plan="starter")
    db.add(BillingSubscription(tenant_id=failing.id, stripe_customer_id="cus_failing", status="past_due"))
    paying = make_tenant(db, created_at=now - timedelta(days=20))
    db.add(BillingSubscription(tenant_id=paying.id, stripe_customer_id="cus_paying", status="active"))
    suspended = make_tenant(db, suspended_at=now, suspended_reason="Abuse")
    db.commit()
    make_call(db, tenant=paying, minutes_ago=90)
    rows = {row.tenant_id: row for row in usage.platform_margins(db, principal=operator, now=now)}
    assert {tenant.id: rows[tenant.id].status for tenant in (trial, ended, invoiced, failing, paying, suspended)} == {
        trial.id: "trial",
        ended.id: "trial_ended",
        invoiced.id: "active",
        failing.id: "payment_failed",
        paying.id: "active",
        suspended.id: "suspended",
    }
    assert rows[suspended.id].suspended_reason == "Abuse"
    assert rows[trial.id].last_call_at is None
    last = rows[paying.id].last_call_at
    assert last is not None and timedelta(minutes=89) < now - last < timedelta(minutes=91)
    assert rows[invoiced.id].plan_code == "pro"


def test_support_sees_an_organisation_read_only_without_what_callers_said_and_the_look_is_audited(db, operator):
    tenant = make_tenant(db, name="Salon Rivoli", country="FR", timezone="Europe/Paris")
    owner = make_user(db, tenant=tenant, role="admin", email="owner@rivoli.example")
    make_call(db, tenant=tenant, minutes_ago=5, caller_number="+33612345678", summary="Wants a colour on Friday")
    make_call(db, tenant=tenant, minutes_ago=60, outcome="missed")
    own_admin = Principal(user_id=owner.id, tenant_id=tenant.id, role="admin")
    with pytest.raises(Forbidden):
        operators.support_view(db, principal=own_admin, tenant_id=tenant.id)
    with pytest.raises(NotFound):
        operators.support_view(db, principal=operator, tenant_id=tenant.id + 1000)
    assert audit_actions(db, tenant) == []

    view = operators.support_view(db, principal=operator, tenant_id=tenant.id)
    assert (view.name, view.status, view.calls_total) == ("Salon Rivoli", "trial", 2)
    assert view.members == [("owner@rivoli.example", "admin")]
    assert [call.outcome for call in view.calls] == ["answered", "missed"], "newest first"
    shown = repr(view)
    assert "+33612345678" not in shown and "colour" not in shown, "nothing a caller said, nor their number"
    assert audit_actions(db, tenant) == [("support_viewed", {})]

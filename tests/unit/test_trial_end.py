"""A free trial that ends without a plan: its calls get the operator's after-trial policy, its admins are told before
and once after, and a business on a plan (or the demo) is never touched."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from ava_app.models import BillingSubscription, Outbox, Tenant
from ava_app.services.billing import subscriptions
from ava_app.services.caller_phrases import phrase
from ava_app.services.principal import Principal
from ava_app.settings import get_settings
from tests.factories import make_tenant, make_user
from tests.unit.vapi_messages import LA_WEDNESDAY_10AM, load, send

TRIAL_END = LA_WEDNESDAY_10AM - timedelta(hours=1)


def started_trial(db, tenant: Tenant, *, ends) -> Tenant:
    tenant.created_at = ends - timedelta(days=14)
    db.add(tenant)
    db.commit()
    return tenant


def mails(db, tenant: Tenant) -> list[Outbox]:
    db.expire_all()
    return list(db.exec(select(Outbox).where(Outbox.tenant_id == tenant.id).order_by(Outbox.id)).all())


@pytest.fixture()
def after_trial(monkeypatch):
    def choose(policy: str) -> None:
        monkeypatch.setenv("AVA_BILLING_AFTER_TRIAL", policy)
        get_settings.cache_clear()

    yield choose
    get_settings.cache_clear()


def test_a_trial_answers_as_usual_until_its_end_then_only_takes_messages(db, vapi_business, after_trial):
    tenant, assistant, _ = vapi_business
    after_trial("messages_only")
    started_trial(db, tenant, ends=LA_WEDNESDAY_10AM + timedelta(minutes=1))
    assert subscriptions.call_policy(db, tenant_id=tenant.id, now=LA_WEDNESDAY_10AM) == "normal"
    answer = send(db, load("assistant-request"), now=LA_WEDNESDAY_10AM).response
    assert answer["assistantId"] == assistant.provider_assistant_id
    tools = answer.get("assistantOverrides", {}).get("model", {}).get("tools", [])
    assert [tool["function"]["name"] for tool in tools] != ["take_message"]

    started_trial(db, tenant, ends=TRIAL_END)
    assert subscriptions.call_policy(db, tenant_id=tenant.id, now=LA_WEDNESDAY_10AM) == "messages_only"
    overrides = send(db, load("assistant-request"), now=LA_WEDNESDAY_10AM).response["assistantOverrides"]
    assert [tool["function"]["name"] for tool in overrides["model"]["tools"]] == ["take_message"]


def test_the_operator_may_pause_a_business_whose_trial_ended(db, vapi_business, after_trial):
    tenant, _, _ = vapi_business
    after_trial("pause")
    started_trial(db, tenant, ends=TRIAL_END)
    assert send(db, load("assistant-request"), now=LA_WEDNESDAY_10AM).response == {
        "error": phrase(tenant.locale, "paused")
    }


@pytest.mark.parametrize("plan", ["trial", "pro"])
def test_a_business_on_a_plan_or_the_demo_is_never_limited_by_the_trial(db, plan):
    paying = started_trial(db, make_tenant(db, plan=plan), ends=TRIAL_END)
    if plan == "trial":
        # On the trial plan in AVA, but Stripe says it pays (the webhook has not landed yet).
        db.add(BillingSubscription(tenant_id=paying.id, stripe_customer_id=f"cus_{paying.id}", status="active"))
        db.commit()
    demo = started_trial(db, make_tenant(db, is_demo=True), ends=TRIAL_END)
    for tenant in (paying, demo):
        assert subscriptions.trial_end(db, tenant) is None
        assert subscriptions.call_policy(db, tenant_id=tenant.id, now=LA_WEDNESDAY_10AM) == "normal"


def test_admins_hear_before_the_trial_ends_and_once_after(db, after_trial):
    after_trial("messages_only")
    tenant = make_tenant(db, name="Salon Rivoli", timezone="Europe/Paris", country="FR")
    make_user(db, tenant=tenant, role="admin", locale="fr")
    make_user(db, tenant=tenant, role="viewer")
    ends = LA_WEDNESDAY_10AM + timedelta(days=2)
    started_trial(db, tenant, ends=ends)
    far = started_trial(db, make_tenant(db), ends=LA_WEDNESDAY_10AM + timedelta(days=10))
    make_user(db, tenant=far, role="admin")

    assert subscriptions.warn_trial_ending(db, now=LA_WEDNESDAY_10AM) == 1
    assert subscriptions.warn_trial_ending(db, now=LA_WEDNESDAY_10AM + timedelta(hours=1)) == 1
    (soon,) = mails(db, tenant)
    assert soon.subject == "Salon Rivoli : votre essai gratuit se termine le 6 juin 2025"
    assert "ne fera que prendre des messages" in soon.body_text and "/settings/billing" in soon.body_text
    assert mails(db, far) == []

    assert subscriptions.warn_trial_ending(db, now=ends + timedelta(hours=2)) == 1
    assert subscriptions.warn_trial_ending(db, now=ends + timedelta(hours=3)) == 1
    assert [mail.subject for mail in mails(db, tenant)] == [
        soon.subject,
        "Salon Rivoli : votre essai gratuit est terminé",
    ]
    assert subscriptions.warn_trial_ending(db, now=ends + timedelta(days=2)) == 0, "told once, not every day"


def test_a_business_that_chose_a_plan_is_not_told_its_trial_ends(db):
    tenant = started_trial(db, make_tenant(db), ends=LA_WEDNESDAY_10AM + timedelta(days=1))
    make_user(db, tenant=tenant, role="admin")
    db.add(BillingSubscription(tenant_id=tenant.id, stripe_customer_id=f"cus_{tenant.id}", status="active"))
    db.commit()
    assert subscriptions.warn_trial_ending(db, now=LA_WEDNESDAY_10AM) == 0
    assert mails(db, tenant) == []


def test_the_billing_page_says_when_the_trial_ends(db):
    tenant = started_trial(db, make_tenant(db), ends=LA_WEDNESDAY_10AM + timedelta(days=5))
    owner = make_user(db, tenant=tenant, role="admin")
    overview = subscriptions.billing_overview(
        db, principal=Principal(user_id=owner.id, tenant_id=tenant.id, role="admin")
    )
    assert overview.status == "trial"
    assert overview.trial_ends == LA_WEDNESDAY_10AM + timedelta(days=5)

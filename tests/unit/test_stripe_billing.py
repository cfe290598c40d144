"""Subscriptions through Stripe: the real SDK against the Stripe emulator, and its signed webhooks into AVA's route.

The emulator is served on a real port (the SDK does real HTTP); its webhooks are held and delivered by each test
(``flush``), in order, twice, or reversed, to AVA's route through the ASGI test client.
"""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
import stripe
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import select
from starlette.applications import Starlette
from starlette.routing import Mount

from ava_app import routes
from ava_app.api import stripe_webhooks
from ava_app.models import BillingSubscription, MeterReport, Outbox, StripeEvent, Tenant, utcnow
from ava_app.sandbox.stripe import add_plan_prices
from ava_app.sandbox.stripe.app import DECLINED_CARD, PAYING_CARD, StripeEmulator, sign
from ava_app.services.billing import subscriptions
from ava_app.services.billing.usage import tenant_usage
from ava_app.services.caller_phrases import phrase
from ava_app.services.errors import Forbidden
from ava_app.services.principal import Principal
from ava_app.services.providers.stripe_billing import sandbox_api_key, stripe_client
from ava_app.settings import get_settings
from tests.factories import make_call, make_tenant, make_user
from tests.servers import serve_app
from tests.unit.vapi_messages import LA_WEDNESDAY_10AM, load, send


def admin(tenant: Tenant, role: str = "admin") -> Principal:
    return Principal(user_id=None, tenant_id=tenant.id, role=role)


@pytest.fixture()
def stripe_env(engine, jobs, monkeypatch):
    """(emulator, webhook client): the emulator on a free port as AVA's sandbox Stripe, its events held."""
    get_settings.cache_clear()
    settings = get_settings()
    emulator = StripeEmulator(api_key=sandbox_api_key(settings), webhook_secret=settings.stripe_webhook_secret)
    emulator.auto_deliver = False
    add_plan_prices(emulator)
    api = FastAPI()
    api.include_router(stripe_webhooks.router, prefix=routes.API_V1)
    client = TestClient(api)

    def post(url: str, body: bytes, headers: dict[str, str]) -> int:
        return client.post(routes.api(routes.STRIPE_WEBHOOK), content=body, headers=headers).status_code

    emulator.transport = post
    with serve_app(Starlette(routes=[Mount(routes.SANDBOX_STRIPE, app=emulator.app())])) as url:
        monkeypatch.setenv("AVA_PUBLIC_URL", url)
        get_settings.cache_clear()
        emulator.base_url = url + routes.SANDBOX_STRIPE
        yield emulator, client
    get_settings.cache_clear()


def subscribe(db, emulator: StripeEmulator, tenant: Tenant, plan: str = "starter", card: str = PAYING_CARD):
    """An admin goes through Checkout and pays with ``card``; returns the hosted page's answer."""
    url = subscriptions.checkout_url(db, principal=admin(tenant), plan_code=plan, email="owner@example.com")
    assert url.startswith(emulator.base_url + "/pay/")
    return httpx.post(url, data={"card": card, "action": "pay"}, follow_redirects=False)


def row_of(db, tenant: Tenant) -> BillingSubscription:
    db.expire_all()
    return db.exec(select(BillingSubscription).where(BillingSubscription.tenant_id == tenant.id)).one()


def test_a_bad_or_missing_signature_is_refused(stripe_env, db):
    _, client = stripe_env
    body = json.dumps({"id": "evt_1", "object": "event", "type": "invoice.paid", "data": {"object": {}}}).encode()
    path = routes.api(routes.STRIPE_WEBHOOK)
    assert client.post(path, content=body, headers={"Stripe-Signature": sign(body, "whsec_wrong")}).status_code == 400
    assert client.post(path, content=body).status_code == 400
    stale = sign(body, get_settings().stripe_webhook_secret, timestamp=int(utcnow().timestamp()) - 3600)
    assert client.post(path, content=body, headers={"Stripe-Signature": stale}).status_code == 400
    assert db.exec(select(StripeEvent)).all() == []
    good = sign(body, get_settings().stripe_webhook_secret)
    assert client.post(path, content=body, headers={"Stripe-Signature": good}).json() == {
        "received": True,
        "duplicate": False,
    }


def test_checkout_with_the_paying_card_changes_the_plan(stripe_env, db):
    emulator, _ = stripe_env
    tenant = make_tenant(db)
    assert subscriptions.subscription_period(db, tenant.id) is None
    answer = subscribe(db, emulator, tenant, plan="pro")
    assert answer.status_code == 303 and answer.headers["location"].endswith("/settings/billing?checkout=done")
    assert {event["type"] for event in emulator.pending} >= {"checkout.session.completed", "invoice.paid"}
    assert set(emulator.flush()) == {200}
    db.refresh(tenant)
    assert tenant.plan == "pro"
    row = row_of(db, tenant)
    assert row.status == "active" and row.grace_until is None
    start, end = subscriptions.subscription_period(db, tenant.id)
    assert timedelta(days=27) < end - start < timedelta(days=32)
    overview = subscriptions.billing_overview(db, principal=admin(tenant))
    assert (overview.plan_code, overview.status) == ("pro", "active")


def test_the_declined_card_at_checkout_subscribes_nothing(stripe_env, db):
    emulator, _ = stripe_env
    tenant = make_tenant(db)
    answer = subscribe(db, emulator, tenant, card=DECLINED_CARD)
    assert answer.status_code == 402 and "Your card was declined." in answer.text
    assert emulator.pending == [] and emulator.subscriptions == {}
    db.refresh(tenant)
    assert tenant.plan == "trial"


def test_events_delivered_twice_are_applied_once(stripe_env, db):
    emulator, client = stripe_env
    tenant = make_tenant(db)
    make_user(db, tenant=tenant, role="admin")
    subscribe(db, emulator, tenant)
    emulator.flush()
    emulator.cards[row_of(db, tenant).stripe_customer_id] = DECLINED_CARD
    emulator.renew(row_of(db, tenant).stripe_subscription_id)
    held = list(emulator.pending)
    statuses = emulator.flush(twice=True)
    assert statuses == [200] * (2 * len(held))
    path = routes.api(routes.STRIPE_WEBHOOK)
    body = json.dumps(held[-1]).encode()
    again = client.post(path, content=body, headers={"Stripe-Signature": sign(body, emulator.webhook_secret)})
    assert again.json()["duplicate"] is True
    assert len(db.exec(select(StripeEvent)).all()) == len(emulator.events)
    row = row_of(db, tenant)
    assert row.status == "past_due"
    # One failed-payment email per admin, however often the event came.
    mails = db.exec(select(Outbox).where(Outbox.tenant_id == tenant.id)).all()
    assert len([mail for mail in mails if "Payment failed" in (mail.subject or "")]) == 1


def test_events_out_of_order_leave_what_stripe_has_now(stripe_env, db):
    emulator, _ = stripe_env
    tenant = make_tenant(db)
    subscribe(db, emulator, tenant, plan="starter")
    emulator.flush()
    subscription = row_of(db, tenant).stripe_subscription_id
    pro = next(price["id"] for price in emulator.prices.values() if price["lookup_key"] == "pro")
    emulator._change_plan(emulator.subscriptions[subscription], pro)
    emulator.renew(subscription)
    # The newest first, the "created" and "paid" events of the old plan last.
    emulator.flush(reverse=True)
    db.refresh(tenant)
    assert tenant.plan == "pro"
    assert row_of(db, tenant).status == "active"


def test_a_declined_renewal_starts_a_grace_period_and_a_new_card_ends_it(stripe_env, db):
    emulator, _ = stripe_env
    tenant = make_tenant(db, locale="fr")
    make_user(db, tenant=tenant, role="admin", locale="fr")
    subscribe(db, emulator, tenant)
    emulator.flush()
    row = row_of(db, tenant)
    portal = subscriptions.portal_url(db, principal=admin(tenant))
    httpx.post(portal, data={"action": "card", "card": DECLINED_CARD})
    httpx.post(portal, data={"action": "renew"})
    emulator.flush()
    row = row_of(db, tenant)
    assert row.status == "past_due"
    days = get_settings().billing_grace_days
    ends = subscriptions.grace_until(db, tenant_id=tenant.id)
    assert ends is not None and abs(ends - (utcnow() + timedelta(days=days))) < timedelta(minutes=1)
    db.refresh(tenant)
    assert tenant.plan == "starter"  # the plan stays during grace
    assert subscriptions.call_policy(db, tenant_id=tenant.id) == "normal"
    (mail,) = [mail for mail in db.exec(select(Outbox)).all() if mail.tenant_id == tenant.id]
    assert "Échec du paiement" in mail.subject and "prendre des messages" in mail.body_text
    # A card that pays settles the open invoice: the grace period is over.
    httpx.post(portal, data={"action": "card", "card": PAYING_CARD})
    emulator.flush()
    assert row_of(db, tenant).status == "active"
    assert subscriptions.grace_until(db, tenant_id=tenant.id) is None


def test_admins_hear_before_the_grace_period_ends_once(stripe_env, db):
    tenant = make_tenant(db)
    make_user(db, tenant=tenant, role="admin")
    db.add(
        BillingSubscription(
            tenant_id=tenant.id, stripe_customer_id="cus_x", status="past_due", grace_until=utcnow() + timedelta(days=1)
        )
    )
    db.commit()
    assert subscriptions.warn_grace_ending(db) == 1
    assert subscriptions.warn_grace_ending(db) == 0
    mails = [mail for mail in db.exec(select(Outbox)).all() if "grace period ends" in (mail.subject or "")]
    assert len(mails) == 1


def _lapsed(db, tenant: Tenant, *, days_ago: int) -> None:
    db.add(
        BillingSubscription(
            tenant_id=tenant.id,
            stripe_customer_id=f"cus_{tenant.id}",
            status="past_due",
            grace_until=LA_WEDNESDAY_10AM - timedelta(days=days_ago),
        )
    )
    db.commit()


def test_after_grace_messages_only_gives_the_assistant_only_its_message_tool(db, vapi_business, monkeypatch):
    tenant, assistant, _ = vapi_business
    monkeypatch.setenv("AVA_BILLING_AFTER_GRACE", "messages_only")
    get_settings.cache_clear()
    _lapsed(db, tenant, days_ago=1)
    result = send(db, load("assistant-request"), now=LA_WEDNESDAY_10AM)
    overrides = result.response["assistantOverrides"]
    assert result.response["assistantId"] == assistant.provider_assistant_id
    assert [tool["function"]["name"] for tool in overrides["model"]["tools"]] == ["take_message"]
    assert tenant.name in overrides["firstMessage"]
    get_settings.cache_clear()


def test_after_grace_pause_answers_with_a_goodbye(db, vapi_business, monkeypatch):
    tenant, _, _ = vapi_business
    monkeypatch.setenv("AVA_BILLING_AFTER_GRACE", "pause")
    get_settings.cache_clear()
    _lapsed(db, tenant, days_ago=1)
    result = send(db, load("assistant-request"), now=LA_WEDNESDAY_10AM)
    assert result.response == {"error": phrase(tenant.locale, "paused")}
    get_settings.cache_clear()


def test_during_grace_calls_are_answered_as_usual(db, vapi_business, monkeypatch):
    tenant, assistant, _ = vapi_business
    monkeypatch.setenv("AVA_BILLING_AFTER_GRACE", "pause")
    get_settings.cache_clear()
    _lapsed(db, tenant, days_ago=-2)  # grace ends in two days
    result = send(db, load("assistant-request"), now=LA_WEDNESDAY_10AM)
    assert result.response["assistantId"] == assistant.provider_assistant_id
    assert "model" not in result.response.get("assistantOverrides", {})
    get_settings.cache_clear()


def test_a_billable_call_is_metered_once_even_when_the_job_runs_again(stripe_env, db):
    emulator, _ = stripe_env
    tenant = make_tenant(db)
    subscribe(db, emulator, tenant)
    emulator.flush()
    billable = make_call(db, tenant=tenant, duration=130)
    hang_up = make_call(db, tenant=tenant, duration=10)
    for _ in range(2):
        subscriptions.report_call_usage(billable.id)
        subscriptions.report_call_usage(hang_up.id)
    (event,) = emulator.meter_events.values()
    customer = row_of(db, tenant).stripe_customer_id
    assert event["identifier"] == f"ava-call-{billable.id}"
    assert event["payload"] == {"stripe_customer_id": customer, "value": "3"}
    assert event["event_name"] == get_settings().stripe_meter_event
    # A worker that died after Stripe's answer but before its commit: the rerun is refused by Stripe, not counted.
    db.delete(db.get(MeterReport, billable.id))
    db.commit()
    assert subscriptions.report_call_minutes(db, call_id=billable.id) == 3
    assert len(emulator.meter_events) == 1
    assert db.get(MeterReport, billable.id) is not None


def test_calls_on_trial_are_not_metered(stripe_env, db):
    emulator, _ = stripe_env
    tenant = make_tenant(db)
    call = make_call(db, tenant=tenant, duration=300)
    assert subscriptions.report_call_minutes(db, call_id=call.id) == 0
    assert emulator.meter_events == {}


@pytest.mark.parametrize("role", ["user", "viewer"])
def test_only_admins_see_or_change_billing(stripe_env, db, role):
    tenant = make_tenant(db)
    with pytest.raises(Forbidden):
        subscriptions.billing_overview(db, principal=admin(tenant, role))
    with pytest.raises(Forbidden):
        subscriptions.checkout_url(db, principal=admin(tenant, role), plan_code="pro", email="a@example.com")
    with pytest.raises(Forbidden):
        subscriptions.portal_url(db, principal=admin(tenant, role))


def test_another_organisations_events_never_change_this_one(stripe_env, db):
    emulator, _ = stripe_env
    mine, theirs = make_tenant(db), make_tenant(db)
    subscribe(db, emulator, theirs, plan="business")
    emulator.flush()
    db.refresh(mine)
    assert mine.plan == "trial"
    assert subscriptions.billing_overview(db, principal=admin(mine)).status == "trial"
    assert subscriptions.subscription_period(db, mine.id) is None
    # A portal for "mine" cannot exist: it has no customer; it never opens the other one's.
    with pytest.raises(Exception, match="no billing account"):
        subscriptions.portal_url(db, principal=admin(mine))


def test_an_event_whose_job_was_lost_is_swept_up(stripe_env, db, monkeypatch):
    emulator, _ = stripe_env
    tenant = make_tenant(db)
    monkeypatch.setattr(subscriptions, "on_commit", lambda _session, _work: None)  # the jobs are lost
    subscribe(db, emulator, tenant)
    emulator.flush()
    db.refresh(tenant)
    assert tenant.plan == "trial"
    later = utcnow() + timedelta(minutes=6)
    assert len(subscriptions.unapplied_events(db, now=later)) == len(emulator.events)
    for event_id in subscriptions.unapplied_events(db, now=later):
        subscriptions.apply_stripe_event(event_id)
    db.refresh(tenant)
    assert tenant.plan == "starter"
    assert subscriptions.unapplied_events(db, now=later) == []


def test_the_emulator_keeps_its_account_across_a_restart(stripe_env, db, tmp_path):
    emulator, _ = stripe_env
    emulator.state_file = tmp_path / "sandbox_stripe.json"
    tenant = make_tenant(db)
    subscribe(db, emulator, tenant, plan="pro")
    emulator.flush()
    subscriptions.report_call_usage(make_call(db, tenant=tenant, duration=61).id)
    again = StripeEmulator(api_key="sk", webhook_secret="whsec", state_file=emulator.state_file)
    row = row_of(db, tenant)
    assert again.subscriptions[row.stripe_subscription_id]["items"]["data"][0]["price"]["lookup_key"] == "pro"
    assert again.customers.keys() == emulator.customers.keys() and len(again.meter_events) == 1
    assert oct(emulator.state_file.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(("policy", "route"), [("pause", "paused"), ("messages_only", "voicemail")])
def test_after_grace_twilio_numbers_take_a_message_or_say_goodbye(db, monkeypatch, policy, route):
    from ava_app.services import twilio_voice
    from tests.unit import test_twilio_voice as tw

    tenant, _, _ = tw.business.__wrapped__(db)
    monkeypatch.setenv("AVA_BILLING_AFTER_GRACE", policy)
    get_settings.cache_clear()
    db.add(
        BillingSubscription(
            tenant_id=tenant.id,
            stripe_customer_id="cus_tw",
            status="unpaid",
            grace_until=tw.PARIS_TUESDAY_10AM - timedelta(hours=1),
        )
    )
    db.commit()
    answer = twilio_voice.answer_incoming_call(db, form=tw.inbound(), now=tw.PARIS_TUESDAY_10AM)
    assert answer.route == route
    tags = [element.tag for element in tw.twiml(answer.twiml)]
    assert tags == (["Say", "Hangup"] if policy == "pause" else ["Say", "Record", "Hangup"])
    twilio_voice.apply_call_status(db, form=tw.status("completed", CallDuration="4"))
    (call,) = tw.calls(db)
    assert call.outcome == "missed"
    get_settings.cache_clear()


def test_a_subscriber_changes_plan_through_the_portal(stripe_env, db):
    emulator, _ = stripe_env
    tenant = make_tenant(db)
    subscribe(db, emulator, tenant, plan="starter")
    emulator.flush()
    url = subscriptions.checkout_url(db, principal=admin(tenant), plan_code="pro", email="owner@example.com")
    assert url.startswith(emulator.base_url + "/portal/")
    pro = next(price["id"] for price in emulator.prices.values() if price["lookup_key"] == "pro")
    assert f'<option value="{pro}" selected>' in httpx.get(url).text
    httpx.post(url, data={"action": "plan", "price": pro})
    emulator.flush()
    db.refresh(tenant)
    assert tenant.plan == "pro"
    assert len(emulator.subscriptions) == 1


def test_a_business_subscribes_and_is_invoiced_in_its_own_currency(stripe_env, db):
    emulator, _ = stripe_env
    tenant = make_tenant(db, currency="GBP", locale="fr")
    overview = subscriptions.billing_overview(db, principal=admin(tenant))
    assert overview.currency == "GBP"
    assert {plan.code: plan.monthly_price for plan in overview.plans if not plan.is_trial} == {
        "starter": 2500,
        "pro": 6900,
        "business": 17500,
    }
    url = subscriptions.checkout_url(db, principal=admin(tenant), plan_code="starter", email="owner@example.com")
    page = httpx.get(url).text
    # Checkout in the business's language and currency, as Stripe's own page follows ``locale`` and ``currency``.
    assert '<html lang="fr">' in page and "S'abonner à Starter" in page and "25,00\u00a0£GB" in page
    assert httpx.post(url, data={"card": PAYING_CARD, "action": "pay"}).status_code in (200, 303)
    emulator.flush()
    (subscription,) = emulator.subscriptions.values()
    assert subscription["currency"] == "gbp"
    assert [(row["amount_paid"], row["currency"]) for row in emulator.invoices.values()] == [(2500, "gbp")]
    assert row_of(db, tenant).currency == "GBP"
    # Stripe keeps a subscription in its currency: a later change of the business's currency bills nothing else.
    tenant.currency = "USD"
    db.add(tenant)
    db.commit()
    assert subscriptions.billing_overview(db, principal=admin(tenant)).currency == "GBP"
    usage = tenant_usage(db, tenant_id=tenant.id)
    assert (usage.currency, usage.cost_minor) == ("GBP", 2500)


def test_the_portal_changes_plan_in_the_subscriptions_currency_and_speaks_french(stripe_env, db):
    emulator, _ = stripe_env
    tenant = make_tenant(db, currency="CAD", locale="fr")
    subscribe(db, emulator, tenant, plan="starter")
    emulator.flush()
    url = subscriptions.checkout_url(db, principal=admin(tenant), plan_code="pro", email="owner@example.com")
    page = httpx.get(url).text
    assert "Changer de forfait" in page and "109,00\u00a0$CA" in page and "39,00\u00a0$CA · payée" in page
    pro = next(price["id"] for price in emulator.prices.values() if price["lookup_key"] == "pro")
    assert "Forfait changé." in httpx.post(url, data={"action": "plan", "price": pro}).text
    emulator.flush()
    (subscription,) = emulator.subscriptions.values()
    emulator.renew(subscription["id"])
    assert sorted(row["amount_due"] for row in emulator.invoices.values()) == [3900, 10900]
    assert {row["currency"] for row in emulator.invoices.values()} == {"cad"}


def test_a_checkout_in_a_currency_the_price_lacks_is_refused_by_stripe(stripe_env, db):
    emulator, _ = stripe_env
    client = stripe_client(get_settings())
    customer = client.v1.customers.create(params={"email": "owner@example.com"})
    starter = next(price["id"] for price in emulator.prices.values() if price["lookup_key"] == "starter")
    with pytest.raises(stripe.InvalidRequestError, match="no amount in jpy"):
        client.v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "customer": customer.id,
                "currency": "jpy",
                "line_items": [{"price": starter, "quantity": 1}],
                "success_url": "http://localhost/done",
            }
        )


def test_deleting_the_organisation_cancels_its_subscription_at_stripe(stripe_env, db, monkeypatch):
    from ava_app.services import organisation_deletion

    emulator, _ = stripe_env
    tenant = make_tenant(db, name="Leaving Salon")
    tenant_id = tenant.id
    subscribe(db, emulator, tenant, plan="starter")
    emulator.flush()
    row = row_of(db, tenant)
    subscription_id = row.stripe_subscription_id
    assert row.status == "active" and subscription_id
    # Stripe down: the organisation waits for the next run, nothing deleted, the subscription still runs.
    monkeypatch.setattr(emulator, "api_key", "sk_rotated_elsewhere")
    assert organisation_deletion._purge(db, tenant_id=tenant_id) is False
    assert db.get(Tenant, tenant_id) is not None
    assert emulator.subscriptions[subscription_id]["status"] == "active"
    monkeypatch.undo()
    assert organisation_deletion._purge(db, tenant_id=tenant_id) is True
    assert emulator.subscriptions[subscription_id]["status"] == "canceled"
    assert [event["type"] for event in emulator.pending][-1] == "customer.subscription.deleted"
    db.expire_all()
    assert db.get(Tenant, tenant_id) is None
    # Already cancelled (or unknown at Stripe): nothing left to do.
    other = make_tenant(db, name="Second Salon")
    subscribe(db, emulator, other, plan="starter")
    emulator.flush()
    other_row = row_of(db, other)
    emulator.end(other_row.stripe_subscription_id)
    assert subscriptions.cancel_for_deletion(db, tenant_id=other.id) is True

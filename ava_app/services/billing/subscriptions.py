"""A business's subscription through Stripe: Checkout and the customer portal, the webhook, grace and its policy.

Stripe is the source of truth. A webhook event is verified (``stripe.Webhook.construct_event``), stored once by its
id, and a job then re-reads the subscription it is about from Stripe and copies its current state
(``BillingSubscription``, ``Tenant.plan``): an event delivered twice changes nothing, and an old event arriving after
a newer one still leaves what Stripe has now.

A failed payment makes the subscription past due: the business keeps full service for ``AVA_BILLING_GRACE_DAYS``
(banner and email to its admins, and a second email ``AVA_BILLING_GRACE_NOTICE_DAYS`` before the end); after that its
calls get the operator's ``AVA_BILLING_AFTER_GRACE`` policy, decided when a call starts (never during one).
Each billable call's minutes go to the Billing meter once, identified by the call (``report_call_usage``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe
from huey import crontab
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ava_app import routes
from ava_app.db import on_commit, session_scope
from ava_app.models import BillingSubscription, Call, MeterReport, StripeEvent, Tenant, as_utc, utcnow
from ava_app.services.billing.billable import billable_minutes
from ava_app.services.billing.plans import Plan, all_plans, billing_currency, plan_for, trial_period, trial_plan
from ava_app.services.errors import Invalid, NotFound, ProviderUnavailable
from ava_app.services.principal import Principal
from ava_app.services.providers.stripe_billing import billing_offered, stripe_client
from ava_app.settings import get_settings
from ava_app.task_queue import enqueue, periodic_task, task

log = logging.getLogger(__name__)

# Stripe statuses in which the business is paying (or in its grace period after a failed payment).
PAYING = frozenset({"active", "trialing"})
FAILED = frozenset({"past_due", "unpaid"})
HANDLED_EVENTS = frozenset(
    {
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.paid",
        "invoice.payment_failed",
    }
)


class SignatureInvalid(ValueError):
    """The webhook's ``Stripe-Signature`` does not match its body (or the body is not an event)."""


@dataclass(frozen=True)
class BillingOut:
    """What the Billing page shows."""

    plan_code: str
    # "trial", "managed" (a plan the operators set, no subscription), or Stripe's: "active", "past_due", "canceled"...
    status: str
    period_end: datetime | None
    trial_ends: datetime | None  # while on the free trial without a plan: when it ends (or ended)
    cancel_at_period_end: bool
    grace_until: datetime | None
    after_grace: str  # the operator's policy: "messages_only" or "pause"
    has_customer: bool
    plans: tuple[Plan, ...]  # priced in ``currency``
    currency: str  # what the business is billed in (ISO 4217)


# --- reading --------------------------------------------------------------------------------------------------------


def _row(session: Session, tenant_id: int) -> BillingSubscription | None:
    return session.exec(select(BillingSubscription).where(col(BillingSubscription.tenant_id) == tenant_id)).first()


def subscribed_currency(session: Session, tenant_id: int) -> str | None:
    """The currency of the business's live subscription (Stripe cannot change it); None without one."""
    row = _row(session, tenant_id)
    return row.currency if row is not None and row.status in PAYING | FAILED else None


def tenant_currency(session: Session, tenant: Tenant) -> str:
    """The currency ``tenant`` is billed in (``plans.billing_currency``)."""
    return billing_currency(tenant, subscribed_currency(session, tenant.id or 0))


def subscription_period(session: Session, tenant_id: int) -> tuple[datetime, datetime] | None:
    """The current paid period from the subscription (start, end, UTC); None while on trial or without one."""
    row = _row(session, tenant_id)
    if row is None or row.status not in PAYING | FAILED:
        return None
    if row.current_period_start is None or row.current_period_end is None:
        return None
    return as_utc(row.current_period_start), as_utc(row.current_period_end)


def billing_overview(session: Session, *, principal: Principal) -> BillingOut:
    """The organisation's plan, subscription status and the plans on offer (admins)."""
    tenant_id = principal.require_admin()
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("This organisation does not exist.", code="tenant_not_found")
    row = _row(session, tenant_id)
    plan = plan_for(tenant.plan)
    currency = tenant_currency(session, tenant)
    # Stripe's word while it has a live subscription, or one that ended (the business is back on the trial plan).
    if row is not None and (row.status in PAYING | FAILED or (row.status != "none" and plan.is_trial)):
        status = row.status
    else:
        status = "trial" if plan.is_trial else "managed"
    return BillingOut(
        plan_code=plan.code,
        status=status,
        period_end=as_utc(row.current_period_end) if row and row.current_period_end else None,
        trial_ends=trial_end(session, tenant),
        cancel_at_period_end=bool(row and row.cancel_at_period_end),
        grace_until=as_utc(row.grace_until) if row and row.grace_until else None,
        after_grace=get_settings().billing_after_grace,
        has_customer=row is not None,
        plans=tuple(offered.in_currency(currency) for offered in all_plans()),
        currency=currency,
    )


def grace_until(session: Session, *, tenant_id: int) -> datetime | None:
    """The end of the grace period while a payment has failed (the shell's banner); None when all is paid."""
    row = _row(session, tenant_id)
    if row is None or row.status not in FAILED or row.grace_until is None:
        return None
    return as_utc(row.grace_until)


def trial_end(session: Session, tenant: Tenant) -> datetime | None:
    """When the business's free trial ends (or ended) while it has no plan: on the trial plan, without a live
    subscription. None for a business on a plan (paid through Stripe or set by the operators) and for the demo."""
    if tenant.is_demo or tenant.id is None or not plan_for(tenant.plan).is_trial:
        return None
    row = _row(session, tenant.id)
    if row is not None and row.status in PAYING | FAILED:
        return None
    return trial_period(tenant)[1]


def call_policy(session: Session, *, tenant_id: int, now: datetime | None = None) -> str:
    """How a call starting now is answered: "normal"; after a grace period the operator's ``billing_after_grace``,
    after a trial that ended without a plan ``billing_after_trial`` ("messages_only" or "pause"); "pause" while the
    platform's operators have the organisation suspended (``services.operators``). Asked once, at the call's start:
    a call in progress is never cut for billing."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        return "normal"
    if tenant.suspended_at is not None:
        return "pause"
    moment = as_utc(now or utcnow())
    ends = grace_until(session, tenant_id=tenant_id)
    if ends is not None:
        return "normal" if moment < ends else get_settings().billing_after_grace
    trial_ends = trial_end(session, tenant)
    if trial_ends is not None and moment >= trial_ends:
        return get_settings().billing_after_trial
    return "normal"


def cancel_for_deletion(session: Session, *, tenant_id: int) -> bool:
    """Cancel the organisation's subscription now, as it is being deleted; False when Stripe cannot be reached (the
    deletion waits for the next run). Nothing to do without a live subscription, or when Stripe no longer has it."""
    row = _row(session, tenant_id)
    if row is None or not row.stripe_subscription_id or row.status in ("canceled", "incomplete_expired"):
        return True
    try:
        _client().v1.subscriptions.cancel(row.stripe_subscription_id)
    except stripe.InvalidRequestError as error:
        if error.code not in ("resource_missing", "resource_already_canceled"):
            log.warning("tenant %s: Stripe refused the cancellation: %s", tenant_id, error)
            return False
    except stripe.StripeError as error:
        log.warning("tenant %s: Stripe unreachable for the cancellation: %s", tenant_id, error)
        return False
    row.status, row.updated_at = "canceled", utcnow()
    session.add(row)
    session.commit()
    return True


# --- Checkout and the portal ----------------------------------------------------------------------------------------


def _client() -> stripe.StripeClient:
    return stripe_client(get_settings())


def _ensure_customer(session: Session, *, tenant: Tenant, email: str, client: stripe.StripeClient) -> str:
    row = _row(session, tenant.id or 0)
    if row is not None:
        try:
            client.v1.customers.retrieve(row.stripe_customer_id)
            return row.stripe_customer_id
        except stripe.InvalidRequestError as error:
            if error.code != "resource_missing":
                raise
            # A customer deleted at Stripe (or an emulator restarted): start again with a new one.
    customer = client.v1.customers.create(
        params={
            "name": tenant.name,
            "email": email,
            "metadata": {"ava_tenant_id": str(tenant.id)},
            "preferred_locales": [tenant.locale or "en"],
        }
    )
    if row is None:
        row = BillingSubscription(tenant_id=tenant.id or 0, stripe_customer_id=customer.id)
    else:
        row.stripe_customer_id, row.stripe_subscription_id, row.status = customer.id, None, "none"
    row.updated_at = utcnow()
    session.add(row)
    session.commit()
    return customer.id


def _price_id(client: stripe.StripeClient, plan: Plan) -> str:
    prices = client.v1.prices.list(params={"lookup_keys": [plan.code], "active": True})
    if not prices.data:
        raise ProviderUnavailable(f"Stripe has no price with lookup key {plan.code!r}.", code="billing_price_missing")
    return prices.data[0].id


def _paid_plan(code: str) -> Plan:
    plan = plan_for(code)
    if plan.code != code or plan.is_trial:
        raise Invalid("Choose one of the paid plans.", fields={"plan": "invalid"}, code="plan_invalid")
    return plan


def _stripe_call(work):
    try:
        return work()
    except stripe.StripeError as error:
        log.warning("stripe refused or failed: %s", error)
        message = "Billing cannot be reached right now. Try again."
        raise ProviderUnavailable(message, code="billing_unavailable") from None


def checkout_url(session: Session, *, principal: Principal, plan_code: str, email: str) -> str:
    """Where an admin's browser pays for ``plan_code``: Stripe Checkout, or the portal's plan change when the
    organisation already subscribes (a second Checkout would start a second subscription)."""
    tenant_id = principal.require_admin()
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("This organisation does not exist.", code="tenant_not_found")
    plan = _paid_plan(plan_code)
    currency = tenant_currency(session, tenant)
    client = _client()
    public = get_settings().public_url
    row = _row(session, tenant_id)

    def work() -> str:
        price = _price_id(client, plan)
        if row is not None and row.stripe_subscription_id and row.status not in ("canceled", "none"):
            subscription = client.v1.subscriptions.retrieve(row.stripe_subscription_id)
            item = subscription["items"]["data"][0]["id"]
            portal = client.v1.billing_portal.sessions.create(
                params={
                    "customer": row.stripe_customer_id,
                    "return_url": routes.absolute(public, routes.SETTINGS_BILLING),
                    "locale": _stripe_locale(tenant),
                    "flow_data": {
                        "type": "subscription_update_confirm",
                        "subscription_update_confirm": {
                            "subscription": row.stripe_subscription_id,
                            "items": [{"id": item, "price": price}],
                        },
                    },
                }
            )
            return str(portal.url)
        customer = _ensure_customer(session, tenant=tenant, email=email, client=client)
        created = client.v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "customer": customer,
                "client_reference_id": str(tenant_id),
                "line_items": [{"price": price, "quantity": 1}],
                # The plan's price has the business's currency among its currency options; Checkout charges in it.
                "currency": currency.lower(),
                "locale": _stripe_locale(tenant),
                "metadata": {"ava_tenant_id": str(tenant_id), "plan": plan.code},
                "subscription_data": {"metadata": {"ava_tenant_id": str(tenant_id)}},
                "success_url": routes.absolute(public, routes.SETTINGS_BILLING, checkout="done"),
                "cancel_url": routes.absolute(public, routes.SETTINGS_BILLING),
            }
        )
        return str(created.url)

    return _stripe_call(work)


def portal_url(session: Session, *, principal: Principal) -> str:
    """Where an admin manages the card, invoices and cancellation: a Stripe customer portal session."""
    tenant_id = principal.require_admin()
    tenant = session.get(Tenant, tenant_id)
    row = _row(session, tenant_id)
    if tenant is None or row is None:
        raise NotFound("This organisation has no billing account yet.", code="billing_not_found")
    client = _client()
    public = get_settings().public_url
    created = _stripe_call(
        lambda: client.v1.billing_portal.sessions.create(
            params={
                "customer": row.stripe_customer_id,
                "return_url": routes.absolute(public, routes.SETTINGS_BILLING),
                "locale": _stripe_locale(tenant),
            }
        )
    )
    return str(created.url)


def _stripe_locale(tenant: Tenant) -> str:
    return "fr" if (tenant.locale or "").startswith("fr") else "en"


# --- the webhook ----------------------------------------------------------------------------------------------------


def _about(event: Any) -> tuple[str | None, str | None]:
    """The customer and subscription an event is about."""
    obj = event["data"]["object"]
    kind = obj.get("object")
    customer = obj.get("customer")
    if kind == "subscription":
        return customer, obj.get("id")
    if kind == "invoice":
        parent = (obj.get("parent") or {}).get("subscription_details") or {}
        return customer, parent.get("subscription") or obj.get("subscription")
    if kind == "checkout.session":
        return customer, obj.get("subscription")
    return customer, None


def accept_webhook(session: Session, *, payload: bytes, signature: str) -> bool:
    """Verify and store one Stripe event; its work runs as a job after the commit. False for a repeat delivery.

    Raises ``SignatureInvalid`` for a bad or missing signature."""
    try:
        event = stripe.Webhook.construct_event(payload, signature, get_settings().stripe_webhook_secret)
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise SignatureInvalid(str(error)) from None
    if session.get(StripeEvent, event.id) is not None:
        return False
    # Verified: the body is the event; read as plain JSON (the SDK's objects are not dicts).
    customer, subscription = _about(json.loads(payload)) if event.type in HANDLED_EVENTS else (None, None)
    session.add(StripeEvent(id=event.id, type=event.type, customer_id=customer, subscription_id=subscription))
    if customer:
        event_id = event.id
        on_commit(session, lambda: enqueue("apply_stripe_event", event_id))
    try:
        session.commit()
    except IntegrityError:  # a second delivery racing this one stored it first
        session.rollback()
        return False
    return True


def apply_event(session: Session, *, event_id: str) -> None:
    """Bring the subscription an event is about up to date with Stripe (safe to run again, in any order)."""
    stored = session.get(StripeEvent, event_id)
    if stored is None or not stored.customer_id:
        return
    row = session.exec(
        select(BillingSubscription).where(col(BillingSubscription.stripe_customer_id) == stored.customer_id)
    ).first()
    if row is None:
        log.info("stripe event %s names customer %s, unknown to AVA", event_id, stored.customer_id)
        stored.processed_at = utcnow()
        session.commit()
        return
    client = _client()
    subscription = _current_subscription(client, row=row, hinted=stored.subscription_id)
    if subscription is not None:
        sync_subscription(session, row=row, subscription=subscription)
    stored.processed_at = utcnow()
    session.add(stored)
    session.commit()


def _current_subscription(
    client: stripe.StripeClient, *, row: BillingSubscription, hinted: str | None
) -> dict[str, Any] | None:
    """The customer's subscription as Stripe has it now: the newest one not ended, else the newest one."""
    listed = client.v1.subscriptions.list(params={"customer": row.stripe_customer_id, "status": "all", "limit": 10})
    rows = sorted((item.to_dict() for item in listed.data), key=lambda item: item["created"], reverse=True)
    live = [item for item in rows if item["status"] not in ("canceled", "incomplete_expired")]
    if live:
        return live[0]
    if rows:
        return rows[0]
    return client.v1.subscriptions.retrieve(hinted).to_dict() if hinted else None


def _stamp(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def sync_subscription(session: Session, *, row: BillingSubscription, subscription: dict[str, Any]) -> None:
    """Copy Stripe's subscription onto the row and the tenant's plan; start or end a grace period (emails once)."""
    item = subscription["items"]["data"][0]
    lookup = item["price"].get("lookup_key")
    status = str(subscription["status"])
    was_failed = row.status in FAILED
    row.stripe_subscription_id = subscription["id"]
    row.status = status
    row.plan_code = lookup
    row.currency = str(subscription.get("currency") or item["price"].get("currency") or "").upper() or None
    row.current_period_start = _stamp(item.get("current_period_start") or subscription.get("current_period_start"))
    row.current_period_end = _stamp(item.get("current_period_end") or subscription.get("current_period_end"))
    row.cancel_at_period_end = bool(subscription.get("cancel_at_period_end"))
    row.updated_at = utcnow()
    tenant = session.get(Tenant, row.tenant_id)
    if tenant is not None:
        paying = status in PAYING | FAILED
        tenant.plan = plan_for(lookup).code if paying else trial_plan().code
        session.add(tenant)
    starts_grace = status in FAILED and row.grace_until is None
    if starts_grace:
        row.grace_until = utcnow() + timedelta(days=get_settings().billing_grace_days)
        row.grace_notice_sent_at = None
    elif status not in FAILED:
        row.grace_until, row.grace_notice_sent_at = None, None
    session.add(row)
    session.commit()
    if starts_grace and not was_failed and row.grace_until is not None:
        _email_admins(session, row=row, kind="failed")


def warn_grace_ending(session: Session, *, now: datetime | None = None) -> int:
    """Tell the admins of each business whose grace period ends soon what will happen then (once each)."""
    now = now or utcnow()
    soon = now + timedelta(days=get_settings().billing_grace_notice_days)
    rows = session.exec(
        select(BillingSubscription).where(
            col(BillingSubscription.status).in_(FAILED),
            col(BillingSubscription.grace_until).is_not(None),
            col(BillingSubscription.grace_until) <= soon,
            col(BillingSubscription.grace_notice_sent_at).is_(None),
        )
    ).all()
    for row in rows:
        row.grace_notice_sent_at = now
        session.add(row)
        session.commit()
        _email_admins(session, row=row, kind="ending")
    return len(rows)


def warn_trial_ending(session: Session, *, now: datetime | None = None) -> int:
    """Tell the admins of each business whose free trial ends within ``billing_trial_notice_days`` (and again once it
    has ended, within a day) what its calls get without a plan. Each email goes once (the outbox's dedupe key)."""
    now = as_utc(now or utcnow())
    trial = trial_plan()
    settings = get_settings()
    # The trials ending in the notice window or ended in the last day, by when the organisation was made.
    started_after = now - timedelta(days=trial.trial_days + 1)
    started_by = now - timedelta(days=trial.trial_days) + timedelta(days=settings.billing_trial_notice_days)
    tenants = session.exec(
        select(Tenant).where(
            Tenant.plan == trial.code,
            col(Tenant.is_demo).is_(False),
            col(Tenant.suspended_at).is_(None),
            col(Tenant.created_at) > started_after,
            col(Tenant.created_at) <= started_by,
        )
    ).all()
    told = 0
    for tenant in tenants:
        ends = trial_end(session, tenant)
        if ends is None:
            continue
        _email_trial(session, tenant=tenant, ends=ends, kind="trial_ended" if now >= ends else "trial_ending")
        told += 1
    session.commit()
    return told


_EMAILS: dict[str, dict[str, tuple[str, str]]] = {
    "trial_ending": {
        "en": (
            "{business}: your free trial ends on {until}",
            "Hello,\n\nThe free trial of AVA for {business} ends on {until}. Choose a plan before then and nothing "
            "changes for your callers.\n\nWithout a plan, from that date {policy}\n\nChoose a plan: {link}\n",
        ),
        "fr": (
            "{business} : votre essai gratuit se termine le {until}",
            "Bonjour,\n\nL'essai gratuit d'AVA pour {business} se termine le {until}. Choisissez une offre d'ici là "
            "et rien ne change pour vos appelants.\n\nSans offre, à partir de cette date, {policy}\n\nChoisir une "
            "offre : {link}\n",
        ),
    },
    "trial_ended": {
        "en": (
            "{business}: your free trial has ended",
            "Hello,\n\nThe free trial of AVA for {business} ended on {until}. Until you choose a plan, {policy}"
            "\n\nChoose a plan: {link}\n",
        ),
        "fr": (
            "{business} : votre essai gratuit est terminé",
            "Bonjour,\n\nL'essai gratuit d'AVA pour {business} s'est terminé le {until}. Tant que vous n'avez pas "
            "choisi d'offre, {policy}\n\nChoisir une offre : {link}\n",
        ),
    },
    "failed": {
        "en": (
            "Payment failed for {business}",
            "Hello,\n\nThe payment for {business}'s AVA plan failed. Your assistant keeps answering every call as "
            "usual until {until}.\n\nAfter that date, {policy}\n\nUpdate the card here: {link}\n",
        ),
        "fr": (
            "Échec du paiement pour {business}",
            "Bonjour,\n\nLe paiement de l'abonnement AVA de {business} a échoué. Votre assistant continue de répondre "
            "à tous les appels comme d'habitude jusqu'au {until}.\n\nAprès cette date, {policy}\n\nMettez à jour la "
            "carte ici : {link}\n",
        ),
    },
    "ending": {
        "en": (
            "{business}: the grace period ends on {until}",
            "Hello,\n\nThe payment for {business}'s AVA plan is still due. On {until}, {policy}\n\nUpdate the card "
            "before then: {link}\n",
        ),
        "fr": (
            "{business} : le délai de paiement se termine le {until}",
            "Bonjour,\n\nLe paiement de l'abonnement AVA de {business} est toujours en attente. Le {until}, "
            "{policy}\n\nMettez à jour la carte avant cette date : {link}\n",
        ),
    },
}
_POLICIES = {
    "messages_only": {
        "en": "your assistant will only take messages: callers can leave their name and message, nothing more.",
        "fr": "votre assistant ne fera que prendre des messages : les appelants pourront laisser leur nom et leur "
        "message, rien de plus.",
    },
    "pause": {
        "en": "your assistant will be paused: callers will hear a short goodbye.",
        "fr": "votre assistant sera mis en pause : les appelants entendront un court message d'au revoir.",
    },
}


def _email_trial(session: Session, *, tenant: Tenant, ends: datetime, kind: str) -> None:
    _email_billing_notice(session, tenant=tenant, until=ends, policy=get_settings().billing_after_trial, kind=kind)


def _email_admins(session: Session, *, row: BillingSubscription, kind: str) -> None:
    tenant = session.get(Tenant, row.tenant_id)
    if tenant is None or row.grace_until is None:
        return
    until = as_utc(row.grace_until)
    _email_billing_notice(session, tenant=tenant, until=until, policy=get_settings().billing_after_grace, kind=kind)


def _email_billing_notice(session: Session, *, tenant: Tenant, until: datetime, policy: str, kind: str) -> None:
    """Email the admins the ``kind`` notice about ``until`` and what calls get after it (``policy``), once."""
    from ava_app.services.messaging.email import email_admins
    from ava_app.services.regional import format_date

    assert tenant.id is not None, "a stored organisation has an id"
    texts = {}
    for language in ("en", "fr"):
        subject, body = _EMAILS[kind][language]
        day = format_date(until, timezone=tenant.timezone, language=language, country=tenant.country)
        # The date and the policy are filled per language here; the rest by ``email_admins``.
        texts[language] = (
            subject.replace("{until}", day),
            body.replace("{until}", day).replace("{policy}", _POLICIES[policy][language]),
        )
    email_admins(
        session,
        tenant_id=tenant.id,
        texts=texts,
        values={"business": tenant.name, "link": routes.absolute(get_settings().public_url, routes.SETTINGS_BILLING)},
        dedupe_key=f"billing-{kind}:{tenant.id}:{int(until.timestamp())}",
    )


# --- metered usage --------------------------------------------------------------------------------------------------


def report_call_minutes(session: Session, *, call_id: int) -> int:
    """Report an ended call's billable minutes to Stripe's meter, once per call; returns the minutes reported now.

    The meter event's identifier is the call's, so a rerun after a crash between Stripe's answer and the commit is
    refused by Stripe as a repeat and still counted once."""
    if session.get(MeterReport, call_id) is not None:
        return 0
    call = session.get(Call, call_id)
    if call is None or call.ended_at is None:
        return 0
    minutes = billable_minutes(call)
    row = _row(session, call.tenant_id)
    if minutes <= 0 or row is None or row.status not in PAYING | FAILED or not billing_offered():
        return 0
    settings = get_settings()
    identifier = f"ava-call-{call_id}"
    try:
        _client().v1.billing.meter_events.create(
            params={
                "event_name": settings.stripe_meter_event,
                "identifier": identifier,
                "payload": {"stripe_customer_id": row.stripe_customer_id, "value": str(minutes)},
                "timestamp": int(as_utc(call.ended_at).timestamp()),
            }
        )
    except stripe.InvalidRequestError as error:
        if error.code != "resource_already_exists":
            raise
        log.info("meter event %s was already reported", identifier)
    session.add(MeterReport(call_id=call_id, tenant_id=call.tenant_id, minutes=minutes))
    session.commit()
    return minutes


@task(retries=6, retry_delay=10, retry_backoff=2)
def apply_stripe_event(event_id: str) -> None:
    """Apply one stored Stripe event (retried while Stripe cannot be reached)."""
    with session_scope() as session:
        apply_event(session, event_id=event_id)


@task(retries=6, retry_delay=30, retry_backoff=2)
def report_call_usage(call_id: int) -> None:
    """After a call ends: its billable minutes to the meter, once."""
    with session_scope() as session:
        report_call_minutes(session, call_id=call_id)


def unapplied_events(session: Session, *, now: datetime | None = None) -> list[str]:
    """Stored events whose job never finished (lost after the commit, or out of retries), oldest first."""
    before = (now or utcnow()) - timedelta(minutes=5)
    return list(
        session.exec(
            select(StripeEvent.id)
            .where(
                col(StripeEvent.processed_at).is_(None),
                col(StripeEvent.customer_id).is_not(None),
                col(StripeEvent.received_at) < before,
                col(StripeEvent.received_at) > before - timedelta(days=3),
            )
            .order_by(col(StripeEvent.received_at))
            .limit(200)
        ).all()
    )


@periodic_task(crontab(minute="*/10"))
def sweep_stripe_events_job() -> None:
    """Every ten minutes: apply again the Stripe events whose job was lost (each re-reads Stripe, so order is moot)."""
    with session_scope() as session:
        for event_id in unapplied_events(session):
            apply_stripe_event(event_id)


@periodic_task(crontab(minute="20"))
def warn_grace_ending_job() -> None:
    """Hourly: the admins hear ahead of time that their grace period ends."""
    with session_scope() as session:
        warn_grace_ending(session)


@periodic_task(crontab(minute="25"))
def warn_trial_ending_job() -> None:
    """Hourly: the admins hear ahead of time that their free trial ends, and once that it has."""
    with session_scope() as session:
        warn_trial_ending(session)

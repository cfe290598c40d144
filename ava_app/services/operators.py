"""The platform operators' hands on an organisation: suspend it, resume it, put it on another plan.

Only ``Principal.is_platform_admin`` may act (being an organisation's admin gives nothing here), and every act is an
audit line in that organisation's own log, so its admins can see what the platform did and when. A suspended
organisation keeps its data and its people keep signing in (to read, export, or settle up); its calls are answered
"paused" (``billing.subscriptions.call_policy``), from the next call on: a call in progress is never cut.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, func, select

from ava_app import routes
from ava_app.models import BillingSubscription, Call, Tenant, as_utc, utcnow
from ava_app.services import audit
from ava_app.services.billing.plans import all_plans, plan_for, trial_period
from ava_app.services.billing.subscriptions import FAILED, PAYING
from ava_app.services.errors import Invalid, NotFound
from ava_app.services.messaging.email import email_admins
from ava_app.services.principal import Principal
from ava_app.settings import get_settings

REASON_MAX = 200
# What the operators' table says of an organisation, most urgent first.
STATUSES = ("suspended", "payment_failed", "trial_ended", "trial", "active")


def tenant_status(tenant: Tenant, subscription: BillingSubscription | None, *, now: datetime | None = None) -> str:
    """One of ``STATUSES``: suspended by the operators, a payment failed, the trial over without a plan, on trial,
    or paying (or on a plan the operators set)."""
    if tenant.suspended_at is not None:
        return "suspended"
    if subscription is not None and subscription.status in FAILED:
        return "payment_failed"
    if subscription is not None and subscription.status in PAYING:
        return "active"
    if plan_for(tenant.plan).is_trial:
        return "trial" if as_utc(now or utcnow()) < trial_period(tenant)[1] else "trial_ended"
    return "active"


def last_call_at(session: Session, *, tenant_id: int) -> datetime | None:
    """When the organisation's newest call started (its last activity an operator cares about)."""
    found = session.exec(select(func.max(col(Call.started_at))).where(Call.tenant_id == tenant_id)).one()
    return as_utc(found) if found else None


def _tenant(session: Session, tenant_id: object) -> Tenant:
    tenant = session.get(Tenant, tenant_id) if isinstance(tenant_id, int) and not isinstance(tenant_id, bool) else None
    if tenant is None:
        raise NotFound("Organisation not found.")
    return tenant


def suspend(session: Session, *, principal: Principal, tenant_id: int, reason: str) -> Tenant:
    """Suspend the organisation with a reason its admins are emailed; suspending it again changes nothing."""
    principal.require_platform_admin()
    tenant = _tenant(session, tenant_id)
    reason = " ".join((reason or "").split())
    if not reason:
        raise Invalid("Say why the organisation is suspended: its admins are told.", code="reason_required")
    if len(reason) > REASON_MAX:
        raise Invalid(f"Keep the reason under {REASON_MAX} characters.", code="reason_too_long")
    if tenant.suspended_at is not None:
        return tenant
    tenant.suspended_at, tenant.suspended_reason = utcnow(), reason
    session.add(tenant)
    audit.record(
        session, action="tenant_suspended", tenant_id=tenant.id, user_id=principal.user_id, detail={"reason": reason}
    )
    _email(session, tenant=tenant, kind="suspended", suspended_at=as_utc(tenant.suspended_at))
    session.commit()
    return tenant


def resume(session: Session, *, principal: Principal, tenant_id: int) -> Tenant:
    """Lift a suspension (the next call is answered as usual); resuming an active organisation changes nothing."""
    principal.require_platform_admin()
    tenant = _tenant(session, tenant_id)
    if tenant.suspended_at is None:
        return tenant
    suspended_at = as_utc(tenant.suspended_at)
    tenant.suspended_at, tenant.suspended_reason = None, None
    session.add(tenant)
    audit.record(session, action="tenant_resumed", tenant_id=tenant.id, user_id=principal.user_id)
    _email(session, tenant=tenant, kind="resumed", suspended_at=suspended_at)
    session.commit()
    return tenant


def set_plan(session: Session, *, principal: Principal, tenant_id: int, plan_code: str) -> Tenant:
    """Put an organisation that does not pay through Stripe on another plan (a plan billed outside AVA, a trial given
    back). One that has a Stripe subscription changes plan there: AVA copies Stripe's plan on every event."""
    principal.require_platform_admin()
    tenant = _tenant(session, tenant_id)
    if plan_code not in {plan.code for plan in all_plans()}:
        raise Invalid("Choose one of the plans on offer.", code="unknown_plan")
    subscription = session.exec(select(BillingSubscription).where(BillingSubscription.tenant_id == tenant.id)).first()
    if subscription is not None and subscription.status in PAYING | FAILED:
        raise Invalid(
            "This organisation pays through Stripe: its plan changes there, and AVA follows.", code="plan_in_stripe"
        )
    if tenant.plan == plan_code:
        return tenant
    before, tenant.plan = tenant.plan, plan_code
    session.add(tenant)
    audit.record(
        session,
        action="tenant_plan_changed",
        tenant_id=tenant.id,
        user_id=principal.user_id,
        detail={"from": before, "to": plan_code},
    )
    session.commit()
    return tenant


_EMAILS: dict[str, dict[str, tuple[str, str]]] = {
    "suspended": {
        "en": (
            "{business}: your AVA assistant is suspended",
            "Hello,\n\nAVA's team suspended {business}'s account: {reason}\n\nFrom the next call on, callers hear a "
            "short goodbye instead of your assistant. Your calls, messages and settings are kept, and you can still "
            "sign in: {link}\n\nReply to this email to settle it with us.\n",
        ),
        "fr": (
            "{business} : votre assistant AVA est suspendu",
            "Bonjour,\n\nL'équipe AVA a suspendu le compte de {business} : {reason}\n\nDès le prochain appel, les "
            "appelants entendront un court message d'au revoir à la place de votre assistant. Vos appels, messages "
            "et réglages sont conservés, et vous pouvez toujours vous connecter : {link}\n\nRépondez à cet e-mail "
            "pour régler la situation avec nous.\n",
        ),
    },
    "resumed": {
        "en": (
            "{business}: your AVA assistant answers again",
            "Hello,\n\nAVA's team lifted the suspension of {business}'s account. Your assistant answers your calls "
            "again from now on.\n\n{link}\n",
        ),
        "fr": (
            "{business} : votre assistant AVA répond de nouveau",
            "Bonjour,\n\nL'équipe AVA a levé la suspension du compte de {business}. Votre assistant répond de "
            "nouveau à vos appels dès maintenant.\n\n{link}\n",
        ),
    },
}


def _email(session: Session, *, tenant: Tenant, kind: str, suspended_at: datetime) -> None:
    """Tell the organisation's admins; one email per suspension (named by when it began) and kind."""
    assert tenant.id is not None, "a stored organisation has an id"
    email_admins(
        session,
        tenant_id=tenant.id,
        texts=_EMAILS[kind],
        values={
            "business": tenant.name,
            "reason": tenant.suspended_reason or "",
            "link": routes.absolute(get_settings().public_url, routes.DASHBOARD),
        },
        dedupe_key=f"operator-{kind}:{tenant.id}:{suspended_at.isoformat()}",
    )

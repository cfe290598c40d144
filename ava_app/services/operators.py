"""The platform operators' hands on an organisation: suspend it, resume it, put it on another plan, and look at it.

Only ``Principal.is_platform_admin`` may act (being an organisation's admin gives nothing here), and every act is an
audit line in that organisation's own log, so its admins can see what the platform did and when. A suspended
organisation keeps its data and its people keep signing in (to read, export, or settle up); its calls are answered
"paused" (``billing.subscriptions.call_policy``), from the next call on: a call in progress is never cut.

Support never signs in as a business (there is no impersonation): ``support_view`` shows an organisation read-only,
without what its callers said or their numbers, and each look is an audit line in its log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select as sql_select
from sqlmodel import Session, col, func, select

from ava_app import routes
from ava_app.models import BillingSubscription, Call, Membership, PhoneNumber, Tenant, User, as_utc, utcnow
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


SUPPORT_CALLS = 20


@dataclass(frozen=True)
class SupportCall:
    started_at: datetime | None
    outcome: str | None
    duration_seconds: int | None
    summary_status: str
    email_status: str


@dataclass(frozen=True)
class SupportView:
    """An organisation as support sees it: its set-up and the state of its latest calls, nothing its callers said."""

    tenant_id: int
    name: str
    created_at: datetime
    country: str
    timezone: str
    locale: str
    plan_code: str
    status: str
    suspended_reason: str
    members: list[tuple[str, str]]  # (email, role)
    numbers: list[tuple[str, str]]  # (E.164, status)
    calls: list[SupportCall]
    calls_total: int


def support_view(session: Session, *, principal: Principal, tenant_id: int) -> SupportView:
    """The read-only view of one organisation (platform admins only); the look is audited in its own log."""
    principal.require_platform_admin()
    tenant = _tenant(session, tenant_id)
    assert tenant.id is not None, "a stored organisation has an id"
    subscription = session.exec(select(BillingSubscription).where(BillingSubscription.tenant_id == tenant.id)).first()
    members = session.exec(
        select(User.email, Membership.role)
        .join(User, col(User.id) == col(Membership.user_id))
        .where(Membership.tenant_id == tenant.id)
        .order_by(col(Membership.id))
    ).all()
    numbers = session.exec(
        select(PhoneNumber.e164, PhoneNumber.status)
        .where(PhoneNumber.tenant_id == tenant.id)
        .order_by(col(PhoneNumber.id))
    ).all()
    calls = session.execute(
        sql_select(
            col(Call.started_at),
            col(Call.outcome),
            col(Call.duration_seconds),
            col(Call.summary_status),
            col(Call.email_status),
        )
        .where(col(Call.tenant_id) == tenant.id)
        .order_by(func.coalesce(col(Call.started_at), col(Call.created_at)).desc(), col(Call.id).desc())
        .limit(SUPPORT_CALLS)
    ).all()
    total = session.exec(select(func.count()).select_from(Call).where(Call.tenant_id == tenant.id)).one()
    view = SupportView(
        tenant_id=tenant.id,
        name=tenant.name,
        created_at=as_utc(tenant.created_at),
        country=tenant.country,
        timezone=tenant.timezone,
        locale=tenant.locale,
        plan_code=plan_for(tenant.plan).code,
        status=tenant_status(tenant, subscription),
        suspended_reason=tenant.suspended_reason or "",
        members=[(email, role) for email, role in members],
        numbers=[(e164, status) for e164, status in numbers],
        calls=[
            SupportCall(as_utc(started) if started else None, outcome, duration, summary, email)
            for started, outcome, duration, summary, email in calls
        ],
        calls_total=int(total),
    )
    audit.record(session, action="support_viewed", tenant_id=tenant.id, user_id=principal.user_id)
    session.commit()
    return view


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

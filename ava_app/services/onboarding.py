"""The six-step onboarding wizard: welcome, industry, phone number, personalise, test call, how calls reach AVA.

Progress is derived from what exists (industry chosen, a number connected, a call received) plus the tenant's
``onboarding_step``; completing it makes sure the assistant is on Vapi and every number is routed to it.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Session, col, select

from ava_app.models import Call, PhoneNumber, Tenant, utcnow
from ava_app.services import assistants, phone_numbers, presets
from ava_app.services.errors import Invalid, NotFound, ProviderError
from ava_app.services.principal import Principal

STEPS = ("welcome", "industry", "number", "personalise", "test_call", "reach")


class OnboardingProgress(BaseModel):
    """Where the organisation is in the wizard."""

    step: int
    steps: list[str]
    done_steps: list[int]
    industry: str | None
    assistant_id: int | None
    assistant_sync_status: str | None
    number: str | None
    number_id: int | None
    test_call_done: bool
    completed: bool
    completed_at: datetime | None


def _tenant(session: Session, tenant_id: int) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("This organisation no longer exists.")
    return tenant


def _progress(session: Session, *, tenant_id: int) -> OnboardingProgress:
    tenant = _tenant(session, tenant_id)
    assistant = assistants.find_assistant(session, tenant_id=tenant_id)
    number = session.exec(
        select(PhoneNumber)
        .where(PhoneNumber.tenant_id == tenant_id, col(PhoneNumber.released_at).is_(None))
        .order_by(col(PhoneNumber.id))
    ).first()
    test_call_done = (
        session.exec(select(Call.id).where(Call.tenant_id == tenant_id, Call.status == "ended")).first() is not None
    )
    completed = tenant.onboarding_completed_at is not None
    industry = tenant.industry if tenant.industry in presets.INDUSTRIES else None
    done = {
        1: tenant.onboarding_step > 1 or completed,
        2: industry is not None and assistant is not None,
        3: number is not None,
        4: tenant.onboarding_step > 4 or completed,
        5: test_call_done,
        # "How calls reach AVA" is done once the owner went live from it.
        6: completed,
    }
    return OnboardingProgress(
        step=min(max(tenant.onboarding_step, 1), len(STEPS)),
        steps=list(STEPS),
        done_steps=[step for step, is_done in done.items() if is_done],
        industry=industry,
        assistant_id=assistant.id if assistant else None,
        assistant_sync_status=assistant.sync_status if assistant else None,
        number=number.e164 if number else None,
        number_id=number.id if number else None,
        test_call_done=test_call_done,
        completed=completed,
        completed_at=tenant.onboarding_completed_at,
    )


def get_progress(session: Session, *, principal: Principal) -> OnboardingProgress:
    """The organisation's onboarding progress (any member)."""
    return _progress(session, tenant_id=principal.require_member())


def set_step(
    session: Session,
    *,
    principal: Principal,
    step: int,
    industry: str | None = None,
    locale: str | None = None,
) -> OnboardingProgress:
    """Move the wizard to ``step`` (1-6); with ``industry``, also apply that industry's preset in ``locale``.

    Choosing the industry the assistant already has keeps the owner's edits (the preset is not re-applied).
    """
    tenant_id = principal.require_writer()
    if not 1 <= step <= len(STEPS):
        raise Invalid("There are six onboarding steps.", fields={"step": "Between 1 and 6"})
    if industry is not None:
        if industry not in presets.INDUSTRIES:
            raise Invalid("Choose one of the offered industries.", fields={"industry": "Unknown industry"})
        current = assistants.find_assistant(session, tenant_id=tenant_id)
        if current is None or current.industry != industry:
            assistants.apply_preset(session, principal=principal, industry=industry, locale=locale)
    tenant = _tenant(session, tenant_id)
    tenant.onboarding_step = step
    session.add(tenant)
    session.commit()
    return _progress(session, tenant_id=tenant_id)


def complete_onboarding(session: Session, *, principal: Principal) -> OnboardingProgress:
    """Finish the wizard: the assistant is created/updated on Vapi and every number routed to it with AVA's webhook.

    A number is optional: an owner who chose "skip for now" goes live with the assistant alone (browser test calls)
    and adds a number later on /phone-numbers, which routes it to the assistant then. Invalid when no industry was
    chosen; ProviderUnavailable/ProviderError when Vapi did not take it (the wizard stays open and can be completed
    again).
    """
    tenant_id = principal.require_writer()
    assistant = assistants.find_assistant(session, tenant_id=tenant_id)
    if assistant is None:
        raise Invalid("Choose your industry first.", code="onboarding_incomplete", fields={"industry": "Required"})
    numbers = session.exec(
        select(PhoneNumber).where(PhoneNumber.tenant_id == tenant_id, col(PhoneNumber.released_at).is_(None))
    ).all()
    assert assistant.id is not None, "a stored assistant has an id"
    synced = assistants.sync_assistant(session, tenant_id=tenant_id, assistant_id=assistant.id)
    if synced.sync_status == "failed":
        raise ProviderError(synced.sync_error or "The voice provider refused the assistant.", code="sync_failed")
    for number in numbers:
        if number.assistant_id is None:
            number.assistant_id = assistant.id
            session.add(number)
    session.commit()
    for number_id in [number.id for number in numbers if number.id is not None]:
        routed = phone_numbers.sync_number(session, tenant_id=tenant_id, number_id=number_id)
        if routed.sync_status == "failed":
            raise ProviderError(routed.sync_error or "The voice provider refused the number.", code="sync_failed")
    tenant = _tenant(session, tenant_id)
    tenant.onboarding_step = len(STEPS)
    tenant.onboarding_completed_at = tenant.onboarding_completed_at or utcnow()
    session.add(tenant)
    session.commit()
    return _progress(session, tenant_id=tenant_id)

"""/api/v1/onboarding: industries and their presets, wizard progress, completion."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ava_app.api.auth_deps import AssistantReadDep, AssistantWriteDep, SetupScopeDep
from ava_app.api.deps import SessionDep
from ava_app.models import Tenant
from ava_app.services import onboarding, presets
from ava_app.services.onboarding import OnboardingProgress
from ava_app.services.presets import IndustryOut, PresetOut, VoiceOut

router = APIRouter(prefix="/onboarding", tags=["onboarding"])


class ProgressIn(BaseModel):
    step: int = Field(ge=1, le=len(onboarding.STEPS))
    industry: str | None = Field(default=None, max_length=40)
    locale: str | None = Field(default=None, max_length=8)


@router.get("/industries")
def list_industries(_principal: SetupScopeDep, locale: str = Query(default="en", max_length=8)) -> list[IndustryOut]:
    """The industries offered in the wizard, labelled in ``locale``."""
    return presets.list_industries(locale)


@router.get("/voices")
def list_voices(_principal: SetupScopeDep, language: str = Query(default="en", max_length=8)) -> list[VoiceOut]:
    """Voices that speak ``language``, its default first."""
    return presets.list_voices(language)


@router.get("/preset/{industry}")
def get_preset(
    principal: SetupScopeDep,
    session: SessionDep,
    industry: str,
    locale: str = Query(default="en", max_length=8),
) -> PresetOut:
    """An industry's preset in ``locale``, with the organisation's name filled in when there is one."""
    tenant = session.get(Tenant, principal.tenant_id) if principal.tenant_id else None
    return presets.get_preset(industry, locale, business_name=tenant.name if tenant else None)


@router.get("/progress")
def get_progress(principal: AssistantReadDep, session: SessionDep) -> OnboardingProgress:
    """Where the organisation is in the wizard."""
    return onboarding.get_progress(session, principal=principal)


@router.post("/progress")
def set_progress(body: ProgressIn, principal: AssistantWriteDep, session: SessionDep) -> OnboardingProgress:
    """Move to a step; with ``industry``, apply that industry's preset to the assistant."""
    return onboarding.set_step(session, principal=principal, step=body.step, industry=body.industry, locale=body.locale)


@router.post("/complete")
def complete(principal: AssistantWriteDep, session: SessionDep) -> OnboardingProgress:
    """Finish the wizard: the assistant is on Vapi and the numbers are routed to it."""
    return onboarding.complete_onboarding(session, principal=principal)

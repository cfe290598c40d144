"""/api/v1/business/region: the organisation's country, timezone, language and currency."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ava_app.api.auth_deps import AssistantAdminDep, AssistantReadDep
from ava_app.api.deps import SessionDep
from ava_app.services import regional
from ava_app.services.regional import RegionOut

router = APIRouter(tags=["business"])


class RegionIn(BaseModel):
    country: str = Field(max_length=2, description="ISO 3166 alpha-2 country, e.g. FR.")
    timezone: str = Field(max_length=64, description="IANA time zone, e.g. Europe/Paris.")
    language: str = Field(max_length=8, description=" | ".join(regional.LANGUAGES))
    currency: str = Field(max_length=3, description="ISO 4217 currency, e.g. EUR.")


@router.get("/business/region")
def get_region(principal: AssistantReadDep, session: SessionDep) -> RegionOut:
    """The organisation's region; ``summary`` reads in the business's language. Any member."""
    return regional.get_business_region(session, principal=principal)


@router.put("/business/region")
def put_region(principal: AssistantAdminDep, session: SessionDep, body: RegionIn) -> RegionOut:
    """Change the organisation's region (admins). Opening hours and every time shown follow the new zone."""
    return regional.update_business_region(session, principal=principal, **body.model_dump())

"""/api/v1/phone-numbers: search, provision, Twilio import, configure and release the organisation's numbers."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ava_app.api.auth_deps import (
    AdminUserDep,
    AssistantAdminDep,
    AssistantReadDep,
    AssistantWriteDep,
)
from ava_app.api.deps import RowId, SessionDep
from ava_app.services import phone_numbers
from ava_app.services.phone_numbers import (
    AvailableNumber,
    ImportResult,
    NumberChoice,
    NumberConfig,
    NumberOut,
    TwilioAccountOut,
    TwilioNumberOut,
)

router = APIRouter(prefix="/phone-numbers", tags=["phone numbers"])


class TwilioCredentialsIn(BaseModel):
    account_sid: str = Field(max_length=64)
    auth_token: str = Field(max_length=128)


class TwilioImportIn(TwilioCredentialsIn):
    numbers: list[str] = Field(max_length=50)


class TwilioVerifyOut(BaseModel):
    """A checked Twilio account and the numbers it owns."""

    account: TwilioAccountOut
    numbers: list[TwilioNumberOut]


@router.get("/available")
def available(
    principal: AssistantWriteDep,
    session: SessionDep,
    country: str = Query(max_length=2),
    area_code: str | None = Query(default=None, max_length=5),
    contains: str | None = Query(default=None, max_length=20),
) -> list[AvailableNumber]:
    """Numbers on offer in ``country``: a free Vapi number first where allowed (US), then Twilio numbers with price."""
    return phone_numbers.search_numbers(
        session, principal=principal, country=country, area_code=area_code, contains=contains
    )


@router.post("/provision", status_code=201)
def provision(body: NumberChoice, principal: AssistantAdminDep, session: SessionDep) -> NumberOut:
    """Get a number (admins): a free Vapi number, or buy a Twilio number and connect it to Vapi."""
    return phone_numbers.provision_number(session, principal=principal, choice=body)


@router.post("/twilio/verify")
def verify_twilio(
    principal: AdminUserDep,
    session: SessionDep,
    body: TwilioCredentialsIn,
) -> TwilioVerifyOut:
    """Check Twilio credentials (admins) and list the account's numbers; 422 when Twilio rejects them."""
    account = phone_numbers.verify_twilio_credentials(account_sid=body.account_sid, auth_token=body.auth_token)
    numbers = phone_numbers.list_twilio_numbers(
        session, principal=principal, account_sid=body.account_sid, auth_token=body.auth_token
    )
    return TwilioVerifyOut(account=account, numbers=numbers)


@router.post("/twilio/import")
def import_twilio(body: TwilioImportIn, principal: AdminUserDep, session: SessionDep) -> ImportResult:
    """Import numbers from the organisation's own Twilio account (admins); credentials are stored encrypted."""
    return phone_numbers.import_twilio_numbers(
        session, principal=principal, account_sid=body.account_sid, auth_token=body.auth_token, numbers=body.numbers
    )


@router.get("/my-numbers")
def my_numbers(
    principal: AssistantReadDep,
    session: SessionDep,
    include_released: bool = False,
) -> list[NumberOut]:
    """The organisation's numbers with routing, hours summary and sync state."""
    return phone_numbers.list_numbers(session, principal=principal, include_released=include_released)


@router.post("/{number_id}/configure")
def configure(
    principal: AssistantWriteDep,
    session: SessionDep,
    number_id: RowId,
    body: NumberConfig,
) -> NumberOut:
    """Change hours, holidays, after-hours action, routing, forwarding or voicemail; the push to Vapi is queued."""
    return phone_numbers.configure_number(session, principal=principal, number_id=number_id, config=body)


@router.delete("/{number_id}")
def release(number_id: RowId, principal: AssistantAdminDep, session: SessionDep) -> NumberOut:
    """Release a number (admins): it stops ringing AVA; the record is kept as released."""
    return phone_numbers.release_number(session, principal=principal, number_id=number_id)

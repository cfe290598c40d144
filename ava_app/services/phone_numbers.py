"""Phone numbers: search, buy (free Vapi number or Twilio purchase + import), import a tenant's Twilio numbers,
configure hours and routing, push routing to Vapi, release.

Free Vapi numbers exist in US area codes only (at most 5 per Vapi org); every other number is searched and bought at
Twilio on the platform's account, then imported into Vapi. A number with business hours or holidays is routed through
AVA's ``assistant-request`` webhook (no fixed ``assistantId`` at Vapi) so ``ingest.inbound`` can apply the hours per
call; one without hours points straight at the assistant. Either way ``server`` is AVA's webhook with its secret and
``fallbackDestination`` is the forwarding number, used by Vapi when AVA cannot answer.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlmodel import Session, col, select

from ava_app.db import session_scope
from ava_app.models import Assistant, PhoneNumber, ProviderCredential, Tenant, utcnow
from ava_app.services import caller_phrases, credentials, number_prices, phone_input, presets
from ava_app.services.assistants import (
    SYNC_RETRIES,
    SYNC_RETRY_DELAY_SECONDS,
    call_vapi,
    enqueue_assistant_sync,
    find_assistant,
    get_or_create_assistant,
    webhook_server,
)
from ava_app.services.async_bridge import run_coroutine_sync
from ava_app.services.business_hours import TimeRangeIn, validate_business_hours, validate_holidays, week_summary
from ava_app.services.errors import Conflict, DomainError, Invalid, NotFound, ProviderError, ProviderUnavailable
from ava_app.services.principal import Principal
from ava_app.services.providers import twilio
from ava_app.services.providers.vapi import VapiClient
from ava_app.settings import get_settings
from ava_app.task_queue import task

log = logging.getLogger(__name__)

FREE_VAPI_NUMBERS_PER_ORG = 5
AFTER_HOURS_ACTIONS = ("voicemail", "forward", "ai")
_AREA_CODE = re.compile(r"^[2-9]\d\d$")
# Country of an imported number from its calling code (Twilio's number list does not say); +1 is shared by the US
# and Canada, and US is what AVA's free numbers and pricing assume.
_CALLING_CODES = {
    "1": "US", "44": "GB", "33": "FR", "34": "ES", "49": "DE", "39": "IT", "32": "BE", "41": "CH", "31": "NL",
    "351": "PT", "353": "IE", "352": "LU", "61": "AU", "64": "NZ", "52": "MX", "45": "DK", "46": "SE", "47": "NO",
}  # fmt: skip


class AvailableNumber(BaseModel):
    """A number on offer. Free Vapi numbers have no ``phone_number``: Vapi picks one in the area code."""

    kind: Literal["vapi_free", "twilio"]
    phone_number: str | None
    display: str
    country: str
    area_code: str | None = None
    locality: str | None = None
    region: str | None = None
    monthly_price: Decimal | None
    price_unit: str | None = None
    free: bool


class NumberChoice(BaseModel):
    """What to provision: a free Vapi number in a US area code, or a Twilio number from the search."""

    kind: Literal["vapi_free", "twilio"]
    country: str = Field(default="US", max_length=2)
    phone_number: str | None = Field(
        default=None, max_length=30, description="The offered number, in E.164 as the search gave it."
    )
    area_code: str | None = Field(default=None, max_length=5)
    label: str = Field(default="", max_length=200)


class NumberConfig(BaseModel):
    """Changes to a number; only the fields that are set are changed (``assistant_id: null`` unroutes)."""

    label: str | None = Field(default=None, max_length=200)
    business_hours: dict[str, list[TimeRangeIn]] | None = None
    holidays: list[str] | None = Field(default=None, max_length=1000)
    after_hours_action: str | None = Field(default=None, max_length=20)
    assistant_id: int | None = None
    forwarding_number: str | None = Field(
        default=None,
        max_length=40,
        description="E.164, or a national number of the organisation's country; empty removes it.",
    )
    voicemail_message: str | None = Field(default=None, max_length=5000)


class NumberOut(BaseModel):
    """A number as the phone-numbers page shows it."""

    id: int
    e164: str
    label: str
    provider: str
    free: bool
    status: str
    country: str
    monthly_price: Decimal | None
    assistant_id: int | None
    assistant_name: str | None
    business_hours: dict[str, list[dict[str, str]]]
    holidays: list[str]
    hours_summary: str
    after_hours_action: str
    forwarding_number: str | None
    voicemail_message: str
    sync_status: str
    sync_error: str | None
    created_at: datetime
    released_at: datetime | None


class TwilioAccountOut(BaseModel):
    """A Twilio account whose credentials were checked."""

    sid: str
    friendly_name: str
    status: str
    type: str | None


class TwilioNumberOut(BaseModel):
    """A number the tenant owns at Twilio."""

    sid: str
    phone_number: str
    friendly_name: str
    in_ava: bool


class ImportSkip(BaseModel):
    """A number that was not imported, and why."""

    phone_number: str
    reason: str


class ImportResult(BaseModel):
    """What an import did."""

    imported: list[NumberOut]
    skipped: list[ImportSkip]


# --- reading ----------------------------------------------------------------------------------------------------


def hours_summary(
    business_hours: dict, holidays: list | None = None, language: str | None = "en", country: str | None = None
) -> str:
    """Hours in one line in ``language``, consecutive days with the same ranges grouped (``Mon-Fri 9 AM to 6 PM ·
    Sun closed`` in the US, ``09:00 to 18:00`` in the UK; ``du lundi au vendredi 9 h–18 h · dimanche fermé``): what
    the API lists and the assistant says."""
    return week_summary(business_hours, holidays, language, country)


def _out(number: PhoneNumber, assistant_name: str | None) -> NumberOut:
    return NumberOut(
        id=number.id,
        e164=number.e164,
        label=number.label,
        provider=number.provider,
        free=number.provider == "vapi",
        status=number.status,
        country=number.country,
        monthly_price=number.monthly_price,
        assistant_id=number.assistant_id,
        assistant_name=assistant_name,
        business_hours=number.business_hours or {},
        holidays=list(number.holidays or []),
        hours_summary=hours_summary(number.business_hours or {}, number.holidays, country=number.country),
        after_hours_action=number.after_hours_action,
        forwarding_number=number.forwarding_number,
        voicemail_message=number.voicemail_message,
        sync_status=number.sync_status,
        sync_error=number.sync_error,
        created_at=number.created_at,
        released_at=number.released_at,
    )


def number_out(session: Session, number: PhoneNumber) -> NumberOut:
    """The plain view of a number row, with its assistant's name."""
    assistant = session.get(Assistant, number.assistant_id) if number.assistant_id else None
    return _out(number, assistant.name if assistant and assistant.tenant_id == number.tenant_id else None)


def list_numbers(session: Session, *, principal: Principal, include_released: bool = False) -> list[NumberOut]:
    """The organisation's numbers, oldest first (released ones only when asked)."""
    tenant_id = principal.require_member()
    query = (
        select(PhoneNumber, Assistant.name)
        .join(Assistant, col(Assistant.id) == col(PhoneNumber.assistant_id), isouter=True)
        .where(PhoneNumber.tenant_id == tenant_id)
        .order_by(col(PhoneNumber.created_at), col(PhoneNumber.id))
    )
    if not include_released:
        query = query.where(col(PhoneNumber.released_at).is_(None))
    return [_out(number, name) for number, name in session.exec(query).all()]


def _number(session: Session, *, tenant_id: int, number_id: int, lock: bool = False) -> PhoneNumber:
    query = select(PhoneNumber).where(PhoneNumber.id == number_id, PhoneNumber.tenant_id == tenant_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    number = session.exec(query).first()
    if number is None:
        raise NotFound("This phone number does not exist.", code="number_not_found")
    return number


# --- searching and buying ---------------------------------------------------------------------------------------


def free_numbers_left(session: Session, *, tenant_id: int) -> int:
    """How many more free Vapi numbers the Vapi org behind this tenant can take (Vapi allows 5 per org)."""
    settings = get_settings()
    in_use = (
        select(func.count())
        .select_from(PhoneNumber)
        .where(PhoneNumber.provider == "vapi", col(PhoneNumber.released_at).is_(None))
    )
    own_key = not settings.vapi_sandbox and credentials.get_credential(session, tenant_id=tenant_id, provider="vapi")
    if own_key:
        in_use = in_use.where(PhoneNumber.tenant_id == tenant_id)
    elif not settings.vapi_sandbox:
        # The platform's org holds the numbers of every tenant that has no Vapi key of its own.
        own_keys = select(ProviderCredential.tenant_id).where(ProviderCredential.provider == "vapi")
        in_use = in_use.where(col(PhoneNumber.tenant_id).not_in(own_keys))
    return max(FREE_VAPI_NUMBERS_PER_ORG - session.exec(in_use).one(), 0)


def _check_area_code(area_code: str | None) -> str:
    area_code = (area_code or "").strip()
    if not _AREA_CODE.match(area_code):
        raise Invalid("Enter a 3-digit US area code, for example 415.", fields={"area_code": "3 digits, e.g. 415"})
    return area_code


def search_numbers(
    session: Session,
    *,
    principal: Principal,
    country: str,
    area_code: str | None = None,
    contains: str | None = None,
) -> list[AvailableNumber]:
    """Numbers on offer: in the US a free Vapi number in the area code (while the free allowance lasts), then
    Twilio numbers with their monthly price. A free option stays on offer when Twilio cannot be reached."""
    tenant_id = principal.require_writer()
    country = (country or "").strip().upper()
    area_code = (area_code or "").strip() or None
    contains = re.sub(r"[\s().-]", "", contains or "") or None
    offer: list[AvailableNumber] = []
    if country == "US" and area_code and not contains and free_numbers_left(session, tenant_id=tenant_id):
        offer.append(
            AvailableNumber(
                kind="vapi_free",
                phone_number=None,
                display=f"Free US number in area code {_check_area_code(area_code)}",
                country="US",
                area_code=area_code,
                monthly_price=Decimal("0"),
                free=True,
            )
        )
    try:
        found = run_coroutine_sync(
            twilio.search_available_numbers(country=country, area_code=area_code, contains=contains, limit=20)
        )
    except ProviderUnavailable:
        if offer:
            log.warning("Twilio unreachable; offering the free Vapi number only")
            return offer
        raise
    for item in found:
        number_country = item["iso_country"] or country
        price, unit = number_prices.monthly_price(
            number_country, provider_price=item["monthly_price"], provider_unit=item["price_unit"]
        )
        offer.append(
            AvailableNumber(
                kind="twilio",
                phone_number=item["phone_number"],
                display=item["friendly_name"] or item["phone_number"],
                country=number_country,
                area_code=area_code,
                locality=item["locality"],
                region=item["region"],
                monthly_price=price,
                price_unit=unit,
                free=False,
            )
        )
    return offer


def _ensure_not_in_use(session: Session, *, e164: str) -> None:
    taken = session.exec(
        select(PhoneNumber.id).where(PhoneNumber.e164 == e164, col(PhoneNumber.released_at).is_(None))
    ).first()
    if taken is not None:
        raise Conflict("This number is already connected in AVA.", code="number_in_use")


def _default_hours(session: Session, *, tenant_id: int) -> dict:
    """A new number opens with the hours of the tenant's industry preset (none: always open)."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None or tenant.industry not in presets.INDUSTRIES:
        return {}
    preset = presets.get_preset(tenant.industry, tenant.locale)
    return {day: [r.model_dump() for r in ranges] for day, ranges in preset.business_hours.items()}


def _new_row(session: Session, *, tenant_id: int, e164: str, label: str, **fields: Any) -> PhoneNumber:
    assistant = find_assistant(session, tenant_id=tenant_id)
    return PhoneNumber(
        tenant_id=tenant_id,
        e164=e164,
        label=label[:80],
        assistant_id=assistant.id if assistant else None,
        business_hours=_default_hours(session, tenant_id=tenant_id),
        **fields,
    )


def provision_number(session: Session, *, principal: Principal, choice: NumberChoice) -> NumberOut:
    """Get a number for the organisation (admins): a free Vapi number, or buy a Twilio number and import it.

    The new number is routed to the organisation's assistant with AVA's webhook as server. A Twilio purchase is
    recorded before the Vapi import, so a failed import leaves a paid number that the sync job keeps importing.
    """
    tenant_id = principal.require_admin()
    # A number is always routed to an assistant: the organisation gets its (preset) assistant if it has none yet.
    get_or_create_assistant(session, principal=principal)
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("This organisation no longer exists.")
    label = choice.label.strip() or tenant.name
    if choice.kind == "vapi_free":
        return _provision_free(session, tenant_id=tenant_id, choice=choice, label=label)
    return _provision_twilio(session, tenant_id=tenant_id, choice=choice, label=label)


def _provision_free(session: Session, *, tenant_id: int, choice: NumberChoice, label: str) -> NumberOut:
    if choice.country.upper() != "US":
        raise Invalid(
            "Free numbers are only available in the US; choose a number from the list for other countries.",
            fields={"country": "Free numbers are US only"},
        )
    area_code = _check_area_code(choice.area_code)
    if not free_numbers_left(session, tenant_id=tenant_id):
        raise Conflict("No free numbers are left; choose a paid number from the list.", code="free_numbers_exhausted")
    server = webhook_server(session, tenant_id=tenant_id)
    number = _new_row(
        session, tenant_id=tenant_id, e164="", label=label, provider="vapi", country="US", monthly_price=Decimal(0)
    )
    routing = _routing(session, number)
    created = call_vapi(
        session,
        tenant_id=tenant_id,
        operation=lambda vapi: vapi.create_free_number(
            area_code=area_code, name=label[:40], assistant_id=routing["assistant_id"], server=server
        ),
    )
    number.e164 = created.get("number") or ""
    number.provider_number_id = created["id"]
    # Vapi answers "activating" for a few minutes before a new free number rings.
    number.status = created.get("status") or "active"
    number.sync_status = "synced"
    session.add(number)
    session.commit()
    session.refresh(number)
    return number_out(session, number)


def _provision_twilio(session: Session, *, tenant_id: int, choice: NumberChoice, label: str) -> NumberOut:
    e164 = phone_input.read(
        choice.phone_number, phone_input.tenant_country(session, tenant_id=tenant_id), field="phone_number"
    )
    country = choice.country.strip().upper()
    _ensure_not_in_use(session, e164=e164)
    # Searching for exactly this number confirms it is still on offer and gives its price before paying for it.
    offer = run_coroutine_sync(twilio.search_available_numbers(country=country, contains=e164[1:], limit=50))
    match = next((item for item in offer if item["phone_number"] == e164), None)
    if match is None:
        raise Conflict("This number is no longer available. Search again.", code="number_unavailable")
    bought = run_coroutine_sync(twilio.purchase_number(phone_number=e164, friendly_name=f"AVA - {label}"[:64]))
    number = _new_row(
        session,
        tenant_id=tenant_id,
        e164=e164,
        label=label,
        provider="twilio",
        twilio_sid=bought["sid"],
        twilio_account_sid=bought["account_sid"],
        country=country,
        monthly_price=number_prices.monthly_price(
            country, provider_price=match["monthly_price"], provider_unit=match["price_unit"]
        )[0],
        status="pending",
        sync_status="pending",
    )
    session.add(number)
    session.commit()
    session.refresh(number)
    assert number.id is not None, "the commit gave the number its id"
    return _sync_now_or_later(session, tenant_id=tenant_id, number_id=number.id)


def _sync_now_or_later(session: Session, *, tenant_id: int, number_id: int) -> NumberOut:
    try:
        return sync_number(session, tenant_id=tenant_id, number_id=number_id)
    except ProviderUnavailable:
        enqueue_number_sync(tenant_id=tenant_id, number_id=number_id)
        return number_out(session, _number(session, tenant_id=tenant_id, number_id=number_id, lock=False))


# --- tenant's own Twilio numbers --------------------------------------------------------------------------------


def _twilio_error(exc: DomainError) -> DomainError:
    """Wrong credentials are the caller's input, so they are a 422 on the form's fields, not a provider failure."""
    if exc.code == "twilio_credentials_rejected":
        return Invalid(
            "Twilio rejected these credentials. Check the Account SID and Auth Token in your Twilio console.",
            code="twilio_credentials_rejected",
            fields={"auth_token": "Twilio rejected this Account SID and Auth Token"},
        )
    return exc


def _require_credentials(account_sid: str, auth_token: str) -> tuple[str, str]:
    account_sid, auth_token = (account_sid or "").strip(), (auth_token or "").strip()
    missing = {
        name: "Required" for name, value in (("account_sid", account_sid), ("auth_token", auth_token)) if not value
    }
    if missing:
        # Empty values would silently fall back to the platform's account.
        raise Invalid("Enter your Twilio Account SID and Auth Token.", fields=missing)
    return account_sid, auth_token


def verify_twilio_credentials(*, account_sid: str, auth_token: str) -> TwilioAccountOut:
    """Check a Twilio Account SID and Auth Token; Invalid with a clear message when Twilio rejects them."""
    account_sid, auth_token = _require_credentials(account_sid, auth_token)
    try:
        account = run_coroutine_sync(twilio.verify_credentials(account_sid=account_sid, auth_token=auth_token))
    except ProviderError as exc:
        raise _twilio_error(exc) from None
    return TwilioAccountOut(**account)


def list_twilio_numbers(
    session: Session, *, principal: Principal, account_sid: str, auth_token: str
) -> list[TwilioNumberOut]:
    """The numbers of a Twilio account (admins), flagged when this organisation already has them in AVA."""
    tenant_id = principal.require_admin()
    account_sid, auth_token = _require_credentials(account_sid, auth_token)
    try:
        owned = run_coroutine_sync(twilio.list_incoming_numbers(account_sid=account_sid, auth_token=auth_token))
    except ProviderError as exc:
        raise _twilio_error(exc) from None
    in_ava = set(
        session.exec(
            select(PhoneNumber.e164).where(PhoneNumber.tenant_id == tenant_id, col(PhoneNumber.released_at).is_(None))
        ).all()
    )
    return [
        TwilioNumberOut(
            sid=item["sid"],
            phone_number=item["phone_number"],
            friendly_name=item["friendly_name"] or "",
            in_ava=item["phone_number"] in in_ava,
        )
        for item in owned
    ]


def import_twilio_numbers(
    session: Session, *, principal: Principal, account_sid: str, auth_token: str, numbers: list[str]
) -> ImportResult:
    """Import numbers the organisation owns at Twilio (admins): check the credentials, store them encrypted, and
    connect each number to Vapi, routed to the organisation's assistant."""
    tenant_id = principal.require_admin()
    if not numbers:
        raise Invalid("Choose at least one number to import.", fields={"numbers": "Choose at least one number"})
    verify_twilio_credentials(account_sid=account_sid, auth_token=auth_token)
    get_or_create_assistant(session, principal=principal)
    account_sid, auth_token = account_sid.strip(), auth_token.strip()
    owned = {
        item["phone_number"]: item
        for item in run_coroutine_sync(twilio.list_incoming_numbers(account_sid=account_sid, auth_token=auth_token))
    }
    credentials.save_credential(
        session, tenant_id=tenant_id, provider="twilio", secret={"account_sid": account_sid, "auth_token": auth_token}
    )
    imported: list[NumberOut] = []
    skipped: list[ImportSkip] = []
    country = phone_input.tenant_country(session, tenant_id=tenant_id)
    for raw in dict.fromkeys(numbers):
        try:
            e164 = phone_input.read(raw, country, field="numbers")
            if e164 not in owned:
                raise NotFound("This number is not in this Twilio account.")
            _ensure_not_in_use(session, e164=e164)
        except DomainError as exc:
            skipped.append(ImportSkip(phone_number=str(raw), reason=exc.message))
            continue
        item = owned[e164]
        number = _new_row(
            session,
            tenant_id=tenant_id,
            e164=e164,
            label=item["friendly_name"] or e164,
            provider="twilio",
            twilio_sid=item["sid"],
            twilio_account_sid=account_sid,
            country=_country_of(e164),
            status="pending",
            sync_status="pending",
        )
        session.add(number)
        session.commit()
        session.refresh(number)
        assert number.id is not None, "the commit gave the number its id"
        imported.append(_sync_now_or_later(session, tenant_id=tenant_id, number_id=number.id))
    return ImportResult(imported=imported, skipped=skipped)


def _country_of(e164: str) -> str:
    digits = e164.lstrip("+")
    for length in (3, 2, 1):
        if digits[:length] in _CALLING_CODES:
            return _CALLING_CODES[digits[:length]]
    return "US"


# --- configuring ------------------------------------------------------------------------------------------------


def configure_number(session: Session, *, principal: Principal, number_id: int, config: NumberConfig) -> NumberOut:
    """Change a number's hours, holidays, after-hours action, routing, forwarding number or voicemail message.

    Saves locally, marks the number pending and queues the push of its routing to Vapi. Invalid lists every problem.
    """
    tenant_id = principal.require_writer()
    number = _number(session, tenant_id=tenant_id, number_id=number_id, lock=True)
    if number.released_at is not None:
        raise Conflict("This number was released.", code="number_released")
    values = _validate_config(session, config, number=number, tenant_id=tenant_id)
    if all(getattr(number, name) == value for name, value in values.items()):
        session.commit()
        return number_out(session, number)
    # The assistant's transfer tool lists the forwarding numbers of its lines: a change there is a change of the
    # assistants on either side of it, which are pushed again too.
    transfers_change = {"forwarding_number", "assistant_id"} & {
        name for name, value in values.items() if getattr(number, name) != value
    }
    touched = {
        assistant_id
        for assistant_id in (number.assistant_id, values.get("assistant_id", number.assistant_id))
        if assistant_id is not None
    }
    for name, value in values.items():
        setattr(number, name, value)
    number.sync_status, number.sync_error = "pending", None
    session.add(number)
    session.commit()
    session.refresh(number)
    enqueue_number_sync(tenant_id=tenant_id, number_id=number_id)
    if transfers_change:
        for assistant_id in touched:
            _resync_assistant(session, tenant_id=tenant_id, assistant_id=assistant_id)
    return number_out(session, number)


def _resync_assistant(session: Session, *, tenant_id: int, assistant_id: int) -> None:
    """Mark an assistant that is on Vapi pending again and queue its push."""
    assistant = session.get(Assistant, assistant_id)
    if assistant is None or assistant.tenant_id != tenant_id or not assistant.provider_assistant_id:
        return
    assistant.sync_status, assistant.sync_error = "pending", None
    session.add(assistant)
    session.commit()
    enqueue_assistant_sync(tenant_id=tenant_id, assistant_id=assistant_id)


def _validate_config(session: Session, config: NumberConfig, *, number: PhoneNumber, tenant_id: int) -> dict:
    sent = config.model_fields_set
    problems: dict[str, str] = {}
    values: dict[str, Any] = {}
    if "label" in sent:
        label = (config.label or "").strip()
        if len(label) > 80:
            problems["label"] = "A label can be at most 80 characters."
        values["label"] = label
    if "business_hours" in sent:
        values["business_hours"] = validate_business_hours(config.business_hours or {}, problems)
    if "holidays" in sent:
        values["holidays"] = validate_holidays(config.holidays or [], problems)
    if "after_hours_action" in sent:
        if config.after_hours_action not in AFTER_HOURS_ACTIONS:
            problems["after_hours_action"] = "Choose voicemail, forward or ai."
        values["after_hours_action"] = config.after_hours_action
    if "forwarding_number" in sent:
        country = phone_input.tenant_country(session, tenant_id=tenant_id)
        values["forwarding_number"] = _validate_forwarding(
            config.forwarding_number, number=number, country=country, problems=problems
        )
    if "voicemail_message" in sent:
        message = (config.voicemail_message or "").strip()
        if len(message) > 500:
            problems["voicemail_message"] = "The voicemail message can be at most 500 characters."
        values["voicemail_message"] = message
    if "assistant_id" in sent:
        if (
            config.assistant_id is not None
            and find_assistant(session, tenant_id=tenant_id, assistant_id=config.assistant_id) is None
        ):
            problems["assistant_id"] = "This assistant does not exist."
        values["assistant_id"] = config.assistant_id
    action = values.get("after_hours_action", number.after_hours_action)
    forwarding = values.get("forwarding_number", number.forwarding_number)
    if action == "forward" and not forwarding and "forwarding_number" not in problems:
        problems["forwarding_number"] = "Add a forwarding number to forward calls after hours."
    if problems:
        raise Invalid("Some settings of this number are not valid.", fields=problems)
    return values


def _validate_forwarding(
    value: str | None, *, number: PhoneNumber, country: str | None, problems: dict[str, str]
) -> str | None:
    """The forwarding number in E.164, read in the business's country ("06 12 34 56 78" in France)."""
    if value is None or not value.strip():
        return None
    try:
        forwarding = phone_input.read(value, country, field="forwarding_number")
    except Invalid as exc:
        problems.update(exc.details["fields"])
        return None
    if forwarding == number.e164:
        problems["forwarding_number"] = "Calls cannot be forwarded to this same number."
    return forwarding


# --- pushing to Vapi --------------------------------------------------------------------------------------------


def forward_message(session: Session, number: PhoneNumber, assistant: Assistant | None = None) -> str:
    """What Vapi says before forwarding a call to ``number``'s forwarding line: the hold message, in the language of
    the line's assistant, else of the business."""
    return caller_phrases.phrase(caller_phrases.language_for(assistant, session.get(Tenant, number.tenant_id)), "hold")


def _routing(session: Session, number: PhoneNumber) -> dict[str, Any]:
    """What Vapi should do with calls to ``number``: the assistant id (None = ask AVA per call) and the fallback."""
    assistant = session.get(Assistant, number.assistant_id) if number.assistant_id else None
    provider_id = assistant.provider_assistant_id if assistant and assistant.tenant_id == number.tenant_id else None
    # Hours and holidays are applied by AVA when Vapi asks (assistant-request); a fixed assistantId would skip that.
    by_hours = bool(number.business_hours) or bool(number.holidays)
    own = assistant if assistant and assistant.tenant_id == number.tenant_id else None
    fallback = (
        {"type": "number", "number": number.forwarding_number, "message": forward_message(session, number, own)}
        if number.forwarding_number
        else None
    )
    return {"assistant_id": None if by_hours else provider_id, "fallback_destination": fallback}


def enqueue_number_sync(*, tenant_id: int, number_id: int) -> None:
    """Queue the push of a number's routing; a queue failure leaves it pending for a later retry."""
    try:
        sync_phone_number_job(tenant_id, number_id)
    except Exception:
        # Any queue failure must not undo a change that is already committed.
        log.exception("could not enqueue the sync of number %s", number_id)


def _twilio_credentials_for(session: Session, number: PhoneNumber) -> tuple[str, str]:
    """The Twilio SID/token that own ``number``: the platform's for numbers AVA bought, else the tenant's."""
    platform_sid, platform_token = twilio.resolve_credentials()
    if number.twilio_account_sid in (None, platform_sid):
        return platform_sid, platform_token
    own = credentials.get_credential(session, tenant_id=number.tenant_id, provider="twilio")
    if not own or own.get("account_sid") != number.twilio_account_sid:
        raise ProviderError(
            "The Twilio credentials for this number are missing. Import it again with your Twilio credentials.",
            code="twilio_credentials_missing",
        )
    return own["account_sid"], own["auth_token"]


def retry_sync(session: Session, *, principal: Principal, number_id: int) -> NumberOut:
    """A writer's "retry" on /phone-numbers: push the number now; another organisation's id is NotFound."""
    return sync_number(session, tenant_id=principal.require_writer(), number_id=number_id)


def sync_number(session: Session, *, tenant_id: int, number_id: int) -> NumberOut:
    """Push a number's routing to Vapi (importing a Twilio number first if it never was); record synced or failed.

    Re-raises ProviderUnavailable (after recording it) so a job retries; other refusals are recorded and returned.
    """
    # Before the row lock: resolving the tenant's webhook secret may commit.
    server = webhook_server(session, tenant_id=tenant_id)
    number = _number(session, tenant_id=tenant_id, number_id=number_id, lock=True)
    if number.released_at is not None:
        session.commit()
        return number_out(session, number)
    routing = _routing(session, number)
    # Plain values: the push may run on another thread, away from the session.
    target = {"e164": number.e164, "name": (number.label or number.e164)[:40], "id": number.provider_number_id}
    # The Vapi records of this number that a live AVA number (of any organisation) stands on: never taken over.
    in_use = frozenset(
        provider_id
        for provider_id in session.exec(
            select(PhoneNumber.provider_number_id).where(
                PhoneNumber.e164 == number.e164,
                col(PhoneNumber.released_at).is_(None),
                col(PhoneNumber.provider_number_id).is_not(None),
                PhoneNumber.id != number.id,
            )
        ).all()
        if provider_id
    )
    try:
        twilio_pair = None if number.provider_number_id else _twilio_credentials_for(session, number)
        result = call_vapi(
            session,
            tenant_id=tenant_id,
            operation=lambda vapi: _push_number(
                vapi, target=target, routing=routing, twilio_pair=twilio_pair, server=server, in_use=in_use
            ),
        )
    except DomainError as exc:
        session.rollback()
        number = _number(session, tenant_id=tenant_id, number_id=number_id, lock=True)
        number.sync_status = "failed"
        number.sync_error = (
            "The voice provider cannot be reached right now; AVA will retry."
            if isinstance(exc, ProviderUnavailable)
            else exc.message
        )[:500]
        session.add(number)
        session.commit()
        log.warning("number %s not synced: %s", number_id, exc.message)
        if isinstance(exc, ProviderUnavailable):
            raise
        return number_out(session, number)
    number.provider_number_id = result["id"]
    if number.status == "pending":
        number.status = result.get("status") or "active"
    number.sync_status, number.sync_error = "synced", None
    session.add(number)
    session.commit()
    return number_out(session, number)


async def _push_number(
    vapi: VapiClient,
    *,
    target: dict[str, Any],
    routing: dict[str, Any],
    twilio_pair: tuple[str, str] | None,
    server: dict[str, Any],
    in_use: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    name = target["name"]
    if twilio_pair is not None:
        try:
            created = await vapi.import_twilio_number(
                number=target["e164"],
                twilio_account_sid=twilio_pair[0],
                twilio_auth_token=twilio_pair[1],
                name=name,
                assistant_id=routing["assistant_id"],
                server=server,
            )
        except Invalid as refused:
            # Taken over: it still routes as it did, so it is updated below like any imported number.
            created = await _stale_record(vapi, refused, e164=target["e164"], in_use=in_use)
        else:
            if routing["fallback_destination"] is None:
                return created
        provider_id = created["id"]
    else:
        provider_id = target["id"]
    return await vapi.update_phone_number(
        phone_number_id=provider_id,
        assistant_id=routing["assistant_id"],
        fallback_destination=routing["fallback_destination"],
        server=server,
        name=name,
    )


# How many pages of numbers (of Vapi's largest page size) the search for a stale Vapi record reads at most.
STALE_RECORD_PAGES = 20
STALE_RECORD_PAGE_SIZE = 1000


async def _stale_record(vapi: VapiClient, refused: Invalid, *, e164: str, in_use: frozenset[str]) -> dict[str, Any]:
    """The Vapi record of ``e164`` that refused its import ("already exists"), when no live AVA number stands on it.

    A number AVA bought (or an owner imported) again can find its old Vapi record still there: a release that did
    not reach Vapi, an organisation deleted. Without this the import fails on every retry and the number never
    answers. A record another live AVA number uses is never taken: the refusal stands.
    """
    if not any("already exists" in str(message) for message in refused.details.get("messages") or []):
        raise refused
    older_than: str | None = None
    # The platform's account holds every business's numbers: page through them, newest first.
    for _ in range(STALE_RECORD_PAGES):
        page = await vapi.list_phone_numbers(limit=STALE_RECORD_PAGE_SIZE, created_at_lt=older_than)
        for record in page:
            if record.get("number") == e164 and record.get("id") and record["id"] not in in_use:
                log.info("number %s: taking over its stale voice provider record", e164)
                return record
        if len(page) < STALE_RECORD_PAGE_SIZE or not page[-1].get("createdAt"):
            break
        older_than = page[-1]["createdAt"]
    raise refused


# --- releasing --------------------------------------------------------------------------------------------------


def release_number(session: Session, *, principal: Principal, number_id: int) -> NumberOut:
    """Release a number (admins): removed from Vapi, given back to Twilio when AVA bought it; the row is kept.

    A number imported from the organisation's own Twilio account stays theirs at Twilio (its voice URL still points
    at Vapi until they change it). Releasing twice is harmless.
    """
    tenant_id = principal.require_admin()
    number = _number(session, tenant_id=tenant_id, number_id=number_id, lock=True)
    if number.released_at is not None:
        session.commit()
        return number_out(session, number)
    if number.provider_number_id:
        provider_id = number.provider_number_id
        try:
            call_vapi(
                session,
                tenant_id=tenant_id,
                operation=lambda vapi: vapi.release_phone_number(phone_number_id=provider_id),
            )
        except NotFound:
            log.info("number %s was already gone at Vapi", number_id)
    if number.provider == "twilio" and number.twilio_sid and _bought_by_ava(number):
        try:
            run_coroutine_sync(twilio.release_number(number_sid=number.twilio_sid))
        except NotFound:
            log.info("number %s was already released at Twilio", number_id)
    number.status = "released"
    number.released_at = utcnow()
    number.sync_status, number.sync_error = "synced", None
    session.add(number)
    session.commit()
    return number_out(session, number)


def _bought_by_ava(number: PhoneNumber) -> bool:
    return number.twilio_account_sid == twilio.resolve_credentials()[0]


# --- jobs -------------------------------------------------------------------------------------------------------


@task(retries=SYNC_RETRIES, retry_delay=SYNC_RETRY_DELAY_SECONDS, retry_backoff=2)
def sync_phone_number_job(tenant_id: int, number_id: int) -> None:
    """Push a number's routing (assistant, fallback, server) to Vapi, importing it first if that never happened."""
    try:
        with session_scope() as session:
            sync_number(session, tenant_id=tenant_id, number_id=number_id)
    except NotFound:
        log.info("phone number %s is gone; sync skipped", number_id)

"""Phone numbers as people type them into AVA: read in the business's country, refused with an example of it.

``phones`` knows numbers; this module knows forms. A number is read in the country of the caller's current
organisation ("06 12 34 56 78" is French for a French business, "(212) 555-0199" American for an American one) and
stored in E.164. Where there is no organisation (the SMS login), the page passes the country of the browser's
language ("fr-FR"); with none, only an international "+…" number can be read, since a national one is ambiguous.
"""

from __future__ import annotations

import re

import phonenumbers
from sqlmodel import Session

from ava_app.models import Tenant
from ava_app.services import phones
from ava_app.services.errors import Invalid
from ava_app.services.principal import Principal

# Where no country is known, the example shows the country code a number must start with.
INTERNATIONAL_EXAMPLE = "+1 201-555-0123"
# What people type in a number: digits, a leading +, spaces and the usual separators. Letters are refused, though
# ``phonenumbers`` would read "1-800-FLOWERS" as digits: a letter in a number field is a typo far more often.
_TYPED = re.compile(r"[\d\s()+./-]+")
INTERNATIONAL_MESSAGE = f"Enter the number with its country code, starting with +, e.g. {INTERNATIONAL_EXAMPLE}."


def format_message(country: str | None) -> str:
    """What to type, with an example of ``country``: "Enter a phone number, e.g. (201) 555-0123." for the US."""
    if country is None:
        return INTERNATIONAL_MESSAGE
    return f"Enter a phone number, e.g. {phones.example(country)}."


def format_messages() -> dict[str, str]:
    """``format_message`` of every country phone numbers know, by country (the translations are built from it)."""
    return {country: format_message(country) for country in sorted(phonenumbers.SUPPORTED_REGIONS)}


def known_country(country: str | None) -> str | None:
    """``country`` upper-cased when phone numbers know it, else None."""
    code = (country or "").strip().upper()
    return code if code in phonenumbers.SUPPORTED_REGIONS else None


def country_of_locale(tag: str | None) -> str | None:
    """The country of a browser language tag ("fr-FR", "en_US" → FR, US); None when the tag names none ("fr")."""
    parts = (tag or "").replace("_", "-").split("-")[1:]
    return next((known_country(part) for part in parts if len(part) == 2 and known_country(part)), None)


def tenant_country(session: Session, *, tenant_id: int | None) -> str | None:
    """The country an organisation's people type numbers in (None without an organisation)."""
    tenant = session.get(Tenant, tenant_id) if tenant_id is not None else None
    if tenant is None:
        return None
    return known_country(tenant.country) or phones.DEFAULT_COUNTRY


def caller_country(session: Session, *, principal: Principal) -> str | None:
    """The country of the caller's current organisation, where numbers they type are read (None when none)."""
    return tenant_country(session, tenant_id=principal.tenant_id)


def read(text: str | None, country: str | None, *, field: str = "phone") -> str:
    """The E.164 form of ``text`` typed by someone of ``country``; Invalid on ``field``, with an example, when it
    is not a number there. ``country`` None accepts only international numbers ("+…" or "00…")."""
    raw = (text or "").strip()
    message = format_message(country)
    if not _TYPED.fullmatch(raw) or (country is None and not raw.startswith(("+", "00"))):
        raise Invalid(message, fields={field: message})
    e164 = phones.parse(raw, country)
    if e164 is None:
        raise Invalid(message, fields={field: message})
    return e164

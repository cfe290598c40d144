"""What the assistant knows about the business beyond its questions and answers, and how all of it reaches a call.

The business profile (``Assistant.business_profile``) holds where the business is and how to get there, its main
services with price and duration, and what the assistant does when a caller wants to book (for now: take a message
with name, number and preferred time). ``check_profile`` validates what the owner typed; ``prompt_knowledge`` turns
the profile and the knowledge base into the question/answer facts every prompt builder uses (the Vapi system prompt,
the text test call, the ``lookup_faq`` tool), so they all answer "where are you?", "how much is a haircut?" and "can I
book?" the same way.

Preset entries the owner has not reviewed (``"review": True``) are guesses, not facts: their answers never reach a
caller. The assistant says it has no confirmed answer and offers to take a message instead.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, format_decimal, get_currency_symbol
from pydantic import BaseModel, Field
from sqlmodel import Session

from ava_app.models import Tenant
from ava_app.services.principal import Principal

MAX_SERVICES = 10
ADDRESS_MAX, ACCESS_MAX, SERVICE_NAME_MAX, POLICY_MAX = 300, 1000, 80, 1000
MAX_PRICE = Decimal("1000000")
MAX_DURATION_MINUTES = 24 * 60
# What the assistant does when a caller wants to book: "message" takes name, number and preferred time for the
# team to confirm; "walk_in" says the business takes no bookings by phone.
BOOKING_MODES = ("message", "walk_in")
# A preset's part the owner must fill in: ``[to fill: …]`` / ``[à compléter : …]``.
PLACEHOLDER = re.compile(r"\[\s*(?:to fill|à compléter|a completar)[^\]]*\]", re.IGNORECASE)

# Service messages (English; the pages translate them through the i18n catalogues).
ADDRESS_TOO_LONG = "The address can be at most 300 characters."
ACCESS_TOO_LONG = "Directions and parking can be at most 1000 characters."
TOO_MANY_SERVICES = "At most 10 services can be listed."
SERVICE_NAME_MISSING = "Give this service a name."
SERVICE_NAME_TOO_LONG = "A service name can be at most 80 characters."
PRICE_NOT_A_NUMBER = "Write the price as a number, for example 25 or 25.50."
PRICE_OUT_OF_RANGE = "The price must be between 0 and 1,000,000."
DURATION_NOT_A_NUMBER = "Write the duration in whole minutes, for example 30."
DURATION_OUT_OF_RANGE = "The duration must be between 1 and 1440 minutes."
BOOKING_MODE_UNKNOWN = "Choose what AVA does when a caller wants to book."
POLICY_TOO_LONG = "The booking policy can be at most 1000 characters."
PLACEHOLDER_LEFT = "Replace the part in brackets with your own information first."


class ServiceIn(BaseModel):
    """One service as typed: price and duration are text (``25,50``, ``30``) until checked."""

    name: str = Field(default="", max_length=1000)
    price: str = Field(default="", max_length=100)
    duration: str = Field(default="", max_length=100)


class BusinessProfileIn(BaseModel):
    """The business profile as typed in the form or sent to the API."""

    address: str = Field(default="", max_length=5000)
    access: str = Field(default="", max_length=5000)
    services: list[ServiceIn] = Field(default_factory=list, max_length=100)
    booking_mode: str = Field(default="message", max_length=20)
    booking_policy: str = Field(default="", max_length=5000)


def parse_price(text: str) -> Decimal | None:
    """``25``, ``25.50``, ``25,50``, ``1 250,00 €`` or ``$1,250.00`` as a Decimal; None when it is not a price.

    The last ``,`` or ``.`` followed by one or two digits is the decimal mark; any other is a thousands separator.
    """
    cleaned = re.sub(r"[^0-9.,-]", "", text or "")
    if not cleaned or not re.search(r"\d", cleaned):
        return None
    decimal_mark = re.search(r"[.,](\d{1,2})$", cleaned)
    if decimal_mark:
        whole = re.sub(r"[.,]", "", cleaned[: decimal_mark.start()])
        cleaned = f"{whole}.{decimal_mark.group(1)}"
    else:
        cleaned = re.sub(r"[.,]", "", cleaned)
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def check_profile(value: BusinessProfileIn, problems: dict[str, str], name: str) -> dict[str, Any]:
    """The cleaned profile to store; every problem is added to ``problems`` under ``name.<field>``."""
    address, access, policy = value.address.strip(), value.access.strip(), value.booking_policy.strip()
    if len(address) > ADDRESS_MAX:
        problems[f"{name}.address"] = ADDRESS_TOO_LONG
    if len(access) > ACCESS_MAX:
        problems[f"{name}.access"] = ACCESS_TOO_LONG
    if len(policy) > POLICY_MAX:
        problems[f"{name}.booking_policy"] = POLICY_TOO_LONG
    if value.booking_mode not in BOOKING_MODES:
        problems[f"{name}.booking_mode"] = BOOKING_MODE_UNKNOWN
    rows = [row for row in value.services if row.name.strip() or row.price.strip() or row.duration.strip()]
    if len(rows) > MAX_SERVICES:
        problems[f"{name}.services"] = TOO_MANY_SERVICES
    services = [_check_service(row, problems, f"{name}.services.{index}") for index, row in enumerate(rows)]
    return {
        "address": address,
        "access": access,
        "services": services,
        "booking_mode": value.booking_mode,
        "booking_policy": policy,
    }


def _check_service(row: ServiceIn, problems: dict[str, str], key: str) -> dict[str, Any]:
    service_name = row.name.strip()
    if not service_name:
        problems[f"{key}.name"] = SERVICE_NAME_MISSING
    elif len(service_name) > SERVICE_NAME_MAX:
        problems[f"{key}.name"] = SERVICE_NAME_TOO_LONG
    price: Decimal | None = None
    if row.price.strip():
        price = parse_price(row.price)
        if price is None:
            problems[f"{key}.price"] = PRICE_NOT_A_NUMBER
        elif not Decimal(0) <= price <= MAX_PRICE:
            problems[f"{key}.price"] = PRICE_OUT_OF_RANGE
    duration: int | None = None
    if row.duration.strip():
        text = row.duration.strip().lower().removesuffix("min").removesuffix("minutes").strip()
        if not (text.isascii() and text.isdigit()):
            problems[f"{key}.duration"] = DURATION_NOT_A_NUMBER
        else:
            duration = int(text)
            if not 1 <= duration <= MAX_DURATION_MINUTES:
                problems[f"{key}.duration"] = DURATION_OUT_OF_RANGE
    return {
        "name": service_name,
        "price": str(price.quantize(Decimal("0.01"))) if price is not None and price <= MAX_PRICE else "",
        "duration": duration,
    }


def profile_in(stored: dict[str, Any] | None) -> BusinessProfileIn:
    """A stored profile back as form values (prices as plain decimals, durations as text)."""
    stored = stored if isinstance(stored, dict) else {}
    services = [
        ServiceIn(
            name=str(row.get("name") or ""),
            price=str(row.get("price") or ""),
            duration=str(row.get("duration") or ""),
        )
        for row in stored.get("services") or []
        if isinstance(row, dict)
    ]
    mode = str(stored.get("booking_mode") or "message")
    return BusinessProfileIn(
        address=str(stored.get("address") or ""),
        access=str(stored.get("access") or ""),
        services=services,
        booking_mode=mode if mode in BOOKING_MODES else "message",
        booking_policy=str(stored.get("booking_policy") or ""),
    )


# --- prices in the business's currency and language ---------------------------------------------------------------


def babel_locale(language: str | None, country: str | None) -> Locale:
    """The business's language as spoken in its country (``fr`` + ``FR`` -> fr_FR), else the language alone."""
    lang = (language or "en").split("-")[0].split("_")[0].lower() or "en"
    for tag in (f"{lang}_{(country or '').upper()}", lang, "en"):
        try:
            return Locale.parse(tag)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("en")


def price_input(price: str, *, language: str | None, country: str | None) -> str:
    """A stored price as the owner types it in their language (``25,50`` in French); "" when there is none."""
    value = parse_price(price) if price else None
    if value is None:
        return ""
    return format_decimal(value, format="0.00", locale=babel_locale(language, country))


def format_price(price: str | Decimal | None, *, currency: str, language: str | None, country: str | None) -> str:
    """``35,00 €`` for a French business in euros, ``$35.00`` for an American one; "" when there is no price."""
    if price in (None, ""):
        return ""
    value = price if isinstance(price, Decimal) else parse_price(str(price))
    if value is None:
        return ""
    try:
        return format_currency(value, currency or "USD", locale=babel_locale(language, country))
    except (ValueError, KeyError):
        return f"{value} {currency}"


# --- what reaches a call -------------------------------------------------------------------------------------------

_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "where_q": "Where are you? What is your address, how do I get there and where can I park?",
        "where_a": "We are at {address}.",
        "access_a": "Getting here: {access}",
        "access_q": "How do I get there and where can I park?",
        "services_q": "What services do you offer and what are your prices?",
        "service_q": "How much is {name}? What is the price and how long does {name} take?",
        "price_a": "{name} costs {price}.",
        "duration_a": "{name} takes about {minutes} minutes.",
        "no_price_a": "For the price of {name}, I can take a message and the team will call you back.",
        "book_q": "Can I book an appointment or make a reservation?",
        "book_message": "I can take your name, your phone number and the day and time you would like; the team "
        "will call you back to confirm the booking.",
        "book_walk_in": "We don't take bookings by phone.",
        "unconfirmed": "I don't have that information confirmed yet. I can take a message with your name and "
        "number so the team calls you back.",
        "rule": "An answer above saying the information is not confirmed yet means the business has not given it: "
        "never guess a price, an address or a policy; offer to take a message instead. When another answer above "
        "gives that information, use it.",
    },
    "fr": {
        "where_q": "Où êtes-vous ? Quelle est votre adresse, comment venir et où se garer ?",
        "where_a": "Nous sommes au {address}.",
        "access_a": "Pour venir : {access}",
        "access_q": "Comment venir et où se garer ?",
        "services_q": "Quelles prestations proposez-vous et quels sont vos tarifs ?",
        "service_q": "Combien coûte {name} ? Quel est le prix et combien de temps dure {name} ?",
        "price_a": "{name} : {price}.",
        "duration_a": "{name} dure environ {minutes} minutes.",
        "no_price_a": "Pour le tarif de {name}, je peux prendre un message et l'équipe vous rappellera.",
        "book_q": "Puis-je prendre rendez-vous ou réserver ?",
        "book_message": "Je peux noter votre nom, votre numéro et le jour et l'heure souhaités ; l'équipe vous "
        "rappellera pour confirmer le rendez-vous.",
        "book_walk_in": "Nous ne prenons pas de réservation par téléphone.",
        "unconfirmed": "Je n'ai pas encore cette information confirmée. Je peux prendre un message avec votre nom et "
        "votre numéro pour que l'équipe vous rappelle.",
        "rule": "Une réponse ci-dessus disant que l'information n'est pas encore confirmée signifie que l'entreprise "
        "ne l'a pas donnée : ne devine jamais un prix, une adresse ou une règle ; propose de prendre un message. "
        "Si une autre réponse ci-dessus donne cette information, utilise-la.",
    },
}


def _texts(language: str | None) -> dict[str, str]:
    lang = (language or "en").split("-")[0].split("_")[0].lower()
    return _TEXTS.get(lang, _TEXTS["en"])


def profile_facts(
    profile: dict[str, Any] | None, *, currency: str, language: str | None, country: str | None
) -> list[dict[str, str]]:
    """The profile as question/answer facts in the assistant's language, prices in the business's currency."""
    profile = profile if isinstance(profile, dict) else {}
    text = _texts(language)
    facts: list[dict[str, str]] = []
    address, access = str(profile.get("address") or "").strip(), str(profile.get("access") or "").strip()
    if address:
        answer = text["where_a"].format(address=address)
        if access:
            answer += " " + text["access_a"].format(access=access)
        facts.append({"question": text["where_q"], "answer": answer})
    elif access:
        facts.append({"question": text["access_q"], "answer": text["access_a"].format(access=access)})
    lines: list[str] = []
    for service in profile.get("services") or []:
        if not isinstance(service, dict) or not str(service.get("name") or "").strip():
            continue
        name = str(service["name"]).strip()
        price = format_price(service.get("price"), currency=currency, language=language, country=country)
        minutes = service.get("duration")
        parts = [text["price_a"].format(name=name, price=price)] if price else []
        if minutes:
            parts.append(text["duration_a"].format(name=name, minutes=minutes))
        answer = " ".join(parts) if price else " ".join([*parts, text["no_price_a"].format(name=name)])
        facts.append({"question": text["service_q"].format(name=name), "answer": answer})
        details = ", ".join(item for item in (price, f"{minutes} min" if minutes else "") if item)
        lines.append(f"{name} ({details})" if details else name)
    if lines:
        facts.insert(1 if address or access else 0, {"question": text["services_q"], "answer": "; ".join(lines) + "."})
    mode = profile.get("booking_mode") or ""
    policy = str(profile.get("booking_policy") or "").strip()
    if mode in BOOKING_MODES or policy:
        answer = text["book_walk_in"] if mode == "walk_in" else text["book_message"]
        facts.append({"question": text["book_q"], "answer": f"{answer} {policy}".strip()})
    return facts


def is_unconfirmed(entry: Any) -> bool:
    """A preset entry the owner has not reviewed, or one still holding a placeholder to fill in."""
    if not isinstance(entry, dict):
        return False
    return bool(entry.get("review")) or bool(PLACEHOLDER.search(str(entry.get("answer") or "")))


def prompt_knowledge(
    knowledge_base: list | None,
    profile: dict[str, Any] | None,
    *,
    currency: str,
    language: str | None,
    country: str | None,
) -> list[dict[str, str]]:
    """Every fact the assistant may say: the profile's first, then the knowledge base in the owner's order.

    An unreviewed entry keeps its question (so the assistant recognises it) but its answer is replaced by "not
    confirmed yet, I can take a message": a preset guess is never told to a caller as a fact.
    """
    text = _texts(language)
    facts = profile_facts(profile, currency=currency, language=language, country=country)
    for entry in knowledge_base or []:
        if not isinstance(entry, dict) or not entry.get("question"):
            continue
        answer = text["unconfirmed"] if is_unconfirmed(entry) else str(entry.get("answer") or "")
        facts.append({"question": str(entry["question"]), "answer": answer})
    return facts


def unconfirmed_rule(language: str | None) -> str:
    """The prompt line telling the assistant that "not confirmed yet" means "do not guess"."""
    return _texts(language)["rule"]


# --- the business's region, for the form ---------------------------------------------------------------------------


class Region(BaseModel):
    """How the business writes prices: its currency, language and country, and the currency's symbol there."""

    currency: str
    language: str
    country: str
    symbol: str


def business_region(session: Session, *, principal: Principal) -> Region:
    """The caller's business's currency and language (the form shows prices in them)."""
    tenant = session.get(Tenant, principal.require_member())
    currency = (tenant.currency if tenant else "") or "USD"
    language = (tenant.locale if tenant else "") or "en"
    country = (tenant.country if tenant else "") or "US"
    try:
        symbol = get_currency_symbol(currency, locale=babel_locale(language, country))
    except (ValueError, KeyError):
        symbol = currency
    return Region(currency=currency, language=language, country=country, symbol=symbol)

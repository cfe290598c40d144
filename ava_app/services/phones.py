"""Phone numbers as people type and read them, through ``phonenumbers``.

A number is parsed in the business's country ("06 12 34 56 78" in France, "(212) 555-0199" in the US), stored in
E.164, shown in the national form to people of that country and in the international form to everyone else.
"""

from __future__ import annotations

import functools

import phonenumbers
from phonenumbers import PhoneNumberFormat

DEFAULT_COUNTRY = "US"


def _region(country: str | None) -> str:
    code = (country or "").strip().upper()
    return code if code in phonenumbers.SUPPORTED_REGIONS else DEFAULT_COUNTRY


def parse(text: str, country: str | None) -> str | None:
    """The E.164 form of ``text`` read as a number of ``country`` (an international "+…" or "00…" number is read
    as written); None when it cannot be a phone number."""
    raw = (text or "").strip()
    if not raw or len(raw) > 40:
        return None
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    try:
        number = phonenumbers.parse(raw, _region(country))
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def display(e164: str | None, country: str | None) -> str:
    """``e164`` as the business's people write it: national form for a number of ``country``
    ("01 99 00 00 11" in France), international otherwise ("+1 212-555-0199"); the input unchanged when it is not
    a number."""
    if not e164:
        return ""
    return _display(e164, _region(country))


@functools.lru_cache(maxsize=16384)
def _display(e164: str, region: str) -> str:
    """``display``'s work, cached: pages list the same callers again and again, and parsing and formatting one
    number costs ``phonenumbers`` about 0.3 ms (a calls page writes 25 of them)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    national = phonenumbers.region_code_for_number(number) == region
    return phonenumbers.format_number(
        number, PhoneNumberFormat.NATIONAL if national else PhoneNumberFormat.INTERNATIONAL
    )


def is_landline(e164: str) -> bool:
    """Whether ``e164`` is a fixed line, which cannot receive texts: only numbers known to be fixed ("01 99 00 00 11"
    in France, "020 7946 0000" in the UK); a number that may be either (every North American one) is not."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE


def tel_link(e164: str | None) -> str:
    """A ``tel:`` address for a stored number (empty when there is none)."""
    return f"tel:{e164}" if e164 and e164.startswith("+") else ""


def example(country: str | None, *, mobile: bool = True) -> str:
    """An example number for ``country`` in its national form, for placeholders and hints."""
    region = _region(country)
    kind = phonenumbers.PhoneNumberType.MOBILE if mobile else phonenumbers.PhoneNumberType.FIXED_LINE
    number = phonenumbers.example_number_for_type(region, kind) or phonenumbers.example_number(region)
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL) if number else ""


def country_of(e164: str | None) -> str | None:
    """The ISO country a stored number belongs to (None when unknown)."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164 or "", None)) or None
    except phonenumbers.NumberParseException:
        return None

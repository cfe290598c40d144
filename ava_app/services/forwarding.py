"""Call forwarding codes: what an owner dials on their existing line so its calls reach their AVA number.

One table per country of the main carriers, each carrier pointing at the code family its network uses. Conditional
forwarding (busy, no answer, unreachable) is what AVA recommends: the owner still answers when they can and AVA takes
the rest; "always" sends every call to AVA. Every family has the matching cancel codes.

Sources:
- GSM/UMTS/LTE mobile networks: the supplementary-service codes of 3GPP TS 22.030 (MMI, annex B: 21 unconditional,
  67 busy, 61 no reply, 62 not reachable, 004 all conditional, 002 all; ``**SC*number#`` registers and activates,
  ``##SC#`` erases). Orange, SFR, Bouygues Telecom and Free Mobile (France), EE, Vodafone UK, O2 and Three (UK),
  Proximus, Orange Belgium and BASE (Belgium), Swisscom, Sunrise and Salt (Switzerland), Rogers, Bell and Telus
  (Canada), AT&T and T-Mobile (US) publish these codes in their call-forwarding help pages.
- Verizon (US): "*72 + number" forwards all calls, "*71 + number" forwards when busy or unanswered ("No Answer/Busy
  Transfer"), "*73" cancels both (Verizon's call-forwarding help page).
- US landlines (Bell System vertical service codes, used by most local phone companies): *72/*73 all calls, *90/*91
  busy, *92/*93 no answer.
- BT landlines (UK): ``*21*number#`` / ``#21#`` all calls, ``*67*number#`` / ``#67#`` busy, ``*61*number#`` /
  ``#61#`` no reply (BT's "Call Diversion" help page).

A carrier not listed gets the GSM codes with a note that landlines and business lines differ: the operator knows.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import phonenumbers
from phonenumbers import PhoneNumberFormat

KINDS = ("busy", "no_answer", "unreachable", "conditional", "always")
OTHER = "other"


@dataclass(frozen=True)
class Carrier:
    """A phone company of a country and the code family its network uses."""

    key: str
    name: str
    family: str


@dataclass(frozen=True)
class ForwardingCode:
    """One thing to dial: ``dial`` turns forwarding on (to the AVA number), ``cancel`` turns it off."""

    kind: str
    dial: str
    cancel: str
    dial_link: str
    cancel_link: str


CARRIERS: dict[str, tuple[Carrier, ...]] = {
    "FR": (
        Carrier("orange_fr", "Orange", "gsm"),
        Carrier("sfr", "SFR", "gsm"),
        Carrier("bouygues", "Bouygues Telecom", "gsm"),
        Carrier("free", "Free Mobile", "gsm"),
    ),
    "US": (
        Carrier("verizon", "Verizon", "verizon"),
        Carrier("att", "AT&T", "gsm"),
        Carrier("tmobile_us", "T-Mobile", "gsm"),
        Carrier("us_landline", "Landline (most local phone companies)", "us_landline"),
    ),
    "GB": (
        Carrier("ee", "EE", "gsm"),
        Carrier("vodafone_uk", "Vodafone", "gsm"),
        Carrier("o2_uk", "O2", "gsm"),
        Carrier("three_uk", "Three", "gsm"),
        Carrier("bt_landline", "BT landline", "bt_landline"),
    ),
    "BE": (
        Carrier("proximus", "Proximus", "gsm"),
        Carrier("orange_be", "Orange Belgium", "gsm"),
        Carrier("base", "BASE / Telenet", "gsm"),
    ),
    "CH": (
        Carrier("swisscom", "Swisscom", "gsm"),
        Carrier("sunrise", "Sunrise", "gsm"),
        Carrier("salt", "Salt", "gsm"),
    ),
    "CA": (
        Carrier("rogers", "Rogers", "gsm"),
        Carrier("bell", "Bell", "gsm"),
        Carrier("telus", "Telus", "gsm"),
    ),
}

# kind -> (activate template, cancel); ``{n}`` is the AVA number as that network wants it dialled.
_FAMILIES: dict[str, dict[str, tuple[str, str]]] = {
    "gsm": {
        "busy": ("**67*{n}#", "##67#"),
        "no_answer": ("**61*{n}#", "##61#"),
        "unreachable": ("**62*{n}#", "##62#"),
        "conditional": ("**004*{n}#", "##004#"),
        "always": ("**21*{n}#", "##21#"),
    },
    "verizon": {
        "conditional": ("*71{n}", "*73"),
        "always": ("*72{n}", "*73"),
    },
    "us_landline": {
        "busy": ("*90{n}", "*91"),
        "no_answer": ("*92{n}", "*93"),
        "always": ("*72{n}", "*73"),
    },
    "bt_landline": {
        "busy": ("*67*{n}#", "#67#"),
        "no_answer": ("*61*{n}#", "#61#"),
        "always": ("*21*{n}#", "#21#"),
    },
}
# Landlines have no single "cancel everything" code: each kind is cancelled on its own.
_CANCEL_ALL = {"gsm": "##002#", "verizon": "*73"}


def carriers(country: str | None) -> list[Carrier]:
    """The main carriers of ``country``, then "other" (the GSM codes, which most mobile networks accept)."""
    listed = CARRIERS.get((country or "").upper(), ())
    return [*listed, Carrier(OTHER, "", "gsm")]


def carrier(country: str | None, key: str | None) -> Carrier:
    """The carrier ``key`` of ``country``; "other" when unknown."""
    return next((item for item in carriers(country) if item.key == key), carriers(None)[-1])


def dialled_number(target_e164: str, *, family: str, country: str | None) -> str:
    """The AVA number as typed after the code: national digits inside the caller's own country (as carriers' help
    pages show it; 1 + 10 digits in North America), else international. North American star codes take 10 digits,
    or 011 + digits abroad."""
    try:
        number = phonenumbers.parse(target_e164, None)
    except phonenumbers.NumberParseException:
        return target_e164
    region = phonenumbers.region_code_for_number(number)
    if family in ("verizon", "us_landline"):
        if number.country_code == 1:
            return str(number.national_number)
        return "011" + phonenumbers.format_number(number, PhoneNumberFormat.E164)[1:]
    if region and region == (country or "").upper():
        if number.country_code == 1:
            return f"1{number.national_number}"
        national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
        return "".join(char for char in national if char.isdigit())
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def tel_link(code: str) -> str:
    """A tap-to-dial link for a code: ``*`` and ``#`` percent-encoded (a bare ``#`` would end the URL)."""
    return "tel:" + quote(code, safe="+")


def codes(country: str | None, carrier_key: str | None, target_e164: str) -> list[ForwardingCode]:
    """Every forwarding the carrier offers, pointed at ``target_e164``, in the order AVA recommends them
    (conditional kinds first, "always" last)."""
    family = carrier(country, carrier_key).family
    number = dialled_number(target_e164, family=family, country=country)
    out = []
    for kind in KINDS:
        template = _FAMILIES[family].get(kind)
        if template is None:
            continue
        dial, cancel = template[0].format(n=number), template[1]
        out.append(ForwardingCode(kind, dial, cancel, tel_link(dial), tel_link(cancel)))
    return out


def cancel_all(country: str | None, carrier_key: str | None) -> str:
    """The one code that turns every forwarding of the carrier's family off ('' when the family has none)."""
    return _CANCEL_ALL.get(carrier(country, carrier_key).family, "")

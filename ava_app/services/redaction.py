"""Personal data taken out of what callers say before AVA stores, emails or forwards it.

``redact(text, rules=..., language=..., country=..., caller_phone=...)`` replaces each finding with a typed
placeholder in the call's language ("[card number]", "[numéro de carte]"), so a summary still reads naturally.

Always found when redaction is on:
- payment card numbers: 13 to 19 digits that pass the Luhn check and start like a card (2 to 6);
- IBANs (``stdnum.iban``: country format and the mod-97 check);
- national identifiers checked with ``python-stdnum``: French NIR, Swiss AHV (756…), Belgian national number. Weaker
  ones, whose check passes for too many ordinary numbers, count only when written in their usual groups or said right
  after their name: US SSN (3-2-4), Canadian SIN (3-3-3), NHS number (3-3-4, "NHS"); UK National Insurance numbers by
  their letter-digit pattern (``stdnum`` has no module for them).

Optional per business: e-mail addresses, phone numbers other than the caller's own (``phonenumbers``, in the
business's country), and dates of birth (a date said after "born", "date of birth", "né le", …).

Numbers count however a transcript renders them: "4111 1111 1111 1111", "4111-1111-…", and digit by digit in words
("four one one one …", "quatre un un un …"), so a card read out on the phone is caught like a typed one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import phonenumbers
from stdnum import iban, luhn
from stdnum.be import nn as belgian_number
from stdnum.ca import sin as canadian_sin
from stdnum.ch import ssn as swiss_ahv
from stdnum.fr import nir as french_nir
from stdnum.gb import nhs as nhs_number
from stdnum.us import ssn as us_ssn


@dataclass(frozen=True)
class RedactionRules:
    """What a business has AVA take out. Cards, bank accounts and national identifiers always go when ``enabled``."""

    enabled: bool = False
    emails: bool = False
    other_phones: bool = False
    birth_dates: bool = False


ALL_ON = RedactionRules(enabled=True, emails=True, other_phones=True, birth_dates=True)

PLACEHOLDERS: dict[str, dict[str, str]] = {
    "card": {"en": "[card number]", "fr": "[numéro de carte]"},
    "iban": {"en": "[bank account]", "fr": "[compte bancaire]"},
    "national_id": {"en": "[ID number]", "fr": "[numéro d'identité]"},
    "email": {"en": "[email address]", "fr": "[adresse e-mail]"},
    "phone": {"en": "[phone number]", "fr": "[numéro de téléphone]"},
    "birth_date": {"en": "[date of birth]", "fr": "[date de naissance]"},
}

_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9",
    "zéro": "0", "un": "1", "une": "1", "deux": "2", "trois": "3", "quatre": "4", "cinq": "5",
    "sept": "7", "huit": "8", "neuf": "9",
}  # fmt: skip
# "six" is the same word in both languages.

# A number, or a digit said as a word; runs of them with light separators between form one candidate. The run
# pattern finds candidates in C; only a run long enough to hold nine digits is split into its tokens in Python.
_TOKEN = re.compile(r"\d+|[A-Za-zÀ-ÿ]+", re.UNICODE)
_SEPARATOR = re.compile(r"[\s,.\-/()]{0,3}")
_DIGIT_TOKEN = r"(?:\d+|\b(?:" + "|".join(sorted(_DIGIT_WORDS, key=len, reverse=True)) + r")\b)"
# The lookahead (a digit, or a letter a digit word starts with) lets the scan skip most positions at once.
_RUN = re.compile(
    rf"(?=[\dzotfsenuqdch]){_DIGIT_TOKEN}(?:[\s,.\-/()]{{0,3}}{_DIGIT_TOKEN})*", re.IGNORECASE | re.UNICODE
)
_SHORTEST = 6  # no finding fits in fewer characters ("a@b.fr")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")
_UK_NINO = re.compile(
    r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b", re.IGNORECASE
)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", re.UNICODE)
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre"
)
_BIRTH_DATE = re.compile(
    r"(?P<lead>\b(?:born(?: on)?|date of birth(?: is)?|birthday(?: is)?|d\.?o\.?b\.?|"
    r"née? le|née?|date de naissance(?: est| :)?|anniversaire(?: est| :)?)[\s:,]*)"
    rf"(?P<date>\d{{1,2}}[/.\-]\d{{1,2}}[/.\-]\d{{2,4}}|(?:the )?\d{{1,2}}(?:st|nd|rd|th|er)? (?:of )?(?:{_MONTHS})"
    rf"(?:,? \d{{4}})?|(?:{_MONTHS}) \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?)",
    re.IGNORECASE | re.UNICODE,
)
# Weak identifiers count when one of these words comes shortly before them.
_CONTEXT = {
    "us_ssn": re.compile(r"social security|\bssn\b|\bsocial\b", re.IGNORECASE),
    "ca_sin": re.compile(r"social insurance|\bsin\b|\bnas\b|assurance sociale", re.IGNORECASE),
    "nhs": re.compile(r"\bnhs\b", re.IGNORECASE),
}
_CONTEXT_REACH = 60
# Digit counts of the identifiers checked: SSN/SIN 9, NHS 10, Belgian 11, AHV 13, NIR 15, cards 13 to 19.
_ID_LENGTHS = frozenset({9, 10, 11, 13, 14, 15, 16, 17, 18, 19})


@dataclass(frozen=True)
class _Run:
    """Consecutive number tokens: where each one is in the text, and the digits it stands for."""

    spans: tuple[tuple[int, int], ...]
    digits: tuple[str, ...]


def redact(
    text: str,
    *,
    rules: RedactionRules,
    language: str = "en",
    country: str | None = None,
    caller_phone: str | None = None,
) -> str:
    """``text`` with personal data replaced by placeholders in ``language`` (unchanged when redaction is off)."""
    if not rules.enabled or len(text) < _SHORTEST:
        return text
    return _redacted(text, rules, language, country, caller_phone)


# One report carries the conversation several times (lines, transcript, the payload's copies of both): each distinct
# text is worked out once. Bounded, so a process keeps only its most recent texts.
@functools.lru_cache(maxsize=512)
def _redacted(text: str, rules: RedactionRules, language: str, country: str | None, caller_phone: str | None) -> str:
    found: list[tuple[int, int, str]] = []
    found += [(m.start(), m.end(), "iban") for m in _IBAN.finditer(text) if iban.is_valid(m.group())]
    found += [(m.start(), m.end(), "national_id") for m in _UK_NINO.finditer(text)]
    if rules.emails and "@" in text:
        found += [(m.start(), m.end(), "email") for m in _EMAIL.finditer(text)]
    if rules.birth_dates:
        found += [(m.start("date"), m.end("date"), "birth_date") for m in _BIRTH_DATE.finditer(text)]
    for run in _number_runs(text):
        if any(start <= run.spans[0][0] and run.spans[-1][1] <= end for start, end, _ in found):
            continue  # the digits of an IBAN or an e-mail address already found
        found += _run_findings(text, run, rules=rules, country=country, caller_phone=caller_phone)
    return _replace(text, found, language)


def redact_data(
    value: Any,
    *,
    rules: RedactionRules,
    language: str = "en",
    country: str | None = None,
    caller_phone: str | None = None,
    keep: Callable[[str], bool] = lambda key: False,
) -> Any:
    """A JSON-like value with every string redacted, except under keys ``keep`` accepts (ids, URLs, AVA's numbers)."""
    if not rules.enabled:
        return value

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return redact(item, rules=rules, language=language, country=country, caller_phone=caller_phone)
        if isinstance(item, list):
            return [walk(part) for part in item]
        if isinstance(item, dict):
            return {key: part if keep(key) else walk(part) for key, part in item.items()}
        return item

    return walk(value)


def _number_runs(text: str) -> Iterator[_Run]:
    """Maximal runs of digit groups and digit words, with at most a few separator characters between them."""
    for candidate in _RUN.finditer(text):
        if candidate.end() - candidate.start() < 9:
            continue
        spans: list[tuple[int, int]] = []
        digits: list[str] = []
        for match in _TOKEN.finditer(text, candidate.start(), candidate.end()):
            token = match.group()
            spans.append(match.span())
            digits.append(token if token.isdigit() else _DIGIT_WORDS[token.lower()])
        if sum(map(len, digits)) >= 9:
            yield _Run(tuple(spans), tuple(digits))


def _run_findings(
    text: str, run: _Run, *, rules: RedactionRules, country: str | None, caller_phone: str | None
) -> list[tuple[int, int, str]]:
    """The longest checked identifiers inside one run, each over whole tokens, left to right."""
    findings: list[tuple[int, int, str]] = []
    count = len(run.digits)
    first = 0
    while first < count:
        for last in range(count - 1, first - 1, -1):
            kind = _identify(text, run, first, last, rules=rules, country=country, caller_phone=caller_phone)
            if kind:
                start = run.spans[first][0]
                # "(650) 253-0000", "+33 6 …": the opening bracket or plus sign belongs to the number.
                start -= start > 0 and text[start - 1] in "(+"
                findings.append((start, run.spans[last][1], kind))
                first = last
                break
        first += 1
    return findings


def _identify(
    text: str, run: _Run, first: int, last: int, *, rules: RedactionRules, country: str | None, caller_phone: str | None
) -> str | None:
    number = "".join(run.digits[first : last + 1])
    length = len(number)
    if length not in _ID_LENGTHS and not (rules.other_phones and 8 <= length <= 15):
        return None
    groups = tuple(len(part) for part in run.digits[first : last + 1])
    if 13 <= length <= 19 and number[0] in "23456" and luhn.is_valid(number):
        return "card"
    if length == 15 and french_nir.is_valid(number):
        return "national_id"
    if length == 13 and swiss_ahv.is_valid(number):
        return "national_id"
    if length == 11 and groups in {(2, 2, 2, 3, 2), (6, 3, 2), (11,)} and belgian_number.is_valid(number):
        return "national_id"
    before = text[max(0, run.spans[first][0] - _CONTEXT_REACH) : run.spans[first][0]]
    if length == 9 and us_ssn.is_valid(number) and (groups == (3, 2, 4) or _CONTEXT["us_ssn"].search(before)):
        return "national_id"
    if length == 9 and canadian_sin.is_valid(number) and (groups == (3, 3, 3) or _CONTEXT["ca_sin"].search(before)):
        return "national_id"
    if length == 10 and nhs_number.is_valid(number) and _CONTEXT["nhs"].search(before):
        return "national_id"
    # A phone number is a whole run ("my number is 06 12 34 56 78"): parsing every window would cost far more than
    # everything else here.
    if rules.other_phones and first == 0 and last == len(run.digits) - 1 and 8 <= length <= 15:
        international = run.spans[0][0] > 0 and text[run.spans[0][0] - 1] == "+"
        if _other_phone(("+" if international else "") + number, country=country, caller_phone=caller_phone):
            return "phone"
    return None


def _other_phone(number: str, *, country: str | None, caller_phone: str | None) -> bool:
    """A valid phone number of the business's country (or an international one) that is not the caller's own."""
    try:
        parsed = phonenumbers.parse(number, country or "US")
    except phonenumbers.NumberParseException:
        return False
    if not phonenumbers.is_valid_number(parsed):
        return False
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) != caller_phone


def _replace(text: str, found: list[tuple[int, int, str]], language: str) -> str:
    """Each finding replaced once; a finding inside an earlier, longer one is dropped."""
    words = "fr" if language.startswith("fr") else "en"
    pieces: list[str] = []
    cursor = 0
    for start, end, kind in sorted(found, key=lambda item: (item[0], -item[1])):
        if start < cursor:
            continue
        pieces += [text[cursor:start], PLACEHOLDERS[kind][words]]
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)

"""The languages AVA speaks: one list for the interface, the profile, the business and the assistant.

A language is offered only when the interface has its catalogue (``ava_app.i18n``) and every sentence AVA says to a
caller has its translation (the phrase tables of the services): English and French. This module sits at the bottom
of the layers so the services, the catalogues and the components all read the same list.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

from babel import Locale

Language = Literal["en", "fr"]
LANGUAGES: tuple[Language, ...] = ("en", "fr")
DEFAULT_LANGUAGE: Language = "en"
# Each language named in itself, as a language picker shows it.
NATIVE_NAMES: dict[Language, str] = {"en": "English", "fr": "Français"}


def normalise(value: str | None) -> Language:
    """The AVA language of a tag ("fr-CA", "en_GB", "FR"); English for anything AVA does not speak."""
    code = (value or "").strip().replace("_", "-").split("-")[0].lower()
    return next((language for language in LANGUAGES if language == code), DEFAULT_LANGUAGE)


def is_supported(value: str | None) -> bool:
    """True for a tag whose base language AVA speaks ("fr", "fr-CA"), False for "es" or an empty value."""
    code = (value or "").strip().replace("_", "-").split("-")[0].lower()
    return code in LANGUAGES


def caller_language(assistant_language: str | None, business_locale: str | None = None) -> Language:
    """The language AVA speaks to a caller: the assistant's, else the business's, else English."""
    if is_supported(assistant_language):
        return normalise(assistant_language)
    return normalise(business_locale)


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(normalise(language))


def plural_form(language: str | None, count: int) -> str:
    """CLDR's plural category of ``count`` in ``language``: "one" for 1 in English but for 0 and 1 in French,
    "many" for a million in French, "other" otherwise (babel's rules, not a hand-written "(s)")."""
    return _locale(language or DEFAULT_LANGUAGE).plural_form(abs(count))

"""One translation mechanism for every UI string and message: ``translate(key, lang)`` and the catalogues.

The shell's strings live in en.py / fr.py; each feature keeps its own in ``features/<feature>.py`` as ``EN`` and
``FR`` dicts (merged here, a key may be defined once), so features grow without touching one shared file.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from ava_app import languages
from ava_app.i18n import features
from ava_app.i18n.en import MESSAGES as EN
from ava_app.i18n.fr import MESSAGES as FR
from ava_app.i18n.fr import SERVICE_MESSAGES as FR_MESSAGES
from ava_app.languages import DEFAULT_LANGUAGE, NATIVE_NAMES

# The interface speaks the languages of ``ava_app.languages``, each named in itself in the language picker.
LANGUAGES = dict(NATIVE_NAMES)
CATALOGUES: dict[str, dict[str, str]] = {"en": dict(EN), "fr": dict(FR)}


def _merge_feature_catalogues() -> None:
    for module_info in pkgutil.iter_modules(features.__path__):
        module = importlib.import_module(f"{features.__name__}.{module_info.name}")
        for lang, messages in (("en", module.EN), ("fr", module.FR)):
            clash = CATALOGUES[lang].keys() & messages.keys()
            if clash:
                raise ValueError(f"i18n keys defined twice ({module_info.name}): {sorted(clash)[:5]}")
            CATALOGUES[lang].update(messages)
        FR_MESSAGES.update(getattr(module, "FR_SERVICE_MESSAGES", {}))


_merge_feature_catalogues()
EN = CATALOGUES["en"]


def normalise_language(value: str | None) -> str:
    """Map a browser language tag ('fr-FR', 'en_GB', 'de') to a supported language, English otherwise."""
    return languages.normalise(value)


def translate(key: str, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """The text for ``key`` in ``lang`` (falling back to English, then to the key), formatted with ``params``."""
    text = CATALOGUES.get(lang, EN).get(key) or EN.get(key) or key
    return text.format(**params) if params else text


def translate_count(key: str, lang: str, count: int, **params: object) -> str:
    """The text for ``count`` things: ``key.one``, ``key.many`` or ``key.other`` as the language's plural rules say
    (``languages.plural_form``), ``key.other`` when a form is missing; ``count`` is passed to the text."""
    form = languages.plural_form(lang, count)
    catalogue = CATALOGUES.get(lang, EN)
    for candidate in (f"{key}.{form}", f"{key}.other"):
        if candidate in catalogue or candidate in EN:
            return translate(candidate, lang, count=count, **params)
    return translate(key, lang, count=count, **params)


def translate_error(error: Exception, lang: str = DEFAULT_LANGUAGE) -> str:
    """A domain error in the user's language: by its code (``error.<code>``), else by its English message."""
    code = getattr(error, "code", "")
    details = getattr(error, "details", {}) or {}
    key = f"error.{code}"
    if key in EN:
        return translate(key, lang, **{k: v for k, v in details.items() if isinstance(v, str | int | float)})
    message = getattr(error, "message", "") or str(error)
    return translate_message(message, lang)


_NUMBER = re.compile(r"\d+")


def translate_message(message: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A service's English message (field errors and the like) in ``lang``, unchanged when no translation exists.

    A message that names numbers ("Question 8 is empty.") is looked up with each number as ``{n}`` ("Question {n} is
    empty.") when it has no translation of its own, and the numbers are put back in their order."""
    if lang != "fr":
        return message
    if message in FR_MESSAGES:
        return FR_MESSAGES[message]
    numbers = iter(_NUMBER.findall(message))
    template = FR_MESSAGES.get(_NUMBER.sub("{n}", message))
    if template is None:
        return message
    return re.sub(r"\{n\}", lambda _: next(numbers, ""), template)

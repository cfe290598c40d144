"""One translation mechanism for every UI string and message: ``translate(key, lang)`` and the catalogues."""

from __future__ import annotations

from ava_app.i18n.en import MESSAGES as EN
from ava_app.i18n.fr import MESSAGES as FR

LANGUAGES = {"en": "English", "fr": "Français"}
DEFAULT_LANGUAGE = "en"
CATALOGUES: dict[str, dict[str, str]] = {"en": EN, "fr": FR}


def normalise_language(value: str | None) -> str:
    """Map a browser language tag ('fr-FR', 'en_GB', 'de') to a supported language, English otherwise."""
    code = (value or "").replace("_", "-").split("-")[0].lower()
    return code if code in CATALOGUES else DEFAULT_LANGUAGE


def translate(key: str, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """The text for ``key`` in ``lang`` (falling back to English, then to the key), formatted with ``params``."""
    text = CATALOGUES.get(lang, EN).get(key) or EN.get(key) or key
    return text.format(**params) if params else text

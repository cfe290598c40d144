"""Both catalogues carry the same keys, and language negotiation falls back to English."""

from ava_app.i18n import CATALOGUES, normalise_language, translate


def test_catalogues_have_the_same_keys():
    assert set(CATALOGUES["fr"]) == set(CATALOGUES["en"])
    assert all(value.strip() for catalogue in CATALOGUES.values() for value in catalogue.values())


def test_browser_language_negotiation():
    assert normalise_language("fr-FR") == "fr"
    assert normalise_language("en_GB") == "en"
    assert normalise_language("de-DE") == "en"
    assert normalise_language(None) == "en"


def test_translate_falls_back_to_english_then_key():
    assert translate("nav.calls", "fr") == "Appels"
    assert translate("nav.calls", "de") == "Calls"
    assert translate("no.such.key", "fr") == "no.such.key"

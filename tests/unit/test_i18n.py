"""Both catalogues carry the same keys, and language negotiation falls back to English."""

import pytest

from ava_app.i18n import CATALOGUES, normalise_language, translate, translate_count


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


@pytest.mark.parametrize(
    ("lang", "count", "text"),
    [
        ("en", 0, "0 calls deleted."),
        ("en", 1, "1 call deleted."),
        ("en", 2, "2 calls deleted."),
        # French counts zero as singular, and a million takes CLDR's "many" form, which falls back to "other".
        ("fr", 0, "0 appel supprimé."),
        ("fr", 1, "1 appel supprimé."),
        ("fr", 2, "2 appels supprimés."),
        ("fr", 1_000_000, "1000000 appels supprimés."),
    ],
)
def test_counted_texts_follow_each_languages_plural_rules(lang, count, text):
    assert translate_count("calls.deleted", lang, count) == text


def test_no_counted_text_is_left_with_a_parenthesised_plural():
    for lang, catalogue in CATALOGUES.items():
        for key, text in catalogue.items():
            assert "(s)" not in text and "(x)" not in text, (lang, key, text)


def test_every_counted_text_has_its_singular_and_plural_in_both_languages():
    counted = {key.removesuffix(".one") for key in CATALOGUES["en"] if key.endswith(".one")}
    assert {"calls.deleted", "trash.intro", "numbers.holidays_count"} <= counted
    for base in counted:
        for lang in ("en", "fr"):
            assert f"{base}.one" in CATALOGUES[lang] and f"{base}.other" in CATALOGUES[lang], (lang, base)


def test_a_service_message_naming_numbers_is_translated_with_its_numbers_in_place():
    from ava_app.i18n import translate_message
    from ava_app.services import assistants

    problems: dict[str, str] = {}
    entries = [
        assistants.FaqItem(question="Parking?", answer="Behind the shop."),
        assistants.FaqItem(question=" ", answer=""),
    ]
    assistants._check_faq(entries, problems, "knowledge_base")
    french = {translate_message(message, "fr") for message in problems.values()}
    assert french == {"La question 2 est vide.", "La réponse à la question 2 est vide."}
    assert translate_message("Question 12 can be at most 500 characters.", "fr") == (
        "La question 12 peut compter au plus 500 caractères."
    )
    assert translate_message("Question 2 is empty.", "en") == "Question 2 is empty."
    # Without a template of its own a numbered message stays as the service wrote it.
    assert translate_message("Call 3 of 9 was moved.", "fr") == "Call 3 of 9 was moved."

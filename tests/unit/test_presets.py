"""Industry presets and voices: every industry complete in French and English, hours valid, voices per language."""

from __future__ import annotations

import pytest

from ava_app.languages import LANGUAGES
from ava_app.services import presets
from ava_app.services.business_hours import WEEKDAY_KEYS, TimeRangeIn, validate_business_hours
from ava_app.services.errors import NotFound

EXPECTED = {
    "clinic",
    "restaurant",
    "salon",
    "law_firm",
    "real_estate",
    "garage",
    "home_services",
    "veterinary",
    "fitness",
    "hotel",
    "other",
}


def test_ten_industries_plus_other_each_with_an_icon():
    industries = presets.list_industries("en")
    assert {item.key for item in industries} == EXPECTED and industries[-1].key == "other"
    assert all(item.icon and item.label for item in industries)
    french = {item.key: item.label for item in presets.list_industries("fr")}
    assert french["law_firm"] == "Cabinet d'avocats"


@pytest.mark.parametrize("industry", sorted(EXPECTED))
@pytest.mark.parametrize("locale", ["en", "fr"])
def test_every_preset_is_complete(industry, locale):
    preset = presets.get_preset(industry, locale, business_name="Acme")

    assert preset.locale == locale and preset.label and preset.persona and preset.icon
    assert preset.tone in presets.TONES
    assert "Acme" in preset.first_message and "{business}" not in preset.first_message
    assert "Acme" in preset.system_prompt and preset.escalation_rule in preset.system_prompt
    assert len(preset.first_message) <= 500 and preset.end_call_message
    assert 5 <= len(preset.faqs) <= 10
    assert all(faq.question.strip() and len(faq.answer) > 20 for faq in preset.faqs)
    assert len({faq.question for faq in preset.faqs}) == len(preset.faqs)
    keys = [field.key for field in preset.data_fields]
    assert len(keys) >= 4 and len(set(keys)) == len(keys) and "phone" in keys
    assert all(field.type in presets.DATA_FIELD_TYPES and field.label for field in preset.data_fields)
    problems: dict[str, str] = {}
    hours = validate_business_hours(
        {day: [TimeRangeIn(**r.model_dump()) for r in ranges] for day, ranges in preset.business_hours.items()},
        problems,
    )
    assert problems == {} and set(hours) == set(WEEKDAY_KEYS) and any(hours.values())
    voice = presets.find_voice(provider=preset.voice_provider, voice_id=preset.voice_id)
    assert voice is not None and locale in voice.languages


def test_french_and_english_texts_differ_but_fields_match():
    english, french = presets.get_preset("clinic", "en"), presets.get_preset("clinic", "fr")
    assert english.first_message != french.first_message
    assert [f.key for f in english.data_fields] == [f.key for f in french.data_fields]
    assert english.business_hours == french.business_hours


def test_locales_fall_back_and_unknown_industries_are_not_found():
    assert presets.get_preset("hotel", "fr-CA").locale == "fr"
    spanish = presets.get_preset("hotel", "es")
    assert spanish.locale == "en" and (spanish.voice_provider, spanish.voice_id) == presets.DEFAULT_VOICES["en"]
    assert "{business}" in presets.get_preset("hotel", "en").first_message
    with pytest.raises(NotFound):
        presets.get_preset("spaceport", "en")


@pytest.mark.parametrize("language", LANGUAGES)
def test_voices_per_language_default_first(language):
    voices = presets.list_voices(language)
    assert len(voices) >= 6 and voices[0].default and sum(v.default for v in voices) == 1
    assert all(language in voice.languages for voice in voices)
    assert {voice.gender for voice in voices} == {"female", "male"}
    assert all(voice.style and voice.label for voice in voices)


def test_vapi_voices_are_english_only():
    assert all(voice.provider != "vapi" for voice in presets.list_voices("fr"))
    assert {voice.provider for voice in presets.list_voices("en")} == {"vapi", "11labs", "azure"}

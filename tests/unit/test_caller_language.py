"""AVA speaks the caller's language: one list of languages, and every phrase table has each of them.

Covers the phrases AVA says itself (hold, voicemail, unavailable), the week's hours and the hours tool in French and
English, the Vapi assistant-request answered in the assistant's language (webhook payload in, response out), the
tools' answers, and the sandbox's scripted calls and OpenAI emulator in French.
"""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from ava_app import i18n, languages
from ava_app.components.assistant_form import LANGUAGE_OPTIONS
from ava_app.sandbox.openai.app import REPLY_LABELS, _reply_text, conversation_language
from ava_app.sandbox.vapi.scenarios import CALLER_NAMES, DAY_NAMES, INTENTS, LINES, ToolStep, Turn, build_scenario
from ava_app.services import accounts, caller_phrases, phone_numbers
from ava_app.services.assistant_tools import TOOL_PHRASES
from ava_app.services.business_hours import HOURS_PHRASES, HoursStatus, describe_hours, week_summary
from ava_app.services.providers import llm_prompts
from ava_app.services.providers.llm_local import reply_locally
from tests.unit.vapi_messages import LA_WEDNESDAY_8PM, LA_WEDNESDAY_10AM, load, send, tool_call_body

SALON_WEEK = {
    "mon": [],
    "tue": [{"open": "09:30", "close": "19:00"}],
    "wed": [{"open": "09:30", "close": "19:00"}],
    "thu": [{"open": "09:30", "close": "19:00"}],
    "fri": [{"open": "09:30", "close": "19:00"}],
    "sat": [{"open": "09:00", "close": "18:00"}],
    "sun": [],
}


# --- one list of languages -------------------------------------------------------------------------------------


def test_one_list_of_languages_everywhere():
    assert languages.LANGUAGES == ("en", "fr")
    assert tuple(i18n.LANGUAGES) == languages.LANGUAGES == tuple(i18n.CATALOGUES)
    assert accounts.LOCALES == languages.LANGUAGES == llm_prompts.LANGUAGES
    assert [code for code, _key in LANGUAGE_OPTIONS] == list(languages.LANGUAGES)
    assert all(key in i18n.EN for _code, key in LANGUAGE_OPTIONS)


@pytest.mark.parametrize(
    "table",
    [caller_phrases.CALLER_PHRASES, TOOL_PHRASES, HOURS_PHRASES, LINES, CALLER_NAMES, DAY_NAMES, REPLY_LABELS],
    ids=["caller", "tools", "hours", "scenario lines", "caller names", "day names", "emulator labels"],
)
def test_every_phrase_table_speaks_every_language_with_the_same_keys(table):
    assert set(table) == set(languages.LANGUAGES)
    english = table["en"]
    for language in languages.LANGUAGES:
        if isinstance(english, dict):
            assert set(table[language]) == set(english), language
            assert all(table[language].values()), language
        else:
            assert len(table[language]) == len(english), language


@pytest.mark.parametrize(
    ("assistant", "business", "expected"),
    [
        ("fr", "en", "fr"),
        ("en", "fr", "en"),
        ("", "fr", "fr"),
        ("es", "fr", "fr"),
        ("fr-CA", None, "fr"),
        (None, "de", "en"),
    ],
)
def test_the_callers_language_is_the_assistants_then_the_businesss(assistant, business, expected):
    assert languages.caller_language(assistant, business) == expected


# --- what AVA says itself --------------------------------------------------------------------------------------


def test_caller_phrases_in_french_and_english():
    assert caller_phrases.phrase("fr", "hold") == "Veuillez patienter, je vous mets en relation."
    assert caller_phrases.phrase("en", "hold") == "Please hold while I connect you."
    assert caller_phrases.phrase("es", "hold") == "Please hold while I connect you."
    assert caller_phrases.closed_greeting("fr", business="Salon Élise", after_tone=False) == (
        "Merci d'avoir appelé Salon Élise. Nous sommes fermés pour le moment. Laissez votre nom, votre numéro et un "
        "court message, et nous vous rappellerons."
    )
    assert caller_phrases.closed_greeting("en").startswith("Thanks for calling. We are closed right now.")
    assert "after the tone" in caller_phrases.closed_greeting("en", after_tone=True)


# --- hours -----------------------------------------------------------------------------------------------------


def test_the_week_in_french_groups_days_and_writes_24_hour_times():
    assert week_summary(SALON_WEEK, [], "fr") == (
        "lundi fermé · du mardi au vendredi 9 h 30–19 h · samedi 9 h–18 h · dimanche fermé"
    )
    # English follows the business's country: AM/PM in the US (and when no country is known), 24-hour in the UK.
    assert phone_numbers.hours_summary(SALON_WEEK, [], "en", "US") == (
        "Mon closed · Tue-Fri 9:30 AM to 7 PM · Sat 9 AM to 6 PM · Sun closed"
    )
    assert phone_numbers.hours_summary(SALON_WEEK, []) == phone_numbers.hours_summary(SALON_WEEK, [], "en", "US")
    assert phone_numbers.hours_summary(SALON_WEEK, [], "en", "GB") == (
        "Mon closed · Tue-Fri 09:30 to 19:00 · Sat 09:00 to 18:00 · Sun closed"
    )
    # A French business's week stays 24-hour French whatever the country code says of English.
    assert week_summary(SALON_WEEK, [], "fr", "FR") == week_summary(SALON_WEEK, [], "fr")


def test_the_french_week_with_split_hours_two_day_groups_and_holidays():
    week = {
        "mon": [{"open": "08:30", "close": "12:30"}, {"open": "13:30", "close": "18:30"}],
        "tue": [{"open": "08:30", "close": "12:30"}, {"open": "13:30", "close": "18:30"}],
        "wed": [],
        "thu": [],
        "fri": [],
        "sat": [{"open": "10:00", "close": "24:00"}],
        "sun": [],
    }
    assert phone_numbers.hours_summary(week, ["2025-12-25"], "fr") == (
        "lundi et mardi 8 h 30–12 h 30 et 13 h 30–18 h 30 · du mercredi au vendredi fermé · samedi 10 h–24 h · "
        "dimanche fermé · fermé 1 jour férié"
    )
    assert week_summary(week, ["2025-12-25", "2026-01-01"], "fr").endswith("fermé 2 jours fériés")
    assert week_summary(week, ["2025-12-25", "2026-01-01"], "en").endswith("closed on 2 holidays")
    assert week_summary({}, [], "fr") == "Ouvert 24 h/24, 7 j/7 (aucun horaire défini)"
    assert week_summary({}, [], "en") == "Open 24/7 (no business hours set)"


def test_what_the_hours_tool_says_in_french():
    today = ((time(9, 30), time(12, 0)), (time(14, 0), time(19, 0)))
    assert describe_hours(HoursStatus(is_open=True, reason="open", closes_at=time(12, 0), today=today), "fr") == (
        "Ouvert en ce moment jusqu'à 12 h. Horaires du jour : 9 h 30–12 h et 14 h–19 h."
    )
    tuesday = datetime(2025, 6, 10, 9, 30, tzinfo=UTC)
    assert describe_hours(HoursStatus(is_open=False, reason="holiday", next_open=tuesday), "fr") == (
        "Fermé aujourd'hui (jour férié). Prochaine ouverture : mardi à 9 h 30."
    )
    assert describe_hours(HoursStatus(is_open=False, reason="closed", next_open=tuesday), "en") == (
        "Closed now. Hours today: closed. Next opening: Tuesday at 9:30 AM."
    )
    assert describe_hours(HoursStatus(is_open=False, reason="closed", next_open=tuesday), "en", "GB") == (
        "Closed now. Hours today: closed. Next opening: Tuesday at 09:30."
    )
    assert describe_hours(HoursStatus(is_open=True, reason="no_hours"), "fr").startswith("Ouvert : aucun horaire")


# --- Vapi's assistant-request: webhook payload in, response out ----------------------------------------------


def _speaking(db, business, *, assistant_language: str, tenant_locale: str = "en"):
    tenant, assistant, number = business
    tenant.locale, assistant.language = tenant_locale, assistant_language
    db.add_all([tenant, assistant])
    db.commit()
    return tenant, assistant, number


@pytest.mark.parametrize(
    ("language", "hold"),
    [("fr", "Veuillez patienter, je vous mets en relation."), ("en", "Please hold while I connect you.")],
)
def test_the_forward_after_hours_holds_in_the_assistants_language(db, vapi_business, language, hold):
    _, _, number = _speaking(db, vapi_business, assistant_language=language)
    number.after_hours_action = "forward"
    db.add(number)
    db.commit()
    response = send(db, load("assistant-request"), now=LA_WEDNESDAY_8PM).response
    assert response["destination"] == {"type": "number", "number": "+14155550100", "message": hold}


@pytest.mark.parametrize(
    ("language", "greeting"),
    [
        ("fr", "Merci d'avoir appelé Bright Smile Dental. Nous sommes fermés pour le moment."),
        ("en", "Thanks for calling Bright Smile Dental. We are closed right now."),
    ],
)
def test_the_voicemail_fallback_speaks_the_assistants_language(db, vapi_business, language, greeting):
    _, assistant, _ = _speaking(db, vapi_business, assistant_language=language)
    assistant.voicemail_message = ""
    db.add(assistant)
    db.commit()
    overrides = send(db, load("assistant-request"), now=LA_WEDNESDAY_8PM).response["assistantOverrides"]
    assert overrides["firstMessage"].startswith(greeting)
    assert overrides["voicemailMessage"] == overrides["firstMessage"]


def test_without_an_assistant_language_the_business_language_is_used(db, vapi_business):
    _, assistant, number = _speaking(db, vapi_business, assistant_language="", tenant_locale="fr")
    assistant.provider_assistant_id = None
    number.forwarding_number = None
    db.add_all([assistant, number])
    db.commit()
    response = send(db, load("assistant-request"), now=LA_WEDNESDAY_10AM).response
    assert response == {"error": caller_phrases.phrase("fr", "unavailable")}
    assert response["error"].startswith("Désolé, nous ne pouvons pas prendre votre appel")


# --- the tools' answers ----------------------------------------------------------------------------------------


def test_tools_answer_in_the_assistants_language(db, vapi_business):
    _speaking(db, vapi_business, assistant_language="fr")
    (hours,) = send(db, tool_call_body("check_business_hours", "{}"), now=LA_WEDNESDAY_8PM).response["results"]
    assert hours["result"] == "Fermé en ce moment. Horaires du jour : 9 h–17 h. Prochaine ouverture : jeudi à 9 h."
    body = tool_call_body("take_message", {"message": "Rappelez-moi"}, tool_id="t2")
    (message,) = send(db, body).response["results"]
    assert message["result"].startswith("Message enregistré pour l'équipe.")
    body = tool_call_body("lookup_faq", {"question": "faites-vous des tatouages ?"}, tool_id="t3")
    (faq,) = send(db, body).response["results"]
    assert faq["result"].startswith("Pas de réponse dans la base de connaissances.")
    (transfer,) = send(db, tool_call_body("transfer_to_human", {}, tool_id="t4")).response["results"]
    assert transfer["result"] == "Transférez l'appelant vers le +14155550100."


# --- the sandbox -----------------------------------------------------------------------------------------------


def _french_assistant(**extra) -> dict:
    return {
        "name": "Ava",
        "firstMessage": "Bonjour, Salon Élise, Ava à l'appareil. Que puis-je faire pour vous ?",
        "endCallMessage": "Merci d'avoir appelé Salon Élise, à bientôt !",
        "transcriber": {"provider": "deepgram", "model": "nova-2", "language": "fr"},
        "model": {"messages": [{"role": "system", "content": "Tu es Ava."}], **extra},
    }


_ENGLISH_MARKERS = (" the ", " you ", " your ", "Thanks", "Hi,", "I'm", "I'd")


@pytest.mark.parametrize("intent", INTENTS)
def test_a_french_business_gets_french_scripted_calls(intent):
    for direction in ("inbound", "outbound"):
        scenario = build_scenario(intent=intent, assistant=_french_assistant(), direction=direction, seed="s1")
        spoken = [step.text for step in scenario.steps if isinstance(step, Turn)]
        spoken += [step.reply(None) for step in scenario.steps if isinstance(step, ToolStep)]
        for line in [*spoken, scenario.summary]:
            assert not any(marker in f" {line} " for marker in _ENGLISH_MARKERS), line
        assert scenario.caller_name in CALLER_NAMES["fr"]


def test_a_french_question_call_reads_out_the_french_hours_tool_answer():
    hours_tool = {"type": "function", "function": {"name": "check_business_hours", "parameters": {}}}
    scenario = build_scenario(
        intent="question", assistant=_french_assistant(tools=[hours_tool]), direction="inbound", seed="s2"
    )
    caller = [step.text for step in scenario.steps if isinstance(step, Turn) and step.role == "user"]
    assert caller[0] == "Bonjour, une petite question. Quels sont vos horaires aujourd'hui ?"
    (step,) = [step for step in scenario.steps if isinstance(step, ToolStep)]
    assert step.reply("Ouvert en ce moment jusqu'à 19 h.") == "Ouvert en ce moment jusqu'à 19 h."
    assert step.reply(None).startswith("Je ne peux pas vérifier nos horaires")
    assert scenario.facts["reason"] == "Quels sont vos horaires aujourd'hui ?"


def test_an_english_assistant_keeps_its_english_scripts():
    english = {**_french_assistant(), "transcriber": {"language": "en"}, "firstMessage": None, "endCallMessage": None}
    scenario = build_scenario(intent="complaint", assistant=english, direction="inbound", seed="s1")
    assert scenario.steps[0] == Turn("bot", "Hello, thanks for calling. How can I help you today?")
    assert scenario.caller_name in CALLER_NAMES["en"]


def test_the_openai_emulator_answers_in_the_conversations_language_from_the_prompts_facts():
    assistant = {
        "language": "fr",
        "business_name": "Salon Élise",
        "knowledge_base": [
            {"question": "Quels sont vos tarifs ?", "answer": "Une coupe coûte 35 €."},
            {"question": "Quels sont vos horaires d'ouverture ?", "answer": week_summary(SALON_WEEK, [], "fr")},
        ],
    }
    messages = llm_prompts.reply_messages(
        assistant=assistant, conversation=[{"role": "user", "content": "Quels sont vos horaires ?"}]
    )
    assert conversation_language(messages) == "fr"
    assert _reply_text(messages) == (
        "Réponse émulée : lundi fermé · du mardi au vendredi 9 h 30–19 h · samedi 9 h–18 h · dimanche fermé"
    )
    unknown = llm_prompts.reply_messages(assistant=assistant, conversation=[{"role": "user", "content": "Bonjour"}])
    assert _reply_text(unknown) == "Réponse émulée à : Bonjour"
    assert _reply_text([{"role": "user", "content": "Are you open?"}]) == "Emulated reply to: Are you open?"


def test_the_local_test_call_reply_reads_the_french_hours():
    assistant = {
        "language": "fr",
        "knowledge_base": [
            {"question": "Quels sont vos horaires d'ouverture ?", "answer": week_summary(SALON_WEEK, [], "fr")}
        ],
    }
    said = [{"role": "user", "content": "Quels sont vos horaires ?"}]
    assert reply_locally(assistant=assistant, conversation=said).startswith("lundi fermé · du mardi au vendredi")

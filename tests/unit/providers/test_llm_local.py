"""The local fallback: extractive summaries, keyword topics and sentiment (FR/EN/ES), FAQ-matched replies."""

from __future__ import annotations

import pytest

from ava_app.languages import LANGUAGES
from ava_app.services.providers.llm_local import (
    LOCAL_LABEL,
    detect_sentiment,
    fold,
    reply_locally,
    split_transcript,
    summarise_locally,
)

DENTAL_EN = (
    "AI: Bright Smile Dental, this is Ava. How can I help?\n"
    "User: Hi, my name is Jordan Lee. I'd like to book a cleaning appointment next Tuesday at 10:30.\n"
    "AI: Of course. Can I have a number to confirm?\n"
    "User: Sure, it's +1 415 555 0142, or jordan.lee@example.com.\n"
    "AI: Perfect, someone will confirm shortly.\n"
    "User: Great, thanks a lot!"
)
GARAGE_FR = (
    "AI: Garage Martin, bonjour, que puis-je faire pour vous ?\n"
    "User: Bonjour, je m'appelle Claire Dubois. Ma voiture est encore en panne après la réparation, "
    "je suis très déçue, c'est inacceptable.\n"
    "AI: Je suis désolée. Voulez-vous que le garagiste vous rappelle ?\n"
    "User: Oui, rappelez-moi au 06 12 34 56 78 s'il vous plaît."
)


def test_transcript_turns_are_split_by_speaker():
    turns = split_transcript("AI: Hello.\nUser: I need help\nwith my bill.\nCustomer: Thanks\n\nBot: Bye")
    assert turns == [
        ("agent", "Hello."),
        ("caller", "I need help with my bill."),
        ("caller", "Thanks"),
        ("agent", "Bye"),
    ]
    assert split_transcript("no speaker labels at all") == [("caller", "no speaker labels at all")]


def test_english_booking_call():
    result = summarise_locally(
        transcript=DENTAL_EN,
        language="en",
        data_fields=["patient_name", "phone", "email", "preferred_date", "preferred_time", "insurance"],
    )
    assert "book a cleaning appointment" in result["summary"]
    assert "Ava" not in result["summary"]  # only the caller's words are quoted
    assert result["intent"] == "Book an appointment"
    assert result["topics"][0] == "appointment"
    assert result["action_needed"] is True
    assert result["sentiment"] == "positive"
    assert result["data"] == {
        "patient_name": "Jordan Lee",
        "phone": "+1 415 555 0142",
        "email": "jordan.lee@example.com",
        "preferred_date": "Tuesday",
        "preferred_time": "10:30",
        "insurance": None,
    }


def test_french_complaint_call():
    result = summarise_locally(transcript=GARAGE_FR, language="fr", data_fields=["nom_client", "telephone"])
    assert "en panne" in result["summary"]
    assert "réclamation" in result["topics"] and "demande de rappel" in result["topics"]
    assert result["sentiment"] == "negative"
    assert result["action_needed"] is True
    assert result["data"] == {"nom_client": "Claire Dubois", "telephone": "06 12 34 56 78"}


def test_unknown_language_falls_back_to_english_lists():
    result = summarise_locally(transcript="User: I want to cancel my booking.", language="de")
    assert result["topics"][0] == "cancellation"
    assert result["summary"] == "I want to cancel my booking."


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Thank you, bye.", "en", "neutral"),
        ("This is the worst service, I'm really upset.", "en", "negative"),
        ("Merci beaucoup, c'est parfait !", "fr", "positive"),
    ],
)
def test_sentiment_keywords(text, language, expected):
    assert detect_sentiment(text, language) == expected


def test_accents_are_folded_for_matching():
    assert fold("Réservation à Málaga’s") == "reservation a malaga's"


def test_labels_exist_for_every_language():
    assert set(LOCAL_LABEL) == set(LANGUAGES)


ASSISTANT = {
    "name": "Ava",
    "business_name": "Bright Smile Dental",
    "language": "en",
    "first_message": "",
    "knowledge_base": [
        {"question": "What are your opening hours?", "answer": "We are open Monday to Friday, 8am to 6pm."},
        {"question": "Do you accept insurance?", "answer": "Yes, we accept most dental insurance plans."},
        {"question": "Where is the parking?", "answer": "Free parking is behind the building."},
    ],
}


def test_first_reply_is_the_greeting():
    greeting = reply_locally(assistant=ASSISTANT, conversation=[])
    assert greeting == "Hello, you've reached Bright Smile Dental, this is Ava. How can I help you?"
    custom = {**ASSISTANT, "first_message": "Bright Smile, Ava speaking!"}
    assert reply_locally(assistant=custom, conversation=[{"role": "assistant", "content": "x"}]) == (
        "Bright Smile, Ava speaking!"
    )


def test_reply_picks_the_faq_answer_by_word_overlap():
    conversation = [{"role": "user", "content": "Hi! Do you take my insurance?"}]
    assert reply_locally(assistant=ASSISTANT, conversation=conversation) == (
        "Yes, we accept most dental insurance plans."
    )
    conversation.append({"role": "user", "content": "And when are you open on Friday?"})
    assert reply_locally(assistant=ASSISTANT, conversation=conversation).startswith("We are open Monday to Friday")


def test_reply_without_a_match_offers_to_take_a_message_in_the_language():
    question = [{"role": "user", "content": "Can you fix my car?"}]
    assert reply_locally(assistant=ASSISTANT, conversation=question).startswith("I'm sorry, I don't have that")
    french = {**ASSISTANT, "language": "fr", "knowledge_base": []}
    assert reply_locally(assistant=french, conversation=question).startswith("Je suis désolée")
    spanish = {**ASSISTANT, "language": "es-ES", "knowledge_base": []}
    assert reply_locally(assistant=spanish, conversation=question).startswith("I'm sorry, I don't have that")


def test_reply_in_french_matches_accented_faq():
    assistant = {
        "language": "fr",
        "business_name": "Salon Élise",
        "knowledge_base": [{"question": "Quels sont vos tarifs pour une coupe ?", "answer": "Une coupe coûte 35 €."}],
    }
    conversation = [{"role": "user", "content": "Bonjour, c'est combien le tarif d'une coupe femme ?"}]
    assert reply_locally(assistant=assistant, conversation=conversation) == "Une coupe coûte 35 €."
    assert reply_locally(assistant=assistant, conversation=[]).startswith("Bonjour, vous êtes bien chez Salon Élise")


def test_goodbye_gets_the_end_message():
    bye = [{"role": "user", "content": "That's all, goodbye"}]
    assert reply_locally(assistant=ASSISTANT, conversation=bye) == "Thank you for calling, goodbye!"
    custom = {**ASSISTANT, "end_call_message": "Have a lovely day!"}
    assert reply_locally(assistant=custom, conversation=bye) == "Have a lovely day!"


@pytest.mark.parametrize(
    ("language", "words"), [("en", "hung up during the greeting"), ("fr", "raccroché pendant l'accueil")]
)
def test_a_caller_who_said_nothing_gets_no_summary_made_of_the_greeting(language, words):
    result = summarise_locally(
        transcript="AI: Hello, you've reached Bright Smile Dental, this is Ava. How can I help you today?",
        language=language,
        data_fields=["patient_name"],
    )
    assert words in result["summary"] and "Bright Smile" not in result["summary"]
    assert result["action_needed"] is False and result["topics"] == []
    assert result["data"] == {"patient_name": None}


def test_fields_no_pattern_can_tell_are_left_empty():
    result = summarise_locally(
        transcript="AI: Hello.\nUser: Hi, this is Jordan Lee. I'd like an appointment next Tuesday morning.",
        language="en",
        data_fields=["patient_name", "date_of_birth", "new_patient", "preferred_day"],
    )
    assert result["data"] == {
        "patient_name": "Jordan Lee",
        "date_of_birth": None,
        "new_patient": None,
        "preferred_day": "Tuesday",
    }

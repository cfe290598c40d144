"""Personal data is taken out of what callers say: typed, spoken digit by digit, in English and in French."""

from __future__ import annotations

import pytest
from stdnum.fr import nir

from ava_app.services.redaction import ALL_ON, RedactionRules, redact, redact_data

ON = RedactionRules(enabled=True)
NIR = "184057512345" + "6" + nir.calc_check_digits("1840575123456")  # 13 digits and their key


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("My card is 4111 1111 1111 1111, expiry 12 27.", "My card is [card number], expiry 12 27."),
        ("It's 4111-1111-1111-1111.", "It's [card number]."),
        (
            "four one one one, one one one one, one one one one, one one one one and the code is on the back",
            "[card number] and the code is on the back",
        ),
        ("Amex 3782 822463 10005 please", "Amex [card number] please"),
        ("Pay into GB82 WEST 1234 5698 7654 32 today", "Pay into [bank account] today"),
        ("My social security number is 123-45-6789.", "My social security number is [ID number]."),
        ("my social is one two three four five six seven eight nine", "my social is [ID number]"),
        ("my NI number is AB 12 34 56 C", "my NI number is [ID number]"),
        ("my NHS number is 943 476 5919", "my NHS number is [ID number]"),
        ("my SIN is 130 692 544", "my SIN is [ID number]"),
    ],
)
def test_english_findings_become_typed_placeholders(said: str, expected: str):
    assert redact(said, rules=ON, language="en", country="GB") == expected


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("Ma carte c'est le 4111 1111 1111 1111.", "Ma carte c'est le [numéro de carte]."),
        (
            "quatre un un un un un un un un un un un un un un un voilà",
            "[numéro de carte] voilà",
        ),
        ("Mon IBAN : FR76 3000 6000 0112 3456 7890 189", "Mon IBAN : [compte bancaire]"),
        (f"Mon numéro de sécu est le {NIR[0]} {NIR[1:3]} {NIR[3:5]} {NIR[5:7]} {NIR[7:10]} {NIR[10:13]} {NIR[13:]}",
         "Mon numéro de sécu est le [numéro d'identité]"),
        ("Mon numéro AVS : 756.9217.0769.85", "Mon numéro AVS : [numéro d'identité]"),
        ("Numéro national 85.07.30-033.28 merci", "Numéro national [numéro d'identité] merci"),
    ],
)  # fmt: skip
def test_french_findings_become_french_placeholders(said: str, expected: str):
    assert redact(said, rules=ON, language="fr", country="FR") == expected


@pytest.mark.parametrize(
    "ordinary",
    [
        "I'd like Tuesday at 10 30, for 2 people, order 123456789.",
        "My number is 06 12 34 56 78 and I was born on 12/03/1980, email jo@example.fr",
        "It costs 1234567890123 dollars",  # starts with 1: no card does
        "Call id 5b7c8e0a-1d2f-4e3a-9b8c-7d6e5f4a3b2c at 2026-12-05T10:00:00.000Z",
        "Je voudrais un rendez-vous pour deux personnes le douze à quatorze heures",
    ],
)
def test_ordinary_speech_is_left_alone_with_only_the_defaults(ordinary: str):
    assert redact(ordinary, rules=ON, country="FR") == ordinary


def test_optional_rules_take_other_numbers_emails_and_birth_dates_but_not_the_callers_own_number():
    said = "Reach me on 06 12 34 56 78 or my wife on 06 98 76 54 32, jo@example.fr, I was born on 12/03/1980."
    assert redact(said, rules=ALL_ON, language="en", country="FR", caller_phone="+33612345678") == (
        "Reach me on 06 12 34 56 78 or my wife on [phone number], [email address], I was born on [date of birth]."
    )
    assert redact("née le 3 mars 1975", rules=ALL_ON, language="fr", country="FR") == "née le [date de naissance]"
    assert redact("date of birth is March 3rd, 1975", rules=ALL_ON, country="US") == "date of birth is [date of birth]"


def test_nothing_changes_when_redaction_is_off():
    said = "My card is 4111 1111 1111 1111"
    assert redact(said, rules=RedactionRules(enabled=False)) == said
    assert redact_data({"text": said}, rules=RedactionRules()) == {"text": said}


def test_a_payload_is_redacted_everywhere_but_under_the_keys_kept():
    payload = {
        "id": "4111111111111111",
        "artifact": {
            "messages": [{"role": "user", "message": "card 4111 1111 1111 1111"}],
            "transcript": "4111111111111111",
        },
        "cost": 0.12,
    }
    assert redact_data(payload, rules=ON, keep=lambda key: key == "id") == {
        "id": "4111111111111111",
        "artifact": {"messages": [{"role": "user", "message": "card [card number]"}], "transcript": "[card number]"},
        "cost": 0.12,
    }

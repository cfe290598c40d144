"""Password hashing is argon2, verify always does the work, and the signup policy refuses weak choices."""

import pytest
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from ava_app.i18n import translate_message
from ava_app.services import passwords
from ava_app.services.errors import Invalid


def test_hash_is_argon2_and_verifies():
    hashed = passwords.hash_password("correct horse battery")
    assert hashed.startswith("$argon2")
    assert passwords.verify_password("correct horse battery", hashed)
    assert not passwords.verify_password("wrong horse battery", hashed)
    assert not passwords.needs_rehash(hashed)


def test_unknown_user_still_runs_a_real_verify(monkeypatch):
    calls = []
    real_verify = passwords.pwd_context.verify
    monkeypatch.setattr(passwords.pwd_context, "verify", lambda *args: calls.append(args) or real_verify(*args))
    assert passwords.verify_password("anything at all", None) is False
    assert len(calls) == 1
    assert calls[0][1].startswith("$argon2")


def test_malformed_hash_and_oversized_password_are_just_wrong():
    assert passwords.verify_password("correct horse battery", "not-a-hash") is False
    hashed = passwords.hash_password("a" * 256)
    assert passwords.verify_password("a" * 257, hashed) is False


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1!", "at least 10"),
        ("owner@example.com", "email"),
        ("OWNER@example.com", "email"),
        ("password123", "common or leaked"),
        ("AzertyUiop", "common or leaked"),
        # Variants of listed passwords that a 35-word list could not hold.
        ("letmein2024", "common or leaked"),
        ("P@ssw0rd123", "common or leaked"),
        ("iloveyou2024", "common or leaked"),
        ("soleil1234", "common or leaked"),
        ("motdepasse2024", "common or leaked"),
        ("Sunshine2025!", "common or leaked"),
        ("owner@example.com1", "common or leaked"),
        ("x" * 300, "at most"),
    ],
)
def test_policy_refuses(password, reason):
    with pytest.raises(Invalid) as excinfo:
        passwords.check_password_policy(password, email="owner@example.com")
    assert reason in excinfo.value.details["fields"]["password"]


def test_policy_accepts_a_decent_password():
    passwords.check_password_policy("tulip-garage-42", email="owner@example.com")


def test_every_leaked_password_long_enough_to_pass_the_length_rule_is_refused():
    # zxcvbn ships the 30,000 most common passwords from public breaches; those of 10+ characters would otherwise
    # pass the length rule. None may be accepted.
    leaked = [word for word in FREQUENCY_LISTS["passwords"] if len(word) >= passwords.MIN_LENGTH]
    assert len(leaked) > 1000
    accepted = []
    for word in leaked:
        try:
            passwords.check_password_policy(word)
        except Invalid:
            continue
        accepted.append(word)
    assert accepted == []


def test_too_common_message_is_clear_in_english_and_french():
    with pytest.raises(Invalid) as excinfo:
        passwords.check_password_policy("qwerty123456", field="new_password")
    message = excinfo.value.details["fields"]["new_password"]
    assert message == passwords.TOO_COMMON
    assert "leaked" in message
    assert "divulgué" in translate_message(message, "fr")

"""Password hashing is argon2, verify always does the work, and the signup policy refuses weak choices."""

import pytest

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
        ("password123", "too common"),
        ("AzertyUiop", "too common"),
        ("x" * 300, "at most"),
    ],
)
def test_policy_refuses(password, reason):
    with pytest.raises(Invalid) as excinfo:
        passwords.check_password_policy(password, email="owner@example.com")
    assert reason in excinfo.value.details["fields"]["password"]


def test_policy_accepts_a_decent_password():
    passwords.check_password_policy("tulip-garage-42", email="owner@example.com")

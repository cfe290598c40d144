"""Password hashing (argon2 through passlib) and the signup password policy."""

from __future__ import annotations

import secrets

from passlib.context import CryptContext

from ava_app.services.errors import Invalid

MIN_LENGTH = 10
# argon2 hashes any length, but hashing megabytes on demand is a cheap denial of service.
MAX_LENGTH = 256

# Passwords of 10+ characters that still top every leaked-password list (English and French keyboards).
COMMON_PASSWORDS = frozenset(
    {
        "0123456789",
        "1234567890",
        "12345678910",
        "123456789a",
        "1111111111",
        "0000000000",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "abcdefghij",
        "abc1234567",
        "qwertyuiop",
        "qwerty1234",
        "qwerty12345",
        "azertyuiop",
        "azerty1234",
        "azerty12345",
        "password12",
        "password123",
        "password1234",
        "passw0rd123",
        "motdepasse",
        "motdepasse1",
        "motdepasse123",
        "iloveyou12",
        "iloveyou123",
        "letmein123",
        "welcome123",
        "changeme123",
        "admin12345",
        "administrator",
        "trustno1234",
        "football123",
        "baseball123",
        "soleil1234",
        "bonjour123",
    }
)

pwd_context = CryptContext(schemes=["argon2"], deprecated="auto")

_dummy: tuple[CryptContext, str] | None = None


def hash_password(password: str) -> str:
    """The argon2 hash to store for ``password``."""
    return pwd_context.hash(password)


def _dummy_hash() -> str:
    """A hash of a random secret made with the current context, so an unknown user costs a real verify."""
    global _dummy
    if _dummy is None or _dummy[0] is not pwd_context:
        _dummy = (pwd_context, pwd_context.hash(secrets.token_urlsafe(16)))
    return _dummy[1]


def verify_password(password: str, password_hash: str | None) -> bool:
    """True when ``password`` matches; with no hash (unknown user) a dummy verify still runs and returns False."""
    if not password_hash or len(password) > MAX_LENGTH:
        pwd_context.verify(password[:MAX_LENGTH], _dummy_hash())
        return False
    try:
        return pwd_context.verify(password, password_hash)
    except (ValueError, TypeError):
        # A malformed stored hash must look like a wrong password, not a server error.
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the stored hash was made with older parameters and should be replaced at next login."""
    return pwd_context.needs_update(password_hash)


def check_password_policy(password: str, *, email: str = "", field: str = "password") -> None:
    """Raise Invalid unless the password is 10+ characters, not the email, and not a common password."""
    message = None
    lowered = password.strip().lower()
    if len(password) < MIN_LENGTH:
        message = f"Use at least {MIN_LENGTH} characters."
    elif len(password) > MAX_LENGTH:
        message = f"Use at most {MAX_LENGTH} characters."
    elif email and lowered in {email.strip().lower(), email.strip().lower().split("@")[0]}:
        message = "Do not use your email address as password."
    elif lowered in COMMON_PASSWORDS:
        message = "This password is too common."
    if message:
        raise Invalid("Please choose a stronger password.", code="weak_password", fields={field: message})

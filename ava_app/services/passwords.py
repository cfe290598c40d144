"""Password hashing (argon2 through passlib) and the password policy (length, not the email, not guessable)."""

from __future__ import annotations

import re
import secrets
from functools import cache

from passlib.context import CryptContext
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from ava_app.services.errors import Invalid

MIN_LENGTH = 10
# argon2 hashes any length, but hashing megabytes on demand is a cheap denial of service.
MAX_LENGTH = 256

# zxcvbn refuses longer input (its matching grows fast with length); 72 characters are far past any listed password.
GUESS_CHECK_LENGTH = 72
# Below zxcvbn's score 2 (under 10^6 guesses) a password is one of its packaged 30,000 most common leaked passwords,
# an English word or a name, a keyboard run or repeat, or an easy variant of these (digits added, l33t, reversed).
MIN_GUESS_SCORE = 2
# zxcvbn counts only years up to 2019 as "recent", so "motdepasse2024" scores well: a leaked password followed by a
# few digits or symbols (up to five) is refused by looking the rest up in the same list.
SHORT_SUFFIX = re.compile(r"[\d\W_]{1,5}$")
TOO_COMMON = "This password is too easy to guess: it is a common or leaked password, or a close variant of one."

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


def is_too_common(password: str, *, user_inputs: tuple[str, ...] = ()) -> bool:
    """True when ``password`` is a known leaked or common password or an easy variant (zxcvbn, offline lists).

    ``user_inputs`` (the email, its local part) count as known words, so "owner@example.com1" is refused too.
    """
    lowered = password.strip().lower()
    base = SHORT_SUFFIX.sub("", lowered)
    if base != lowered and base in _leaked_passwords():
        return True
    result = zxcvbn(password[:GUESS_CHECK_LENGTH], user_inputs=[value for value in user_inputs if value])
    return result["score"] < MIN_GUESS_SCORE


@cache
def _leaked_passwords() -> frozenset[str]:
    """zxcvbn's packaged list of the 30,000 most common passwords from public breaches."""
    return frozenset(FREQUENCY_LISTS["passwords"])


def check_password_policy(password: str, *, email: str = "", field: str = "password") -> None:
    """Raise Invalid unless the password is 10+ characters, not the email, and not common or leaked."""
    message = None
    lowered = password.strip().lower()
    email = email.strip().lower()
    local_part = email.split("@")[0]
    if len(password) < MIN_LENGTH:
        message = f"Use at least {MIN_LENGTH} characters."
    elif len(password) > MAX_LENGTH:
        message = f"Use at most {MAX_LENGTH} characters."
    elif email and lowered in {email, local_part}:
        message = "Do not use your email address as password."
    elif is_too_common(password, user_inputs=(email, local_part)):
        message = TOO_COMMON
    if message:
        raise Invalid("Please choose a stronger password.", code="weak_password", fields={field: message})

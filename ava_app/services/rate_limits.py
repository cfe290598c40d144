"""Rate limits on login, magic links, SMS codes, refused webhooks and API keys.

``limits`` library: memory by default, Redis when configured.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from ava_app.services.errors import RateLimited
from ava_app.settings import get_settings

# One rule per abuse case; the key (account, IP, destination) is given at each check.
RULES: dict[str, RateLimitItem] = {
    "login_account": parse("5/minute"),
    "login_ip": parse("20/minute"),
    "magic_link": parse("3/15 minutes"),
    "sms": parse("3/15 minutes"),
    "password_reset": parse("3/15 minutes"),
    "email_verification": parse("3/15 minutes"),
    "signup_ip": parse("10/hour"),
    # SMS cost money and reach people: besides "sms" (per number), caps per number and day, per account asking
    # to confirm numbers, per IP, and for the whole deployment per country calling code (toll fraud targets one).
    "sms_destination_day": parse("10/day"),
    "sms_account": parse("5/hour"),
    "sms_ip": parse("10/hour"),
    "sms_country": parse("200/hour"),
    # Codes a caller asks for on one call, to change a booking made from another number.
    "booking_code_call": parse("3/hour"),
    # Invitations send email to any address: bounded per admin who sends them and per organisation.
    "invite_inviter": parse("20/hour"),
    "invite_tenant": parse("50/day"),
    # Webhook requests refused for a missing or wrong secret or signature, per IP: a scanner guessing secrets. A
    # provider's valid webhooks never count (several calls' worth of them arrive per second from its addresses).
    "webhook_refused_ip": parse("60/minute"),
    # Requests per API key (the key's id): from the settings (``AVA_API_KEY_REQUESTS_PER_MINUTE``), see ``_rule``.
    "api_key": parse("120/minute"),
}


def _rule(name: str) -> RateLimitItem:
    """The limit of ``name``; the signups per IP and the requests per API key come from the settings
    (``AVA_SIGNUPS_PER_IP_HOUR``, ``AVA_API_KEY_REQUESTS_PER_MINUTE``)."""
    if name == "signup_ip":
        return parse(f"{get_settings().signups_per_ip_hour}/hour")
    if name == "api_key":
        return parse(f"{get_settings().api_key_requests_per_minute}/minute")
    return RULES[name]


_lock = threading.Lock()
_limiter: tuple[str, Storage, MovingWindowRateLimiter] | None = None


def _get_limiter() -> tuple[Storage, MovingWindowRateLimiter]:
    """The process-wide limiter for the configured storage (rebuilt if the Redis URL changes, as in tests)."""
    global _limiter
    redis_url = get_settings().redis_url
    with _lock:
        if _limiter is None or _limiter[0] != redis_url:
            # Redis makes the limits hold across several app processes; memory is right for one process.
            storage: Storage = RedisStorage(redis_url, key_prefix="ava-limits") if redis_url else MemoryStorage()
            _limiter = (redis_url, storage, MovingWindowRateLimiter(storage))
        return _limiter[1], _limiter[2]


def hit(rule: str, key: str) -> None:
    """Count one attempt of ``rule`` for ``key``; over the limit, raise RateLimited with ``retry_after`` seconds."""
    item = _rule(rule)
    _storage, limiter = _get_limiter()
    normalized = key.strip().lower()
    if limiter.hit(item, rule, normalized):
        return
    raise _refusal(limiter, rule, normalized)


def _refusal(limiter: MovingWindowRateLimiter, rule: str, normalized_key: str) -> RateLimited:
    reset_at = limiter.get_window_stats(_rule(rule), rule, normalized_key).reset_time
    retry_after = max(1, math.ceil(reset_at - time.time()))
    return RateLimited(f"Too many attempts. Try again in {retry_after} seconds.", retry_after=retry_after, rule=rule)


def check_all(checks: Sequence[tuple[str, str]]) -> None:
    """Raise RateLimited (the longest wait) when any ``(rule, key)`` is at its limit; counts nothing."""
    _storage, limiter = _get_limiter()
    refusals = [
        _refusal(limiter, rule, key.strip().lower())
        for rule, key in checks
        if not limiter.test(_rule(rule), rule, key.strip().lower())
    ]
    if refusals:
        raise max(refusals, key=lambda refusal: refusal.details["retry_after"])


def hit_all(checks: Sequence[tuple[str, str]]) -> None:
    """Count one attempt for every ``(rule, key)``, or for none when one of them is at its limit (RateLimited).

    A refused attempt spends nothing of the other limits, so reaching a narrow cap does not use up a wide one.
    """
    check_all(checks)
    for rule, key in checks:
        hit(rule, key)


def reset_rate_limits() -> None:
    """Forget every counter (tests call this between cases; also useful after an incident)."""
    storage, _limiter_obj = _get_limiter()
    storage.reset()

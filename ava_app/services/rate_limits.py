"""Rate limits on login, magic links and SMS codes (``limits`` library: memory by default, Redis when configured)."""

from __future__ import annotations

import math
import threading
import time

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
    # Invitations send email to any address: bounded per admin who sends them and per organisation.
    "invite_inviter": parse("20/hour"),
    "invite_tenant": parse("50/day"),
}

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
    item = RULES[rule]
    _storage, limiter = _get_limiter()
    normalized = key.strip().lower()
    if limiter.hit(item, rule, normalized):
        return
    reset_at = limiter.get_window_stats(item, rule, normalized).reset_time
    retry_after = max(1, math.ceil(reset_at - time.time()))
    raise RateLimited(f"Too many attempts. Try again in {retry_after} seconds.", retry_after=retry_after, rule=rule)


def reset_rate_limits() -> None:
    """Forget every counter (tests call this between cases; also useful after an incident)."""
    storage, _limiter_obj = _get_limiter()
    storage.reset()

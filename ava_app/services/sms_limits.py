"""Caps on the SMS AVA sends (login codes and number confirmations), with messages that say when to try again.

Every request for a code counts toward its number, its IP and, for a signed-in caller confirming a number, its
account. The deployment-wide cap per country calling code (``+33``, ``+1``...) counts only the SMS that really go
out: a flood of requests for numbers without an account must not use up the SMS of a whole country's users.
"""

from __future__ import annotations

import ipaddress
import math

import phonenumbers

from ava_app.services import rate_limits
from ava_app.services.errors import RateLimited

# Which cap was reached -> (stable code the UI translates, English message).
REFUSALS: dict[str, tuple[str, str]] = {
    "sms": ("sms_limit_number", "Too many codes were sent to this number. Try again in {wait}."),
    "sms_destination_day": ("sms_limit_number", "Too many codes were sent to this number. Try again in {wait}."),
    "sms_account": ("sms_limit_account", "You asked for too many codes. Try again in {wait}."),
    "sms_ip": ("sms_limit_network", "Too many codes were asked for from your network. Try again in {wait}."),
    "sms_country": (
        "sms_limit_country",
        "Too many codes are going to numbers starting with {prefix} right now. Try again in {wait}.",
    ),
}


def country_prefix(e164: str) -> str:
    """The country calling code of an E.164 number, as typed: ``+33``, ``+1``, ``+44``."""
    return f"+{phonenumbers.parse(e164).country_code}"


def wait_text(seconds: int) -> str:
    """A wait as people read it, the same in French and English: ``1 min``, ``14 min``, ``5 h``."""
    minutes = max(1, math.ceil(seconds / 60))
    return f"{math.ceil(minutes / 60)} h" if minutes >= 120 else f"{minutes} min"


def _explained(error: RateLimited, prefix: str) -> RateLimited:
    rule = error.details["rule"]
    code, message = REFUSALS[rule]
    retry_after = int(error.details["retry_after"])
    params = {"wait": wait_text(retry_after), "prefix": prefix}
    return RateLimited(message.format(**params), code=code, retry_after=retry_after, rule=rule, **params)


def network_of(ip: str) -> str:
    """The key an IP is capped under: the address itself for IPv4, its /64 for IPv6 (one subscriber's prefix holds
    more addresses than any cap could count)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


def count_request(*, destination: str, ip: str = "", account_id: int | None = None) -> None:
    """Count a request for a code to ``destination`` (E.164); RateLimited, counting nothing, when a cap is reached.

    The country cap is checked here too (so a refused country refuses at once) but only counted by ``count_sent``.
    """
    prefix = country_prefix(destination)
    checks = [("sms", destination), ("sms_destination_day", destination)]
    if account_id is not None:
        checks.append(("sms_account", f"user:{account_id}"))
    if ip:
        checks.append(("sms_ip", network_of(ip)))
    try:
        rate_limits.check_all([*checks, ("sms_country", prefix)])
        rate_limits.hit_all(checks)
    except RateLimited as error:
        raise _explained(error, prefix) from None


def count_sent(*, destination: str) -> None:
    """Count one SMS about to go out toward its country's cap; RateLimited when the cap was reached meanwhile."""
    prefix = country_prefix(destination)
    try:
        rate_limits.hit("sms_country", prefix)
    except RateLimited as error:
        raise _explained(error, prefix) from None

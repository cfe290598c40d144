"""Who may use the dev-only pages (/dev/outbox): the machine AVA runs on, or a signed-in platform admin.

The dev outbox lists live login links, so an AVA reachable from a network must not show it to whoever asks.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from ava_app.services.principal import Principal

# A request that came through a proxy: the socket's loopback address then says nothing about the real caller.
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip", "x-forwarded-host", "via")


def is_loopback_request(*, client_ip: str, headers: Mapping[str, str]) -> bool:
    """True for a request from this machine itself: a loopback socket address and no sign of a proxy in between."""
    try:
        address = ipaddress.ip_address((client_ip or "").strip())
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if not address.is_loopback:
        return False
    names = {name.lower().replace("_", "-") for name, value in headers.items() if value}
    return not names & set(FORWARDING_HEADERS)


def may_read_dev_outbox(*, client_ip: str, headers: Mapping[str, str], principal: Principal | None) -> bool:
    """The dev outbox opens to a loopback request or a signed-in platform admin; nobody else."""
    if principal is not None and principal.is_platform_admin:
        return True
    return is_loopback_request(client_ip=client_ip, headers=headers)

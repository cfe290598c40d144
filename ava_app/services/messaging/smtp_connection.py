"""Opening a connection to an SMTP server an organisation named, through the outbound guard.

The host and port come from a tenant, so in production the port must be a mail port (25, 465, 587) and every address
the host resolves to must be public. ``outbound_guard.resolve_checked`` resolves and checks the host; the socket is
then opened to the checked address and handed to aiosmtplib, which starts TLS (``ssl`` at once, or ``starttls``)
with the host name that was typed, so the certificate is verified for that name (SNI) and a DNS answer that changes
between the check and the connect cannot lead anywhere else. In development any port and private or loopback
addresses are allowed (local test servers). Credentials are only ever sent over TLS: see ``check_smtp_secret``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from typing import Any

import aiosmtplib

from ava_app.services.errors import Invalid
from ava_app.services.outbound_guard import OutboundPolicy, is_public_address, resolve_checked
from ava_app.settings import get_settings

SMTP_PORTS = frozenset({25, 465, 587})
TLS_MODES = ("none", "starttls", "ssl")


@dataclass(frozen=True)
class SmtpTarget:
    """Where a credential is sent: host (lower case), port, TLS mode, with the defaults filled in."""

    host: str
    port: int
    tls: str


def smtp_target(secret: dict[str, Any]) -> SmtpTarget:
    """The server an SMTP secret points at; a missing port is the TLS mode's usual one (465 for ssl, else 587)."""
    tls = str(secret.get("tls") or "starttls").strip().lower()
    port = str(secret.get("port") or "").strip()
    return SmtpTarget(
        host=str(secret.get("host") or "").strip().lower().rstrip("."),
        port=int(port) if port.isdigit() else (465 if tls == "ssl" else 587),
        tls=tls,
    )


def smtp_policy() -> OutboundPolicy:
    """Where SMTP connections may go: mail ports and public addresses in production, anywhere in development."""
    production = get_settings().env == "prod"
    return OutboundPolicy(
        name="smtp",
        schemes=frozenset({"smtp"}),
        ports=SMTP_PORTS if production else None,
        allow_private=not production,
    )


def check_smtp_secret(secret: dict[str, Any]) -> None:
    """Refuse (``Invalid``, by field) what can be told without a connection.

    A username or password with ``tls: none`` (they would cross the network in clear), an unknown TLS mode, a port
    out of range, and in production a port other than 25/465/587 or a host written as a non-public IP address.
    """
    target = smtp_target(secret)
    fields: dict[str, str] = {}
    port = str(secret.get("port") or "").strip()
    if target.tls not in TLS_MODES:
        fields["tls"] = "tls"
    elif target.tls == "none" and (str(secret.get("username") or "").strip() or str(secret.get("password") or "")):
        fields["tls"] = "tls_required"
    if port and not (port.isdigit() and 1 <= int(port) <= 65535):
        fields["port"] = "port"
    policy = smtp_policy()
    if "port" not in fields and policy.ports is not None and target.port not in policy.ports:
        fields["port"] = "port_not_allowed"
    if not policy.allow_private and _is_non_public_literal(target.host):
        fields["host"] = "host_not_allowed"
    if fields:
        raise Invalid("Some fields are missing or not valid.", fields=fields)


async def open_smtp(target: SmtpTarget, *, timeout: float) -> aiosmtplib.SMTP:
    """A connected aiosmtplib client (TLS started as the target asks); ``OutboundRefused`` for a refused address.

    Connection errors are aiosmtplib's or ``OSError``; the caller quits the client when done.
    """
    addresses = await resolve_checked(target.host, target.port, smtp_policy())
    sock = await _connect_first(addresses, target.port, timeout=timeout)
    client = aiosmtplib.SMTP(
        hostname=target.host,
        sock=sock,
        use_tls=target.tls == "ssl",
        # False rather than None for "none": aiosmtplib would otherwise upgrade opportunistically.
        start_tls=target.tls == "starttls",
        timeout=timeout,
    )
    try:
        await client.connect()
    except BaseException:
        client.close()
        sock.close()
        raise
    return client


async def _connect_first(addresses: list[str], port: int, *, timeout: float) -> socket.socket:
    """A TCP socket connected to the first of ``addresses`` (already checked) that answers."""
    loop = asyncio.get_running_loop()
    last_error: OSError | None = None
    for address in addresses:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            await asyncio.wait_for(loop.sock_connect(sock, (address, port)), timeout=timeout)
        except OSError as error:  # TimeoutError included
            sock.close()
            last_error = error
            continue
        return sock
    raise last_error or OSError("no address to connect to")


def _is_non_public_literal(host: str) -> bool:
    try:
        return not is_public_address(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return False

"""The one guard for outbound connections to an address a tenant or a provider payload can influence.

Recordings, SMTP hosts, customer webhooks, website import: each names an ``OutboundPolicy`` (schemes, ports, hosts)
and connects only through this module. A host is resolved and every address it resolves to is checked *when the
connection is opened*, and the connection goes to the address that was checked, so a DNS answer that changes between
a check and the connect (DNS rebinding) cannot reach loopback, a private network, link-local addresses (cloud
metadata) or any other non-global range.

- ``check_url(url, policy)``: the scheme, host and port of a URL, before anything is sent.
- ``resolve_checked(host, port, policy)``: the addresses to connect to, all of them allowed, for clients that open
  their own sockets (aiosmtplib): connect to one of these, with the original host name for TLS.
- ``guarded_transport(policy)``: an httpx transport whose every TCP connection goes through ``resolve_checked``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import certifi
import httpcore
import httpx

from ava_app.services.errors import DomainError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64_PREFIXES = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")


class OutboundRefused(DomainError):
    """This address cannot be reached from AVA."""

    status_code = 400
    code = "outbound_refused"


@dataclass(frozen=True)
class OutboundPolicy:
    """Where one kind of outbound connection may go.

    ``hosts``: allowed host names; an entry ``.example.com`` allows every sub-domain of example.com, an entry
    ``example.com`` that name only; empty allows any host. ``allow_private``: non-global addresses are allowed too
    (development against local emulators, never production).
    """

    name: str
    schemes: frozenset[str] = frozenset({"https"})
    ports: frozenset[int] | None = None  # None: any port
    hosts: tuple[str, ...] = ()
    allow_private: bool = False
    extra_allowed: tuple[str, ...] = field(default=())  # exact host[:port] pairs always allowed (dev emulators)

    def allows_host(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        if not self.hosts:
            return True
        for entry in self.hosts:
            entry = entry.lower()
            if entry.startswith("."):
                if host.endswith(entry) or host == entry[1:]:
                    return True
            elif host == entry:
                return True
        return False


def is_public_address(address: str | IPAddress) -> bool:
    """True for a globally routable unicast address (not private, loopback, link-local, reserved, multicast, CGNAT)."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and any(ip in network for network in NAT64_PREFIXES):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)  # a NAT64 gateway would reach this IPv4 host
        if embedded is not None:
            return is_public_address(embedded)
        # Only global unicast space: IPv4-compatible (::/96), IPv4-translated and old site-local forms are not.
        if ip not in GLOBAL_UNICAST_V6:
            return False
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True)
class CheckedURL:
    scheme: str
    host: str
    port: int


def check_url(url: str, policy: OutboundPolicy) -> CheckedURL:
    """The URL's scheme, host and port if the policy allows them (addresses are checked at connect time)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise OutboundRefused("This address is not a valid URL.", code="outbound_invalid_url") from None
    scheme = (parts.scheme or "").lower()
    host = (parts.hostname or "").lower()
    if scheme not in policy.schemes:
        raise OutboundRefused(
            f"Only {', '.join(sorted(policy.schemes))} addresses are allowed.", code="outbound_scheme"
        )
    if not host or parts.username or parts.password:
        raise OutboundRefused("This address is not a valid URL.", code="outbound_invalid_url")
    port = port or (443 if scheme == "https" else 80)
    _check_host_port(host, port, policy)
    return CheckedURL(scheme=scheme, host=host, port=port)


def _check_host_port(host: str, port: int, policy: OutboundPolicy) -> None:
    if f"{host}:{port}" in policy.extra_allowed:
        return
    if policy.ports is not None and port not in policy.ports:
        raise OutboundRefused("This port cannot be reached from AVA.", code="outbound_port")
    if not policy.allows_host(host):
        raise OutboundRefused("This host is not an allowed destination.", code="outbound_host")


async def resolve_checked(host: str, port: int, policy: OutboundPolicy) -> list[str]:
    """Every address ``host`` resolves to, if all are allowed; ``OutboundRefused`` otherwise.

    One disallowed address refuses the whole host, so a name that mixes public and private answers cannot be used
    to reach the private one on a later connection.
    """
    _check_host_port(host.lower().rstrip("."), port, policy)
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        addresses: list[str] = [str(literal)]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise OutboundRefused("This host name does not resolve.", code="outbound_unresolved") from None
        addresses = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
    if not addresses:
        raise OutboundRefused("This host name does not resolve.", code="outbound_unresolved")
    exempt = policy.allow_private or f"{host.lower()}:{port}" in policy.extra_allowed
    if not exempt and not all(is_public_address(address) for address in addresses):
        raise OutboundRefused("This address is on a private network and cannot be reached.", code="outbound_private")
    return addresses


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, resolving and checking each host itself and connecting to the checked address.

    TLS is started by httpcore afterwards with the original host name, so certificates are verified as usual.
    """

    def __init__(self, policy: OutboundPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await resolve_checked(host, port, self._policy)
        last_error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None
        raise last_error

    async def connect_unix_socket(self, *args, **kwargs) -> httpcore.AsyncNetworkStream:  # pragma: no cover
        raise OutboundRefused("Unix sockets cannot be reached from AVA.", code="outbound_scheme")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """An httpx transport that checks the URL against a policy, then every connection's address as it opens.

    No proxy from the environment is used: a proxy would connect on AVA's behalf, past the address check.
    """

    def __init__(self, policy: OutboundPolicy) -> None:
        super().__init__(trust_env=False)
        self.policy = policy
        # httpx builds its pool without a way to pass a network backend; this pool is the one it would build, with
        # the guarded backend.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl.create_default_context(cafile=certifi.where()),
            network_backend=_GuardedBackend(policy),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        check_url(str(request.url), self.policy)
        return await super().handle_async_request(request)


def guarded_transport(policy: OutboundPolicy) -> GuardedTransport:
    """The transport for an httpx.AsyncClient that may only reach what ``policy`` allows."""
    return GuardedTransport(policy)

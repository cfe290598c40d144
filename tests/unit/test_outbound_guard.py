"""The one outbound guard: schemes, ports, hosts, and every resolved address checked when the connection opens."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from ava_app.services import outbound_guard
from ava_app.services.outbound_guard import (
    OutboundPolicy,
    OutboundRefused,
    check_url,
    guarded_transport,
    is_public_address,
    resolve_checked,
)
from tests.servers import serve_app

HTTPS_ANY = OutboundPolicy(name="test")
LOCAL_OK = OutboundPolicy(name="dev", schemes=frozenset({"http", "https"}), allow_private=True)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "224.0.0.1",
        "2002:7f00:1::1",
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b::7f00:1",
        "::7f00:1",  # IPv4-compatible
        "::ffff:0:a9fe:a9fe",  # IPv4-translated
        "fec0::1",  # old site-local
    ],
)
def test_non_global_addresses_are_refused(address):
    assert not is_public_address(address)


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_global_addresses_are_allowed(address):
    assert is_public_address(address)


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://example.com/a", "outbound_scheme"),
        ("file:///etc/passwd", "outbound_scheme"),
        ("gopher://example.com", "outbound_scheme"),
        ("https://user:pw@example.com/", "outbound_invalid_url"),
        ("https:///nohost", "outbound_invalid_url"),
        ("https://example.com:99999/", "outbound_invalid_url"),
    ],
)
def test_bad_urls_are_refused_before_anything_is_sent(url, code):
    with pytest.raises(OutboundRefused) as refused:
        check_url(url, HTTPS_ANY)
    assert refused.value.code == code


def test_hosts_and_ports_follow_the_policy():
    policy = OutboundPolicy(name="rec", hosts=(".vapi.ai", "api.twilio.com"), ports=frozenset({443}))
    assert check_url("https://storage.vapi.ai/x.wav", policy).host == "storage.vapi.ai"
    assert check_url("https://vapi.ai/x.wav", policy).port == 443
    assert check_url("https://api.twilio.com/2010-04-01/x", policy).host == "api.twilio.com"
    for url in (
        "https://evil.com/x",
        "https://vapi.ai.evil.com/",
        "https://x.api.twilio.com/",
        "https://vapi.ai:8443/",
    ):
        with pytest.raises(OutboundRefused):
            check_url(url, policy)


async def test_literal_and_resolved_private_addresses_are_refused():
    for host in ("127.0.0.1", "[::1]", "localhost", "169.254.169.254"):
        with pytest.raises(OutboundRefused) as refused:
            await resolve_checked(host, 443, HTTPS_ANY)
        assert refused.value.code == "outbound_private"
    assert await resolve_checked("127.0.0.1", 80, LOCAL_OK) == ["127.0.0.1"]


async def test_a_host_with_one_private_answer_is_refused_whole(monkeypatch):
    async def mixed(host, port, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
        ]

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", mixed)
    with pytest.raises(OutboundRefused):
        await resolve_checked("mixed.example", 443, HTTPS_ANY)


async def _hello(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"secret from loopback"})


async def test_transport_checks_the_address_at_connect_time_so_dns_rebinding_fails(monkeypatch):
    """The name passes every check before the request; at connect time it resolves to loopback and is refused."""
    policy = OutboundPolicy(name="rebind", schemes=frozenset({"http"}), hosts=("rebind.example",))
    with serve_app(_hello) as base:
        port = int(base.rsplit(":", 1)[1])
        url = f"http://rebind.example:{port}/"
        check_url(url, policy)  # nothing wrong with the URL itself

        async def rebound(host, port, **kwargs):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

        monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", rebound)
        async with httpx.AsyncClient(transport=guarded_transport(policy)) as client:
            with pytest.raises(OutboundRefused):
                await client.get(url)


async def test_transport_reaches_an_allowed_local_server_and_refuses_redirects_elsewhere():
    with serve_app(_hello) as base:
        async with httpx.AsyncClient(transport=guarded_transport(LOCAL_OK)) as client:
            response = await client.get(base + "/")
        assert response.text == "secret from loopback"
        async with httpx.AsyncClient(transport=guarded_transport(HTTPS_ANY)) as client:
            with pytest.raises(OutboundRefused):
                await client.get(base + "/")


def test_transport_ignores_proxies_from_the_environment(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    transport = guarded_transport(HTTPS_ANY)
    assert isinstance(transport._pool._network_backend, outbound_guard._GuardedBackend)

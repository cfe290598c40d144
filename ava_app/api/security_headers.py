"""Security headers on every HTTP response AVA serves: pages, API, downloads, webhooks.

An ASGI middleware wrapped around the whole app (Reflex's ``api_transformer``), so the compiled pages get the same
headers as the API. Websocket traffic passes through untouched.

The pages' Content-Security-Policy allows what Reflex needs and nothing more:
- ``script-src 'self'`` plus the **sha256 hashes of the inline scripts of the page being served** (React Router's
  boot scripts and Reflex's colour-mode script: they are part of each compiled HTML file, and the hashes are taken
  from the response itself, so a new build needs no configuration) and ``'unsafe-eval'``, because Reflex runs
  ``rx.call_script`` and ``rx.redirect``'s callbacks through ``eval`` in its state.js. No ``'unsafe-inline'`` script.
- ``style-src 'self' 'unsafe-inline'``: Emotion and Radix write style elements and attributes at run time.
- ``connect-src 'self'``: the websocket and API of this origin only (plus Vapi's hosts when the browser web call is
  configured with a real Vapi public key), so an injected script cannot post what it reads to another host.
- ``frame-ancestors 'none'``, ``object-src 'none'``, ``base-uri 'none'``, ``form-action 'self'``.
A route that sets its own policy (a recording: ``sandbox``) keeps it. HTML from an API or emulator route (no compiled
page) gets the API policy, which runs no script at all.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import os
import re
from collections.abc import Awaitable, Callable, MutableMapping
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from ava_app import routes
from ava_app.settings import get_settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)
# The Vapi web SDK talks to Vapi's API (AVA_VAPI_BASE_URL) and joins a Daily.co WebRTC room.
DAILY_HOSTS = "https://*.daily.co wss://*.daily.co https://*.wss.daily.co wss://*.wss.daily.co"
# FastAPI's Swagger UI page loads its script and styles from a CDN and starts with an inline script.
DOCS_POLICY = (
    "default-src 'none'; script-src https://cdn.jsdelivr.net 'unsafe-inline'; style-src https://cdn.jsdelivr.net "
    "'unsafe-inline'; img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; frame-ancestors 'none'"
)
DOCS_PATHS = (routes.API_DOCS, routes.API_DOCS + "/oauth2-redirect")
API_POLICY = "default-src 'none'; frame-ancestors 'none'"


def base_headers() -> list[tuple[bytes, bytes]]:
    """The headers every response carries, whatever its type."""
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
        (b"permissions-policy", b"camera=(), geolocation=(), payment=(), microphone=(self)"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if get_settings().public_url.startswith("https://"):
        headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return headers


def page_policy(script_hashes: tuple[str, ...]) -> str:
    """The Content-Security-Policy of a compiled page whose inline scripts have ``script_hashes``."""
    settings = get_settings()
    connect = "'self'"
    if settings.vapi_public_key:
        parts = urlsplit(settings.vapi_base_url)
        connect += f" {parts.scheme}://{parts.netloc} {DAILY_HOSTS}"
    hashes = " ".join(f"'sha256-{digest}'" for digest in script_hashes)
    return (
        "default-src 'self'; "
        f"script-src 'self' {hashes} 'unsafe-eval'; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; media-src 'self' blob:; font-src 'self' data:; "
        f"connect-src {connect}; "
        "frame-src 'self'; worker-src 'self' blob:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


@lru_cache(maxsize=256)
def _script_hashes(body_digest: bytes, body: bytes) -> tuple[str, ...]:
    del body_digest  # the cache key; the body itself is hashed once per distinct page
    return tuple(
        base64.b64encode(hashlib.sha256(match.group(1)).digest()).decode() for match in INLINE_SCRIPT.finditer(body)
    )


def script_hashes(body: bytes, encoding: bytes = b"") -> tuple[str, ...]:
    """The sha256 (base64) of each inline script in an HTML body, in order.

    ``encoding``: the response's Content-Encoding. Reflex serves its pages precompressed with gzip (rxconfig pins
    the format), so a gzip body is read through gzip.
    """
    if encoding.strip().lower() == b"gzip":
        body = gzip.decompress(body)
    return _script_hashes(hashlib.sha256(body).digest(), body)


def file_script_hashes(path: str, encoding: bytes = b"") -> tuple[str, ...]:
    """The inline-script hashes of a compiled page file, read again only when the file changes."""
    stat = os.stat(path)
    return _file_script_hashes(path, encoding, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _file_script_hashes(path: str, encoding: bytes, _mtime_ns: int, _size: int) -> tuple[str, ...]:
    with open(path, "rb") as page:
        return script_hashes(page.read(), encoding)


def with_security_headers(app: ASGIApp) -> ASGIApp:
    """Wrap ``app`` so every HTTP response carries AVA's security headers (used as a Reflex api_transformer)."""

    async def wrapped(scope: Scope, receive, send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        path = scope.get("path", "")
        held: Message | None = None
        encoding = b""
        chunks: list[bytes] = []

        async def send_with_headers(message: Message) -> None:
            nonlocal held, encoding
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in base_headers() if name not in names]
                message["headers"] = headers
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                encoding = next((v for n, v in headers if n.lower() == b"content-encoding"), b"")
                if b"content-security-policy" in names or message.get("status") == 304:
                    # A 304 updates the cached response's headers: its page keeps the policy it was served with.
                    await send(message)
                elif path in DOCS_PATHS:
                    headers.append((b"content-security-policy", DOCS_POLICY.encode()))
                    await send(message)
                elif content_type.startswith(b"text/html") and not path.startswith(("/api/", "/sandbox/")):
                    held = message  # a compiled page: the policy names its inline scripts, so wait for the body
                else:
                    headers.append((b"content-security-policy", API_POLICY.encode()))
                    await send(message)
                return
            if held is not None and message["type"] == "http.response.pathsend":
                # The server sends the file itself (granian's pathsend extension): hash the file's scripts.
                policy = page_policy(file_script_hashes(message["path"], encoding))
                held["headers"].append((b"content-security-policy", policy.encode()))
                start, held = held, None
                await send(start)
                await send(message)
                return
            if held is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(chunks)
                policy = page_policy(script_hashes(body, encoding))
                held["headers"].append((b"content-security-policy", policy.encode()))
                start, held = held, None
                await send(start)
                await send({"type": "http.response.body", "body": body, "more_body": False})
                return
            await send(message)

        await app(scope, receive, send_with_headers)

    return wrapped

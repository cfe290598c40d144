"""Security headers on every response: the page policy names exactly the page's inline scripts; nothing else runs."""

from __future__ import annotations

import base64
import gzip
import hashlib

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ava_app.api.security_headers import page_policy, script_hashes, with_security_headers
from ava_app.settings import get_settings

BOOT = b"window.__reactRouterContext = {};"
PAGE = b"<html><head><script>" + BOOT + b'</script><script type="module" src="/assets/a.js"></script></head></html>'


def _sha(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


async def _page(_request):
    return HTMLResponse(PAGE)


async def _streamed_page(_request):
    async def chunks():
        yield PAGE[:20]
        yield PAGE[20:]

    return StreamingResponse(chunks(), media_type="text/html")


async def _json(_request):
    return JSONResponse({"ok": True})


async def _recording(_request):
    return Response(b"RIFF", media_type="audio/wav", headers={"Content-Security-Policy": "sandbox"})


APP = Starlette(
    routes=[
        Route("/login", _page),
        Route("/streamed", _streamed_page),
        Route("/api/v1/x", _json),
        Route("/rec", _recording),
        Route("/api/docs", _page),
        Route("/api/v1/html", _page),
    ]
)


@pytest.fixture()
async def client():
    transport = httpx.ASGITransport(app=with_security_headers(APP))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.mark.parametrize("path", ["/login", "/streamed"])
async def test_a_page_allows_its_own_inline_scripts_by_hash_and_no_other_inline_script(client, path):
    response = await client.get(path)
    assert response.content == PAGE
    policy = response.headers["content-security-policy"]
    script_src = next(part for part in policy.split("; ") if part.startswith("script-src"))
    assert f"'sha256-{_sha(BOOT)}'" in script_src
    assert "'unsafe-inline'" not in script_src
    assert script_src.count("'sha256-") == 1  # the module script with a src is not hashed
    for directive in ("frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'", "connect-src 'self'"):
        assert directive in policy


async def test_a_page_sent_by_path_gets_its_file_hashes(tmp_path):
    """Granian sends static files with the pathsend extension instead of body messages."""
    page = tmp_path / "index.html"
    page.write_bytes(PAGE)
    sent = []

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.pathsend", "path": str(page)})

    async def send(message):
        sent.append(message)

    await with_security_headers(app)({"type": "http", "path": "/login"}, None, send)
    assert [message["type"] for message in sent] == ["http.response.start", "http.response.pathsend"]
    policy = dict(sent[0]["headers"])[b"content-security-policy"].decode()
    assert f"'sha256-{_sha(BOOT)}'" in policy


async def test_every_response_carries_the_base_headers(client):
    for path in ("/login", "/api/v1/x", "/rec"):
        headers = (await client.get(path)).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"
    assert (await client.get("/api/v1/x")).headers["content-security-policy"].startswith("default-src 'none'")


async def test_a_not_modified_answer_leaves_the_cached_pages_policy_alone():
    """A 304 carries no content type; a policy on it would replace the cached page's own (blocking its scripts)."""

    async def not_modified(scope, receive, send):
        await send({"type": "http.response.start", "status": 304, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent = []

    async def send(message):
        sent.append(message)

    await with_security_headers(not_modified)({"type": "http", "path": "/login"}, None, send)
    headers = dict(sent[0]["headers"])
    assert b"content-security-policy" not in headers and headers[b"x-content-type-options"] == b"nosniff"


async def test_html_from_an_api_route_runs_no_script_at_all(client):
    """Only compiled pages get their inline scripts' hashes: HTML an API route returns gets the API policy."""
    policy = (await client.get("/api/v1/html")).headers["content-security-policy"]
    assert policy.startswith("default-src 'none'") and "sha256" not in policy


async def test_a_route_that_sets_its_own_policy_keeps_it(client):
    assert (await client.get("/rec")).headers["content-security-policy"] == "sandbox"


async def test_the_api_docs_page_gets_the_policy_its_cdn_needs(client):
    policy = (await client.get("/api/docs")).headers["content-security-policy"]
    assert "https://cdn.jsdelivr.net" in policy and "frame-ancestors 'none'" in policy


async def test_websockets_pass_through_untouched():
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    await with_security_headers(app)({"type": "websocket", "path": "/_event"}, None, None)
    assert seen == ["websocket"]


def test_a_gzip_page_is_read_through_gzip():
    assert script_hashes(gzip.compress(PAGE), b"gzip") == (_sha(BOOT),)


def test_hashes_are_per_inline_script():
    body = b"<script>a()</script><SCRIPT>b()</SCRIPT><script src='x.js'></script>"
    assert script_hashes(body) == (_sha(b"a()"), _sha(b"b()"))


def test_cors_and_the_websocket_allow_only_avas_own_origin(monkeypatch):
    settings = get_settings()
    monkeypatch.setattr(settings, "public_url", "https://app.ava.example")
    monkeypatch.setattr(settings, "env", "prod")
    assert settings.allowed_origins == ["https://app.ava.example"]
    monkeypatch.setattr(settings, "public_url", "http://localhost:3000")
    monkeypatch.setattr(settings, "env", "dev")
    assert settings.allowed_origins == ["http://localhost:3000", "http://127.0.0.1:3000"]


def test_the_browser_call_may_reach_vapi_only_when_it_is_configured(monkeypatch):
    settings = get_settings()
    monkeypatch.setattr(settings, "vapi_public_key", "")
    assert "connect-src 'self';" in page_policy(())
    monkeypatch.setattr(settings, "vapi_public_key", "pk-live")
    monkeypatch.setattr(settings, "vapi_base_url", "https://api.vapi.ai")
    connect = next(part for part in page_policy(()).split("; ") if part.startswith("connect-src"))
    assert connect.startswith("connect-src 'self' https://api.vapi.ai ") and "wss://*.daily.co" in connect

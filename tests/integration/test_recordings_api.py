"""The recording link through the ASGI app: never a fetch of a tenant's chosen address, never anything but audio."""

from __future__ import annotations

import json

import httpx
import pytest

from ava_app.api.app import create_api
from ava_app.models import Tenant
from ava_app.services import accounts, calls, download_links, recordings
from ava_app.settings import get_settings
from ava_app.state.call_detail import detail_view
from tests.factories import make_call
from tests.recording_samples import HTML_PAGE, wav_bytes
from tests.servers import serve_app

AUDIO = wav_bytes(1.0)
VAPI_URL = "https://storage.vapi.ai/5c2e8b1a-77d4-4f0e-a3b9-0e6d2c4f1a88-mono.wav"


class Provider:
    """A provider's storage without a network, counting what it is asked."""

    def __init__(self, body: bytes, content_type: str = "audio/wav") -> None:
        self.body, self.content_type, self.requests = body, content_type, []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, content=self.body, headers={"content-type": self.content_type})


@pytest.fixture()
def store(engine, monkeypatch, tmp_path):
    monkeypatch.setenv("AVA_RECORDINGS_DIR", str(tmp_path / "store"))
    get_settings.cache_clear()
    yield tmp_path / "store"
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture()
async def client(store):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api()), base_url="http://testserver") as c:
        yield c


def _owner(db, email: str = "owner@example.com"):
    result = accounts.signup(db, name="Owner", email=email, password="a-long-password-42", organisation_name="Clinic")
    principal = accounts.authenticate(db, access_token=result.access_token)
    return principal, db.get(Tenant, result.tenant_id), result.access_token


def _recording_link(principal, call_id: int) -> str:
    token = download_links.issue_link_token(
        principal=principal, kind="recording", resource={"call_id": call_id}, ttl=download_links.RECORDING_TTL
    )
    return f"/api/v1/downloads/recording/{call_id}?token={token}"


def _assert_audio_headers(response: httpx.Response, call_id: int) -> None:
    assert response.headers["content-type"] == "audio/wav"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "sandbox"
    assert response.headers["content-disposition"] == f'inline; filename="call-{call_id}.wav"'


async def test_playback_after_the_copy_never_calls_the_provider(client, db, monkeypatch):
    owner, tenant, _ = _owner(db)
    call = make_call(db, tenant=tenant, recording_url=VAPI_URL)
    provider = Provider(AUDIO)
    monkeypatch.setattr(recordings, "provider_transport", httpx.MockTransport(provider))
    assert recordings.copy_recording(call_id=call.id) == "stored"  # the job after the end-of-call report
    assert len(provider.requests) == 1

    def gone(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"playback called the provider: {request.url}")

    monkeypatch.setattr(recordings, "provider_transport", httpx.MockTransport(gone))
    link = _recording_link(owner, call.id)
    whole = await client.get(link)
    assert whole.status_code == 200 and whole.content == AUDIO
    _assert_audio_headers(whole, call.id)

    part = await client.get(link, headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206 and part.content == AUDIO[100:1100]
    assert part.headers["content-range"] == f"bytes 100-1099/{len(AUDIO)}"
    _assert_audio_headers(part, call.id)


async def test_first_playback_copies_a_recording_the_job_has_not(client, db, monkeypatch):
    owner, tenant, _ = _owner(db)
    call = make_call(db, tenant=tenant, recording_url=VAPI_URL)
    provider = Provider(AUDIO, content_type="text/html")  # the upstream type plays no part
    monkeypatch.setattr(recordings, "provider_transport", httpx.MockTransport(provider))
    link = _recording_link(owner, call.id)

    first = await client.get(link, headers={"Range": "bytes=0-99"})
    assert first.status_code == 206 and first.content == AUDIO[:100]
    _assert_audio_headers(first, call.id)
    again = await client.get(link, headers={"Range": "bytes=200-299"})
    assert again.content == AUDIO[200:300]
    assert len(provider.requests) == 1, "copied once"


async def test_an_html_recording_is_refused_and_nothing_of_it_is_returned(client, db, monkeypatch):
    owner, tenant, _ = _owner(db)
    call = make_call(db, tenant=tenant, recording_url=VAPI_URL)
    monkeypatch.setattr(recordings, "provider_transport", httpx.MockTransport(Provider(HTML_PAGE, "text/html")))

    response = await client.get(_recording_link(owner, call.id))

    assert response.status_code == 404
    assert "html" not in response.headers["content-type"]
    assert b"<script" not in response.content and b"localStorage" not in response.content
    assert response.json()["error"] == "recording_not_found"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "sandbox"


@pytest.mark.parametrize(
    "target",
    ["http://{loopback}/page.html", "https://169.254.169.254/latest/meta-data/iam/security-credentials/"],
)
async def test_a_recording_url_of_the_tenants_choice_is_never_fetched(client, db, target):
    owner, tenant, _ = _owner(db)
    hits: list[str] = []

    async def attacker(scope, receive, send):
        hits.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.body", "body": HTML_PAGE})

    with serve_app(attacker) as base:
        url = target.format(loopback=base.removeprefix("http://"))
        call = make_call(db, tenant=tenant, recording_url=url)
        response = await client.get(_recording_link(owner, call.id))

    assert response.status_code == 404
    assert hits == []
    assert b"<script" not in response.content


async def test_no_output_carries_the_providers_recording_url(client, db):
    owner, tenant, access_token = _owner(db)
    call = make_call(db, tenant=tenant, recording_url=VAPI_URL, summary="Booked a cleaning.")
    auth = {"Authorization": f"Bearer {access_token}"}

    detail = await client.get(f"/api/v1/calls/{call.id}", headers=auth)
    assert detail.status_code == 200
    assert "recording_url" not in detail.json() and detail.json()["has_recording"] is True
    listed = await client.get("/api/v1/calls", headers=auth)
    exported = [
        await client.get("/api/v1/calls/export", params={"format": fmt}, headers=auth) for fmt in ("csv", "json")
    ]
    token = download_links.issue_link_token(
        principal=owner, kind="call", resource={"call_id": call.id}, ttl=download_links.EXPORT_TTL
    )
    as_file = await client.get(f"/api/v1/downloads/call/{call.id}.json", params={"token": token})
    for response in (detail, listed, *exported, as_file):
        assert response.status_code == 200
        assert "storage.vapi.ai" not in response.text

    # The call page's state holds plain strings made from the same output.
    page = detail_view(calls.get_call(db, principal=owner, call_id=call.id), "en")
    assert "storage.vapi.ai" not in json.dumps(page) and page["has_recording"] is True

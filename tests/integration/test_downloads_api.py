"""/api/v1/downloads through the ASGI app: signed links open exactly one thing, for a live session, for a while."""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from datetime import timedelta

import httpx
import pytest

from ava_app.api.app import create_api
from ava_app.models import CallMessage, Tenant
from ava_app.services import accounts, data_exports, download_links, recordings
from ava_app.settings import get_settings
from tests.factories import make_call
from tests.recording_samples import wav_bytes

AUDIO = wav_bytes(0.6)  # 9 644 bytes of WAV
PROVIDER_URL = "https://storage.vapi.ai/0197a3c2-5b1e-7d44-9a21-6c8f0e2d4b13-mono.wav"


async def _chunks(data: bytes):
    for start in range(0, len(data), 4096):
        yield data[start : start + 4096]


async def _provider_storage(request: httpx.Request) -> httpx.Response:
    """A provider's storage that honours single byte ranges, like S3 or GCS, and streams its answer."""
    assert str(request.url) == PROVIDER_URL
    byte_range = request.headers.get("range")
    if not byte_range:
        headers = {"content-type": "audio/wav", "accept-ranges": "bytes"}
        return httpx.Response(200, content=_chunks(AUDIO), headers=headers)
    start, _, end = byte_range.removeprefix("bytes=").partition("-")
    first, last = int(start), int(end) if end else len(AUDIO) - 1
    return httpx.Response(
        206,
        content=_chunks(AUDIO[first : last + 1]),
        headers={"content-type": "audio/wav", "content-range": f"bytes {first}-{last}/{len(AUDIO)}"},
    )


@pytest.fixture()
async def client(engine, monkeypatch):
    monkeypatch.setattr(recordings, "provider_transport", httpx.MockTransport(_provider_storage))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api()), base_url="http://testserver") as c:
        yield c


def _member(db, email: str, organisation: str):
    result = accounts.signup(
        db, name="Owner", email=email, password="a-long-password-42", organisation_name=organisation
    )
    return accounts.authenticate(db, access_token=result.access_token), db.get(Tenant, result.tenant_id)


def _link(principal, kind: str, resource: dict, ttl: timedelta = timedelta(minutes=5)) -> str:
    return download_links.issue_link_token(principal=principal, kind=kind, resource=resource, ttl=ttl)


async def test_recording_is_copied_then_served_by_ava_with_ranges(client, db):
    owner, tenant = _member(db, "a@example.com", "Clinic A")
    call = make_call(db, tenant=tenant, recording_url=PROVIDER_URL)
    token = _link(owner, "recording", {"call_id": call.id})

    whole = await client.get(f"/api/v1/downloads/recording/{call.id}", params={"token": token})
    assert whole.status_code == 200
    assert whole.content == AUDIO
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-type"] == "audio/wav"

    part = await client.get(
        f"/api/v1/downloads/recording/{call.id}", params={"token": token}, headers={"Range": "bytes=1000-1999"}
    )
    assert part.status_code == 206
    assert part.content == AUDIO[1000:2000]
    assert part.headers["content-range"] == f"bytes 1000-1999/{len(AUDIO)}"
    assert PROVIDER_URL not in part.text


async def test_sandbox_recording_is_served_from_the_emulator_files_with_ranges(client, db):
    owner, tenant = _member(db, "s@example.com", "Sandbox clinic")
    settings = get_settings()
    name = f"{uuid.uuid4()}-mono.wav"
    folder = settings.data_dir / "sandbox_vapi_recordings"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(AUDIO)
    call = make_call(db, tenant=tenant, recording_url=f"{settings.public_url}/sandbox/vapi/recording/{name}")
    token = _link(owner, "recording", {"call_id": call.id})

    part = await client.get(
        f"/api/v1/downloads/recording/{call.id}", params={"token": token}, headers={"Range": "bytes=10-19"}
    )
    assert part.status_code == 206
    assert part.content == AUDIO[10:20]


async def test_refused_links(client, db):
    owner, tenant = _member(db, "a@example.com", "Clinic A")
    other, other_tenant = _member(db, "b@example.com", "Clinic B")
    call = make_call(db, tenant=tenant, recording_url=PROVIDER_URL)
    second = make_call(db, tenant=tenant, recording_url=PROVIDER_URL)
    url = f"/api/v1/downloads/recording/{call.id}"

    expired = _link(owner, "recording", {"call_id": call.id}, ttl=timedelta(seconds=-5))
    assert (await client.get(url, params={"token": expired})).status_code == 401

    good = _link(owner, "recording", {"call_id": call.id})
    head, payload, signature = good.split(".")
    tampered = f"{head}.{payload}.{signature[:-2]}{'A' if signature[-2] != 'A' else 'B'}{signature[-1]}"
    assert (await client.get(url, params={"token": tampered})).status_code == 401
    assert (await client.get(url, params={"token": "not-a-token"})).status_code == 401
    assert (await client.get(url)).status_code == 422

    # A link names one call: it does not open another call of the same organisation.
    assert (await client.get(f"/api/v1/downloads/recording/{second.id}", params={"token": good})).status_code == 401
    # A link of one kind does not open another kind.
    call_link = _link(owner, "call", {"call_id": call.id})
    assert (await client.get(url, params={"token": call_link})).status_code == 401

    # Another organisation's member cannot reach this call, even with a link made for its id.
    foreign = _link(other, "recording", {"call_id": call.id})
    refused = await client.get(url, params={"token": foreign})
    assert refused.status_code == 404
    assert other_tenant.id != tenant.id

    # Logging out ends links already handed out.
    accounts.logout(db, principal=owner)
    assert (await client.get(url, params={"token": good})).status_code == 401


async def test_call_json_and_transcript(client, db):
    owner, tenant = _member(db, "a@example.com", "Clinic A")
    call = make_call(db, tenant=tenant, recording_url=PROVIDER_URL, summary="Booked a cleaning.")
    for position, (role, text, seconds) in enumerate((("assistant", "Hello!", 0.0), ("user", "Hi, a cleaning.", 65.5))):
        db.add(
            CallMessage(
                call_id=call.id,
                tenant_id=tenant.id,
                position=position,
                role=role,
                text=text,
                seconds_from_start=seconds,
            )
        )
    db.commit()
    token = _link(owner, "call", {"call_id": call.id})

    as_json = await client.get(f"/api/v1/downloads/call/{call.id}.json", params={"token": token})
    assert as_json.status_code == 200
    body = json.loads(as_json.content)
    assert body["summary"] == "Booked a cleaning." and len(body["messages"]) == 2
    assert "recording_url" not in body and body["has_recording"] is True
    assert PROVIDER_URL not in as_json.text

    as_text = await client.get(f"/api/v1/downloads/call/{call.id}.txt", params={"token": token})
    assert "[0:00] Assistant: Hello!" in as_text.text
    assert "[1:05] Caller: Hi, a cleaning." in as_text.text
    assert "attachment" in as_text.headers["content-disposition"]


async def test_calls_export_keeps_the_signed_filters_and_the_tenant(client, db):
    owner, tenant = _member(db, "a@example.com", "Clinic A")
    _other, other_tenant = _member(db, "b@example.com", "Clinic B")
    for _ in range(3):
        make_call(db, tenant=tenant, outcome="missed")
    make_call(db, tenant=tenant, outcome="answered")
    make_call(db, tenant=other_tenant, outcome="missed")
    token = _link(owner, "calls", {"filters": {"outcome": "missed"}})

    response = await client.get("/api/v1/downloads/calls.csv", params={"token": token})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 3 and {row["outcome"] for row in rows} == {"missed"}

    as_json = await client.get("/api/v1/downloads/calls.json", params={"token": token})
    assert len(json.loads(as_json.content)) == 3


async def test_a_callers_export_built_by_the_job_downloads_through_its_signed_link_only(client, db, jobs):
    owner, tenant = _member(db, "zip-owner@example.com", "Clinic Z")
    recorded = make_call(db, tenant=tenant, caller_number="+16505550111", recording_url=PROVIDER_URL)
    unrecorded = make_call(db, tenant=tenant, caller_number="+16505550111", summary="Asked about parking.")
    make_call(db, tenant=tenant, caller_number="+16505550222", recording_url=PROVIDER_URL, summary="Someone else.")
    # The recording page copies the first call's audio into AVA's store; the other caller's is never copied.
    play = _link(owner, "recording", {"call_id": recorded.id})
    assert (await client.get(f"/api/v1/downloads/recording/{recorded.id}", params={"token": play})).status_code == 200
    export = data_exports.request_export(db, principal=owner, kind="caller", query="(650) 555-0111")
    token = _link(owner, "export", {"export_id": export.id})

    answer = await client.get(f"/api/v1/downloads/export/{export.id}.zip", params={"token": token})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    assert answer.headers["cache-control"] == "no-store" and "caller-data.zip" in answer.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names == ["caller.json", f"recordings/call-{recorded.id}.wav"]
        document = json.loads(archive.read("caller.json"))
        assert archive.read(names[1]) == AUDIO
    assert document["caller"] == "+16505550111"
    assert sorted(call["id"] for call in document["calls"]) == sorted([recorded.id, unrecorded.id])
    assert document["recordings"] == names[1:]
    assert "Someone else." not in json.dumps(document)
    # A link of another kind, one tampered with, or this link on another export's path opens nothing.
    other_kind = _link(owner, "calls", {"filters": {}})
    for wrong in (other_kind, token[:-3] + "xyz"):
        response = await client.get(f"/api/v1/downloads/export/{export.id}.zip", params={"token": wrong})
        assert response.status_code == 401
    other = data_exports.request_export(db, principal=owner, kind="organisation")
    assert (await client.get(f"/api/v1/downloads/export/{other.id}.zip", params={"token": token})).status_code == 401
    # Once expired, the file is gone and a fresh link finds nothing.
    data_exports.expire_exports(now=export.expires_at + timedelta(seconds=1))
    answer = await client.get(f"/api/v1/downloads/export/{export.id}.zip", params={"token": token})
    assert answer.status_code == 404 and answer.json()["error"] == "export_not_ready"

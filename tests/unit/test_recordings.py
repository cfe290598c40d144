"""Recordings: fetched only from the providers' hosts through the outbound guard, kept only when audio, copied once."""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from ava_app.models import Call, CallRecording, utcnow
from ava_app.services import calls, post_call, recordings, retention, trash
from ava_app.services.errors import NotFound
from ava_app.services.outbound_guard import resolve_checked
from ava_app.services.principal import Principal
from ava_app.settings import get_settings
from tests.factories import make_call, make_tenant
from tests.recording_samples import AUDIO_HEADS, NOT_AUDIO, wav_bytes

VAPI_URL = "https://storage.vapi.ai/0197a3c2-5b1e-7d44-9a21-6c8f0e2d4b13-mono.wav"
AUDIO = wav_bytes(0.5)


@pytest.fixture()
def configure(engine, monkeypatch, tmp_path):
    """Set AVA_* variables for one test (the store in a folder of its own); settings are re-read around it."""

    def apply(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"AVA_{name.upper()}", value)
        get_settings.cache_clear()

    apply(recordings_dir=str(tmp_path / "store"))
    yield apply
    monkeypatch.undo()
    get_settings.cache_clear()


class Provider:
    """A provider's storage without a network: answers every GET with ``body`` and counts the requests."""

    def __init__(self, body: bytes, *, status: int = 200, content_type: str = "audio/wav") -> None:
        self.body, self.status, self.content_type = body, status, content_type
        self.requests: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        return httpx.Response(self.status, content=self.body, headers={"content-type": self.content_type})


@pytest.fixture()
def provider(monkeypatch):
    def install(body: bytes = AUDIO, **options) -> Provider:
        storage = Provider(body, **options)
        monkeypatch.setattr(recordings, "provider_transport", httpx.MockTransport(storage))
        return storage

    return install


def _row(db, call_id: int) -> CallRecording | None:
    db.expire_all()
    return db.execute(select(CallRecording).where(CallRecording.call_id == call_id)).scalar_one_or_none()


def _stored_files() -> list:
    root = get_settings().recordings_dir
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


# --- what counts as audio ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", sorted(AUDIO_HEADS))
def test_audio_is_recognised_by_its_magic_numbers(content_type):
    assert recordings.audio_kind(AUDIO_HEADS[content_type])[0] == content_type


@pytest.mark.parametrize("kind", sorted(NOT_AUDIO))
def test_anything_else_is_not_audio(kind):
    assert recordings.audio_kind(NOT_AUDIO[kind]) is None


def test_an_empty_body_is_not_audio():
    assert recordings.audio_kind(b"") is None


# --- SSRF: where a recording may come from ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hosts", "url", "code"),
    [
        # Loopback by literal address and by name, cloud metadata (link-local): allowed names do not help.
        ("127.0.0.1", "https://127.0.0.1/recording.wav", "outbound_private"),
        ("localhost", "https://localhost/recording.wav", "outbound_private"),
        ("169.254.169.254", "https://169.254.169.254/latest/meta-data/", "outbound_private"),
        ("storage.vapi.ai", "https://169.254.169.254/latest/meta-data/", "outbound_host"),
        ("storage.vapi.ai,api.twilio.com", "https://attacker.example/page.html", "outbound_host"),
        ("storage.vapi.ai", "http://storage.vapi.ai/recording.wav", "outbound_scheme"),
        ("storage.vapi.ai", "https://storage.vapi.ai:8443/recording.wav", "outbound_port"),
        ("storage.vapi.ai", "http://127.0.0.1:3000/sandbox/vapi/recording/x-mono.wav", "outbound_scheme"),
    ],
)
async def test_recordings_are_fetched_only_from_allowed_public_hosts(configure, db, hosts, url, code):
    configure(recording_hosts=hosts)
    call = make_call(db, tenant=make_tenant(db), recording_url=url)

    with pytest.raises(NotFound):
        await recordings.ensure_stored(tenant_id=call.tenant_id, call_id=call.id)

    row = _row(db, call.id)
    assert (row.status, row.error, row.storage_key) == ("refused", code, None)
    assert _stored_files() == []


async def test_a_dns_answer_that_changes_to_loopback_is_refused_when_connecting(configure, db, monkeypatch):
    """The allowed name resolves to a public address when first checked, then to loopback: the connection is refused."""
    configure(recording_hosts="storage.vapi.ai")
    call = make_call(db, tenant=make_tenant(db), recording_url=VAPI_URL)
    answers = iter(["93.184.216.34", "127.0.0.1"])
    asked: list[str] = []

    async def changing(host, port, **kwargs):
        address = next(answers)
        asked.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", changing)
    assert await resolve_checked("storage.vapi.ai", 443, recordings.recording_policy()) == ["93.184.216.34"]

    with pytest.raises(NotFound):
        await recordings.ensure_stored(tenant_id=call.tenant_id, call_id=call.id)

    assert asked == ["93.184.216.34", "127.0.0.1"], "resolved again when the connection opened"
    assert _row(db, call.id).error == "outbound_private"
    assert _stored_files() == []


async def test_a_redirect_off_the_allowed_hosts_is_refused(configure, db, monkeypatch):
    configure(recording_hosts="storage.vapi.ai")
    call = make_call(db, tenant=make_tenant(db), recording_url=VAPI_URL)
    followed: list[str] = []

    def redirecting(request: httpx.Request) -> httpx.Response:
        followed.append(str(request.url))
        return httpx.Response(302, headers={"location": "https://127.0.0.1/steal"})

    monkeypatch.setattr(recordings, "provider_transport", httpx.MockTransport(redirecting))
    with pytest.raises(NotFound):
        await recordings.ensure_stored(tenant_id=call.tenant_id, call_id=call.id)
    assert followed == [VAPI_URL]
    assert _row(db, call.id).error == "outbound_host"


async def test_no_allowed_host_means_no_fetch(configure, db, provider):
    configure(recording_hosts="")
    storage = provider()
    call = make_call(db, tenant=make_tenant(db), recording_url=VAPI_URL)
    with pytest.raises(NotFound):
        await recordings.ensure_stored(tenant_id=call.tenant_id, call_id=call.id)
    assert storage.requests == []


def test_recording_hosts_setting_takes_host_names_only(configure):
    configure(recording_hosts="storage.vapi.ai, .recordings.example")
    assert get_settings().recording_hosts == ["storage.vapi.ai", ".recordings.example"]
    configure(recording_hosts="http://127.0.0.1:8000/")
    get_settings.cache_clear()
    with pytest.raises(Exception, match="AVA_RECORDING_HOSTS"):
        get_settings()


# --- what a recording may hold ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["html", "svg", "javascript"])
async def test_a_body_that_is_not_audio_is_refused_logged_and_not_kept(configure, db, provider, caplog, kind):
    storage = provider(NOT_AUDIO[kind], content_type="audio/wav")  # the upstream type is not believed
    call = make_call(db, tenant=make_tenant(db), recording_url=VAPI_URL)

    with caplog.at_level(logging.WARNING, logger="ava_app.services.recordings"), pytest.raises(NotFound):
        await recordings.ensure_stored(tenant_id=call.tenant_id, call_id=call.id)

    assert (_row(db, call.id).status, _row(db, call.id).error) == ("refused", "recording_not_audio")
    owner = Principal(user_id=1, tenant_id=call.tenant_id, role="admin")
    assert calls.get_call(db, principal=owner, call_id=call.id).has_recording is False, "no player for it"
    assert any("not audio" in record.getMessage() for record in caplog.records)
    assert _stored_files() == []
    # Refused once, never fetched again.
    with pytest.raises(NotFound):
        await recordings.ensure_stored(tenant_id=call.tenant_id, call_id=call.id)
    assert len(storage.requests) == 1


async def test_a_failing_provider_is_retried_a_few_times_then_given_up(configure, db, provider):
    storage = provider(b"busy", status=503)
    call = make_call(db, tenant=make_tenant(db), recording_url=VAPI_URL)
    for attempt in range(1, recordings.MAX_ATTEMPTS + 1):
        with pytest.raises(recordings.RecordingUnavailable):
            await recordings.ensure_stored(tenant_id=call.tenant_id, call_id=call.id)
        assert (_row(db, call.id).status, _row(db, call.id).attempts) == ("failed", attempt)
    with pytest.raises(NotFound):
        await recordings.ensure_stored(tenant_id=call.tenant_id, call_id=call.id)
    assert len(storage.requests) == recordings.MAX_ATTEMPTS


# --- the copy ---------------------------------------------------------------------------------------------------


def test_the_post_call_job_copies_the_recording_once(configure, db, provider, jobs):
    storage = provider()
    call = make_call(db, tenant=make_tenant(db), recording_url=VAPI_URL)

    post_call.run_post_call(call.id)
    recordings.copy_call_recording(call.id)  # a second run (a retry, the sweep) changes nothing

    row = _row(db, call.id)
    assert (row.status, row.content_type, row.size_bytes) == ("stored", "audio/wav", len(AUDIO))
    assert recordings.recording_store().path(row.storage_key).read_bytes() == AUDIO
    assert storage.requests == [VAPI_URL]


def test_a_call_without_recording_has_nothing_to_copy(configure, db, provider):
    storage = provider()
    call = make_call(db, tenant=make_tenant(db))
    assert recordings.copy_recording(call_id=call.id) == "none"
    assert storage.requests == [] and _row(db, call.id) is None


def test_calls_with_the_same_audio_share_one_file_until_the_last_is_purged(configure, db, provider):
    provider()
    tenant = make_tenant(db)
    first, second = (
        make_call(db, tenant=tenant, recording_url=VAPI_URL, provider_call_id=f"test-{uuid.uuid4()}") for _ in range(2)
    )
    for call in (first, second):
        assert recordings.copy_recording(call_id=call.id) == "stored"
    assert _row(db, first.id).storage_key == _row(db, second.id).storage_key
    assert len(_stored_files()) == 1

    writer = Principal(user_id=1, tenant_id=tenant.id, role="admin")
    trash.move_to_trash(db, principal=writer, call_ids=[first.id])
    assert len(_stored_files()) == 1, "still the second call's recording"
    trash.move_to_trash(db, principal=writer, call_ids=[second.id])
    assert len(_stored_files()) == 1, "both calls can still be restored"
    # Their grace is over (browser test calls: no call at Vapi to delete).
    retention.purge_due(db, now=utcnow() + timedelta(days=8))
    assert _stored_files() == []


def test_the_store_takes_storage_keys_only(tmp_path):
    store = recordings.RecordingStore(tmp_path)
    for key in ("../secret_key", "1/../../x.wav", "/etc/passwd", "1/" + "a" * 64 + ".html"):
        with pytest.raises(ValueError):
            store.path(key)


# --- the Vapi emulator's recordings (development) -----------------------------------------------------------------


def _sandbox_call(db) -> Call:
    settings = get_settings()
    name = f"{uuid.uuid4()}-mono.wav"
    folder = settings.data_dir / "sandbox_vapi_recordings"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(AUDIO)
    return make_call(db, tenant=make_tenant(db), recording_url=f"{settings.public_url}/sandbox/vapi/recording/{name}")


def test_sandbox_recordings_are_read_from_the_emulator_folder_in_development(configure, db, provider):
    storage = provider()
    configure(env="dev", vapi_api_key="")
    call = _sandbox_call(db)
    assert recordings.copy_recording(call_id=call.id) == "stored"
    assert storage.requests == []
    assert recordings.recording_store().path(_row(db, call.id).storage_key).read_bytes() == AUDIO


def test_sandbox_urls_are_refused_outside_development(configure, db, provider):
    provider()
    configure(env="dev", vapi_api_key="")
    call = _sandbox_call(db)
    configure(env="prod", secret_key="s" * 40, allow_sandbox="true")
    assert recordings.sandbox_recording_file(call.recording_url) is None
    assert recordings.copy_recording(call_id=call.id) == "refused"
    assert _row(db, call.id).error == "outbound_scheme"


async def test_a_job_and_a_playback_copying_at_once_leave_one_row_and_one_file(configure, db, provider):
    provider()
    call = make_call(db, tenant=make_tenant(db), recording_url=VAPI_URL)
    results = await asyncio.gather(
        *(recordings.ensure_stored(tenant_id=call.tenant_id, call_id=call.id) for _ in range(3))
    )
    assert len({result.storage_key for result in results}) == 1
    assert _row(db, call.id).status == "stored"
    assert len(_stored_files()) == 1

"""Call recordings: copied once from the voice provider into AVA's own store, then served from there as audio only.

A call's ``recording_url`` comes from a provider payload, which a tenant can shape (a Vapi webhook sent with its own
secret, a Twilio callback signed with its own token), so nothing about it is trusted:

- It is fetched only from ``AVA_RECORDING_HOSTS`` (Vapi's storage, Twilio's API), over https on port 443, through the
  outbound guard: every address is checked when the connection opens (no loopback, private or link-local address,
  a DNS answer that changes included), and so is every redirect. With ``AVA_ENV=dev`` and the Vapi emulator, a URL
  under AVA's own ``/sandbox/vapi`` mount is read from the emulator's recordings folder instead (no network at all).
- The body must be audio by its first bytes (WAV, MP3, OGG, WebM, M4A, recognised by ``filetype``); anything else is
  refused, logged, and nothing of it is kept. A refused source is never fetched again.
- It is copied once: by the job queued after the end-of-call report, or by the first playback if that comes first.
  The store is content-addressed per tenant (``<tenant>/<sha256>.<ext>``), so calls with the same audio share a file.
  Playback reads the store only, whatever happens to the provider afterwards.

A voicemail Twilio recorded (``<Record>`` on a line Twilio answers) stays at Twilio too, under the SID its
``RecordingUrl`` names; ``deleted_at_twilio`` deletes it there when AVA deletes the call's recording for good.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

import filetype
import httpx
from sqlalchemy import Text, cast, delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from ava_app import routes
from ava_app.db import session_scope
from ava_app.models import Call, CallRecording, DeletedCall, PhoneNumber, utcnow
from ava_app.services import credentials
from ava_app.services.async_bridge import run_coroutine_sync
from ava_app.services.errors import DomainError, NotFound, ProviderError, ProviderUnavailable
from ava_app.services.outbound_guard import OutboundPolicy, OutboundRefused, check_url, guarded_transport
from ava_app.services.providers import twilio
from ava_app.settings import get_settings
from ava_app.task_queue import task

log = logging.getLogger(__name__)

MAX_BYTES = 200 * 1024 * 1024  # a two-hour WAV call at 16 kHz is about 230 MB; Vapi and Twilio send less
MAX_ATTEMPTS = 5  # fetches that failed (provider unreachable, 5xx) before the copy is given up
SNIFF_BYTES = 8192
# What filetype recognises -> the type AVA serves and the stored file's extension. WebM and MP4 containers are sniffed
# as video by their magic numbers; a recording in one is served as audio.
AUDIO_KINDS = {
    "audio/x-wav": ("audio/wav", "wav"),
    "audio/mpeg": ("audio/mpeg", "mp3"),
    "audio/ogg": ("audio/ogg", "ogg"),
    "video/webm": ("audio/webm", "webm"),
    "audio/mp4": ("audio/mp4", "m4a"),
    "video/mp4": ("audio/mp4", "m4a"),
}
STORAGE_KEY = re.compile(r"^[0-9]+/[0-9a-f]{64}\.(wav|mp3|ogg|webm|m4a)$")
SANDBOX_FILE = re.compile(r"^/recording/([0-9a-f-]{36}-mono\.wav)$")
# A recording Twilio keeps: its callback's RecordingUrl (the media, with or without an extension).
TWILIO_RECORDING = re.compile(
    r"^https://api\.twilio\.com/2010-04-01/Accounts/(AC[0-9a-f]{32})/Recordings/(RE[0-9a-f]{32})(?:\.\w{3,4})?$"
)
# Tests put a transport standing for a provider's storage here (no network); URLs are still checked against the policy.
provider_transport: httpx.AsyncBaseTransport | None = None


class RecordingRefused(DomainError):
    """This recording's source is not allowed, or what it holds is not audio: it is not fetched again."""

    status_code = 404
    code = "recording_refused"


class RecordingUnavailable(ProviderUnavailable):
    """The provider's storage could not be reached or did not answer with the recording; try again later."""

    code = "recording_unavailable"


@dataclass(frozen=True)
class StoredRecording:
    """A recording in AVA's store: where it is and what it is."""

    call_id: int
    storage_key: str
    content_type: str
    size_bytes: int

    @property
    def extension(self) -> str:
        return self.storage_key.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class _Fetched:
    temp: Path
    sha256: str
    content_type: str
    extension: str
    size_bytes: int


class RecordingStore:
    """AVA's recording files in a folder (``AVA_RECORDINGS_DIR``, ``<data dir>/recordings`` by default)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        """The file of ``key``; ``ValueError`` for anything that is not a storage key (no way out of the folder)."""
        if not STORAGE_KEY.match(key):
            raise ValueError(f"not a recording storage key: {key!r}")
        return self.root / key

    def has(self, key: str) -> bool:
        return self.path(key).is_file()

    def incoming(self) -> Path:
        """A fresh temporary file name inside the store (same file system, so keeping it is a rename)."""
        folder = self.root / ".incoming"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / secrets.token_hex(16)

    def keep(self, temp: Path, key: str) -> None:
        """Move a fetched file to ``key``; a file already there has the same content (same hash) and stays."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp, target)

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)


def recording_store() -> RecordingStore:
    """The configured store."""
    settings = get_settings()
    return RecordingStore(settings.recordings_dir or settings.data_dir / "recordings")


def recording_policy() -> OutboundPolicy:
    """Where recordings may be fetched from: the configured hosts, https on 443, public addresses only."""
    return OutboundPolicy(
        name="recordings",
        schemes=frozenset({"https"}),
        ports=frozenset({443}),
        hosts=tuple(get_settings().recording_hosts),
    )


def audio_kind(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) when ``head``, a file's first bytes, is audio AVA serves; None otherwise."""
    kind = filetype.guess(head[:SNIFF_BYTES]) if head else None
    return AUDIO_KINDS.get(kind.mime) if kind is not None else None


def sandbox_recording_file(url: str) -> Path | None:
    """The Vapi emulator's own file behind ``url`` (development with the emulator only), else None."""
    settings = get_settings()
    base = settings.public_url + routes.SANDBOX_VAPI
    if settings.env != "dev" or not settings.vapi_sandbox or not url.startswith(base + "/"):
        return None
    match = SANDBOX_FILE.match(urlsplit(url).path[len(urlsplit(base).path) :])
    if not match:
        return None
    path = settings.data_dir / "sandbox_vapi_recordings" / match.group(1)
    return path if path.is_file() else None


# --- fetching ---------------------------------------------------------------------------------------------------


class _Sink:
    """Receives a body chunk by chunk: sniffs its first bytes, refuses what is not audio, hashes and writes the rest."""

    def __init__(self, store: RecordingStore, *, call_id: int, source: str) -> None:
        self.store, self.call_id, self.source = store, call_id, source
        self.temp = store.incoming()
        self.file: BinaryIO | None = None
        self.head = b""
        self.kind: tuple[str, str] | None = None
        self.digest = hashlib.sha256()
        self.size = 0

    async def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > MAX_BYTES:
            raise RecordingRefused("This recording is too large.", code="recording_too_large")
        if self.kind is None:
            self.head += chunk
            if len(self.head) < SNIFF_BYTES:
                return
            await self._open()
            chunk, self.head = self.head, b""
        self.digest.update(chunk)
        assert self.file is not None, "opened once the head was sniffed"
        await asyncio.to_thread(self.file.write, chunk)

    async def _open(self) -> None:
        self.kind = audio_kind(self.head)
        if self.kind is None:
            guess = filetype.guess(self.head[:SNIFF_BYTES])
            log.warning(
                "call %s: recording from %s refused, its body is not audio (%s)",
                self.call_id,
                self.source,
                guess.mime if guess else "unknown type",
            )
            raise RecordingRefused("This recording is not audio.", code="recording_not_audio")
        self.file = await asyncio.to_thread(self.temp.open, mode="wb")

    async def finish(self) -> _Fetched:
        if self.kind is None:
            if not self.head:
                raise RecordingUnavailable("The recording is empty.", code="recording_empty")
            await self._open()
            assert self.file is not None, "_open opened it or raised"
            self.digest.update(self.head)
            await asyncio.to_thread(self.file.write, self.head)
        assert self.file is not None and self.kind is not None, "_open set both or raised"
        await asyncio.to_thread(self.file.close)
        content_type, extension = self.kind
        return _Fetched(self.temp, self.digest.hexdigest(), content_type, extension, self.size)

    async def discard(self) -> None:
        if self.file is not None:
            await asyncio.to_thread(self.file.close)
        self.temp.unlink(missing_ok=True)


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or "?"
    except ValueError:
        return "?"


async def _fetch(url: str, *, call_id: int, store: RecordingStore) -> _Fetched:
    """The recording at ``url`` in a temporary file of the store, if its source is allowed and it is audio.

    Raises RecordingRefused (source or body refused: final) or RecordingUnavailable (try again later).
    """
    sink = _Sink(store, call_id=call_id, source=_host(url))
    try:
        local = sandbox_recording_file(url)
        if local is not None:
            with local.open("rb") as source:  # the emulator's folder, in development only
                while chunk := await asyncio.to_thread(source.read, 1 << 16):
                    await sink.write(chunk)
            return await sink.finish()
        await _download(url, sink)
        return await sink.finish()
    except BaseException:
        await sink.discard()
        raise


async def _download(url: str, sink: _Sink) -> None:
    policy = recording_policy()
    if not policy.hosts:
        raise OutboundRefused("No recording host is allowed.", code="outbound_host")
    check_url(url, policy)

    async def check_hop(request: httpx.Request) -> None:
        check_url(str(request.url), policy)  # each redirect too (the guarded transport checks it again)

    client = httpx.AsyncClient(
        transport=provider_transport or guarded_transport(policy),
        timeout=httpx.Timeout(15.0, read=60.0),
        follow_redirects=True,
        max_redirects=3,
        event_hooks={"request": [check_hop]},
    )
    try:
        async with client, client.stream("GET", url) as response:
            if response.status_code != 200:
                raise RecordingUnavailable(
                    f"The provider answered {response.status_code} for this recording.", code="recording_unavailable"
                )
            async for chunk in response.aiter_bytes():
                await sink.write(chunk)
    except httpx.HTTPError as exc:
        raise RecordingUnavailable(f"The recording could not be fetched ({type(exc).__name__}).") from None


def stored_copies(session: Session, *, tenant_id: int, call_ids: Iterable[int]) -> list[StoredRecording]:
    """The recordings of these calls already in AVA's store (an export takes what AVA holds, fetching nothing)."""
    ids = list(call_ids)
    if not ids:
        return []
    rows = session.execute(
        select(CallRecording).where(
            col(CallRecording.tenant_id) == tenant_id,
            col(CallRecording.call_id).in_(ids),
            col(CallRecording.status) == "stored",
        )
    ).scalars()
    store = recording_store()
    return [
        StoredRecording(row.call_id, row.storage_key, row.content_type or "audio/wav", row.size_bytes or 0)
        for row in rows
        if row.storage_key and store.has(row.storage_key)
    ]


# --- the copy, its record ---------------------------------------------------------------------------------------


def _plan(*, tenant_id: int, call_id: int) -> StoredRecording | str:
    """What to do for this call: its stored copy, or the URL to copy from. NotFound when there is nothing to do."""
    with session_scope() as session:
        row = session.execute(
            select(CallRecording).where(
                col(CallRecording.call_id) == call_id, col(CallRecording.tenant_id) == tenant_id
            )
        ).scalar_one_or_none()
        if row is not None and row.status == "stored" and row.storage_key and recording_store().has(row.storage_key):
            return StoredRecording(call_id, row.storage_key, row.content_type or "audio/wav", row.size_bytes or 0)
        if row is not None and (row.status == "refused" or row.attempts >= MAX_ATTEMPTS):
            raise NotFound("This call's recording is not available.", code="recording_not_found")
        url = session.execute(
            select(col(Call.recording_url)).where(col(Call.id) == call_id, col(Call.tenant_id) == tenant_id)
        ).scalar_one_or_none()
    if not url:
        raise NotFound("This call has no recording.", code="recording_not_found")
    return url


def _record(
    *, tenant_id: int, call_id: int, status: str, error: str | None = None, fetched: _Fetched | None = None
) -> None:
    """Write the outcome of one copy attempt (one row per call, whoever wins a race between job and playback)."""
    values: dict = {"status": status, "error": error[:300] if error else None, "updated_at": utcnow()}
    if fetched is not None:
        values.update(
            storage_key=f"{tenant_id}/{fetched.sha256}.{fetched.extension}",
            content_type=fetched.content_type,
            size_bytes=fetched.size_bytes,
        )
    for _attempt in range(2):
        with session_scope() as session:
            row = session.execute(
                select(CallRecording).where(
                    col(CallRecording.call_id) == call_id, col(CallRecording.tenant_id) == tenant_id
                )
            ).scalar_one_or_none()
            if row is None:
                row = CallRecording(tenant_id=tenant_id, call_id=call_id, status=status)
                session.add(row)
            elif row.status == "stored" and status != "stored":
                return  # a concurrent copy already succeeded
            for name, value in values.items():
                setattr(row, name, value)
            if status == "failed":
                row.attempts += 1
            try:
                session.flush()
            except IntegrityError:
                session.rollback()  # the other side inserted the row first: update it
                continue
            return


async def ensure_stored(*, tenant_id: int, call_id: int) -> StoredRecording:
    """The call's recording in AVA's store, copied from its source now if that was not done yet.

    Raises NotFound (no recording, or refused or given up), RecordingUnavailable (the source failed; try later).
    """
    plan = await asyncio.to_thread(_plan, tenant_id=tenant_id, call_id=call_id)
    if isinstance(plan, StoredRecording):
        return plan
    store = recording_store()
    try:
        fetched = await _fetch(plan, call_id=call_id, store=store)
    except (RecordingRefused, OutboundRefused) as exc:
        log.warning("call %s: recording source %s refused (%s)", call_id, _host(plan), exc.code)
        await asyncio.to_thread(_record, tenant_id=tenant_id, call_id=call_id, status="refused", error=exc.code)
        raise NotFound("This call's recording is not available.", code="recording_not_found") from None
    except RecordingUnavailable as exc:
        await asyncio.to_thread(_record, tenant_id=tenant_id, call_id=call_id, status="failed", error=exc.message)
        raise
    key = f"{tenant_id}/{fetched.sha256}.{fetched.extension}"
    await asyncio.to_thread(store.keep, fetched.temp, key)
    await asyncio.to_thread(_record, tenant_id=tenant_id, call_id=call_id, status="stored", fetched=fetched)
    return StoredRecording(call_id, key, fetched.content_type, fetched.size_bytes)


def copy_recording(*, call_id: int) -> str:
    """The copy job's work: store an ended call's recording once; returns what happened (stored, none, refused).

    Raises RecordingUnavailable while the source fails, so the job queue retries (at most MAX_ATTEMPTS fetches).
    """
    with session_scope() as session:
        tenant_id = session.execute(
            select(col(Call.tenant_id)).where(col(Call.id) == call_id, col(Call.recording_url).is_not(None))
        ).scalar_one_or_none()
    if tenant_id is None:
        return "none"
    try:
        run_coroutine_sync(ensure_stored(tenant_id=tenant_id, call_id=call_id))
    except NotFound:
        return "refused"
    return "stored"


def copy_is_due(session: Session, *, call_id: int) -> bool:
    """Whether a call has a recording that AVA has neither stored nor refused yet (the copy job has work to do)."""
    url = session.execute(select(col(Call.recording_url)).where(col(Call.id) == call_id)).scalar_one_or_none()
    if not url:
        return False
    status = session.execute(
        select(col(CallRecording.status)).where(col(CallRecording.call_id) == call_id)
    ).scalar_one_or_none()
    return status in (None, "failed")


def is_playable(session: Session, *, tenant_id: int, call_id: int, recording_url: str | None) -> bool:
    """Whether a call's recording can be played: it has one, and AVA has not refused it or given up on it."""
    if not recording_url:
        return False
    row = session.execute(
        select(col(CallRecording.status), col(CallRecording.attempts)).where(
            col(CallRecording.call_id) == call_id, col(CallRecording.tenant_id) == tenant_id
        )
    ).first()
    return row is None or row.status == "stored" or (row.status == "failed" and row.attempts < MAX_ATTEMPTS)


# --- deleting ---------------------------------------------------------------------------------------------------


def detach_recordings(session: Session, *, tenant_id: int, call_ids: Iterable[int]) -> list[str]:
    """Delete the recording rows of these calls of the tenant (not committed); returns their storage keys."""
    ids = list(call_ids)
    keys = session.execute(
        select(col(CallRecording.storage_key)).where(
            col(CallRecording.tenant_id) == tenant_id,
            col(CallRecording.call_id).in_(ids),
            col(CallRecording.storage_key).is_not(None),
        )
    ).scalars()
    found = sorted(set(keys))
    session.execute(
        delete(CallRecording).where(col(CallRecording.tenant_id) == tenant_id, col(CallRecording.call_id).in_(ids))
    )
    return found


def delete_unreferenced(session: Session, *, keys: Iterable[str]) -> int:
    """Remove stored files that no call refers to any more (after ``detach_recordings`` was committed).

    A call in the trash (``DeletedCall``) still refers to its file: a restore brings the recording back with it.
    """
    keys = list(keys)
    if not keys:
        return 0
    still_used = set(
        session.execute(
            select(col(CallRecording.storage_key)).where(col(CallRecording.storage_key).in_(keys))
        ).scalars()
    )
    still_used |= _kept_in_trash(session, keys=[key for key in keys if key not in still_used])
    store = recording_store()
    removed = 0
    for key in keys:
        if key not in still_used:
            store.delete(key)
            removed += 1
    return removed


def _kept_in_trash(session: Session, *, keys: list[str]) -> set[str]:
    """The keys a deleted call's snapshot still names (its text searched: keys are long, unique hashes), among the
    deleted calls of the keys' own tenants (a key starts with its tenant's id)."""
    found: set[str] = set()
    for start in range(0, len(keys), 100):
        chunk = keys[start : start + 100]
        tenants = sorted({int(key.split("/", 1)[0]) for key in chunk})
        text = cast(col(DeletedCall.snapshot), Text)
        snapshots = session.execute(
            select(text).where(
                col(DeletedCall.tenant_id).in_(tenants), or_(*[text.contains(key, autoescape=True) for key in chunk])
            )
        ).scalars()
        for snapshot in snapshots:
            found |= {key for key in chunk if key in (snapshot or "")}
    return found


def twilio_recording(url: str | None) -> tuple[str, str] | None:
    """(account SID, recording SID) of a recording Twilio keeps, from its URL; None for any other URL."""
    match = TWILIO_RECORDING.match(url or "")
    return (match.group(1), match.group(2)) if match else None


def deleted_at_twilio(session: Session, *, tenant_id: int, phone_number_id: int | None, url: str | None) -> bool:
    """Whether the recording at ``url``, if Twilio keeps it, is gone there (deleted now, or unknown to Twilio).

    False when Twilio could not be reached or refused (the caller tries again later). The URL came in a callback, so
    it is acted on only in the Twilio account of the call's own number, with the credentials AVA holds for it: a
    recording in any other account is not this call's to delete (logged, and counted as done).
    """
    found = twilio_recording(url)
    if found is None:
        return True
    account_sid, recording_sid = found
    pair = _twilio_pair(session, tenant_id=tenant_id, phone_number_id=phone_number_id, account_sid=account_sid)
    session.rollback()
    if pair is None:
        log.warning("recording %s is not in the Twilio account of its call's number; left at Twilio", recording_sid)
        return True
    try:
        run_coroutine_sync(
            twilio.delete_recording(recording_sid=recording_sid, account_sid=pair[0], auth_token=pair[1])
        )
    except NotFound:
        return True
    except ProviderError as exc:
        log.warning("Twilio recording %s not deleted yet: %s", recording_sid, exc.message)
        return False
    return True


def _twilio_pair(
    session: Session, *, tenant_id: int, phone_number_id: int | None, account_sid: str
) -> tuple[str, str] | None:
    """The credentials of ``account_sid`` when it is the account of the tenant's number: the platform's, or the
    tenant's own; None otherwise."""
    number_account = session.execute(
        select(col(PhoneNumber.twilio_account_sid)).where(
            col(PhoneNumber.id) == phone_number_id, col(PhoneNumber.tenant_id) == tenant_id
        )
    ).first()
    if number_account is None:
        return None
    platform_sid, platform_token = twilio.resolve_credentials()
    if number_account[0] in (None, platform_sid):
        return (platform_sid, platform_token) if account_sid == platform_sid else None
    own = credentials.get_credential(session, tenant_id=tenant_id, provider="twilio")
    if own and own.get("account_sid") == account_sid == number_account[0]:
        return own["account_sid"], own["auth_token"]
    return None


# --- jobs -------------------------------------------------------------------------------------------------------


# Copying a recording into AVA's own store: the provider's storage may be slow to have it (30 s doubling, about
# 15 minutes in all); the service caps the fetches it counts (MAX_ATTEMPTS). First playback copies too.
@task(retries=5, retry_delay=30, retry_backoff=2)
def copy_call_recording(call_id: int) -> None:
    """Copy an ended call's recording from the provider into AVA's store, once (idempotent)."""
    copy_recording(call_id=call_id)


def enqueue_recording_copy(call_id: int) -> None:
    """After the end-of-call report: queue the recording copy beside the summary (its failure never stops them)."""
    try:
        with session_scope() as session:
            due = copy_is_due(session, call_id=call_id)
        if due:
            copy_call_recording(call_id)
    except Exception:
        log.exception("could not enqueue the recording copy of call %s; the first playback will copy it", call_id)

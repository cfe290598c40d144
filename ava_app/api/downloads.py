"""/api/v1/downloads: what the browser fetches through a short-lived signed link instead of its bearer token.

- ``GET /downloads/recording/{call_id}?token=``: a call's recording, from AVA's own copy (``services.recordings``),
  served as audio only, with ``Range`` so the audio player can seek; the provider's URL never reaches the page.
- ``GET /downloads/call/{call_id}.json|.txt?token=``: one call with its conversation, or its transcript as text.
- ``GET /downloads/calls.csv|.json?token=``: the calls matching the filters signed into the link, streamed.
- ``GET /downloads/caller.json?token=``: everything about one caller (admins), for their data-access request;
  ``caller.zip`` is the same document with the recordings AVA holds of their calls, streamed.

Links come from ``services.download_links`` (issued by the signed-in pages); the caller's permission is checked
again when the link is used, and every call is looked up inside the link's tenant only.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from sqlmodel import Session

from ava_app import routes
from ava_app.api.deps import RowId
from ava_app.db import get_engine
from ava_app.services import caller_data, calls, download_links, recordings
from ava_app.services.calls import CallDetail, CallFilters
from ava_app.services.errors import DomainError, NotFound, Unauthorized

router = APIRouter(prefix=routes.DOWNLOADS, tags=["downloads"])
TOKEN = Query(max_length=4000, description="A signed link token from the AVA web app.")


def _grant_and_call(token: str, kind: str, call_id: int) -> tuple[int, CallDetail]:
    """The link's tenant and the call it opens, both checked again now."""
    with Session(get_engine(), expire_on_commit=False) as session:
        grant = download_links.redeem_link_token(session, token=token, kind=kind)
        if grant.resource.get("call_id") != call_id:
            raise Unauthorized("This link has expired or is not valid.", code="link_invalid")
        call = calls.get_call(session, principal=grant.principal, call_id=call_id)
        return grant.principal.require_member(), call


# Nothing this route answers may become a document of AVA's origin: not sniffed, and sandboxed if it were shown.
NOT_A_DOCUMENT = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"}


def audio_headers(stored: recordings.StoredRecording) -> dict[str, str]:
    """A recording's headers: audio to play inline under a plain name, private to the browser's cache."""
    return {
        **NOT_A_DOCUMENT,
        "Content-Disposition": f'inline; filename="call-{stored.call_id}.{stored.extension}"',
        "Cache-Control": "private, max-age=300",
    }


@router.get("/recording/{call_id}", summary="A call's recording (signed link; supports Range)")
async def recording(call_id: RowId, token: str = TOKEN) -> Response:
    """Serve one of the link's tenant's call recordings from AVA's store, always as audio; 404 when there is none.

    A recording not copied yet is copied now from its allowed source (a body that is not audio is refused, and
    nothing of it is sent). Range requests are answered from the stored file, so the audio player can seek.
    """
    try:
        tenant_id, call = await run_in_threadpool(_grant_and_call, token, "recording", call_id)
        if not call.has_recording:
            raise NotFound("This call has no recording.", code="recording_not_found")
        stored = await recordings.ensure_stored(tenant_id=tenant_id, call_id=call.id)
    except DomainError as error:
        body = {"error": error.code, "message": error.message}
        return JSONResponse(body, status_code=error.status_code, headers=NOT_A_DOCUMENT)
    path = recordings.recording_store().path(stored.storage_key)
    return FileResponse(path, media_type=stored.content_type, headers=audio_headers(stored))


def transcript_text(call: CallDetail) -> str:
    """The conversation as plain text, one ``[m:ss] Speaker: words`` line per turn."""
    lines = [f"Call {call.id} — {call.started_at.isoformat()} — {call.caller_number or 'unknown number'}", ""]
    for message in call.messages:
        minutes, seconds = divmod(int(message.seconds_from_start), 60)
        speaker = "Assistant" if message.role in ("assistant", "bot") else "Caller"
        lines.append(f"[{minutes}:{seconds:02d}] {speaker}: {message.text}")
    if not call.messages and call.transcript:
        lines.append(call.transcript)
    return "\n".join(lines) + "\n"


@router.get("/call/{call_id}.{fmt}", summary="One call as JSON, or its transcript as text (signed link)")
async def call_file(call_id: RowId, fmt: str, token: str = TOKEN) -> Response:
    if fmt not in ("json", "txt"):
        raise NotFound("Unknown format.")
    _tenant_id, call = await run_in_threadpool(_grant_and_call, token, "call", call_id)
    name = f"call-{call.id}.{fmt}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "json":
        return Response(call.model_dump_json(indent=2), media_type="application/json", headers=disposition)
    return Response(transcript_text(call), media_type="text/plain; charset=utf-8", headers=disposition)


def _caller_export(token: str) -> dict:
    with Session(get_engine(), expire_on_commit=False) as session:
        grant = download_links.redeem_link_token(session, token=token, kind="caller")
        query = str(grant.resource.get("caller") or "")
        return caller_data.export_caller(session, principal=grant.principal, query=query)


@router.get("/caller.json", summary="Everything AVA holds about one caller, as JSON (signed link, admins)")
async def caller_file(token: str = TOKEN) -> Response:
    """The admin check and the caller's lookup run again now, inside the link's business only."""
    document = await run_in_threadpool(_caller_export, token)
    headers = {"Content-Disposition": 'attachment; filename="caller-data.json"', "Cache-Control": "no-store"}
    return JSONResponse(document, headers=headers)


class _Drain(io.RawIOBase):
    """Where the ZIP writer puts its bytes until the response takes them (an unseekable stream: zipfile then writes
    each entry's sizes after its data, so nothing has to be held whole)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[no-untyped-def, override]
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


AUDIO_CHUNK = 256 * 1024


def caller_archive(document: dict, copies: list[recordings.StoredRecording]) -> Iterator[bytes]:
    """``caller.json`` then ``recordings/call-<id>.<ext>``, as ZIP bytes a chunk at a time (memory: one chunk)."""
    store, sink = recordings.recording_store(), _Drain()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("caller.json", json.dumps(document, ensure_ascii=False, indent=2))
        yield sink.take()
        for copy in copies:
            name = f"recordings/call-{copy.call_id}.{copy.extension}"
            with archive.open(name, "w") as entry, store.path(copy.storage_key).open("rb") as source:
                while chunk := source.read(AUDIO_CHUNK):
                    entry.write(chunk)
                    yield sink.take()
            yield sink.take()
    yield sink.take()


def _caller_archive_parts(token: str) -> tuple[dict, list[recordings.StoredRecording]]:
    with Session(get_engine(), expire_on_commit=False) as session:
        grant = download_links.redeem_link_token(session, token=token, kind="caller")
        query = str(grant.resource.get("caller") or "")
        document = caller_data.export_caller(session, principal=grant.principal, query=query)
        call_ids = [int(call["id"]) for call in document["calls"]]
        copies = recordings.stored_copies(session, tenant_id=grant.principal.require_admin(), call_ids=call_ids)
        document["recordings"] = [f"recordings/call-{copy.call_id}.{copy.extension}" for copy in copies]
        return document, copies


@router.get("/caller.zip", summary="Everything AVA holds about one caller with their recordings, as a ZIP (admins)")
async def caller_zip(token: str = TOKEN) -> StreamingResponse:
    """The JSON of ``caller.json`` and the recordings AVA holds of the caller's calls, streamed as one ZIP."""
    document, copies = await run_in_threadpool(_caller_archive_parts, token)
    headers = {"Content-Disposition": 'attachment; filename="caller-data.zip"', "Cache-Control": "no-store"}
    return StreamingResponse(caller_archive(document, copies), media_type="application/zip", headers=headers)


@router.get("/calls.{fmt}", summary="The calls matching the link's filters, as CSV or JSON (streamed)")
def calls_file(fmt: str, token: str = TOKEN) -> StreamingResponse:
    """Permission and filters are checked before the first byte; rows are then read in batches as they are sent."""
    if fmt not in ("csv", "json"):
        raise NotFound("Unknown format.")
    session = Session(get_engine(), expire_on_commit=False)
    try:
        grant = download_links.redeem_link_token(session, token=token, kind="calls")
        filters = CallFilters.from_query(grant.resource.get("filters") or {})
        chunks = calls.export_calls(session, principal=grant.principal, filters=filters, fmt=fmt)
    except Exception:
        session.close()
        raise

    def body() -> Iterator[bytes]:
        try:
            for chunk in chunks:
                yield chunk.encode()
        finally:
            session.close()

    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    name = f"calls.{fmt}"
    return StreamingResponse(
        body(), media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )

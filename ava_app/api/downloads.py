"""/api/v1/downloads: what the browser fetches through a short-lived signed link instead of its bearer token.

- ``GET /downloads/recording/{call_id}?token=``: a call's recording, from AVA's own copy (``services.recordings``),
  served as audio only, with ``Range`` so the audio player can seek; the provider's URL never reaches the page.
- ``GET /downloads/call/{call_id}.json|.txt?token=``: one call with its conversation, or its transcript as text.
- ``GET /downloads/calls.csv|.json?token=``: the calls matching the filters signed into the link, streamed.
- ``GET /downloads/export/{id}.zip?token=``: a data export built by a job (``services.data_exports``): one
  caller's data for their data-access request, or the whole organisation's, with the recordings AVA holds (admins).

Links come from ``services.download_links`` (issued by the signed-in pages); the caller's permission is checked
again when the link is used, and every call is looked up inside the link's tenant only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from sqlmodel import Session

from ava_app import routes
from ava_app.api.deps import RowId
from ava_app.db import get_engine
from ava_app.services import calls, data_exports, download_links, recordings
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


def _export_file(token: str, export_id: int) -> tuple[Path, str]:
    with Session(get_engine(), expire_on_commit=False) as session:
        grant = download_links.redeem_link_token(session, token=token, kind="export")
        if grant.resource.get("export_id") != export_id:
            raise Unauthorized("This link has expired or is not valid.", code="link_invalid")
        return data_exports.open_export(session, principal=grant.principal, export_id=export_id)


@router.get(
    "/export/{export_id}.zip", summary="A data export built by a job: a caller's or the organisation's (admins)"
)
async def export_zip(export_id: RowId, token: str = TOKEN) -> Response:
    """The ZIP file once ready; the admin check runs again now, inside the link's business only (another business's
    export, an expired or unfinished one: 404)."""
    try:
        path, name = await run_in_threadpool(_export_file, token, export_id)
    except NotFound as error:
        body = {"error": error.code, "message": error.message}
        return JSONResponse(body, status_code=error.status_code, headers=NOT_A_DOCUMENT)
    headers = {**NOT_A_DOCUMENT, "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return FileResponse(path, media_type="application/zip", headers=headers)


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

"""/api/v1/downloads: what the browser fetches through a short-lived signed link instead of its bearer token.

- ``GET /downloads/recording/{call_id}?token=``: a call's recording, streamed through AVA (the provider's URL never
  reaches the page), with ``Range`` passed through so the audio player can seek.
- ``GET /downloads/call/{call_id}.json|.txt?token=``: one call with its conversation, or its transcript as text.
- ``GET /downloads/calls.csv|.json?token=``: the calls matching the filters signed into the link, streamed.

Links come from ``services.download_links`` (issued by the signed-in pages); the caller's permission is checked
again when the link is used, and every call is looked up inside the link's tenant only.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response, StreamingResponse
from sqlmodel import Session
from starlette.background import BackgroundTask

from ava_app.api.deps import RowId
from ava_app.db import get_engine
from ava_app.services import calls, download_links
from ava_app.services.calls import CallDetail, CallFilters
from ava_app.services.errors import NotFound, Unauthorized
from ava_app.services.providers.vapi import SANDBOX_MOUNT_PATH
from ava_app.settings import get_settings

router = APIRouter(prefix="/downloads", tags=["downloads"])
TOKEN = Query(max_length=4000, description="A signed link token from the AVA web app.")
SANDBOX_RECORDING = re.compile(r"^/recording/([0-9a-f-]{36}-mono\.wav)$")
PASSED_HEADERS = ("content-type", "content-length", "content-range", "accept-ranges", "last-modified", "etag")
# Tests swap in a transport that reaches a provider's storage without a network.
recording_transport: httpx.AsyncBaseTransport | None = None


def _grant_and_call(token: str, kind: str, call_id: int) -> CallDetail:
    with Session(get_engine(), expire_on_commit=False) as session:
        grant = download_links.redeem_link_token(session, token=token, kind=kind)
        if grant.resource.get("call_id") != call_id:
            raise Unauthorized("This link has expired or is not valid.", code="link_invalid")
        return calls.get_call(session, principal=grant.principal, call_id=call_id)


def _sandbox_recording_file(url: str) -> Path | None:
    """The local file behind a sandbox emulator recording URL (served here directly, Range included)."""
    settings = get_settings()
    base = settings.public_url + SANDBOX_MOUNT_PATH
    if not settings.vapi_sandbox or not url.startswith(base + "/"):
        return None
    match = SANDBOX_RECORDING.match(urlsplit(url).path[len(urlsplit(base).path) :])
    if not match:
        return None
    path = settings.data_dir / "sandbox_vapi_recordings" / match.group(1)
    return path if path.is_file() else None


@router.get("/recording/{call_id}", summary="A call's recording (signed link; supports Range)")
async def recording(call_id: RowId, request: Request, token: str = TOKEN) -> Response:
    """Stream the recording of one of the link's tenant's calls; 404 when the call has none."""
    call = await run_in_threadpool(_grant_and_call, token, "recording", call_id)
    if not call.recording_url:
        raise NotFound("This call has no recording.", code="recording_not_found")
    local = _sandbox_recording_file(call.recording_url)
    if local is not None:
        return FileResponse(local, media_type="audio/wav", headers={"Cache-Control": "private, max-age=300"})
    return await _proxy(call.recording_url, request.headers.get("range"))


async def _proxy(url: str, byte_range: str | None) -> Response:
    """Pass the provider's answer through as it arrives (status, length and range headers kept, body streamed)."""
    client = httpx.AsyncClient(transport=recording_transport, timeout=httpx.Timeout(15.0, read=60.0))
    headers = {"Range": byte_range} if byte_range else {}
    try:
        upstream = await client.send(client.build_request("GET", url, headers=headers), stream=True)
    except httpx.HTTPError:
        await client.aclose()
        return Response("The recording is not reachable right now.", status_code=502)
    if upstream.status_code not in (200, 206):
        await upstream.aclose()
        await client.aclose()
        return Response("The recording is not available.", status_code=404 if upstream.status_code == 404 else 502)

    async def close() -> None:
        await upstream.aclose()
        await client.aclose()

    kept = {name: upstream.headers[name] for name in PASSED_HEADERS if name in upstream.headers}
    kept.setdefault("accept-ranges", "bytes")
    kept["cache-control"] = "private, max-age=300"
    body: AsyncIterator[bytes] = upstream.aiter_raw()
    return StreamingResponse(body, status_code=upstream.status_code, headers=kept, background=BackgroundTask(close))


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
    call = await run_in_threadpool(_grant_and_call, token, "call", call_id)
    name = f"call-{call.id}.{fmt}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "json":
        detail = call.model_copy(update={"recording_url": None})  # the provider's URL stays inside AVA
        return Response(detail.model_dump_json(indent=2), media_type="application/json", headers=disposition)
    return Response(transcript_text(call), media_type="text/plain; charset=utf-8", headers=disposition)


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

"""/api/v1/calls: list with filters and cursor pages, export, one call, delete (to the trash), follow-up done.

The organisation is always the caller's current one; a call of another organisation answers 404, like a missing one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from ava_app.api.auth_deps import CallsReadDep, CallsWriteDep
from ava_app.api.deps import RowId, SessionDep
from ava_app.db import get_engine
from ava_app.models import DB_INT_MAX
from ava_app.services import calls, trash
from ava_app.services.calls import CallDetail, CallFilters, CallListItem, CallPage
from ava_app.services.errors import NotFound

router = APIRouter(tags=["calls"])


def call_filters(
    request: Request,
    date_from: str | None = Query(None, description="First local day (YYYY-MM-DD, organisation timezone)."),
    date_to: str | None = Query(None, description="Last local day, inclusive."),
    status: str | None = Query(None, description="Comma-separated: ringing, in-progress, ended..."),
    outcome: str | None = Query(None, description="Comma-separated: answered, missed, voicemail, forwarded..."),
    call_type: str | None = Query(None, description="Comma-separated: inbound, outbound, web, test."),
    min_duration: int | None = Query(None, ge=0, le=DB_INT_MAX, description="Seconds."),
    max_duration: int | None = Query(None, ge=0, le=DB_INT_MAX, description="Seconds."),
    phone_number_id: int | None = Query(None, ge=1, le=DB_INT_MAX),
    assistant_id: int | None = Query(None, ge=1, le=DB_INT_MAX),
    sentiment: str | None = Query(None, description="Comma-separated: positive, neutral, negative."),
    action: Literal["open", "done"] | None = Query(None, description="open: a follow-up is needed and not done."),
    q: str | None = Query(None, max_length=100, description="Words to find in summaries and transcripts."),
) -> CallFilters:
    """The list filters from the query string (repeated parameters are accepted as well as commas)."""
    # Parsed once, by the same code the UI uses for its URLs; the parameters above document them in OpenAPI.
    params = {name: request.query_params.getlist(name) for name in CallFilters.model_fields}
    return CallFilters.from_query(params)


CallFiltersDep = Annotated[CallFilters, Depends(call_filters)]


@router.get("/calls", response_model=CallPage)
def list_calls(
    filters: CallFiltersDep,
    principal: CallsReadDep,
    session: SessionDep,
    sort: Literal["date", "duration"] = Query("date"),
    direction: Literal["desc", "asc"] = Query("desc"),
    cursor: str | None = Query(None, max_length=500, description="next_cursor of the previous page."),
    limit: int = Query(20, ge=1, le=calls.MAX_PAGE),
) -> CallPage:
    """A page of the organisation's calls, newest first by default; follow ``next_cursor`` for the next page."""
    return calls.list_calls(
        session, principal=principal, filters=filters, sort=sort, direction=direction, cursor=cursor, limit=limit
    )


@router.get("/calls/export")
def export_calls(
    filters: CallFiltersDep,
    principal: CallsReadDep,
    session: SessionDep,
    fmt: Literal["csv", "json"] = Query("csv", alias="format"),
) -> StreamingResponse:
    """Every call matching the filters as a CSV or JSON download, streamed (no size limit, constant memory)."""
    # Checks (role, filters) run now, on the request's session, so errors are proper JSON answers.
    calls.export_calls(session, principal=principal, filters=filters, fmt=fmt)

    def body() -> Iterator[str]:
        # The stream outlives the request's dependencies, so it reads through a session of its own.
        with Session(get_engine(), expire_on_commit=False) as stream_session:
            yield from calls.export_calls(stream_session, principal=principal, filters=filters, fmt=fmt)

    media_type = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    headers = {"Content-Disposition": f'attachment; filename="calls.{fmt}"', "Cache-Control": "no-store"}
    return StreamingResponse(body(), media_type=media_type, headers=headers)


@router.get("/calls/{call_id}", response_model=CallDetail)
def get_call(call_id: RowId, principal: CallsReadDep, session: SessionDep) -> CallDetail:
    """One call with its conversation, what the caller left, and how it ended."""
    return calls.get_call(session, principal=principal, call_id=call_id)


@router.delete("/calls/{call_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_call(call_id: RowId, principal: CallsWriteDep, session: SessionDep) -> Response:
    """Delete one call (admins and users): it moves to the trash, restorable for the business's grace period."""
    if not trash.move_to_trash(session, principal=principal, call_ids=[call_id]):
        raise NotFound("This call does not exist.", code="call_not_found")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/calls/{call_id}/action-done", response_model=CallListItem)
def mark_action_done(
    principal: CallsWriteDep,
    session: SessionDep,
    call_id: RowId,
    done: bool = Query(True, description="false opens the follow-up again."),
) -> CallListItem:
    """Mark the call's follow-up as done (or not done with ``done=false``)."""
    return calls.mark_action_done(session, principal=principal, call_id=call_id, done=done)

"""The Google emulator: OAuth 2.0 (accounts + oauth2 hosts) and the Calendar API v3 calls AVA makes.

Paths follow Google's, under one prefix (AVA mounts it at ``/sandbox/google``): ``/o/oauth2/v2/auth`` (consent page),
``/token``, ``/revoke``, and ``/calendar/v3/...`` (``calendars/primary``, ``freeBusy``, ``events`` insert, get,
patch, delete, list). Error bodies are Google's ``{"error": {"code", "message", "errors", "status"}}``.
See ``docs/contracts/google-calendar.md``.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ava_app.sandbox.calendars.oauth import OAuthServer
from ava_app.sandbox.calendars.store import CalendarStore, overlaps, parse_time

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar.events"
FREEBUSY_SCOPE = "https://www.googleapis.com/auth/calendar.freebusy"
SANDBOX_ACCOUNT = "owner.sandbox@gmail.example"
EVENT_ID = re.compile(r"[a-v0-9]{5,1024}")
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    410: "GONE",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
_REASONS = {401: "authError", 404: "notFound", 409: "duplicate", 410: "deleted", 429: "rateLimitExceeded"}


class GoogleEmulator:
    """One Google: its authorization server and its calendars (in memory, per process)."""

    def __init__(self, *, account: str = SANDBOX_ACCOUNT) -> None:
        self.oauth = OAuthServer(brand="Google", account=account, required_scope=CALENDAR_SCOPE)
        self.store = CalendarStore()

    def events_of(self, account: str | None = None) -> dict[str, dict]:
        """The events of ``account`` (default: the sandbox account) by event id, cancelled ones included."""
        return self.store.calendar(account or self.oauth.account)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.oauth.openid_configuration, methods=["GET"]),
                Route("/oauth2/v3/certs", self.oauth.jwks, methods=["GET"]),
                Route("/o/oauth2/v2/auth", self.oauth.authorize, methods=["GET"]),
                Route("/o/oauth2/v2/consent", self.oauth.consent, methods=["POST"], name="consent"),
                Route("/token", self.oauth.token, methods=["POST"]),
                Route("/revoke", self.oauth.revoke, methods=["POST"]),
                Route("/calendar/v3/calendars/{calendar_id}", self._calendar, methods=["GET"]),
                Route("/calendar/v3/freeBusy", self._free_busy, methods=["POST"]),
                Route("/calendar/v3/calendars/{calendar_id}/events", self._events, methods=["GET", "POST"]),
                Route(
                    "/calendar/v3/calendars/{calendar_id}/events/{event_id}",
                    self._event,
                    methods=["GET", "PATCH", "PUT", "DELETE"],
                ),
            ]
        )

    # --- calendar API

    def _authorised(self, request: Request) -> str | Response:
        """The account of the bearer token, or the error answer to send."""
        self.store.requests.append((request.method, request.url.path))
        failure = self.store.take_failure()
        if failure is not None:
            status, retry_after = failure
            headers = {"Retry-After": str(int(retry_after))} if retry_after is not None else {}
            return _error(status, "Rate Limit Exceeded" if status == 429 else "Backend Error", headers=headers)
        header = request.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else ""
        account = self.oauth.account_of(token)
        if account is None:
            return _error(401, "Request had invalid authentication credentials.")
        return account

    def _calendar_of(self, account: str, calendar_id: str) -> dict[str, dict] | None:
        return self.store.calendar(account) if calendar_id in ("primary", account) else None

    async def _calendar(self, request: Request) -> Response:
        account = self._authorised(request)
        if isinstance(account, Response):
            return account
        if self._calendar_of(account, request.path_params["calendar_id"]) is None:
            return _error(404, "Not Found")
        return JSONResponse(
            {"kind": "calendar#calendar", "id": account, "summary": account, "timeZone": "UTC", "etag": '"1"'}
        )

    async def _free_busy(self, request: Request) -> Response:
        account = self._authorised(request)
        if isinstance(account, Response):
            return account
        body = await _json(request)
        try:
            start, end = parse_time(body["timeMin"]), parse_time(body["timeMax"])
        except (KeyError, TypeError, ValueError):
            return _error(400, "Bad Request: timeMin and timeMax must be RFC 3339 times")
        if end <= start:
            return _error(400, "The specified time range is empty.")
        calendars: dict[str, dict] = {}
        for item in body.get("items") or []:
            calendar_id = str((item or {}).get("id", ""))
            events = self._calendar_of(account, calendar_id)
            if events is None:
                calendars[calendar_id] = {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
                continue
            blocks = [
                (parse_time(event["start"]["dateTime"]), parse_time(event["end"]["dateTime"]))
                for event in events.values()
                if event.get("status") != "cancelled" and event.get("transparency") != "transparent"
            ] + self.store.busy.get(account, [])
            busy = sorted(
                (max(block_start, start), min(block_end, end))
                for block_start, block_end in blocks
                if overlaps(block_start, block_end, start, end)
            )
            calendars[calendar_id] = {"busy": [{"start": _rfc3339(a), "end": _rfc3339(b)} for a, b in busy]}
        return JSONResponse(
            {"kind": "calendar#freeBusy", "timeMin": _rfc3339(start), "timeMax": _rfc3339(end), "calendars": calendars}
        )

    async def _events(self, request: Request) -> Response:
        account = self._authorised(request)
        if isinstance(account, Response):
            return account
        events = self._calendar_of(account, request.path_params["calendar_id"])
        if events is None:
            return _error(404, "Not Found")
        if request.method == "GET":
            return self._list(request, events)
        body = await _json(request)
        event_id = str(body.get("id") or secrets.token_hex(13))
        if not EVENT_ID.fullmatch(event_id):
            return _error(400, "Invalid resource id value.")
        if event_id in events:
            return _error(409, "The requested identifier already exists.")
        problem = _check_times(body)
        if problem:
            return _error(400, problem)
        now = _rfc3339(datetime.now(UTC))
        event = {
            "kind": "calendar#event",
            "id": event_id,
            "status": body.get("status") or "confirmed",
            "created": now,
            "updated": now,
            "htmlLink": f"https://calendar.google.example/event?eid={event_id}",
            "organizer": {"email": account, "self": True},
            **{key: value for key, value in body.items() if key not in ("id", "kind", "created", "updated")},
        }
        events[event_id] = event
        return JSONResponse(event)

    def _list(self, request: Request, events: dict[str, dict]) -> Response:
        params = request.query_params
        show_deleted = params.get("showDeleted") == "true"
        wanted = [value.partition("=") for value in params.getlist("privateExtendedProperty")]
        try:
            time_min = parse_time(params["timeMin"]) if "timeMin" in params else None
            time_max = parse_time(params["timeMax"]) if "timeMax" in params else None
        except ValueError:
            return _error(400, "Bad Request")
        items = []
        for event in events.values():
            if event.get("status") == "cancelled" and not show_deleted:
                continue
            private = (event.get("extendedProperties") or {}).get("private") or {}
            if any(private.get(name) != value for name, _, value in wanted):
                continue
            start, end = parse_time(event["start"]["dateTime"]), parse_time(event["end"]["dateTime"])
            if time_min and end <= time_min or time_max and start >= time_max:
                continue
            items.append(event)
        items.sort(key=lambda event: event["start"]["dateTime"])
        return JSONResponse({"kind": "calendar#events", "summary": "primary", "timeZone": "UTC", "items": items})

    async def _event(self, request: Request) -> Response:
        account = self._authorised(request)
        if isinstance(account, Response):
            return account
        events = self._calendar_of(account, request.path_params["calendar_id"])
        event = (events or {}).get(request.path_params["event_id"])
        if event is None:
            return _error(404, "Not Found")
        if request.method == "GET":
            return JSONResponse(event)
        if request.method == "DELETE":
            if event.get("status") == "cancelled":
                return _error(410, "Resource has been deleted")
            event["status"] = "cancelled"
            event["updated"] = _rfc3339(datetime.now(UTC))
            return Response(status_code=204)
        body = await _json(request)
        changed = body if request.method == "PATCH" else {"id": event["id"], **body}
        merged = {**event, **{key: value for key, value in changed.items() if key not in ("id", "kind")}}
        problem = _check_times(merged)
        if problem:
            return _error(400, problem)
        merged["updated"] = _rfc3339(datetime.now(UTC))
        events[event["id"]] = merged  # type: ignore[index]
        return JSONResponse(merged)


def _check_times(event: dict) -> str:
    try:
        start = parse_time(event["start"]["dateTime"])
        end = parse_time(event["end"]["dateTime"])
    except (KeyError, TypeError, ValueError):
        return "Missing or invalid start/end dateTime."
    return "The specified time range is empty." if end <= start else ""


async def _json(request: Request) -> dict:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _error(status: int, message: str, *, headers: dict[str, str] | None = None) -> JSONResponse:
    reason = _REASONS.get(status, "backendError" if status >= 500 else "invalid")
    body = {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"domain": "global", "reason": reason, "message": message}],
            "status": _STATUS_NAMES.get(status, "UNKNOWN"),
        }
    }
    return JSONResponse(body, status_code=status, headers=headers)

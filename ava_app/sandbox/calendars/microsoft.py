"""The Microsoft emulator: the identity platform's OAuth 2.0 v2.0 endpoints and the Graph calendar calls AVA makes.

Paths follow Microsoft's under one prefix (AVA mounts it at ``/sandbox/microsoft``): ``/{tenant}/oauth2/v2.0/authorize``
(consent page), ``/{tenant}/oauth2/v2.0/token``, and ``/v1.0/me``, ``/v1.0/me/calendar/getSchedule``,
``/v1.0/me/events`` (create, list with the extended-property filter) and ``/v1.0/me/events/{id}`` (get, update,
delete). Graph error bodies are ``{"error": {"code", "message"}}``. See ``docs/contracts/microsoft-graph-calendar.md``.
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
from ava_app.sandbox.calendars.store import CalendarStore, overlaps

CALENDAR_SCOPE = "Calendars.ReadWrite"
SANDBOX_ACCOUNT = "owner.sandbox@outlook.example"
# singleValueExtendedProperties/Any(ep: ep/id eq '...' and ep/value eq '...'), the one $filter AVA sends.
_PROPERTY_FILTER = re.compile(
    r"singleValueExtendedProperties/any\(\s*(\w+)\s*:\s*"
    r"\1/id eq '((?:[^']|'')*)' and \1/value eq '((?:[^']|'')*)'\s*\)",
    re.IGNORECASE,
)
BUSY_STATUSES = ("busy", "oof", "tentative", "workingElsewhere")


class MicrosoftEmulator:
    """One Microsoft 365: its identity platform and its calendars (in memory, per process)."""

    def __init__(self, *, account: str = SANDBOX_ACCOUNT) -> None:
        self.oauth = OAuthServer(
            brand="Microsoft", account=account, required_scope=CALENDAR_SCOPE, rotate_refresh_tokens=True
        )
        self.store = CalendarStore()

    def events_of(self, account: str | None = None) -> dict[str, dict]:
        """The events of ``account`` (default: the sandbox account) by Graph event id."""
        return self.store.calendar(account or self.oauth.account)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(
                    "/{tenant}/v2.0/.well-known/openid-configuration", self.oauth.openid_configuration, methods=["GET"]
                ),
                Route("/{tenant}/discovery/v2.0/keys", self.oauth.jwks, methods=["GET"]),
                Route("/{tenant}/oauth2/v2.0/authorize", self.oauth.authorize, methods=["GET"]),
                Route("/{tenant}/oauth2/v2.0/consent", self.oauth.consent, methods=["POST"], name="consent"),
                Route("/{tenant}/oauth2/v2.0/token", self.oauth.token, methods=["POST"]),
                Route("/v1.0/me", self._me, methods=["GET"]),
                Route("/v1.0/me/calendar/getSchedule", self._get_schedule, methods=["POST"]),
                Route("/v1.0/me/events", self._events, methods=["GET", "POST"]),
                Route("/v1.0/me/events/{event_id}", self._event, methods=["GET", "PATCH", "DELETE"]),
            ]
        )

    def _authorised(self, request: Request) -> str | Response:
        self.store.requests.append((request.method, request.url.path))
        failure = self.store.take_failure()
        if failure is not None:
            status, retry_after = failure
            headers = {"Retry-After": str(int(retry_after))} if retry_after is not None else {}
            code = "TooManyRequests" if status == 429 else "ServiceNotAvailable"
            return _error(status, code, "The service is busy; try again later.", headers=headers)
        header = request.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else ""
        account = self.oauth.account_of(token)
        if account is None:
            return _error(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")
        return account

    async def _me(self, request: Request) -> Response:
        account = self._authorised(request)
        if isinstance(account, Response):
            return account
        return JSONResponse(
            {
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
                "id": "00000000-0000-0000-0000-" + account.encode().hex()[:12].ljust(12, "0"),
                "displayName": account.split("@")[0],
                "mail": account,
                "userPrincipalName": account,
            }
        )

    async def _get_schedule(self, request: Request) -> Response:
        account = self._authorised(request)
        if isinstance(account, Response):
            return account
        body = await _json(request)
        try:
            start = _graph_time(body["startTime"])
            end = _graph_time(body["endTime"])
            interval = int(body.get("availabilityViewInterval") or 30)
        except (KeyError, TypeError, ValueError):
            return _error(400, "ErrorInvalidRequest", "startTime and endTime must be dateTimeTimeZone values.")
        if end <= start or not 5 <= interval <= 1440:
            return _error(400, "ErrorInvalidParameter", "The time range or the interval is not valid.")
        value = []
        for schedule in body.get("schedules") or []:
            if str(schedule).lower() != account.lower():
                value.append(
                    {
                        "scheduleId": schedule,
                        "error": {"message": "The requested user is not valid.", "responseCode": "ErrorInvalidUser"},
                    }
                )
                continue
            items = [
                {
                    "isPrivate": False,
                    "status": event.get("showAs", "busy"),
                    "subject": event.get("subject", ""),
                    "start": _graph_value(_graph_time(event["start"])),
                    "end": _graph_value(_graph_time(event["end"])),
                }
                for event in self.store.calendar(account).values()
                if overlaps(_graph_time(event["start"]), _graph_time(event["end"]), start, end)
            ] + [
                {"isPrivate": True, "status": "busy", "start": _graph_value(a), "end": _graph_value(b)}
                for a, b in self.store.busy.get(account, [])
                if overlaps(a, b, start, end)
            ]
            items.sort(key=lambda item: item["start"]["dateTime"])
            value.append(
                {
                    "scheduleId": schedule,
                    "availabilityView": _availability_view(items, start, end, interval),
                    "scheduleItems": items,
                    "workingHours": {"startTime": "08:00:00.0000000", "endTime": "17:00:00.0000000"},
                }
            )
        context = "https://graph.microsoft.com/v1.0/$metadata#Collection(scheduleInformation)"
        return JSONResponse({"@odata.context": context, "value": value})

    async def _events(self, request: Request) -> Response:
        account = self._authorised(request)
        if isinstance(account, Response):
            return account
        events = self.store.calendar(account)
        if request.method == "GET":
            found = list(events.values())
            wanted = request.query_params.get("$filter", "")
            if wanted:
                match = _PROPERTY_FILTER.fullmatch(wanted.strip())
                if match is None:
                    return _error(400, "ErrorInvalidUrlQueryFilter", "The query filter contains unsupported clauses.")
                property_id, value = match.group(2).replace("''", "'"), match.group(3).replace("''", "'")
                found = [event for event in found if _has_property(event, property_id, value)]
            return JSONResponse({"value": [_public(event) for event in found]})
        body = await _json(request)
        transaction_id = body.get("transactionId")
        if transaction_id:
            for event in events.values():
                if event.get("transactionId") == transaction_id:
                    return JSONResponse(_public(event), status_code=201)  # a retried create: the same event
        try:
            start, end = _graph_time(body["start"]), _graph_time(body["end"])
        except (KeyError, TypeError, ValueError):
            return _error(400, "ErrorInvalidRequest", "start and end must be dateTimeTimeZone values.")
        if end <= start:
            return _error(400, "ErrorInvalidParameter", "The end time must be after the start time.")
        event_id = "AAMkAG" + secrets.token_urlsafe(30)
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")
        event = {
            "id": event_id,
            "createdDateTime": now,
            "lastModifiedDateTime": now,
            "showAs": "busy",
            "isCancelled": False,
            "webLink": f"https://outlook.office.example/calendar/item/{event_id}",
            **{key: value for key, value in body.items() if key != "id"},
        }
        events[event_id] = event
        return JSONResponse(_public(event), status_code=201)

    async def _event(self, request: Request) -> Response:
        account = self._authorised(request)
        if isinstance(account, Response):
            return account
        events = self.store.calendar(account)
        event = events.get(request.path_params["event_id"])
        if event is None:
            return _error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        if request.method == "GET":
            return JSONResponse(_public(event))
        if request.method == "DELETE":
            del events[event["id"]]
            return Response(status_code=204)
        body = await _json(request)
        merged = {**event, **{key: value for key, value in body.items() if key not in ("id", "transactionId")}}
        try:
            if _graph_time(merged["end"]) <= _graph_time(merged["start"]):
                return _error(400, "ErrorInvalidParameter", "The end time must be after the start time.")
        except (KeyError, TypeError, ValueError):
            return _error(400, "ErrorInvalidRequest", "start and end must be dateTimeTimeZone values.")
        merged["lastModifiedDateTime"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")
        events[event["id"]] = merged
        return JSONResponse(_public(merged))


def _has_property(event: dict, property_id: str, value: str) -> bool:
    """Graph compares the property's name case-sensitively and a string value case-insensitively."""
    return any(
        prop.get("id", "") == property_id and prop.get("value", "").lower() == value.lower()
        for prop in event.get("singleValueExtendedProperties") or []
    )


def _public(event: dict) -> dict:
    """An event as Graph returns it: extended properties only when asked for ($expand), so never here."""
    return {key: value for key, value in event.items() if key != "singleValueExtendedProperties"}


def _graph_time(value: dict) -> datetime:
    """A dateTimeTimeZone in UTC (the only zone AVA sends; others are refused as the emulator does not map them)."""
    if not isinstance(value, dict) or str(value.get("timeZone", "")).upper() not in ("UTC", "ETC/UTC"):
        raise ValueError("timeZone must be UTC")
    text = str(value["dateTime"]).rstrip("Z")
    whole, _, fraction = text.partition(".")
    return datetime.fromisoformat(whole).replace(tzinfo=UTC)


def _graph_value(moment: datetime) -> dict:
    return {"dateTime": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


def _availability_view(items: list[dict], start: datetime, end: datetime, interval: int) -> str:
    """One digit per interval: 0 free, 1 tentative, 2 busy, 3 out of office, 4 working elsewhere."""
    codes = {"free": 0, "tentative": 1, "busy": 2, "oof": 3, "workingElsewhere": 4}
    slots = []
    step = interval * 60
    cursor = start
    while cursor < end:
        slot_end = min(datetime.fromtimestamp(cursor.timestamp() + step, UTC), end)
        level = 0
        for item in items:
            if overlaps(_graph_time(item["start"]), _graph_time(item["end"]), cursor, slot_end):
                level = max(level, codes.get(item["status"], 2))
        slots.append(str(level))
        cursor = slot_end
    return "".join(slots)


async def _json(request: Request) -> dict:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error(status: int, code: str, message: str, *, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)

"""Calendar API clients (Google Calendar v3, Microsoft Graph) for an access token: busy times and AVA's events.

Both clients offer the same calls, so the booking code does not care which calendar a business connected:

- ``busy_intervals(start, end)``: the busy blocks of the account's main calendar in ``[start, end)``, aware UTC
  datetimes, sorted and merged.
- ``upsert_event(booking_id=..., ...)`` / ``delete_event(booking_id=...)``: idempotent writes keyed by AVA's booking
  id. Google: the event id *is* the booking id (base32hex, see ``google_event_id``), and a private extended property
  repeats it. Graph: a single-value extended property holds it (found again with ``$filter``), and the create carries
  a ``transactionId`` derived from it, so a retried create does not make a second event.

Every request is retried on 429, 5xx, timeouts and refused connections, with exponential back-off and jitter
(``Retry-After`` honoured up to a cap), like the Vapi client. A 401 raises ``AccessTokenRejected``: the caller
refreshes the token once and tries again (``services.calendar_connections``).
"""

from __future__ import annotations

import asyncio
import base64
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from ava_app.services.errors import Invalid, ProviderError, ProviderUnavailable
from ava_app.services.providers import calendar_oauth
from ava_app.services.providers.twilio import retry_after_seconds

Interval = tuple[datetime, datetime]
# The name under which AVA's booking id is stored on an event (Google private property, Graph extended property).
BOOKING_PROPERTY = "avaBookingId"
# A GUID of AVA's own for its Graph extended property ("String {guid} Name avaBookingId").
GRAPH_PROPERTY_ID = "String {6f0b7c1e-3a52-4c2e-9d7a-52a1f0e4b8d3} Name " + BOOKING_PROPERTY


class AccessTokenRejected(Exception):
    """The API answered 401: the access token expired or the grant was revoked (the refresh will tell which)."""


class _Transient(Exception):
    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def google_event_id(booking_id: str | int) -> str:
    """The Google event id of a booking: "ava" + the booking id in lower-case base32hex without padding.

    Google takes ids of 5 to 1024 characters from a-v and 0-9 only; "ava" is made of such letters, and a booking id
    of up to 600 characters fits.
    """
    raw = str(booking_id).encode()
    if not raw or len(raw) > 600:
        raise Invalid("A booking id is needed.", code="calendar_booking_id", fields={"booking_id": "invalid"})
    return "ava" + base64.b32hexencode(raw).decode().rstrip("=").lower()


class _CalendarClient:
    """What both providers share: the HTTP client, the bearer token and the retries."""

    provider = ""

    def __init__(
        self,
        *,
        api_url: str,
        access_token: str,
        transport: httpx.AsyncBaseTransport | None = None,
        max_attempts: int = 4,
        backoff_initial: float = 0.5,
        backoff_max: float = 8.0,
        max_retry_after: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._token = access_token
        self._transport = transport if transport is not None else calendar_oauth.provider_transport
        self._max_attempts = max_attempts
        self._backoff_initial, self._backoff_max = backoff_initial, backoff_max
        self._max_retry_after = max_retry_after
        self._sleep = sleep
        self._timeout = timeout or calendar_oauth.TIMEOUT

    async def _request(
        self, method: str, path: str, *, ok: tuple[int, ...] = (200, 201, 204), **kwargs: Any
    ) -> httpx.Response:
        """One API call with retries; returns the answer when its status is in ``ok`` (or 404/409/410, which the
        callers read), raises ``AccessTokenRejected`` on 401 and a domain error otherwise."""
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        async with httpx.AsyncClient(transport=self._transport, timeout=self._timeout, headers=headers) as http:
            for attempt in range(1, self._max_attempts + 1):
                try:
                    answer = await self._attempt(http, method, self.api_url + path, **kwargs)
                except _Transient as transient:
                    if attempt == self._max_attempts:
                        raise ProviderUnavailable(
                            "The calendar cannot be reached right now.", code="calendar_unavailable"
                        ) from transient
                    wait = transient.retry_after
                    if wait is None or wait > self._max_retry_after:
                        wait = self._backoff(attempt)
                    await self._sleep(wait)
                    continue
                if answer.status_code == 401:
                    raise AccessTokenRejected()
                if answer.status_code in ok or answer.status_code in (404, 409, 410):
                    return answer
                raise ProviderError(
                    f"The calendar refused the request ({answer.status_code}).",
                    code="calendar_refused",
                    status=answer.status_code,
                )
        raise AssertionError("the loop returns or raises")

    def _backoff(self, attempt: int) -> float:
        """Exponential back-off with jitter: about 0.5, 1, 2, 4 s... capped at ``backoff_max``."""
        base = min(self._backoff_max, self._backoff_initial * 2 ** (attempt - 1))
        return base + random.uniform(0, self._backoff_initial)

    async def _attempt(self, http: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            answer = await http.request(method, url, **kwargs)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise _Transient(type(exc).__name__) from exc
        if answer.status_code == 429 or answer.status_code >= 500:
            raise _Transient(
                str(answer.status_code), retry_after=retry_after_seconds(answer.headers.get("Retry-After"))
            )
        return answer


class GoogleCalendarClient(_CalendarClient):
    """Google Calendar API v3 on the account's primary calendar."""

    provider = "google"

    async def account_email(self) -> str:
        """The address of the account (the primary calendar's id)."""
        answer = await self._request("GET", "/calendars/primary")
        return str(_json(answer).get("id") or "")

    async def busy_intervals(self, start: datetime, end: datetime) -> list[Interval]:
        """Busy blocks of the primary calendar in ``[start, end)`` (``freeBusy.query``)."""
        body = {"timeMin": _rfc3339(start), "timeMax": _rfc3339(end), "items": [{"id": "primary"}]}
        answer = await self._request("POST", "/freeBusy", json=body)
        calendar = (_json(answer).get("calendars") or {}).get("primary") or {}
        if calendar.get("errors"):
            raise ProviderError("The calendar could not be read.", code="calendar_refused")
        return merge_intervals(
            (_parse_rfc3339(block["start"]), _parse_rfc3339(block["end"])) for block in calendar.get("busy") or []
        )

    async def upsert_event(
        self, *, booking_id: str | int, start: datetime, end: datetime, summary: str, description: str = ""
    ) -> str:
        """Create or update the booking's event; returns its id. Update first (also revives a deleted event), create
        on 404, update again if a concurrent create won (409)."""
        event_id = google_event_id(booking_id)
        body = {
            "summary": summary,
            "description": description,
            "start": {"dateTime": _rfc3339(start)},
            "end": {"dateTime": _rfc3339(end)},
            "status": "confirmed",
            "extendedProperties": {"private": {BOOKING_PROPERTY: str(booking_id)}},
        }
        path = f"/calendars/primary/events/{event_id}"
        answer = await self._request("PATCH", path, json=body)
        if answer.status_code == 404:
            answer = await self._request("POST", "/calendars/primary/events", json={"id": event_id, **body})
            if answer.status_code == 409:
                answer = await self._request("PATCH", path, json=body)
        if answer.status_code not in (200, 201):
            raise ProviderError("The calendar refused the event.", code="calendar_refused", status=answer.status_code)
        return event_id

    async def delete_event(self, *, booking_id: str | int) -> bool:
        """Delete the booking's event; False when there was none (or it was already deleted)."""
        answer = await self._request("DELETE", f"/calendars/primary/events/{google_event_id(booking_id)}")
        return answer.status_code == 204

    async def find_event(self, *, booking_id: str | int) -> dict | None:
        """The booking's event (``events.list`` by the private property), or None."""
        params = {"privateExtendedProperty": f"{BOOKING_PROPERTY}={booking_id}", "singleEvents": "true"}
        answer = await self._request("GET", "/calendars/primary/events", params=params)
        items = _json(answer).get("items") or []
        return items[0] if items else None


class MicrosoftCalendarClient(_CalendarClient):
    """Microsoft Graph v1.0 on the signed-in account's default calendar (``/me``)."""

    provider = "microsoft"

    async def account_email(self) -> str:
        """The account's address (``mail``, else its sign-in name)."""
        me = _json(await self._request("GET", "/me"))
        return str(me.get("mail") or me.get("userPrincipalName") or "")

    async def busy_intervals(self, start: datetime, end: datetime) -> list[Interval]:
        """Busy, tentative, away and elsewhere blocks in ``[start, end)`` (``calendar/getSchedule``), clipped."""
        email = await self.account_email()
        body = {
            "schedules": [email],
            "startTime": _graph_time(start),
            "endTime": _graph_time(end),
            "availabilityViewInterval": 15,
        }
        answer = await self._request("POST", "/me/calendar/getSchedule", json=body, headers=_UTC_PREFERENCE)
        schedules = _json(answer).get("value") or []
        if not schedules or schedules[0].get("error"):
            raise ProviderError("The calendar could not be read.", code="calendar_refused")
        blocks = []
        for item in schedules[0].get("scheduleItems") or []:
            if item.get("status") == "free":
                continue
            block_start, block_end = _parse_graph(item["start"]), _parse_graph(item["end"])
            if block_start < end and block_end > start:
                blocks.append((max(block_start, start), min(block_end, end)))
        return merge_intervals(blocks)

    async def upsert_event(
        self, *, booking_id: str | int, start: datetime, end: datetime, summary: str, description: str = ""
    ) -> str:
        """Create or update the booking's event; returns the Graph event id."""
        body: dict[str, Any] = {
            "subject": summary,
            "body": {"contentType": "text", "content": description},
            "start": _graph_time(start),
            "end": _graph_time(end),
            "showAs": "busy",
        }
        existing = await self.find_event(booking_id=booking_id)
        if existing is not None:
            answer = await self._request("PATCH", f"/me/events/{existing['id']}", json=body)
            if answer.status_code == 200:
                return str(existing["id"])
        body["transactionId"] = f"ava-booking-{booking_id}"[:100]
        body["singleValueExtendedProperties"] = [{"id": GRAPH_PROPERTY_ID, "value": str(booking_id)}]
        answer = await self._request("POST", "/me/events", json=body)
        if answer.status_code not in (200, 201):
            raise ProviderError("The calendar refused the event.", code="calendar_refused", status=answer.status_code)
        return str(_json(answer)["id"])

    async def delete_event(self, *, booking_id: str | int) -> bool:
        """Delete the booking's event; False when there was none."""
        existing = await self.find_event(booking_id=booking_id)
        if existing is None:
            return False
        answer = await self._request("DELETE", f"/me/events/{existing['id']}")
        return answer.status_code == 204

    async def find_event(self, *, booking_id: str | int) -> dict | None:
        """The booking's event, found by its extended property, or None."""
        value = str(booking_id).replace("'", "''")
        wanted = f"ep: ep/id eq '{GRAPH_PROPERTY_ID}' and ep/value eq '{value}'"
        params = {"$filter": f"singleValueExtendedProperties/Any({wanted})", "$select": "id,subject,start,end"}
        answer = await self._request("GET", "/me/events", params=params)
        items = _json(answer).get("value") or []
        return items[0] if items else None


CalendarClient = GoogleCalendarClient | MicrosoftCalendarClient
_UTC_PREFERENCE = {"Prefer": 'outlook.timezone="UTC"'}


def calendar_client(
    endpoints: calendar_oauth.CalendarEndpoints, *, access_token: str, **options: Any
) -> CalendarClient:
    """The client of ``endpoints.provider`` for one access token."""
    kind = GoogleCalendarClient if endpoints.provider == "google" else MicrosoftCalendarClient
    return kind(api_url=endpoints.api_url, access_token=access_token, **options)


def merge_intervals(blocks) -> list[Interval]:
    """Sorted, with overlapping or touching blocks merged into one."""
    merged: list[Interval] = []
    for start, end in sorted(blocks):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise Invalid("Calendar times must carry their time zone.", code="calendar_naive_time")
    return moment.astimezone(UTC)


def _rfc3339(moment: datetime) -> str:
    return _aware(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_rfc3339(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _graph_time(moment: datetime) -> dict:
    return {"dateTime": _aware(moment).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


def _parse_graph(value: dict) -> datetime:
    """A Graph dateTimeTimeZone answered in UTC (AVA asks for UTC with the Prefer header)."""
    text = str(value["dateTime"]).rstrip("Z").split(".")[0]
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _json(answer: httpx.Response) -> dict:
    try:
        body = answer.json()
    except ValueError as exc:
        raise ProviderError("The calendar sent an unreadable answer.", code="calendar_refused") from exc
    return body if isinstance(body, dict) else {}

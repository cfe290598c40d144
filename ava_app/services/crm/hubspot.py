"""HubSpot: where its OAuth and CRM API live, its OAuth token requests, and a ``CrmClient`` over CRM v3 with httpx.

httpx, not the official ``hubspot-api-client``: that client is built on urllib3 (blocking) and AVA's jobs and
handlers use async clients only; the tests read what AVA wrote back through the official client, against the
emulator, to prove the wire shapes (``docs/contracts/hubspot.md``).

OAuth messages are built by ``authlib`` (the authorization URL, the token requests); httpx sends them, like the
calendar connections. In sandbox mode (``AVA_ENV=dev`` and no HubSpot app configured) every URL points at the local
emulator at ``{public_url}/sandbox/hubspot`` with this installation's sandbox app.

A 429 waits ``Retry-After`` here when it is short (at most ``INLINE_WAIT_MAX`` seconds, twice), and raises
``CrmRateLimited`` otherwise so the job is scheduled for later.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
from authlib.common.urls import url_decode
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request

from ava_app import routes
from ava_app.models import utcnow
from ava_app.services.crm import (
    AccountInfo,
    BookingForCrm,
    CallForCrm,
    CrmAuthRevoked,
    CrmRateLimited,
    CrmRejected,
)
from ava_app.services.errors import Forbidden, ProviderUnavailable
from ava_app.settings import Settings, get_settings

PROVIDER = "hubspot"
SCOPES = ("oauth", "crm.objects.contacts.read", "crm.objects.contacts.write")
TIMEOUT = httpx.Timeout(15.0, connect=5.0)
INLINE_WAIT_MAX = 10.0
INLINE_RATE_LIMIT_RETRIES = 2
# HubSpot-defined association types, from an activity to a contact.
CALL_TO_CONTACT, TASK_TO_CONTACT, MEETING_TO_CONTACT = 194, 204, 200
SANDBOX_KEYS_FILE = "sandbox_hubspot_keys.json"
OUTCOME_TITLES = {
    "answered": "Answered by AVA",
    "missed": "Missed call",
    "voicemail": "Voicemail",
    "forwarded": "Forwarded call",
    "failed": "Failed call",
}
# HubSpot's call statuses for AVA's outcomes; anything else completed.
OUTCOME_STATUSES = {"missed": "NO_ANSWER", "failed": "FAILED"}

# Tests put a transport here that routes requests to the emulator in-process; ``sleep`` is how a 429 waits.
provider_transport: httpx.AsyncBaseTransport | None = None
sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


class HubSpotNotConfigured(Forbidden):
    """HubSpot is not set up on this AVA server."""

    code = "crm_not_configured"


@dataclass(frozen=True)
class HubSpotEndpoints:
    """Where HubSpot's OAuth and API live, and AVA's HubSpot app there."""

    authorize_url: str
    api_url: str
    client_id: str
    client_secret: str = field(repr=False)
    sandbox: bool


@dataclass(frozen=True)
class HubSpotTokens:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime


def endpoints(*, settings: Settings | None = None) -> HubSpotEndpoints:
    """HubSpot's endpoints in the current mode; ``HubSpotNotConfigured`` in prod without an app."""
    settings = settings or get_settings()
    sandboxed = not (settings.hubspot_client_id and settings.hubspot_client_secret)
    if sandboxed:
        if not settings.emulators_served:
            raise HubSpotNotConfigured()
        client_id, client_secret = sandbox_app(settings)
        base = settings.public_url + routes.SANDBOX_HUBSPOT
        return HubSpotEndpoints(
            authorize_url=base + "/oauth/authorize",
            api_url=base,
            client_id=client_id,
            client_secret=client_secret,
            sandbox=True,
        )
    return HubSpotEndpoints(
        authorize_url=settings.hubspot_app_url + "/oauth/authorize",
        api_url=settings.hubspot_api_url,
        client_id=settings.hubspot_client_id,
        client_secret=settings.hubspot_client_secret,
        sandbox=False,
    )


def sandbox_app(settings: Settings | None = None) -> tuple[str, str]:
    """This installation's OAuth app on the HubSpot emulator (client id, secret), random, made on first use."""
    return _sandbox_app_in(Path((settings or get_settings()).data_dir).resolve())


@lru_cache(maxsize=8)
def _sandbox_app_in(data_dir: Path) -> tuple[str, str]:
    from ava_app.private_files import kept_secret

    def make() -> str:
        return json.dumps({"client_id": secrets.token_hex(18), "client_secret": secrets.token_hex(18)})

    raw = json.loads(kept_secret(data_dir / SANDBOX_KEYS_FILE, make=make))
    return raw["client_id"], raw["client_secret"]


def redirect_uri() -> str:
    """The OAuth callback registered with HubSpot (AVA's public URL + the callback route)."""
    return get_settings().public_url + routes.CRM_HUBSPOT_CALLBACK


def authorization_url(points: HubSpotEndpoints, *, state: str, language: str = "en") -> str:
    """HubSpot's install/consent page for AVA's app, carrying ``state``."""
    return prepare_grant_uri(
        points.authorize_url,
        points.client_id,
        "code",
        redirect_uri=redirect_uri(),
        scope=" ".join(SCOPES),
        state=state,
        locale="fr" if language == "fr" else "en",
    )


async def exchange_code(points: HubSpotEndpoints, *, code: str) -> HubSpotTokens:
    """Trade the callback's code for tokens; a refused code is ``CrmRejected``."""
    body = prepare_token_request("authorization_code", redirect_uri=redirect_uri(), code=code)
    return await _token_request(points, body)


async def refresh(points: HubSpotEndpoints, *, refresh_token: str) -> HubSpotTokens:
    """A fresh access token; ``CrmAuthRevoked`` when HubSpot answers ``BAD_REFRESH_TOKEN``."""
    return await _token_request(points, prepare_token_request("refresh_token", refresh_token=refresh_token))


async def revoke(points: HubSpotEndpoints, *, refresh_token: str) -> bool:
    """Ask HubSpot to forget a refresh token (best effort)."""
    try:
        async with _http(points) as http:
            answer = await http.delete(f"/oauth/v1/refresh-tokens/{refresh_token}")
    except httpx.HTTPError:
        return False
    return answer.status_code in (200, 204)


async def _token_request(points: HubSpotEndpoints, body: str) -> HubSpotTokens:
    form = dict(url_decode(body))
    form.update(client_id=points.client_id, client_secret=points.client_secret)
    try:
        async with _http(points) as http:
            answer = await http.post("/oauth/v1/token", data=form)
    except httpx.HTTPError as exc:
        raise ProviderUnavailable("HubSpot cannot be reached.", code="crm_unavailable") from exc
    if answer.status_code == 429 or answer.status_code >= 500:
        raise ProviderUnavailable("HubSpot cannot be reached.", code="crm_unavailable")
    data = _json(answer)
    status = str(data.get("status") or "")
    if status == "BAD_REFRESH_TOKEN":
        raise CrmAuthRevoked(reason="bad_refresh_token")
    if answer.status_code != 200 or "access_token" not in data:
        raise CrmRejected("HubSpot refused the connection.", code="crm_code_refused", reason=status)
    return HubSpotTokens(
        access_token=str(data["access_token"]),
        refresh_token=str(data.get("refresh_token") or ""),
        expires_at=utcnow() + timedelta(seconds=int(data.get("expires_in") or 1800)),
    )


def _http(points: HubSpotEndpoints, *, token: str | None = None) -> httpx.AsyncClient:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.AsyncClient(base_url=points.api_url, transport=provider_transport, timeout=TIMEOUT, headers=headers)


def _json(answer: httpx.Response) -> dict[str, Any]:
    try:
        data = answer.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _retry_after(answer: httpx.Response) -> float:
    try:
        return max(0.0, float(answer.headers.get("retry-after", "10")))
    except ValueError:
        return 10.0


def _ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


class AccessTokenRejected(Exception):
    """A 401 from the CRM API: the caller refreshes (OAuth) or marks the connection broken (private-app token)."""


class HubSpotClient:
    """AVA's writes to one HubSpot account with one access token (OAuth or private app)."""

    def __init__(self, points: HubSpotEndpoints, *, access_token: str) -> None:
        self.points = points
        self._token = access_token

    async def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        waited = 0
        while True:
            try:
                async with _http(self.points, token=self._token) as http:
                    answer = await http.request(method, path, json=body)
            except httpx.HTTPError as exc:
                raise ProviderUnavailable("HubSpot cannot be reached.", code="crm_unavailable") from exc
            if answer.status_code == 429:
                delay = _retry_after(answer)
                if delay <= INLINE_WAIT_MAX and waited < INLINE_RATE_LIMIT_RETRIES:
                    waited += 1
                    await sleep(delay)
                    continue
                raise CrmRateLimited(delay)
            if answer.status_code == 401:
                raise AccessTokenRejected()
            if answer.status_code >= 500:
                raise ProviderUnavailable("HubSpot is failing.", code="crm_unavailable", status=answer.status_code)
            if answer.status_code >= 400:
                data = _json(answer)
                raise CrmRejected(
                    str(data.get("message") or "HubSpot refused the request.")[:300],
                    status=answer.status_code,
                    category=str(data.get("category") or ""),
                )
            return _json(answer)

    async def account(self) -> AccountInfo:
        data = await self._request("GET", "/account-info/v3/details")
        portal = str(data.get("portalId") or "")
        domain = str(data.get("uiDomain") or "app.hubspot.com")
        return AccountInfo(account_id=portal, label=f"{portal} ({domain})" if portal else domain)

    async def _search_one(self, object_type: str, filters: list[dict[str, Any]]) -> str | None:
        data = await self._request(
            "POST",
            f"/crm/v3/objects/{object_type}/search",
            {"filterGroups": [{"filters": filters}], "properties": ["hs_object_id"], "limit": 1},
        )
        results = data.get("results") or []
        return str(results[0]["id"]) if results else None

    async def upsert_contact(self, *, phone: str | None, email: str | None, name: str | None) -> str:
        """The contact with this phone (else this email), updated with what AVA learnt; created when none."""
        found = None
        if phone:
            found = await self._search_one("contacts", [{"propertyName": "phone", "operator": "EQ", "value": phone}])
        if found is None and email:
            found = await self._search_one("contacts", [{"propertyName": "email", "operator": "EQ", "value": email}])
        properties: dict[str, str] = {}
        if phone:
            properties["phone"] = phone
        if email:
            properties["email"] = email
        if name:
            first, _, last = name.strip().partition(" ")
            properties["firstname"] = first
            if last:
                properties["lastname"] = last
        if found is not None:
            if properties:
                await self._request("PATCH", f"/crm/v3/objects/contacts/{found}", {"properties": properties})
            return found
        properties.setdefault("lifecyclestage", "lead")
        created = await self._request("POST", "/crm/v3/objects/contacts", {"properties": properties})
        return str(created["id"])

    async def find_logged_call(self, *, call: CallForCrm) -> str | None:
        return await self._search_one(
            "calls", [{"propertyName": "hs_call_title", "operator": "EQ", "value": call_title(call)}]
        )

    async def log_call(self, *, contact_id: str | None, call: CallForCrm) -> str:
        body = f"{call.summary}\n\n{call.link}".strip()
        properties = {
            "hs_timestamp": _ms(call.started_at),
            "hs_call_title": call_title(call),
            "hs_call_body": body,
            "hs_call_direction": "INBOUND",
            "hs_call_status": OUTCOME_STATUSES.get(call.outcome, "COMPLETED"),
            "hs_call_duration": str(max(0, call.duration_seconds) * 1000),
            "hs_call_from_number": call.caller_phone or "",
            "hs_call_to_number": call.business_phone or "",
        }
        created = await self._request(
            "POST",
            "/crm/v3/objects/calls",
            {"properties": properties, "associations": _to_contact(contact_id, CALL_TO_CONTACT)},
        )
        return str(created["id"])

    async def find_task(self, *, call: CallForCrm) -> str | None:
        return await self._search_one(
            "tasks", [{"propertyName": "hs_task_subject", "operator": "EQ", "value": task_subject(call)}]
        )

    async def create_task(self, *, contact_id: str | None, call: CallForCrm) -> str:
        properties = {
            "hs_timestamp": _ms(call.started_at + timedelta(days=1)),
            "hs_task_subject": task_subject(call),
            "hs_task_body": f"{call.action_text}\n\n{call.link}".strip(),
            "hs_task_status": "NOT_STARTED",
            "hs_task_priority": "HIGH",
            "hs_task_type": "CALL",
        }
        created = await self._request(
            "POST",
            "/crm/v3/objects/tasks",
            {"properties": properties, "associations": _to_contact(contact_id, TASK_TO_CONTACT)},
        )
        return str(created["id"])

    async def find_meeting(self, *, booking: BookingForCrm) -> str | None:
        return await self._search_one(
            "meetings", [{"propertyName": "hs_meeting_title", "operator": "EQ", "value": meeting_title(booking)}]
        )

    async def create_meeting(self, *, contact_id: str | None, booking: BookingForCrm) -> str:
        created = await self._request(
            "POST",
            "/crm/v3/objects/meetings",
            {"properties": _meeting_properties(booking), "associations": _to_contact(contact_id, MEETING_TO_CONTACT)},
        )
        return str(created["id"])

    async def update_meeting(self, *, meeting_id: str, booking: BookingForCrm) -> None:
        """The meeting's times and outcome as the booking is now (moved, or ``CANCELED``)."""
        await self._request(
            "PATCH", f"/crm/v3/objects/meetings/{meeting_id}", {"properties": _meeting_properties(booking)}
        )


def meeting_title(booking: BookingForCrm) -> str:
    """The meeting's title in HubSpot; it carries AVA's reference, which is how a retried job finds it."""
    return f"{booking.title} [{booking.reference}]"


def _meeting_properties(booking: BookingForCrm) -> dict[str, str]:
    return {
        "hs_timestamp": _ms(booking.start),
        "hs_meeting_title": meeting_title(booking),
        "hs_meeting_body": booking.link,
        "hs_meeting_start_time": _ms(booking.start),
        "hs_meeting_end_time": _ms(booking.end),
        "hs_meeting_outcome": "CANCELED" if booking.cancelled else "SCHEDULED",
    }


def call_title(call: CallForCrm) -> str:
    """The call's title in HubSpot; it carries AVA's reference, which is how a retried job finds it."""
    return f"{OUTCOME_TITLES.get(call.outcome, 'Call')} [{call.reference}]"


def task_subject(call: CallForCrm) -> str:
    return f"Call back [{call.reference}]"


def _to_contact(contact_id: str | None, type_id: int) -> list[dict[str, Any]]:
    """The association to the caller's contact; none for a caller AVA could not identify (withheld number)."""
    if not contact_id:
        return []
    return [
        {"to": {"id": contact_id}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]}
    ]

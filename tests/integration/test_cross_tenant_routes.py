"""Every tenant-scoped route of /api/v1, called by organisation B's admin with organisation A's ids: 404 or 403.

The routes come from the app itself, and every one must be classified below, so a new route fails
``test_every_route_is_classified`` until the sweep covers it:

- ``PUBLIC_ROUTES``: no session at all (credentials, a token from an email or a provider's signature are the input);
- ``DOWNLOAD_ROUTES``: a signed link is the credential; B's links for A's calls are tried in their own test;
- ``ID_ROUTES``: a path (or body) names a row; every attempt carries one of A's ids and must be refused;
- ``OWN_ROUTES``: the tenant is the caller's and nothing in the request names another, except where a filter or body
  field is given A's ids on purpose; B calls each one and nothing of A may come back.

Each route is called through the ASGI app as B's admin, by session and (id routes) by admin API key; afterwards A's
rows are compared column by column with a snapshot taken before (``snapshot`` in the state isolation tests).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import routing
from sqlmodel import select

from ava_app.api.app import create_api
from ava_app.models import Call, CrmConnection, WebhookEndpoint
from ava_app.services import (
    api_keys,
    assistants,
    call_blocking,
    data_exports,
    download_links,
    rate_limits,
    webhooks_out,
)
from ava_app.services.calls import CallFilters
from ava_app.services.credentials import encrypt_text
from tests.unit.test_assistants import TENANT_TWILIO_SID, TENANT_TWILIO_TOKEN, providers
from tests.unit.test_state_tenant_isolation import (
    A_DESK_NUMBER,
    SHARED_TWILIO_NUMBER,
    Organisation,
    assert_unchanged,
    build_organisation_a,
    build_organisation_b,
    leaked_markers,
    snapshot,
)

__all__ = ["providers"]


@dataclass
class Attempt:
    """One request: path parameters, JSON body, query; ``expect`` is the set of statuses it may answer."""

    path: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    query: dict[str, Any] = field(default_factory=dict)
    expect: frozenset[int] | None = None
    check: Callable[[httpx.Response], None] | None = None


REFUSED = frozenset({403, 404})

PUBLIC_ROUTES = {
    ("POST", "/api/v1/webhooks/vapi"),
    ("POST", "/api/v1/webhooks/twilio/voice"),
    ("POST", "/api/v1/webhooks/twilio/status"),
    ("POST", "/api/v1/webhooks/twilio/sms"),
    ("POST", "/api/v1/webhooks/stripe"),
    ("POST", "/api/v1/auth/signup"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/magic-link/send"),
    ("POST", "/api/v1/auth/magic-link/verify"),
    ("POST", "/api/v1/auth/sms/send"),
    ("POST", "/api/v1/auth/sms/verify"),
    ("POST", "/api/v1/auth/verify-email"),
    ("POST", "/api/v1/auth/forgot-password"),
    ("POST", "/api/v1/auth/reset-password"),
    ("POST", "/api/v1/team/invites/preview"),
    ("POST", "/api/v1/team/invites/accept-signup"),
    # The login's single-use cookie grant is the credential (tests/integration/test_browser_session.py).
    ("POST", "/api/v1/auth/browser-session"),
    ("DELETE", "/api/v1/auth/browser-session"),
    # Browser navigations: the login cookie starts an attempt bound to the session, organisation and browser; the
    # provider's state and that binding finish it (tests/integration/test_calendar_connections_api.py).
    ("GET", "/api/v1/calendar/{provider}/connect"),
    ("GET", "/api/v1/calendar/{provider}/callback"),
    # Sign in with Google / Microsoft: browser navigations whose credential is the provider's verified answer in the
    # browser that started it; linking is bound to the login session (tests/integration/test_sign_in_providers_api.py,
    # test_an_organisation_cannot_touch_another_users_provider_accounts).
    ("GET", "/api/v1/auth/oidc/{provider}/start"),
    ("GET", "/api/v1/auth/oidc/{provider}/callback"),
    # The same for HubSpot's OAuth (tests/integration/test_hubspot_connect_api.py).
    ("GET", "/api/v1/crm/hubspot/connect"),
    ("GET", "/api/v1/crm/hubspot/callback"),
}
DOWNLOAD_ROUTES = {
    ("GET", "/api/v1/downloads/recording/{call_id}"),
    ("GET", "/api/v1/downloads/call/{call_id}.{fmt}"),
    ("GET", "/api/v1/downloads/calls.{fmt}"),
    ("GET", "/api/v1/downloads/export/{export_id}.zip"),
    # A summary email's "Block this caller" link (test_block_links_of_organisation_b_never_block_for_organisation_a).
    ("GET", "/api/v1/block-caller"),
    ("POST", "/api/v1/block-caller"),
}


def _versions_b_lacks(a: Organisation, b: Organisation, db) -> list[Attempt]:
    # Version numbers count per assistant: only those B's assistant does not have name A's versions alone.
    own = {row.version for row in assistants.list_versions(db, principal=b.principal)}
    return [Attempt({"version": version}) for version in a.versions if version not in own]


def _configure_attempts(a: Organisation, b: Organisation, _db) -> list[Attempt]:
    taken = [Attempt({"number_id": n}, json={"label": "Taken", "assistant_id": b.assistant_id}) for n in a.number_ids]
    # B's own number routed to A's assistant: the body names A's row, and the answer is a field error.
    routed = Attempt({"number_id": b.number_ids[0]}, json={"assistant_id": a.assistant_id}, expect=frozenset({422}))
    return [*taken, routed]


def _endpoints_of(a: Organisation, db) -> list[Attempt]:
    # A's webhook endpoint is made by the sweep itself, before its snapshot.
    rows = db.exec(select(WebhookEndpoint.id).where(WebhookEndpoint.tenant_id == a.tenant_id)).all()
    return [Attempt({"endpoint_id": endpoint_id}) for endpoint_id in rows]


ID_ROUTES: dict[tuple[str, str], Callable[[Organisation, Organisation, Any], list[Attempt]]] = {
    ("DELETE", "/api/v1/webhook-endpoints/{endpoint_id}"): lambda a, b, db: _endpoints_of(a, db),
    ("POST", "/api/v1/webhook-endpoints/{endpoint_id}/test"): lambda a, b, db: _endpoints_of(a, db),
    ("GET", "/api/v1/webhook-endpoints/{endpoint_id}/deliveries"): lambda a, b, db: _endpoints_of(a, db),
    ("DELETE", "/api/v1/auth/sessions/{session_id}"): lambda a, b, db: [
        Attempt({"session_id": s}) for s in a.session_ids
    ],
    ("PATCH", "/api/v1/team/members/{user_id}"): lambda a, b, db: [
        Attempt({"user_id": user_id}, json={"role": role}) for user_id in a.user_ids for role in ("admin", "viewer")
    ],
    ("DELETE", "/api/v1/team/members/{user_id}"): lambda a, b, db: [Attempt({"user_id": u}) for u in a.user_ids],
    ("DELETE", "/api/v1/team/invites/{invite_id}"): lambda a, b, db: [Attempt({"invite_id": i}) for i in a.invite_ids],
    ("POST", "/api/v1/orgs/{tenant_id}/switch"): lambda a, b, db: [Attempt({"tenant_id": a.tenant_id})],
    ("DELETE", "/api/v1/api-keys/{key_id}"): lambda a, b, db: [Attempt({"key_id": k}) for k in a.api_key_ids],
    ("GET", "/api/v1/calls/{call_id}"): lambda a, b, db: [Attempt({"call_id": c}) for c in a.call_ids],
    ("DELETE", "/api/v1/calls/{call_id}"): lambda a, b, db: [Attempt({"call_id": c}) for c in a.call_ids],
    ("POST", "/api/v1/calls/{call_id}/action-done"): lambda a, b, db: [
        Attempt({"call_id": c}, query={"done": done}) for c in a.call_ids for done in ("true", "false")
    ],
    ("POST", "/api/v1/ava-profiles/versions/{version}/restore"): _versions_b_lacks,
    ("POST", "/api/v1/phone-numbers/{number_id}/configure"): _configure_attempts,
    ("DELETE", "/api/v1/phone-numbers/{number_id}"): lambda a, b, db: [Attempt({"number_id": n}) for n in a.number_ids],
    # Platform admins only: an organisation's admin is refused whatever the event.
    ("POST", "/api/v1/admin/dead-letters/{event_id}/retry"): lambda a, b, db: [
        Attempt({"event_id": event_id}, expect=frozenset({403})) for event_id in (1, 2**31 - 1)
    ],
}


def _no_items(response: httpx.Response) -> None:
    assert response.json()["items"] == [], response.text


def _no_endpoints(response: httpx.Response) -> None:
    assert response.json() == [], response.text


def _header_only(response: httpx.Response) -> None:
    assert response.text.startswith("id,") and exported_ids(response.text, "csv") == [], response.text


def _key_of_a_unused(response: httpx.Response) -> None:
    # B saved no OpenAI key: the test must ask for one, never fall back on A's.
    assert response.json()["ok"] is False and "Enter the api key" in response.json()["message"], response.text


def _no_calendar(response: httpx.Response) -> None:
    assert [item["connected"] for item in response.json()] == [False, False], response.text


def _connect_hubspot(db, a: Organisation) -> None:
    db.add(
        CrmConnection(
            tenant_id=a.tenant_id,
            provider="hubspot",
            auth_kind="token",
            account="alpha portal",
            access_token_encrypted=encrypt_text("pat-na1-alpha"),
        )
    )
    db.commit()


def _no_crm(response: httpx.Response) -> None:
    assert response.json()["connected"] is False and "alpha" not in response.text, response.text


def _shared_number_not_in_b(response: httpx.Response) -> None:
    assert [(n["phone_number"], n["in_ava"]) for n in response.json()["numbers"]] == [(SHARED_TWILIO_NUMBER, False)]


def _shared_number_skipped(response: httpx.Response) -> None:
    body = response.json()
    assert body["imported"] == [] and [skip["phone_number"] for skip in body["skipped"]] == [SHARED_TWILIO_NUMBER]


def _a_filters(a: Organisation) -> dict[str, Any]:
    return {"phone_number_id": a.number_ids[1], "assistant_id": a.assistant_id, "ids": ",".join(map(str, a.call_ids))}


TWILIO = {"account_sid": TENANT_TWILIO_SID, "auth_token": TENANT_TWILIO_TOKEN}
# Called in this order; the last ones change or end B's session.
OWN_ROUTES: dict[tuple[str, str], Callable[[Organisation, Organisation], list[Attempt]]] = {
    ("GET", "/api/v1/auth/me"): lambda a, b: [Attempt()],
    ("PATCH", "/api/v1/auth/me"): lambda a, b: [Attempt(json={"name": "Beta Owner"})],
    ("POST", "/api/v1/auth/verify-email/resend"): lambda a, b: [Attempt()],
    ("GET", "/api/v1/auth/sessions"): lambda a, b: [Attempt()],
    # The profile number is the caller's own: a code sent for a number confirms it for the caller only.
    ("POST", "/api/v1/auth/me/phone/send-code"): lambda a, b: [
        Attempt(json={"phone": "+33655507777"}, expect=frozenset({202}))
    ],
    ("POST", "/api/v1/auth/me/phone/confirm"): lambda a, b: [
        Attempt(json={"phone": "+33655507777", "code": "000000"}, expect=frozenset({422}))
    ],
    ("GET", "/api/v1/team/members"): lambda a, b: [Attempt()],
    ("POST", "/api/v1/team/invites"): lambda a, b: [Attempt(json={"email": "baker@beta.example"})],
    ("GET", "/api/v1/team/invites"): lambda a, b: [Attempt()],
    ("POST", "/api/v1/team/invites/accept"): lambda a, b: [
        Attempt(json={"token": "not-an-invitation"}, expect=frozenset({422}))
    ],
    ("GET", "/api/v1/orgs"): lambda a, b: [Attempt()],
    ("GET", "/api/v1/orgs/current/audit"): lambda a, b: [Attempt()],
    ("POST", "/api/v1/api-keys"): lambda a, b: [Attempt(json={"name": "Beta till"})],
    ("GET", "/api/v1/api-keys"): lambda a, b: [Attempt()],
    ("GET", "/api/v1/webhook-endpoints"): lambda a, b: [Attempt(expect=frozenset({200}), check=_no_endpoints)],
    ("POST", "/api/v1/webhook-endpoints"): lambda a, b: [
        Attempt(json={"url": "https://beta.example.com/hook", "event_types": ["call.ended"]}, expect=frozenset({201}))
    ],
    ("GET", "/api/v1/integrations"): lambda a, b: [Attempt()],
    ("GET", "/api/v1/admin/dead-letters"): lambda a, b: [Attempt(expect=frozenset({403}))],
    ("POST", "/api/v1/integrations/{provider}/test"): lambda a, b: [
        Attempt({"provider": "openai"}, json={}, expect=frozenset({200}), check=_key_of_a_unused)
    ],
    ("PUT", "/api/v1/integrations/{provider}"): lambda a, b: [
        Attempt({"provider": "openai"}, json={"api_key": "sk-beta-bakery-0001"}, expect=frozenset({200}))
    ],
    ("DELETE", "/api/v1/integrations/{provider}"): lambda a, b: [
        Attempt({"provider": provider}, expect=frozenset({204})) for provider in ("twilio", "openai")
    ],
    ("GET", "/api/v1/calendar/connections"): lambda a, b: [Attempt(expect=frozenset({200}), check=_no_calendar)],
    ("DELETE", "/api/v1/calendar/connections/{provider}"): lambda a, b: [
        Attempt({"provider": provider}, expect=frozenset({404})) for provider in ("google", "microsoft")
    ],
    # A's HubSpot connection (made before the snapshot) is never shown, replaced or removed through B.
    ("GET", "/api/v1/crm/hubspot"): lambda a, b: [Attempt(expect=frozenset({200}), check=_no_crm)],
    ("PUT", "/api/v1/crm/hubspot/token"): lambda a, b: [
        Attempt(json={"token": "not a token"}, expect=frozenset({422}))
    ],
    ("DELETE", "/api/v1/crm/hubspot"): lambda a, b: [Attempt(expect=frozenset({404}))],
    ("GET", "/api/v1/business/region"): lambda a, b: [Attempt()],
    ("PUT", "/api/v1/business/region"): lambda a, b: [
        Attempt(
            json={"country": "GB", "timezone": "Europe/London", "language": "en", "currency": "GBP"},
            expect=frozenset({200}),
        )
    ],
    ("GET", "/api/v1/me/notifications"): lambda a, b: [Attempt()],
    ("PUT", "/api/v1/me/notifications"): lambda a, b: [Attempt(json={"mode": "action"})],
    ("GET", "/api/v1/calls"): lambda a, b: [
        Attempt(query=_a_filters(a), expect=frozenset({200}), check=_no_items),
        Attempt(query={"q": "ALPHA-TRANSCRIPT"}, expect=frozenset({200}), check=_no_items),
    ],
    ("GET", "/api/v1/calls/export"): lambda a, b: [
        Attempt(query=_a_filters(a), expect=frozenset({200}), check=_header_only)
    ],
    ("GET", "/api/v1/analytics/summary"): lambda a, b: [Attempt(query={"period": p}) for p in ("today", "month")],
    ("GET", "/api/v1/onboarding/industries"): lambda a, b: [Attempt()],
    ("GET", "/api/v1/onboarding/voices"): lambda a, b: [Attempt()],
    ("GET", "/api/v1/onboarding/preset/{industry}"): lambda a, b: [Attempt({"industry": "clinic"})],
    ("GET", "/api/v1/onboarding/progress"): lambda a, b: [Attempt()],
    ("POST", "/api/v1/onboarding/progress"): lambda a, b: [Attempt(json={"step": 2})],
    ("GET", "/api/v1/ava-profiles"): lambda a, b: [Attempt(expect=frozenset({200}))],
    ("POST", "/api/v1/ava-profiles"): lambda a, b: [Attempt(json={"name": "Bella"}, expect=frozenset({200}))],
    ("POST", "/api/v1/ava-profiles/faq/import"): lambda a, b: [Attempt(json={"text": "Q: Sunday?\nA: Until noon."})],
    ("GET", "/api/v1/ava-profiles/versions"): lambda a, b: [Attempt(expect=frozenset({200}))],
    ("POST", "/api/v1/ava-profiles/sync"): lambda a, b: [Attempt()],
    ("POST", "/api/v1/onboarding/complete"): lambda a, b: [Attempt()],
    ("GET", "/api/v1/phone-numbers/available"): lambda a, b: [Attempt(query={"country": "US", "area_code": "415"})],
    ("POST", "/api/v1/phone-numbers/provision"): lambda a, b: [
        # A's number by its digits: it is in use, whoever asks.
        Attempt(json={"kind": "twilio", "country": "US", "phone_number": A_DESK_NUMBER}, expect=frozenset({409}))
    ],
    ("POST", "/api/v1/phone-numbers/twilio/verify"): lambda a, b: [
        Attempt(json=TWILIO, expect=frozenset({200}), check=_shared_number_not_in_b)
    ],
    ("POST", "/api/v1/phone-numbers/twilio/import"): lambda a, b: [
        Attempt(
            json={**TWILIO, "numbers": [SHARED_TWILIO_NUMBER]}, expect=frozenset({200}), check=_shared_number_skipped
        )
    ],
    ("GET", "/api/v1/phone-numbers/my-numbers"): lambda a, b: [Attempt(query={"include_released": "true"})],
    ("POST", "/api/v1/orgs"): lambda a, b: [Attempt(json={"name": "Beta Second Shop"}, expect=frozenset({201}))],
    ("POST", "/api/v1/team/leave"): lambda a, b: [Attempt(expect=frozenset({409}))],
    ("POST", "/api/v1/auth/change-password"): lambda a, b: [
        Attempt(json={"current_password": "not-it-at-all", "new_password": "another-tulip-77"})
    ],
    ("POST", "/api/v1/auth/logout"): lambda a, b: [Attempt(expect=frozenset({204}))],
}


def api_routes(app) -> set[tuple[str, str]]:
    """(method, path) of every /api/v1 route of the app, included routers expanded."""
    found = set()
    for route in routing.iter_route_contexts(app.routes):
        path = route.path or ""
        if path.startswith("/api/v1/"):
            found.update((method, path) for method in route.methods or ())
    return found


def test_every_route_is_classified():
    routes = api_routes(create_api())
    classes = [PUBLIC_ROUTES, DOWNLOAD_ROUTES, set(ID_ROUTES), set(OWN_ROUTES)]
    assert routes - set().union(*classes) == set(), "a new route: add it to the cross-tenant sweep"
    assert set().union(*classes) - routes == set(), "classified routes the app no longer has"
    assert sum(len(group) for group in classes) == len(routes), "a route is classified twice"


@pytest.fixture()
async def client(providers):
    rate_limits.reset_rate_limits()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api()), base_url="http://testserver") as http:
        yield http
    rate_limits.reset_rate_limits()


@pytest.fixture()
def organisations(db, jobs, providers) -> tuple[Organisation, Organisation]:
    return build_organisation_a(db), build_organisation_b(db)


async def _call(client, method: str, path: str, attempt: Attempt, headers: dict) -> httpx.Response:
    url = path.format(**attempt.path)
    return await client.request(method, url, params=attempt.query, json=attempt.json, headers=headers)


def _verdict(method: str, path: str, attempt: Attempt, response: httpx.Response, a: Organisation, allowed) -> None:
    where = (method, path, attempt.path, attempt.query, response.status_code, response.text[:300])
    assert response.status_code in allowed, where
    assert leaked_markers(response.text, a) == [], where
    if attempt.check is not None:
        attempt.check(response)


async def test_organisation_b_cannot_reach_organisation_a_through_any_route(client, engine, db, organisations):
    a, b = organisations
    key_b = api_keys.create_api_key(db, principal=b.principal, name="Beta back office", role="admin")
    webhooks_out.create_endpoint(
        db, principal=a.principal, url="https://alpha-only.example.com/hook", event_types=["call.ended"]
    )
    _connect_hubspot(db, a)
    before = snapshot(engine, a)
    session = {"Authorization": f"Bearer {b.admin.access_token}"}
    key = {"Authorization": f"Bearer {key_b.key}"}

    tried = 0
    for (method, path), attempts in ID_ROUTES.items():
        made = attempts(a, b, db)
        assert made, (method, path)
        for attempt in made:
            for headers in (session, key):
                response = await _call(client, method, path, attempt, headers)
                _verdict(method, path, attempt, response, a, attempt.expect or REFUSED)
                tried += 1

    for (method, path), attempts in OWN_ROUTES.items():
        for attempt in attempts(a, b):
            response = await _call(client, method, path, attempt, session)
            allowed = attempt.expect or set(range(200, 500))
            _verdict(method, path, attempt, response, a, allowed)
            tried += 1

    assert tried > 100
    assert_unchanged(engine, a, before)
    # A still works as before.
    listed = await client.get("/api/v1/calls", headers={"Authorization": f"Bearer {a.admin.access_token}"})
    assert sorted(item["id"] for item in listed.json()["items"]) == sorted(a.call_ids)


async def test_download_links_of_organisation_b_never_open_organisation_a_calls(client, engine, db, organisations):
    a, b = organisations
    number = next(db.get(Call, call_id).caller_number for call_id in a.call_ids if db.get(Call, call_id).caller_number)
    a_exports = [
        data_exports.request_export(db, principal=a.principal, kind="caller", query=number).id,
        data_exports.request_export(db, principal=a.principal, kind="organisation").id,
    ]
    before = snapshot(engine, a)

    def link(kind: str, resource: dict) -> str:
        return download_links.issue_link_token(
            principal=b.principal, kind=kind, resource=resource, ttl=download_links.EXPORT_TTL
        )

    for call_id in a.call_ids:
        # A link B signed for A's call: valid, but the call is looked up inside B.
        recording = await client.get(
            f"/api/v1/downloads/recording/{call_id}", params={"token": link("recording", {"call_id": call_id})}
        )
        assert recording.status_code == 404, recording.text
        for fmt in ("json", "txt"):
            token = link("call", {"call_id": call_id})
            response = await client.get(f"/api/v1/downloads/call/{call_id}.{fmt}", params={"token": token})
            assert response.status_code == 404 and leaked_markers(response.text, a) == [], response.text
        # B's link for B's own call does not open another call by changing the path.
        own = link("call", {"call_id": b.call_ids[0]})
        assert (await client.get(f"/api/v1/downloads/call/{call_id}.json", params={"token": own})).status_code == 401

    # The calls export of a link holding A's ids or A's number: B's matching calls only, i.e. none; no filter: B's.
    for filters, expected in (
        (CallFilters(ids=a.call_ids), []),
        (CallFilters(phone_number_id=a.number_ids[1]), []),
        (CallFilters(), b.call_ids),
    ):
        token = link("calls", {"filters": filters.to_query()})
        for fmt in ("csv", "json"):
            response = await client.get(f"/api/v1/downloads/calls.{fmt}", params={"token": token})
            assert response.status_code == 200 and leaked_markers(response.text, a) == [], response.text
            assert exported_ids(response.text, fmt) == expected

    # A's exports (a caller's and the whole organisation's, ready): a link B signed for their ids finds nothing in
    # B, and B's link for its own export does not open A's by changing the path.
    own_export = data_exports.request_export(db, principal=b.principal, kind="organisation")
    own = link("export", {"export_id": own_export.id})
    for export_id in a_exports:
        response = await client.get(
            f"/api/v1/downloads/export/{export_id}.zip", params={"token": link("export", {"export_id": export_id})}
        )
        assert response.status_code == 404 and leaked_markers(response.text, a) == [], response.text
        response = await client.get(f"/api/v1/downloads/export/{export_id}.zip", params={"token": own})
        assert response.status_code == 401, response.text
    mine = await client.get(f"/api/v1/downloads/export/{own_export.id}.zip", params={"token": own})
    assert mine.status_code == 200
    with zipfile.ZipFile(io.BytesIO(mine.content)) as opened:
        exported = [opened.read(name).decode() for name in opened.namelist() if name.endswith(".json")]
        assert {call["id"] for call in json.loads(opened.read("calls.json"))} == set(b.call_ids)
    assert leaked_markers("".join(exported), a) == []
    assert_unchanged(engine, a, before)


async def test_block_links_of_organisation_b_never_block_for_organisation_a(client, engine, db, organisations):
    a, b = organisations
    before = snapshot(engine, a)
    b_user = b.principal.user_id
    for call_id in a.call_ids:
        # B's member, A's call under B's organisation (the call is not B's), or under A's (B's member is not A's).
        for tenant_id in (b.tenant_id, a.tenant_id):
            token = call_blocking.block_link_token(tenant_id=tenant_id, call_id=call_id, user_id=b_user)
            shown = await client.get("/api/v1/block-caller", params={"token": token})
            done = await client.post("/api/v1/block-caller", data={"token": token})
            for response in (shown, done):
                assert response.status_code == 401 and leaked_markers(response.text, a) == [], response.text
    assert_unchanged(engine, a, before)


def exported_ids(text: str, fmt: str) -> list[int]:
    """The call ids of a calls export, in order."""
    if fmt == "json":
        return [row["id"] for row in json.loads(text)]
    rows = list(csv.DictReader(io.StringIO(text)))
    return [int(row["id"]) for row in rows]

"""The HubSpot emulator: OAuth (``/oauth/authorize`` consent page, ``/oauth/v1/token``), account details, and the
CRM v3 objects AVA writes (contacts, calls, tasks, meetings) with their search and associations.

Paths follow HubSpot's, under one prefix (AVA mounts it at ``/sandbox/hubspot``). Error bodies are HubSpot's
``{"status": "error", "message", "correlationId", "category"}``; OAuth errors are ``{"status": "BAD_REFRESH_TOKEN",
"message"}``. Tests make it answer 429 with ``Retry-After``, 401, 5xx or 4xx, or hang (``fail_next``, ``hang_next``).
See ``docs/contracts/hubspot.md``.
"""

from __future__ import annotations

import asyncio
import html
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

SANDBOX_PORTAL_ID = 9990001
SANDBOX_DOMAIN = "ava-sandbox.hubspot.example"
ACCESS_TOKEN_SECONDS = 1800
CODE_SECONDS = 600
OBJECT_TYPES = ("contacts", "calls", "tasks", "meetings")
# HubSpot-defined association type ids from an engagement to a contact.
ASSOCIATION_TO_CONTACT = {"calls": 194, "tasks": 204, "meetings": 200}
_CATEGORIES = {
    400: "VALIDATION_ERROR",
    401: "INVALID_AUTHENTICATION",
    403: "MISSING_SCOPES",
    404: "OBJECT_NOT_FOUND",
    409: "CONFLICT",
    410: "OBJECT_ALREADY_ARCHIVED",
    429: "RATE_LIMITS",
}
_PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_PAGE_TEXT = {
    "en": {
        "title": "Connect AVA to HubSpot",
        "asks": "AVA wants to access the HubSpot account {account}",
        "scopes": "It will be able to:",
        "scope_contacts": "Read, create and update contacts",
        "scope_activities": "Log calls, tasks and meetings on them",
        "allow": "Connect app",
        "deny": "Cancel",
        "sandbox": "AVA sandbox: no real account is used.",
        "error_title": "This request is not valid",
    },
    "fr": {
        "title": "Connecter AVA à HubSpot",
        "asks": "AVA souhaite accéder au compte HubSpot {account}",
        "scopes": "AVA pourra :",
        "scope_contacts": "lire, créer et modifier les contacts",
        "scope_activities": "y enregistrer des appels, des tâches et des réunions",
        "allow": "Connecter l'application",
        "deny": "Annuler",
        "sandbox": "Bac à sable AVA : aucun compte réel n'est utilisé.",
        "error_title": "Cette demande n'est pas valide",
    },
}


@dataclass
class Grant:
    """One "Connect app": a refresh token alive until revoked."""

    client_id: str
    scope: str
    revoked: bool = False


@dataclass
class HubSpotEmulator:
    """One HubSpot portal: its OAuth app registrations, private-app tokens and CRM records (in memory)."""

    portal_id: int = SANDBOX_PORTAL_ID
    domain: str = SANDBOX_DOMAIN
    clients: dict[str, str] = field(default_factory=dict)  # client_id -> client_secret
    redirect_uris: set[str] = field(default_factory=set)
    private_tokens: set[str] = field(default_factory=set)
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)  # refresh token -> grant
    access_tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # token -> (refresh token, expiry)
    objects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {t: {} for t in OBJECT_TYPES})
    failures: list[tuple[int, float | None]] = field(default_factory=list)
    hangs: list[float] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    _next_id: int = 51000

    # --- what tests (and the dev mount) use

    def register(self, *, client_id: str, client_secret: str, redirect_uri: str | None = None) -> None:
        """Register AVA's OAuth app (and a redirect URI it may use)."""
        self.clients[client_id] = client_secret
        if redirect_uri:
            self.redirect_uris.add(redirect_uri)

    def new_private_app_token(self) -> str:
        """A private-app access token for this portal (HubSpot's start with ``pat-``)."""
        token = f"pat-na1-{uuid.uuid4()}"
        self.private_tokens.add(token)
        return token

    def revoke_all(self) -> None:
        """The portal's admin uninstalls AVA / deletes the private app: every token stops working."""
        for grant in self.grants.values():
            grant.revoked = True
        self.access_tokens.clear()
        self.private_tokens.clear()

    def fail_next(self, *, status: int = 503, times: int = 1, retry_after: float | None = None) -> None:
        """The next ``times`` CRM requests answer ``status`` (with ``Retry-After`` when given)."""
        self.failures.extend([(status, retry_after)] * times)

    def hang_next(self, seconds: float = 30.0, *, times: int = 1) -> None:
        """The next ``times`` CRM requests wait ``seconds`` before answering (the client's timeout fires first)."""
        self.hangs.extend([seconds] * times)

    def records(self, object_type: str) -> list[dict[str, Any]]:
        """The stored objects of ``object_type``, oldest first."""
        return list(self.objects[object_type].values())

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/oauth/authorize", self._authorize, methods=["GET"]),
                Route("/oauth/consent", self._consent, methods=["POST"]),
                Route("/oauth/v1/token", self._token, methods=["POST"]),
                Route("/oauth/v1/refresh-tokens/{token}", self._revoke, methods=["DELETE"]),
                Route("/account-info/v3/details", self._account, methods=["GET"]),
                Route("/crm/v3/objects/{object_type}/search", self._search, methods=["POST"]),
                Route("/crm/v3/objects/{object_type}", self._create, methods=["POST"]),
                Route("/crm/v3/objects/{object_type}/{object_id}", self._object, methods=["GET", "PATCH"]),
            ]
        )

    # --- OAuth

    async def _authorize(self, request: Request) -> Response:
        params = request.query_params
        lang = "fr" if (params.get("locale") or "").lower().startswith("fr") else "en"
        client_id, redirect_uri = params.get("client_id", ""), params.get("redirect_uri", "")
        if client_id not in self.clients or redirect_uri not in self.redirect_uris:
            return self._error_page(lang, "The app or its redirect URL is not registered.")
        request_id = secrets.token_urlsafe(24)
        self.pending[request_id] = {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "state": params.get("state", ""),
            "scope": params.get("scope", ""),
            "expires": time.time() + CODE_SECONDS,
        }
        action = request.url.path.rsplit("/", 1)[0] + "/consent"
        return self._consent_page(lang, request_id, action=action)

    async def _consent(self, request: Request) -> Response:
        form = await request.form()
        pending = self.pending.pop(str(form.get("request", "")), None)
        if pending is None or pending["expires"] <= time.time():
            return self._error_page("en", "This page has expired. Start again.")
        if form.get("decision") != "allow":
            return _redirect(pending["redirect_uri"], {"error": "access_denied", "state": pending["state"]})
        code = secrets.token_hex(18)
        self.codes[code] = pending | {"expires": time.time() + CODE_SECONDS}
        return _redirect(pending["redirect_uri"], {"code": code, "state": pending["state"]})

    async def _token(self, request: Request) -> Response:
        form = await request.form()
        client_id, client_secret = str(form.get("client_id", "")), str(form.get("client_secret", ""))
        if client_id not in self.clients or not secrets.compare_digest(self.clients[client_id], client_secret):
            return JSONResponse({"status": "BAD_CLIENT_ID", "message": "missing or unknown client id"}, 400)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            issued = self.codes.pop(str(form.get("code", "")), None)
            if issued is None or issued["expires"] <= time.time() or issued["client_id"] != client_id:
                return JSONResponse({"status": "BAD_AUTH_CODE", "message": "missing or unknown auth code"}, 400)
            if form.get("redirect_uri") != issued["redirect_uri"]:
                return JSONResponse({"status": "BAD_REDIRECT_URI", "message": "redirect_uri does not match"}, 400)
            refresh = str(uuid.uuid4())
            self.grants[refresh] = Grant(client_id=client_id, scope=issued["scope"])
            return self._tokens(refresh)
        if grant_type == "refresh_token":
            refresh = str(form.get("refresh_token", ""))
            grant = self.grants.get(refresh)
            if grant is None or grant.revoked or grant.client_id != client_id:
                return JSONResponse({"status": "BAD_REFRESH_TOKEN", "message": "missing or unknown refresh token"}, 400)
            return self._tokens(refresh)
        return JSONResponse({"status": "BAD_GRANT_TYPE", "message": "unsupported grant_type"}, 400)

    async def _revoke(self, request: Request) -> Response:
        grant = self.grants.get(request.path_params["token"])
        if grant is None:
            return JSONResponse({"status": "error", "message": "refresh token not found"}, 404)
        grant.revoked = True
        self.access_tokens = {k: v for k, v in self.access_tokens.items() if v[0] != request.path_params["token"]}
        return Response(status_code=204)

    def _tokens(self, refresh: str) -> JSONResponse:
        access = "CO" + secrets.token_urlsafe(40)
        self.access_tokens[access] = (refresh, time.time() + ACCESS_TOKEN_SECONDS)
        return JSONResponse(
            {
                "token_type": "bearer",
                "refresh_token": refresh,
                "access_token": access,
                "expires_in": ACCESS_TOKEN_SECONDS,
            }
        )

    # --- CRM

    async def _gate(self, request: Request) -> Response | None:
        """The answer to send instead of the real one (injected failure, hang, bad token), or None."""
        self.requests.append((request.method, request.url.path))
        if self.hangs:
            await asyncio.sleep(self.hangs.pop(0))
        if self.failures:
            status, retry_after = self.failures.pop(0)
            headers = {"Retry-After": str(int(retry_after))} if retry_after is not None else {}
            message = "You have reached your secondly limit." if status == 429 else "Internal error"
            return _error(status, message, headers=headers)
        header = request.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else ""
        if token in self.private_tokens:
            return None
        entry = self.access_tokens.get(token)
        if entry is not None and not self.grants[entry[0]].revoked:
            if entry[1] > time.time():
                return None
            return _error(401, "The OAuth token used to make this call expired.", category="EXPIRED_AUTHENTICATION")
        return _error(401, "Authentication credentials not found.")

    async def _account(self, request: Request) -> Response:
        if (refused := await self._gate(request)) is not None:
            return refused
        return JSONResponse(
            {
                "portalId": self.portal_id,
                "accountType": "STANDARD",
                "timeZone": "Europe/Paris",
                "companyCurrency": "EUR",
                "uiDomain": "app.hubspot.com",
                "dataHostingLocation": "eu1",
            }
        )

    async def _search(self, request: Request) -> Response:
        if (refused := await self._gate(request)) is not None:
            return refused
        object_type = request.path_params["object_type"]
        if object_type not in OBJECT_TYPES:
            return _error(404, f"Unable to infer object type from: {object_type}")
        body = await request.json()
        groups = body.get("filterGroups") or []
        matches = [
            obj
            for obj in self.objects[object_type].values()
            if not groups or any(all(_matches(obj, f) for f in group.get("filters", [])) for group in groups)
        ]
        limit = int(body.get("limit") or 10)
        return JSONResponse({"total": len(matches), "results": [self._out(obj) for obj in matches[:limit]]})

    async def _create(self, request: Request) -> Response:
        if (refused := await self._gate(request)) is not None:
            return refused
        object_type = request.path_params["object_type"]
        if object_type not in OBJECT_TYPES:
            return _error(404, f"Unable to infer object type from: {object_type}")
        body = await request.json()
        properties = body.get("properties")
        if not isinstance(properties, dict):
            return _error(400, "Invalid input JSON: properties is required")
        if object_type != "contacts" and "hs_timestamp" not in properties:
            return _error(400, "Property values were not valid: hs_timestamp is required")
        if object_type == "contacts" and properties.get("email"):
            for obj in self.objects["contacts"].values():
                if obj["properties"].get("email") == properties["email"]:
                    return _error(409, f"Contact already exists. Existing ID: {obj['id']}")
        associations = []
        for association in body.get("associations") or []:
            target = str((association.get("to") or {}).get("id", ""))
            types = association.get("types") or []
            expected = ASSOCIATION_TO_CONTACT.get(object_type)
            if target not in self.objects["contacts"]:
                return _error(400, f"No contact with id {target} to associate with")
            if not any(t.get("associationTypeId") == expected for t in types):
                return _error(400, f"Association type is not valid for {object_type} to contacts")
            associations.append(target)
        self._next_id += 1
        now = _iso_now()
        obj = {
            "id": str(self._next_id),
            "properties": {str(k): "" if v is None else str(v) for k, v in properties.items()},
            "createdAt": now,
            "updatedAt": now,
            "archived": False,
            "contacts": associations,
        }
        self.objects[object_type][obj["id"]] = obj
        return JSONResponse(self._out(obj), status_code=201)

    async def _object(self, request: Request) -> Response:
        if (refused := await self._gate(request)) is not None:
            return refused
        object_type, object_id = request.path_params["object_type"], request.path_params["object_id"]
        obj = self.objects.get(object_type, {}).get(object_id)
        if obj is None:
            return _error(404, "resource not found")
        if request.method == "PATCH":
            body = await request.json()
            obj["properties"].update({str(k): "" if v is None else str(v) for k, v in body["properties"].items()})
            obj["updatedAt"] = _iso_now()
        return JSONResponse(self._out(obj))

    def _out(self, obj: dict[str, Any]) -> dict[str, Any]:
        out = {key: obj[key] for key in ("id", "properties", "createdAt", "updatedAt", "archived")}
        out["properties"] = dict(obj["properties"]) | {"hs_object_id": obj["id"]}
        return out

    # --- pages

    def _consent_page(self, lang: str, request_id: str, *, action: str) -> HTMLResponse:
        text = {key: value.format(account=self.domain) for key, value in _PAGE_TEXT[lang].items()}
        e = html.escape
        body = f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(text["title"])}</title>
<style>
body{{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f5f8fa;color:#33475b}}
main{{max-width:460px;margin:48px auto;padding:32px;background:#fff;border:1px solid #cbd6e2;border-radius:4px}}
h1{{font-size:22px;margin:0 0 12px}} p,li{{font-size:15px;line-height:1.5}} .account{{overflow-wrap:anywhere}}
.actions{{display:flex;gap:12px;justify-content:flex-end;margin-top:24px;flex-wrap:wrap}}
button{{font-size:15px;padding:10px 20px;border-radius:3px;cursor:pointer;border:1px solid #cbd6e2;background:#fff}}
button.allow{{background:#ff7a59;color:#fff;border-color:#ff7a59}} .note{{color:#7c98b6;font-size:13px}}
@media (max-width:480px){{main{{margin:0;border:0;padding:24px 16px}}}}
</style></head>
<body><main>
<h1>{e(text["title"])}</h1>
<p class="account">{e(text["asks"])}</p>
<p>{e(text["scopes"])}</p>
<ul><li>{e(text["scope_contacts"])}</li><li>{e(text["scope_activities"])}</li></ul>
<form method="post" action="{e(action)}">
<input type="hidden" name="request" value="{e(request_id)}">
<div class="actions">
<button type="submit" name="decision" value="deny">{e(text["deny"])}</button>
<button type="submit" name="decision" value="allow" class="allow">{e(text["allow"])}</button>
</div></form>
<p class="note">{e(text["sandbox"])}</p>
</main></body></html>"""
        return HTMLResponse(body, headers={"Cache-Control": "no-store", "Content-Security-Policy": _PAGE_POLICY})

    def _error_page(self, lang: str, description: str) -> HTMLResponse:
        e = html.escape
        title = _PAGE_TEXT[lang]["error_title"]
        return HTMLResponse(
            f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{e(title)}</title></head>'
            f"<body><main><h1>{e(title)}</h1><p>{e(description)}</p></main></body></html>",
            status_code=400,
        )


def _matches(obj: dict[str, Any], flt: dict[str, Any]) -> bool:
    value = obj["properties"].get(str(flt.get("propertyName", "")))
    operator = flt.get("operator", "EQ")
    if operator == "EQ":
        return value is not None and value.lower() == str(flt.get("value", "")).lower()
    if operator == "HAS_PROPERTY":
        return bool(value)
    return False


def _error(
    status: int, message: str, *, headers: dict[str, str] | None = None, category: str | None = None
) -> JSONResponse:
    body = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category or _CATEGORIES.get(status, "INTERNAL_ERROR"),
    }
    return JSONResponse(body, status_code=status, headers=headers)


def _redirect(uri: str, params: dict[str, str]) -> RedirectResponse:
    separator = "&" if "?" in uri else "?"
    return RedirectResponse(uri + separator + urlencode({k: v for k, v in params.items() if v}), status_code=302)


def _iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

"""/api/v1/crm/hubspot: connect the organisation's HubSpot (OAuth install page, or a private-app token), see it,
disconnect it.

``connect`` and ``callback`` are browser navigations, like the calendar connections': ``connect`` sets a short-lived
``SameSite=Lax`` cookie binding the attempt to this browser and sends it to HubSpot's install page; ``callback``
finishes the connection (``services.crm.connections.complete_oauth``) and lands on the settings page.
"""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from ava_app import routes
from ava_app.api.auth_deps import AdminUserDep
from ava_app.api.deps import SessionDep
from ava_app.services import browser_sessions
from ava_app.services.crm import connections
from ava_app.services.crm.connections import CrmConnectionOut
from ava_app.services.errors import DomainError, NotFound, Unauthorized
from ava_app.settings import get_settings

router = APIRouter(prefix="/crm/hubspot", tags=["crm"])

BINDING_COOKIE = "ava_crm_connect"


class TokenIn(BaseModel):
    """A HubSpot private app's access token."""

    token: str = Field(min_length=1, max_length=500)


def _settings_page(**query: str) -> RedirectResponse:
    response = RedirectResponse(routes.with_query(routes.SETTINGS_INTEGRATIONS, **query), status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


def _cookie_settings() -> dict:
    return {
        "key": BINDING_COOKIE,
        "httponly": True,
        "samesite": "lax",
        "secure": get_settings().public_url.startswith("https://"),
        "path": routes.api("/crm/hubspot"),
    }


@router.get("")
def get_hubspot(principal: AdminUserDep, session: SessionDep) -> CrmConnectionOut:
    """The organisation's HubSpot connection: connected or broken, with which account (never a token)."""
    return connections.get_connection(session, principal=principal)


@router.put("/token")
def connect_hubspot_token(body: TokenIn, principal: AdminUserDep, session: SessionDep) -> CrmConnectionOut:
    """Connect with a private-app token (checked against HubSpot first; 422 when HubSpot refuses it)."""
    return connections.connect_with_token(session, principal=principal, token=body.token)


@router.delete("", status_code=204)
def disconnect_hubspot(principal: AdminUserDep, session: SessionDep) -> None:
    """Forget the organisation's HubSpot connection; 404 when none."""
    if not connections.disconnect(session, principal=principal):
        raise NotFound("HubSpot is not connected.", code="crm_not_connected")


@router.get("/connect", include_in_schema=False)
def connect_hubspot(request: Request, session: SessionDep, lang: str = "en") -> Response:
    """Send an admin's browser to HubSpot's install page (login cookie required, admins only)."""
    token = browser_sessions.token_from_cookie_header(request.headers.get("cookie", ""))
    try:
        principal = browser_sessions.authenticate_browser(session, token=token)
        start = connections.begin_oauth(session, principal=principal, language=lang[:5])
    except Unauthorized:
        return RedirectResponse(routes.with_query(routes.LOGIN, next=routes.SETTINGS_INTEGRATIONS), status_code=303)
    except DomainError as error:
        return _settings_page(crm_error=error.code)
    response = RedirectResponse(start.authorize_url, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    response.set_cookie(value=start.binding, max_age=int(connections.CONNECT_TTL.total_seconds()), **_cookie_settings())
    return response


@router.get("/callback", include_in_schema=False)
async def hubspot_callback(request: Request, session: SessionDep) -> Response:
    """Where HubSpot sends the browser back: finish the connection, or say why it did not happen."""
    params = request.query_params
    state, code, binding = params.get("state", ""), params.get("code", ""), request.cookies.get(BINDING_COOKIE, "")
    if params.get("error") or not code:
        with contextlib.suppress(DomainError):
            await run_in_threadpool(connections.claim_attempt, session, state=state, binding=binding)
        response = _settings_page(crm_error="crm_denied" if params.get("error") == "access_denied" else "crm_failed")
    else:
        browser_session_id = await run_in_threadpool(_browser_session_id, session, request)
        try:
            await run_in_threadpool(
                connections.complete_oauth,
                session,
                state=state,
                binding=binding,
                code=code,
                browser_session_id=browser_session_id,
            )
            response = _settings_page(crm="connected")
        except DomainError as error:
            response = _settings_page(crm_error=error.code)
    settings = _cookie_settings()
    response.delete_cookie(
        settings["key"], path=settings["path"], secure=settings["secure"], httponly=True, samesite="lax"
    )
    return response


def _browser_session_id(session, request: Request) -> int | None:
    token = browser_sessions.token_from_cookie_header(request.headers.get("cookie", ""))
    if not token:
        return None
    try:
        return browser_sessions.authenticate_browser(session, token=token).session_id
    except DomainError:
        return None

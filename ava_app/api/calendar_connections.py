"""/api/v1/calendar: connect an organisation's Google or Microsoft 365 calendar (OAuth 2.0 + PKCE), list, disconnect.

``connect`` and ``callback`` are browser navigations, not API calls: ``connect`` is opened from the settings page
(same site, so the ``SameSite=Strict`` login cookie comes with it) and answers with a redirect to the provider's
consent page, after setting a short-lived ``SameSite=Lax`` cookie that binds the attempt to this browser (the
provider's redirect back is cross-site, where the login cookie is not sent). ``callback`` checks the attempt
(``services.calendar_connections.complete_connect``) and lands on the settings page, which says what happened.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from ava_app import routes
from ava_app.api.auth_deps import AdminUserDep
from ava_app.api.deps import SessionDep
from ava_app.services import browser_sessions, calendar_connections
from ava_app.services.calendar_connections import CalendarConnectionOut
from ava_app.services.errors import DomainError, NotFound, Unauthorized
from ava_app.services.providers.calendar_oauth import PROVIDERS
from ava_app.settings import get_settings

router = APIRouter(prefix=routes.CALENDAR_CONNECTIONS, tags=["calendar"])

BINDING_COOKIE = "ava_calendar_connect"
# Where the provider's answer may land besides the settings page (``?then=`` on connect, kept in a cookie).
RETURN_COOKIE = "ava_calendar_then"
RETURN_PAGES = {"onboarding": routes.ONBOARDING}


def _settings_page(*, then: str = "", **query: str) -> RedirectResponse:
    page = RETURN_PAGES.get(then, routes.SETTINGS_INTEGRATIONS)
    response = RedirectResponse(routes.with_query(page, **query), status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


def _binding_cookie_settings() -> dict:
    return {
        "key": BINDING_COOKIE,
        "httponly": True,
        "samesite": "lax",
        "secure": get_settings().public_url.startswith("https://"),
        "path": routes.api(routes.CALENDAR_CONNECTIONS),
    }


@router.get("/connections")
def list_calendar_connections(principal: AdminUserDep, session: SessionDep) -> list[CalendarConnectionOut]:
    """Google and Microsoft 365: whether each is offered, connected or broken, and with which account."""
    return calendar_connections.list_connections(session, principal=principal)


@router.delete("/connections/{provider}", status_code=204)
def disconnect_calendar(provider: str, principal: AdminUserDep, session: SessionDep) -> None:
    """Forget the organisation's calendar of ``provider`` (revoking AVA's access at Google); 404 when none."""
    if not calendar_connections.disconnect(session, principal=principal, provider=provider):
        raise NotFound("No calendar of this provider is connected.", code="calendar_not_connected")


@router.get("/{provider}/connect", include_in_schema=False)
def connect_calendar(
    provider: str, request: Request, session: SessionDep, lang: str = "en", then: str = ""
) -> Response:
    """Send an admin's browser to the provider's consent page (login cookie required, admins only).

    ``then`` ("onboarding") brings the browser back to that page instead of the settings page."""
    then = then if then in RETURN_PAGES else ""
    if provider not in PROVIDERS:
        return _settings_page(then=then, calendar_error="calendar_provider_unknown")
    token = browser_sessions.token_from_cookie_header(request.headers.get("cookie", ""))
    try:
        principal = browser_sessions.authenticate_browser(session, token=token)
        start = calendar_connections.begin_connect(session, principal=principal, provider=provider, language=lang[:5])
    except Unauthorized:
        return RedirectResponse(routes.with_query(routes.LOGIN, next=routes.SETTINGS_INTEGRATIONS), status_code=303)
    except DomainError as error:
        return _settings_page(then=then, calendar_error=error.code)
    response = RedirectResponse(start.authorize_url, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    max_age = int(calendar_connections.CONNECT_TTL.total_seconds())
    response.set_cookie(value=start.binding, max_age=max_age, **_binding_cookie_settings())
    if then:
        response.set_cookie(value=then, max_age=max_age, **{**_binding_cookie_settings(), "key": RETURN_COOKIE})
    return response


@router.get("/{provider}/callback", include_in_schema=False)
async def calendar_callback(provider: str, request: Request, session: SessionDep) -> Response:
    """Where the provider sends the browser back: finish the connection, or say why it did not happen."""
    params = request.query_params
    state, code, binding = params.get("state", ""), params.get("code", ""), request.cookies.get(BINDING_COOKIE, "")
    then = request.cookies.get(RETURN_COOKIE, "")
    then = then if then in RETURN_PAGES else ""
    if provider not in PROVIDERS:
        response = _settings_page(then=then, calendar_error="calendar_provider_unknown")
    elif params.get("error") or not code:
        await run_in_threadpool(
            calendar_connections.abandon_connect, session, provider=provider, state=state, binding=binding
        )
        denied = params.get("error") == "access_denied"
        response = _settings_page(then=then, calendar_error="calendar_denied" if denied else "calendar_provider_error")
    else:
        browser_session_id = await run_in_threadpool(_browser_session_id, session, request)
        try:
            await run_in_threadpool(
                calendar_connections.complete_connect,
                session,
                provider=provider,
                state=state,
                binding=binding,
                code=code,
                browser_session_id=browser_session_id,
            )
            response = _settings_page(then=then, calendar="connected", provider=provider)
        except DomainError as error:
            response = _settings_page(then=then, calendar_error=error.code)
    settings = _binding_cookie_settings()
    for key in (settings["key"], RETURN_COOKIE):
        response.delete_cookie(key, path=settings["path"], secure=settings["secure"], httponly=True, samesite="lax")
    return response


def _browser_session_id(session, request: Request) -> int | None:
    """The login session of the browser's own session cookie, when it sent a live one."""
    token = browser_sessions.token_from_cookie_header(request.headers.get("cookie", ""))
    if not token:
        return None
    try:
        return browser_sessions.authenticate_browser(session, token=token).session_id
    except DomainError:
        return None

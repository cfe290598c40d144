"""/api/v1/auth/oidc: "Continue with Google / Microsoft" (OpenID Connect), and linking one from settings.

``start`` and ``callback`` are browser navigations. ``start`` sets a short-lived ``SameSite=Lax`` cookie that binds
the attempt to this browser (the provider's redirect back is cross-site, where the ``Strict`` login cookie is not
sent) and sends the browser to the provider. ``callback`` verifies the answer (``services.sign_in_providers``)
and sends the browser to the page that finishes: the login page (a linked account signs in there; an account whose
address is already AVA's waits there for a login in this browser), the signup page (a new account), or the
security settings (linking). No token ever travels in a URL: the pages read the binding cookie.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from ava_app import routes
from ava_app.api.auth_deps import client_ip
from ava_app.api.deps import SessionDep
from ava_app.services import browser_sessions, sign_in_providers
from ava_app.services.errors import DomainError, Unauthorized
from ava_app.services.providers.oidc import PROVIDERS
from ava_app.settings import get_settings

router = APIRouter(prefix=routes.SIGN_IN_PROVIDERS, tags=["auth"], include_in_schema=False)

BINDING_COOKIE = "ava_sign_in"
# Long enough for the login link emailed when the address already has an account.
COOKIE_SECONDS = 15 * 60


def binding_cookie_settings() -> dict:
    """The binding cookie: httpOnly, sent on the provider's top-level redirect back (Lax), on every path (the
    login and signup pages' connections read it)."""
    return {
        "key": BINDING_COOKIE,
        "httponly": True,
        "samesite": "lax",
        "secure": get_settings().public_url.startswith("https://"),
        "path": "/",
    }


def forget_binding(response: Response) -> None:
    settings = binding_cookie_settings()
    response.delete_cookie(
        settings["key"], path=settings["path"], secure=settings["secure"], httponly=True, samesite="lax"
    )


def _page(path: str, **query: str) -> RedirectResponse:
    response = RedirectResponse(routes.with_query(path, **query), status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/{provider}/start")
def start_sign_in(
    provider: str, request: Request, session: SessionDep, intent: str = "login", lang: str = "en"
) -> Response:
    """Send the browser to the provider's sign-in page (``intent``: login, signup, or link for a logged-in user)."""
    back = routes.SETTINGS_SECURITY if intent == "link" else (routes.SIGNUP if intent == "signup" else routes.LOGIN)
    if provider not in PROVIDERS or intent not in sign_in_providers.INTENTS:
        return _page(back, signin_error="sign_in_refused")
    principal = None
    try:
        if intent == "link":
            token = browser_sessions.token_from_cookie_header(request.headers.get("cookie", ""))
            principal = browser_sessions.authenticate_browser(session, token=token)
        begun = sign_in_providers.begin(
            session, provider=provider, intent=intent, principal=principal, language=lang[:5]
        )
    except Unauthorized:
        return _page(routes.LOGIN, next=routes.SETTINGS_SECURITY)
    except DomainError as error:
        return _page(back, signin_error=error.code)
    response = RedirectResponse(begun.authorize_url, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    response.set_cookie(value=begun.binding, max_age=COOKIE_SECONDS, **binding_cookie_settings())
    return response


@router.get("/{provider}/callback")
async def sign_in_callback(provider: str, request: Request, session: SessionDep) -> Response:
    """Where the provider sends the browser back: verify, then hand over to the page that finishes."""
    params = request.query_params
    state, code = params.get("state", ""), params.get("code", "")
    binding = request.cookies.get(BINDING_COOKIE, "")
    if provider not in PROVIDERS:
        response = _page(routes.LOGIN, signin_error="sign_in_refused")
        forget_binding(response)
        return response
    if params.get("error") or not code:
        await run_in_threadpool(sign_in_providers.abandon, session, provider=provider, state=state, binding=binding)
        error = "sign_in_cancelled" if params.get("error") == "access_denied" else "sign_in_refused"
        response = _page(routes.LOGIN, signin_error=error)
        forget_binding(response)
        return response
    try:
        outcome, intent = await run_in_threadpool(
            sign_in_providers.complete,
            session,
            provider=provider,
            state=state,
            binding=binding,
            code=code,
            ip=client_ip(request),
        )
    except DomainError as error:
        intent = str(error.details.get("intent") or "login")
        response = _page(routes.SETTINGS_SECURITY if intent == "link" else routes.LOGIN, signin_error=error.code)
        forget_binding(response)
        return response
    if outcome == sign_in_providers.LINKED:
        response = _page(routes.SETTINGS_SECURITY, linked=provider)
        forget_binding(response)
        return response
    return _page(routes.SIGNUP if outcome == sign_in_providers.NEW else routes.LOGIN, signin="1")

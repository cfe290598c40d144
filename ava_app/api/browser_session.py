"""/api/v1/auth/browser-session: the web app's login cookie, set and cleared by HTTP (scripts cannot read it).

The web app's login events hand the page a one-minute, single-use grant; posting it here sets the httpOnly session
cookie (``services.browser_sessions``). API clients use bearer tokens and never need these routes.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, Field

from ava_app import routes
from ava_app.api.auth_deps import client_ip
from ava_app.api.deps import SessionDep
from ava_app.api.sign_in_providers import BINDING_COOKIE, forget_binding
from ava_app.services import browser_sessions, sign_in_providers

router = APIRouter(prefix=routes.BROWSER_SESSION, tags=["auth"], include_in_schema=False)


class GrantIn(BaseModel):
    grant: str = Field(max_length=2000)


@router.post("", status_code=status.HTTP_204_NO_CONTENT)
def open_browser_session(body: GrantIn, request: Request, session: SessionDep) -> Response:
    """Exchange the login's cookie grant for the httpOnly session cookie; 401 when the grant is not valid.

    A Google or Microsoft account waiting in this browser for proof of this very account (its address was the
    account's) is linked now: the login just made is that proof.
    """
    token = browser_sessions.redeem_cookie_grant(session, grant=body.grant)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.set_cookie(value=token, **browser_sessions.cookie_settings())
    binding = request.cookies.get(BINDING_COOKIE, "")
    if binding:
        principal = browser_sessions.authenticate_browser(session, token=token)
        assert principal.user_id is not None, "a browser session is a user's"
        sign_in_providers.link_after_login(
            session, binding=binding, user_id=principal.user_id, tenant_id=principal.tenant_id, ip=client_ip(request)
        )
        forget_binding(response)
    return response


@router.delete("", status_code=status.HTTP_204_NO_CONTENT)
def clear_browser_session() -> Response:
    """Remove the session cookie (the logout event has already ended the session on the server)."""
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    settings = browser_sessions.cookie_settings()
    response.delete_cookie(
        settings["key"], path="/", secure=settings["secure"], httponly=True, samesite=settings["samesite"]
    )
    return response

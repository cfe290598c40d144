"""/api/v1/auth/browser-session: the web app's login cookie, set and cleared by HTTP (scripts cannot read it).

The web app's login events hand the page a one-minute, single-use grant; posting it here sets the httpOnly session
cookie (``services.browser_sessions``). API clients use bearer tokens and never need these routes.
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from ava_app import routes
from ava_app.api.deps import SessionDep
from ava_app.services import browser_sessions

router = APIRouter(prefix=routes.BROWSER_SESSION, tags=["auth"], include_in_schema=False)


class GrantIn(BaseModel):
    grant: str = Field(max_length=2000)


@router.post("", status_code=status.HTTP_204_NO_CONTENT)
def open_browser_session(body: GrantIn, session: SessionDep) -> Response:
    """Exchange the login's cookie grant for the httpOnly session cookie; 401 when the grant is not valid."""
    token = browser_sessions.redeem_cookie_grant(session, grant=body.grant)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.set_cookie(value=token, **browser_sessions.cookie_settings())
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

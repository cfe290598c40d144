"""The browser's login: an httpOnly session cookie that no script on the page can read.

Reflex keeps a tab's state on the server and talks to it over one websocket, whose handshake carries the page's
cookies; Reflex passes those headers to every event and never serialises the cookie back to the page. So the browser
needs no token in local storage: a login event opens an AuthSession and hands the page a **cookie grant** (a signed,
60-second, single-use reference to that session); the page posts it to ``/api/v1/auth/browser-session``, whose
answer sets the ``ava_sid`` cookie (HttpOnly, SameSite=Strict, Secure on https) holding a random token stored hashed
on the session; the page then reloads, and every event of the new websocket is authenticated from that cookie.

What a script injected into a page could take is therefore at most a grant already redeemed, and the Reflex tab id:
no event runs for it without the cookie (events are authenticated from the connection's cookie, not the tab id),
though a connection presenting it may be sent what that tab's state last held, until Reflex expires the state.
API clients keep bearer access tokens (15 minutes) and rotating refresh tokens.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from http.cookies import CookieError, SimpleCookie

import jwt
from sqlalchemy import update
from sqlmodel import Session, col

from ava_app.models import AuthSession, utcnow
from ava_app.services.accounts import principal_for_browser_token
from ava_app.services.errors import Unauthorized
from ava_app.services.principal import Principal
from ava_app.services.tokens import SESSION_MAX_AGE, hash_secret, new_secret
from ava_app.settings import get_settings

COOKIE_NAME = "ava_sid"
GRANT_AUDIENCE = "ava-browser-grant"
GRANT_TTL = timedelta(seconds=60)
ALGORITHM = "HS256"


def _grant_key() -> bytes:
    return hmac.new(get_settings().secret_key.encode(), b"ava-browser-cookie-grant", hashlib.sha256).digest()


def issue_cookie_grant(*, session_id: int, user_id: int) -> str:
    """A signed grant for the page to exchange, once and within a minute, for the session cookie."""
    now = utcnow()
    payload = {
        "aud": GRANT_AUDIENCE,
        "sid": session_id,
        "sub": str(user_id),
        "iat": int(now.timestamp()),
        "exp": int((now + GRANT_TTL).timestamp()),
    }
    return jwt.encode(payload, _grant_key(), algorithm=ALGORITHM)


def redeem_cookie_grant(session: Session, *, grant: str) -> str:
    """The new browser token of the grant's session; Unauthorized if the grant is forged, expired or used.

    Single use: the token is set only while the session has none, in one conditional UPDATE, so a grant replayed by
    anyone (even within its minute) gets nothing.
    """
    refused = Unauthorized("This sign-in has expired. Please log in again.", code="session_ended")
    try:
        claims = jwt.decode(
            grant, _grant_key(), algorithms=[ALGORITHM], audience=GRANT_AUDIENCE, options={"require": ["exp", "sid"]}
        )
        session_id, user_id = int(claims["sid"]), int(claims["sub"])
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        raise refused from None
    token = new_secret("bs_")
    claimed = session.exec(
        update(AuthSession)
        .where(
            col(AuthSession.id) == session_id,
            col(AuthSession.user_id) == user_id,
            col(AuthSession.browser_token_hash).is_(None),
            col(AuthSession.revoked_at).is_(None),
        )
        .values(browser_token_hash=hash_secret(token))
    )
    session.commit()
    if claimed.rowcount != 1:
        raise refused
    return token


def token_from_cookie_header(cookie_header: str) -> str:
    """The session cookie's value in a ``Cookie`` header ('' when absent or unparsable)."""
    if not cookie_header:
        return ""
    jar = SimpleCookie()
    try:
        jar.load(cookie_header)
    except CookieError:
        return ""
    morsel = jar.get(COOKIE_NAME)
    return morsel.value if morsel is not None else ""


def authenticate_browser(session: Session, *, token: str) -> Principal:
    """The Principal of the session whose cookie is ``token``; its idle expiry slides, never past the maximum age."""
    if not token:
        raise Unauthorized(code="session_ended")
    return principal_for_browser_token(session, token_hash=hash_secret(token))


def cookie_settings() -> dict:
    """How the session cookie is set: unreadable by scripts, never sent cross-site, https-only behind https."""
    return {
        "key": COOKIE_NAME,
        "httponly": True,
        "samesite": "strict",
        "secure": get_settings().public_url.startswith("https://"),
        "path": "/",
        "max_age": int(SESSION_MAX_AGE.total_seconds()),
    }

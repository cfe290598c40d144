"""The web app's login cookie: a single-use grant becomes an httpOnly cookie that authenticates the tab's events.

Before, the browser kept the access and refresh tokens in local storage, where any script on AVA's origin could read
them (the recording-link XSS handed them to an attacker). Now no token is readable by a script.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import jwt
import pytest

from ava_app.api.app import create_api
from ava_app.models import AuthSession, as_utc, utcnow
from ava_app.services import accounts, browser_sessions, rate_limits
from ava_app.services.errors import Unauthorized
from ava_app.services.tokens import SESSION_MAX_AGE

PASSWORD = "tulip-garage-42"


@pytest.fixture()
async def client(engine):
    rate_limits.reset_rate_limits()
    transport = httpx.ASGITransport(app=create_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture()
def login(db):
    return accounts.signup(
        db, name="Owner", email="owner@cookie.example", password=PASSWORD, organisation_name="Cookie Bakery"
    )


def _grant(login) -> str:
    return browser_sessions.issue_cookie_grant(session_id=login.session_id, user_id=login.user_id)


async def test_a_grant_sets_an_httponly_strict_cookie_that_authenticates(client, db, login):
    response = await client.post("/api/v1/auth/browser-session", json={"grant": _grant(login)})
    assert response.status_code == 204
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith("ava_sid=bs_")
    assert "HttpOnly" in set_cookie and "SameSite=strict" in set_cookie and "Path=/" in set_cookie
    token = response.cookies["ava_sid"]
    principal = browser_sessions.authenticate_browser(db, token=token)
    assert (principal.user_id, principal.tenant_id, principal.role) == (login.user_id, login.tenant_id, "admin")
    # Stored hashed only.
    assert db.get(AuthSession, login.session_id).browser_token_hash not in (None, token)


async def test_a_grant_works_once(client, login):
    grant = _grant(login)
    assert (await client.post("/api/v1/auth/browser-session", json={"grant": grant})).status_code == 204
    replay = await client.post("/api/v1/auth/browser-session", json={"grant": grant})
    assert replay.status_code == 401 and "set-cookie" not in replay.headers


async def test_forged_expired_and_foreign_grants_are_refused(client, login):
    now = utcnow()
    forged = jwt.encode(
        {
            "aud": browser_sessions.GRANT_AUDIENCE,
            "sid": login.session_id,
            "sub": str(login.user_id),
            "exp": int((now + timedelta(minutes=1)).timestamp()),
        },
        "another-key-entirely-0123456789abcdef",
        algorithm="HS256",
    )
    expired = jwt.encode(
        {
            "aud": browser_sessions.GRANT_AUDIENCE,
            "sid": login.session_id,
            "sub": str(login.user_id),
            "exp": int((now - timedelta(seconds=1)).timestamp()),
        },
        browser_sessions._grant_key(),
        algorithm="HS256",
    )
    # A grant naming someone else's session for this user id, or an access token passed off as a grant.
    other_user = browser_sessions.issue_cookie_grant(session_id=login.session_id, user_id=login.user_id + 1)
    for grant in (forged, expired, other_user, login.access_token, "", "x" * 500):
        response = await client.post("/api/v1/auth/browser-session", json={"grant": grant})
        assert response.status_code == 401, grant
        assert "set-cookie" not in response.headers


async def test_logout_ends_the_cookie_and_the_route_clears_it(client, db, login):
    token = browser_sessions.redeem_cookie_grant(db, grant=_grant(login))
    principal = browser_sessions.authenticate_browser(db, token=token)
    accounts.logout(db, principal=principal)
    with pytest.raises(Unauthorized):
        browser_sessions.authenticate_browser(db, token=token)
    cleared = await client.delete("/api/v1/auth/browser-session")
    assert cleared.status_code == 204 and 'ava_sid=""' in cleared.headers["set-cookie"]
    assert "Max-Age=0" in cleared.headers["set-cookie"]


def test_the_cookie_session_slides_but_never_past_its_maximum_age(db, login):
    token = browser_sessions.redeem_cookie_grant(db, grant=_grant(login))
    auth_session = db.get(AuthSession, login.session_id)
    started = utcnow() - SESSION_MAX_AGE + timedelta(days=2)
    auth_session.created_at = auth_session.last_seen_at = started
    auth_session.expires_at = utcnow() + timedelta(hours=1)
    db.add(auth_session)
    db.commit()
    browser_sessions.authenticate_browser(db, token=token)  # idle for long: the expiry slides...
    db.expire_all()
    slid = as_utc(db.get(AuthSession, login.session_id).expires_at)
    assert slid == as_utc(started) + SESSION_MAX_AGE  # ...to the maximum age, not a week on
    auth_session = db.get(AuthSession, login.session_id)
    auth_session.expires_at = utcnow() - timedelta(seconds=1)
    db.add(auth_session)
    db.commit()
    with pytest.raises(Unauthorized):
        browser_sessions.authenticate_browser(db, token=token)


@pytest.mark.parametrize(
    ("header", "value"),
    [("", ""), ("ava_sid=bs_abc", "bs_abc"), ("theme=dark; ava_sid=bs_x; other=1", "bs_x"), ('bad"cookie', "")],
)
def test_the_cookie_is_read_from_the_connection_header(header, value):
    assert browser_sessions.token_from_cookie_header(header) == value


def test_unknown_or_empty_cookies_are_refused(db):
    for token in ("", "bs_not-a-session"):
        with pytest.raises(Unauthorized):
            browser_sessions.authenticate_browser(db, token=token)

"""The session check that runs on every event of every tab: one query, and every refusal it had in 3-4."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from ava_app.models import AuthSession, Membership, as_utc, utcnow
from ava_app.services import accounts, browser_sessions
from ava_app.services.errors import Unauthorized
from ava_app.services.tokens import SESSION_MAX_AGE
from tests.factories import make_tenant, make_user
from tests.statements import statements


@pytest.fixture()
def signed_in(db):
    """(user, tenant, AuthSession, browser cookie) of a member signed in on a browser."""
    tenant = make_tenant(db)
    user = make_user(db, tenant=tenant, role="editor")
    login = accounts.start_session(db, user=user, ip="198.51.100.7", user_agent="pytest", tenant_id=tenant.id)
    grant = browser_sessions.issue_cookie_grant(session_id=login.session_id, user_id=user.id)
    cookie = browser_sessions.redeem_cookie_grant(db, grant=grant)
    return user, tenant, db.get(AuthSession, login.session_id), cookie


def test_a_live_session_is_checked_in_one_query(db, engine, signed_in):
    user, tenant, _auth, cookie = signed_in
    with statements(engine) as seen:
        principal = browser_sessions.authenticate_browser(db, token=cookie)
    assert len(seen) == 1, seen
    assert (principal.user_id, principal.tenant_id, principal.role) == (user.id, tenant.id, "editor")
    assert principal.is_platform_admin is False


def test_the_access_token_path_is_one_query_too(db, engine, signed_in):
    user, tenant, auth, _cookie = signed_in
    with statements(engine) as seen:
        principal = accounts.principal_for_session(db, session_id=auth.id, user_id=user.id)
    assert len(seen) == 1, seen
    assert principal.tenant_id == tenant.id
    with pytest.raises(Unauthorized):
        accounts.principal_for_session(db, session_id=auth.id, user_id=user.id + 1000)


def _change(db, row, **values) -> None:
    for name, value in values.items():
        setattr(row, name, value)
    db.add(row)
    db.commit()


@pytest.mark.parametrize(
    "end",
    ["revoked", "idle_expired", "past_max_age", "user_disabled", "unknown_cookie", "empty_cookie"],
)
def test_every_ended_session_is_refused(db, signed_in, end):
    user, _tenant, auth, cookie = signed_in
    now = utcnow()
    if end == "revoked":
        _change(db, auth, revoked_at=now)
    elif end == "idle_expired":
        _change(db, auth, expires_at=now - timedelta(seconds=1))
    elif end == "past_max_age":
        _change(db, auth, created_at=now - SESSION_MAX_AGE - timedelta(seconds=1))
    elif end == "user_disabled":
        _change(db, user, is_active=False)
    token = {"unknown_cookie": "bs_not-a-session", "empty_cookie": ""}.get(end, cookie)
    with pytest.raises(Unauthorized):
        browser_sessions.authenticate_browser(db, token=token)


def test_a_removed_member_keeps_the_session_but_no_organisation(db, signed_in):
    user, tenant, _auth, cookie = signed_in
    membership = db.exec(select(Membership).where(Membership.user_id == user.id)).one()
    db.delete(membership)
    db.commit()
    principal = browser_sessions.authenticate_browser(db, token=cookie)
    assert (principal.user_id, principal.tenant_id, principal.role) == (user.id, None, None)


def test_the_expiry_slides_only_once_it_is_worth_a_write(db, engine, signed_in):
    _user, _tenant, auth, cookie = signed_in
    browser_sessions.authenticate_browser(db, token=cookie)
    db.refresh(auth)
    first_expiry = auth.expires_at
    with statements(engine) as seen:
        browser_sessions.authenticate_browser(db, token=cookie)
    assert not any(sql.lstrip().upper().startswith("UPDATE") for sql in seen), seen

    stale = utcnow() - accounts.LAST_SEEN_PRECISION - timedelta(minutes=1)
    _change(db, auth, last_seen_at=stale, expires_at=stale + timedelta(days=1))
    with statements(engine) as seen:
        browser_sessions.authenticate_browser(db, token=cookie)
    assert [sql for sql in seen if sql.lstrip().upper().startswith("UPDATE")], seen
    db.refresh(auth)
    assert as_utc(auth.expires_at) >= as_utc(first_expiry)
    assert as_utc(auth.last_seen_at) > stale


def test_the_slide_never_passes_the_maximum_age(db, signed_in):
    _user, _tenant, auth, cookie = signed_in
    created = utcnow() - SESSION_MAX_AGE + timedelta(hours=1)
    stale = utcnow() - accounts.LAST_SEEN_PRECISION - timedelta(minutes=1)
    _change(db, auth, created_at=created, last_seen_at=stale)
    browser_sessions.authenticate_browser(db, token=cookie)
    db.refresh(auth)
    assert abs((as_utc(auth.expires_at) - (created + SESSION_MAX_AGE)).total_seconds()) < 1

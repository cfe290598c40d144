"""Sign in with Google and Microsoft through the routes, like a browser: start, the emulator's identity picker,
callback, and the page's finish (the service the login and signup pages call with the browser's binding cookie).

The emulators are the ones AVA mounts in dev; AVA's server-side calls (token, discovery, JWKS) reach them through the
same ASGI app. The takeover attempts are here: a provider account that claims someone else's address gets nothing.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlmodel import select

from ava_app.api.app import create_api
from ava_app.models import AuditLog, AuthSession, Outbox, SignInAttempt, User, UserIdentity
from ava_app.sandbox import calendars
from ava_app.services import accounts, browser_sessions, rate_limits, sign_in_providers
from ava_app.services.errors import Forbidden, Unauthorized
from ava_app.services.messaging.outbox import open_bodies
from ava_app.services.providers import calendar_oauth, oidc
from ava_app.services.providers.oidc import SignInRefused
from ava_app.settings import get_settings

PASSWORD = "tulip-garage-42"
PROVIDERS = ["google", "microsoft"]


@pytest.fixture()
def api(engine):
    rate_limits.reset_rate_limits()
    calendars.google_emulator.cache_clear()
    calendars.microsoft_emulator.cache_clear()
    oidc.forget_cached_metadata()
    app = create_api()
    calendar_oauth.provider_transport = httpx.ASGITransport(app=app)
    yield app
    calendar_oauth.provider_transport = None
    oidc.forget_cached_metadata()


@asynccontextmanager
async def browser(api, login=None) -> AsyncIterator[httpx.AsyncClient]:
    """A browser, logged in as ``login`` when given (the httpOnly session cookie set through the grant)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url=get_settings().public_url) as tab:
        if login is not None:
            await open_session(tab, login)
        yield tab


async def open_session(tab: httpx.AsyncClient, login) -> httpx.Response:
    grant = browser_sessions.issue_cookie_grant(session_id=login.session_id, user_id=login.user_id)
    answer = await tab.post("/api/v1/auth/browser-session", json={"grant": grant})
    assert answer.status_code == 204, answer.text
    return answer


async def continue_with(
    tab: httpx.AsyncClient,
    provider: str,
    *,
    email: str,
    verified: bool = True,
    account: str = "",
    intent: str = "login",
    lang: str = "en",
) -> httpx.Response:
    """Click "Continue with …", fill the emulator's identity picker, and follow the provider back to AVA."""
    started = await tab.get(f"/api/v1/auth/oidc/{provider}/start", params={"intent": intent, "lang": lang})
    assert started.status_code == 303, started.text
    picker = await tab.get(started.headers["location"])
    assert picker.status_code == 200 and 'name="email"' in picker.text, picker.text
    action = re.search(r'<form method="post" action="([^"]+)"', picker.text)
    request_id = re.search(r'name="request" value="([^"]+)"', picker.text)
    assert action and request_id
    form = {"request": request_id.group(1), "decision": "allow", "email": email, "name": "Ana", "subject": account}
    if verified:
        form["email_verified"] = "1"
    back = await tab.post(action.group(1), data=form)
    assert back.status_code == 302, back.text
    callback = urlsplit(back.headers["location"])
    return await tab.get(callback.path, params={k: v[0] for k, v in parse_qs(callback.query).items()})


def landed(response: httpx.Response) -> tuple[str, dict[str, str]]:
    assert response.status_code == 303, response.text
    target = urlsplit(response.headers["location"])
    return target.path, {key: values[0] for key, values in parse_qs(target.query).items()}


def binding(tab: httpx.AsyncClient) -> str:
    return tab.cookies.get("ava_sign_in") or ""


def link_token(message: Outbox) -> str:
    """The one-time token in an email's link."""
    found = re.search(r"token=([\w-]+)", open_bodies(message)[0])
    assert found, "the email carries a link"
    return found.group(1)


def login_links_to(db, address: str) -> list[Outbox]:
    """The login-link emails sent to ``address``."""
    return [
        row for row in db.exec(select(Outbox).where(Outbox.to == address)).all() if "/verify?" in open_bodies(row)[0]
    ]


def audits(db, action: str) -> list[AuditLog]:
    db.expire_all()
    return list(db.exec(select(AuditLog).where(AuditLog.action == action)).all())


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_new_account_signs_up_with_the_provider_then_signs_in_with_it(api, db, provider):
    async with browser(api) as tab:
        started = await tab.get(f"/api/v1/auth/oidc/{provider}/start", params={"intent": "signup"})
        cookie = started.headers["set-cookie"]
        assert cookie.startswith("ava_sign_in=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
        query = parse_qs(urlsplit(started.headers["location"]).query)
        assert query["scope"] == ["openid email profile"] and query["nonce"] and query["state"]
        assert query["code_challenge_method"] == ["S256"]

        path, params = landed(await continue_with(tab, provider, email="ana@salon-neuf.example", intent="signup"))
        assert (path, params) == ("/signup", {"signin": "1"})
        waiting = sign_in_providers.pending(db, binding=binding(tab))
        assert waiting is not None and (waiting.outcome, waiting.email, waiting.email_verified) == (
            "new",
            "ana@salon-neuf.example",
            True,
        )
        result = sign_in_providers.sign_up(
            db, binding=binding(tab), name="", organisation_name="Salon Neuf", industry="salon", locale="fr"
        )
    user = db.get(User, result.user_id)
    assert user is not None and user.password_hash is None and user.email_verified_at is not None
    assert (user.email, user.name, user.locale) == ("ana@salon-neuf.example", "Ana", "fr")
    assert result.tenant_id is not None and accounts.role_in(db, user_id=user.id, tenant_id=result.tenant_id) == "admin"
    identity = db.exec(select(UserIdentity)).one()
    assert (identity.user_id, identity.provider, identity.email) == (user.id, provider, "ana@salon-neuf.example")
    assert [row.detail for row in audits(db, "signup")] == [{"method": provider}]
    assert db.exec(select(Outbox).where(Outbox.to == user.email)).all() == []  # verified by the provider

    async with browser(api) as tab:
        path, params = landed(await continue_with(tab, provider, email="ana@salon-neuf.example"))
        assert (path, params) == ("/login", {"signin": "1"})
        again = sign_in_providers.sign_in(db, binding=binding(tab), ip="203.0.113.9")
        with pytest.raises(SignInRefused):  # the attempt is used up
            sign_in_providers.sign_in(db, binding=binding(tab))
    assert again.user_id == user.id and again.session_id != result.session_id
    assert [row.detail for row in audits(db, "login_succeeded")] == [{"method": provider}]
    # The session is an ordinary one: its refresh token rotates, and a reused one ends the session.
    rotated = accounts.refresh_tokens(db, refresh_token=again.refresh_token)
    assert rotated.session_id == again.session_id and rotated.refresh_token != again.refresh_token
    with pytest.raises(Unauthorized):
        accounts.refresh_tokens(db, refresh_token=again.refresh_token)


async def test_an_unverified_address_signs_up_and_is_asked_to_verify(api, db):
    async with browser(api) as tab:
        landed(await continue_with(tab, "microsoft", email="bo@garage.example", verified=False, intent="signup"))
        result = sign_in_providers.sign_up(db, binding=binding(tab), name="Bo", organisation_name="Garage Bo")
    user = db.get(User, result.user_id)
    assert user is not None and user.email_verified_at is None
    sent = db.exec(select(Outbox).where(Outbox.to == "bo@garage.example")).all()
    assert len(sent) == 1 and "/verify-email" in open_bodies(sent[0])[0]
    # Proving the mailbox from another browser undoes what was set up before it, the linked account included.
    accounts.verify_email(db, token=link_token(sent[0]))
    assert db.exec(select(UserIdentity)).all() == []


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_provider_account_claiming_someone_elses_address_gets_nothing(api, db, provider):
    victim = accounts.signup(
        db, name="Vic", email="vic@clinic.example", password=PASSWORD, organisation_name="Clinique Vic"
    )
    victim_user = db.get(User, victim.user_id)
    victim_user.email_verified_at = victim_user.created_at
    db.add(victim_user)
    db.commit()
    sessions_before = len(db.exec(select(AuthSession)).all())
    mallory = accounts.signup(db, name="Mal", email="mal@evil.example", password=PASSWORD, organisation_name="Evil Ltd")

    async with browser(api) as attacker:
        # The attacker's provider account says the victim's address is verified (a Microsoft tenant they run, or
        # the emulator's picker): AVA does not sign them in, it emails the victim a login link instead.
        path, params = landed(await continue_with(attacker, provider, email="vic@clinic.example", account="mallory"))
        assert (path, params) == ("/login", {"signin": "1"})
        waiting = sign_in_providers.pending(db, binding=binding(attacker))
        assert waiting is not None and waiting.outcome == "confirm_link"
        with pytest.raises(SignInRefused):
            sign_in_providers.sign_in(db, binding=binding(attacker))
        with pytest.raises(SignInRefused):
            sign_in_providers.sign_up(db, binding=binding(attacker), name="x", organisation_name="x")
        # Logging in as their own account in that browser links nothing to anyone.
        await open_session(attacker, mallory)
    [link_mail] = login_links_to(db, "vic@clinic.example")

    # The victim opens the login link in their own browser: they are signed in, nothing is linked.
    async with browser(api) as own:
        await open_session(own, accounts.login_with_magic_link(db, token=link_token(link_mail)))
    assert db.exec(select(UserIdentity)).all() == []
    assert audits(db, "identity_linked") == []
    assert {row.user_id for row in db.exec(select(AuthSession)).all()} <= {victim.user_id, mallory.user_id}
    assert len(db.exec(select(AuthSession).where(AuthSession.user_id == victim.user_id)).all()) == sessions_before + 1

    # And the attacker's next try still only reaches the login page.
    async with browser(api) as attacker:
        path, _ = landed(await continue_with(attacker, provider, email="vic@clinic.example", account="mallory"))
        assert path == "/login"
        with pytest.raises(SignInRefused):
            sign_in_providers.sign_in(db, binding=binding(attacker))


@pytest.mark.parametrize("proof", ["password", "magic_link"])
async def test_the_owner_links_the_provider_by_logging_in_in_the_same_browser(api, db, proof):
    owner = accounts.signup(db, name="Ana", email="ana@salon.example", password=PASSWORD, organisation_name="Salon")
    user = db.get(User, owner.user_id)
    user.email_verified_at = user.created_at
    db.add(user)
    db.commit()
    async with browser(api) as tab:
        landed(await continue_with(tab, "google", email="ana@salon.example"))
        if proof == "password":
            login = accounts.login(db, email="ana@salon.example", password=PASSWORD)
        else:
            [mail] = login_links_to(db, "ana@salon.example")
            login = accounts.login_with_magic_link(db, token=link_token(mail))
        answer = await open_session(tab, login)
        assert 'ava_sign_in=""' in answer.headers.get("set-cookie", "")  # the binding is spent
    identity = db.exec(select(UserIdentity)).one()
    assert (identity.user_id, identity.provider) == (owner.user_id, "google")
    assert [row.detail["proof"] for row in audits(db, "identity_linked")] == ["login"]

    async with browser(api) as tab:
        landed(await continue_with(tab, "google", email="ana@salon.example"))
        assert sign_in_providers.sign_in(db, binding=binding(tab)).user_id == owner.user_id


async def test_an_unverified_address_of_an_existing_account_is_refused(api, db):
    accounts.signup(db, name="Ana", email="ana@salon.example", password=PASSWORD, organisation_name="Salon")
    async with browser(api) as tab:
        path, params = landed(await continue_with(tab, "microsoft", email="ana@salon.example", verified=False))
        assert (path, params) == ("/login", {"signin_error": "sign_in_email_taken"})
        assert sign_in_providers.pending(db, binding=binding(tab)) is None
    assert db.exec(select(SignInAttempt)).all() == []
    assert login_links_to(db, "ana@salon.example") == []


async def test_a_callback_works_once_and_only_in_the_browser_that_started(api, db):
    async with browser(api) as tab:
        started = await tab.get("/api/v1/auth/oidc/google/start")
        picker = await tab.get(started.headers["location"])
        request_id = re.search(r'name="request" value="([^"]+)"', picker.text)
        action = re.search(r'<form method="post" action="([^"]+)"', picker.text)
        back = await tab.post(
            action.group(1),
            data={"request": request_id.group(1), "decision": "allow", "email": "x@y.example", "email_verified": "1"},
        )
        callback = back.headers["location"]
        async with browser(api) as other:
            path, params = landed(await other.get(callback))  # no binding cookie: another browser
        assert params == {"signin_error": "sign_in_other_browser"}
        path, params = landed(await tab.get(callback))  # the attempt was used up by that try
        assert params == {"signin_error": "sign_in_state_invalid"}


async def test_cancelling_on_the_provider_page_signs_nobody_in(api, db):
    async with browser(api) as tab:
        started = await tab.get("/api/v1/auth/oidc/microsoft/start")
        picker = await tab.get(started.headers["location"])
        request_id = re.search(r'name="request" value="([^"]+)"', picker.text)
        action = re.search(r'<form method="post" action="([^"]+)"', picker.text)
        back = await tab.post(action.group(1), data={"request": request_id.group(1), "decision": "deny"})
        path, params = landed(await tab.get(back.headers["location"]))
    assert (path, params) == ("/login", {"signin_error": "sign_in_cancelled"})
    assert db.exec(select(SignInAttempt)).all() == []


async def test_a_logged_in_user_links_and_unlinks_providers_in_settings(api, db):
    owner = accounts.signup(db, name="Ana", email="ana@salon.example", password=PASSWORD, organisation_name="Salon")
    principal = accounts.authenticate(db, access_token=owner.access_token)
    async with browser(api, owner) as tab:
        # Another address is fine: the person proved both accounts (logged in here, signed in there).
        path, params = landed(await continue_with(tab, "microsoft", email="ana.work@contoso.example", intent="link"))
        assert (path, params) == ("/settings/security", {"linked": "microsoft"})
        path, params = landed(await continue_with(tab, "microsoft", email="other@contoso.example", intent="link"))
        assert params == {"signin_error": "sign_in_provider_linked"}
    assert [(i.provider, i.email) for i in sign_in_providers.list_identities(db, principal=principal)] == [
        ("microsoft", "ana.work@contoso.example")
    ]
    async with browser(api) as visitor:  # linking needs a login
        started = await visitor.get("/api/v1/auth/oidc/google/start", params={"intent": "link"})
        assert landed(started)[0] == "/login"

    # With a password, the last provider account can go; without one, it cannot.
    assert sign_in_providers.unlink(db, principal=principal, provider="microsoft") is True
    assert [row.detail["provider"] for row in audits(db, "identity_unlinked")] == ["microsoft"]
    async with browser(api, accounts.login(db, email="ana@salon.example", password=PASSWORD)) as tab:
        landed(await continue_with(tab, "google", email="ana@gmail.example", intent="link"))
    user = db.get(User, owner.user_id)
    user.password_hash = None
    db.add(user)
    db.commit()
    with pytest.raises(Forbidden):
        sign_in_providers.unlink(db, principal=principal, provider="google")
    assert sign_in_providers.unlink(db, principal=principal, provider="microsoft") is False


async def test_an_organisation_cannot_touch_another_users_provider_accounts(api, db):
    a = accounts.signup(db, name="A", email="a@a.example", password=PASSWORD, organisation_name="A Org")
    b = accounts.signup(db, name="B", email="b@b.example", password=PASSWORD, organisation_name="B Org")
    async with browser(api, a) as tab:
        landed(await continue_with(tab, "google", email="a@gmail.example", intent="link"))
    as_b = accounts.authenticate(db, access_token=b.access_token)
    assert sign_in_providers.list_identities(db, principal=as_b) == []
    assert sign_in_providers.unlink(db, principal=as_b, provider="google") is False
    assert db.exec(select(UserIdentity)).one().user_id == a.user_id
    # A login of B does not link what waits in A's browser for A's proof.
    async with browser(api) as tab:
        landed(await continue_with(tab, "microsoft", email="a@a.example"))  # A's own address: waits for A's login
        assert sign_in_providers.link_after_login(db, binding=binding(tab), user_id=b.user_id, tenant_id=None) == ""
    assert len(db.exec(select(UserIdentity)).all()) == 1


async def test_rotated_provider_keys_are_fetched_again(api, db):
    from ava_app.sandbox.calendars.identity import new_signing_key

    async with browser(api) as tab:
        landed(await continue_with(tab, "google", email="ana@gmail.example"))  # caches the key set
    calendars.google_emulator().oauth.signing_key = new_signing_key()  # Google rotates its keys
    async with browser(api) as tab:
        path, params = landed(await continue_with(tab, "google", email="ana@gmail.example"))
        assert (path, params) == ("/signup", {"signin": "1"})


async def test_an_attempt_past_its_time_is_refused(api, db):
    async with browser(api) as tab:
        started = await tab.get("/api/v1/auth/oidc/google/start")
        assert started.status_code == 303
        row = db.exec(select(SignInAttempt)).one()
        row.expires_at = row.created_at  # ten minutes later
        db.add(row)
        db.commit()
        picker = await tab.get(started.headers["location"])
        request_id = re.search(r'name="request" value="([^"]+)"', picker.text)
        action = re.search(r'<form method="post" action="([^"]+)"', picker.text)
        back = await tab.post(
            action.group(1),
            data={"request": request_id.group(1), "decision": "allow", "email": "x@y.example", "email_verified": "1"},
        )
        path, params = landed(await tab.get(back.headers["location"]))
    assert (path, params) == ("/login", {"signin_error": "sign_in_expired"})
    assert db.exec(select(SignInAttempt)).all() == []

"""/dev/outbox lists live login links: only in dev, and only to this machine or a signed-in platform admin."""

from __future__ import annotations

import pytest
import reflex as rx
from reflex.istate.data import HeaderData, RouterData, SessionData

from ava_app.models import utcnow
from ava_app.services import accounts
from ava_app.services.dev_access import is_loopback_request
from ava_app.services.messaging.outbox import queue_message
from ava_app.services.passwords import hash_password
from ava_app.settings import get_settings
from ava_app.state.outbox import OutboxState
from tests.factories import make_tenant, make_user
from tests.unit.test_state_tenant_isolation import browser_cookie

PASSWORD = "outbox-reader-42"
MAGIC_LINK = "http://testserver/auth/link?token=live-login-link"


@pytest.mark.parametrize(
    ("client_ip", "headers", "local"),
    [
        ("127.0.0.1", {}, True),
        ("::1", {}, True),
        ("::ffff:127.0.0.1", {}, True),
        ("127.0.0.1", {"x-forwarded-for": "203.0.113.9"}, False),  # a proxy on this machine, someone elsewhere
        ("127.0.0.1", {"Forwarded": "for=203.0.113.9"}, False),
        ("127.0.0.1", {"x-real-ip": "203.0.113.9"}, False),
        ("203.0.113.9", {}, False),
        ("192.168.1.20", {}, False),
        ("10.0.0.2", {"x-forwarded-for": "127.0.0.1"}, False),  # a spoofed header proves nothing
        ("", {}, False),
        ("localhost", {}, False),
    ],
)
def test_loopback_means_this_machine_and_no_proxy(client_ip, headers, local):
    assert is_loopback_request(client_ip=client_ip, headers=headers) is local


@pytest.fixture()
def outbox(db):
    queue_message(db, channel="email", to="owner@example.com", subject="Your sign-in link", body_text=MAGIC_LINK)
    return db


def _login(db, *, platform_admin: bool) -> accounts.AuthResult:
    tenant = make_tenant(db)
    user = make_user(
        db,
        tenant=tenant,
        password_hash=hash_password(PASSWORD),
        email_verified_at=utcnow(),
        is_platform_admin=platform_admin,
    )
    return accounts.login(db, email=user.email, password=PASSWORD)


def _visit(client_ip: str, *, headers: dict[str, str] | None = None, login: accounts.AuthResult | None = None):
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(OutboxState.get_full_name().split(".")[1:])
    cookie = browser_cookie(login) if login is not None else ""
    state.router = RouterData(
        session=SessionData(client_ip=client_ip), headers=HeaderData(raw_headers=headers or {}, cookie=cookie)
    )
    answer = OutboxState.event_handlers["load_messages"].fn(state)
    return state, answer


def _shown(state) -> str:
    return repr(state.messages)


def test_a_visitor_from_the_network_is_refused(outbox):
    state, answer = _visit("203.0.113.9")
    assert answer is None and state.refused and state.messages == []
    assert "live-login-link" not in _shown(state)


def test_a_signed_in_user_who_is_no_platform_admin_is_refused(outbox):
    state, _ = _visit("203.0.113.9", login=_login(outbox, platform_admin=False))
    assert state.refused and state.messages == []


def test_a_proxied_request_is_not_local_even_from_loopback(outbox):
    state, _ = _visit("127.0.0.1", headers={"x-forwarded-for": "127.0.0.1"})
    assert state.refused and state.messages == []


def test_this_machine_reads_it(outbox):
    state, _ = _visit("127.0.0.1")
    assert not state.refused and "live-login-link" in _shown(state)


def test_a_platform_admin_reads_it_from_anywhere(outbox):
    state, _ = _visit("203.0.113.9", login=_login(outbox, platform_admin=True))
    assert not state.refused and "live-login-link" in _shown(state)


def test_there_is_no_outbox_in_prod(outbox, monkeypatch):
    monkeypatch.setenv("AVA_ENV", "prod")
    monkeypatch.setenv("AVA_SECRET_KEY", "p" * 48)
    monkeypatch.setenv("AVA_ALLOW_SANDBOX", "true")
    get_settings.cache_clear()
    try:
        state, answer = _visit("127.0.0.1", login=_login(outbox, platform_admin=True))
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert state.messages == [] and "redirect" in repr(answer) and "/login" in repr(answer)

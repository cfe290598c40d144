"""The session is checked once per event chain, and again at the tab's very next event.

Each event runs here under the ``EventContext`` Reflex gives it: a fresh random id for an event the browser sends, the
sender's id as ``parent_txid`` for an event a handler chains. A revoked session, a logout or an organisation switch
made between two of the tab's events must show at the second one.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest
from reflex_base.event.context import EventContext

from ava_app.db import session_scope
from ava_app.services import accounts, browser_sessions, team
from ava_app.services.principal import Principal
from ava_app.state import auth as auth_state
from ava_app.state import event_chain
from ava_app.state.auth import AuthState
from ava_app.state.dashboard import DashboardState
from tests.unit.test_assistants import providers  # noqa: F401  (fixtures)
from tests.unit.test_state_tenant_isolation import reflex_app, run, state_of, world  # noqa: F401


@contextlib.contextmanager
def event(parent: str | None = None) -> Iterator[str]:
    """Run the block as one event: the browser's own (no parent), or one chained by the event ``parent``."""
    txid = os.urandom(6).hex()
    context = EventContext(token="tab", state_manager=None, enqueue_impl=None, txid=txid, parent_txid=parent)  # type: ignore[arg-type]
    reset = EventContext.set(context)
    try:
        yield txid
    finally:
        EventContext.reset(reset)


@pytest.fixture()
def checks(monkeypatch) -> list[str]:
    """Every check of a session cookie against the database."""
    seen: list[str] = []
    real = browser_sessions.authenticate_browser

    def counted(session, *, token: str):
        seen.append(token)
        return real(session, token=token)

    monkeypatch.setattr(auth_state.browser_sessions, "authenticate_browser", counted)
    return seen


def admin_principal(organisation) -> Principal:
    with session_scope() as session:
        return accounts.principal_for_session(
            session, session_id=organisation.admin.session_id, user_id=organisation.admin.user_id
        )


async def test_a_page_load_chain_checks_the_session_once(world, checks):  # noqa: F811
    state = state_of(DashboardState, world.b)
    auth = await state.get_state(AuthState)
    with event() as load:  # on_load_internal, which chains the page's handlers
        pass
    with event(parent=load):
        assert await run(auth, "require_login") == []
    with event(parent=load):
        assert await run(state, "load_dashboard") == []
    assert len(checks) == 1
    assert state.loaded and auth.user_email


async def test_a_first_visit_asks_the_language_within_the_guard_and_still_checks_once(world, checks):  # noqa: F811
    state = state_of(DashboardState, world.b)
    auth = await state.get_state(AuthState)
    auth.lang = ""  # a browser that never chose a language: the guard asks it, no event of its own
    with event() as load:
        pass
    with event(parent=load):
        assert await run(auth, "require_login") == ["script:navigator.language"]
    with event(parent=load):
        assert await run(state, "load_dashboard") == []
    assert len(checks) == 1
    assert auth.user_email


async def test_the_next_event_after_a_revocation_is_refused(world, checks):  # noqa: F811
    state = state_of(DashboardState, world.b)
    with event():
        assert await run(state, "load_dashboard") == []
    with session_scope() as session:  # signed out from another device: this session ends
        accounts.logout(session, principal=admin_principal(world.b))
    with event() as refused:  # the tab's next action
        assert await run(state, "load_dashboard") == ["redirect:/login"]
    with event(parent=refused):  # a refusal is not kept either: the chain's next event checks again
        assert await run(state, "load_dashboard") == ["redirect:/login"]
    assert len(checks) == 3


async def test_the_next_event_after_a_logout_in_the_tab_is_refused(world):  # noqa: F811
    state = state_of(DashboardState, world.b)
    auth = await state.get_state(AuthState)
    with event():
        assert await run(auth, "require_login") == []
    with event() as logout:
        await run(auth, "logout")
    with event(parent=logout):  # even an event the logout itself chained
        assert await run(auth, "require_login") == ["redirect:/login"]
    with event():
        assert await run(state, "load_dashboard") == ["redirect:/login"]


async def test_the_next_event_after_an_organisation_switch_reads_the_new_organisation(world):  # noqa: F811
    state = state_of(DashboardState, world.b)
    auth = await state.get_state(AuthState)
    with event() as load:
        assert await run(auth, "require_login") == []
    with event(parent=load):
        assert await run(state, "load_dashboard") == []
    assert state._tenant_id == world.b.tenant_id
    with session_scope() as session:  # another tab of the same session opens a new organisation
        other = team.create_organisation(session, principal=admin_principal(world.b), name="Beta Two", industry=None)
    other_id = other.tenant_id
    with event() as load:
        assert await run(auth, "require_login") == []
    with event(parent=load):
        assert await run(state, "load_dashboard") == []
    assert state._tenant_id == other_id != world.b.tenant_id
    assert auth.tenant_name == "Beta Two"  # the shell follows a change of organisation at once


def test_what_a_chain_checked_is_kept_for_that_chain_only():
    principal = Principal(user_id=1, tenant_id=2, role="admin", session_id=3)
    with event() as chain:
        event_chain.remember(event_chain.chain_id(), "cookie", principal)
    with event(parent=chain):
        assert event_chain.checked(event_chain.chain_id(), "cookie") == principal
        assert event_chain.checked(event_chain.chain_id(), "another cookie") is None
    with event():
        assert event_chain.checked(event_chain.chain_id(), "cookie") is None
    assert event_chain.chain_id() is None  # outside any event: nothing is kept
    event_chain.forget(chain)
    with event(parent=chain):
        assert event_chain.checked(event_chain.chain_id(), "cookie") is None

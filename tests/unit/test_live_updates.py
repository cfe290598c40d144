"""Live updates: a change published for one organisation refreshes its open tabs, only its own, and idle tabs cost
no query.

The refresh runs the pages' own reads inside a ``modify_state`` that hands out each tab's state tree, as
``app.modify_state`` does in the server (tests/e2e/test_live_push.py drives the real one through browsers).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib
import os
import threading
import time
from types import SimpleNamespace

import pytest
from reflex.istate.data import SessionData

from ava_app.models import Tenant
from ava_app.services import accounts, live_updates
from ava_app.settings import get_settings
from ava_app.state import live
from ava_app.state.calls import CallsState
from ava_app.state.dashboard import DashboardState
from tests.factories import make_call
from tests.statements import statements as queries
from tests.unit.test_state_tenant_isolation import open_page, run, state_of

PAGES = {"dashboard": DashboardState, "calls": CallsState}


@pytest.fixture(scope="module", autouse=True)
def reflex_app():
    importlib.import_module("ava_app.ava_app")


@pytest.fixture()
def in_memory(monkeypatch):
    """One process without Redis: the registry in memory, changes handed over inside the process."""
    monkeypatch.setenv("AVA_REDIS_URL", "")
    get_settings.cache_clear()
    live_updates.reset_instance()
    yield
    live_updates.reset_instance()
    get_settings.cache_clear()


def _owner(db, name: str) -> SimpleNamespace:
    admin = accounts.signup(
        db,
        name=f"{name} Owner",
        email=f"owner@{name.lower()}.example",
        password="tulip-garage-42",
        organisation_name=name,
    )
    return SimpleNamespace(admin=admin, tenant=db.get(Tenant, admin.tenant_id))


class Tabs:
    """Browser tabs by client token: each a state tree signed in as someone, as the state manager keeps them."""

    def __init__(self) -> None:
        self.roots: dict[str, object] = {}
        self.modified: list[str] = []

    async def open(self, token: str, cls, organisation) -> object:
        state = state_of(cls, organisation)
        route = "/dashboard" if cls is DashboardState else "/calls"
        open_page(state, route, route)
        state.router = dataclasses.replace(state.router, session=SessionData(client_token=token))
        await run(state, "load_dashboard" if cls is DashboardState else "load_calls")
        root = state
        while root.parent_state is not None:
            root = root.parent_state
        self.roots[token] = root
        return state

    @contextlib.asynccontextmanager
    async def modify_state(self, token):
        self.modified.append(token.ident)
        yield self.roots[token.ident]


async def test_a_change_refreshes_the_organisations_tabs_and_no_one_elses(db, in_memory):
    a, b = _owner(db, "Alpha"), _owner(db, "Beta")
    tabs = Tabs()
    a_dashboard = await tabs.open("tab-a1", DashboardState, a)
    a_calls = await tabs.open("tab-a2", CallsState, a)
    b_dashboard = await tabs.open("tab-b1", DashboardState, b)
    assert {tab.token for tab in live_updates.tabs_of(a.tenant.id)} == {"tab-a1", "tab-a2"}
    assert [tab.token for tab in live_updates.tabs_of(b.tenant.id)] == ["tab-b1"]
    assert a_dashboard.recent == [] and a_calls.rows == [] and b_dashboard.recent == []

    call = make_call(db, tenant=a.tenant, call_type="inbound")
    make_call(db, tenant=b.tenant, call_type="inbound")  # B's change is not published: B's tab must not move
    refreshed = await live.refresh_tenant(
        a.tenant.id, modify_state=tabs.modify_state, pages=PAGES, is_open=lambda token: True
    )

    assert refreshed == 2 and sorted(tabs.modified) == ["tab-a1", "tab-a2"]
    assert [row["id"] for row in a_dashboard.recent] == [call.id]
    assert [row["id"] for row in a_calls.rows] == [call.id] and a_calls.count_label == "1 call"
    assert b_dashboard.recent == [], "B's tab was not refreshed"


async def test_a_tab_whose_session_moved_to_another_organisation_is_shown_nothing_and_dropped(db, in_memory):
    a, b = _owner(db, "Alpha"), _owner(db, "Beta")
    tabs = Tabs()
    await tabs.open("tab-1", DashboardState, a)
    # The same tab now carries B's session (another login in that browser): it loads B's dashboard.
    moved = await tabs.open("tab-1", DashboardState, b)
    live_updates.register_tab(tenant_id=a.tenant.id, token="tab-1", page="dashboard")  # a stale registration
    make_call(db, tenant=a.tenant, call_type="inbound")

    refreshed = await live.refresh_tenant(
        a.tenant.id, modify_state=tabs.modify_state, pages=PAGES, is_open=lambda token: True
    )

    assert refreshed == 0 and moved.recent == [], "A's new call is not shown to a tab now signed in to B"
    assert live_updates.tabs_of(a.tenant.id) == []


async def test_closed_tabs_are_dropped_without_a_read(db, engine, in_memory):
    a = _owner(db, "Alpha")
    tabs = Tabs()
    await tabs.open("gone", DashboardState, a)
    with queries(engine) as statements:
        refreshed = await live.refresh_tenant(
            a.tenant.id, modify_state=tabs.modify_state, pages=PAGES, is_open=lambda token: False
        )
    assert refreshed == 0 and tabs.modified == [] and statements == []
    assert live_updates.tabs_of(a.tenant.id) == []


async def test_a_tab_that_went_to_another_page_is_dropped_without_a_query(db, engine, in_memory):
    a = _owner(db, "Alpha")
    tabs = Tabs()
    dashboard = await tabs.open("tab-1", DashboardState, a)
    assert len(live_updates.tabs_of(a.tenant.id)) == 1
    open_page(dashboard, "/settings/team", "/settings/team")  # the route the settings page's load brought
    make_call(db, tenant=a.tenant, call_type="inbound")
    with queries(engine) as statements:
        refreshed = await live.refresh_tenant(
            a.tenant.id, modify_state=tabs.modify_state, pages=PAGES, is_open=lambda token: True
        )
    assert refreshed == 0 and dashboard.recent == [] and statements == []
    assert live_updates.tabs_of(a.tenant.id) == []


async def test_published_changes_reach_the_listener_coalesced_and_idle_costs_nothing(db, engine, in_memory):
    """Through the in-process hand-over (a job thread publishes): a burst of changes is one or two refreshes of A's
    tab, B's tab is never read, and while nothing changes no query runs at all."""
    a, b = _owner(db, "Alpha"), _owner(db, "Beta")
    tabs = Tabs()
    a_dashboard = await tabs.open("tab-a", DashboardState, a)
    await tabs.open("tab-b", DashboardState, b)

    async def refresh(tenant_id: int) -> None:
        await live.refresh_tenant(tenant_id, modify_state=tabs.modify_state, pages=PAGES, is_open=lambda t: True)

    coalescer = live_updates.Coalescer(refresh, gather=0.05, gap=0.5)
    heard: list[int] = []

    async def listen() -> None:
        async for tenant_id in live_updates.listen_for_changes():
            heard.append(tenant_id)
            coalescer.notify(tenant_id)

    listener = asyncio.create_task(listen())
    try:
        with queries(engine) as statements:
            # Idle: the listener waits, the registrations are renewed, and the database is not asked anything.
            await asyncio.sleep(0.3)
            assert live_updates.renew_own_tabs(lambda token: True) == 2
        assert statements == [], "an idle tab costs no query"

        call = make_call(db, tenant=a.tenant, call_type="inbound")
        started = time.monotonic()
        burst = threading.Thread(target=lambda: [live_updates.publish_calls_changed(a.tenant.id) for _ in range(20)])
        burst.start()
        burst.join()
        while not a_dashboard.recent and time.monotonic() - started < 5:
            await asyncio.sleep(0.01)
        latency = time.monotonic() - started
        await asyncio.sleep(0.6)
        await coalescer.drain()
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
    assert heard == [a.tenant.id] * 20
    assert [row["id"] for row in a_dashboard.recent] == [call.id] and latency < 1.0
    assert 1 <= tabs.modified.count("tab-a") <= 2, "twenty changes in a moment: one refresh, two at most"
    assert "tab-b" not in tabs.modified


async def test_the_coalescer_always_refreshes_after_the_last_change():
    runs: list[float] = []

    async def refresh(_tenant_id: int) -> None:
        runs.append(time.monotonic())

    coalescer = live_updates.Coalescer(refresh, gather=0.02, gap=0.2)
    start = time.monotonic()
    for _ in range(5):
        coalescer.notify(1)
        await asyncio.sleep(0.05)  # changes keep coming for 0.25 s
    await coalescer.drain()
    assert len(runs) == 2, "one refresh for the first change, one after the rest"
    assert runs[1] - runs[0] >= 0.19 and runs[1] > start + 0.2


@pytest.mark.skipif(not os.environ.get("AVA_REDIS_URL"), reason="needs AVA_REDIS_URL")
def test_the_redis_registry_keeps_each_processs_own_tabs_and_forgets_expired_ones(monkeypatch):
    get_settings.cache_clear()
    live_updates.reset_instance()
    tenant_id = 900_000 + os.getpid() % 1000
    try:
        live_updates.register_tab(tenant_id=tenant_id, token="first-process-tab", page="dashboard")
        live_updates.reset_instance()  # now another process
        live_updates.register_tab(tenant_id=tenant_id, token="second-process-tab", page="calls")
        assert live_updates.tabs_of(tenant_id) == [live_updates.Tab(token="second-process-tab", page="calls")]
        registry, _ = live_updates._registry()
        assert registry.has_tabs(tenant_id, now=time.time())
        # An hour later, nobody having renewed them, both are gone.
        assert not registry.has_tabs(tenant_id, now=time.time() + 3600)
        assert registry.own_tabs(tenant_id, now=time.time() + 3600) == []
        live_updates.unregister_tab(token="second-process-tab", page="calls")
        assert live_updates.tabs_of(tenant_id) == []
    finally:
        live_updates.reset_instance()


@pytest.mark.skipif(not os.environ.get("AVA_REDIS_URL"), reason="needs AVA_REDIS_URL")
async def test_through_redis_a_change_reaches_every_listening_process_only_when_someone_watches():
    get_settings.cache_clear()
    live_updates.reset_instance()
    tenant_id = 910_000 + os.getpid() % 1000
    heard: list[int] = []

    async def listen() -> None:
        async for changed in live_updates.listen_for_changes():
            heard.append(changed)

    listener = asyncio.create_task(listen())
    try:
        await asyncio.sleep(0.3)  # subscribed
        await asyncio.to_thread(live_updates.publish_calls_changed, tenant_id)  # no tab open: not even published
        live_updates.register_tab(tenant_id=tenant_id, token="watching-tab", page="dashboard")
        await asyncio.to_thread(live_updates.publish_calls_changed, tenant_id)
        deadline = time.monotonic() + 3
        while not heard and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
        live_updates.unregister_tab(token="watching-tab", page="dashboard")
        live_updates.reset_instance()
    assert heard == [tenant_id]


def test_each_tenant_passes_midnight_in_its_own_timezone(db):
    from datetime import UTC, date, datetime

    from tests.factories import make_tenant

    paris = make_tenant(db, timezone="Europe/Paris").id
    new_york = make_tenant(db, timezone="America/New_York").id
    watch = live_updates.DayWatch()
    # 4 December 2026: Paris is UTC+1, New York UTC-5.
    before = live_updates.local_dates([paris, new_york], now=datetime(2026, 12, 4, 22, 59, tzinfo=UTC))
    assert before == {paris: date(2026, 12, 4), new_york: date(2026, 12, 4)}
    assert watch.changed(before) == []  # first look: nothing to compare with
    after_paris = live_updates.local_dates([paris, new_york], now=datetime(2026, 12, 4, 23, 1, tzinfo=UTC))
    assert watch.changed(after_paris) == [paris]
    assert watch.changed(after_paris) == []
    after_new_york = live_updates.local_dates([paris, new_york], now=datetime(2026, 12, 5, 5, 1, tzinfo=UTC))
    assert watch.changed(after_new_york) == [new_york]
    assert live_updates.local_dates([]) == {}

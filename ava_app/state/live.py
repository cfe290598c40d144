"""Pushes a tenant's call changes to its open dashboards and calls lists, through ``app.modify_state``.

A page registers its tab when it loads (``watch``); a push finds out that a tab left the page from the route its last
event brought (``still_on``), and that it closed from Reflex's token manager (``holds_socket``). ``push_calls_changes``
runs for the app's lifetime in every web process: it listens for ``services.live_updates`` notifications, coalesces
them per tenant, and refreshes each of the tenant's tabs whose websocket this process holds, by running the page's
own tenant-scoped read inside ``app.modify_state`` (Reflex then sends the tab only what changed). The read re-checks
the tab's session first: a tab whose session ended, or now belongs to another organisation, is dropped and shown
nothing. No timer runs in the browser, so an idle tab costs no query.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

import reflex as rx

from ava_app.services import live_updates

log = logging.getLogger(__name__)

# Tabs of one tenant refreshed at once by one process (each refresh is a few queries in a worker thread).
PARALLEL_REFRESHES = 8


class LivePage(Protocol):
    """What a page state offers to be refreshed from outside an event."""

    def _live_refresh(self, tenant_id: int) -> bool:
        """Read the page again for the tab's own session; False when the tab is no longer ``tenant_id``'s."""
        ...


def watch(state: rx.State, *, page: str, tenant_id: int | None) -> None:
    """Register the tab of ``state`` (in the middle of its page's load) for pushes of ``tenant_id``'s changes."""
    token = state.router.session.client_token
    if tenant_id is not None and token:
        live_updates.register_tab(tenant_id=tenant_id, token=token, page=page)


def still_on(state: rx.State, route: str) -> bool:
    """Whether the tab still shows ``route``: every AVA page has an on-load event, and each event the tab sends
    brings its current route, so a tab that went elsewhere says so (and its registration is dropped at the next
    push, before any query)."""
    return state.router.route_id.rstrip("/") == route.rstrip("/")


def holds_socket(app: Any, token: str) -> bool:
    """Whether this process holds the websocket of the tab ``token``.

    Reflex keeps the sockets of this process (and, with Redis, a cache of other processes' records) in its token
    manager, each record naming the process that owns it; without that record the tab is closed or elsewhere.
    """
    namespace = getattr(app, "event_namespace", None)
    if namespace is None:
        return False
    manager = getattr(namespace, "_token_manager", None)
    records = getattr(manager, "token_to_socket", None)
    if records is None:
        return token in namespace.token_to_sid
    record = records.get(token)
    return record is not None and record.instance_id == manager.instance_id


async def refresh_tenant(
    tenant_id: int,
    *,
    modify_state: Callable[..., contextlib.AbstractAsyncContextManager[Any]],
    pages: dict[str, type[rx.State]],
    is_open: Callable[[str], bool],
) -> int:
    """Refresh every open tab of ``tenant_id`` that this process holds; returns how many were refreshed."""
    started = time.monotonic()
    tabs = await asyncio.to_thread(live_updates.tabs_of, tenant_id)
    limit = asyncio.Semaphore(PARALLEL_REFRESHES)

    async def refresh(tab: live_updates.Tab) -> bool:
        cls = pages.get(tab.page)
        if cls is None or not is_open(tab.token):
            # Closed, or reconnected to another process (which registered it again when its page loaded).
            live_updates.unregister_tab(token=tab.token, page=tab.page)
            return False
        async with limit, modify_state(rx.BaseStateToken(ident=tab.token, cls=cls)) as root:
            state: LivePage = await root.get_state(cls)
            kept = await asyncio.to_thread(state._live_refresh, tenant_id)
        if not kept:
            live_updates.unregister_tab(token=tab.token, page=tab.page)
        return kept

    results = await asyncio.gather(*(refresh(tab) for tab in tabs), return_exceptions=True)
    for tab, result in zip(tabs, results, strict=True):
        if isinstance(result, BaseException):
            log.warning("live refresh of a %s tab failed: %r", tab.page, result)
    refreshed = sum(1 for result in results if result is True)
    log.debug(
        "live: %d of %d tab(s) of tenant %s refreshed in %.3f s",
        refreshed,
        len(tabs),
        tenant_id,
        time.monotonic() - started,
    )
    return refreshed


async def push_calls_changes(app: Any, pages: dict[str, type[rx.State]]):
    """Lifespan task: listen for call changes and refresh this process's tabs; renew their registrations; refresh
    a tenant's tabs at its midnight."""
    live_updates.reset_instance()  # a server worker may have been forked after the app was imported

    def is_open(token: str) -> bool:
        return holds_socket(app, token)

    async def refresh(tenant_id: int) -> None:
        await refresh_tenant(tenant_id, modify_state=app.modify_state, pages=pages, is_open=is_open)

    coalescer = live_updates.Coalescer(refresh)

    def catch_up() -> None:
        # Changes published while the subscription was down are lost: refresh every tab once instead.
        for tenant_id in live_updates.own_tenants():
            coalescer.notify(tenant_id)

    async def renew() -> None:
        while True:
            await asyncio.sleep(live_updates.RENEW_SECONDS)
            open_tokens = {token for token in live_updates.own_tokens() if is_open(token)}
            await asyncio.to_thread(live_updates.renew_own_tabs, open_tokens.__contains__)

    async def roll_days() -> None:
        # "Today" on an open dashboard is the business's today: at its midnight the page is read again, as if a
        # call had come in, instead of showing yesterday's figures until the next one does.
        watch = live_updates.DayWatch()
        while True:
            await asyncio.sleep(live_updates.DAY_CHECK_SECONDS)
            try:
                days = await asyncio.to_thread(live_updates.local_dates, live_updates.own_tenants())
            except Exception:
                log.warning("live: could not read the tenants' dates", exc_info=True)
                continue
            for tenant_id in watch.changed(days):
                coalescer.notify(tenant_id)

    background = [asyncio.create_task(renew()), asyncio.create_task(roll_days())]
    try:
        async for tenant_id in live_updates.listen_for_changes(on_reconnect=catch_up):
            coalescer.notify(tenant_id)
    finally:
        for task in background:
            task.cancel()

"""Live updates: "tenant X's calls changed" goes from the code that committed the change to every open tab of X.

Open dashboards and calls lists used to read their figures again every five seconds, whether a call came in or not.
Now a page registers its tab here when it loads (``register_tab``), the ingest pipeline and the post-call job call
``publish_calls_changed`` after their commit, and each web process listens (``listen_for_changes``) and refreshes its
own tabs of that tenant (``ava_app/state/live.py`` does the Reflex part). An idle tab costs no query.

Two backends, chosen by ``AVA_REDIS_URL``:

- **Redis** (several processes): the registry is one sorted set per tenant whose members are ``instance|page|token``
  scored by their expiry, so a crashed process's tabs vanish by themselves; the owning process renews its live tabs
  every ``RENEW_SECONDS``. A change is one ``PUBLISH`` on ``CHANNEL``, sent only when the tenant has an open tab
  somewhere; every web process is subscribed and refreshes the tabs it holds the websocket of.
- **Memory** (one process, SQLite, the job worker embedded): the same registry in a dict, and the change handed to
  the listening event loop with ``call_soon_threadsafe`` (jobs and webhook routes run in other threads).

Plain Python: no Reflex here. Nothing in this module may fail the code that publishes: a webhook must never fail
because a dashboard could not be told.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol, cast

import redis
from sqlmodel import col, select

from ava_app.db import session_scope
from ava_app.models import Tenant
from ava_app.services.regional import to_local
from ava_app.settings import get_settings

log = logging.getLogger(__name__)

CHANNEL = "ava:live:calls"
KEY_PREFIX = "ava:live:tabs:"
# A registered tab lives this long unless its process renews it (every RENEW_SECONDS while its socket is open).
TAB_TTL_SECONDS = 180.0
RENEW_SECONDS = 60.0
# A tenant's tabs are refreshed at most once per COALESCE_SECONDS; the first change after a quiet spell waits
# GATHER_SECONDS so the events of one moment (status update, then report, then summary) make one refresh.
COALESCE_SECONDS = 1.0
GATHER_SECONDS = 0.15
# How often a listening process looks whether a tenant with open tabs has passed midnight in its own timezone.
DAY_CHECK_SECONDS = 60.0
# Pages whose tabs can be registered (the Reflex side maps each to its state).
PAGES = ("dashboard", "calls")

# This process's name in the shared registry; a web worker forked after import gets its own in ``reset_instance``.
_instance = uuid.uuid4().hex


@dataclass(frozen=True)
class Tab:
    """One open page of one browser tab: the Reflex client token and which page it shows."""

    token: str
    page: str


class TabRegistry(Protocol):
    def add(self, tenant_id: int, tab: Tab, *, now: float) -> None: ...
    def discard(self, tenant_id: int, tab: Tab) -> None: ...
    def own_tabs(self, tenant_id: int, *, now: float) -> list[Tab]: ...
    def has_tabs(self, tenant_id: int, *, now: float) -> bool: ...


class MemoryTabs:
    """The registry of a single process: tenant -> tab -> expiry."""

    def __init__(self) -> None:
        self._tabs: dict[int, dict[Tab, float]] = {}
        self._lock = threading.Lock()

    def add(self, tenant_id: int, tab: Tab, *, now: float) -> None:
        with self._lock:
            self._tabs.setdefault(tenant_id, {})[tab] = now + TAB_TTL_SECONDS

    def discard(self, tenant_id: int, tab: Tab) -> None:
        with self._lock:
            tabs = self._tabs.get(tenant_id, {})
            tabs.pop(tab, None)
            if not tabs:
                self._tabs.pop(tenant_id, None)

    def own_tabs(self, tenant_id: int, *, now: float) -> list[Tab]:
        with self._lock:
            tabs = self._tabs.get(tenant_id, {})
            for tab in [tab for tab, expiry in tabs.items() if expiry <= now]:
                del tabs[tab]
            return list(tabs)

    def has_tabs(self, tenant_id: int, *, now: float) -> bool:
        return bool(self.own_tabs(tenant_id, now=now))


class RedisTabs:
    """The shared registry: a sorted set per tenant, members ``instance|page|token`` scored by expiry."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client

    @staticmethod
    def _member(tab: Tab) -> str:
        return f"{_instance}|{tab.page}|{tab.token}"

    def add(self, tenant_id: int, tab: Tab, *, now: float) -> None:
        key = f"{KEY_PREFIX}{tenant_id}"
        pipe = self._client.pipeline(transaction=False)
        pipe.zremrangebyscore(key, "-inf", now)
        pipe.zadd(key, {self._member(tab): now + TAB_TTL_SECONDS})
        # The key itself goes when its last tab would: a tenant nobody watches leaves nothing behind.
        pipe.expire(key, int(TAB_TTL_SECONDS) + 1)
        pipe.execute()

    def discard(self, tenant_id: int, tab: Tab) -> None:
        self._client.zrem(f"{KEY_PREFIX}{tenant_id}", self._member(tab))

    def own_tabs(self, tenant_id: int, *, now: float) -> list[Tab]:
        members = cast(list[bytes], self._client.zrangebyscore(f"{KEY_PREFIX}{tenant_id}", now, "+inf"))
        tabs = []
        for raw in members:
            instance, page, token = (raw.decode() if isinstance(raw, bytes) else str(raw)).split("|", 2)
            if instance == _instance:
                tabs.append(Tab(token=token, page=page))
        return tabs

    def has_tabs(self, tenant_id: int, *, now: float) -> bool:
        return bool(self._client.zcount(f"{KEY_PREFIX}{tenant_id}", now, "+inf"))


_lock = threading.Lock()
_backend: tuple[str, TabRegistry, redis.Redis | None] | None = None
# This process's own registrations (tab -> tenant), which it renews while their sockets are open.
_own: dict[Tab, int] = {}
# Memory mode: the loops listening in this process, each with the callback that hands it a tenant id.
_local_listeners: list[Callable[[int], None]] = []


def _registry() -> tuple[TabRegistry, redis.Redis | None]:
    """The registry and Redis client for the configured ``AVA_REDIS_URL`` (built once per URL)."""
    global _backend
    url = get_settings().redis_url
    with _lock:
        if _backend is None or _backend[0] != url:
            client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2) if url else None
            registry: TabRegistry = RedisTabs(client) if client is not None else MemoryTabs()
            _backend = (url, registry, client)
        return _backend[1], _backend[2]


def reset_instance() -> None:
    """Forget this process's registrations and take a new instance name (tests; a forked worker)."""
    global _instance, _backend
    with _lock:
        _instance = uuid.uuid4().hex
        _backend = None
        _own.clear()


def register_tab(*, tenant_id: int, token: str, page: str) -> None:
    """A page of ``tenant_id`` is open in the tab ``token`` of this process: push it the tenant's call changes."""
    if page not in PAGES or not token:
        return
    tab = Tab(token=token, page=page)
    try:
        registry, _ = _registry()
        with _lock:
            previous = _own.get(tab)
            _own[tab] = tenant_id
        if previous is not None and previous != tenant_id:
            registry.discard(previous, tab)
        registry.add(tenant_id, tab, now=time.time())
    except redis.RedisError:
        log.warning("could not register a live tab; it will not be refreshed", exc_info=True)


def unregister_tab(*, token: str, page: str) -> None:
    """The tab left the page (or closed): no more pushes for it."""
    tab = Tab(token=token, page=page)
    with _lock:
        tenant_id = _own.pop(tab, None)
    if tenant_id is None:
        return
    try:
        _registry()[0].discard(tenant_id, tab)
    except redis.RedisError:
        log.debug("could not unregister a live tab; it expires", exc_info=True)


def tabs_of(tenant_id: int) -> list[Tab]:
    """This process's registered tabs of ``tenant_id`` (a tab registered elsewhere is refreshed by its process)."""
    try:
        return _registry()[0].own_tabs(tenant_id, now=time.time())
    except redis.RedisError:
        log.warning("could not read the live tabs of tenant %s", tenant_id, exc_info=True)
        with _lock:
            return [tab for tab, owner in _own.items() if owner == tenant_id]


def own_tenants() -> set[int]:
    """The tenants this process has registered tabs of."""
    with _lock:
        return set(_own.values())


def own_tokens() -> set[str]:
    """The client tokens of this process's registered tabs."""
    with _lock:
        return {tab.token for tab in _own}


def renew_own_tabs(is_open: Callable[[str], bool]) -> int:
    """Extend the expiry of this process's tabs whose socket ``is_open``; forget the others. Returns how many live.

    Run every ``RENEW_SECONDS`` by the listening process: no database query, one Redis round trip per tab.
    """
    with _lock:
        own = dict(_own)
    closed = [tab for tab in own if not is_open(tab.token)]
    for tab in closed:
        unregister_tab(token=tab.token, page=tab.page)
    live = {tab: tenant for tab, tenant in own.items() if tab not in closed}
    now = time.time()
    try:
        registry = _registry()[0]
        for tab, tenant_id in live.items():
            registry.add(tenant_id, tab, now=now)
    except redis.RedisError:
        log.warning("could not renew live tabs", exc_info=True)
    return len(live)


def local_dates(tenant_ids: Iterable[int], *, now: datetime | None = None) -> dict[int, date]:
    """Each tenant's date now in its own timezone (one query for all of them)."""
    ids = list(tenant_ids)
    if not ids:
        return {}
    moment = now or datetime.now(UTC)
    with session_scope() as session:
        rows = session.exec(select(Tenant.id, Tenant.timezone).where(col(Tenant.id).in_(ids))).all()
    return {tenant_id: to_local(moment, timezone).date() for tenant_id, timezone in rows if tenant_id is not None}


class DayWatch:
    """Which tenants' local day changed since the last look: their open pages' "today" must be read again.

    A tenant seen for the first time is only noted; one no longer given is forgotten.
    """

    def __init__(self) -> None:
        self._days: dict[int, date] = {}

    def changed(self, days: dict[int, date]) -> list[int]:
        """The tenants of ``days`` whose date differs from the one noted at the previous call."""
        rolled = [tenant_id for tenant_id, day in days.items() if self._days.get(tenant_id, day) != day]
        self._days = dict(days)
        return rolled


def publish_calls_changed(tenant_id: int | None) -> None:
    """Tell every web process that ``tenant_id``'s calls changed; call it after the commit. Never raises.

    With Redis, one ``ZCOUNT`` (is any tab of the tenant open?) and one ``PUBLISH``; without, a hand-over to the
    listening loops of this process.
    """
    if tenant_id is None:
        return
    try:
        registry, client = _registry()
        if client is None:
            with _lock:
                listeners = list(_local_listeners)
            for deliver in listeners:
                deliver(tenant_id)
            return
        if registry.has_tabs(tenant_id, now=time.time()):
            client.publish(CHANNEL, str(tenant_id))
    except Exception:
        # Only a refresh hint: the change itself is committed, and the page shows it at its next load.
        log.warning("could not publish a live update for tenant %s", tenant_id, exc_info=True)


async def listen_for_changes(*, on_reconnect: Callable[[], None] | None = None) -> AsyncIterator[int]:
    """The tenant ids whose calls changed, as published (from any process with Redis, this one without).

    With Redis the subscription is re-opened after a connection error; ``on_reconnect`` is then called, since what
    was published meanwhile is lost (the caller refreshes its tabs once).
    """
    url = get_settings().redis_url
    if not url:
        queue: asyncio.Queue[int] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def deliver(tenant_id: int) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, tenant_id)

        with _lock:
            _local_listeners.append(deliver)
        try:
            while True:
                yield await queue.get()
        finally:
            with _lock:
                _local_listeners.remove(deliver)
        return

    import redis.asyncio as aioredis

    pause = 0.5
    first = True
    while True:
        client = aioredis.Redis.from_url(url)
        try:
            async with client.pubsub() as pubsub:
                await pubsub.subscribe(CHANNEL)
                if not first and on_reconnect is not None:
                    on_reconnect()
                first, pause = False, 0.5
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    data = message.get("data")
                    text = data.decode() if isinstance(data, bytes) else str(data)
                    if text.isdigit():
                        yield int(text)
        except (redis.RedisError, OSError):
            log.warning("live updates: Redis subscription lost; retrying in %.1f s", pause, exc_info=True)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 10.0)
            first = False
        finally:
            await client.aclose()


class Coalescer:
    """Turns a stream of "tenant X changed" into at most one ``refresh(X)`` per ``gap`` seconds per tenant.

    The first change after a quiet spell is refreshed after ``gather`` seconds; changes that arrive while one is
    scheduled join it; a change during or soon after a refresh schedules one more, ``gap`` after the previous start,
    so the last change is always shown.
    """

    def __init__(
        self,
        refresh: Callable[[int], Awaitable[Any]],
        *,
        gather: float = GATHER_SECONDS,
        gap: float = COALESCE_SECONDS,
    ) -> None:
        self._refresh = refresh
        self._gather = gather
        self._gap = gap
        self._scheduled: set[int] = set()
        self._last_start: dict[int, float] = {}
        self._tasks: set[asyncio.Task] = set()

    def notify(self, tenant_id: int) -> None:
        if tenant_id in self._scheduled:
            return
        self._scheduled.add(tenant_id)
        task = asyncio.get_running_loop().create_task(self._run(tenant_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, tenant_id: int) -> None:
        loop = asyncio.get_running_loop()
        last = self._last_start.get(tenant_id)
        delay = self._gather if last is None else max(self._gather, last + self._gap - loop.time())
        await asyncio.sleep(delay)
        self._scheduled.discard(tenant_id)
        self._last_start[tenant_id] = loop.time()
        try:
            await self._refresh(tenant_id)
        except Exception:
            log.exception("live refresh of tenant %s failed", tenant_id)
        finally:
            # Forget quiet tenants, so the table holds only those refreshed within the last gap.
            cutoff = loop.time() - self._gap
            for stale in [key for key, started in self._last_start.items() if started < cutoff]:
                if stale not in self._scheduled:
                    del self._last_start[stale]

    async def drain(self) -> None:
        """Wait for the scheduled refreshes (tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

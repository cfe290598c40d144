"""Many users at once: N signed-in browser sessions on AVA's dashboard and calls list, each acting once a second.

Usage (against a running AVA; the same ``AVA_DATABASE_URL`` and ``AVA_DATA_DIR`` as its server, because the users
and calls are written to its database and sessions are opened with its secret key):

    .venv/bin/python bench/sessions.py http://127.0.0.1:3530 --sessions 100 --seconds 60 --server-pid <pid>
    .venv/bin/python bench/sessions.py http://127.0.0.1:3530 --short          # CI: 10 sessions x 5 s

Each session is one browser tab as Chromium runs it (``bench/sessions_protocol.py`` compares the two frame by
frame): a websocket to ``/_event/?token=<tab uuid>&EIO=4&transport=websocket`` with the Reflex version as
subprotocol and the ``ava_sid`` login cookie, Engine.IO 4 / Socket.IO 5 frames on the ``/_event`` namespace, the
``hydrate_and_load`` event inside the CONNECT packet (with the build's state hashes and schema, read from the served
bundle, and ``ava_lang`` as a returning browser has it in local storage), pings answered. Client-side navigation
sends ``update_vars_internal`` then ``on_load_internal`` with the new route's ``router_data``, as React Router does.

Login: the first ``--password-logins`` users (at most 15: the login allows 20 a minute from one address) log in
through the login page's own event (``login_with_password``), receive the one-time cookie grant in its
``_call_script``, post it to ``/api/v1/auth/browser-session`` and keep the cookie it sets. The others skip the
password check only: the bench opens their session with ``accounts.start_session`` (what a successful login does)
and redeems the grant through the same route, so every connection carries a real cookie the server checks on every
event.

Once every session shows its dashboard, each runs, once a second from a random phase, the next user action of a
cycle: switch the period, switch the chart length, open the calls list, filter it by outcome (``set_filter``, whose
``_redirect`` is followed by the navigation), open a call, go back to the dashboard, and a trivial event
(``CallsState.toggle_filters``: no database, only Reflex's state load, lock and save) as the same-run baseline. Every
reply is checked against what the services say the page must show (``sessions_seed``): the user's own email and
organisation, the hour chart's total for the period, the chart's 7 or 30 days, the list's count and rows of the
organisation only, the opened call's id. A reply that is missing, late (> 10 s), wrong or a toast error counts as
an error.

Figures: connect + hydrate (until the dashboard's figures are shown), round trips per action (p50/p95/p99), errors,
the server's RSS before and after connecting (per session), its CPU time per action (all processes of the server's
session), Redis memory per session when ``--redis-url`` is given, and the load context (load average, this
generator's own CPU). Goals: 100 sessions p95 < 150 ms; 1,000 sessions p95 < 500 ms and < 1 MB per session.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import statistics
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

import reflex.constants  # noqa: E402
import sessions_seed  # noqa: E402
from sessions_seed import BenchUser  # noqa: E402

from ava_app.state.auth import AuthState  # noqa: E402
from ava_app.state.call_detail import CallDetailState  # noqa: E402
from ava_app.state.calls import CallsState  # noqa: E402
from ava_app.state.dashboard import DashboardState  # noqa: E402
from ava_app.state.i18n import I18nState  # noqa: E402

ROOT = "reflex___state____state"
I18N, AUTH = I18nState.get_full_name(), AuthState.get_full_name()
DASH, CALLS, DETAIL = DashboardState.get_full_name(), CallsState.get_full_name(), CallDetailState.get_full_name()
LOGIN = f"{AUTH}.ava_app___state___account____login_state"
REACH = f"{AUTH}.ava_app___state___reach____reach_state"
HYDRATE = f"{ROOT}.hydrate_and_load"
UPDATE_VARS = f"{ROOT}.reflex___state____update_vars_internal_state.update_vars_internal"
ON_LOAD = f"{ROOT}.reflex___state____on_load_internal_state.on_load_internal"
LANG_VARS = {f"{I18N}.lang_rx_state_": "en"}
NAMESPACE = "/_event"
CALLS_PER_TENANT = 400
REPLY_TIMEOUT = 10.0
CONNECT_TIMEOUT = 30.0  # a page load: a browser shows its spinner that long before anyone gives up
MAX_PASSWORD_LOGINS = 15
ACTIONS = ("period", "chart_days", "calls", "filter", "open_call", "dashboard", "baseline")
GOALS = {100: 150.0, 1000: 500.0}  # sessions -> round-trip p95 goal (ms)
MEMORY_GOAL_MB = 1.0


def reloaded(hydration: list[bool]) -> bool:
    """Whether a page load's chain ran to its end: ``is_hydrated`` cleared, then set again after that."""
    return False in hydration and True in hydration[hydration.index(False) + 1 :]


def var(name: str) -> str:
    return f"{name}_rx_state_"


HYDRATED = var("is_hydrated")


class Failed(Exception):
    """A reply that did not come, or did not say what the page must show."""


@dataclass
class Build:
    """What the served frontend puts in its CONNECT packet: per-state hashes and the schema hash."""

    hashes: list[str]
    schema: str | None


async def read_build(http: aiohttp.ClientSession, base_url: str) -> Build:
    """The state hashes and schema compiled into the served bundle (found in the chunk the login page preloads)."""
    async with http.get(base_url + "/login") as response:
        html = await response.text()
    for path in dict.fromkeys(re.findall(r'["\'](/assets/[^"\']+\.js)["\']', html)):
        async with http.get(base_url + path) as response:
            script = await response.text()
        hashes = re.search(r"initialStateHashes=`([0-9a-f.]+)`", script)
        if hashes:
            schema = re.search(r"stateSchema=`([0-9a-f]+)`", script)
            return Build(hashes=hashes.group(1).split("."), schema=schema.group(1) if schema else None)
    return Build(hashes=[], schema=None)  # a full hydrate, as a reconnect gets


@dataclass
class Stats:
    connect: list[float] = field(default_factory=list)  # ms, until the dashboard's figures
    hydrate: list[float] = field(default_factory=list)  # ms, until the state snapshot
    rtt: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    sent: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    checked: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    late_ticks: int = 0
    polls: int = 0
    reloads: int = 0

    def error(self, kind: str, text: str) -> None:
        self.errors[kind] += 1
        if len(self.error_samples) < 10:
            self.error_samples.append(f"{kind}: {text[:300]}")


class Tab:
    """One browser tab: a websocket speaking Engine.IO 4 / Socket.IO 5 to Reflex, and the state it was sent."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, build: Build, *, record: bool = False):
        self.http, self.base_url, self.build = http, base_url, build
        self.token = str(uuid.uuid4())
        self.cookie = ""
        self.view: dict[str, dict[str, Any]] = defaultdict(dict)
        self.events: list[dict] = []
        self.updated = asyncio.Event()
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.reader: asyncio.Task | None = None
        self.pathname = "/"
        self.query: dict[str, str] = {}
        self.record = record
        self.sent_frames: list[str] = []
        self.urls: list[str] = []
        self.closed_reason = ""
        # Every ``is_hydrated`` the server sent, in order: a page load's chain may clear and set it again within one
        # read of the socket, before a wait looks at the view, which then holds only the last value.
        self.hydration: list[bool] = []

    def router_data(self) -> dict:
        search = "&".join(f"{key}={value}" for key, value in self.query.items())
        data: dict[str, Any] = {"pathname": self.pathname, "asPath": self.pathname + (f"?{search}" if search else "")}
        if self.query:
            data["query"] = dict(self.query)
        return data

    async def open(self, pathname: str, query: dict[str, str] | None = None) -> float:
        """Load ``pathname`` as a full page load does: connect, hydrate in the CONNECT packet. Returns the ms until
        the state snapshot arrived."""
        await self.close()
        self.pathname, self.query = pathname, dict(query or {})
        self.view.clear()
        self.events.clear()
        ws_url = self.base_url.replace("http", "ws", 1) + f"{NAMESPACE}/?token={self.token}&EIO=4&transport=websocket"
        self.urls.append(ws_url)
        headers = {"Origin": self.base_url}
        if self.cookie:
            headers["Cookie"] = self.cookie
        started = time.perf_counter()
        self.ws = await self.http.ws_connect(
            ws_url, protocols=(reflex.constants.Reflex.VERSION,), headers=headers, max_msg_size=0, autoping=True
        )
        opened = await self.ws.receive_str(timeout=REPLY_TIMEOUT)
        if not opened.startswith("0"):
            raise Failed(f"no Engine.IO open packet: {opened[:80]}")
        payload: dict[str, Any] = {"vars": LANG_VARS}
        if self.build.hashes:
            payload["hashes"] = self.build.hashes
        event = {"name": HYDRATE, "payload": payload, "router_data": self.router_data()}
        auth: dict[str, Any] = {"event": event}
        if self.build.schema:
            auth["state_schema"] = self.build.schema
        await self._send(f"40{NAMESPACE}," + json.dumps(auth, separators=(",", ":")))
        self.reader = asyncio.create_task(self._read())
        await self.wait(lambda: bool(self.view.get(ROOT)), "hydrate", CONNECT_TIMEOUT)
        return (time.perf_counter() - started) * 1000

    async def close(self) -> None:
        if self.ws is not None and not self.ws.closed:
            with _quiet():
                await self._send(f"41{NAMESPACE},")
                await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()
            try:
                with _quiet():
                    await self.reader
            except asyncio.CancelledError:
                # The reader's own cancellation is expected (it may still be reading when the socket closes); a
                # cancellation of this task, the run's time limit, goes on up.
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise
        self.ws = self.reader = None

    async def _send(self, frame: str) -> None:
        assert self.ws is not None
        if self.record:
            self.sent_frames.append(frame)
        await self.ws.send_str(frame)

    async def _read(self) -> None:
        assert self.ws is not None
        prefix = f"42{NAMESPACE},"
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            data = message.data
            if data == "2":
                await self._send("3")
            elif data.startswith(prefix):
                name, update = json.loads(data[len(prefix) :])[:2]
                if name == "event":
                    for state, values in (update.get("delta") or {}).items():
                        self.view[state].update(values)
                        if state == ROOT and HYDRATED in values:
                            self.hydration.append(values[HYDRATED])
                    self.events.extend(update.get("events") or [])
                    self.updated.set()
            elif data.startswith(f"44{NAMESPACE}"):
                self.closed_reason = f"connect refused: {data[:200]}"
                break
        self.closed_reason = self.closed_reason or "websocket closed"
        self.updated.set()

    async def emit(self, name: str, payload: dict | None = None) -> None:
        event: dict[str, Any] = {"name": name}
        if payload:
            event["payload"] = payload
        event["router_data"] = self.router_data()
        await self._send(f"42{NAMESPACE}," + json.dumps(["event", event], separators=(",", ":")))

    async def navigate(self, pathname: str, query: dict[str, str] | None = None) -> None:
        """Client-side navigation: what React Router's location change sends."""
        self.pathname, self.query = pathname, dict(query or {})
        await self.emit(UPDATE_VARS, {"vars": LANG_VARS})
        await self.emit(ON_LOAD)

    def get(self, state: str, name: str, default: Any = None) -> Any:
        return self.view.get(state, {}).get(var(name), default)

    def forget(self, state: str, *names: str) -> None:
        """Drop vars from the view, so a wait sees them only when the server sends them again."""
        for name in names:
            self.view.get(state, {}).pop(var(name), None)

    async def wait(self, done, what: str, timeout: float = REPLY_TIMEOUT) -> None:
        """Until ``done()`` holds for what the server sent; Failed on a toast error, a login redirect or a timeout."""
        deadline = time.monotonic() + timeout
        while True:
            self._check_events(what)
            if done():
                return
            if self.reader is not None and self.reader.done():
                raise Failed(f"{what}: {self.closed_reason}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Failed(f"{what}: no reply within {timeout:.0f} s")
            self.updated.clear()
            with _quiet(asyncio.TimeoutError):
                await asyncio.wait_for(self.updated.wait(), remaining)

    def _check_events(self, what: str) -> None:
        for event in self.events:
            text = json.dumps(event)
            if event.get("name") == "_redirect" and "/login" in text:
                raise Failed(f"{what}: sent to the login page")
            if "toast" in text and "error" in text:
                raise Failed(f"{what}: toast {text[:200]}")

    def take_event(self, name: str) -> dict | None:
        for index, event in enumerate(self.events):
            if event.get("name") == name:
                return self.events.pop(index)
        return None


class _quiet:
    """``with _quiet():`` ignores the given exceptions (all by default), for best-effort closing."""

    def __init__(self, *kinds: type[BaseException]):
        self.kinds = kinds or (Exception,)

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, _value, _tb) -> bool:
        return kind is not None and issubclass(kind, self.kinds)


# --- logging in -----------------------------------------------------------------------------------------------------


async def login_with_password(tab: Tab, user: BenchUser) -> None:
    """The login page: its events, the grant its script posts, the cookie the answer sets."""
    await tab.open("/login")
    await tab.emit(f"{LOGIN}.set_browser_country", {"tag": "en-US"})
    # The login form's fields as the page submits them: Reflex's form sends each input by its name and by its id.
    pairs = [["email", user.email], ["password", sessions_seed.PASSWORD]]
    form = {"__reflex_form_data__": [*pairs, *[[f"login_{name}", value] for name, value in pairs]]}
    await tab.emit(f"{AUTH}.login_with_password", {"form": form})
    found: dict[str, str] = {}

    def granted() -> bool:
        for event in tab.events:
            code = (event.get("payload") or {}).get("javascript_code", "")
            match = re.search(r"grant: (\"[^\"]+\")", code)
            if match:
                found["grant"] = json.loads(match.group(1))
                return True
        return bool(tab.get(AUTH, "form_error"))

    await tab.wait(granted, "login")
    if "grant" not in found:
        raise Failed(f"login refused: {tab.get(AUTH, 'form_error')}")
    tab.events.clear()
    await redeem(tab, found["grant"])


def open_session_grant(user: BenchUser) -> str:
    """What a successful login does, without the password check: a new AuthSession and its cookie grant."""
    from ava_app.db import session_scope
    from ava_app.models import User
    from ava_app.services import accounts, browser_sessions

    with session_scope() as session:
        row = session.get(User, user.user_id)
        assert row is not None
        result = accounts.start_session(session, user=row, ip="127.0.0.1", user_agent="AVA sessions bench")
        return browser_sessions.issue_cookie_grant(session_id=result.session_id, user_id=result.user_id)


async def redeem(tab: Tab, grant: str) -> None:
    """``POST /api/v1/auth/browser-session`` as the login page's script does; keeps the ``ava_sid`` cookie."""
    async with tab.http.post(
        tab.base_url + "/api/v1/auth/browser-session", json={"grant": grant}, headers={"Origin": tab.base_url}
    ) as response:
        if response.status != 204 or "ava_sid" not in response.cookies:
            raise Failed(f"browser-session answered {response.status}")
        tab.cookie = f"ava_sid={response.cookies['ava_sid'].value}"


# --- the pages and actions ------------------------------------------------------------------------------------------


def hour_total(figure: Any) -> int | None:
    if not isinstance(figure, dict) or not figure.get("data"):
        return None
    return int(sum(sum(trace.get("y") or []) for trace in figure["data"]))


def day_count(figure: Any) -> int | None:
    if not isinstance(figure, dict) or not figure.get("data"):
        return None
    return len(figure["data"][0].get("x") or [])


def digits(text: Any) -> str:
    return re.sub(r"\D", "", str(text or ""))


class Session:
    """One signed-in user's tab and the next action of its cycle."""

    def __init__(self, tab: Tab, user: BenchUser, stats: Stats, rng: random.Random, *, step: int = 0):
        self.tab, self.user, self.stats, self.rng = tab, user, stats, rng
        self.period, self.chart_days, self.outcome = "week", 7, ""
        self.filters_open = False
        # Sessions start at different points of the cycle, so every action runs from the first second on.
        self.step = step % len(ACTIONS)

    async def open_dashboard(self, *, timed: bool = True) -> None:
        """The full load of /dashboard after login: hydrate, the shell, the figures (and ReachState on mount)."""
        tab = self.tab
        started = time.perf_counter()
        hydrated = await tab.open("/dashboard")
        await tab.emit(f"{REACH}.load_reach")
        await tab.wait(
            lambda: tab.get(DASH, "loaded") is True and tab.get(AUTH, "user_email"), "dashboard", CONNECT_TIMEOUT
        )
        if timed:
            self.stats.connect.append((time.perf_counter() - started) * 1000)
            self.stats.hydrate.append(hydrated)
        self._check_shell()
        await tab.wait(lambda: hour_total(tab.get(DASH, "hour_figure")) is not None, "dashboard figures")
        self._check_hours()

    def _check_shell(self) -> None:
        tab, user = self.tab, self.user
        if tab.get(AUTH, "user_email") != user.email:
            raise Failed(f"shell shows {tab.get(AUTH, 'user_email')!r}, not {user.email}")
        if tab.get(AUTH, "tenant_name") != user.tenant.tenant_name:
            raise Failed(f"shell shows organisation {tab.get(AUTH, 'tenant_name')!r}")

    def _check_hours(self) -> None:
        got, wanted = hour_total(self.tab.get(DASH, "hour_figure")), self.user.tenant.hour_calls[self.period]
        if got != wanted:
            raise Failed(f"hour chart of {self.period} sums to {got}, expected {wanted}")

    async def act(self, action: str) -> None:
        tab, tenant = self.tab, self.user.tenant
        tab.events.clear()
        if action == "period":
            old = self.period
            self.period = sessions_seed.PERIODS[(sessions_seed.PERIODS.index(old) + 1) % 3]
            changes = tenant.hour_calls[self.period] != tenant.hour_calls[old]
            # An unchanged figure is not sent again (on a Monday the week's chart is today's): the tab keeps the one
            # it has, so it is forgotten only when the chart must change.
            tab.forget(DASH, "period", *(("hour_figure",) if changes else ()))
            await tab.emit(f"{DASH}.set_period", {"period": self.period})
            if changes:
                await tab.wait(lambda: tab.get(DASH, "hour_figure") is not None, "period")
                self._check_hours()
            else:  # the same total: only the period is sure to come back
                await tab.wait(lambda: tab.get(DASH, "period") == self.period, "period")
        elif action == "chart_days":
            self.chart_days = 30 if self.chart_days == 7 else 7
            tab.forget(DASH, "day_figure")
            await tab.emit(f"{DASH}.set_chart_days", {"days": str(self.chart_days)})
            await tab.wait(lambda: tab.get(DASH, "day_figure") is not None, "chart days")
            if day_count(tab.get(DASH, "day_figure")) != self.chart_days:
                raise Failed(f"chart shows {day_count(tab.get(DASH, 'day_figure'))} days, not {self.chart_days}")
        elif action == "calls":
            self.outcome = ""
            await self._list({}, tenant.total_calls)
        elif action == "filter":
            choices = [o for o in sessions_seed.FILTER_OUTCOMES if o != self.outcome]
            self.outcome = self.rng.choice(choices)
            if tab.pathname != "/calls":
                tab.pathname, tab.query = "/calls", {}
            await tab.emit(f"{CALLS}.set_filter", {"name": "outcome", "value": self.outcome})
            await tab.wait(lambda: any(e.get("name") == "_redirect" for e in tab.events), "filter redirect")
            redirect = tab.take_event("_redirect") or {}
            if (redirect.get("payload") or {}).get("path") != f"/calls?outcome={self.outcome}":
                raise Failed(f"filter redirected to {redirect}")
            await self._list({"outcome": self.outcome}, tenant.outcome_counts[self.outcome])
        elif action == "open_call":
            call_id = self.rng.choice(tenant.call_ids)
            tab.forget(DETAIL, "call")
            await tab.navigate(f"/calls/{call_id}", {"id": str(call_id)})
            await tab.wait(lambda: (tab.get(DETAIL, "call") or {}).get("id") is not None, "open call")
            if tab.get(DETAIL, "call")["id"] != call_id:
                raise Failed(f"opened call {tab.get(DETAIL, 'call')['id']}, not {call_id}")
        elif action == "dashboard":
            # Back to the dashboard: the page's load ends when its on-load chain (session check, shell, figures) set
            # ``is_hydrated`` again. The shell and the figures are re-sent only where they changed (the shell is
            # read once per connection), so what the tab shows then is checked: its own user, organisation and
            # hour chart.
            # The previous page's chain may still be sending its own ``is_hydrated``: this load's chain is the one
            # that first clears it, then sets it.
            tab.hydration.clear()
            await tab.navigate("/dashboard")
            await tab.wait(lambda: reloaded(tab.hydration), "dashboard again")
            self._check_shell()
            self._check_hours()
        elif action == "baseline":
            self.filters_open = not self.filters_open
            tab.forget(CALLS, "filters_open")
            await tab.emit(f"{CALLS}.toggle_filters")
            await tab.wait(lambda: tab.get(CALLS, "filters_open") is not None, "baseline")
            if tab.get(CALLS, "filters_open") != self.filters_open:
                raise Failed("toggle_filters came back unchanged")

    async def _list(self, query: dict[str, str], count: int) -> None:
        tab = self.tab
        tab.forget(CALLS, "rows", "count_label")
        await tab.navigate("/calls", query)
        await tab.wait(
            lambda: tab.get(CALLS, "rows") is not None and tab.get(CALLS, "count_label") is not None, "calls list"
        )
        # rows come with the count in the last delta of load_calls; wait for the loading flag to drop too
        await tab.wait(lambda: tab.get(CALLS, "loading") is False, "calls list loaded")
        if digits(tab.get(CALLS, "count_label")) != str(count):
            raise Failed(f"list counts {tab.get(CALLS, 'count_label')!r}, expected {count}")
        ids = {row.get("id") for row in tab.get(CALLS, "rows") or []}
        if not ids or not ids <= self.user.tenant.all_ids:
            raise Failed(f"list rows {sorted(ids)[:5]} not all of organisation {self.user.tenant.tenant_id}")

    async def poll(self, until: float) -> None:
        """The dashboard's 5 s timer as browsers run it today (``--poll``): ``refresh`` while on the dashboard.

        Not checked (a poll re-sends only what changed, often nothing) and not timed; counted in the CPU per action.
        """
        await asyncio.sleep(self.rng.random() * 5)
        while time.monotonic() < until:
            if self.tab.pathname == "/dashboard" and self.tab.ws is not None:
                with _quiet():
                    await self.tab.emit(f"{DASH}.refresh", {"_tick": time.strftime("%a %b %d %Y %H:%M:%S GMT+0000")})
                    self.stats.polls += 1
            await asyncio.sleep(5)

    async def run(self, until: float, *, poll: bool = False, interval: float = 1.0) -> None:
        """One action every ``interval`` seconds from a random phase until ``until`` (monotonic); never two in
        flight."""
        poller = asyncio.create_task(self.poll(until)) if poll else None
        try:
            await self._actions(until, interval)
        finally:
            if poller is not None:
                poller.cancel()

    async def _actions(self, until: float, interval: float) -> None:
        next_at = time.monotonic() + self.rng.random() * interval
        while True:
            now = time.monotonic()
            if next_at > now:
                await asyncio.sleep(next_at - now)
            if time.monotonic() >= until:
                return
            action = ACTIONS[self.step % len(ACTIONS)]
            self.step += 1
            self.stats.sent[action] += 1
            started = time.perf_counter()
            try:
                await self.act(action)
            except Failed as error:
                self.stats.error(action, f"{self.user.email}: {error}")
                await self._recover()
            else:
                self.stats.rtt[action].append((time.perf_counter() - started) * 1000)
                self.stats.checked[action] += 1
            next_at += interval
            if next_at < time.monotonic():
                self.stats.late_ticks += 1
                next_at = time.monotonic()

    async def _recover(self) -> None:
        """After an error on a closed websocket, load the dashboard afresh (not timed). A late reply on an open one
        leaves the tab as it is: reloading it would add a full page load to a server already behind."""
        if self.tab.reader is not None and not self.tab.reader.done():
            return
        with _quiet():
            self.period, self.chart_days, self.outcome, self.filters_open = "week", 7, "", False
            await self.open_dashboard(timed=False)
        self.stats.reloads += 1


# --- the server's processes -----------------------------------------------------------------------------------------


def _session_pids(pid: int) -> list[int]:
    """Every process in the same session as ``pid`` (the server started in a session of its own)."""
    session = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[3])
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with _quiet():
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[3]) == session:
                    found.append(int(entry.name))
    return found


@dataclass
class Usage:
    rss_mb: float
    cpu_s: float
    processes: int


def server_usage(pid: int | None) -> Usage | None:
    if pid is None:
        return None
    rss = cpu = 0.0
    pids = _session_pids(pid)
    ticks = os.sysconf("SC_CLK_TCK")
    for each in pids:
        with _quiet():
            status = Path(f"/proc/{each}/status").read_text()
            rss += int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / ticks
    return Usage(rss_mb=rss, cpu_s=cpu, processes=len(pids))


async def redis_used_mb(url: str | None) -> float | None:
    if not url:
        return None
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    try:
        return (await client.info("memory"))["used_memory"] / 1e6
    finally:
        await client.aclose()


# --- the run --------------------------------------------------------------------------------------------------------


def percentile(samples: list[float], share: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


async def connect_all(
    http: aiohttp.ClientSession, base_url: str, build: Build, users: list[BenchUser], args, stats: Stats
) -> list[Session]:
    gate = asyncio.Semaphore(args.connect_concurrency)
    made: list[Session] = []

    async def one(index: int, user: BenchUser) -> None:
        async with gate:
            tab = Tab(http, base_url, build)
            session = Session(tab, user, stats, random.Random(args.seed * 100_003 + index), step=index)
            try:
                if index < args.password_logins:
                    await login_with_password(tab, user)
                else:
                    await redeem(tab, await asyncio.to_thread(open_session_grant, user))
                await session.open_dashboard()
            except (TimeoutError, Failed, aiohttp.ClientError) as error:
                stats.error("connect", f"{user.email}: {error!r}")
                await tab.close()
                return
            made.append(session)

    await asyncio.gather(*(one(index, user) for index, user in enumerate(users)))
    return made


async def run(args) -> dict:
    users = sessions_seed.seed(users=args.sessions, tenants=args.tenants, calls_per_tenant=CALLS_PER_TENANT)
    stats = Stats()
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()) as http:
        build = await read_build(http, args.base_url)
        before, redis_before = server_usage(args.server_pid), await redis_used_mb(args.redis_url)
        own_before = resource.getrusage(resource.RUSAGE_SELF)
        print(f"connecting {len(users)} sessions", flush=True)
        started = time.monotonic()
        sessions = await connect_all(http, args.base_url, build, users, args, stats)
        connect_seconds = time.monotonic() - started
        await asyncio.sleep(2)  # let the server settle (disconnected login tabs, garbage)
        connected, redis_connected = server_usage(args.server_pid), await redis_used_mb(args.redis_url)
        load_before = os.getloadavg()
        print(f"{len(sessions)} connected in {connect_seconds:.1f} s; acting for {args.seconds:.0f} s", flush=True)
        until = time.monotonic() + args.seconds
        await asyncio.gather(*(session.run(until, poll=args.poll, interval=args.interval) for session in sessions))
        after = server_usage(args.server_pid)
        own_after = resource.getrusage(resource.RUSAGE_SELF)
        load_after = os.getloadavg()
        await asyncio.gather(*(session.tab.close() for session in sessions))
    actions = sum(len(samples) for samples in stats.rtt.values()) + sum(stats.errors.values())
    result: dict[str, Any] = {
        "label": args.label,
        "sessions": args.sessions,
        "connected": len(sessions),
        "seconds": args.seconds,
        "connect_phase_s": round(connect_seconds, 1),
        "hydrate_ms": _summary(stats.hydrate),
        "connect_ms": _summary(stats.connect),
        "rtt_ms": {action: _summary(stats.rtt[action]) for action in ACTIONS},
        "rtt_ava_ms": _summary([ms for action in ACTIONS if action != "baseline" for ms in stats.rtt[action]]),
        "sent": dict(stats.sent),
        "checked": dict(stats.checked),
        "errors": dict(stats.errors),
        "error_samples": stats.error_samples,
        "late_ticks": stats.late_ticks,
        "polls": stats.polls,
        "reloads_after_error": stats.reloads,
        "interval_s": args.interval,
        "actions_per_s": round(actions / args.seconds, 1),
        "state_hashes": len(build.hashes),
        "loadavg": [round(x, 2) for x in (*load_before, *load_after)],
        "generator_cpu_s": round(
            (own_after.ru_utime + own_after.ru_stime) - (own_before.ru_utime + own_before.ru_stime), 1
        ),
    }
    if before and connected and after:
        result["server"] = {
            "processes": after.processes,
            "rss_before_mb": round(before.rss_mb, 1),
            "rss_connected_mb": round(connected.rss_mb, 1),
            "rss_after_mb": round(after.rss_mb, 1),
            "rss_per_session_mb": round((connected.rss_mb - before.rss_mb) / max(1, len(sessions)), 3),
            "cpu_per_action_ms": round((after.cpu_s - connected.cpu_s) * 1000 / max(1, actions), 2),
            "cpu_share_of_a_core": round((after.cpu_s - connected.cpu_s) / args.seconds, 2),
        }
    if redis_before is not None and redis_connected is not None:
        result["redis_per_session_mb"] = round((redis_connected - redis_before) / max(1, len(sessions)), 3)
    return result


def _summary(samples: list[float]) -> dict:
    if not samples:
        return {"n": 0}
    return {
        "n": len(samples),
        "p50": round(statistics.median(samples), 1),
        "p95": round(percentile(samples, 0.95), 1),
        "p99": round(percentile(samples, 0.99), 1),
        "max": round(max(samples), 1),
    }


def report(result: dict) -> bool:
    """Prints the figures; True when every goal that applies is met."""
    print(f"\n== {result['label']}: {result['connected']}/{result['sessions']} sessions, {result['seconds']} s ==")
    print(f"  load average before/after (1, 5, 15 min): {result['loadavg']}")
    print(f"  generator CPU {result['generator_cpu_s']} s")
    print(f"  connect phase {result['connect_phase_s']} s; state hashes sent: {result['state_hashes']}")
    for name in ("hydrate_ms", "connect_ms"):
        print(f"  {name:<12} {result[name]}")
    for action, figures in result["rtt_ms"].items():
        print(f"  rtt {action:<10} {figures}")
    print(f"  rtt AVA actions {result['rtt_ava_ms']}")
    print(f"  sent {result['sent']}\n  checked {result['checked']}\n  errors {result['errors']}")
    for sample in result["error_samples"]:
        print(f"    {sample}")
    print(
        f"  actions/s {result['actions_per_s']} (one per {result['interval_s']} s per session), late ticks "
        f"{result['late_ticks']}, polls {result['polls']}, reloads after an error {result['reloads_after_error']}"
    )
    if "server" in result:
        print(f"  server {result['server']}")
    if "redis_per_session_mb" in result:
        print(f"  redis per session {result['redis_per_session_mb']} MB")
    ok = not result["errors"] and result["connected"] == result["sessions"]
    goal = GOALS.get(result["sessions"])
    if goal is not None:
        p95 = result["rtt_ava_ms"].get("p95", float("inf"))
        print(f"  goal p95 < {goal:.0f} ms: {'PASS' if p95 < goal else 'FAIL'} ({p95} ms)")
        ok = ok and p95 < goal
    if result["sessions"] >= 1000 and "server" in result:
        per = result["server"]["rss_per_session_mb"]
        print(f"  goal < {MEMORY_GOAL_MB} MB per session: {'PASS' if per < MEMORY_GOAL_MB else 'FAIL'} ({per} MB)")
        ok = ok and per < MEMORY_GOAL_MB
    return ok


async def record_steps(base_url: str, user: BenchUser, call_id: int) -> dict:
    """The frames this generator sends for the protocol check's steps (``sessions_protocol.py``)."""
    steps: dict[str, list[str]] = {}
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        build = await read_build(http, base_url)
        tab = Tab(http, base_url, build, record=True)
        session = Session(tab, user, Stats(), random.Random(0))
        await login_with_password(tab, user)
        steps["login"], tab.sent_frames = tab.sent_frames, []
        await session.open_dashboard()
        steps["dashboard"], tab.sent_frames = tab.sent_frames, []
        session.period = "week"  # the next is month, as the browser's click
        await session.act("period")
        steps["period"], tab.sent_frames = tab.sent_frames, []
        await session.act("calls")
        steps["calls"], tab.sent_frames = tab.sent_frames, []
        session.outcome, session.rng = "", _Fixed("missed")  # type: ignore[assignment]
        await session.act("filter")
        steps["filter"], tab.sent_frames = tab.sent_frames, []
        session.rng = _Fixed(call_id)  # type: ignore[assignment]
        await session.act("open_call")
        steps["open_call"], tab.sent_frames = tab.sent_frames, []
        await tab.close()
    return {"steps": steps, "urls": tab.urls}


class _Fixed:
    """A stand-in for ``random.Random`` whose choice is fixed (the protocol check repeats the browser's clicks)."""

    def __init__(self, value: Any):
        self.value = value

    def choice(self, _options: Any) -> Any:
        return self.value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base_url")
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between a session's actions")
    parser.add_argument("--short", action="store_true", help="CI: 10 sessions x 5 s, 2 organisations")
    parser.add_argument("--password-logins", type=int, default=5, help=f"at most {MAX_PASSWORD_LOGINS}")
    parser.add_argument("--connect-concurrency", type=int, default=20)
    parser.add_argument("--server-pid", type=int, help="any process of the server's session (RSS and CPU)")
    parser.add_argument("--redis-url", help="the Redis of Reflex's state, for its memory per session")
    parser.add_argument("--poll", action="store_true", help="also send the dashboard's 5 s refresh, as browsers do")
    parser.add_argument("--label", default="")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if args.short:
        args.sessions, args.seconds, args.tenants, args.password_logins = 10, 5.0, 2, 2
    args.password_logins = min(args.password_logins, MAX_PASSWORD_LOGINS, args.sessions)
    args.label = args.label or f"{args.sessions} sessions"
    hard_limit = 600 + args.seconds + args.sessions * 0.5
    result = asyncio.run(asyncio.wait_for(run(args), hard_limit))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0 if report(result) else 1


if __name__ == "__main__":
    sys.exit(main())

"""The dashboard on a phone: bytes transferred, stats visible and charts visible, on a throttled 390 px Chromium.

Usage:

    .venv/bin/python bench/dashboard_phone.py http://127.0.0.1:3411 --email demo@ava.localhost --password ... \\
        [--runs 3] [--path /dashboard] [--against http://127.0.0.1:3412]

Against a running AVA (production build, as users get it), logged in through its login page. Each run opens a fresh
browser context (empty cache) at 390 x 844, with the network of DevTools' "Fast 4G" (CDP
``Network.emulateNetworkConditions``: 9 Mbps down, 1.5 Mbps up, 60 ms latency) and the CPU slowed 4x
(``Emulation.setCPUThrottlingRate``), then navigates to the page. Times are the page's own clock from navigation
start (``performance.now()``), read by a 25 ms poll installed before the page's scripts run:

- stats visible: the first KPI figure (``.kpi-value``) has text;
- charts visible: two plotly charts have drawn their bars (``.js-plotly-plot .trace.bars``);
- bytes: the encoded (on-the-wire) length of every response (CDP ``Network.loadingFinished``) plus the websocket
  frames received, until the charts are drawn and the network has been idle for a second.

Baseline in the same run: the login page (signed out), under the same throttling, with its bytes and the time its
form shows. Goals (issue 13): stats < 1.5 s, charts < 2.5 s, < 900 KB in all. Exit status 1 if a goal is missed.

``--against`` names a second server (another build on a copy of the same data, e.g. the code before a change): each
run then opens the page on both, in turn and alternating which goes first, so a load spike on a shared machine
weighs on both builds alike. Its figures are printed beside the first server's (informational, not judged).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 390, "height": 844}
FAST_4G = {
    "offline": False,
    "latency": 60,
    "downloadThroughput": 9_000_000 / 8,
    "uploadThroughput": 1_500_000 / 8,
}
CPU_SLOWDOWN = 4
GOALS = {"stats": 1.5, "charts": 2.5, "kb": 900}
TIMEOUT_S = 40

# Records, on the page's own clock, when each marker first shows; read back once the page has settled.
WATCH = """
window.__marks = {};
const __watch = setInterval(() => {
  const m = window.__marks;
  if (m.stats === undefined) {
    const kpi = document.querySelector('.kpi-value');
    if (kpi && kpi.textContent.trim() !== '') m.stats = performance.now();
  }
  if (m.form === undefined && document.querySelector('input[type=password]')) m.form = performance.now();
  if (m.charts === undefined) {
    const drawn = [...document.querySelectorAll('.js-plotly-plot')].filter((p) => p.querySelector('.trace.bars'));
    if (drawn.length >= 2) m.charts = performance.now();
  }
  if (m.stats !== undefined && m.charts !== undefined) clearInterval(__watch);
}, 25);
"""


@dataclass
class Load:
    """One navigation: seconds to each marker (None if it never showed) and kilobytes received."""

    stats: float | None
    charts: float | None
    form: float | None
    kb: float
    requests: int


def _login_cookies(browser, base_url: str, email: str, password: str) -> dict:
    context = browser.new_context()
    context.add_init_script("localStorage.setItem('ava_lang', 'en')")
    page = context.new_page()
    page.goto(base_url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/(dashboard|onboarding)/?$"), timeout=60_000)
    state = context.storage_state()
    context.close()
    return {"cookies": state["cookies"], "origins": []}


def measure(browser, url: str, *, storage_state: dict | None, wait_for: str) -> Load:
    """Open ``url`` in a fresh throttled context; ``wait_for`` is the marker that ends the load (stats+charts/form)."""
    context = browser.new_context(viewport=VIEWPORT, storage_state=storage_state, device_scale_factor=3)
    context.add_init_script("localStorage.setItem('ava_lang', 'en');" + WATCH)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    received = {"bytes": 0, "requests": 0}

    def finished(event: dict) -> None:
        received["bytes"] += event.get("encodedDataLength", 0)
        received["requests"] += 1

    def frame(event: dict) -> None:
        received["bytes"] += len(event.get("response", {}).get("payloadData", ""))

    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.webSocketFrameReceived", frame)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", FAST_4G)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    page.goto(url, wait_until="commit", timeout=TIMEOUT_S * 1000)
    deadline = time.monotonic() + TIMEOUT_S
    wanted = ("stats", "charts") if wait_for == "charts" else ("form",)
    while time.monotonic() < deadline:
        marks = page.evaluate("window.__marks || {}")
        if all(marks.get(name) is not None for name in wanted):
            break
        page.wait_for_timeout(100)
    # Whatever loads after the markers (late chunks, the first refresh) counts too: wait for a quiet network.
    quiet_until = time.monotonic() + 1.0
    last = received["bytes"]
    while time.monotonic() < min(quiet_until, deadline + 5):
        page.wait_for_timeout(200)
        if received["bytes"] != last:
            last, quiet_until = received["bytes"], time.monotonic() + 1.0
    marks = page.evaluate("window.__marks || {}")
    context.close()

    def seconds(name: str) -> float | None:
        value = marks.get(name)
        return None if value is None else value / 1000

    return Load(seconds("stats"), seconds("charts"), seconds("form"), received["bytes"] / 1000, received["requests"])


def _median(values: list[float | None]) -> float | None:
    seen = [value for value in values if value is not None]
    return statistics.median(seen) if len(seen) == len(values) else None


def _fmt(value: float | None, unit: str = "s") -> str:
    return "never" if value is None else f"{value:.2f} {unit}" if unit == "s" else f"{value:.0f} {unit}"


def _summary(label: str, loads: list[Load], runs: int) -> tuple[float | None, float | None, float]:
    stats = _median([load.stats for load in loads])
    charts = _median([load.charts for load in loads])
    kb = statistics.median(load.kb for load in loads)
    print(f"median of {runs}: {label} stats {_fmt(stats)}, charts {_fmt(charts)}, {_fmt(kb, 'KB')}")
    return stats, charts, kb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url")
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--path", default="/dashboard")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--against", help="another server measured in the same runs, in turn (same login)")
    parser.add_argument("--chromium", default=CHROMIUM, type=Path)
    args = parser.parse_args(argv)
    base_url = args.base_url.rstrip("/")
    other_url = args.against.rstrip("/") if args.against else None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(args.chromium), args=ARGS, headless=True)
        signed_in = _login_cookies(browser, base_url, args.email, args.password)
        other_signed_in = _login_cookies(browser, other_url, args.email, args.password) if other_url else None
        logins: list[Load] = []
        dashboards: list[Load] = []
        others: list[Load] = []
        for run in range(1, args.runs + 1):
            login = measure(browser, base_url + "/login", storage_state=None, wait_for="form")
            logins.append(login)
            order = [(base_url, signed_in, dashboards)]
            if other_url:
                order.append((other_url, other_signed_in, others))
                order = order[::-1] if run % 2 == 0 else order
            for url, state, loads in order:
                loads.append(measure(browser, url + args.path, storage_state=state, wait_for="charts"))
            line = (
                f"run {run}: login page {_fmt(login.form)} form, {_fmt(login.kb, 'KB')} | "
                f"{args.path} {_fmt(dashboards[-1].stats)} stats, {_fmt(dashboards[-1].charts)} charts, "
                f"{_fmt(dashboards[-1].kb, 'KB')} in {dashboards[-1].requests} responses"
            )
            if other_url:
                line += (
                    f" | against: {_fmt(others[-1].stats)} stats, {_fmt(others[-1].charts)} charts, "
                    f"{_fmt(others[-1].kb, 'KB')} in {others[-1].requests} responses"
                )
            print(line)
        browser.close()
    print(
        f"median of {args.runs}: login page (baseline) {_fmt(_median([load.form for load in logins]))} form, "
        f"{_fmt(statistics.median(load.kb for load in logins), 'KB')}"
    )
    if other_url:
        _summary(f"{other_url}{args.path} (against, not judged)", others, args.runs)
    stats, charts, kb = _summary(f"{base_url}{args.path}", dashboards, args.runs)
    verdicts = {
        "stats": stats is not None and stats < GOALS["stats"],
        "charts": charts is not None and charts < GOALS["charts"],
        "kb": kb < GOALS["kb"],
    }
    print(
        f"goals: stats < {GOALS['stats']} s {'PASS' if verdicts['stats'] else 'FAIL'}; "
        f"charts < {GOALS['charts']} s {'PASS' if verdicts['charts'] else 'FAIL'}; "
        f"< {GOALS['kb']} KB {'PASS' if verdicts['kb'] else 'FAIL'}"
    )
    return 0 if all(verdicts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

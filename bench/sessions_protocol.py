"""Checks ``sessions.py`` speaks to ``/_event`` as a real Chromium does: same frames, event names and payload keys.

Usage (against a running AVA seeded by ``sessions.py``, same environment as its server):

    .venv/bin/python bench/sessions_protocol.py http://127.0.0.1:3530 [--save capture.json]

Chromium (``/usr/bin/chromium``, ``--no-sandbox --disable-gpu --disable-background-networking``, headless) logs in
one benchmark user through the login page, opens the dashboard, switches the period, opens the calls list, filters it
by outcome and opens a call; Playwright's ``page.on("websocket")`` records every frame sent and received. The load
generator then does the same steps for the same user with its own client and records its frames. Both are reduced
to a shape (the Engine.IO/Socket.IO packet type and namespace, the Socket.IO event, the Reflex event name with the
``router_data`` and ``payload`` keys, the CONNECT payload's keys, the websocket URL's query keys and subprotocol) and
compared: every shape the generator sends must be one Chromium sends for that step. Exit status 1 on a difference.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sessions  # noqa: E402
import sessions_seed  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
FRAME = re.compile(r"^(\d+)(/[^,\[{]*,)?(.*)$", re.S)


def shape(frame: str) -> str | None:
    """A frame reduced to what must match: packet type, namespace, event and the keys of what it carries.

    Pings and pongs (``2``/``3``) are left out: their timing is the transport's, not the app's.
    """
    found = FRAME.match(frame)
    if not found:
        return f"raw:{frame[:20]}"
    kind, namespace, body = found.group(1), (found.group(2) or "").rstrip(","), found.group(3)
    if kind in ("2", "3"):
        return None
    data = json.loads(body) if body else None
    if kind == "40" and isinstance(data, dict):
        event = data.get("event") or {}
        return f"40{namespace} auth={sorted(data)} event={_event_shape(event)}"
    if kind == "42" and isinstance(data, list) and data:
        if len(data) > 1 and isinstance(data[1], dict) and "name" in data[1]:
            return f"42{namespace} {data[0]} {_event_shape(data[1])}"
        return f"42{namespace} {data[0]}"
    return f"{kind}{namespace}"


def _event_shape(event: dict) -> str:
    router = sorted((event.get("router_data") or {}).keys())
    payload = event.get("payload") or {}
    return f"{event.get('name')} keys={sorted(event)} router_data={router} payload={sorted(payload)}"


def capture_chromium(base_url: str, email: str, password: str) -> dict:
    """Frames a real Chromium sends per step, and the websocket URLs it opened."""
    from playwright.sync_api import sync_playwright

    steps: dict[str, list[str]] = {}
    urls: list[str] = []
    current = {"step": "login"}

    def on_socket(socket) -> None:
        urls.append(socket.url)
        socket.on("framesent", lambda payload: steps.setdefault(current["step"], []).append(str(payload)))

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context()
        context.add_init_script("localStorage.setItem('ava_lang', 'en')")
        page = context.new_page()
        page.on("websocket", on_socket)
        page.goto(base_url + "/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        current["step"] = "dashboard"
        page.wait_for_url(re.compile(r".*/dashboard/?$"), timeout=60_000)
        page.locator(".kpi-value").first.wait_for(timeout=30_000)
        page.wait_for_timeout(1500)
        current["step"] = "period"
        page.get_by_role("radio", name="Month").click()
        page.wait_for_timeout(1500)
        current["step"] = "calls"
        page.get_by_role("link", name="Calls").first.click()
        page.wait_for_url(re.compile(r".*/calls/?$"), timeout=30_000)
        page.wait_for_timeout(1500)
        current["step"] = "filter"
        page.goto(base_url + "/calls")  # a full load, so the filter's select is the only event of the step
        page.wait_for_timeout(1500)
        steps.pop("filter", None)
        current["step"] = "filter"
        page.get_by_role("combobox").filter(has_text=re.compile("Outcome|Any", re.I)).first.click()
        page.get_by_role("option", name="Missed").click()
        page.wait_for_url(re.compile(r".*outcome=missed"), timeout=30_000)
        page.wait_for_timeout(1500)
        current["step"] = "open_call"
        row = page.locator('a[href^="/calls/"]').first
        opened = int((row.get_attribute("href") or "").rsplit("/", 1)[-1])
        row.click()
        page.wait_for_url(re.compile(rf".*/calls/{opened}/?$"), timeout=30_000)
        page.wait_for_timeout(1500)
        browser.close()
    return {"steps": steps, "urls": urls, "opened": opened}


def compare(chromium: dict, generator: dict) -> list[str]:
    """Shapes the generator sent that Chromium did not send in the same step, and the URL's query keys."""
    problems = []
    for step, frames in generator["steps"].items():
        wanted = {s for s in map(shape, chromium["steps"].get(step, [])) if s}
        for sent in filter(None, map(shape, frames)):
            if sent not in wanted:
                problems.append(f"{step}: the generator sent {sent}; Chromium sent {sorted(wanted)}")
    chromium_keys = {tuple(sorted(parse_qs(urlsplit(url).query))) for url in chromium["urls"]}
    for url in generator["urls"]:
        keys = tuple(sorted(parse_qs(urlsplit(url).query)))
        if keys not in chromium_keys:
            problems.append(f"websocket URL query {keys}; Chromium's {sorted(chromium_keys)}")
        if urlsplit(url).path not in {urlsplit(other).path for other in chromium["urls"]}:
            problems.append(f"websocket path {urlsplit(url).path}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base_url")
    parser.add_argument("--save", type=Path, help="write both captures (frames per step) to this JSON file")
    args = parser.parse_args()
    user = sessions_seed.seed(users=1, tenants=1, calls_per_tenant=sessions.CALLS_PER_TENANT)[0]
    chromium = capture_chromium(args.base_url, user.email, sessions_seed.PASSWORD)
    generator = asyncio.run(sessions.record_steps(args.base_url, user, chromium["opened"]))
    if args.save:
        args.save.write_text(json.dumps({"chromium": chromium, "generator": generator}, indent=1))
    for name, capture in (("chromium", chromium), ("generator", generator)):
        print(f"{name}: websocket {capture['urls']}")
        for step, frames in capture["steps"].items():
            print(f"  {step}:")
            for item in dict.fromkeys(filter(None, map(shape, frames))):
                print(f"    {item}")
    problems = compare(chromium, generator)
    for problem in problems:
        print("DIFFERENT", problem)
    print("protocol: " + ("PASS (every frame the generator sends is one Chromium sends)" if not problems else "FAIL"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

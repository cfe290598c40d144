"""A live AVA (the production build, one port) for Playwright tests, and a Chromium page per test.

The server is started once per run on a free port with its own data dir; it uses the test database
(SQLite file or PostgreSQL), already migrated by the ``database_url`` fixture. Its email goes to a real SMTP
server (aiosmtpd, ``smtp_server``) that tests read; Vapi and Twilio stay in sandbox mode, so /dev/outbox and the
SMS codes it shows keep working.
"""

from __future__ import annotations

import itertools
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Page, expect, sync_playwright

from ava_app.services.providers.sandbox_keys import SandboxKeys, sandbox_keys_in
from tests.e2e.browser import launch

PROJECT_DIR = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT_DIR / "test-artifacts"
# CI machines are shared and noisy: give the UI time before calling a wait a failure.
expect.set_options(timeout=15_000)
# The data dir of each live server by base URL, for tests that put files where that AVA reads them.
LIVE_DATA_DIRS: dict[str, Path] = {}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """What the test SMTP server received; ``wait_for`` polls it for a message to an address."""

    def __init__(self) -> None:
        self.port = 0
        self._messages: list[tuple[list[str], EmailMessage]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content)
        with self._lock:
            self._messages.append(([address.lower() for address in envelope.rcpt_tos], message))
        return "250 Message accepted for delivery"

    def messages_to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [message for recipients, message in self._messages if address.lower() in recipients]

    def wait_for(self, address: str, *, containing: str = "", timeout: float = 60) -> EmailMessage:
        """The newest message to ``address`` whose text contains ``containing``; fails after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            found = [message for message in self.messages_to(address) if containing in text_of(message)]
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                raise AssertionError(f"no email to {address} containing {containing!r} within {timeout} s")
            time.sleep(0.2)

    def link(self, address: str, path: str, *, timeout: float = 60) -> str:
        """The newest ``{path}?token=`` link emailed to ``address`` (waiting for it to arrive)."""
        message = self.wait_for(address, containing=path + "?token=", timeout=timeout)
        found = re.search(r"https?://[^\s\"'<>]+" + re.escape(path) + r"\?token=[\w\-]+", text_of(message))
        assert found, f"no {path} link in the email to {address}"
        return found.group(0)


def text_of(message: EmailMessage) -> str:
    """Every text part of a message (plain and HTML), decoded."""
    return "\n".join(part.get_content() for part in message.walk() if part.get_content_maintype() == "text")


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd, plain text on 127.0.0.1) that the live server delivers its email to."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    mailbox.port = controller.port
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def live_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data folder of the shared live server."""
    return tmp_path_factory.mktemp("live-data")


def forget_rate_limits() -> None:
    """Start the run with no rate-limit counters. With Redis they outlast a run (a sliding hour or day), so a second
    run within the hour would find the SMS codes per IP already spent by the first and its code tests would fail."""
    url = os.environ.get("AVA_REDIS_URL")
    if not url:
        return
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter("ava-limits*"):
        client.delete(key)


@pytest.fixture(scope="session")
def live_server(database_url: str, smtp_server: Mailbox, live_data_dir: Path) -> Iterator[str]:
    """Serve AVA with ``reflex run --env prod --single-port`` and yield its base URL."""
    forget_rate_limits()
    with serve_ava(database_url, smtp_server, live_data_dir, log_name="live-server") as url:
        yield url


@pytest.fixture(scope="session")
def live_sandbox_keys(live_server: str, live_data_dir: Path) -> SandboxKeys:
    """The live server's emulator keys: random per installation, read from its data folder like its processes do."""
    return sandbox_keys_in(live_data_dir)


@pytest.fixture(scope="session")
def start_live_server(database_url: str, smtp_server: Mailbox, tmp_path_factory: pytest.TempPathFactory):
    """Start another AVA (its own port, data dir and build) with extra ``AVA_*`` variables; stopped after the run.

    For tests that need a configuration the shared server does not have (a real-looking Vapi key...). Each one
    compiles its own frontend, so a test pays about a minute for it.
    """
    # Redis databases 1-4 for the first test process's extra servers, 5-8 for the second's (tests/conftest.py).
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    databases = itertools.count(1 + 4 * int(worker.removeprefix("gw") or 0))
    with ExitStack() as servers:

        def start(extra_env: dict[str, str], *, name: str) -> str:
            data_dir = tmp_path_factory.mktemp(f"{name}-data")
            env = dict(extra_env)
            if os.environ.get("AVA_REDIS_URL") and "AVA_REDIS_URL" not in env:
                # A job queue of its own: on the shared one, this server's worker would run the other servers' jobs
                # with its own address and mail settings (a summary emailed from another port, or kept in its
                # sandbox outbox), and theirs would run its jobs.
                env["AVA_REDIS_URL"] = own_redis_database(os.environ["AVA_REDIS_URL"], next(databases))
            return servers.enter_context(serve_ava(database_url, smtp_server, data_dir, log_name=name, extra_env=env))

        yield start


@pytest.fixture()
def start_node_for_test(database_url: str, smtp_server: Mailbox, tmp_path_factory: pytest.TempPathFactory):
    """Start a second node of the shared server (its database and ``AVA_REDIS_URL``, so its job queue too) for one
    test; it stops when the test ends.

    A node left running would go on taking the shared queue's jobs during later tests, and run them with its own
    address and its own emulators: a later test's assistant was then made in that node's Vapi emulator, and the
    number import into the shared server's emulator was refused ("Couldn't Find Assistant")."""
    with ExitStack() as servers:

        def start(extra_env: dict[str, str], *, name: str) -> str:
            data_dir = tmp_path_factory.mktemp(f"{name}-data")
            return servers.enter_context(
                serve_ava(database_url, smtp_server, data_dir, log_name=name, extra_env=extra_env)
            )

        yield start


@contextmanager
def serve_ava(
    database_url: str,
    smtp_server: Mailbox,
    data_dir: Path,
    *,
    log_name: str,
    extra_env: dict[str, str] | None = None,
) -> Iterator[str]:
    """Run the production build on a free port, its email going to ``smtp_server``; yields its base URL."""
    port = _free_port()
    env = dict(os.environ)
    env.update(
        AVA_SMTP_HOST="127.0.0.1",
        AVA_SMTP_PORT=str(smtp_server.port),
        AVA_SMTP_TLS="none",
        AVA_SMTP_USERNAME="",
        AVA_SMTP_PASSWORD="",
    )
    env.update(
        AVA_DATA_DIR=str(data_dir),
        AVA_DATABASE_URL=database_url,
        AVA_PORT=str(port),
        AVA_PUBLIC_URL=f"http://127.0.0.1:{port}",
        # A build directory of its own: another server compiled from the same checkout must not swap the frontend
        # (and the backend address baked into it) under this one.
        REFLEX_WEB_WORKDIR=str(data_dir / ".web"),
        # And a folder of its own for the tabs' state: Reflex empties it when it starts, which would take the state
        # of the tabs of a server started earlier (or beside it, tests in parallel) from under them.
        REFLEX_STATES_WORKDIR=str(data_dir / ".states"),
        REFLEX_USE_SYSTEM_BUN="1",
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_CHECK_LATEST_VERSION="false",
        REFLEX_SSR="false",  # see scripts/env.sh
        # Every browser test signs up from 127.0.0.1: more than the default ten accounts an hour.
        AVA_SIGNUPS_PER_IP_HOUR="500",
        PATH=f"{PROJECT_DIR / '.tools/node_modules/.bin'}:{Path(sys.executable).parent}:{env['PATH']}",
    )
    env.update(extra_env or {})
    ARTIFACTS.mkdir(exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    log = (ARTIFACTS / f"{log_name}{'-' + worker if worker else ''}.log").open("w")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "reflex"), "run", "--env", "prod", "--single-port"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    LIVE_DATA_DIRS[base_url] = data_dir
    deadline = time.monotonic() + 420
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"AVA exited early; see {log.name}")
            try:
                if httpx.get(base_url + "/healthz", timeout=2).status_code == 200 and (
                    httpx.get(base_url + "/login", timeout=5, follow_redirects=True).status_code == 200
                ):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"AVA did not start within 7 minutes; see {log.name}")
            time.sleep(1)
        yield base_url
    finally:
        _stop(process)
        log.close()


def own_redis_database(url: str, number: int) -> str:
    """``url`` on Redis database ``number`` instead of its own, emptied first (a queue left by an earlier run)."""
    import redis

    parts = urlsplit(url)
    other = urlunsplit(parts._replace(path=f"/{number}"))
    client = redis.Redis.from_url(other)
    try:
        client.flushdb()
    finally:
        client.close()
    return other


def _stop(process: subprocess.Popen) -> None:
    """Stop the server and everything it started (it runs in its own process group)."""
    try:
        os.killpg(process.pid, 15)
        process.wait(timeout=20)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser, request) -> Iterator[Page]:
    """A fresh browser context per test, with a screenshot saved when the test fails."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)

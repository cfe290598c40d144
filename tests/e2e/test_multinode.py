"""Several nodes on one PostgreSQL and one Redis, run as docs/deploy.md runs them: the frontend built once
(``scripts/serve-web build``), two web processes (``scripts/serve-web PORT``) and a job worker
(``scripts/serve-worker``).

Checked: webhooks spread over both web processes make one call each; jobs run in the worker only (the web processes
run no consumer); SIGTERM to a web process during a webhook burst loses no accepted webhook; a signed-in browser
follows to the other process when its own is killed (SIGKILL) and finds its session and page state there.

PostgreSQL and Redis only (CI's second run): SQLite and the in-memory state are single-process by design.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from ava_app.db import make_engine
from ava_app.models import Assistant, AuthSession, Call, WebhookEvent
from tests.e2e.conftest import Mailbox, own_redis_database
from tests.e2e.members import PASSWORD, log_in, make_business, make_member
from tests.e2e.multinode_support import (
    Forwarder,
    Script,
    end_of_call_report,
    free_port,
    wait_until_serving,
    web_env,
)

pytestmark = pytest.mark.skipif(
    not (os.environ.get("AVA_DATABASE_URL", "").startswith("postgresql") and os.environ.get("AVA_REDIS_URL")),
    reason="several nodes need PostgreSQL (AVA_DATABASE_URL) and Redis (AVA_REDIS_URL)",
)

# A Redis database of the deployment's own, so no other live server's embedded worker takes its jobs: the last of
# Redis's sixteen, far from the ones start_live_server counts up from 1.
REDIS_DATABASE = 15


@dataclass
class Deployment:
    """The running nodes and what the tests share."""

    proxy_url: str
    web_urls: dict[str, str]
    webs: dict[str, Script]
    env: dict[str, str]
    engine: Engine
    webhook_secret: str
    assistant_id: str
    member_email: str
    forwarder: Forwarder
    worker: Script | None = None

    def post_report(self, web: str, body: bytes) -> httpx.Response:
        """POST an end-of-call report to one web process directly, on a connection of its own."""
        return httpx.post(
            self.web_urls[web] + "/api/v1/webhooks/vapi",
            content=body,
            headers={"Content-Type": "application/json", "X-Vapi-Secret": self.webhook_secret},
            timeout=30,
        )

    def start_worker(self) -> Script:
        self.worker = Script("worker", ["serve-worker", "--workers", "2"], self.env)
        return self.worker


@pytest.fixture(scope="module")
def deployment(
    database_url: str, smtp_server: Mailbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    began = time.monotonic()
    root = tmp_path_factory.mktemp("multinode")
    proxy_port, port_a, port_b = free_port(), free_port(), free_port()
    env = web_env(
        database_url=database_url,
        redis_url=own_redis_database(os.environ["AVA_REDIS_URL"], REDIS_DATABASE),
        data_dir=root / "data",
        web_dir=root / "web",
        # The browser reaches AVA through the forwarder: the build points its websocket there.
        public_url=f"http://127.0.0.1:{proxy_port}",
        smtp_port=smtp_server.port,
        secret_key=secrets.token_urlsafe(32),
        webhook_secret="whsec_" + secrets.token_urlsafe(32),
    )
    build = Script("build", ["serve-web", "build"], env)
    assert build.process.wait(timeout=420) == 0, f"frontend build failed; see {build.log_path}"
    engine = make_engine(database_url)
    with Session(engine) as db:
        business = make_business(db, name="Multinode Clinic")
        member = make_member(db, tenant=business)
        assistant_id = f"multinode-assistant-{secrets.token_hex(6)}"
        assert business.id is not None
        db.add(Assistant(tenant_id=business.id, name="Ava", provider_assistant_id=assistant_id))
        db.commit()
        member_email = member.email
    webs = {
        # A takes this machine for its reverse proxy, B trusts no proxy (the default).
        "a": Script("web-a", ["serve-web", str(port_a)], {**env, "FORWARDED_ALLOW_IPS": "127.0.0.1"}),
        "b": Script("web-b", ["serve-web", str(port_b)], env),
    }
    with Forwarder(proxy_port, [port_a, port_b]) as forwarder:
        nodes = Deployment(
            proxy_url=f"http://127.0.0.1:{proxy_port}",
            web_urls={"a": f"http://127.0.0.1:{port_a}", "b": f"http://127.0.0.1:{port_b}"},
            webs=webs,
            env=env,
            engine=engine,
            webhook_secret=env["AVA_VAPI_WEBHOOK_SECRET"],
            assistant_id=assistant_id,
            member_email=member_email,
            forwarder=forwarder,
        )
        try:
            for name, web in webs.items():
                wait_until_serving(nodes.web_urls[name], web)
            print(f"\nmultinode: build and two web processes up in {time.monotonic() - began:.0f} s")
            yield nodes
        finally:
            for script in [*webs.values(), *([nodes.worker] if nodes.worker else [])]:
                script.stop()
            engine.dispose()


def calls_by_id(engine: Engine, call_ids: set[str]) -> dict[str, int]:
    """How many calls exist for each of ``call_ids``."""
    with Session(engine) as db:
        rows = db.exec(
            select(col(Call.provider_call_id), func.count())
            .where(col(Call.provider_call_id).in_(call_ids))
            .group_by(col(Call.provider_call_id))
        ).all()
    return dict(rows)


def stored_events(engine: Engine, call_ids: set[str]) -> list[tuple[str, bool]]:
    """(call id, applied) of every stored webhook event for ``call_ids``."""
    with Session(engine) as db:
        rows = db.exec(
            select(col(WebhookEvent.provider_call_id), col(WebhookEvent.processed_at)).where(
                col(WebhookEvent.provider_call_id).in_(call_ids)
            )
        ).all()
    return [(call_id or "", processed is not None) for call_id, processed in rows]


def wait_for_calls(engine: Engine, call_ids: set[str], *, timeout: float = 120) -> dict[str, int]:
    """Until every id has its call, summarised; returns the count per id."""
    deadline = time.monotonic() + timeout
    while True:
        counts = calls_by_id(engine, call_ids)
        with Session(engine) as db:
            pending = db.exec(
                select(func.count()).where(
                    col(Call.provider_call_id).in_(call_ids), col(Call.summary_status) == "pending"
                )
            ).one()
        if set(counts) == call_ids and not pending:
            return counts
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(call_ids) - len(counts)} calls missing, {pending} not summarised")
        time.sleep(0.5)


def test_webhooks_on_both_processes_make_one_call_each_and_jobs_run_in_the_worker(
    deployment: Deployment, smtp_server: Mailbox
) -> None:
    reports = [end_of_call_report(assistant_id=deployment.assistant_id) for _ in range(10)]
    for index, (_call_id, body) in enumerate(reports):
        response = deployment.post_report("ab"[index % 2], body)
        assert response.status_code == 200, response.text
    call_ids = {call_id for call_id, _ in reports}

    # No worker yet: the web processes store every report and run nothing (AVA_EMBEDDED_WORKER=false).
    time.sleep(3)
    events = stored_events(deployment.engine, call_ids)
    assert sorted(call_id for call_id, _ in events) == sorted(call_ids)
    assert not any(applied for _, applied in events), "a web process ran a job"
    assert calls_by_id(deployment.engine, call_ids) == {}

    worker = deployment.start_worker()
    counts = wait_for_calls(deployment.engine, call_ids)
    assert counts == dict.fromkeys(call_ids, 1)
    # The summary email of each call, sent by the worker to the member (notified of every call by default).
    deadline = time.monotonic() + 60
    while len(smtp_server.messages_to(deployment.member_email)) < len(call_ids):
        assert time.monotonic() < deadline, "summary emails missing"
        time.sleep(0.5)
    log = worker.log()
    assert len(re.findall(r"Executing ava_app\.services\.post_call\.run_post_call", log)) >= len(call_ids)
    for web in deployment.webs.values():
        assert "Executing ava_app" not in web.log()


def test_only_a_trusted_proxy_names_the_client(deployment: Deployment) -> None:
    """The address AVA records (here a login's session) is X-Forwarded-For's only from a trusted proxy."""
    for web, recorded in (("a", "203.0.113.7"), ("b", "127.0.0.1")):
        agent = f"MultinodeAddress-{web}"
        response = httpx.post(
            deployment.web_urls[web] + "/api/v1/auth/login",
            json={"email": deployment.member_email, "password": PASSWORD},
            headers={"User-Agent": agent, "X-Forwarded-For": "203.0.113.7"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        with Session(deployment.engine) as db:
            session = db.exec(select(AuthSession).where(col(AuthSession.user_agent) == agent)).one()
        assert session.ip == recorded


def test_a_browser_follows_to_the_other_process_when_its_own_is_killed(
    deployment: Deployment, browser: Browser
) -> None:
    # A second session of the member (another device), for the browser to log out from its security page.
    other = httpx.post(
        deployment.web_urls["b"] + "/api/v1/auth/login",
        json={"email": deployment.member_email, "password": PASSWORD},
        headers={"User-Agent": "MultinodeProbe/1.0"},
        timeout=30,
    )
    assert other.status_code == 200, other.text
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    port_a, port_b = (int(url.rsplit(":", 1)[1]) for url in deployment.web_urls.values())
    try:
        log_in(page, deployment.proxy_url, deployment.member_email)
        page.goto(deployment.proxy_url + "/settings/security")
        page.get_by_role("button", name="Log out MultinodeProbe").click()
        dialog = page.get_by_role("alertdialog")
        expect(dialog).to_contain_text("Log out this device?")
        # Everything so far went through A, the forwarder's first choice; the choice of session to log out is
        # page state, written by A.
        assert deployment.forwarder.connections[port_a] > 0
        through_b = deployment.forwarder.connections[port_b]

        # A is killed outright (SIGKILL to all its processes, as a crash or the OOM killer would): nothing of it
        # gets to run, so Reflex's record that A held the tab stays in Redis. B sees that A no longer listens on
        # its liveness channel and takes the tab under the same token (state/tab_handover.py), so the page state
        # A wrote is still there.
        stopping = time.monotonic()
        threading.Thread(target=deployment.webs["a"].kill, daemon=True).start()
        # An event sent on the dying connection is lost with it (Reflex sends each event once): confirm once the
        # page has reconnected, to B. Its full rehydrate comes from Redis, so the dialog A opened stays open.
        deadline = time.monotonic() + 40
        while deployment.forwarder.connections[port_b] == through_b:
            assert time.monotonic() < deadline, "the page did not reconnect"
            time.sleep(0.2)
        assert deployment.webs["a"].process.wait(timeout=40) == -signal.SIGKILL
        print(f"\nmultinode: the tab was back, on B, {time.monotonic() - stopping:.1f} s after A was killed")
        expect(dialog).to_contain_text("Log out this device?")
        dialog.get_by_role("button", name="Log out").click()
        # B acts on the session A's state chose (the rows are hidden from the accessibility tree while the dialog
        # is open, so the dialog must be gone first).
        expect(dialog).to_have_count(0)
        expect(page.get_by_role("button", name="Log out MultinodeProbe")).to_have_count(0)
        expect(page.get_by_role("button", name="Log out MultinodeAddress-a")).to_have_count(1)
        with Session(deployment.engine) as db:
            probe = db.exec(select(AuthSession).where(col(AuthSession.user_agent) == "MultinodeProbe/1.0")).one()
            assert probe.revoked_at is not None
        # Still signed in: the next page opens on B without a detour by the login page.
        page.get_by_role("link", name="Calls", exact=True).first.click()
        expect(page).to_have_url(re.compile(r"/calls/?$"))
        page.reload()
        expect(page).to_have_url(re.compile(r"/calls/?$"))
    finally:
        context.close()


def test_sigterm_during_a_webhook_burst_loses_no_accepted_webhook(deployment: Deployment) -> None:
    reports = [end_of_call_report(assistant_id=deployment.assistant_id) for _ in range(120)]
    results: dict[str, str] = {}
    done = threading.Semaphore(0)

    def send(report: tuple[str, bytes]) -> None:
        call_id, body = report
        try:
            response = deployment.post_report("b", body)
            results[call_id] = str(response.status_code)
        except httpx.ConnectError:
            results[call_id] = "refused"
        except httpx.HTTPError as exc:
            results[call_id] = type(exc).__name__
        finally:
            done.release()

    web = deployment.webs["b"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for report in reports:
            pool.submit(send, report)
        for _ in range(30):
            done.acquire()
        web.signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        assert web.process.wait(timeout=40) == 0
        stop_seconds = time.monotonic() - stopped_at

    outcomes = Counter(results.values())
    accepted = {call_id for call_id, outcome in results.items() if outcome == "200"}
    others = {call_id for call_id in results if call_id not in accepted}
    print(f"\nmultinode SIGTERM: outcomes {dict(outcomes)}, stopped {stop_seconds:.1f} s after the signal")
    # No error answer: a request is answered 200, refused at connect, or closed unanswered by a process that had not
    # started on it (RemoteProtocolError: accepted by the kernel, never read).
    assert set(outcomes) <= {"200", "refused", "RemoteProtocolError"}, outcomes
    assert len(accepted) >= 30 and others, "the burst did not straddle the stop"
    # None of the unanswered reports reached AVA: nothing of them was stored, so a retry is the only copy.
    assert stored_events(deployment.engine, others) == []
    assert wait_for_calls(deployment.engine, accepted) == dict.fromkeys(accepted, 1)

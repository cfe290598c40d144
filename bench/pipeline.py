"""Call end to summary email: simulated Vapi calls against a live AVA API, email read from a real SMTP server.

Usage (only 127.0.0.1 is contacted):

    .venv/bin/python bench/pipeline.py --calls 20                  # quiet: one call at a time
    .venv/bin/python bench/pipeline.py --calls 20 --load-calls 3   # then 3 calls, each during a burst

Without AVA_DATA_DIR / AVA_DATABASE_URL it works in a temporary directory with a fresh, migrated SQLite database (never
the data of a running AVA); with AVA_DATABASE_URL it uses that database, already migrated; AVA_REDIS_URL puts the job
queue on Redis. In one process: AVA's API (``create_api()``) served by uvicorn on a free port, the embedded job worker,
an aiosmtpd server, and the Vapi emulator playing each call (about 4 s) with webhooks over HTTP to AVA. For each call
it measures from the moment AVA has stored the call's end-of-call report (the webhook's work done, its 200 about to go
out) to the moment the summary email reaches the SMTP server, and prints p50/p95/max and PASS/FAIL against the target
(p95 < 1 s with the local fallback, no OpenAI key).

With ``--load-calls K``, K more calls are each played while a separate process posts ``--burst`` end-of-call reports
(3,000 by default, 16 clients) of another tenant to the same route: the figure under load, printed on its own and not
judged against the target. The queue is first-in first-out, so such a call's email waits behind the burst's jobs.
Exit status 1 when the quiet p95 misses the target.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))
sys.path.insert(0, str(PROJECT_DIR / "bench"))
WEBHOOK_SECRET = "whsec_pipeline_bench_1f2e3d"
MAX_CALLS, MAX_BURST = 200, 5000
TARGET_P95_MS = 1000.0
BURST_CONCURRENCY = 16


@dataclass
class Inbox:
    """An aiosmtpd handler that timestamps every message it accepts."""

    received: list[tuple[float, object]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content)
        self.received.append((time.monotonic(), message))
        return "250 Message accepted for delivery"

    def for_call(self, call_id: int) -> list[tuple[float, object]]:
        marker = f"/calls/{call_id}"
        return [(at, message) for at, message in self.received if marker in message.get_body(("plain",)).get_content()]


@dataclass
class CallTiming:
    """One simulated call as AVA saw it."""

    call_id: int
    seen_in_progress: bool
    ended_to_email_ms: float


class ReportClock:
    """When AVA finished storing each call's end-of-call report (monotonic seconds, by provider call id).

    Wraps the webhook route's blocking half in this process: the report is stored and its job enqueued when it
    returns, and the route answers right after.
    """

    def __init__(self) -> None:
        self.stored: dict[str, float] = {}

    @contextmanager
    def installed(self) -> Iterator[ReportClock]:
        from ava_app.api import webhooks

        original = webhooks._ingest

        def timed(*, message: dict, **options):
            result = original(message=message, **options)
            call = message.get("call") if isinstance(message.get("call"), dict) else {}
            if result.event_type == "end-of-call-report" and call.get("id"):
                self.stored.setdefault(str(call["id"]), time.monotonic())
            return result

        webhooks._ingest = timed
        try:
            yield self
        finally:
            webhooks._ingest = original


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def configure(*, data_dir: Path, smtp_port: int, public_url: str) -> None:
    """Point AVA's settings at this run: SMTP server, webhook secret, no OpenAI key (local summaries)."""
    os.environ.update(
        AVA_DATA_DIR=str(data_dir),
        AVA_SMTP_HOST="127.0.0.1",
        AVA_SMTP_PORT=str(smtp_port),
        AVA_SMTP_TLS="none",
        AVA_VAPI_WEBHOOK_SECRET=WEBHOOK_SECRET,
        AVA_OPENAI_API_KEY="",
        AVA_PUBLIC_URL=public_url,
    )
    from ava_app.db import get_engine
    from ava_app.settings import get_settings

    get_settings.cache_clear()
    get_engine.cache_clear()


async def create_business(raw, *, webhook_url: str) -> tuple[int, str]:
    """A tenant with an owner (every call emailed), its assistant and number in AVA and in the emulator."""
    from sqlmodel import Session

    from ava_app.db import get_engine
    from ava_app.models import Assistant, Membership, PhoneNumber, Tenant, User

    server = {"url": webhook_url, "timeoutSeconds": 20, "headers": {"X-Vapi-Secret": WEBHOOK_SECRET}}
    messages = ["status-update", "transcript", "tool-calls", "end-of-call-report"]
    remote_assistant = (
        await raw.post(
            "/assistant",
            json={
                "name": "Ava - Pipeline bench",
                "firstMessage": "Thanks for calling Pipeline Dental, this is Ava. How can I help?",
                "serverMessages": messages,
                "server": server,
            },
        )
    ).json()
    e164 = f"+1415{uuid.uuid4().int % 10_000_000:07d}"
    remote_number = (
        await raw.post(
            "/phone-number",
            json={
                "provider": "twilio",
                "number": e164,
                "twilioAccountSid": "AC" + "0" * 32,
                "twilioAuthToken": "token",
                "assistantId": remote_assistant["id"],
            },
        )
    ).json()
    with Session(get_engine()) as session:
        tenant = Tenant(name="Pipeline bench (temporary)", timezone="Europe/Paris")
        session.add(tenant)
        session.flush()
        owner = User(email=f"owner-{uuid.uuid4().hex[:8]}@pipeline.test", name="Owner", locale="fr")
        session.add(owner)
        session.flush()
        session.add(Membership(user_id=owner.id, tenant_id=tenant.id, role="admin", notify_mode="every"))
        assistant = Assistant(tenant_id=tenant.id, provider_assistant_id=remote_assistant["id"], data_fields=["name"])
        session.add(assistant)
        session.flush()
        session.add(
            PhoneNumber(
                tenant_id=tenant.id, e164=e164, provider_number_id=remote_number["id"], assistant_id=assistant.id
            )
        )
        session.commit()
        return tenant.id, remote_number["id"]


def remove_business(tenant_id: int) -> None:
    """Delete the run's tenant and everything under it (calls, lines, events, outbox rows)."""
    from sqlalchemy import delete
    from sqlmodel import Session, col, select

    from ava_app.db import get_engine
    from ava_app.models import Assistant, Call, CallMessage, Membership, Outbox, PhoneNumber, Tenant, User, WebhookEvent

    with Session(get_engine()) as session:
        users = list(session.exec(select(Membership.user_id).where(Membership.tenant_id == tenant_id)).all())
        provider_ids = select(Call.provider_call_id).where(col(Call.tenant_id) == tenant_id)
        session.exec(delete(WebhookEvent).where(col(WebhookEvent.provider_call_id).in_(provider_ids)))
        session.exec(delete(CallMessage).where(col(CallMessage.tenant_id) == tenant_id))
        session.exec(delete(Call).where(col(Call.tenant_id) == tenant_id))
        session.exec(delete(Outbox).where(col(Outbox.tenant_id) == tenant_id))
        session.exec(delete(PhoneNumber).where(col(PhoneNumber.tenant_id) == tenant_id))
        session.exec(delete(Assistant).where(col(Assistant.tenant_id) == tenant_id))
        session.exec(delete(Membership).where(col(Membership.tenant_id) == tenant_id))
        session.exec(delete(User).where(col(User.id).in_(users)))
        session.exec(delete(Tenant).where(col(Tenant.id) == tenant_id))
        session.commit()


def _call_row(provider_call_id: str):
    from sqlmodel import Session, select

    from ava_app.db import get_engine
    from ava_app.models import Call

    with Session(get_engine()) as session:
        return session.exec(select(Call.id, Call.status).where(Call.provider_call_id == provider_call_id)).first()


async def play_call(emulator, inbox: Inbox, clock: ReportClock, *, number_id: str, timeout: float = 60) -> CallTiming:
    """One call: start it, watch it go in-progress in AVA, wait for its report to be stored, then for the email."""
    from ava_app.sandbox.vapi.call_runner import start_simulated_call

    seen_in_progress = False
    # A slow call (speed 4: about 4 s) so the live state can be observed, then the report.
    snapshot = await start_simulated_call(emulator, intent="booking", phone_number_id=number_id, speed=4.0)
    provider_call_id = snapshot["id"]
    deadline = time.monotonic() + timeout
    while provider_call_id not in clock.stored and time.monotonic() < deadline:
        row = await asyncio.to_thread(_call_row, provider_call_id)
        if row is not None and row[1] == "in-progress":
            seen_in_progress = True
        await asyncio.sleep(0.02)
    if provider_call_id not in clock.stored:
        raise RuntimeError(f"AVA did not store the end-of-call report of {provider_call_id} within {timeout} s")
    ended_at = clock.stored[provider_call_id]
    call_id = None
    while time.monotonic() < deadline:
        if call_id is None:
            row = await asyncio.to_thread(_call_row, provider_call_id)
            call_id = row[0] if row is not None else None
        mails = inbox.for_call(call_id) if call_id is not None else []
        if mails:
            return CallTiming(call_id, seen_in_progress, (mails[0][0] - ended_at) * 1000)
        await asyncio.sleep(0.01)
    raise RuntimeError(f"no summary email for call {provider_call_id} within {timeout} s")


def start_burst(url: str, *, count: int, assistant_id: str) -> subprocess.Popen:
    """A separate process posting ``count`` end-of-call reports of the bench tenant to ``url``."""
    return subprocess.Popen(
        [sys.executable, __file__, "--burst-child", url, str(count), assistant_id],
        cwd=PROJECT_DIR,
        env={**os.environ, "PYTHONPATH": str(PROJECT_DIR)},
        stdout=subprocess.PIPE,
        text=True,
    )


def burst_child(url: str, count: int, assistant_id: str) -> None:
    """Post the reports (ingest bench's load generator) and print its figures as one line."""
    import ingest

    figures, _ids = asyncio.run(
        ingest.hammer(
            "burst",
            url,
            ingest.report_bodies(count, assistant_id=assistant_id),
            concurrency=BURST_CONCURRENCY,
            deadline=time.monotonic() + 300,
            headers={"Content-Type": "application/json", "X-Vapi-Secret": WEBHOOK_SECRET},
        )
    )
    print(figures.line(), flush=True)


def prepare_database(data_dir: Path) -> None:
    """Without AVA_DATABASE_URL: a fresh SQLite database in ``data_dir``, migrated to head."""
    if os.environ.get("AVA_DATABASE_URL"):
        return
    from alembic import command
    from alembic.config import Config

    os.environ["AVA_DATABASE_URL"] = f"sqlite:///{data_dir / 'ava.db'}"
    from ava_app.db import get_engine
    from ava_app.settings import get_settings

    get_settings.cache_clear()
    get_engine.cache_clear()
    command.upgrade(Config(str(PROJECT_DIR / "alembic.ini")), "head")


@dataclass
class LoadedCall:
    """A call played during a burst of reports: its timing, the burst's figures, how long the queue took to drain."""

    timing: CallTiming
    burst: str
    drained_seconds: float | None


async def run(
    calls: int, *, data_dir: Path | None = None, load_calls: int = 0, burst: int = 0, under_load: list | None = None
) -> list[CallTiming]:
    """Serve AVA with its worker and an SMTP server, play ``calls`` calls one after the other, return their timings.

    Then, with ``load_calls`` and ``burst``, play that many calls each during a burst of reports, appending a
    ``LoadedCall`` for each to ``under_load``. ``data_dir`` defaults to AVA_DATA_DIR, else a temporary directory.
    """
    with tempfile.TemporaryDirectory(prefix="ava-pipeline-bench-") as scratch:
        directory = data_dir or Path(os.environ.get("AVA_DATA_DIR") or scratch)
        with ReportClock().installed() as clock:
            return await _run(
                calls, data_dir=directory, clock=clock, load_calls=load_calls, burst=burst, under_load=under_load
            )


async def _run(
    calls: int, *, data_dir: Path, clock: ReportClock, load_calls: int, burst: int, under_load: list | None
) -> list[CallTiming]:
    import httpx
    import ingest
    from aiosmtpd.controller import Controller

    from ava_app import task_queue
    from ava_app.api.app import create_api
    from ava_app.db import get_engine
    from ava_app.sandbox.vapi.app import create_vapi_emulator
    from ava_app.services.providers.sandbox_keys import sandbox_keys
    from tests.servers import serve_app

    inbox = Inbox()
    smtp_port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    configure(data_dir=data_dir, smtp_port=smtp_port, public_url="http://127.0.0.1")
    prepare_database(data_dir)
    task_queue.start_embedded_worker()
    tenant_id = burst_tenant = None
    emulator_db = data_dir / f"pipeline-bench-{uuid.uuid4().hex[:8]}.db"
    try:
        with serve_app(create_api()) as base_url:
            webhook_url = base_url + "/api/v1/webhooks/vapi"
            emulator = create_vapi_emulator(
                db_path=emulator_db, public_base_url=base_url + "/sandbox/vapi", auto_simulate=False, use_speech=False
            )
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=emulator),
                base_url="http://vapi.local",
                headers={"Authorization": f"Bearer {sandbox_keys().vapi_api_key}"},
            ) as raw:
                tenant_id, number_id = await create_business(raw, webhook_url=webhook_url)
            quiet = [await play_call(emulator, inbox, clock, number_id=number_id) for _ in range(calls)]
            if load_calls and burst and under_load is not None:
                burst_tenant, assistant_id = ingest.create_bench_tenant(os.environ["AVA_DATABASE_URL"])
                for _ in range(load_calls):
                    child = start_burst(webhook_url, count=burst, assistant_id=assistant_id)
                    # The child needs about a second to start; the call then ends (about 4 s later) inside the burst.
                    await asyncio.sleep(1.0)
                    timing = await play_call(emulator, inbox, clock, number_id=number_id, timeout=300)
                    figures = (await asyncio.to_thread(child.communicate, None, 300))[0].strip()
                    drained = await asyncio.to_thread(
                        ingest.wait_for_drain, get_engine(), tenant_id=burst_tenant, seconds=300
                    )
                    under_load.append(LoadedCall(timing, figures, drained))
            return quiet
    finally:
        task_queue.stop_embedded_worker()
        controller.stop()
        if tenant_id is not None:
            remove_business(tenant_id)
        if burst_tenant is not None:
            ingest.remove_bench_rows(os.environ["AVA_DATABASE_URL"], tenant_id=burst_tenant)
        emulator_db.unlink(missing_ok=True)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(fraction * len(ordered)), len(ordered) - 1)]


def figures_line(latencies: list[float]) -> str:
    return (
        f"p50 {statistics.median(latencies):.0f} ms   p95 {percentile(latencies, 0.95):.0f} ms   "
        f"max {max(latencies):.0f} ms"
    )


def main() -> int:
    """Run the calls and print the latency figures; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20, help="calls played one at a time on a quiet server")
    parser.add_argument("--load-calls", type=int, default=0, help="calls played each during a burst of reports")
    parser.add_argument("--burst", type=int, default=3000, help="end-of-call reports per burst (16 clients)")
    parser.add_argument("--burst-child", nargs=3, metavar=("URL", "COUNT", "ASSISTANT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.burst_child:
        url, count, assistant_id = args.burst_child
        if urlsplit(url).hostname != "127.0.0.1":
            raise SystemExit(f"refusing {url}: this bench only talks to 127.0.0.1")
        burst_child(url, min(int(count), MAX_BURST), assistant_id)
        return 0
    calls = max(1, min(args.calls, MAX_CALLS))
    load_calls = max(0, min(args.load_calls, MAX_CALLS))
    burst = max(1, min(args.burst, MAX_BURST))
    loaded: list[LoadedCall] = []
    quiet = asyncio.run(run(calls, load_calls=load_calls, burst=burst, under_load=loaded))
    latencies = [timing.ended_to_email_ms for timing in quiet]
    queue = "redis" if os.environ.get("AVA_REDIS_URL") else "sqlite"
    database = os.environ["AVA_DATABASE_URL"].split(":", 1)[0]
    print(f"{calls} simulated calls, database {database}, job queue {queue}, local summaries, embedded worker")
    print(f"call end (report stored) -> email received, quiet server: {figures_line(latencies)}")
    print(f"seen in progress while live: {sum(t.seen_in_progress for t in quiet)}/{calls}")
    if loaded:
        print(
            f"\nunder load: {len(loaded)} calls, each during a burst of {burst} end-of-call reports of another tenant"
        )
        for number, call in enumerate(loaded, start=1):
            drain = f"{call.drained_seconds:.1f} s" if call.drained_seconds is not None else "NOT within 300 s"
            print(f"  call {number}: report stored -> email {call.timing.ended_to_email_ms:.0f} ms; {call.burst}")
            print(f"          the burst's queue drained {drain} after the call's email")
        print(f"  under load (not judged): {figures_line([call.timing.ended_to_email_ms for call in loaded])}")
    ok = percentile(latencies, 0.95) < TARGET_P95_MS
    print(
        f"{'PASS' if ok else 'FAIL'}  quiet p95 {percentile(latencies, 0.95):.0f} ms (target < {TARGET_P95_MS:.0f} ms)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

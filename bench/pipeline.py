"""Call end to summary email: simulated Vapi calls against a live AVA API, email read from a real SMTP server.

Usage (uses AVA_DATABASE_URL, already migrated; AVA_REDIS_URL for a Redis job queue; only 127.0.0.1 is contacted):

    .venv/bin/python bench/pipeline.py --calls 20

In one process: AVA's API (``create_api()``) served by uvicorn on a free port, the embedded job worker, an aiosmtpd
server, and the Vapi emulator playing each call (``speed`` 0: no pauses) with webhooks over HTTP to AVA. For each call
it waits until the call is in progress in AVA's database, then until the summary email arrives, and prints p50/p95/max
of "end-of-call report answered -> email received by the SMTP server". The LLM is the local fallback (no OpenAI key).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
WEBHOOK_SECRET = "whsec_pipeline_bench_1f2e3d"
MAX_CALLS = 200


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


async def play_call(emulator, inbox: Inbox, *, number_id: str, timeout: float = 30) -> CallTiming:
    """One call: start it, watch it go in-progress in AVA, wait for the report, then for the email."""
    from ava_app.services.providers.vapi_sandbox.call_runner import start_simulated_call

    sandbox = emulator.state.sandbox
    seen_in_progress = False
    # A slow call (speed 4: about 4 s) so the live state can be observed, then the report.
    snapshot = await start_simulated_call(emulator, intent="booking", phone_number_id=number_id, speed=4.0)
    provider_call_id = snapshot["id"]
    deadline = time.monotonic() + timeout
    ended_at = None
    while time.monotonic() < deadline:
        row = await asyncio.to_thread(_call_row, provider_call_id)
        if row is not None and row[1] == "in-progress":
            seen_in_progress = True
        remote = await asyncio.to_thread(sandbox.store.get, "call", provider_call_id)
        if remote and remote.get("status") == "ended" and remote.get("analysis") is not None:
            row = await asyncio.to_thread(_call_row, provider_call_id)
            if row is not None and row[1] == "ended":
                ended_at = time.monotonic()
                break
        await asyncio.sleep(0.02)
    if ended_at is None:
        raise RuntimeError(f"call {provider_call_id} did not end in AVA within {timeout} s")
    call_id = row[0]
    while time.monotonic() < deadline:
        mails = inbox.for_call(call_id)
        if mails:
            return CallTiming(call_id, seen_in_progress, (mails[0][0] - ended_at) * 1000)
        await asyncio.sleep(0.01)
    raise RuntimeError(f"no summary email for call {call_id} within {timeout} s")


async def run(calls: int) -> list[CallTiming]:
    """Serve AVA with its worker and an SMTP server, play ``calls`` calls one after the other, return their timings."""
    import httpx
    from aiosmtpd.controller import Controller

    sys.path.insert(0, str(PROJECT_DIR))
    from ava_app import jobs
    from ava_app.api.app import create_api
    from ava_app.services.providers.vapi import SANDBOX_API_KEY
    from ava_app.services.providers.vapi_emulator import create_vapi_emulator
    from tests.servers import serve_app

    inbox = Inbox()
    smtp_port = free_port()
    data_dir = Path(os.environ.get("AVA_DATA_DIR") or PROJECT_DIR / "data")
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    configure(data_dir=data_dir, smtp_port=smtp_port, public_url="http://127.0.0.1")
    jobs.start_embedded_worker()
    tenant_id = None
    try:
        with serve_app(create_api()) as base_url:
            emulator = create_vapi_emulator(
                db_path=data_dir / f"pipeline-bench-{uuid.uuid4().hex[:8]}.db",
                public_base_url=base_url + "/sandbox/vapi",
                auto_simulate=False,
                use_speech=False,
            )
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=emulator),
                base_url="http://vapi.local",
                headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"},
            ) as raw:
                tenant_id, number_id = await create_business(raw, webhook_url=base_url + "/api/v1/webhooks/vapi")
            timings = []
            for _ in range(calls):
                timings.append(await play_call(emulator, inbox, number_id=number_id))
            return timings
    finally:
        jobs.stop_embedded_worker()
        controller.stop()
        if tenant_id is not None:
            remove_business(tenant_id)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(fraction * len(ordered)), len(ordered) - 1)]


def main() -> None:
    """Run the calls and print the latency figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    calls = max(1, min(args.calls, MAX_CALLS))
    timings = asyncio.run(run(calls))
    latencies = [timing.ended_to_email_ms for timing in timings]
    queue = "redis" if os.environ.get("AVA_REDIS_URL") else "sqlite"
    database = (os.environ.get("AVA_DATABASE_URL") or "sqlite").split(":", 1)[0]
    print(f"{calls} simulated calls, database {database}, job queue {queue}, local summaries")
    print(
        f"call end -> email received: p50 {statistics.median(latencies):.0f} ms   "
        f"p95 {percentile(latencies, 0.95):.0f} ms   max {max(latencies):.0f} ms   (target p95 < 1000 ms)"
    )
    print(f"seen in progress while live: {sum(t.seen_in_progress for t in timings)}/{calls}")


if __name__ == "__main__":
    main()

"""Webhook ingestion throughput: AVA's /api/v1/webhooks/vapi against a bare endpoint doing one insert, same database.

Usage (AVA already serving on 127.0.0.1 with the same AVA_DATABASE_URL and AVA_VAPI_WEBHOOK_SECRET):

    .venv/bin/python bench/ingest.py http://127.0.0.1:8000/api/v1/webhooks/vapi --requests 1000 --concurrency 8

Each request is the 13 KB end-of-call-report fixture with a unique call id, for a bench tenant this script creates (and
removes afterwards) so AVA takes its full path. The bare endpoint is started here with uvicorn on a free 127.0.0.1
port: it reads the body and inserts it as one WebhookEvent row. Prints accepted/s, p50/p95/p99 latency, errors and the
ratio AVA / bare. AVA's route only stores each report and enqueues its job, so the bench then waits for the queue to
drain and checks that every call is stored exactly once and every job completed (the AVA server must run a job
worker: the embedded one, or ``huey_consumer ava_app.jobs.huey``). Request count, concurrency and duration are capped;
only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

PROJECT_DIR = Path(__file__).resolve().parent.parent
FIXTURE = PROJECT_DIR.parent / "shared" / "contracts" / "fixtures" / "end-of-call-report.json"
MAX_REQUESTS, MAX_CONCURRENCY, MAX_SECONDS = 20_000, 64, 600
BENCH_ASSISTANT_PREFIX = "bench-assistant-"


@dataclass
class Figures:
    """One run against one endpoint."""

    name: str
    accepted: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def per_second(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(int(fraction * len(ordered)), len(ordered) - 1)]

    def line(self) -> str:
        return (
            f"{self.name:<6} accepted/s {self.per_second:8.1f}   p50 {self.percentile(0.5):7.1f} ms   "
            f"p95 {self.percentile(0.95):7.1f} ms   p99 {self.percentile(0.99):7.1f} ms   "
            f"accepted {self.accepted}   errors {self.errors}   ({self.seconds:.1f} s)"
        )


# --- the bare endpoint (run in a child process) --------------------------------------------------------------------


def serve_bare(*, port: int, database_url: str) -> None:
    """A Starlette endpoint that stores the body as one WebhookEvent row and answers {} (the comparison floor)."""
    import uvicorn
    from sqlalchemy import insert
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from ava_app.db import make_engine
    from ava_app.models import WebhookEvent, utcnow

    engine = make_engine(database_url)

    def store(body: bytes) -> None:
        with engine.begin() as connection:
            connection.execute(
                insert(WebhookEvent).values(
                    provider="bench",
                    event_type="end-of-call-report",
                    dedupe_key=f"bench-bare:{uuid.uuid4()}",
                    payload=body.decode(),
                    received_at=utcnow(),
                )
            )

    async def receive(request):
        await run_in_threadpool(store, await request.body())
        return JSONResponse({})

    app = Starlette(routes=[Route("/", receive, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --- load generation ----------------------------------------------------------------------------------------------


def report_bodies(count: int, *, assistant_id: str) -> list[bytes]:
    """``count`` end-of-call reports differing only by call id (so each creates a new call)."""
    template = json.loads(FIXTURE.read_text())
    template["message"]["call"]["assistantId"] = assistant_id
    template["message"]["phoneNumber"].pop("assistantId", None)
    bodies = []
    for _ in range(count):
        template["message"]["call"]["id"] = f"bench-{uuid.uuid4()}"
        # Indented like the fixture file: the 13 KB body the target is stated for.
        bodies.append(json.dumps(template, indent=2).encode())
    return bodies


async def hammer(
    name: str, url: str, bodies: list[bytes], *, concurrency: int, deadline: float, headers: dict
) -> Figures:
    """POST every body with ``concurrency`` clients until done or past ``deadline``."""
    queue = list(reversed(bodies))
    latencies: list[float] = []
    counts = {"accepted": 0, "errors": 0}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient) -> None:
        while queue and time.monotonic() < deadline:
            body = queue.pop()
            started = time.perf_counter()
            try:
                response = await client.post(url, content=body, headers=headers)
                ok = response.status_code < 300
            except httpx.HTTPError:
                ok = False
            latencies.append((time.perf_counter() - started) * 1000)
            counts["accepted" if ok else "errors"] += 1

    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        began = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return Figures(name, counts["accepted"], counts["errors"], elapsed, latencies)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def wait_until_up(url: str, *, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            try:
                await client.get(url)
                return
            except httpx.HTTPError:
                await asyncio.sleep(0.2)
    raise SystemExit(f"the bare endpoint did not start at {url}")


# --- bench tenant ---------------------------------------------------------------------------------------------------


def create_bench_tenant(database_url: str) -> tuple[int, str]:
    """A throwaway tenant whose assistant the bench payloads name, so AVA resolves them like real calls."""
    from sqlmodel import Session

    from ava_app.db import make_engine
    from ava_app.models import Assistant, Tenant

    assistant_id = f"{BENCH_ASSISTANT_PREFIX}{uuid.uuid4()}"
    with Session(make_engine(database_url)) as session:
        tenant = Tenant(name="Bench (temporary)")
        session.add(tenant)
        session.flush()
        session.add(Assistant(tenant_id=tenant.id, name="Bench", provider_assistant_id=assistant_id))
        session.commit()
        return tenant.id, assistant_id


def wait_for_pipeline(database_url: str, *, tenant_id: int, expected_calls: int, seconds: float) -> str:
    """Wait until every stored bench report is applied and its post-call job done; describe what the database holds.

    The route only stores reports; the job queue applies them and then summarises each call. Checked here: one call
    per distinct call id (no duplicates, none missing), no stored event left unapplied, no post-call work pending.
    """
    from sqlalchemy import func
    from sqlmodel import Session, col, select

    from ava_app.db import make_engine
    from ava_app.models import Call, WebhookEvent

    engine = make_engine(database_url)
    began = time.monotonic()
    while True:
        with Session(engine) as session:
            events = col(WebhookEvent.provider_call_id).like("bench-%")
            unapplied = session.exec(select(func.count()).where(events, col(WebhookEvent.processed_at).is_(None))).one()
            failed = session.exec(select(func.count()).where(events, col(WebhookEvent.error).is_not(None))).one()
            ours = col(Call.tenant_id) == tenant_id
            calls = session.exec(select(func.count()).where(ours)).one()
            distinct = session.exec(select(func.count(func.distinct(Call.provider_call_id))).where(ours)).one()
            pending = session.exec(
                select(func.count()).where(
                    ours, (col(Call.summary_status) == "pending") | (col(Call.email_status) == "pending")
                )
            ).one()
            statuses = session.exec(
                select(Call.summary_status, Call.email_status, func.count())
                .where(ours)
                .group_by(Call.summary_status, Call.email_status)
            ).all()
        done = not unapplied and not pending and calls >= expected_calls
        if done or time.monotonic() - began > seconds:
            return (
                f"after the burst ({time.monotonic() - began:.1f} s to drain): {calls} calls for {expected_calls} "
                f"reports ({distinct} distinct call ids), {unapplied} events unapplied, {failed} with an error, "
                f"{pending} calls with post-call work pending; statuses {sorted(statuses)}"
                + ("" if done else "  << NOT DRAINED")
            )
        time.sleep(0.5)


def remove_bench_rows(database_url: str, *, tenant_id: int) -> None:
    """Delete what the run created: the bench tenant, its calls and lines, and the stored bench events."""
    from sqlalchemy import delete, or_
    from sqlmodel import Session, col, select

    from ava_app.db import make_engine
    from ava_app.models import Assistant, Call, CallMessage, Tenant, WebhookEvent

    with Session(make_engine(database_url)) as session:
        call_ids = select(Call.id).where(col(Call.tenant_id) == tenant_id)
        session.exec(delete(CallMessage).where(col(CallMessage.call_id).in_(call_ids)))
        session.exec(delete(Call).where(col(Call.tenant_id) == tenant_id))
        bench_events = or_(
            col(WebhookEvent.dedupe_key).like("bench-bare:%"), col(WebhookEvent.provider_call_id).like("bench-%")
        )
        session.exec(delete(WebhookEvent).where(bench_events))
        session.exec(delete(Assistant).where(col(Assistant.tenant_id) == tenant_id))
        session.exec(delete(Tenant).where(col(Tenant.id) == tenant_id))
        session.commit()


# --- main ---------------------------------------------------------------------------------------------------------


def check_local(url: str) -> str:
    if urlsplit(url).hostname != "127.0.0.1":
        raise SystemExit(f"refusing {url}: this bench only talks to 127.0.0.1")
    return url


def main() -> None:
    """Parse arguments, run both endpoints with the same load, print figures and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "url", type=check_local, help="AVA's webhook URL, e.g. http://127.0.0.1:8000/api/v1/webhooks/vapi"
    )
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=120, help="upper bound per endpoint")
    parser.add_argument("--secret", default=os.environ.get("AVA_VAPI_WEBHOOK_SECRET", ""))
    parser.add_argument("--database-url", default="", help="defaults to AVA's configured database")
    parser.add_argument("--drain-seconds", type=float, default=300, help="how long to wait for the jobs afterwards")
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    # Run as a plain script from anywhere: make the project importable.
    sys.path.insert(0, str(PROJECT_DIR))

    if not args.database_url:
        from ava_app.settings import get_settings

        args.database_url = get_settings().database_url
    if args.serve_bare:
        serve_bare(port=args.serve_bare, database_url=args.database_url)
        return
    if not args.secret:
        raise SystemExit("set AVA_VAPI_WEBHOOK_SECRET (or --secret) to the secret the AVA server expects")
    requests = max(1, min(args.requests, MAX_REQUESTS))
    concurrency = max(1, min(args.concurrency, MAX_CONCURRENCY))
    seconds = max(1.0, min(args.seconds, MAX_SECONDS))

    port = free_port()
    bare_url = f"http://127.0.0.1:{port}/"
    child = subprocess.Popen(
        [sys.executable, __file__, args.url, "--serve-bare", str(port), "--database-url", args.database_url],
        cwd=PROJECT_DIR,
        env={**os.environ, "PYTHONPATH": str(PROJECT_DIR)},
    )
    tenant_id, assistant_id = create_bench_tenant(args.database_url)
    try:
        asyncio.run(wait_until_up(bare_url))
        headers = {"Content-Type": "application/json", "X-Vapi-Secret": args.secret}
        warmup = min(50, requests)
        results = {}
        for name, url in (("bare", bare_url), ("ava", args.url)):
            asyncio.run(
                hammer(
                    name,
                    url,
                    report_bodies(warmup, assistant_id=assistant_id),
                    concurrency=concurrency,
                    deadline=time.monotonic() + seconds,
                    headers=headers,
                )
            )
            bodies = report_bodies(requests, assistant_id=assistant_id)
            results[name] = asyncio.run(
                hammer(name, url, bodies, concurrency=concurrency, deadline=time.monotonic() + seconds, headers=headers)
            )
        accepted = results["ava"].accepted + warmup
        drained = wait_for_pipeline(
            args.database_url, tenant_id=tenant_id, expected_calls=accepted, seconds=args.drain_seconds
        )
    finally:
        child.terminate()
        child.wait(timeout=10)
        remove_bench_rows(args.database_url, tenant_id=tenant_id)

    db_kind = args.database_url.split(":", 1)[0]
    print(
        f"{requests} end-of-call reports ({len(report_bodies(1, assistant_id=assistant_id)[0]) // 1024} KB), "
        f"{concurrency} concurrent clients, database {db_kind}"
    )
    for figures in results.values():
        print(figures.line())
    bare, ava = results["bare"], results["ava"]
    ratio = ava.per_second / bare.per_second if bare.per_second else float("nan")
    print(f"ratio ava/bare accepted/s: {ratio:.2f}  (target >= 0.80)")
    if ava.errors or bare.errors:
        print(f"errors: ava {ava.errors}, bare {bare.errors}")
    if ava.latencies_ms:
        print(f"ava mean latency {statistics.fmean(ava.latencies_ms):.1f} ms")
    print(drained)


if __name__ == "__main__":
    main()

"""Webhook ingestion throughput: AVA's /api/v1/webhooks/vapi against a bare endpoint doing one insert, same database.

Usage (AVA already serving on 127.0.0.1 with the same AVA_DATABASE_URL and AVA_VAPI_WEBHOOK_SECRET):

    .venv/bin/python bench/ingest.py http://127.0.0.1:8000/api/v1/webhooks/vapi --requests 1000 --rounds 3

Each request is the 13 KB end-of-call-report fixture with a unique call id, for a bench tenant this script creates (and
removes afterwards) so AVA takes its full path. The bare endpoint is started here with uvicorn on a free 127.0.0.1
port: a Starlette route that reads the body and inserts it as one WebhookEvent row, the floor AVA is compared with.

The two endpoints take turns, ``--rounds`` bursts each of ``--requests`` requests from ``--concurrency`` clients (16 by
default: the target is stated at 16 connections), the order alternating from one round to the next so a slow spell of
a shared machine does not land on one side only. AVA's route only stores each report and enqueues its job, so after
each AVA burst the script waits for its job queue to drain before the next burst starts (the AVA server must run a
job worker: the embedded one, or ``huey_consumer ava_app.task_queue.huey``).

Prints accepted/s, p50/p95/p99 latency and errors of both, the ratio AVA / bare, the time the queue took to drain, and
PASS/FAIL against the targets (ratio >= 0.80, AVA p99 < 100 ms). Then checks what the database holds: every call
stored exactly once (one call and one stored event per accepted call id, no duplicates, none missing), no webhook
event left unapplied or failed, no post-call work pending. Exit status: 0 all targets met, 1 a target missed, 2 the
integrity check failed. With ``--server-pid`` (the process group of the AVA server) it also prints the CPU time the
server spent per request, next to the bare endpoint's. Request count, rounds, concurrency and duration are capped;
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
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

PROJECT_DIR = Path(__file__).resolve().parent.parent
FIXTURE = PROJECT_DIR / "tests" / "fixtures" / "contracts" / "end-of-call-report.json"
MAX_REQUESTS, MAX_ROUNDS, MAX_CONCURRENCY, MAX_SECONDS = 20_000, 10, 64, 600
BENCH_ASSISTANT_PREFIX = "bench-assistant-"
TARGET_RATIO, TARGET_P99_MS = 0.8, 100.0
WARMUP = 50


@dataclass
class Figures:
    """Every burst against one endpoint."""

    name: str
    accepted: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    cpu_seconds: float | None = None

    @property
    def per_second(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(int(fraction * len(ordered)), len(ordered) - 1)]

    def add(self, other: Figures) -> None:
        self.accepted += other.accepted
        self.errors += other.errors
        self.seconds += other.seconds
        self.latencies_ms += other.latencies_ms

    def line(self) -> str:
        return (
            f"{self.name:<5} accepted/s {self.per_second:7.1f}   p50 {self.percentile(0.5):6.1f} ms   "
            f"p95 {self.percentile(0.95):6.1f} ms   p99 {self.percentile(0.99):6.1f} ms   "
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


def report_bodies(count: int, *, assistant_id: str) -> list[tuple[str, bytes]]:
    """``count`` (call id, end-of-call report) pairs differing only by call id (so each creates a new call)."""
    template = json.loads(FIXTURE.read_text())
    template["message"]["call"]["assistantId"] = assistant_id
    template["message"]["phoneNumber"].pop("assistantId", None)
    bodies = []
    for _ in range(count):
        call_id = f"bench-{uuid.uuid4()}"
        template["message"]["call"]["id"] = call_id
        # Indented like the fixture file: the 13 KB body the target is stated for.
        bodies.append((call_id, json.dumps(template, indent=2).encode()))
    return bodies


async def hammer(
    name: str,
    url: str,
    bodies: list[tuple[str, bytes]],
    *,
    concurrency: int,
    deadline: float,
    headers: dict,
    client: str = "aiohttp",
) -> tuple[Figures, set[str]]:
    """POST every body with ``concurrency`` clients until done or past ``deadline``; figures and accepted call ids.

    ``client`` is the HTTP client library of the load generator: ``aiohttp`` (default) or ``httpx``. The generator
    shares the two cores with the server; httpx costs it about twice the CPU per request, and its own queueing then
    shows in the latency measured for either endpoint (p99 150-180 ms for both, against 40 ms for AVA with aiohttp).
    """
    queue = list(reversed(bodies))
    figures = Figures(name)
    accepted: set[str] = set()

    async def worker(post) -> None:
        while queue and time.monotonic() < deadline:
            call_id, body = queue.pop()
            started = time.perf_counter()
            ok = await post(body)
            figures.latencies_ms.append((time.perf_counter() - started) * 1000)
            if ok:
                figures.accepted += 1
                accepted.add(call_id)
            else:
                figures.errors += 1

    began = time.perf_counter()
    if client == "aiohttp":
        import aiohttp

        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:

            async def post(body: bytes) -> bool:
                try:
                    async with session.post(url, data=body, headers=headers) as response:
                        await response.read()
                        return response.status < 300
                except (TimeoutError, aiohttp.ClientError):
                    return False

            began = time.perf_counter()
            await asyncio.gather(*(worker(post) for _ in range(concurrency)))
    else:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(limits=limits, timeout=30) as http:

            async def post(body: bytes) -> bool:
                try:
                    response = await http.post(url, content=body, headers=headers)
                    return response.status_code < 300
                except httpx.HTTPError:
                    return False

            began = time.perf_counter()
            await asyncio.gather(*(worker(post) for _ in range(concurrency)))
    figures.seconds = time.perf_counter() - began
    return figures, accepted


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


def process_group_cpu(group: int) -> float:
    """User + system CPU seconds of every live process in process group ``group`` (Linux /proc)."""
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


# --- bench tenant and the database checks ----------------------------------------------------------------------------


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


def pipeline_backlog(engine, *, tenant_id: int) -> tuple[int, int]:
    """(stored bench events not yet applied, calls of the bench tenant with post-call work pending)."""
    from sqlalchemy import func
    from sqlmodel import Session, col, select

    from ava_app.models import Call, WebhookEvent

    with Session(engine) as session:
        unapplied = session.exec(
            select(func.count()).where(
                col(WebhookEvent.provider_call_id).like("bench-%"), col(WebhookEvent.processed_at).is_(None)
            )
        ).one()
        pending = session.exec(
            select(func.count()).where(
                col(Call.tenant_id) == tenant_id,
                (col(Call.summary_status) == "pending") | (col(Call.email_status) == "pending"),
            )
        ).one()
    return unapplied, pending


def wait_for_drain(engine, *, tenant_id: int, seconds: float) -> float | None:
    """Seconds until no bench event is unapplied and no bench call has work pending; None if not within ``seconds``."""
    began = time.monotonic()
    while True:
        if pipeline_backlog(engine, tenant_id=tenant_id) == (0, 0):
            return time.monotonic() - began
        if time.monotonic() - began > seconds:
            return None
        time.sleep(0.1)


def check_integrity(engine, *, tenant_id: int, accepted: set[str], refused: int) -> list[str]:
    """Problems with what the database holds for the accepted call ids (empty when every check passes).

    Checked: one call per accepted call id (none missing, no duplicates, none foreign), one stored event per call id,
    every event applied without error, no post-call work pending.
    """
    from sqlalchemy import func
    from sqlmodel import Session, col, select

    from ava_app.models import Call, WebhookEvent

    with Session(engine) as session:
        ours = col(Call.tenant_id) == tenant_id
        calls = session.exec(select(func.count()).where(ours)).one()
        stored_ids = set(session.exec(select(Call.provider_call_id).where(ours)).all())
        duplicated = session.exec(
            select(func.count()).select_from(
                select(Call.provider_call_id)
                .where(ours)
                .group_by(Call.provider_call_id)
                .having(func.count() > 1)
                .subquery()
            )
        ).one()
        events = col(WebhookEvent.provider_call_id).like("bench-%")
        event_counts = dict(
            session.exec(
                select(WebhookEvent.provider_call_id, func.count())
                .where(events)
                .group_by(WebhookEvent.provider_call_id)
            ).all()
        )
        unapplied = session.exec(select(func.count()).where(events, col(WebhookEvent.processed_at).is_(None))).one()
        failed = session.exec(select(func.count()).where(events, col(WebhookEvent.error).is_not(None))).one()
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
    print(
        f"database: {calls} calls for {len(accepted)} accepted reports ({len(stored_ids)} distinct call ids), "
        f"{sum(event_counts.values())} stored events, {unapplied} unapplied, {failed} with an error, "
        f"{pending} calls with post-call work pending; summary/email statuses {sorted(statuses)}"
    )
    problems = []
    if missing := accepted - stored_ids:
        problems.append(f"{len(missing)} accepted call ids have no call (e.g. {sorted(missing)[:3]})")
    if duplicated or calls != len(stored_ids):
        problems.append(f"{duplicated} call ids stored more than once ({calls} rows for {len(stored_ids)} ids)")
    if foreign := stored_ids - accepted:
        # A request that timed out on the client may still have been stored; anything else is a bug.
        note = f" ({refused} requests were refused or timed out)" if refused else ""
        problems.append(f"{len(foreign)} calls stored for call ids that were not accepted{note}")
    if doubled := sum(1 for count in event_counts.values() if count > 1):
        problems.append(f"{doubled} call ids have more than one stored end-of-call event")
    if unapplied:
        problems.append(f"{unapplied} stored webhook events never applied")
    if failed:
        problems.append(f"{failed} stored webhook events carry an error")
    if pending:
        problems.append(f"{pending} calls still have post-call work pending")
    return problems


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


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    """Parse arguments, run both endpoints with the same load, print figures and verdicts; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "url", type=check_local, help="AVA's webhook URL, e.g. http://127.0.0.1:8000/api/v1/webhooks/vapi"
    )
    parser.add_argument("--requests", type=int, default=1000, help="per burst")
    parser.add_argument("--rounds", type=int, default=3, help="bursts per endpoint, taking turns")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--client", choices=("aiohttp", "httpx"), default="aiohttp", help="load generator client")
    parser.add_argument("--seconds", type=float, default=120, help="upper bound per burst")
    parser.add_argument("--secret", default=os.environ.get("AVA_VAPI_WEBHOOK_SECRET", ""))
    parser.add_argument("--database-url", default="", help="defaults to AVA's configured database")
    parser.add_argument("--drain-seconds", type=float, default=300, help="how long to wait for the jobs after a burst")
    parser.add_argument("--server-pid", type=int, help="process group of the AVA server, to report its CPU per request")
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    # Run as a plain script from anywhere: make the project importable.
    sys.path.insert(0, str(PROJECT_DIR))

    if not args.database_url:
        from ava_app.settings import get_settings

        args.database_url = get_settings().database_url
    if args.serve_bare:
        serve_bare(port=args.serve_bare, database_url=args.database_url)
        return 0
    if not args.secret:
        raise SystemExit("set AVA_VAPI_WEBHOOK_SECRET (or --secret) to the secret the AVA server expects")
    requests = max(1, min(args.requests, MAX_REQUESTS))
    rounds = max(1, min(args.rounds, MAX_ROUNDS))
    concurrency = max(1, min(args.concurrency, MAX_CONCURRENCY))
    seconds = max(1.0, min(args.seconds, MAX_SECONDS))

    from ava_app.db import make_engine

    engine = make_engine(args.database_url)
    port = free_port()
    bare_url = f"http://127.0.0.1:{port}/"
    child = subprocess.Popen(
        [sys.executable, __file__, args.url, "--serve-bare", str(port), "--database-url", args.database_url],
        cwd=PROJECT_DIR,
        env={**os.environ, "PYTHONPATH": str(PROJECT_DIR)},
        start_new_session=True,
    )
    tenant_id, assistant_id = create_bench_tenant(args.database_url)
    headers = {"Content-Type": "application/json", "X-Vapi-Secret": args.secret}
    urls = {"bare": bare_url, "ava": args.url}
    groups = {"bare": child.pid, "ava": args.server_pid}
    totals = {name: Figures(name, cpu_seconds=0.0 if groups[name] else None) for name in urls}
    ratios, drains = [], []
    accepted: set[str] = set()
    refused = 0
    drained_all = True

    def burst(name: str, count: int) -> Figures:
        nonlocal refused
        before = process_group_cpu(groups[name]) if groups[name] else 0.0
        figures, ids = asyncio.run(
            hammer(
                name,
                urls[name],
                report_bodies(count, assistant_id=assistant_id),
                concurrency=concurrency,
                deadline=time.monotonic() + seconds,
                headers=headers,
                client=args.client,
            )
        )
        if groups[name]:
            figures.cpu_seconds = process_group_cpu(groups[name]) - before
        if name == "ava":
            accepted.update(ids)
            refused += figures.errors
        return figures

    def drain() -> float | None:
        took = wait_for_drain(engine, tenant_id=tenant_id, seconds=args.drain_seconds)
        if took is not None:
            drains.append(took)
        return took

    try:
        asyncio.run(wait_until_up(bare_url))
        for name in urls:
            burst(name, WARMUP)
        if drain() is None:
            drained_all = False
        drains.clear()
        print(
            f"{rounds} rounds of {requests} end-of-call reports "
            f"({len(report_bodies(1, assistant_id=assistant_id)[0][1]) // 1024} KB) per endpoint, "
            f"{concurrency} concurrent {args.client} clients, database {args.database_url.split(':', 1)[0]}"
        )
        for round_number in range(rounds):
            order = ("bare", "ava") if round_number % 2 == 0 else ("ava", "bare")
            this_round = {}
            for name in order:
                this_round[name] = burst(name, requests)
                totals[name].add(this_round[name])
                if this_round[name].cpu_seconds is not None:
                    totals[name].cpu_seconds += this_round[name].cpu_seconds
                if name == "ava":
                    took = drain()
                    drained_all = drained_all and took is not None
            ratio = this_round["ava"].per_second / this_round["bare"].per_second if this_round["bare"].per_second else 0
            ratios.append(ratio)
            drain_note = f"{drains[-1]:.1f} s" if len(drains) > round_number else "NOT DRAINED"
            print(
                f"  round {round_number + 1}: bare {this_round['bare'].per_second:6.1f}/s, "
                f"ava {this_round['ava'].per_second:6.1f}/s (p99 {this_round['ava'].percentile(0.99):.0f} ms), "
                f"ratio {ratio:.2f}; ava's queue drained in {drain_note}"
            )
        problems = check_integrity(engine, tenant_id=tenant_id, accepted=accepted, refused=refused)
        if not drained_all:
            problems.insert(0, f"the job queue did not drain within {args.drain_seconds:.0f} s of a burst")
    finally:
        child.terminate()
        child.wait(timeout=10)
        remove_bench_rows(args.database_url, tenant_id=tenant_id)
        engine.dispose()

    bare, ava = totals["bare"], totals["ava"]
    print(bare.line())
    print(ava.line())
    ratio = ava.per_second / bare.per_second if bare.per_second else 0.0
    print(f"ratio ava/bare accepted/s: {ratio:.2f} (rounds: {', '.join(f'{r:.2f}' for r in ratios)})")
    if ava.latencies_ms:
        print(f"ava mean latency {statistics.fmean(ava.latencies_ms):.1f} ms")
    if drains:
        print(
            f"ava's job queue drained {statistics.fmean(drains):.1f} s after a burst on average: end to end "
            f"{ava.accepted / (ava.seconds + sum(drains)):.0f} calls/s stored, summarised and settled"
        )
    for figures in (bare, ava):
        if figures.cpu_seconds is not None and figures.accepted:
            per_request = figures.cpu_seconds * 1000 / figures.accepted
            print(f"{figures.name} server CPU per request during its bursts: {per_request:.2f} ms")
    ratio_ok = ratio >= TARGET_RATIO
    p99_ok = ava.percentile(0.99) < TARGET_P99_MS
    errors_ok = not ava.errors
    print(f"{verdict(ratio_ok)}  ratio {ratio:.2f} (target >= {TARGET_RATIO:.2f})")
    print(f"{verdict(p99_ok)}  ava p99 {ava.percentile(0.99):.1f} ms (target < {TARGET_P99_MS:.0f} ms)")
    print(f"{verdict(errors_ok)}  ava errors {ava.errors} (target 0)")
    if problems:
        print("FAIL  integrity: " + "; ".join(problems))
        return 2
    print("PASS  integrity: every accepted call stored exactly once, every event applied, no post-call work pending")
    return 0 if ratio_ok and p99_ok and errors_ok else 1


if __name__ == "__main__":
    sys.exit(main())

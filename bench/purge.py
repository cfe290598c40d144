"""Retention purge at scale on PostgreSQL: webhooks landing during a purge, against the same load without one.

Usage:

    .venv/bin/python bench/purge.py                  # 1,000,000 calls over 400 days (loading takes minutes)
    .venv/bin/python bench/purge.py --quick          # 50,000 calls, shorter rounds: a fast check
    .venv/bin/python bench/purge.py --calls 200000 --round-seconds 20

Set-up: the database ``purgebench`` next to ``--pg-admin-url`` is dropped, created and migrated with Alembic (as
``dashboard.py`` does). One business (Europe/Paris) gets ``--calls`` calls spread over 400 days through
``demo_data.generate_calls`` (COPY; the trigram search index dropped for the load and built again, as in a real bulk
load), and the raw provider messages of its last 60 days of calls are inserted in bulk into ``webhookevent`` (per call:
status-update in-progress, status-update ended, end-of-call report; bodies from the contract fixtures, tenant set,
processed). Its retention is set to recordings 90 days, transcripts 90 days, raw messages 30 days. The demo calls have
no recording (no audio behind them), so the recordings step only runs its query and removes nothing.

Load: AVA's API app (``ava_app.api.app.create_api``, the production webhook route and middleware, without Reflex) is
served by uvicorn in a child process on a free 127.0.0.1 port. A live ``./scripts/run`` server would add Reflex's
build and processes to two shared cores without changing the route. The end-of-call report's apply job is not run (the
route stores the report and hands its id to the queue; here the queue is a no-op list, as no job worker runs): what is
measured is the webhook being accepted and stored. ``--concurrency`` aiohttp clients (16) POST signed webhooks
(``X-Vapi-Secret``) for new calls of a second business: each call a status-update (in-progress, applied inline: it
inserts the call row, its rollup triggers and its index entries) and then its 9 KB end-of-call report (stored in
``webhookevent``). Both land in the tables the purge works on (``call`` and its indexes, ``webhookevent``); the second
business keeps the purged business's dashboard untouched, so it can be compared before and after.

Rounds, alternating so a slow spell of the shared machine hits both sides: baseline (``--round-seconds`` of load, no
purge), purge 1 (``retention.purge_due`` with ``now`` set 155 days back, so the older half of what is due goes),
baseline, purge 2 (``purge_due`` at the bench's ``now``: the rest, and the raw messages older than 30 days). Each
purge runs in its own process (``--run-purge``), as the nightly job does in a worker; the load runs for the whole
purge. Each round is measured from one second after its load started. Meanwhile ``pg_stat_activity`` is sampled
every 100 ms for sessions waiting on a lock (and on what) and for the age of the purge's open transaction; the purge
process times every transaction it runs (begin to commit) and every statement.

Dashboard check: ``analytics.dashboard_summary`` (month, which holds the 30-day ``calls_per_day`` chart) at a pinned
``now``, the rollups' totals over the whole history (calls, durations, costs, calls per UTC day over 400 days) and the
topic rollups, before the first purge and after the second. Dashboard and call rollups must be identical.

Prints webhooks/s baseline and during the purges, their ratio (goal >= 0.80), p95 latency of each, the purges' duration
and rows removed, the longest transaction and statement of the purge, lock waits seen, the dashboard check, and
PASS/FAIL. Exit status 1 when a goal is missed. The database is dropped at the end unless ``--keep``. Only 127.0.0.1 is
contacted; calls, rounds and durations are capped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

BENCH_DB = "purgebench"
FIXTURES = PROJECT_DIR / "tests" / "fixtures" / "contracts"
TRGM_DDL = (
    "CREATE INDEX ix_call_search_trgm ON call USING gin ((coalesce(summary, '') || ' ' || transcript) gin_trgm_ops)"
)
MAX_CALLS, MAX_ROUND_SECONDS, MAX_PURGE_SECONDS, MAX_CONCURRENCY = 2_000_000, 120.0, 1800.0, 64
HISTORY_DAYS, PAYLOAD_DAYS = 400, 60
RETAIN_RECORDINGS, RETAIN_TRANSCRIPTS, RETAIN_PAYLOADS = 90, 90, 30
FIRST_PURGE_SHIFT = timedelta(days=155)  # purge 1 runs "155 days ago": about half of what is due at the bench's now
GOAL_RATIO = 0.80
PURGE_APP_NAME = "ava-purge-bench"
SECRET = "purge-bench-secret"
WARMUP_SECONDS = 1.0
# The webhooks' new calls are spread over this many businesses: every new call of one business in one 15-minute slot
# updates the same rollup row, so a single business taking 16 calls at once would measure that row lock, not the purge.
WEBHOOK_BUSINESSES = 50


# --- set-up --------------------------------------------------------------------------------------------------------


def migrate(url: str) -> None:
    """Alembic upgrade head on ``url``, as ./scripts/run does."""
    from ava_app.db import get_engine
    from ava_app.settings import get_settings

    os.environ["AVA_DATABASE_URL"] = url
    get_settings.cache_clear()
    get_engine.cache_clear()
    command.upgrade(Config(str(PROJECT_DIR / "alembic.ini")), "head")


def load_business(url: str, *, calls: int, now: datetime) -> int:
    """The purged business: ``calls`` demo calls over HISTORY_DAYS days (COPY); returns its tenant id."""
    from ava_app import demo_data
    from ava_app.db import make_engine
    from ava_app.models import Tenant

    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        session.execute(text("SET synchronous_commit = off"))
        session.execute(text("DROP INDEX IF EXISTS ix_call_search_trgm"))
        session.commit()
        tenant = Tenant(name="Purge bench business", timezone="Europe/Paris", is_demo=True)
        session.add(tenant)
        session.commit()
        assert tenant.id is not None
        step = time.perf_counter()
        demo_data.generate_calls(session, tenant_id=tenant.id, count=calls, days=HISTORY_DAYS, seed=7, now=now)
        print(f"  {calls:,} calls over {HISTORY_DAYS} days in {time.perf_counter() - step:.1f} s", flush=True)
        tenant_id = tenant.id
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        step = time.perf_counter()
        connection.execute(text("SET maintenance_work_mem = '512MB'"))
        connection.execute(text(TRGM_DDL))
        print(f"  trigram index built in {time.perf_counter() - step:.1f} s", flush=True)
    engine.dispose()
    return tenant_id


def fixture_template(name: str, **replace: object) -> str:
    """A fixture as compact JSON with ``__CALL__`` (and the given keys) as placeholders."""
    body = json.loads((FIXTURES / f"{name}.json").read_text())
    body["message"]["call"]["id"] = "__CALL__"
    for key, value in replace.items():
        body["message"]["call"][key] = value
    return json.dumps(body)


def load_payloads(url: str, *, tenant_id: int, now: datetime) -> int:
    """Raw provider messages of the business's calls of the last PAYLOAD_DAYS days, COPY'd; returns the row count."""
    import psycopg

    kinds = (
        ("status-update", "in-progress", fixture_template("status-update"), 0),
        ("status-update", "ended", fixture_template("status-update.ended"), 1),
        ("end-of-call-report", "", fixture_template("end-of-call-report"), 2),
    )
    columns = "tenant_id, provider, event_type, dedupe_key, provider_call_id, payload, received_at, processed_at"
    rows = 0
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=False) as connection:
        connection.execute("SET synchronous_commit = off")
        calls = connection.execute(
            "SELECT provider_call_id, started_at, ended_at FROM call WHERE tenant_id = %s AND started_at >= %s "
            "ORDER BY started_at",
            (tenant_id, now - timedelta(days=PAYLOAD_DAYS)),
        ).fetchall()
        with connection.cursor() as cursor, cursor.copy(f"COPY webhookevent ({columns}) FROM STDIN") as copy:
            for call_id, started_at, ended_at in calls:
                ended_at = ended_at or started_at
                for kind, status, template, step in kinds:
                    at = started_at if step == 0 else ended_at + timedelta(seconds=step)
                    copy.write_row(
                        (
                            tenant_id,
                            "vapi",
                            kind,
                            f"vapi:{call_id}:{kind}:{status}",
                            call_id,
                            template.replace("__CALL__", call_id),
                            at,
                            at,
                        )
                    )
                    rows += 1
        connection.commit()
    print(f"  {rows:,} raw provider messages ({len(calls):,} calls) in {time.perf_counter() - started:.1f} s")
    return rows


def set_up(url: str, *, calls: int, now: datetime) -> tuple[int, list[str]]:
    """Load the purged business and its payloads, set its retention, add the webhook businesses; analyse."""
    from ava_app.db import make_engine
    from ava_app.models import Assistant, Tenant

    business = load_business(url, calls=calls, now=now)
    load_payloads(url, tenant_id=business, now=now)
    assistants = []
    engine = make_engine(url)
    with Session(engine) as session:
        tenant = session.get(Tenant, business)
        assert tenant is not None
        tenant.retain_recordings_days = RETAIN_RECORDINGS
        tenant.retain_transcripts_days = RETAIN_TRANSCRIPTS
        tenant.retain_payloads_days = RETAIN_PAYLOADS
        session.add(tenant)
        for index in range(WEBHOOK_BUSINESSES):
            other = Tenant(name=f"Webhook bench business {index}", timezone="Europe/Paris")
            session.add(other)
            session.flush()
            assert other.id is not None
            assistants.append(f"purge-bench-assistant-{uuid.uuid4()}")
            session.add(Assistant(tenant_id=other.id, name="Bench", provider_assistant_id=assistants[-1]))
        session.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        step = time.perf_counter()
        connection.execute(text("VACUUM ANALYZE"))
        print(f"  vacuum analyze in {time.perf_counter() - step:.1f} s", flush=True)
    engine.dispose()
    return business, assistants


def explain_purge_queries(url: str, *, tenant_id: int, now: datetime) -> None:
    """The plans of the purge's batch selects (transcripts, raw messages), as PostgreSQL chooses them on this data."""
    import psycopg

    queries = {
        "transcripts batch": (
            "SELECT id FROM call WHERE tenant_id = %s AND ended_at < %s AND content_purged_at IS NULL "
            "ORDER BY id LIMIT 500",
            (tenant_id, now - timedelta(days=RETAIN_TRANSCRIPTS)),
        ),
        "raw messages batch": (
            "SELECT id FROM webhookevent WHERE tenant_id = %s AND received_at < %s ORDER BY id LIMIT 500",
            (tenant_id, now - timedelta(days=RETAIN_PAYLOADS)),
        ),
    }
    with psycopg.connect(url, autocommit=True) as connection:
        for name, (sql, params) in queries.items():
            plan = connection.execute("EXPLAIN " + sql, params).fetchall()
            print(f"  plan, {name}: " + " / ".join(line.strip() for (line,) in plan[:4]))


# --- dashboard check -----------------------------------------------------------------------------------------------


def dashboard_snapshot(url: str, *, tenant_id: int, now: datetime) -> dict:
    """What the dashboard shows and what the rollups hold for the business, at a pinned ``now``."""
    from ava_app.db import make_engine
    from ava_app.services import analytics
    from ava_app.services.principal import Principal

    engine = make_engine(url)
    principal = Principal(user_id=None, tenant_id=tenant_id, role="admin")
    with Session(engine) as session:
        month = analytics.dashboard_summary(session, principal=principal, period="month", now=now)
        totals = session.execute(
            text(
                "SELECT sum(calls), sum(timed_calls), sum(duration_total), sum(cost_total) FROM callrollup "
                "WHERE tenant_id = :t"
            ),
            {"t": tenant_id},
        ).one()
        per_day = session.execute(
            text(
                "SELECT bucket / 86400, outcome, sum(calls) FROM callrollup WHERE tenant_id = :t GROUP BY 1, 2 "
                "ORDER BY 1, 2"
            ),
            {"t": tenant_id},
        ).all()
        topics = session.execute(
            text("SELECT coalesce(sum(calls), 0) FROM calltopicrollup WHERE tenant_id = :t"), {"t": tenant_id}
        ).scalar_one()
        calls = session.execute(text("SELECT count(*) FROM call WHERE tenant_id = :t"), {"t": tenant_id}).scalar_one()
    engine.dispose()
    return {
        "month": month.model_dump(mode="json"),
        "rollup_totals": [str(value) for value in totals],
        "rollup_days": [list(map(str, row)) for row in per_day],
        "topic_total": int(topics),
        "calls": int(calls),
    }


# --- the webhook server (child process) ----------------------------------------------------------------------------


def serve(port: int) -> None:
    """AVA's API app on 127.0.0.1:``port``; the report's apply job goes to a list (no worker runs in this bench)."""
    import uvicorn

    from ava_app.api import webhooks
    from ava_app.api.app import create_api

    api = create_api()
    deferred: list[int] = []

    async def no_queue():
        return deferred.append

    api.dependency_overrides[webhooks.get_enqueue_apply] = no_queue
    uvicorn.run(api, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --- the purge (child process) -------------------------------------------------------------------------------------


def run_purge(url: str, *, now: datetime, report_path: Path) -> None:
    """Wait for "go" on stdin, run ``purge_due`` at ``now``, time every transaction and statement, write a report."""
    from ava_app.db import make_engine
    from ava_app.services import retention

    engine = make_engine(url + f"?application_name={PURGE_APP_NAME}")
    transactions: list[tuple[float, bool]] = []  # (seconds, wrote)
    statements: dict[str, list[float]] = {}
    state: dict[str, float | bool] = {}

    @event.listens_for(engine, "begin")
    def _begin(_conn) -> None:
        state["began"], state["wrote"] = time.perf_counter(), False

    def _end(_conn) -> None:
        if "began" in state:
            transactions.append((time.perf_counter() - float(state.pop("began")), bool(state["wrote"])))

    event.listen(engine, "commit", _end)
    event.listen(engine, "rollback", _end)

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, _cursor, statement, _params, _context, _many) -> None:
        conn.info["bench_statement"] = time.perf_counter()
        if statement.lstrip().split(" ", 1)[0].upper() in ("UPDATE", "DELETE", "INSERT"):
            state["wrote"] = True

    # Rows changed, counted per statement: a purge stopped at the time limit returns no report of its own.
    changed = {"transcripts": 0, "payloads": 0}

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, _params, _context, _many) -> None:
        words = " ".join(statement.split()[:4])[:60]
        statements.setdefault(words, []).append(time.perf_counter() - conn.info.pop("bench_statement"))
        if words.startswith("UPDATE call SET transcript"):
            changed["transcripts"] += max(cursor.rowcount, 0)
        elif words.startswith("DELETE FROM webhookevent"):
            changed["payloads"] += max(cursor.rowcount, 0)

    def _stopped(_signal, _frame) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _stopped)

    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    transactions.clear()
    statements.clear()
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.perf_counter()
    report = None
    try:
        with Session(engine) as session:
            report = retention.purge_due(session, now=now)
    except SystemExit:
        pass  # stopped at the time limit: the figures so far (the open batch rolled back)
    took = time.perf_counter() - started
    writes = sorted(seconds for seconds, wrote in transactions if wrote)
    result = {
        "seconds": took,
        "finished": report is not None,
        "recordings": sum(report.recordings.values()) if report else 0,
        "transcripts": sum(report.transcripts.values()) if report else changed["transcripts"],
        "payloads": sum(report.payloads.values()) if report else changed["payloads"],
        "webhook_deliveries": sum(report.webhook_deliveries.values()) if report else 0,
        "transactions": len(transactions),
        "write_transactions": len(writes),
        "longest_transaction": max((seconds for seconds, _ in transactions), default=0.0),
        "longest_write_transaction": writes[-1] if writes else 0.0,
        "p95_write_transaction": writes[min(len(writes) - 1, int(0.95 * len(writes)))] if writes else 0.0,
        "median_write_transaction": statistics.median(writes) if writes else 0.0,
        "statements": {
            words: {
                "count": len(times),
                "total": sum(times),
                "max": max(times),
                "first10": statistics.mean(times[:10]),
                "last10": statistics.mean(times[-10:]),
            }
            for words, times in statements.items()
        },
    }
    report_path.write_text(json.dumps(result))
    engine.dispose()


# --- load and sampling ---------------------------------------------------------------------------------------------


@dataclass
class Round:
    """One round of load: every request's (finish time, latency ms, ok), and the measured window."""

    name: str
    purging: bool = False
    done: list[tuple[float, float, bool]] = field(default_factory=list)
    window: tuple[float, float] = (0.0, 0.0)
    purge: dict | None = None
    waits: dict = field(default_factory=dict)

    def _inside(self) -> list[tuple[float, float, bool]]:
        start, end = self.window
        return [item for item in self.done if start <= item[0] <= end]

    @property
    def seconds(self) -> float:
        return self.window[1] - self.window[0]

    @property
    def accepted(self) -> int:
        return sum(1 for _, _, ok in self._inside() if ok)

    @property
    def errors(self) -> int:
        return sum(1 for _, _, ok in self._inside() if not ok)

    @property
    def rate(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0

    def latencies(self) -> list[float]:
        return [latency for _, latency, ok in self._inside() if ok]


def percentile(samples: list[float], fraction: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(int(fraction * len(ordered)), len(ordered) - 1)]


class Bodies:
    """Webhook bodies for new calls of the webhook business: a status-update, then the call's end-of-call report."""

    def __init__(self, assistants: list[str]) -> None:
        self.assistants = assistants
        status = json.loads((FIXTURES / "status-update.json").read_text())
        report = json.loads((FIXTURES / "end-of-call-report.json").read_text())
        for body in (status, report):
            body["message"]["call"]["id"] = "__CALL__"
            body["message"]["call"]["assistantId"] = "__ASSISTANT__"
            body["message"]["call"]["startedAt"] = "__STARTED__"
            body["message"]["call"]["createdAt"] = "__STARTED__"
            body["message"].get("phoneNumber", {}).pop("assistantId", None)
        report["message"]["startedAt"] = "__STARTED__"
        report["message"]["endedAt"] = "__ENDED__"
        self.templates = (json.dumps(status), json.dumps(report))

    def for_call(self) -> tuple[bytes, bytes]:
        call_id = f"purgebench-{uuid.uuid4()}"
        started = datetime.now(UTC) - timedelta(seconds=90)
        values = {
            "__CALL__": call_id,
            "__ASSISTANT__": random.choice(self.assistants),
            "__STARTED__": started.isoformat().replace("+00:00", "Z"),
            "__ENDED__": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        }
        out = []
        for template in self.templates:
            for key, value in values.items():
                template = template.replace(key, value)
            out.append(template.encode())
        return out[0], out[1]


async def load(url: str, bodies: Bodies, *, concurrency: int, record: Round, stop: threading.Event) -> None:
    """``concurrency`` clients sending each call's two webhooks in turn until ``stop`` is set."""
    import aiohttp

    headers = {"Content-Type": "application/json", "X-Vapi-Secret": SECRET}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:

        async def worker() -> None:
            while not stop.is_set():
                for body in bodies.for_call():
                    started = time.perf_counter()
                    try:
                        async with session.post(url, data=body, headers=headers) as response:
                            await response.read()
                            ok = response.status < 300
                    except (TimeoutError, aiohttp.ClientError):
                        ok = False
                    finished = time.perf_counter()
                    record.done.append((finished, (finished - started) * 1000, ok))

        await asyncio.gather(*(worker() for _ in range(concurrency)))


class LockSampler(threading.Thread):
    """Samples pg_stat_activity every 100 ms: sessions waiting on a lock (what for), the purge's open transaction."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.stop = threading.Event()
        self.samples = 0
        self.waiting_samples = 0
        self.longest_wait = 0.0
        self.waited_on: dict[str, int] = {}
        self.longest_purge_transaction = 0.0

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as connection:
            while not self.stop.is_set():
                rows = connection.execute(
                    """
                    SELECT a.wait_event_type, a.wait_event, extract(epoch FROM now() - a.state_change),
                           extract(epoch FROM now() - a.xact_start), a.application_name,
                           (SELECT string_agg(DISTINCT coalesce(l.relation::regclass::text, l.locktype), ',')
                            FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted)
                    FROM pg_stat_activity a
                    WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
                    """
                ).fetchall()
                self.samples += 1
                waiting = False
                for wait_type, wait_event, waited, xact_age, app, relations in rows:
                    if app == PURGE_APP_NAME and xact_age is not None:
                        self.longest_purge_transaction = max(self.longest_purge_transaction, float(xact_age))
                    if wait_type == "Lock" and app != PURGE_APP_NAME:
                        waiting = True
                        self.longest_wait = max(self.longest_wait, float(waited or 0))
                        key = f"{wait_event}:{relations or '?'}"
                        self.waited_on[key] = self.waited_on.get(key, 0) + 1
                self.waiting_samples += waiting
                time.sleep(0.1)

    def summary(self) -> dict:
        return {
            "samples": self.samples,
            "samples_with_a_webhook_waiting_on_a_lock": self.waiting_samples,
            "longest_lock_wait_seen": self.longest_wait,
            "waited_on": self.waited_on,
            "longest_purge_transaction_seen": self.longest_purge_transaction,
        }


def run_round(
    name: str,
    *,
    url: str,
    database_url: str,
    bodies: Bodies,
    concurrency: int,
    seconds: float,
    purge_now: datetime | None,
    max_purge_seconds: float,
) -> Round:
    """One round: load for ``seconds`` (baseline), or for as long as a purge at ``purge_now`` runs."""
    record = Round(name, purging=purge_now is not None)
    stop = threading.Event()
    child = None
    report_path = Path(tempfile.mkstemp(prefix="purge-report-", suffix=".json")[1])
    if purge_now is not None:
        child = subprocess.Popen(
            [sys.executable, __file__, "--run-purge", purge_now.isoformat(), "--report", str(report_path),
             "--database-url", database_url],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=PROJECT_DIR,
        )  # fmt: skip
        assert child.stdout is not None and child.stdin is not None
        if child.stdout.readline().strip() != "ready":
            raise SystemExit("the purge process did not start")
    sampler = LockSampler(database_url)

    async def drive() -> None:
        task = asyncio.create_task(load(url, bodies, concurrency=concurrency, record=record, stop=stop))
        await asyncio.sleep(WARMUP_SECONDS)
        sampler.start()
        began = time.perf_counter()
        if child is None:
            await asyncio.sleep(seconds)
        else:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
            while child.poll() is None and time.perf_counter() - began < max_purge_seconds:
                await asyncio.sleep(0.05)
            if child.poll() is None:
                print(f"  purge still running after {max_purge_seconds:.0f} s: stopped", flush=True)
                child.terminate()
        record.window = (began, time.perf_counter())
        sampler.stop.set()
        stop.set()
        await task

    asyncio.run(drive())
    sampler.join()
    record.waits = sampler.summary()
    if child is not None:
        child.wait(timeout=60)
        if report_path.stat().st_size:
            record.purge = json.loads(report_path.read_text())
    report_path.unlink(missing_ok=True)
    return record


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, *, seconds: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise SystemExit(f"the webhook server did not start at {url}")


def check_local(url: str) -> str:
    if urlsplit(url).hostname != "127.0.0.1":
        raise SystemExit(f"refusing {url}: this bench only talks to 127.0.0.1")
    return url


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_round(record: Round) -> None:
    latencies = record.latencies()
    line = (
        f"  {record.name:<10} {record.rate:7.1f} webhooks/s   p50 {percentile(latencies, 0.5):6.1f} ms   "
        f"p95 {percentile(latencies, 0.95):6.1f} ms   accepted {record.accepted}   errors {record.errors}   "
        f"({record.seconds:.1f} s)"
    )
    print(line, flush=True)
    waits = record.waits
    print(
        f"             lock waits: {waits['samples_with_a_webhook_waiting_on_a_lock']}/{waits['samples']} samples, "
        f"longest {waits['longest_lock_wait_seen'] * 1000:.0f} ms {waits['waited_on'] or ''}",
        flush=True,
    )
    if record.purge:
        purge = record.purge
        slowest = sorted(purge["statements"].items(), key=lambda item: -item[1]["total"])[:4]
        stopped = "" if purge["finished"] else " (STOPPED at the time limit)"
        print(
            f"             purge {purge['seconds']:.1f} s{stopped}: "
            f"transcripts {purge['transcripts']:,}, raw messages "
            f"{purge['payloads']:,}, recordings {purge['recordings']:,}, webhook deliveries "
            f"{purge['webhook_deliveries']:,}; {purge['write_transactions']} write transactions, median "
            f"{purge['median_write_transaction'] * 1000:.0f} ms, p95 {purge['p95_write_transaction'] * 1000:.0f} ms, "
            f"longest {purge['longest_write_transaction'] * 1000:.0f} ms (longest of any kind "
            f"{purge['longest_transaction'] * 1000:.0f} ms; sampled open transaction "
            f"{waits['longest_purge_transaction_seen'] * 1000:.0f} ms)",
            flush=True,
        )
        for words, figures in slowest:
            print(
                f"               {figures['total']:7.1f} s in {figures['count']:5} x {words!r} "
                f"(max {figures['max'] * 1000:.0f} ms; first 10 {figures['first10'] * 1000:.0f} ms each, last 10 "
                f"{figures['last10'] * 1000:.0f} ms each)",
                flush=True,
            )


# --- main ----------------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000, help="calls of the purged business")
    parser.add_argument("--quick", action="store_true", help="50,000 calls and 10 s baselines: a fast check")
    parser.add_argument("--round-seconds", type=float, default=30.0, help="length of a baseline round")
    parser.add_argument("--max-purge-seconds", type=float, default=900.0, help="a purge still running is stopped")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--pg-admin-url", type=check_local, default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--keep", action="store_true", help="leave the database in place")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--run-purge", metavar="NOW", help=argparse.SUPPRESS)
    parser.add_argument("--report", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args()

    # A development configuration (no production secrets needed); the child processes inherit it.
    os.environ.setdefault("AVA_ENV", "dev")
    if args.serve:
        serve(args.serve)
        return 0
    if args.run_purge:
        run_purge(
            args.database_url,
            now=datetime.fromisoformat(args.run_purge),
            report_path=Path(args.report),
        )
        return 0

    calls = 50_000 if args.quick else max(1, min(args.calls, MAX_CALLS))
    round_seconds = 10.0 if args.quick else max(1.0, min(args.round_seconds, MAX_ROUND_SECONDS))
    max_purge = max(1.0, min(args.max_purge_seconds, MAX_PURGE_SECONDS))
    concurrency = max(1, min(args.concurrency, MAX_CONCURRENCY))
    url = args.pg_admin_url.rsplit("/", 1)[0] + f"/{BENCH_DB}"
    admin = create_engine(
        args.pg_admin_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
    ok = True
    try:
        from ava_app.models import utcnow

        started = time.perf_counter()
        now = utcnow()
        print(f"PostgreSQL database {BENCH_DB}: migrate, load {calls:,} calls", flush=True)
        migrate(url)
        business, assistants = set_up(url, calls=calls, now=now)
        print(f"  set-up took {time.perf_counter() - started:.0f} s", flush=True)
        explain_purge_queries(url, tenant_id=business, now=now)
        ok = measure(
            "current", url=url, business=business, assistants=assistants, now=now, concurrency=concurrency,
            round_seconds=round_seconds, max_purge=max_purge,
        )  # fmt: skip
        print(f"whole run {time.perf_counter() - started:.0f} s")
    finally:
        with admin.connect() as connection:
            if not args.keep:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        admin.dispose()
    return 0 if ok else 1


def measure(
    variant: str,
    *,
    url: str,
    business: int,
    assistants: list[str],
    now: datetime,
    concurrency: int,
    round_seconds: float,
    max_purge: float,
) -> bool:
    """Webhook server up, the four rounds with ``variant``'s purge, the dashboard check; prints figures and verdicts."""
    before = dashboard_snapshot(url, tenant_id=business, now=now)
    port = free_port()
    env = {
        **os.environ,
        "AVA_DATABASE_URL": url,
        "AVA_VAPI_WEBHOOK_SECRET": SECRET,
        "AVA_REDIS_URL": "",
        "AVA_DATA_DIR": tempfile.mkdtemp(prefix="purgebench-"),
        "PYTHONPATH": str(PROJECT_DIR),
    }
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port)], cwd=PROJECT_DIR, env=env, start_new_session=True
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz")
        print(
            f"\npurge code: {variant}. Load: {concurrency} aiohttp clients, each call (of one of {WEBHOOK_BUSINESSES} "
            f"other businesses) a status-update then its end-of-call report, {round_seconds:.0f} s baselines; "
            "purges in their own process",
            flush=True,
        )
        bodies = Bodies(assistants)

        def one_round(name: str, purge_now: datetime | None, seconds: float = round_seconds) -> Round:
            return run_round(
                name, url=f"http://127.0.0.1:{port}/api/v1/webhooks/vapi", database_url=url, bodies=bodies,
                concurrency=concurrency, seconds=seconds, purge_now=purge_now, max_purge_seconds=max_purge,
            )  # fmt: skip

        rounds: list[Round] = []
        # Warm the server (first requests import handlers, fill pools) outside any measured round.
        one_round("warm-up", None, 3.0)
        for name, purge_now in (
            ("baseline 1", None),
            ("purge 1", now - FIRST_PURGE_SHIFT),
            ("baseline 2", None),
            ("purge 2", now),
        ):
            rounds.append(one_round(name, purge_now))
            print_round(rounds[-1])
    finally:
        server.terminate()
        server.wait(timeout=20)

    after = dashboard_snapshot(url, tenant_id=business, now=now)
    baselines = [r for r in rounds if not r.purging]
    purges = [r for r in rounds if r.purging]

    def rate(group: list[Round]) -> float:
        seconds = sum(r.seconds for r in group)
        return sum(r.accepted for r in group) / seconds if seconds else 0.0

    base_rate, purge_rate = rate(baselines), rate(purges)
    ratio = purge_rate / base_rate if base_rate else 0.0
    pairs = [p.rate / b.rate if b.rate else 0.0 for b, p in zip(baselines, purges, strict=True)]
    base_p95 = percentile([x for r in baselines for x in r.latencies()], 0.95)
    purge_p95 = percentile([x for r in purges for x in r.latencies()], 0.95)
    purge_seconds = sum(r.purge["seconds"] for r in purges if r.purge)
    removed = {
        kind: sum(r.purge[kind] for r in purges if r.purge)
        for kind in ("transcripts", "payloads", "recordings", "webhook_deliveries")
    }
    longest = max((r.purge["longest_write_transaction"] for r in purges if r.purge), default=0.0)
    longest_wait = max(r.waits["longest_lock_wait_seen"] for r in purges)
    completed = all(r.purge and r.purge["finished"] for r in purges)
    same_month = before["month"] == after["month"]
    same_rollups = (before["rollup_totals"], before["rollup_days"], before["calls"]) == (
        after["rollup_totals"],
        after["rollup_days"],
        after["calls"],
    )
    print(f"\n[{variant}] webhooks/s: baseline {base_rate:.1f}, during purges {purge_rate:.1f}: ratio {ratio:.2f} "
          f"(per pair {', '.join(f'{x:.2f}' for x in pairs)})")  # fmt: skip
    print(f"[{variant}] p95 latency: baseline {base_p95:.1f} ms, during purges {purge_p95:.1f} ms")
    print(
        f"[{variant}] purges: {purge_seconds:.1f} s in all; removed {removed['transcripts']:,} transcripts, "
        f"{removed['payloads']:,} raw messages, {removed['recordings']:,} recordings (the demo calls have none), "
        f"{removed['webhook_deliveries']:,} webhook deliveries; longest write transaction {longest * 1000:.0f} ms; "
        f"longest lock wait of another session seen {longest_wait * 1000:.0f} ms"
    )
    print(
        f"[{variant}] dashboard (month, calls_per_day) before/after: {'identical' if same_month else 'DIFFERENT'}; "
        f"call rollups (totals, {len(before['rollup_days'])} day x outcome rows, {before['calls']:,} calls): "
        f"{'identical' if same_rollups else 'DIFFERENT'}; topic rollup total {before['topic_total']:,} -> "
        f"{after['topic_total']:,}"
    )
    print(f"\nverdicts ({variant})")
    print(f"  {verdict(ratio >= GOAL_RATIO)}  webhooks land at >= {GOAL_RATIO:.2f}x their rate during a purge "
          f"({ratio:.2f})")  # fmt: skip
    print(f"  {verdict(completed)}  every purge finished within {max_purge:.0f} s")
    print(f"  {verdict(same_month)}  dashboard (month, calls_per_day) identical before and after")
    print(f"  {verdict(same_rollups)}  call rollups identical before and after")
    if after["topic_total"] != before["topic_total"]:
        print(
            "  NOTE  the topic rollups lost the purged calls' topics (the purge clears ``topics``, the rollup "
            "trigger subtracts them): top topics of a period older than the transcripts' retention would change"
        )
    return ratio >= GOAL_RATIO and same_month and same_rollups and bool(completed)


if __name__ == "__main__":
    sys.exit(main())

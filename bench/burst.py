"""A burst of end-of-call reports on PostgreSQL + Redis: nothing lost, nothing doubled, and how long the workers take.

Usage (only 127.0.0.1 is contacted; PostgreSQL and Redis are required, as in production):

    AVA_DATABASE_URL=postgresql://... AVA_REDIS_URL=redis://127.0.0.1:6379/N .venv/bin/python bench/burst.py
    ... bench/burst.py --short            # 500 reports instead of 10,000 (the test suite runs this one)

It starts AVA as production runs it, in two processes of its own: the web process (``create_api()`` under uvicorn, no
job worker) and a worker process (huey's consumer, ``--worker-threads`` threads, on the Redis queue). Then 16 clients
post the reports (the 13 KB fixture, one call id each, for a bench tenant created and removed by this script) to
``/api/v1/webhooks/vapi``, and the script waits until the workers drained every job: no stored report left unapplied,
no call of the bench tenant with post-call work pending. The same-run baseline is a bare endpoint on the same database
that stores each body as one row (``bench/ingest.py``'s floor), hit with as many requests by the same clients.

Prints, for AVA and the baseline: requests accepted (2xx), refused or timed out, requests per second, p50/p95/p99;
for AVA also the calls lost (accepted call ids without a call), duplicated (call ids stored twice, or reports stored
twice) and the drain time after the burst. The last line reads ``RESULT accepted=.. lost=.. duplicated=..
drained=..``. Exit status 0 when nothing is lost or duplicated and the queue drained, else 2.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))
sys.path.insert(0, str(PROJECT_DIR / "bench"))

import ingest  # noqa: E402  (bench/ingest.py: load generator, bench tenant, bare endpoint, drain checks)

WEBHOOK_SECRET = "whsec_burst_bench_" + secrets.token_hex(8)
FULL_REPORTS, SHORT_REPORTS, MAX_REPORTS = 10_000, 500, 20_000
CONCURRENCY = 16
BURST_SECONDS, DRAIN_SECONDS = 900, 1800


def require_postgres_and_redis() -> tuple[str, str]:
    database_url = os.environ.get("AVA_DATABASE_URL", "")
    redis_url = os.environ.get("AVA_REDIS_URL", "")
    if not database_url.startswith("postgresql") or not redis_url:
        raise SystemExit(
            "bench/burst.py measures production's setup: set AVA_DATABASE_URL (PostgreSQL) and AVA_REDIS_URL"
        )
    for url in (database_url, redis_url):
        host = urlsplit(url).hostname
        if host not in ("127.0.0.1", "localhost"):
            raise SystemExit(f"refusing {host}: this bench only talks to 127.0.0.1")
    return database_url, redis_url


def child_env(data_dir: Path) -> dict[str, str]:
    """The environment of AVA's two processes: this run's data folder and webhook secret, local summaries."""
    env = dict(os.environ)  # AVA_ENV and AVA_SECRET_KEY set by ``run`` for both sides
    env.update(
        AVA_DATA_DIR=str(data_dir),
        AVA_VAPI_WEBHOOK_SECRET=WEBHOOK_SECRET,
        AVA_OPENAI_API_KEY="",
        PYTHONPATH=str(PROJECT_DIR),
    )
    return env


def serve_ava(port: int) -> None:
    """Child process: AVA's API under uvicorn, without a job worker (the worker process runs the jobs)."""
    import uvicorn

    from ava_app.api.app import create_api

    uvicorn.run(create_api(), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def run_worker(threads: int) -> None:
    """Child process: huey's consumer on the Redis queue, as ``huey_consumer`` would run it."""
    from ava_app import task_queue

    task_queue.start_embedded_worker(workers=threads)
    while True:
        time.sleep(3600)


def start_child(mode: str, argument: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, __file__, f"--{mode}", str(argument)],
        cwd=PROJECT_DIR,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(child: subprocess.Popen) -> None:
    child.terminate()
    try:
        child.wait(timeout=20)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def migrate(database_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    os.environ["AVA_DATABASE_URL"] = database_url
    command.upgrade(Config(str(PROJECT_DIR / "alembic.ini")), "head")


def count_stored(engine, *, tenant_id: int) -> tuple[set[str], int, int]:
    """(distinct call ids stored for the tenant, call rows, call ids with more than one stored report)."""
    from sqlalchemy import func
    from sqlmodel import Session, col, select

    from ava_app.models import Call, WebhookEvent

    with Session(engine) as session:
        ids = set(session.exec(select(Call.provider_call_id).where(col(Call.tenant_id) == tenant_id)).all())
        rows = session.exec(select(func.count()).where(col(Call.tenant_id) == tenant_id)).one()
        doubled = session.exec(
            select(func.count()).select_from(
                select(WebhookEvent.provider_call_id)
                .where(col(WebhookEvent.provider_call_id).like("bench-%"))
                .group_by(WebhookEvent.provider_call_id)
                .having(func.count() > 1)
                .subquery()
            )
        ).one()
    return ids, rows, doubled


def figures_line(figures: ingest.Figures, total: int) -> str:
    return (
        f"{figures.name:<9} accepted {figures.accepted}/{total}   refused or timed out {figures.errors}   "
        f"{figures.per_second:6.1f} req/s   p50 {figures.percentile(0.5):6.1f} ms   "
        f"p95 {figures.percentile(0.95):6.1f} ms   p99 {figures.percentile(0.99):6.1f} ms   ({figures.seconds:.1f} s)"
    )


def run(reports: int, *, worker_threads: int) -> int:
    database_url, _ = require_postgres_and_redis()
    # A bench run is a dev installation of its own (AVA refuses prod without its secrets).
    os.environ.setdefault("AVA_ENV", "dev")
    os.environ.setdefault("AVA_SECRET_KEY", secrets.token_urlsafe(48))
    migrate(database_url)
    from ava_app.db import make_engine

    engine = make_engine(database_url)
    headers = {"Content-Type": "application/json", "X-Vapi-Secret": WEBHOOK_SECRET}
    tenant_id, assistant_id = ingest.create_bench_tenant(database_url)
    children: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="ava-burst-bench-") as scratch:
        data_dir = Path(scratch)
        env = child_env(data_dir)
        try:
            ava_port, bare_port = ingest.free_port(), ingest.free_port()
            children.append(start_child("serve", ava_port, env, data_dir / "ava.log"))
            children.append(start_child("work", worker_threads, env, data_dir / "worker.log"))
            bare = subprocess.Popen(
                [sys.executable, "-c", _BARE, str(bare_port), database_url], cwd=PROJECT_DIR, env=env
            )
            children.append(bare)
            ava_url = f"http://127.0.0.1:{ava_port}/api/v1/webhooks/vapi"
            bare_url = f"http://127.0.0.1:{bare_port}/"
            asyncio.run(ingest.wait_until_up(f"http://127.0.0.1:{ava_port}/healthz", seconds=60))
            asyncio.run(ingest.wait_until_up(bare_url, seconds=60))

            bodies = ingest.report_bodies(reports, assistant_id=assistant_id)
            deadline = time.monotonic() + BURST_SECONDS
            ava, accepted = asyncio.run(
                ingest.hammer("AVA", ava_url, bodies, concurrency=CONCURRENCY, deadline=deadline, headers=headers)
            )
            drained = ingest.wait_for_drain(engine, tenant_id=tenant_id, seconds=DRAIN_SECONDS)
            stored, rows, doubled = count_stored(engine, tenant_id=tenant_id)
            # The baseline after the drain, so the two never share the machine.
            base_bodies = ingest.report_bodies(reports, assistant_id=assistant_id)
            baseline, _ = asyncio.run(
                ingest.hammer(
                    "baseline",
                    bare_url,
                    base_bodies,
                    concurrency=CONCURRENCY,
                    deadline=time.monotonic() + BURST_SECONDS,
                    headers=headers,
                )
            )
        finally:
            for child in children:
                stop(child)
            ingest.remove_bench_rows(database_url, tenant_id=tenant_id)
            engine.dispose()
    lost = len(accepted - stored)
    duplicated = (rows - len(stored)) + doubled
    print(
        f"{reports} end-of-call reports from {CONCURRENCY} clients; PostgreSQL + Redis; AVA web process + worker "
        f"process ({worker_threads} threads), local summaries"
    )
    print(figures_line(ava, reports))
    print(figures_line(baseline, reports) + "   (bare endpoint: one INSERT per request, same database)")
    ratio = ava.per_second / baseline.per_second if baseline.per_second else float("nan")
    drain = f"{drained:.1f} s" if drained is not None else f"NOT within {DRAIN_SECONDS} s"
    print(f"AVA / baseline throughput {ratio:.2f}; queue drained {drain} after the burst's last answer")
    print(f"calls lost {lost}   duplicated {duplicated}   stored for accepted {len(stored & accepted)}/{len(accepted)}")
    drained_text = f"{drained:.1f}" if drained is not None else "no"
    print(f"RESULT accepted={len(accepted)} lost={lost} duplicated={duplicated} drained={drained_text}")
    return 0 if lost == 0 and duplicated == 0 and drained is not None else 2


# The bare endpoint, in a process of its own (ingest.serve_bare needs the bench folder on the path).
_BARE = (
    "import sys; sys.path.insert(0, 'bench'); import ingest; "
    "ingest.serve_bare(port=int(sys.argv[1]), database_url=sys.argv[2])"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=FULL_REPORTS, help="end-of-call reports in the burst")
    parser.add_argument("--short", action="store_true", help=f"{SHORT_REPORTS} reports (the test suite's run)")
    parser.add_argument("--worker-threads", type=int, default=4, help="threads of the worker process")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_ava(args.serve)
        return 0
    if args.work:
        run_worker(args.work)
        return 0
    reports = SHORT_REPORTS if args.short else max(1, min(args.reports, MAX_REPORTS))
    return run(reports, worker_threads=max(1, min(args.worker_threads, 16)))


if __name__ == "__main__":
    sys.exit(main())

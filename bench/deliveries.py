"""The deliveries log and the dashboard's failure warning on a busy business: 100,000 emails and texts, 20,000 webhook
deliveries and 5,000 CRM syncs (about 1 % failed), beside another business of the same size.

Usage:

    .venv/bin/python bench/deliveries.py                                   # SQLite in a temp dir
    .venv/bin/python bench/deliveries.py --database-url postgresql://postgres@127.0.0.1:5432/<own db>

The database is migrated to head; the bench's businesses are deleted at the end (PostgreSQL), the temp file goes away
(SQLite).

Measured (ms, ``--runs`` times each, same run): the baseline, the newest 50 outbox rows of the business alone (one
indexed query, the least a log page can cost); the log's first page (three sources merged), its "failed" filter, one
call's messages (the call page's card), a page further back; and ``recent_failures`` (the dashboard's warning, read
on every push). Goals: a log page p95 < 100 ms, the warning p95 < 10 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from sqlalchemy import delete, insert  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from ava_app.db import make_engine  # noqa: E402
from ava_app.models import (  # noqa: E402
    Call,
    CrmConnection,
    CrmSyncedCall,
    Outbox,
    Tenant,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from ava_app.services import deliveries  # noqa: E402
from ava_app.services.principal import Principal  # noqa: E402

PAGE_GOAL_MS, WARNING_GOAL_MS = 100.0, 10.0
BATCH = 5_000


def migrate(url: str) -> None:
    from ava_app.db import get_engine
    from ava_app.settings import get_settings

    os.environ["AVA_DATABASE_URL"] = url
    get_settings.cache_clear()
    get_engine.cache_clear()
    command.upgrade(Config(str(PROJECT_DIR / "alembic.ini")), "head")


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed(work, runs: int) -> list[float]:
    work()  # warm-up
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _insert(session: Session, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        session.execute(insert(table), rows[start : start + BATCH])
    session.commit()


def setup(session: Session, *, messages: int, webhooks: int, syncs: int) -> tuple[int, int]:
    """One business with its calls, messages, webhook deliveries and CRM syncs; returns its id and a call id."""
    tenant = Tenant(name="Bench Deliveries")
    session.add(tenant)
    session.commit()
    tenant_id = tenant.id or 0
    now = utcnow()
    calls = [
        {
            "tenant_id": tenant_id,
            "provider_call_id": f"bench-deliveries-{tenant_id}-{index}",
            "status": "ended",
            "topics": [],
            "started_at": now - timedelta(minutes=index),
            "created_at": now - timedelta(minutes=index),
        }
        for index in range(max(1, messages // 4))
    ]
    _insert(session, Call, calls)
    call_ids = list(session.exec(select(col(Call.id)).where(col(Call.tenant_id) == tenant_id)).all())
    purposes = ("summary", "alert", "text_back", "booking", "digest", "notice", "account")
    _insert(
        session,
        Outbox,
        [
            {
                "tenant_id": tenant_id,
                "channel": "sms" if index % 3 == 1 else "email",
                "to": f"owner{index % 7}@bench.example",
                "subject": f"Call {index}",
                "body_text": "A caller asked about opening hours.",
                "status": "failed" if index % 97 == 0 else "sent",
                "attempts": 1,
                "purpose": purposes[index % len(purposes)],
                "call_id": call_ids[index % len(call_ids)],
                "created_at": now - timedelta(seconds=30 * (messages - index)),
            }
            for index in range(messages)
        ],
    )
    endpoint = WebhookEndpoint(tenant_id=tenant_id, url="https://hooks.bench.example/ava", secret_encrypted="x")
    connection = CrmConnection(tenant_id=tenant_id, provider="hubspot", auth_kind="token", account="Portal 1")
    session.add_all([endpoint, connection])
    session.commit()
    _insert(
        session,
        WebhookDelivery,
        [
            {
                "tenant_id": tenant_id,
                "endpoint_id": endpoint.id,
                "message_id": f"msg_bench_{tenant_id}_{index}",
                "event_type": "call.summarized",
                "payload": "{}",
                "status": "failed" if index % 89 == 0 else "succeeded",
                "attempt_count": 1,
                "attempts": [],
                "call_id": call_ids[index % len(call_ids)],
                "created_at": now - timedelta(seconds=150 * (webhooks - index)),
                "updated_at": now,
            }
            for index in range(webhooks)
        ],
    )
    _insert(
        session,
        CrmSyncedCall,
        [
            {
                "tenant_id": tenant_id,
                "connection_id": connection.id,
                "call_id": call_ids[index],
                "status": "failed" if index % 83 == 0 else "synced",
                "attempts": 1,
                "created_at": now - timedelta(seconds=600 * (syncs - index)),
                "updated_at": now,
            }
            for index in range(min(syncs, len(call_ids)))
        ],
    )
    return tenant_id, call_ids[len(call_ids) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--webhooks", type=int, default=20_000)
    parser.add_argument("--syncs", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        os.environ.setdefault("AVA_DATA_DIR", folder)
        migrate(url)
        engine = make_engine(url)
        with Session(engine, expire_on_commit=False) as session:
            started = time.perf_counter()
            ids = [setup(session, messages=args.messages, webhooks=args.webhooks, syncs=args.syncs) for _ in (1, 2)]
            print(f"setup: 2 businesses in {time.perf_counter() - started:.1f} s on {engine.dialect.name}")
            tenant_id, call_id = ids[0]
            who = Principal(user_id=None, tenant_id=tenant_id, role="admin")
            oldest = deliveries.list_deliveries(session, principal=who, limit=200)[-1].created_at
            cases = {
                "baseline: newest 50 outbox rows": lambda: session.exec(
                    select(Outbox).where(col(Outbox.tenant_id) == tenant_id).order_by(col(Outbox.id).desc()).limit(50)
                ).all(),
                "log, first page": lambda: deliveries.list_deliveries(session, principal=who),
                "log, failed only": lambda: deliveries.list_deliveries(session, principal=who, status="failed"),
                "log, one call": lambda: deliveries.list_deliveries(session, principal=who, call_id=call_id),
                "log, a page back": lambda: deliveries.list_deliveries(session, principal=who, before=oldest),
                "dashboard warning": lambda: deliveries.recent_failures(session, principal=who),
            }
            results = {name: timed(work, args.runs) for name, work in cases.items()}
            session.rollback()
            base = statistics.median(results["baseline: newest 50 outbox rows"])
            print(f"{'case':36} {'p50 ms':>8} {'p95 ms':>8} {'× baseline p50':>15}")
            for name, samples in results.items():
                median = statistics.median(samples)
                print(f"{name:36} {median:8.2f} {p95(samples):8.2f} {median / base:15.1f}")
            worst_page = max(p95(results[name]) for name in cases if name.startswith("log"))
            warning = p95(results["dashboard warning"])
            print(f"goal: log page p95 < {PAGE_GOAL_MS:.0f} ms: {'met' if worst_page < PAGE_GOAL_MS else 'MISSED'}")
            print(f"goal: warning p95 < {WARNING_GOAL_MS:.0f} ms: {'met' if warning < WARNING_GOAL_MS else 'MISSED'}")
            if engine.dialect.name == "postgresql":
                for business, _ in ids:
                    session.exec(delete(Tenant).where(col(Tenant.id) == business))
                session.commit()


if __name__ == "__main__":
    main()

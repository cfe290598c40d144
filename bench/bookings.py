"""check_availability on a busy calendar: a business with 5 staff and 10,000 existing bookings.

Usage:

    .venv/bin/python bench/bookings.py                                   # SQLite in a temp dir
    .venv/bin/python bench/bookings.py --database-url postgresql://postgres@127.0.0.1:5432/<own db>

The database is migrated to head; the bench's business is deleted at the end (PostgreSQL), the temp file goes away
(SQLite). Bookings: 2,000 per staff member, back to back with short gaps on every open day from 240 days ago to 60
days ahead, the coming week full, so the soonest free time is a week away.

Measured (ms, ``--runs`` times each): the baseline, the availability SQL alone (``taken_spans``: one week of the
five staff's bookings); ``find_slots`` for the soonest three times and for an afternoon two weeks ahead; and the
``check_availability`` tool through the webhook handler (``ingest_vapi_event``: event stored, call routed, slots
found, sentence written, event marked). Goal: the tool's p95 < 300 ms (Vapi's tool replies wait on it).

Then the same tool once the business has connected a Google calendar (the emulator served in-process through the
client's transport, so no network time is counted: what is measured is AVA's own work on top, the freeBusy request
and answer, its 200 busy blocks and the 31 days of the business's own bookings left out of them).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from sqlalchemy import delete, insert  # noqa: E402
from sqlmodel import Session  # noqa: E402

from ava_app.db import make_engine  # noqa: E402
from ava_app.models import Assistant, Booking, PhoneNumber, Tenant  # noqa: E402
from ava_app.services import bookings, regional  # noqa: E402
from ava_app.services.bookings.availability import taken_spans  # noqa: E402
from ava_app.services.ingest.events import ingest_vapi_event  # noqa: E402
from ava_app.services.ingest.payloads import parse_vapi_payload  # noqa: E402

GOAL_MS = 300.0
HOURS = {day: [{"open": "08:00", "close": "20:00"}] for day in ("mon", "tue", "wed", "thu", "fri", "sat")}


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


def setup(session: Session, *, now: datetime, per_staff: int) -> tuple[int, int, list[int], str]:
    """The business, its line and assistant, services, staff and bookings; returns ids and the Vapi assistant id."""
    tenant = Tenant(name="Bench Salon", timezone="Europe/Paris", country="FR", locale="fr")
    session.add(tenant)
    session.flush()
    assert tenant.id is not None
    vapi_assistant_id = f"bench-{random.randrange(10**9)}"
    assistant = Assistant(tenant_id=tenant.id, provider_assistant_id=vapi_assistant_id, language="en")
    session.add(assistant)
    session.flush()
    session.add(PhoneNumber(tenant_id=tenant.id, e164="+33100000000", assistant_id=assistant.id, business_hours=HOURS))
    bookings.save_booking_rules(
        session,
        tenant_id=tenant.id,
        enabled=True,
        min_notice_minutes=60,
        horizon_days=90,
        granularity_minutes=15,
        max_per_day=None,
    )
    services = [
        bookings.add_service(session, tenant_id=tenant.id, name=name, duration_minutes=minutes, price_minor=price)
        for name, minutes, price in (("Haircut", 30, 2500), ("Colour", 90, 6000), ("Beard", 15, 1200))
    ]
    staff = [
        bookings.add_staff(session, tenant_id=tenant.id, name=f"Staff {index}", service_ids=[s.id for s in services])
        for index in range(5)
    ]
    zone = regional.zone(tenant.timezone)
    today = now.astimezone(zone).date()
    rows = []
    rng = random.Random(7)
    for member in staff:
        day, made = today - timedelta(days=240), 0
        while made < per_staff:
            if day.weekday() < 6:
                minute = 8 * 60
                full_week = today <= day < today + timedelta(days=8)
                while minute < 20 * 60 and made < per_staff:
                    service = services[rng.randrange(3)]
                    start = datetime.combine(day, datetime.min.time(), tzinfo=zone) + timedelta(minutes=minute)
                    end = start + timedelta(minutes=service.duration_minutes)
                    if end.astimezone(zone).hour * 60 + end.astimezone(zone).minute > 20 * 60 or end.date() != day:
                        break
                    rows.append(
                        {
                            "tenant_id": tenant.id,
                            "service_id": service.id,
                            "staff_id": member.id,
                            "start_at": start.astimezone(UTC),
                            "end_at": end.astimezone(UTC),
                            "busy_until": end.astimezone(UTC),
                            "caller_name": "Caller",
                            "caller_phone": "+33612345678",
                            "notes": "",
                            "price_minor": service.price_minor,
                            "status": "booked",
                            "source": "assistant",
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
                    made += 1
                    minute += service.duration_minutes + (0 if full_week else rng.choice((0, 15, 30, 60)))
            day += timedelta(days=1)
    session.execute(insert(Booking), rows)
    session.commit()
    return tenant.id, services[0].id, [member.id for member in staff], vapi_assistant_id


def connect_google(session: Session, *, tenant_id: int, now: datetime) -> None:
    """Connect the business to an in-process Google emulator whose calendar holds 200 of the owner's own events."""
    import secrets

    import httpx
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from ava_app import routes
    from ava_app.models import CalendarConnection
    from ava_app.sandbox.calendars.google import GoogleEmulator
    from ava_app.sandbox.calendars.oauth import Grant
    from ava_app.services.credentials import encrypt_text
    from ava_app.services.providers import calendar_oauth
    from ava_app.services.providers.sandbox_keys import sandbox_oauth_client

    google = GoogleEmulator()
    client = sandbox_oauth_client("google")
    google.oauth.register(client_id=client.client_id, client_secret=client.client_secret)
    refresh_token = secrets.token_urlsafe(24)
    google.oauth.grants[refresh_token] = Grant(
        account=google.oauth.account, client_id=client.client_id, scope=google.oauth.required_scope
    )
    for index in range(200):
        start = now + timedelta(hours=3 * index + 1)
        google.store.add_busy(google.oauth.account, start, start + timedelta(minutes=45))
    app = Starlette(routes=[Mount(routes.SANDBOX_GOOGLE, google.app())])
    calendar_oauth.provider_transport = httpx.ASGITransport(app=app)
    session.add(
        CalendarConnection(
            tenant_id=tenant_id,
            provider="google",
            account_email=google.oauth.account,
            refresh_token_encrypted=encrypt_text(refresh_token),
        )
    )
    session.commit()


def tool_call_body(vapi_assistant_id: str, index: int, arguments: dict) -> str:
    return json.dumps(
        {
            "message": {
                "type": "tool-calls",
                "toolCallList": [
                    {
                        "id": f"bench-tool-{index}",
                        "type": "function",
                        "function": {"name": "check_availability", "arguments": json.dumps(arguments)},
                    }
                ],
                "call": {
                    "id": "bench-call",
                    "assistantId": vapi_assistant_id,
                    "type": "webCall",
                    "customer": {"number": "+33612345678"},
                },
            }
        }
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--bookings", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    os.environ.setdefault("AVA_ENV", "dev")
    os.environ.setdefault("AVA_SECRET_KEY", "bench-" + "x" * 40)
    scratch = tempfile.mkdtemp(prefix="ava-bench-bookings-")
    os.environ.setdefault("AVA_DATA_DIR", scratch)
    url = args.database_url or f"sqlite:///{scratch}/bench.db"
    migrate(url)
    engine = make_engine(url)
    now = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as session:
        started = time.perf_counter()
        tenant_id, haircut_id, staff_ids, vapi_assistant_id = setup(session, now=now, per_staff=args.bookings // 5)
        loaded = time.perf_counter() - started
        print(f"{engine.dialect.name}: {args.bookings} bookings of 5 staff loaded in {loaded:.1f} s")
        window = (now, now + timedelta(days=7))
        later = (now + timedelta(days=14)).astimezone(regional.zone("Europe/Paris")).date()
        counter = iter(range(10**9))

        def baseline() -> None:
            taken_spans(session, staff_ids=staff_ids, start=window[0], end=window[1])
            session.rollback()

        def soonest() -> None:
            bookings.find_slots(session, tenant_id=tenant_id, service_id=haircut_id, now=now, limit=3)
            session.rollback()

        def afternoon() -> None:
            bookings.find_slots(
                session,
                tenant_id=tenant_id,
                service_id=haircut_id,
                now=now,
                first_day=later,
                last_day=later,
                part_of_day="afternoon",
                limit=3,
            )
            session.rollback()

        def tool(arguments: dict):
            def run() -> None:
                raw = tool_call_body(vapi_assistant_id, next(counter), arguments)
                result = ingest_vapi_event(session, message=parse_vapi_payload(raw), raw=raw, now=now)
                answer = result.response["results"][0]
                assert "result" in answer and "(slot " in answer["result"], result.response

            return run

        figures = {
            "baseline: availability SQL alone (1 week, 5 staff)": timed(baseline, args.runs),
            "find_slots, soonest 3 (first free day a week away)": timed(soonest, args.runs),
            "find_slots, an afternoon two weeks ahead": timed(afternoon, args.runs),
            "check_availability tool via webhook, soonest": timed(tool({"service": "haircut"}), args.runs),
            "check_availability tool via webhook, given day": timed(
                tool({"service": "haircut", "date": date.isoformat(later), "part_of_day": "afternoon"}), args.runs
            ),
        }
        connect_google(session, tenant_id=tenant_id, now=now)
        figures["check_availability tool, Google calendar connected"] = timed(tool({"service": "haircut"}), args.runs)
        base = statistics.median(next(iter(figures.values())))
        print(f"{'':55} {'p50 ms':>8} {'p95 ms':>8} {'x baseline p50':>15}")
        for label, samples in figures.items():
            median = statistics.median(samples)
            print(f"{label:55} {median:8.2f} {p95(samples):8.2f} {median / base:15.1f}")
        worst = max(p95(samples) for label, samples in figures.items() if label.startswith("check_availability"))
        verdict = "PASS" if worst < GOAL_MS else "FAIL"
        print(f"{verdict}: check_availability p95 {worst:.1f} ms (goal < {GOAL_MS:.0f} ms)")
        if engine.dialect.name == "postgresql":
            from ava_app.models import CalendarConnection

            session.execute(delete(CalendarConnection).where(CalendarConnection.tenant_id == tenant_id))
            session.execute(delete(Booking).where(Booking.tenant_id == tenant_id))
            session.execute(delete(Tenant).where(Tenant.id == tenant_id))
            session.commit()
    engine.dispose()
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())

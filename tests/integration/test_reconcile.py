"""Reconciliation: a day of simulated Vapi calls with one end-of-call report in ten lost on the way; after the job every
call is in AVA exactly once with one summary email, a second run changes nothing, and stuck calls are settled.

AVA's API serves on a free port with the sandbox Vapi mounted (the reconciliation's Vapi client talks to it over HTTP,
as in sandbox mode); the emulator's webhooks go through a transport that drops what the test decides, with a fixed
seed. Jobs run inline (``jobs``), so a report reaching AVA is applied, summarised and emailed before the call goes on.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import timedelta

import httpx
from sqlalchemy import func, update
from sqlmodel import col, select

from ava_app.models import Call, Outbox, WebhookEvent, utcnow
from ava_app.sandbox.vapi.app import simulate_call
from ava_app.sandbox.vapi.scenarios import INTENTS
from ava_app.services import assistants, post_call, reconcile
from tests.factories import make_assistant, make_call, make_phone_number, make_tenant, make_user
from tests.integration.test_sandbox_tool_calls import ALWAYS_OPEN, ava

__all__ = ["ava"]

SEED = 14
CALLS_IN_THE_DAY = 40
DROP_RATE = 0.10


class LossyWebhooks(httpx.AsyncBaseTransport):
    """Delivers the emulator's webhooks to AVA, except those of the fate drawn (seeded) for each call.

    Fates: ``delivered``; ``report-lost`` (the end-of-call report never arrives); ``stuck`` (nothing after
    "in-progress" arrives: AVA last saw the call live).
    """

    def __init__(self, seed: int, drop_rate: float) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.rng = random.Random(seed)
        self.drop_rate = drop_rate
        self.fates: dict[str, str] = {}
        self.force_next: str | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        message = httpx.Response(200, content=request.content).json()["message"]
        call_id = message["call"]["id"]
        if call_id not in self.fates:
            fate = self.force_next or ("report-lost" if self.rng.random() < self.drop_rate else "delivered")
            self.fates[call_id], self.force_next = fate, None
        fate, kind = self.fates[call_id], message["type"]
        lost = (fate == "report-lost" and kind == "end-of-call-report") or (
            fate == "stuck" and message.get("status") not in ("ringing", "in-progress") and kind != "tool-calls"
        )
        if lost:
            raise httpx.ConnectError("dropped by the test", request=request)
        return await self.inner.handle_async_request(request)


def _call_counts(db) -> tuple[Counter, Counter, Counter]:
    """(calls per provider id, summary emails per call id, stored reports per provider id)."""
    db.expire_all()
    calls = Counter(db.exec(select(Call.provider_call_id)).all())
    keys = db.exec(select(Outbox.dedupe_key).where(col(Outbox.dedupe_key).startswith("call-summary:"))).all()
    emails = Counter(int(str(key).split(":")[1]) for key in keys)
    reports = Counter(
        db.exec(select(WebhookEvent.provider_call_id).where(WebhookEvent.event_type == "end-of-call-report")).all()
    )
    return calls, emails, reports


def _snapshot(db) -> tuple:
    db.expire_all()
    return (
        db.exec(select(func.count()).select_from(Call)).one(),
        db.exec(select(func.count()).select_from(Outbox)).one(),
        db.exec(select(func.count()).select_from(WebhookEvent)).one(),
        sorted(db.exec(select(Call.provider_call_id, Call.status, Call.summary_status, Call.email_status)).all()),
    )


async def test_a_day_with_lost_reports_ends_with_every_call_once_and_one_email_each(db, ava, jobs, smtp_env):
    tenant = make_tenant(db, name="Bright Smile Dental", timezone="America/Los_Angeles")
    owner = make_user(db, tenant=tenant, email="owner@brightsmile.test")
    assistant = make_assistant(db, tenant=tenant, name="Ava")
    make_phone_number(db, tenant=tenant, assistant_id=assistant.id, business_hours=ALWAYS_OPEN)
    synced = assistants.sync_assistant(db, tenant_id=tenant.id, assistant_id=assistant.id)
    assert synced.sync_status == "synced", synced.sync_error
    lossy = LossyWebhooks(SEED, DROP_RATE)
    ava.state.sandbox.webhook_transport = lossy
    now = utcnow()

    # A call from yesterday, outside the look-back window, that AVA last saw in progress.
    lossy.force_next = "stuck"
    old = await simulate_call(
        ava, intent="booking", assistant_id=synced.provider_assistant_id, started_at=now - timedelta(hours=30)
    )
    db.exec(update(Call).where(col(Call.provider_call_id) == old["id"]).values(updated_at=now - timedelta(hours=29)))
    db.commit()
    # A call AVA saw start whose provider has forgotten it.
    unknown = make_call(db, tenant=tenant, status="in-progress", outcome=None, updated_at=now - timedelta(hours=3))
    db.exec(update(Call).where(col(Call.id) == unknown.id).values(ended_at=None, duration_seconds=None, cost=None))
    db.commit()
    # The day: a call every 35 minutes, each scenario in turn.
    played = [old["id"]]
    for number in range(CALLS_IN_THE_DAY):
        call = await simulate_call(
            ava,
            intent=INTENTS[number % len(INTENTS)],
            assistant_id=synced.provider_assistant_id,
            started_at=now - timedelta(hours=24) + timedelta(minutes=35 * number),
        )
        played.append(call["id"])
    lost = {call_id for call_id, fate in lossy.fates.items() if fate != "delivered"}
    assert 2 <= len(lost) - 1 <= CALLS_IN_THE_DAY * DROP_RATE * 2  # the seed drops a handful, not none
    calls, emails, reports = _call_counts(db)
    # The live events made each of them a partial call: no report, no conversation kept, no email.
    partial = db.exec(select(Call).where(col(Call.provider_call_id).in_(lost))).all()
    assert {row.provider_call_id for row in partial} == lost
    assert all(row.provider_analysis is None and emails[row.id] == 0 for row in partial)
    assert all(reports[call_id] == 0 for call_id in lost)

    # Two workers run the job at the same moment.
    runs = await asyncio.gather(
        *(asyncio.to_thread(reconcile.reconcile_once, now=now, lookback=timedelta(hours=26)) for _ in range(2))
    )

    assert not runs[0].failures and not runs[1].failures, runs
    assert set(runs[0].ingested) | set(runs[1].ingested) == lost
    assert set(runs[0].settled_unknown) | set(runs[1].settled_unknown) == {unknown.provider_call_id}
    calls, emails, reports = _call_counts(db)
    assert set(calls) == set(played) | {unknown.provider_call_id}
    assert set(calls.values()) == {1}
    assert all(reports[call_id] == 1 for call_id in played)
    stored = {row.provider_call_id: row for row in db.exec(select(Call)).all()}
    assert {row.status for row in stored.values()} == {"ended"}
    assert {emails[row.id] for row in stored.values()} == {1}
    for call_id in lost:
        row = stored[call_id]
        assert row.transcript and row.summary_status == "done" and row.ended_reason and row.cost is not None
    settled = stored[unknown.provider_call_id]
    assert settled.ended_reason == reconcile.UNKNOWN_TO_PROVIDER and settled.summary_status == "done"
    sent_to = set(db.exec(select(Outbox.to).where(col(Outbox.dedupe_key).startswith("call-summary:"))).all())
    assert sent_to == {owner.email}

    # Again: nothing left to do, nothing changes.
    before = _snapshot(db)
    again = await asyncio.to_thread(reconcile.reconcile_once, now=now, lookback=timedelta(hours=26))
    assert (again.ingested, again.settled_unknown, again.failures) == ([], [], [])
    assert _snapshot(db) == before
    assert post_call.calls_needing_work(db) == []

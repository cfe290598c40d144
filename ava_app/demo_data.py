"""Realistic fake calls for benchmarks and UI tests, inserted in bulk.

This is the one place that writes ``call`` rows without going through webhook ingestion, and it is meant for benchmark
databases and tests that need many calls fast (the demo organisation of ``./scripts/run`` is not made here: its calls
go through the real pipeline, see ``ava_app.seed``). Rows are built in memory in batches and sent with PostgreSQL
``COPY ... FROM STDIN`` (or one ``executemany`` INSERT per batch on SQLite, and on PostgreSQL when messages are
wanted). Rollups stay exact: on SQLite the triggers of migration 0002 fire for every row; on PostgreSQL, when the role
may set ``session_replication_role`` (a superuser, as in benchmarks), each COPY batch skips the per-row triggers in its
own transaction and adds its rollups with two aggregate statements instead (three times faster); otherwise the
triggers fire.

The calls follow a plausible small-business pattern in the tenant's timezone: busier on weekdays and in business hours,
about two thirds answered, a few missed calls and voicemails, durations around a minute and a half, costs around
$0.10 a minute, topics and summaries from a small phrase bank in the business's language (English or French), repeat
callers, and follow-ups mostly done after two days. Same ``seed``, same calls (provider call ids excepted, which must
stay unique). The calls have no recording: there is no audio behind them, and a link to storage that does not exist
would only fail in the player.

Command line (database from AVA_DATABASE_URL)::

    python -m ava_app.demo_data --tenant-id 1 --count 100000 --days 30
"""

from __future__ import annotations

import argparse
import json
import math
import random
import secrets
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from ava_app.db import get_engine
from ava_app.languages import Language, normalise
from ava_app.models import Assistant, Call, CallMessage, PhoneNumber, Tenant, utcnow

BATCH = 5000
CALL_TABLE = Call.__table__
# (outcome, share, ended reasons it comes from)
OUTCOME_MIX = (
    ("answered", 0.68, ("customer-ended-call", "assistant-ended-call", "assistant-said-end-call-phrase")),
    ("missed", 0.11, ("customer-busy", "call.ringing.sip-inbound-caller-hungup-before-call-connect")),
    ("voicemail", 0.09, ("voicemail",)),
    ("forwarded", 0.07, ("assistant-forwarded-call",)),
    ("failed", 0.03, ("pipeline-error-openai-llm-failed", "assistant-join-timed-out")),
    ("other", 0.02, ("unknown-error",)),
)
CALL_TYPES = (("inbound", 0.9), ("web", 0.06), ("outbound", 0.03), ("test", 0.01))
# (topic key, weight): how often callers ask about each.
TOPIC_WEIGHTS = (
    ("appointment", 30),
    ("opening hours", 18),
    ("pricing", 14),
    ("cancellation", 10),
    ("reschedule", 9),
    ("directions", 6),
    ("emergency", 4),
    ("insurance", 4),
    ("complaint", 3),
    ("quote", 2),
)
# Topics that leave the business something to do.
ACTION_TOPICS = ("emergency", "complaint", "quote")
# Per business language, topic key -> (the topic as the dashboard lists it, what the caller wanted, what the assistant
# did). The labels shared with the local summariser are its words (``llm_local.TOPICS``), so bulk and played calls
# count under one topic.
TOPICS: dict[Language, dict[str, tuple[str, str, str]]] = {
    "en": {
        "appointment": (
            "appointment",
            "book an appointment",
            "offered the next free slots and took the caller's details",
        ),
        "opening hours": ("opening hours", "know the opening hours", "gave this week's hours"),
        "pricing": ("pricing", "ask about prices", "gave the price list and explained what is included"),
        "cancellation": ("cancellation", "cancel a booking", "cancelled it and offered another date"),
        "reschedule": ("reschedule", "move a booking", "found a new time that suits"),
        "directions": ("directions", "get directions", "gave the address and parking tips"),
        "emergency": ("emergency", "report an urgent problem", "took the details and flagged it for a call back"),
        "insurance": ("insurance", "check insurance cover", "explained which plans are accepted"),
        "complaint": ("complaint", "make a complaint", "apologised and promised a call back from the manager"),
        "quote": ("quote", "get a quote", "took the details for a written quote"),
    },
    "fr": {
        "appointment": (
            "rendez-vous",
            "prendre rendez-vous",
            "a proposé les prochains créneaux libres et noté les coordonnées",
        ),
        "opening hours": ("horaires", "connaître les horaires", "a donné les horaires de la semaine"),
        "pricing": ("tarifs", "se renseigner sur les prix", "a donné les tarifs et expliqué ce qui est inclus"),
        "cancellation": ("annulation", "annuler un rendez-vous", "l'a annulé et proposé une autre date"),
        "reschedule": ("report", "déplacer un rendez-vous", "a trouvé un nouvel horaire qui convient"),
        "directions": ("adresse", "savoir comment venir", "a donné l'adresse et les conseils de stationnement"),
        "emergency": ("urgence", "signaler un problème urgent", "a noté les détails et demandé un rappel rapide"),
        "insurance": ("mutuelle", "vérifier la prise en charge", "a expliqué quelles mutuelles sont acceptées"),
        "complaint": ("réclamation", "faire une réclamation", "s'est excusé et promis un rappel du responsable"),
        "quote": ("devis", "demander un devis", "a noté les détails pour un devis écrit"),
    },
}
# Per business language: the call's summary, the other topics it touched, its conversation, and the names of the
# lines and assistants an empty tenant gets.
PHRASES: dict[Language, dict[str, str]] = {
    "en": {
        "summary": "{name} called to {wanted}; the assistant {done}.",
        "also": " Also asked about {topics}.",
        "transcript": (
            "AI: Hello, thanks for calling, this is Ava. How can I help?\n"
            "User: Hi, this is {name}, I'd like to {wanted}.\n"
            "AI: Of course. I {done_to_caller}.\n"
            "User: Great, thank you.\nAI: You're welcome, have a nice day."
        ),
        "main_line": "Main line",
        "bookings_line": "Bookings",
        "after_hours": "Ava (after hours)",
    },
    "fr": {
        "summary": "{name} a appelé pour {wanted} ; l'assistante {done}.",
        "also": " A aussi parlé de : {topics}.",
        "transcript": (
            "AI: Bonjour, merci de votre appel, ici Ava. Que puis-je pour vous ?\n"
            "User: Bonjour, c'est {name}, je voudrais {wanted}.\n"
            "AI: Bien sûr, je m'en occupe tout de suite.\n"
            "User: Parfait, merci.\nAI: Je vous en prie, bonne journée."
        ),
        "main_line": "Ligne principale",
        "bookings_line": "Réservations",
        "after_hours": "Ava (hors horaires)",
    },
}
FIRST_NAMES = ("Marie", "Paul", "Sofia", "James", "Chloé", "Lucas", "Emma", "Noah", "Léa", "Omar", "Ana", "Tom")
SENTIMENTS = (("positive", 0.35), ("neutral", 0.5), ("negative", 0.15))
# Calls per local hour of a weekday (share of the day); weekends get 40% of a weekday.
HOUR_WEIGHTS = (0, 0, 0, 0, 0, 0, 1, 2, 6, 10, 11, 10, 8, 8, 10, 10, 9, 7, 4, 2, 1, 1, 0, 0)
COLUMNS = (
    "tenant_id",
    "provider_call_id",
    "assistant_id",
    "phone_number_id",
    "call_type",
    "direction",
    "caller_number",
    "called_number",
    "status",
    "outcome",
    "ended_reason",
    "started_at",
    "ended_at",
    "duration_seconds",
    "cost",
    "cost_breakdown",
    "recording_url",
    "transcript",
    "summary",
    "summary_source",
    "intent",
    "action_needed",
    "action_done_at",
    "topics",
    "sentiment",
    "summary_status",
    "email_status",
    "created_at",
    "updated_at",
)
JSON_COLUMNS = ("cost_breakdown", "topics")


def _ensure_lines(
    session: Session, tenant_id: int, language: Language = "en"
) -> tuple[list[tuple[int, str]], list[int]]:
    """The tenant's phone numbers (id, e164) and assistant ids, creating two of each for an empty demo tenant (named
    in the business's ``language``)."""
    words = PHRASES[language]
    numbers = [
        tuple(row)
        for row in session.execute(select(PhoneNumber.id, PhoneNumber.e164).where(PhoneNumber.tenant_id == tenant_id))
    ]
    assistants = list(session.execute(select(Assistant.id).where(Assistant.tenant_id == tenant_id)).scalars())
    if not assistants:
        for name in ("Ava", words["after_hours"]):
            session.add(Assistant(tenant_id=tenant_id, name=name, status="active"))
        session.commit()
        assistants = list(session.execute(select(Assistant.id).where(Assistant.tenant_id == tenant_id)).scalars())
    if not numbers:
        for index, label in enumerate((words["main_line"], words["bookings_line"])):
            e164 = f"+1415{tenant_id % 1000:03d}{index:04d}"
            session.add(PhoneNumber(tenant_id=tenant_id, e164=e164, label=label, assistant_id=assistants[0]))
        session.commit()
        numbers = [
            tuple(row)
            for row in session.execute(
                select(PhoneNumber.id, PhoneNumber.e164).where(PhoneNumber.tenant_id == tenant_id)
            )
        ]
    return numbers, assistants


def start_times(rng: random.Random, *, count: int, days: int, now: datetime, zone: ZoneInfo) -> list[datetime]:
    """``count`` start times over the last ``days`` local days up to ``now``, shaped by weekday and hour weights.

    Sorted, UTC, all before ``now``: busier in business hours (``HOUR_WEIGHTS``), weekends at 40% of a weekday.
    """
    today = now.astimezone(zone).date()
    slots: list[tuple[datetime, float]] = []
    for back in range(days):
        day = today - timedelta(days=back)
        weekday_factor = 1.0 if day.weekday() < 5 else 0.4
        for hour, weight in enumerate(HOUR_WEIGHTS):
            if weight:
                start = datetime(day.year, day.month, day.day, hour, tzinfo=zone).astimezone(UTC)
                if start < now:
                    slots.append((start, weight * weekday_factor))
    if not slots:
        slots = [(now - timedelta(hours=1), 1.0)]
    picks = rng.choices([slot for slot, _ in slots], weights=[weight for _, weight in slots], k=count)
    times = [min(slot + timedelta(seconds=rng.randrange(3600)), now - timedelta(seconds=1)) for slot in picks]
    times.sort()
    return times


def _caller_number(rng: random.Random, country: str | None) -> str:
    """A caller of the business's country: a French business's callers have French numbers from the ranges kept
    for fiction (01 99 00 .. .., 06 39 98 .. .., as the seed's), so its call list reads like a French one; other
    businesses get North American 555 numbers."""
    if (country or "").upper() == "FR":
        return rng.choice(("+3363998", "+3319900")) + f"{rng.randrange(10000):04d}"
    return f"+1{rng.randrange(200, 999)}555{rng.randrange(10000):04d}"


def _rows(
    rng: random.Random,
    *,
    tenant_id: int,
    count: int,
    days: int,
    now: datetime,
    zone: ZoneInfo,
    numbers: list[tuple[int, str]],
    assistants: list[int],
    live: int,
    run: str,
    country: str | None = None,
    language: Language = "en",
) -> Iterator[dict]:
    topic_words, words = TOPICS[language], PHRASES[language]
    callers = [_caller_number(rng, country) for _ in range(max(50, count // 20))]
    outcomes = [name for name, _, _ in OUTCOME_MIX]
    outcome_weights = [share for _, share, _ in OUTCOME_MIX]
    reasons = {name: reasons for name, _, reasons in OUTCOME_MIX}
    topic_keys = [key for key, _ in TOPIC_WEIGHTS]
    topic_weights = [weight for _, weight in TOPIC_WEIGHTS]
    starts = start_times(rng, count=count, days=days, now=now, zone=zone)
    for index, started in enumerate(starts):
        is_live = index >= count - live
        outcome = rng.choices(outcomes, outcome_weights)[0]
        call_type = rng.choices([name for name, _ in CALL_TYPES], [share for _, share in CALL_TYPES])[0]
        number_id, number = rng.choice(numbers)
        caller = rng.choice(callers)
        talked = outcome in ("answered", "forwarded")
        if outcome == "answered":
            duration = int(min(900, max(12, rng.lognormvariate(math.log(95), 0.6))))
        elif outcome == "forwarded":
            duration = rng.randrange(30, 200)
        elif outcome == "voicemail":
            duration = rng.randrange(15, 60)
        else:
            duration = rng.randrange(0, 12)
        topics: list[str] = []
        summary = intent = sentiment = None
        transcript = ""
        action = False
        if talked or outcome == "voicemail":
            picked: list[str] = []
            for topic in rng.choices(topic_keys, topic_weights, k=rng.choice((1, 1, 2, 3))):
                if topic not in picked:
                    picked.append(topic)
            topics = [topic_words[key][0] for key in picked]
            name = rng.choice(FIRST_NAMES)
            _, wanted, done = topic_words[picked[0]]
            summary = words["summary"].format(name=name, wanted=wanted, done=done)
            if len(picked) > 1:
                summary += words["also"].format(topics=", ".join(topics[1:]))
            intent = wanted.capitalize()
            sentiment = rng.choices([s for s, _ in SENTIMENTS], [w for _, w in SENTIMENTS])[0]
            action = outcome == "voicemail" or picked[0] in ACTION_TOPICS or rng.random() < 0.08
            transcript = words["transcript"].format(
                name=name, wanted=wanted, done=done, done_to_caller=done.replace("the caller", "you")
            )
        ended = started + timedelta(seconds=duration)
        minutes = Decimal(duration) / 60
        cost = (minutes * Decimal("0.105") + Decimal(rng.randrange(0, 50)) / 10000).quantize(Decimal("0.0001"))
        done_at = None
        if action and now - ended > timedelta(days=2) and rng.random() < 0.92:
            done_at = ended + timedelta(hours=rng.randrange(1, 40))
        row = {
            "tenant_id": tenant_id,
            "provider_call_id": f"demo-{tenant_id}-{run}-{index}",
            "assistant_id": rng.choice(assistants),
            "phone_number_id": number_id,
            "call_type": call_type,
            "direction": "outbound" if call_type == "outbound" else "inbound",
            "caller_number": caller,
            "called_number": number,
            "status": "ended",
            "outcome": outcome,
            "ended_reason": rng.choice(reasons[outcome]),
            "started_at": started,
            "ended_at": ended,
            "duration_seconds": duration,
            "cost": cost,
            "cost_breakdown": {
                "transport": str((cost * Decimal("0.1")).quantize(Decimal("0.0001"))),
                "llm": str((cost * Decimal("0.5")).quantize(Decimal("0.0001"))),
                "voice": str((cost * Decimal("0.4")).quantize(Decimal("0.0001"))),
            },
            "recording_url": None,
            "transcript": transcript,
            "summary": summary,
            "summary_source": "local" if summary else None,
            "intent": intent,
            "action_needed": action,
            "action_done_at": done_at,
            "topics": topics,
            "sentiment": sentiment,
            "summary_status": "done" if summary else "skipped",
            "email_status": "sent",
            "created_at": started,
            "updated_at": ended,
        }
        if is_live:
            row.update(
                status="in-progress",
                outcome=None,
                ended_reason=None,
                ended_at=None,
                duration_seconds=None,
                cost=None,
                summary=None,
                summary_status="pending",
                email_status="pending",
                started_at=now - timedelta(seconds=rng.randrange(10, 240)),
                created_at=now - timedelta(seconds=250),
            )
        yield row


# Rollup rows for one COPY batch, computed set-wise: what the per-row triggers would have added, in one statement
# (keyed as migration 0030 keys them).
BATCH_ROLLUPS = (
    """
    INSERT INTO callrollup AS r (tenant_id, bucket, outcome, calls, timed_calls, duration_total, cost_total)
    SELECT tenant_id, (floor(extract(epoch FROM started_at) / 900) * 900)::bigint,
           CASE WHEN spam THEN 'spam' WHEN outcome = 'answered' AND duration_seconds < 15 THEN 'hangup'
                ELSE coalesce(outcome, 'pending') END,
           count(*), count(duration_seconds), coalesce(sum(duration_seconds), 0), coalesce(sum(cost), 0)
    FROM call
    WHERE id > :after AND tenant_id = :tenant_id AND provider_call_id LIKE :prefix
      AND started_at IS NOT NULL AND call_type <> 'test'
    GROUP BY 1, 2, 3
    ON CONFLICT (tenant_id, bucket, outcome) DO UPDATE SET
        calls = r.calls + EXCLUDED.calls,
        timed_calls = r.timed_calls + EXCLUDED.timed_calls,
        duration_total = r.duration_total + EXCLUDED.duration_total,
        cost_total = r.cost_total + EXCLUDED.cost_total
    """,
    """
    INSERT INTO calltopicrollup AS r (tenant_id, bucket, topic, calls)
    SELECT tenant_id, bucket, topic, count(*) FROM (
        SELECT DISTINCT c.id, c.tenant_id, (floor(extract(epoch FROM c.started_at) / 900) * 900)::bigint AS bucket,
               left(btrim(item #>> '{}'), 80) AS topic
        FROM call AS c, json_array_elements(CASE WHEN json_typeof(c.topics) = 'array' THEN c.topics END) AS item
        WHERE c.id > :after AND c.tenant_id = :tenant_id AND c.provider_call_id LIKE :prefix
          AND c.started_at IS NOT NULL AND c.call_type <> 'test'
          AND json_typeof(item) = 'string' AND btrim(item #>> '{}') <> ''
    ) AS t
    GROUP BY 1, 2, 3
    ON CONFLICT (tenant_id, bucket, topic) DO UPDATE SET calls = r.calls + EXCLUDED.calls
    """,
)


def _copy_batch(session: Session, batch: list[dict], *, tenant_id: int, run: str, set_wise: bool) -> bool:
    """One PostgreSQL COPY of a batch; returns whether rollups were added set-wise (else the triggers did it).

    The per-row rollup triggers cost about 0.1 ms a row, most of a bulk load. With ``set_wise`` and a role allowed
    to set ``session_replication_role`` (superuser), they are skipped for this transaction only (other sessions
    keep their triggers) and the batch's rollups are added by two aggregate statements in the same transaction.
    """
    if set_wise:
        try:
            with session.begin_nested():
                session.execute(text("SET LOCAL session_replication_role = replica"))
        except DBAPIError:
            set_wise = False
    after = 0
    if set_wise:
        after = session.execute(
            text("SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM call_id_seq")
        ).scalar_one()
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY call ({', '.join(COLUMNS)}) FROM STDIN") as copy:
        for row in batch:
            copy.write_row([json.dumps(row[name]) if name in JSON_COLUMNS else row[name] for name in COLUMNS])
    if set_wise:
        params = {"after": after, "tenant_id": tenant_id, "prefix": f"demo-{tenant_id}-{run}-%"}
        for statement in BATCH_ROLLUPS:
            session.execute(text(statement), params)
    return set_wise


def _messages(call_id: int, row: dict, tenant_id: int) -> list[dict]:
    lines = [line.split(": ", 1) for line in row["transcript"].splitlines() if ": " in line]
    return [
        {
            "tenant_id": tenant_id,
            "call_id": call_id,
            "position": position,
            "role": "assistant" if speaker == "AI" else "user",
            "text": text,
            "seconds_from_start": position * 6.0,
        }
        for position, (speaker, text) in enumerate(lines)
    ]


def generate_calls(
    session: Session,
    *,
    tenant_id: int,
    count: int,
    days: int = 30,
    seed: int = 0,
    now: datetime | None = None,
    live: int = 0,
    with_messages: bool = False,
) -> int:
    """Insert ``count`` realistic calls for ``tenant_id`` over the last ``days`` days (``live`` of them in progress).

    Demo and benchmark data only (bulk path, see the module docstring). Commits per batch; returns the count inserted.
    """
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise ValueError(f"no tenant {tenant_id}")
    try:
        zone = ZoneInfo(tenant.timezone or "UTC")
    except Exception:
        zone = ZoneInfo("UTC")
    # The business's language: what its callers say, and the topics and summaries its dashboard lists.
    language = normalise(tenant.locale)
    numbers, assistants = _ensure_lines(session, tenant_id, language)
    rng = random.Random(seed)
    now = (now or utcnow()).astimezone(UTC)
    use_copy = session.get_bind().dialect.name == "postgresql" and not with_messages
    run = secrets.token_hex(4)
    flush = {"use_copy": use_copy, "with_messages": with_messages, "tenant_id": tenant_id, "run": run}
    rows = _rows(
        rng,
        tenant_id=tenant_id,
        count=count,
        days=days,
        now=now,
        zone=zone,
        numbers=numbers,
        assistants=assistants,
        live=min(live, count),
        run=run,
        country=tenant.country,
        language=language,
    )
    inserted = 0
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            inserted += _flush(session, batch, flush)
            batch = []
    if batch:
        inserted += _flush(session, batch, flush)
    return inserted


def _flush(session: Session, batch: list[dict], flush: dict) -> int:
    """Insert one batch and commit; ``flush`` carries the load's settings (and learns if set-wise rollups work)."""
    tenant_id, with_messages = flush["tenant_id"], flush["with_messages"]
    if flush["use_copy"]:
        flush["set_wise"] = _copy_batch(
            session, batch, tenant_id=tenant_id, run=flush["run"], set_wise=flush.get("set_wise", True)
        )
    elif with_messages:
        ids = (
            session.execute(insert(CALL_TABLE).returning(CALL_TABLE.c.id, sort_by_parameter_order=True), batch)
            .scalars()
            .all()
        )
        messages = [
            line for call_id, row in zip(ids, batch, strict=True) for line in _messages(call_id, row, tenant_id)
        ]
        if messages:
            session.execute(insert(CallMessage.__table__), messages)
    else:
        session.execute(insert(CALL_TABLE), batch)
    session.commit()
    return len(batch)


def main(argv: list[str] | None = None) -> int:
    """Command line: generate calls for one tenant of the database in AVA_DATABASE_URL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenant-id", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--live", type=int, default=0, help="how many of the newest calls are still in progress")
    parser.add_argument("--messages", action="store_true", help="also store each call's conversation lines")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with Session(get_engine(), expire_on_commit=False) as session:
        inserted = generate_calls(
            session,
            tenant_id=args.tenant_id,
            count=args.count,
            days=args.days,
            seed=args.seed,
            live=args.live,
            with_messages=args.messages,
        )
    print(f"inserted {inserted} calls for tenant {args.tenant_id} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The cost of PII redaction on ingestion: applying Vapi's end-of-call report with redaction on, against the same
report for a business that does not redact, in the same run and database.

Usage:

    .venv/bin/python bench/redaction.py                                  # SQLite in a temp dir
    .venv/bin/python bench/redaction.py --database-url postgresql://postgres@127.0.0.1:5432/<own db>

Each run applies the 13 KB end-of-call-report fixture (with a card number, an IBAN and an SSN added to what the caller
says) under a new call id, through ``ingest_vapi_event``: event stored, call row written, conversation lines inserted,
event marked, all in the apply path the job queue runs. The two businesses take turns, so a slow spell of a shared
machine lands on both. Also timed: ``redact`` alone on the report's transcript. Goal: the report applied with
redaction on costs at most 1.25x the same report without (ingestion keeps >= 0.8 of its rate), and nothing of the
card number is stored.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from sqlalchemy import delete  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from ava_app.db import make_engine  # noqa: E402
from ava_app.models import Assistant, Call, PhoneNumber, Tenant  # noqa: E402
from ava_app.services.ingest.events import ingest_vapi_event  # noqa: E402
from ava_app.services.ingest.payloads import parse_vapi_payload  # noqa: E402
from ava_app.services.redaction import ALL_ON, redact  # noqa: E402
from bench.bookings import migrate, p95  # noqa: E402

GOAL_RATIO = 1.25
REPORT = PROJECT_DIR / "tests" / "fixtures" / "contracts" / "end-of-call-report.json"
SAID = (
    "My card is four one one one, one one one one, one one one one, one one one one. Or take it from my account "
    "GB82 WEST 1234 5698 7654 32. My social security number is 123-45-6789."
)


def business(session: Session, *, name: str, redacting: bool) -> tuple[int, str]:
    """A business with its assistant and line; returns its id and the line's Vapi id."""
    tenant = Tenant(name=name, timezone="America/New_York", redact_pii=redacting, redact_other_phones=redacting)
    session.add(tenant)
    session.flush()
    assistant = Assistant(tenant_id=tenant.id, name="Ava", provider_assistant_id=str(uuid.uuid4()))
    session.add(assistant)
    session.flush()
    number_id = str(uuid.uuid4())
    line = PhoneNumber(
        tenant_id=tenant.id, e164=f"+1212555{uuid.uuid4().int % 10_000:04d}", provider_number_id=number_id
    )
    line.assistant_id = assistant.id
    session.add(line)
    session.commit()
    assert tenant.id is not None
    return tenant.id, number_id


def report_for(template: dict, number_id: str) -> str:
    """The report for a new call: every line made unique, so no text of one call repeats another's."""
    body = copy.deepcopy(template)
    message = body["message"]
    call_id = str(uuid.uuid4())
    artifact = message["artifact"]
    for item in artifact["messages"]:
        if isinstance(item.get("message"), str):
            item["message"] = f"{item['message']} (call {call_id[:8]})"
    artifact["messagesOpenAIFormatted"] = [
        {**item, "content": f"{item['content']} (call {call_id[:8]})"} if isinstance(item.get("content"), str) else item
        for item in artifact.get("messagesOpenAIFormatted") or []
    ]
    artifact["transcript"] = "\n".join(f"{line} (call {call_id[:8]})" for line in artifact["transcript"].splitlines())
    message["call"]["id"] = call_id
    message["call"]["phoneNumberId"] = number_id
    message.pop("phoneNumber", None)
    message.pop("assistant", None)
    return json.dumps(body)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    runs = max(10, min(args.runs, 5_000))
    os.environ.setdefault("AVA_ENV", "dev")
    os.environ.setdefault("AVA_SECRET_KEY", "bench-" + "x" * 40)
    scratch = tempfile.mkdtemp(prefix="ava-bench-redaction-")
    os.environ.setdefault("AVA_DATA_DIR", scratch)
    url = args.database_url or f"sqlite:///{scratch}/bench.db"
    migrate(url)
    engine = make_engine(url)

    template = json.loads(REPORT.read_text())
    artifact = template["message"]["artifact"]
    artifact["messages"].append({"role": "user", "message": SAID, "secondsFromStart": 42.0})
    artifact["transcript"] += f"\nUser: {SAID}"

    with Session(engine, expire_on_commit=False) as session:
        plain_id, plain_line = business(session, name="Bench Plain", redacting=False)
        private_id, private_line = business(session, name="Bench Private", redacting=True)
        samples: dict[str, list[float]] = {"off": [], "on": []}
        for index in range(runs + 1):
            order = [("off", plain_line), ("on", private_line)]
            for side, line in order if index % 2 else reversed(order):
                raw = report_for(template, line)
                started = time.perf_counter()
                result = ingest_vapi_event(session, message=parse_vapi_payload(raw), raw=raw)
                elapsed = (time.perf_counter() - started) * 1000
                assert result.error is None, result.error
                if index:  # the first round warms up
                    samples[side].append(elapsed)

        transcript = artifact["transcript"]
        redact_ms = []
        for index in range(runs):
            text = f"{transcript} ({index})"  # a new text each time: nothing comes from the cache
            started = time.perf_counter()
            redact(text, rules=ALL_ON, country="US", caller_phone="+16505550199")
            redact_ms.append((time.perf_counter() - started) * 1000)

        stored = session.exec(select(Call.transcript).where(col(Call.tenant_id) == private_id)).all()
        leaked = sum(any(secret in text for secret in ("one one one", "GB82", "123-45-6789")) for text in stored)
        kept = session.exec(select(Call.transcript).where(col(Call.tenant_id) == plain_id)).all()

        off, on = statistics.median(samples["off"]), statistics.median(samples["on"])
        print(f"{engine.dialect.name}, {runs} reports each side, {len(transcript):,} characters of transcript")
        print(f"{'':52} {'p50 ms':>8} {'p95 ms':>8}")
        print(f"{'baseline: report applied, redaction off':52} {off:8.2f} {p95(samples['off']):8.2f}")
        print(f"{'report applied, redaction on (all kinds)':52} {on:8.2f} {p95(samples['on']):8.2f}")
        print(f"{'redact() alone on the transcript':52} {statistics.median(redact_ms):8.2f} {p95(redact_ms):8.2f}")
        ratio = on / off
        print(f"ratio on / off (p50): {ratio:.2f}; ingestion rate kept: {1 / ratio:.2f}")
        print(f"stored transcripts: {len(stored)} redacted, {leaked} still holding a number; {len(kept)} plain kept")
        for tenant_id in (plain_id, private_id):
            session.execute(delete(Tenant).where(col(Tenant.id) == tenant_id))
        session.commit()
    verdict = ratio <= GOAL_RATIO and leaked == 0 and all("123-45-6789" in text for text in kept)
    print(f"{'PASS' if verdict else 'FAIL'}: on/off {ratio:.2f} (goal <= {GOAL_RATIO}), {leaked} leaks")
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())

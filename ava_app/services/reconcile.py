"""Reconciliation: a call whose provider webhooks never reached AVA still becomes a call, through the same pipeline.

Vapi sends the end-of-call report once (no retry unless a backoff plan is set) and Twilio gives up on a status
callback after its fallback URL: a message lost on the way (AVA down, a network cut, a proxy timeout) would be a call
the owner never hears about. Every few minutes this job asks the providers what happened and feeds AVA's normal
ingestion with what it missed:

- Vapi: per Vapi account (the platform's, shared by most tenants, and each tenant's own), the calls created within
  ``LOOKBACK``, newest first, at most ``MAX_PAGES`` pages of ``PAGE_SIZE``. Every ended call of one of AVA's
  assistants or numbers whose end-of-call report AVA never stored is fetched (``GET /call/{id}``) and turned back
  into the report Vapi would have posted, then stored and applied exactly as the webhook does
  (``ingest.events.accept_vapi_event`` and the apply job): the call, its conversation, the summary and the owner's
  email follow. The report's dedupe key depends only on the call id, so a report that arrives late, a second worker
  running the same job, or the next run, all find the stored event and change nothing.
- Calls stuck before "ended" with no news for ``STUCK_AFTER`` are looked up one by one: ended at Vapi, they are
  ingested the same way; unknown to Vapi, they are ended with the reason ``UNKNOWN_TO_PROVIDER`` through the same
  report path (keeping the lines AVA heard live), so they get a summary and leave the "in progress" list.
- Twilio: calls AVA answers itself (forward, voicemail) are keyed by their CallSid and ended by Twilio's status
  callback. For each Twilio number AVA holds, the account's call records to that number within the window are
  listed; a finished call whose final callback never arrived is applied as that callback
  (``twilio_voice.apply_call_status``, the callback route's own service). Calls to a number imported into Vapi are
  Vapi's (see above) and skipped, unless AVA already has their row.
- Twilio voicemails: a call AVA answered with the voicemail's ``<Record>`` whose action (the request that brings
  the recording) never arrived would end as a missed call, the message lost. For such a call without a recording,
  the account's recordings of the window (listed once per account and run, ``DateCreated>``) are looked up and the
  call's recording is applied as that action (``twilio_voice.apply_call_status`` again), before the final callback,
  so the call ends as a voicemail and its summary and email follow. The action's dedupe key is the recording SID.

Failures are isolated per account and per call: logged, counted in the run's ``ReconcileReport``, and retried by the
next run. Nothing here creates a call by itself: it only hands the pipeline the message it should have received.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

from huey import crontab
from sqlalchemy import func
from sqlmodel import Session, col, select

from ava_app.db import session_scope
from ava_app.models import Assistant, Call, PhoneNumber, WebhookEvent, utcnow
from ava_app.services import assistants, post_call, twilio_voice
from ava_app.services.async_bridge import run_coroutine_sync
from ava_app.services.errors import NotFound
from ava_app.services.ingest.events import accept_vapi_event
from ava_app.services.ingest.payloads import aware, event_dedupe_key, parse_time
from ava_app.services.ingest.tasks import apply_webhook_event
from ava_app.services.providers import twilio
from ava_app.services.providers.vapi import VapiClient
from ava_app.task_queue import periodic_task

log = logging.getLogger(__name__)

LOOKBACK = timedelta(hours=6)
# A call that ended this recently may still have its report on the way (or its apply job queued): leave it be.
SETTLE_DELAY = timedelta(minutes=3)
# No news of a call for this long while it is not "ended": it is stuck (Vapi's longest call is far shorter).
STUCK_AFTER = timedelta(hours=2)
PAGE_SIZE = 100
MAX_PAGES = 10
MAX_STUCK = 100
UNKNOWN_TO_PROVIDER = "ava-reconciled-unknown-to-provider"
TWILIO_FINAL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
# A call Twilio reports in one of these may hold a voicemail (the others were never answered).
VOICEMAIL_CALL_STATUSES = frozenset({"in-progress", "completed"})
_CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
# Raw payloads the reconciliation stores carry this top-level key beside ``message``: where the event came from.
ORIGIN_KEY = "avaReconciled"

VapiClientFor = Callable[[Session, int | None], VapiClient]


@dataclass
class ReconcileReport:
    """What one run did: provider call ids ingested or settled, and the failures left for the next run."""

    accounts: int = 0
    listed: int = 0
    ingested: list[str] = field(default_factory=list)
    settled_unknown: list[str] = field(default_factory=list)
    twilio_applied: list[str] = field(default_factory=list)
    twilio_voicemails: list[str] = field(default_factory=list)  # recording SIDs kept as their call's voicemail
    truncated: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


@dataclass
class _VapiAccount:
    """One Vapi account AVA uses and what of it is AVA's: provider assistant/number id -> tenant."""

    name: str
    tenant_id: int | None  # set for a tenant on its own Vapi account: its events may only touch that tenant
    owners: dict[str, int] = field(default_factory=dict)


# --- the job ----------------------------------------------------------------------------------------------------


def reconcile_once(
    *,
    now: datetime | None = None,
    lookback: timedelta = LOOKBACK,
    settle_delay: timedelta = SETTLE_DELAY,
    stuck_after: timedelta = STUCK_AFTER,
    vapi_client_for: VapiClientFor | None = None,
) -> ReconcileReport:
    """One reconciliation pass over every Vapi account and Twilio number AVA uses; safe to run anywhere, any time.

    ``vapi_client_for(session, tenant_id)`` builds the Vapi client of a tenant's account (None: the platform's);
    tests point it at an emulator. ``now`` lets tests move time.
    """
    now = now or utcnow()
    report = ReconcileReport()
    client_for = vapi_client_for or _default_vapi_client
    with session_scope() as session:
        accounts = _vapi_accounts(session, report=report)
    for account in accounts:
        report.accounts += 1
        try:
            _reconcile_vapi_account(
                account, now=now, since=now - lookback, settle_delay=settle_delay, client_for=client_for, report=report
            )
        except Exception as exc:
            log.exception("reconcile: Vapi account %s failed", account.name)
            report.failures.append(f"vapi account {account.name}: {type(exc).__name__}: {exc}")
    _settle_stuck_calls(now=now, stuck_after=stuck_after, client_for=client_for, report=report)
    _reconcile_twilio_numbers(now=now, since=now - lookback, settle_delay=settle_delay, report=report)
    if (
        report.ingested
        or report.settled_unknown
        or report.twilio_applied
        or report.twilio_voicemails
        or report.failures
    ):
        log.warning(
            "reconcile: %d Vapi call(s) ingested, %d settled as unknown, %d Twilio call(s) applied, %d voicemail(s)"
            " kept, %d failure(s)",
            len(report.ingested),
            len(report.settled_unknown),
            len(report.twilio_applied),
            len(report.twilio_voicemails),
            len(report.failures),
        )
    return report


@periodic_task(crontab(minute="*/5"))
def reconcile_calls() -> None:
    """Every 5 minutes: ingest the calls whose provider webhooks AVA missed and settle calls stuck in progress."""
    reconcile_once()


def _default_vapi_client(session: Session, tenant_id: int | None) -> VapiClient:
    if tenant_id is None:
        return VapiClient.from_settings()
    return assistants.vapi_client(session, tenant_id=tenant_id)


# --- Vapi: recent calls -----------------------------------------------------------------------------------------


def _vapi_accounts(session: Session, *, report: ReconcileReport) -> list[_VapiAccount]:
    """The platform's account and each tenant's own, with the assistant and number ids AVA knows in each."""
    owners: dict[int, dict[str, int]] = {}
    for tenant_id, provider_id in session.exec(
        select(col(Assistant.tenant_id), col(Assistant.provider_assistant_id)).where(
            col(Assistant.provider_assistant_id).is_not(None)
        )
    ).all():
        owners.setdefault(tenant_id, {})[str(provider_id)] = tenant_id
    for tenant_id, provider_id in session.exec(
        select(col(PhoneNumber.tenant_id), col(PhoneNumber.provider_number_id)).where(
            col(PhoneNumber.provider_number_id).is_not(None), col(PhoneNumber.released_at).is_(None)
        )
    ).all():
        owners.setdefault(tenant_id, {})[str(provider_id)] = tenant_id
    platform = _VapiAccount(name="platform", tenant_id=None)
    accounts = [platform]
    for tenant_id, ids in sorted(owners.items()):
        try:
            own = assistants.own_vapi_credential(session, tenant_id=tenant_id)
        except Exception as exc:
            # An unreadable credential is that tenant's problem only (shown on its integrations page).
            report.failures.append(f"tenant {tenant_id} Vapi credential: {type(exc).__name__}")
            continue
        if own:
            accounts.append(_VapiAccount(name=f"tenant {tenant_id}", tenant_id=tenant_id, owners=ids))
        else:
            platform.owners.update(ids)
    return [account for account in accounts if account.owners]


def _reconcile_vapi_account(
    account: _VapiAccount,
    *,
    now: datetime,
    since: datetime,
    settle_delay: timedelta,
    client_for: VapiClientFor,
    report: ReconcileReport,
) -> None:
    with session_scope() as session:
        client = client_for(session, account.tenant_id)
    listed, truncated = run_coroutine_sync(_recent_calls(client, since=since))
    report.listed += len(listed)
    if truncated:
        # The oldest part of the window waits for a run with less traffic; say so, as it may hide a missed call.
        report.truncated.append(account.name)
        log.warning("reconcile: %s has more than %d calls in the window", account.name, PAGE_SIZE * MAX_PAGES)
    candidates: dict[str, int] = {}
    for call in listed:
        tenant_id = account.owners.get(str(call.get("assistantId"))) or account.owners.get(
            str(call.get("phoneNumberId"))
        )
        ended_at = parse_time(call.get("endedAt")) or parse_time(call.get("updatedAt"))
        if tenant_id is None or call.get("status") != "ended" or not call.get("id"):
            continue
        if ended_at is not None and ended_at > now - settle_delay:
            continue
        candidates[str(call["id"])] = tenant_id
    with session_scope() as session:
        missing = _without_stored_report(session, candidates)
    for provider_call_id in missing:
        try:
            full = run_coroutine_sync(_fetch_call(client_for, account.tenant_id, provider_call_id))
            ingest_vapi_call(full, tenant_id=candidates[provider_call_id], now=now)
            report.ingested.append(provider_call_id)
        except Exception as exc:
            log.exception("reconcile: Vapi call %s could not be ingested", provider_call_id)
            report.failures.append(f"vapi call {provider_call_id}: {type(exc).__name__}: {exc}")


async def _recent_calls(client: VapiClient, *, since: datetime) -> tuple[list[dict[str, Any]], bool]:
    """Calls created since ``since``, newest first, paging on createdAt; True when the page limit cut the window.

    Each page asks for calls created at or before the oldest one of the page before, and skips the ids already seen:
    paging strictly before that instant would lose the calls that share it but did not fit in the page. Only a
    whole page of calls created in the same instant makes it step past that instant.
    """
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    cursor: str | None = None
    step_past = False
    try:
        for _ in range(MAX_PAGES):
            if step_past:
                page = await client.list_calls(limit=PAGE_SIZE, created_at_lt=cursor)
            else:
                page = await client.list_calls(limit=PAGE_SIZE, created_at_le=cursor)
            for call in page:
                call_id = str(call.get("id"))
                if call_id in seen:
                    continue
                seen.add(call_id)
                created = parse_time(call.get("createdAt"))
                if created is not None and created >= since:
                    found.append(call)
            oldest = parse_time(page[-1].get("createdAt")) if page else None
            if len(page) < PAGE_SIZE or oldest is None or oldest < since:
                return found, False
            step_past = page[0].get("createdAt") == page[-1].get("createdAt")
            if step_past:
                log.warning("reconcile: more than %d calls created at %s", PAGE_SIZE, page[-1].get("createdAt"))
            cursor = page[-1]["createdAt"]
        return found, True
    finally:
        await client.aclose()


async def _fetch_call(client_for: VapiClientFor, tenant_id: int | None, provider_call_id: str) -> dict[str, Any]:
    with session_scope() as session:
        client = client_for(session, tenant_id)
    try:
        return await client.get_call(call_id=provider_call_id)
    finally:
        await client.aclose()


def _report_key(provider_call_id: str) -> str:
    return event_dedupe_key({"type": "end-of-call-report", "call": {"id": provider_call_id}})


def _without_stored_report(session: Session, provider_call_ids: Iterable[str]) -> list[str]:
    """The call ids among these whose end-of-call report AVA never stored (the webhook or an earlier run)."""
    keys = {_report_key(call_id): call_id for call_id in provider_call_ids}
    stored: set[str] = set()
    chunk = list(keys)
    for start in range(0, len(chunk), 500):
        stored.update(
            session.exec(
                select(col(WebhookEvent.dedupe_key)).where(col(WebhookEvent.dedupe_key).in_(chunk[start : start + 500]))
            ).all()
        )
    return [call_id for key, call_id in keys.items() if key not in stored]


# --- Vapi: into the pipeline ------------------------------------------------------------------------------------


def report_from_call(call: dict[str, Any]) -> dict[str, Any]:
    """The end-of-call-report message Vapi would have posted for this Call (as ``GET /call/{id}`` returns it).

    The report repeats the call's outcome fields at the top and carries the call without its heavy parts.
    """
    artifact = call.get("artifact") if isinstance(call.get("artifact"), dict) else {}
    if not artifact:
        artifact = {
            key: call[key] for key in ("messages", "transcript", "recordingUrl") if call.get(key) not in (None, "")
        }
    ended = parse_time(call.get("endedAt"))
    message: dict[str, Any] = {
        "type": "end-of-call-report",
        "endedReason": call.get("endedReason"),
        "startedAt": call.get("startedAt"),
        "endedAt": call.get("endedAt"),
        "cost": call.get("cost"),
        "costs": call.get("costs"),
        "costBreakdown": call.get("costBreakdown"),
        "artifact": artifact,
        "analysis": call.get("analysis") if isinstance(call.get("analysis"), dict) else {},
        "call": {k: v for k, v in call.items() if k not in _HEAVY_CALL_FIELDS},
    }
    if ended is not None:
        message["timestamp"] = int(ended.timestamp() * 1000)
    for key in ("customer", "phoneNumber", "assistant"):
        if isinstance(call.get(key), dict):
            message[key] = call[key]
    return {key: value for key, value in message.items() if value is not None}


_HEAVY_CALL_FIELDS = frozenset(
    {"messages", "artifact", "analysis", "costs", "costBreakdown", "cost", "assistant", "transcript", "recordingUrl"}
)


def ingest_vapi_call(call: dict[str, Any], *, tenant_id: int, now: datetime, reason: str = "missed-webhook") -> None:
    """Store and apply the report of ``call`` as the webhook route would, for ``tenant_id`` only.

    Goes through ``accept_vapi_event`` (store under the report's dedupe key, then the apply job, which enqueues the
    summary and email): if the report is already stored, from the webhook or another worker, nothing happens.
    """
    message = report_from_call(call)
    raw = json.dumps({"message": message, ORIGIN_KEY: {"reason": reason, "at": now.isoformat()}})
    deferred: list[int] = []
    with session_scope() as session:
        result = accept_vapi_event(
            session,
            message=message,
            raw=raw,
            tenant_id=tenant_id,
            on_call_ended=post_call.run_post_call,
            enqueue_apply=deferred.append,
        )
    # As in the webhook: enqueued once committed; a lost enqueue is the ingest sweep's to recover.
    for event_id in deferred:
        try:
            apply_webhook_event(event_id)
        except Exception:
            log.exception("reconcile: could not enqueue stored event %s; the sweep will apply it", event_id)
    if result.error:
        raise RuntimeError(result.error)


# --- calls stuck before "ended" ---------------------------------------------------------------------------------


def _settle_stuck_calls(
    *, now: datetime, stuck_after: timedelta, client_for: VapiClientFor, report: ReconcileReport
) -> None:
    with session_scope() as session:
        stuck = session.exec(
            select(
                col(Call.id),
                col(Call.tenant_id),
                col(Call.provider_call_id),
                col(Call.phone_number_id),
            )
            .where(
                col(Call.status) != "ended",
                func.coalesce(col(Call.updated_at), col(Call.created_at)) < now - stuck_after,
                col(Call.call_type) != "test",
            )
            # A random sample: calls a provider keeps reporting live must not hold back the others forever.
            .order_by(func.random())
            .limit(MAX_STUCK)
        ).all()
    for call_id, tenant_id, provider_call_id, phone_number_id in stuck:
        assert call_id is not None, "a stored call has an id"
        try:
            if _CALL_SID.fullmatch(provider_call_id):
                _settle_twilio_call(provider_call_id, phone_number_id=phone_number_id, report=report)
            else:
                _settle_vapi_call(call_id, provider_call_id, tenant_id=tenant_id, client_for=client_for, report=report)
        except Exception as exc:
            log.exception("reconcile: stuck call %s could not be settled", call_id)
            report.failures.append(f"stuck call {call_id}: {type(exc).__name__}: {exc}")


def _settle_vapi_call(
    call_id: int, provider_call_id: str, *, tenant_id: int, client_for: VapiClientFor, report: ReconcileReport
) -> None:
    with session_scope() as session:
        if not _without_stored_report(session, [provider_call_id]):
            return  # the report is stored but not applied: the ingest sweep and the dead letters own it
        own = _own_account(session, tenant_id=tenant_id)
    try:
        remote = run_coroutine_sync(_fetch_call(client_for, tenant_id if own else None, provider_call_id))
    except NotFound:
        remote = None
    if remote is None:
        ingest_vapi_call(_unknown_call(call_id, provider_call_id), tenant_id=tenant_id, now=utcnow(), reason="unknown")
        report.settled_unknown.append(provider_call_id)
    elif remote.get("status") == "ended":
        ingest_vapi_call(remote, tenant_id=tenant_id, now=utcnow(), reason="stuck")
        report.ingested.append(provider_call_id)


def _own_account(session: Session, *, tenant_id: int) -> bool:
    return bool(assistants.own_vapi_credential(session, tenant_id=tenant_id))


def _unknown_call(call_id: int, provider_call_id: str) -> dict[str, Any]:
    """A Call Vapi no longer knows, as AVA last saw it, ended for ``UNKNOWN_TO_PROVIDER`` at its last news."""
    with session_scope() as session:
        row = session.get(Call, call_id)
        started = aware(row.started_at) if row else None
        last = aware(row.updated_at or row.created_at) if row else None
    return {
        "id": provider_call_id,
        "status": "ended",
        "endedReason": UNKNOWN_TO_PROVIDER,
        "startedAt": started.isoformat() if started else None,
        "endedAt": last.isoformat() if last else None,
    }


# --- Twilio -----------------------------------------------------------------------------------------------------


def _twilio_client_for(session: Session, number: PhoneNumber):
    """The SDK client of the account holding ``number`` (the tenant's own, else the platform's), or None."""
    token = twilio_voice.signing_auth_token(session, number=number)
    if not token:
        return None
    platform_sid, _ = twilio.resolve_credentials()
    return twilio.twilio_client(number.twilio_account_sid or platform_sid, token)


def _reconcile_twilio_numbers(
    *, now: datetime, since: datetime, settle_delay: timedelta, report: ReconcileReport
) -> None:
    with session_scope() as session:
        numbers = session.exec(
            select(PhoneNumber)
            .where(col(PhoneNumber.twilio_sid).is_not(None), col(PhoneNumber.released_at).is_(None))
            .order_by(col(PhoneNumber.id))
        ).all()
    # Each account's recordings of the window, listed once per run and only if a call may be missing its voicemail.
    recordings_by_account: dict[str, dict[str, list[Any]]] = {}
    for number in numbers:
        try:
            with session_scope() as session:
                client = _twilio_client_for(session, number)
            if client is None:
                continue
            # The SDK blocks: this runs in a job worker's thread, never on an event loop.
            records = client.api.v2010.account.calls.list(
                to=number.e164, start_time_after=since, limit=PAGE_SIZE * MAX_PAGES, page_size=PAGE_SIZE
            )
            report.listed += len(records)

            def recordings_of(call_sid: str, client: Any = client) -> list[Any]:
                account_sid = str(client.account_sid)
                if account_sid not in recordings_by_account:
                    recordings_by_account[account_sid] = _recent_recordings(client, since=since, report=report)
                return recordings_by_account[account_sid].get(call_sid, [])

            for record in records:
                try:
                    _reconcile_twilio_voicemail(
                        record, recordings_of=recordings_of, now=now, settle_delay=settle_delay, report=report
                    )
                    _reconcile_twilio_record(record, number=number, now=now, settle_delay=settle_delay, report=report)
                except Exception as exc:
                    log.exception("reconcile: Twilio call %s failed", record.sid)
                    report.failures.append(f"twilio call {record.sid}: {type(exc).__name__}: {exc}")
        except Exception as exc:
            log.exception("reconcile: Twilio number %s failed", number.id)
            report.failures.append(f"twilio number {number.id}: {type(exc).__name__}: {exc}")


def _reconcile_twilio_record(
    record: Any, *, number: PhoneNumber, now: datetime, settle_delay: timedelta, report: ReconcileReport
) -> None:
    sid = str(record.sid)
    if record.status not in TWILIO_FINAL_STATUSES:
        return
    ended = aware(record.end_time) if record.end_time else None
    if ended is not None and ended > now - settle_delay:
        return
    with session_scope() as session:
        status = session.exec(select(col(Call.status)).where(col(Call.provider_call_id) == sid)).first()
        route = twilio_voice.voice_route(session, call_sid=sid) if status is None else None
    if status == "ended":
        return
    # No row yet: only a number whose voice URL is AVA's makes one (a missed call whose every request was lost);
    # a number imported into Vapi is answered by Vapi, whose calls the Vapi pass above reconciles.
    if status is None and (number.provider_number_id or route == "ai"):
        return
    if _apply_twilio_final(record):
        report.twilio_applied.append(sid)


def _settle_twilio_call(sid: str, *, phone_number_id: int | None, report: ReconcileReport) -> None:
    with session_scope() as session:
        number = session.get(PhoneNumber, phone_number_id) if phone_number_id else None
        client = _twilio_client_for(session, number) if number is not None else None
    if client is None:
        return
    record = client.api.v2010.account.calls(sid).fetch()

    def recordings_of(call_sid: str) -> list[Any]:
        return client.api.v2010.account.recordings.list(call_sid=call_sid, limit=PAGE_SIZE, page_size=PAGE_SIZE)

    _reconcile_twilio_voicemail(
        record, recordings_of=recordings_of, now=utcnow(), settle_delay=SETTLE_DELAY, report=report
    )
    if record.status in TWILIO_FINAL_STATUSES and _apply_twilio_final(record):
        report.twilio_applied.append(sid)


def _apply_twilio_final(record: Any) -> bool:
    """Apply a finished Twilio call record as its final status callback; True when that ended an AVA call."""
    form = twilio_final_callback(record)
    with session_scope() as session:
        result = twilio_voice.apply_call_status(session, form=form)
    if result.error:
        raise RuntimeError(result.error)
    if result.call_ended and result.call_id is not None:
        post_call.run_post_call(result.call_id)
    return result.call_ended


def twilio_final_callback(record: Any) -> twilio_voice.TwilioForm:
    """The final status callback Twilio would have posted for a finished call record (same fields, same key)."""
    moment = aware(record.end_time or record.start_time)
    pairs = [
        *_call_fields(record),
        ("CallStatus", str(record.status)),
        ("CallDuration", str(record.duration or 0)),
        ("CallbackSource", "call-progress-events"),
        ("Timestamp", format_datetime(moment) if moment else ""),
    ]
    return twilio_voice.TwilioForm(pairs=tuple(pairs), raw=urlencode(pairs))


def _call_fields(record: Any) -> list[tuple[str, str]]:
    """The fields every Twilio request about a call carries, from its call record."""
    return [
        ("AccountSid", str(record.account_sid)),
        ("CallSid", str(record.sid)),
        ("From", str(getattr(record, "_from", None) or "")),
        ("To", str(record.to or "")),
        ("Direction", str(record.direction or "inbound")),
    ]


# --- Twilio: voicemails whose <Record> action never came ---------------------------------------------------------


def _recent_recordings(client: Any, *, since: datetime, report: ReconcileReport) -> dict[str, list[Any]]:
    """The account's recordings created since ``since``, by call SID (one account-wide listing, paged)."""
    listed = client.api.v2010.account.recordings.list(
        date_created_after=since, limit=PAGE_SIZE * MAX_PAGES, page_size=PAGE_SIZE
    )
    if len(listed) >= PAGE_SIZE * MAX_PAGES:
        report.truncated.append(f"twilio recordings of {client.account_sid}")
        log.warning("reconcile: more than %d Twilio recordings in the window", PAGE_SIZE * MAX_PAGES)
    found: dict[str, list[Any]] = {}
    for recording in listed:
        found.setdefault(str(recording.call_sid), []).append(recording)
    return found


def _reconcile_twilio_voicemail(
    record: Any,
    *,
    recordings_of: Callable[[str], list[Any]],
    now: datetime,
    settle_delay: timedelta,
    report: ReconcileReport,
) -> None:
    """Keep the voicemail of a call AVA answered with ``<Record>`` whose action never arrived, as that action would.

    Only a call whose voice webhook AVA answered with the voicemail route, and whose row is there without a recording,
    is looked up; its oldest finished recording (settled for ``settle_delay``: the action may be on its way) goes
    through ``twilio_voice.apply_call_status``, the action route's own service. The action's dedupe key is the
    recording's SID, so a late original, a second worker or the next run find it stored and change nothing.
    """
    sid = str(record.sid)
    if record.status not in VOICEMAIL_CALL_STATUSES:
        return
    with session_scope() as session:
        row = session.exec(
            select(col(Call.id), col(Call.recording_url)).where(col(Call.provider_call_id) == sid)
        ).first()
        if row is None or row[1]:
            return  # no row: not a call AVA answered itself, or one its owner deleted (not brought back)
        if twilio_voice.voice_route(session, call_sid=sid) != "voicemail":
            return
    finished = sorted(
        (created, str(recording.sid), recording)
        for recording in recordings_of(sid)
        if recording.status == "completed"
        and str(recording.call_sid) == sid
        and (created := aware(recording.date_created)) is not None
        and created <= now - settle_delay
    )
    for _created, _sid, recording in finished:
        if _apply_twilio_recording(record, recording):
            report.twilio_voicemails.append(str(recording.sid))
            return


def _apply_twilio_recording(record: Any, recording: Any) -> bool:
    """Apply a recording as the <Record> action that brings it; True when that gave an AVA call its voicemail.

    A call the final callback already ended (as missed, the message unknown then) becomes a voicemail; its post-call
    job runs again, which copies the recording (summary and emails, already settled, are not sent twice).
    """
    with session_scope() as session:
        result = twilio_voice.apply_call_status(session, form=twilio_record_action(record, recording))
    if result.error:
        raise RuntimeError(result.error)
    if result.call_id is None:
        return False  # stored already (the action itself, an earlier run), or no call of AVA's
    if result.call_ended or result.status == "ended":
        post_call.run_post_call(result.call_id)
    return True


def twilio_record_action(record: Any, recording: Any) -> twilio_voice.TwilioForm:
    """The voicemail's <Record> action Twilio would have posted for this recording of the call ``record``.

    ``CallStatus`` is "in-progress" (the caller finished the message; the call's end is the final callback's, with
    its duration), and the dedupe key depends on the recording only (``twilio_voice.event_dedupe_key``).
    """
    url = getattr(recording, "media_url", None) or (
        f"https://api.twilio.com/2010-04-01/Accounts/{record.account_sid}/Recordings/{recording.sid}"
    )
    pairs = [
        *_call_fields(record),
        ("CallStatus", "in-progress"),
        ("RecordingSid", str(recording.sid)),
        ("RecordingUrl", str(url)),
        ("RecordingDuration", str(recording.duration or 0)),
    ]
    return twilio_voice.TwilioForm(pairs=tuple(pairs), raw=urlencode(pairs))

"""Twilio voice webhooks: who signed them, the TwiML that answers an incoming call, and the call's status updates.

Twilio calls AVA at a number's voice URL when a call comes in (answered with TwiML) and at its status callback as the
call moves on (the answer is ignored), see ``docs/contracts/twilio.md``. Each request is checked against the auth token
of the Twilio account that owns AVA's number in it, then stored as received in ``WebhookEvent`` before it is acted on.

One phone call is one ``Call`` row, whoever answers it:

- A call AVA answers itself with TwiML (forward, voicemail) never reaches Vapi. Its row is keyed by the Twilio CallSid
  (``Call.provider_call_id``), created by the voice webhook and moved along by the status callbacks.
- A call handed to Vapi gets its row from Vapi's webhooks, keyed by Vapi's call id (``ingest``), and Vapi reports
  its progress itself. Its Twilio requests stay in ``WebhookEvent`` under the CallSid (the voice event's type is
  ``voice:ai``) and change no call, so the call is never counted twice. The same goes for calls to a number imported
  into Vapi that never came through AVA's voice URL: Vapi rewrote that URL on import and answered them.

No schema change is needed for this: the CallSid is the key of the calls AVA answers, and the stored events keep it for
the others.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from starlette.datastructures import ImmutableMultiDict
from twilio.twiml.voice_response import VoiceResponse

from ava_app import routes
from ava_app.db import on_commit
from ava_app.languages import is_supported
from ava_app.models import Assistant, Call, PhoneNumber, Tenant, WebhookEvent, utcnow
from ava_app.services import credentials, live_updates, reach
from ava_app.services.billing.subscriptions import call_policy
from ava_app.services.business_hours import HoursStatus, business_hours_status
from ava_app.services.call_blocking import BLOCKED_CALL_VALUES, is_blocked
from ava_app.services.caller_phrases import closed_greeting, language_for, phrase
from ava_app.services.db_races import run_with_race_retries
from ava_app.services.errors import DomainError
from ava_app.services.ingest.calls import STATUS_ORDER
from ava_app.services.ingest.events import IN_FLIGHT_GRACE, StoredEvent
from ava_app.services.ingest.payloads import storable_text
from ava_app.services.providers import twilio
from ava_app.services.providers.vapi import vapi_endpoint
from ava_app.settings import get_settings
from ava_app.task_queue import enqueue

log = logging.getLogger(__name__)

T = TypeVar("T")

PROVIDER = "twilio"
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
# Twilio's CallStatus -> AVA's call status (``STATUS_ORDER``); initiated/answered are the outbound event names.
CALL_STATUSES = {
    "queued": "queued",
    "initiated": "queued",
    "ringing": "ringing",
    "in-progress": "in-progress",
    "answered": "in-progress",
    "completed": "ended",
    "busy": "ended",
    "no-answer": "ended",
    "failed": "ended",
    "canceled": "ended",
}
# A call that ended without being answered: nobody spoke with the caller, or it never connected.
UNANSWERED_OUTCOMES = {"busy": "missed", "no-answer": "missed", "canceled": "missed", "failed": "failed"}
# Vapi's endpoint for Twilio numbers (what it writes into a number's voice URL on import). ⚠ Public Vapi path, not in
# the offline contract; see ``voice_twiml``.
VAPI_TWILIO_INBOUND_PATH = "/twilio/inbound_call"
FORWARD_TIMEOUT_SECONDS = 30
VOICEMAIL_MAX_SECONDS = 120
VOICEMAIL_SILENCE_SECONDS = 5
# The one voice of <Say> that speaks every locale below (Twilio's "man"/"woman" only know a few languages).
SAY_VOICE = "alice"
SAY_LOCALES = {"en": "en-US", "fr": "fr-FR"}
_MAX_FORM_FIELDS = 500
_CALL_SID = re.compile(r"CA[0-9A-Za-z]{8,62}")


class InvalidTwilioPayload(DomainError):
    """The request body is not a Twilio voice webhook form."""

    status_code = 400
    code = "invalid_payload"


@dataclass(frozen=True)
class TwilioForm:
    """A webhook's form body: every (name, value) pair as sent, all of them signed, and the text to store."""

    pairs: tuple[tuple[str, str], ...]
    raw: str

    def get(self, name: str) -> str:
        """The first value of ``name``, stripped and storable (NUL replaced by U+FFFD); "" when absent."""
        # The pairs stay as sent: the signature covers them byte for byte.
        return storable_text(next((value.strip() for key, value in self.pairs if key == name), ""))

    @property
    def params(self) -> ImmutableMultiDict:
        """The fields for ``RequestValidator``, repeated names included."""
        return ImmutableMultiDict(self.pairs)


@dataclass(frozen=True)
class VoiceAnswer:
    """How AVA answered an incoming call: the TwiML, the route taken and what was stored."""

    twiml: str
    # "ai", "forward", "voicemail", "blocked" (block list), "paused" (billing, after grace) or "unknown" (no AVA number)
    route: str
    event_id: int | None = None
    duplicate: bool = False
    call_id: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class StatusResult:
    """What a status callback, or the voicemail's <Record> action, did to its call."""

    twiml: str
    event_id: int | None = None
    duplicate: bool = False
    call_id: int | None = None
    status: str | None = None  # the call's AVA status afterwards; None when the event changed no call
    call_ended: bool = False  # this event ended the call: post-call work is due
    error: str | None = None


@dataclass(frozen=True)
class _Applied:
    tenant_id: int | None
    call_id: int | None = None
    status: str | None = None
    call_ended: bool = False
    problem: str | None = None


# --- the form and its signature -----------------------------------------------------------------------------------


def parse_twilio_form(raw: bytes, *, content_type: str = "") -> TwilioForm:
    """The form of a webhook body; raises ``InvalidTwilioPayload`` with a message fit for a 400 answer."""
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type and media_type != FORM_MEDIA_TYPE:
        raise InvalidTwilioPayload(f"Twilio voice webhooks are form posts ({FORM_MEDIA_TYPE}), not {media_type}.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidTwilioPayload("Body is not UTF-8 text.") from None
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), max_num_fields=_MAX_FORM_FIELDS)
    except ValueError:
        raise InvalidTwilioPayload("Body is not a form of name=value pairs joined by '&'.") from None
    # Stored as text: a raw NUL (PostgreSQL text cannot hold one) becomes U+FFFD there, never in the signed pairs.
    return TwilioForm(pairs=tuple(pairs), raw=storable_text(text))


def our_number(form: TwilioForm) -> str:
    """AVA's side of the call: the called number of an inbound call, the calling one of an outbound call."""
    return form.get("From") if form.get("Direction").startswith("outbound") else form.get("To")


def find_call_number(session: Session, *, form: TwilioForm) -> PhoneNumber | None:
    """AVA's active number in this webhook (by E.164), preferring the one held in the sending Twilio account."""
    e164 = our_number(form)
    if not e164:
        return None
    numbers = session.exec(
        select(PhoneNumber)
        .where(PhoneNumber.e164 == e164, col(PhoneNumber.released_at).is_(None))
        .order_by(col(PhoneNumber.id).desc())
    ).all()
    account_sid = form.get("AccountSid")
    return next((number for number in numbers if number.twilio_account_sid == account_sid), None) or next(
        iter(numbers), None
    )


def signing_auth_token(session: Session, *, number: PhoneNumber | None) -> str | None:
    """The auth token Twilio signs this number's webhooks with: the token of the account that owns the number.

    That is the tenant's own Twilio account for a number imported from it, else the platform's account, else the
    sandbox emulator's (``twilio.resolve_credentials``). None when the tenant's credentials are gone or unreadable:
    such a webhook cannot be verified, so it is refused.
    """
    platform_sid, platform_token = twilio.resolve_credentials()
    if number is None or not number.twilio_account_sid or number.twilio_account_sid == platform_sid:
        return platform_token
    try:
        own = credentials.get_credential(session, tenant_id=number.tenant_id, provider="twilio")
    except credentials.CredentialUnreadable:
        log.warning("number %s: the tenant's Twilio credentials are unreadable; its webhooks are refused", number.id)
        return None
    if not own or own.get("account_sid") != number.twilio_account_sid:
        return None
    return str(own.get("auth_token") or "") or None


def tenant_of_stored_event(session: Session, *, payload: str) -> int | None:
    """The organisation whose number a stored Twilio request is about, or None."""
    try:
        form = parse_twilio_form(payload.encode())
    except InvalidTwilioPayload:
        return None
    number = find_call_number(session, form=form)
    return number.tenant_id if number else None


def verify_signature(session: Session, *, form: TwilioForm, signature: str, path: str, query: str = "") -> bool:
    """True when ``signature`` signs ``PUBLIC_URL`` + ``path`` (+ query) and the form, for the number's account."""
    token = signing_auth_token(session, number=find_call_number(session, form=form))
    if not token or not signature:
        return False
    return twilio.validate_webhook_signature(
        path=path, query=query, params=form.params, signature=signature, auth_token=token
    )


def require_call_sid(form: TwilioForm) -> str:
    """The form's CallSid; ``InvalidTwilioPayload`` when it is missing or not a Twilio call SID."""
    call_sid = form.get("CallSid")
    if not call_sid:
        raise InvalidTwilioPayload("CallSid is missing.")
    if not _CALL_SID.fullmatch(call_sid):
        raise InvalidTwilioPayload("CallSid is not a Twilio call SID (CA followed by letters and digits).")
    return call_sid


# --- the raw event store ------------------------------------------------------------------------------------------


def event_dedupe_key(*, kind: str, form: TwilioForm) -> str:
    """Equal for redeliveries of one request, different for each distinct request about the same call.

    A call passes through each status once, so CallSid + status tells status callbacks apart. The voicemail's
    <Record> action (no ``CallbackSource``) is kept apart from the final callback, which may carry the same recording,
    and is keyed by its recording alone: one recording is one message, whatever ``CallStatus`` it came with, so the
    action the reconciliation rebuilds from Twilio's records and a late original are the same event.
    """
    if kind == "status" and is_recording_action(form):
        return ":".join([PROVIDER, form.get("CallSid"), "voicemail", form.get("RecordingSid")])[:200]
    parts = [PROVIDER, form.get("CallSid"), kind, form.get("CallStatus") or "-"]
    if kind == "status":
        parts.append(form.get("CallbackSource") or "action")
        parts.append(form.get("RecordingSid"))
    return ":".join(parts).rstrip(":")[:200]


def is_recording_action(form: TwilioForm) -> bool:
    """True for the voicemail's <Record> action: a recording and no ``CallbackSource`` (a status callback has one)."""
    return bool(form.get("RecordingSid")) and not form.get("CallbackSource")


def store_twilio_event(
    session: Session, *, form: TwilioForm, kind: str, event_type: str, tenant_id: int | None, now: datetime
) -> StoredEvent:
    """Commit the raw form under its dedupe key; a redelivery finds the first copy instead.

    ``needs_retry`` is set when the first copy failed, or was never applied and is older than the in-flight grace.
    """
    key = event_dedupe_key(kind=kind, form=form)
    event = WebhookEvent(
        tenant_id=tenant_id,
        provider=PROVIDER,
        event_type=event_type[:60],
        dedupe_key=key,
        provider_call_id=form.get("CallSid")[:64] or None,
        payload=form.raw,
        received_at=now,
    )
    session.add(event)
    try:
        session.commit()
        assert event.id is not None, "the commit gave the event its id"
        return StoredEvent(event_id=event.id, fresh=True, needs_retry=False)
    except IntegrityError:
        session.rollback()
    first = session.exec(select(WebhookEvent).where(WebhookEvent.dedupe_key == key)).one()
    received = _aware(first.received_at)
    abandoned = first.processed_at is None and now - received > IN_FLIGHT_GRACE
    assert first.id is not None, "a stored event has an id"
    return StoredEvent(event_id=first.id, fresh=False, needs_retry=first.error is not None or abandoned)


def voice_route(session: Session, *, call_sid: str) -> str | None:
    """How AVA answered this call's voice webhook ("ai", "forward", "voicemail", "unknown"); None if it never did."""
    event_type = session.exec(
        select(WebhookEvent.event_type)
        .where(
            WebhookEvent.provider_call_id == call_sid,
            WebhookEvent.provider == PROVIDER,
            col(WebhookEvent.event_type).startswith("voice:"),
        )
        .order_by(col(WebhookEvent.id))
    ).first()
    return event_type.partition(":")[2] if event_type else None


# --- incoming calls -----------------------------------------------------------------------------------------------


def choose_route(*, number: PhoneNumber, assistant: Assistant | None, hours: HoursStatus) -> str:
    """How a call to ``number`` is answered now: "ai" (hand it to Vapi), "forward" or "voicemail".

    The owner's rules are those Vapi's assistant-request follows (``ingest.inbound``): inside business hours, or outside
    them when the owner chose "AI answers anyway", the assistant; otherwise the after-hours action, a forward without
    a forwarding number being a voicemail. The assistant is only reachable when the number was imported into Vapi and
    the assistant synced there; failing that a forward, or a voicemail, is better than a dead line.
    """
    fallback = "forward" if number.forwarding_number else "voicemail"
    if hours.is_open or number.after_hours_action == "ai":
        reachable = bool(number.provider_number_id and assistant and assistant.provider_assistant_id)
        return "ai" if reachable else fallback
    return fallback if number.after_hours_action == "forward" else "voicemail"


def answer_incoming_call(session: Session, *, form: TwilioForm, now: datetime | None = None) -> VoiceAnswer:
    """Store an incoming call's voice webhook, then answer it with TwiML as the number's owner configured.

    The signature must have been checked (``verify_signature``). A call AVA answers itself (forward, voicemail) gets
    its ``Call`` row here, keyed by the CallSid; a call handed to Vapi gets none (Vapi's webhooks create it). A
    redelivered webhook is answered again, with no second row. Raises ``InvalidTwilioPayload`` for a form without
    CallSid or To; any other failure after storing is recorded on the event and the TwiML still returned.
    """
    now = now or utcnow()
    call_sid = require_call_sid(form)
    if not form.get("To"):
        raise InvalidTwilioPayload("To is missing.")
    number = find_call_number(session, form=form)
    stored = store_twilio_event(
        session, form=form, kind="voice", event_type="voice", tenant_id=number.tenant_id if number else None, now=now
    )
    if number is None:
        twiml = spoken_twiml(phrase("en", "not_in_service"), language="en")
        if stored.needs_apply:
            _mark_processed(session, event_id=stored.event_id, event_type="voice:unknown", problem=_NOT_OURS)
        return VoiceAnswer(twiml=twiml, route="unknown", event_id=stored.event_id, duplicate=not stored.fresh)
    tenant = session.get(Tenant, number.tenant_id)
    assistant = session.get(Assistant, number.assistant_id) if number.assistant_id else None
    hours = business_hours_status(
        business_hours=number.business_hours,
        holidays=number.holidays,
        timezone=tenant.timezone if tenant else "UTC",
        at=now,
    )
    if tenant is not None and is_blocked(session, tenant=tenant, caller=form.get("From")):
        # On the block list: a goodbye and <Hangup/>, never handed to Vapi (so no model runs).
        route = "blocked"
        twiml = spoken_twiml(
            phrase(language_for(assistant, tenant), "blocked"), language=language_for(assistant, tenant)
        )
    else:
        route = choose_route(number=number, assistant=assistant, hours=hours)
        # After a billing grace period, decided at the call's start only: a recorded message, or a goodbye.
        policy = call_policy(session, tenant_id=tenant.id, now=now) if tenant is not None and tenant.id else "normal"
        if policy == "pause":
            route = "paused"
            language = language_for(assistant, tenant)
            twiml = spoken_twiml(phrase(language, "paused"), language=language)
        else:
            route = "voicemail" if policy == "messages_only" else route
            twiml = voice_twiml(route=route, number=number, assistant=assistant, tenant=tenant)
    if not stored.needs_apply:
        return VoiceAnswer(twiml=twiml, route=route, event_id=stored.event_id, duplicate=True)
    call_values = None
    if route != "ai":
        call_values = {
            "tenant_id": number.tenant_id,
            "provider_call_id": call_sid,
            "assistant_id": assistant.id if assistant else None,
            "phone_number_id": number.id,
            "call_type": "inbound",
            "direction": "inbound",
            "caller_number": _short(form.get("From")),
            "called_number": _short(form.get("To")),
            "status": _live_status(form.get("CallStatus")),
            # The route is known now; the end of the call settles a voicemail that was never left as missed.
            "outcome": "forwarded" if route == "forward" else None,
            "started_at": now,
            "created_at": now,
            "updated_at": now,
        }
        if route == "blocked":
            call_values.update(BLOCKED_CALL_VALUES)
    try:
        call_id = _run_committed(
            session,
            lambda: _record_answer(
                session,
                call_values=call_values,
                event_id=stored.event_id,
                route=route,
                forwarded=(number.id, form.get("ForwardedFrom"), form.get("From")),
            ),
        )
    except Exception as exc:
        error = _failure(session, event_id=stored.event_id, exc=exc, what=f"voice webhook of {call_sid}")
        return VoiceAnswer(twiml=twiml, route=route, event_id=stored.event_id, duplicate=not stored.fresh, error=error)
    return VoiceAnswer(twiml=twiml, route=route, event_id=stored.event_id, duplicate=not stored.fresh, call_id=call_id)


def _record_answer(
    session: Session,
    *,
    call_values: dict[str, Any] | None,
    event_id: int,
    route: str,
    forwarded: tuple[int | None, str, str] = (None, "", ""),
) -> int | None:
    """Create the call AVA answers itself (unless a redelivery or a status callback already did) and mark the event.

    ``forwarded`` is the number called, Twilio's ``ForwardedFrom`` and the caller (``From``): during the owner's
    forwarding check, a call forwarded from their existing line confirms the forwarding, whichever route answers it
    (``reach.note_forwarded_call`` has the rules)."""
    number_id, forwarded_from, caller = forwarded
    if number_id is not None and forwarded_from:
        reach.note_forwarded_call(session, phone_number_id=number_id, forwarded_from=forwarded_from, caller=caller)
    call_id = None
    if call_values is not None:
        call_id = session.exec(select(Call.id).where(Call.provider_call_id == call_values["provider_call_id"])).first()
        if call_id is None:
            call_id = _add_call(session, call_values)
    _mark_processed(session, event_id=event_id, event_type=f"voice:{route}", commit=False)
    return call_id


def voice_twiml(*, route: str, number: PhoneNumber, assistant: Assistant | None, tenant: Tenant | None) -> str:
    """The TwiML for ``route``, spoken in the assistant's language (else the organisation's)."""
    language = language_for(assistant, tenant)
    response = VoiceResponse()
    if route == "ai":
        # Normally Twilio never asks AVA about these calls: importing a number into Vapi rewrites its voice URL to
        # Vapi's own endpoint (vapi.md §2.2), and Vapi answers. AVA is asked when the number's voice URL points here
        # (webhooks reset to AVA's, or set before the import). <Redirect> hands this same call, same CallSid and
        # the same signed parameters (To, AccountSid), to Vapi's Twilio endpoint, as if Twilio had called Vapi first;
        # a <Dial> would open a second call leg to a number that rings AVA again. ⚠ The endpoint path is Vapi's
        # public one but not in the offline contract, and the Vapi emulator does not serve it.
        response.redirect(vapi_endpoint().base_url + VAPI_TWILIO_INBOUND_PATH, method="POST")
    elif route == "forward":
        response.say(phrase(language, "hold"), language=say_locale(language), voice=SAY_VOICE)
        response.dial(number.forwarding_number, timeout=FORWARD_TIMEOUT_SECONDS)
        response.hangup()
    else:
        response.say(
            voicemail_greeting(number=number, assistant=assistant, tenant=tenant, language=language),
            language=say_locale(language),
            voice=SAY_VOICE,
        )
        # The action brings the recording to the status route (it answers <Hangup/>). Without an action Twilio would
        # request this voice URL again and replay the greeting; with no audio recorded it skips the action and runs
        # the <Hangup/> below.
        response.record(
            action=get_settings().public_url + routes.api(routes.TWILIO_STATUS_WEBHOOK),
            method="POST",
            max_length=VOICEMAIL_MAX_SECONDS,
            timeout=VOICEMAIL_SILENCE_SECONDS,
            finish_on_key="#",
            play_beep=True,
        )
        response.hangup()
    return str(response)


def spoken_twiml(text: str, *, language: str = "en") -> str:
    """TwiML that says ``text`` and hangs up (unknown number, AVA unavailable)."""
    response = VoiceResponse()
    response.say(text, language=say_locale(language), voice=SAY_VOICE)
    response.hangup()
    return str(response)


def voicemail_greeting(
    *, number: PhoneNumber, assistant: Assistant | None, tenant: Tenant | None, language: str = "en"
) -> str:
    """What the caller hears before the tone: the number's message, else the assistant's, else AVA's in ``language``."""
    own = (number.voicemail_message or "").strip() or ((assistant.voicemail_message or "").strip() if assistant else "")
    if own:
        return own
    return closed_greeting(language, business=tenant.name if tenant else "", after_tone=True)


def say_locale(language: str | None) -> str:
    """The <Say> locale for an AVA language: "fr" -> "fr-FR", "fr-ca" -> "fr-CA"; one AVA does not speak -> "en-US"."""
    value = (language or "en").strip().replace("_", "-")
    if not is_supported(value):
        return SAY_LOCALES["en"]
    if re.fullmatch(r"[A-Za-z]{2}-[A-Za-z]{2}", value):
        return f"{value[:2].lower()}-{value[3:].upper()}"
    return SAY_LOCALES.get(value[:2].lower(), "en-US")


# --- status callbacks ---------------------------------------------------------------------------------------------


def apply_call_status(session: Session, *, form: TwilioForm, now: datetime | None = None) -> StatusResult:
    """Store a status callback (or the voicemail's <Record> action), then move its call along; idempotent.

    The signature must have been checked (``verify_signature``). Statuses only move forward (``STATUS_ORDER``), so a
    late "ringing" never reopens a completed call and a redelivery changes nothing. A call AVA has no row for yet is
    created for the number's tenant, except one handed to Vapi, which Vapi's webhooks keep.

    ``StatusResult.call_ended`` says this event ended the call: the caller enqueues its summary and email (once the
    request's transaction is over, as for Vapi's reports). Raises ``InvalidTwilioPayload`` for a form without CallSid,
    or without CallStatus and recording; any other failure after storing is recorded on the event and returned in
    ``error``.
    """
    now = now or utcnow()
    call_sid = require_call_sid(form)
    call_status = form.get("CallStatus")
    recording_action = is_recording_action(form)
    if not call_status and not recording_action:
        raise InvalidTwilioPayload("CallStatus is missing.")
    twiml = _hangup_twiml() if recording_action else str(VoiceResponse())
    event_type = "voicemail" if recording_action else f"status:{call_status}"
    stored = store_twilio_event(session, form=form, kind="status", event_type=event_type, tenant_id=None, now=now)
    if not stored.needs_apply:
        return StatusResult(twiml=twiml, event_id=stored.event_id, duplicate=True)
    try:
        applied = _run_committed(session, lambda: _apply_status(session, form=form, event_id=stored.event_id, now=now))
    except Exception as exc:
        error = _failure(session, event_id=stored.event_id, exc=exc, what=f"status callback of {call_sid}")
        return StatusResult(twiml=twiml, event_id=stored.event_id, duplicate=not stored.fresh, error=error)
    if applied.call_id is not None:
        live_updates.publish_calls_changed(
            session.exec(select(col(Call.tenant_id)).where(col(Call.id) == applied.call_id)).first()
        )
    return StatusResult(
        twiml=twiml,
        event_id=stored.event_id,
        duplicate=not stored.fresh,
        call_id=applied.call_id,
        status=applied.status,
        call_ended=applied.call_ended,
        error=applied.problem,
    )


def _apply_status(session: Session, *, form: TwilioForm, event_id: int, now: datetime) -> _Applied:
    call_sid = form.get("CallSid")
    route = voice_route(session, call_sid=call_sid)
    row = session.exec(select(Call.id, Call.tenant_id).where(Call.provider_call_id == call_sid)).first()
    if row is not None:
        # The signature proves the sender holds the token of the number's account, not that the CallSid is one of
        # that account's calls: an organisation on its own Twilio account could otherwise sign a callback naming
        # another organisation's call.
        number = find_call_number(session, form=form)
        if number is not None and number.tenant_id != row[1]:
            _mark_processed(session, event_id=event_id, tenant_id=number.tenant_id, problem=_OTHER_TENANT, commit=False)
            return _Applied(tenant_id=number.tenant_id, problem=_OTHER_TENANT)
    if row is None:
        owner = _owner_of_new_call(session, form=form, route=route)
        if isinstance(owner, _Applied):
            _mark_processed(session, event_id=event_id, tenant_id=owner.tenant_id, problem=owner.problem, commit=False)
            return owner
        row = (_insert_call(session, number=owner, form=form, now=now), owner.tenant_id)
    call_id, tenant_id = row
    # Locking the row first (a no-op write) makes the read below and the write after it one step.
    current = (
        session.connection()
        .execute(
            update(Call)
            .where(col(Call.id) == call_id)
            .values(updated_at=now)
            .returning(
                col(Call.status),
                col(Call.outcome),
                col(Call.recording_url),
                col(Call.started_at),
                col(Call.ended_at),
                col(Call.duration_seconds),
                col(Call.ended_reason),
                col(Call.provider_analysis),
            )
        )
        .one()
    )
    values, ended_now = status_changes(current._asdict(), form=form, route=route, now=now)
    if values:
        session.connection().execute(update(Call).where(col(Call.id) == call_id).values(**values))
    if values.get("outcome") == "voicemail" and current.outcome == "missed":
        # The message came after the call was settled as missed: those told of a missed call hear of it.
        on_commit(session, lambda: enqueue("send_late_voicemail_emails", call_id))
    _mark_processed(session, event_id=event_id, tenant_id=tenant_id, commit=False)
    return _Applied(
        tenant_id=tenant_id, call_id=call_id, status=values.get("status", current.status), call_ended=ended_now
    )


def _owner_of_new_call(session: Session, *, form: TwilioForm, route: str | None) -> PhoneNumber | _Applied:
    """The number a status callback's new call belongs to, or why no call is created for it."""
    number = find_call_number(session, form=form)
    if route == "ai":
        return _Applied(tenant_id=number.tenant_id if number else None)
    if number is None:
        return _Applied(tenant_id=None, problem=_NOT_OURS)
    inbound = not form.get("Direction").startswith("outbound")
    if inbound and route is None and number.provider_number_id:
        # The voice URL of a number imported into Vapi is Vapi's: Vapi answered and its webhooks keep this call.
        return _Applied(tenant_id=number.tenant_id)
    return number


def _insert_call(session: Session, *, number: PhoneNumber, form: TwilioForm, now: datetime) -> int:
    outbound = form.get("Direction").startswith("outbound")
    values = {
        "tenant_id": number.tenant_id,
        "provider_call_id": form.get("CallSid"),
        "assistant_id": number.assistant_id,
        "phone_number_id": number.id,
        "call_type": "outbound" if outbound else "inbound",
        "direction": "outbound" if outbound else "inbound",
        "caller_number": _short(form.get("From")),
        "called_number": _short(form.get("To")),
        "status": "queued",
        "created_at": now,
        "updated_at": now,
    }
    return _add_call(session, values)


def status_changes(current: dict[str, Any], *, form: TwilioForm, route: str | None, now: datetime) -> tuple[dict, bool]:
    """The column values a callback changes on a call in state ``current``, and whether it ends the call now.

    Forward only: the status moves only to a later position of ``STATUS_ORDER``; an ended call keeps its status,
    reason and outcome, and later callbacks only fill what is still empty (duration, recording).
    """
    call_status = form.get("CallStatus")
    target = CALL_STATUSES.get(call_status)
    moment = _rfc2822(form.get("Timestamp")) or now
    status = current["status"] if current["status"] in STATUS_ORDER else "queued"
    values: dict[str, Any] = {}
    recording = form.get("RecordingUrl")
    if recording and not current["recording_url"]:
        values["recording_url"] = recording[:1000]
    has_recording = bool(recording or current["recording_url"])
    advances = target is not None and STATUS_ORDER.index(target) > STATUS_ORDER.index(status)
    ended_now = advances and target == "ended"
    if advances:
        values["status"] = target
        if target != "ended" and current["started_at"] is None:
            values["started_at"] = moment
    if target == "ended":
        duration = int(form.get("CallDuration")) if form.get("CallDuration").isdigit() else None
        if duration is not None and current["duration_seconds"] is None:
            values["duration_seconds"] = duration
        if current["ended_at"] is None:
            values["ended_at"] = moment
        if current["started_at"] is None:
            values["started_at"] = moment - timedelta(seconds=duration or 0)
    if ended_now:
        outcome = end_outcome(call_status, route=route, outcome=current["outcome"], has_recording=has_recording)
        values["outcome"] = outcome
        values["ended_reason"] = current["ended_reason"] or f"twilio-{call_status}"
        # Final: no report will follow for a call Twilio ends, and the post-call sweep looks for this mark.
        values["provider_analysis"] = current["provider_analysis"] or {}
        if outcome in ("voicemail", "missed"):
            values["action_needed"] = True
    elif has_recording and status == "ended" and current["outcome"] == "missed" and route == "voicemail":
        # The recording arrived after the end of the call: a message was left after all.
        values["outcome"] = "voicemail"
    return values, ended_now


def end_outcome(call_status: str, *, route: str | None, outcome: str | None, has_recording: bool) -> str:
    """The outcome of a call Twilio reports ended with ``call_status``, given how AVA answered it."""
    if route == "blocked" or outcome == "blocked":
        return "blocked"
    if route == "paused":
        # Billing paused the line: to the owner, a call nobody took.
        return "missed"
    if call_status in UNANSWERED_OUTCOMES:
        return UNANSWERED_OUTCOMES[call_status]
    if route == "forward" or outcome == "forwarded":
        return "forwarded"
    if route == "voicemail":
        return "voicemail" if has_recording else "missed"
    return outcome or "answered"


# --- small parts --------------------------------------------------------------------------------------------------

_NOT_OURS = "no active AVA number in this call"
_OTHER_TENANT = "the call of this CallSid belongs to another organisation than the number in the callback"


def _mark_processed(
    session: Session,
    *,
    event_id: int,
    event_type: str | None = None,
    tenant_id: int | None = None,
    problem: str | None = None,
    commit: bool = True,
) -> None:
    values: dict[str, Any] = {"processed_at": utcnow(), "error": problem}
    if event_type is not None:
        values["event_type"] = event_type[:60]
    if tenant_id is not None:
        values["tenant_id"] = tenant_id
    session.connection().execute(update(WebhookEvent).where(col(WebhookEvent.id) == event_id).values(**values))
    if commit:
        session.commit()


def _add_call(session: Session, values: dict[str, Any]) -> int:
    """Insert a call row (model defaults included) and return its id."""
    call = Call(**values)
    session.add(call)
    # A concurrent request may insert the same CallSid first: IntegrityError here, and the retry finds its row.
    session.flush()
    assert call.id is not None, "the flush gave the call its id"
    return call.id


def _run_committed(session: Session, work: Callable[[], T]) -> T:
    """Run ``work`` and commit, retrying the races a second try resolves (same CallSid inserted twice, SQLite busy)."""

    def committed() -> T:
        result = work()
        session.commit()
        return result

    return run_with_race_retries(session, committed)


def _failure(session: Session, *, event_id: int, exc: Exception, what: str) -> str:
    """Keep a failed apply's error on its stored event (a redelivery retries it) and return it."""
    session.rollback()
    error = f"{type(exc).__name__}: {exc}"[:1000]
    log.exception("Twilio %s failed (event %s)", what, event_id)
    try:
        session.connection().execute(
            update(WebhookEvent)
            .where(col(WebhookEvent.id) == event_id)
            .values(error=error, attempts=WebhookEvent.attempts + 1)
        )
        session.commit()
    except Exception:
        session.rollback()
        log.exception("Could not record the error of webhook event %s", event_id)
    return error


def _hangup_twiml() -> str:
    response = VoiceResponse()
    response.hangup()
    return str(response)


def _live_status(call_status: str) -> str:
    """The status a call starts with when its voice webhook arrives (never ended: it is being answered)."""
    status = CALL_STATUSES.get(call_status)
    return status if status in ("queued", "ringing", "in-progress") else "ringing"


def _rfc2822(value: str) -> datetime | None:
    if not value:
        return None
    try:
        return _aware(parsedate_to_datetime(value))
    except (TypeError, ValueError):
        return None


def _aware(value: datetime) -> datetime:
    # SQLite hands datetimes back naive; AVA stores UTC everywhere, so naive means UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _short(value: str) -> str | None:
    return value[:20] or None

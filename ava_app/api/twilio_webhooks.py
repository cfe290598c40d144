"""Twilio webhooks: ``POST /api/v1/webhooks/twilio/voice`` answers incoming calls with TwiML, ``/status`` follows them.

Both are form posts signed with ``X-Twilio-Signature`` (``docs/contracts/twilio.md``); the signature is checked with the
auth token of the Twilio account that owns AVA's number in the call, over the URL Twilio was given (``PUBLIC_URL`` +
path + query). The business rules live in ``ava_app.services.twilio_voice``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session

from ava_app import routes
from ava_app.api.auth_deps import client_ip
from ava_app.api.webhooks import (
    MAX_BODY_BYTES,
    counters,
    get_on_call_ended,
    rate_limited,
    refusal_limit,
    run_webhook_work,
)
from ava_app.db import get_engine
from ava_app.observability import metrics
from ava_app.services import caller_phrases, twilio_voice
from ava_app.services.messaging import sms
from ava_app.services.twilio_voice import InvalidTwilioPayload, TwilioForm

log = logging.getLogger(__name__)

router = APIRouter(tags=["webhooks"])

TWIML_MEDIA_TYPE = "text/xml"
_SIGNATURE_HEADER = "x-twilio-signature"


def _refuse(status_code: int, counter: str, message: str) -> JSONResponse:
    counters.add(f"twilio_{counter}")
    metrics.record_webhook(provider="twilio", outcome="refused", reason=counter)
    return JSONResponse({"error": counter, "message": message}, status_code=status_code)


def _refuse_signature(ip: str, message: str) -> JSONResponse:
    """403 for a missing or wrong signature, or 429 once ``ip`` sent too many (blocking: run in a worker thread)."""
    limited = refusal_limit(ip)
    if limited is not None:
        counters.add("twilio_rate_limited")
        metrics.record_webhook(provider="twilio", outcome="refused", reason="rate_limited")
        return rate_limited(limited)
    return _refuse(403, "forbidden", message)


def _accepted(response: Response) -> Response:
    metrics.record_webhook(provider="twilio", outcome="accepted")
    return response


def _twiml(body: str) -> Response:
    return Response(body, media_type=TWIML_MEDIA_TYPE)


async def _signed_form(request: Request) -> tuple[TwilioForm, str] | JSONResponse:
    """The form and its signature, or the refusal: 403 unsigned, 413 over 1 MiB, 400 not a form."""
    signature = request.headers.get(_SIGNATURE_HEADER, "").strip()
    if not signature:
        return await run_in_threadpool(_refuse_signature, client_ip(request), "Missing X-Twilio-Signature header.")
    # Counted as it arrives, so a missing or lying Content-Length cannot get a larger body in.
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            return _refuse(413, "too_large", f"Body larger than {MAX_BODY_BYTES} bytes.")
    try:
        form = twilio_voice.parse_twilio_form(bytes(body), content_type=request.headers.get("content-type", ""))
    except InvalidTwilioPayload as exc:
        return _refuse(400, "invalid_payload", exc.message)
    return form, signature


def _answer_call(*, form: TwilioForm, signature: str, query: str, ip: str) -> Response:
    # One worker thread and one session for all the blocking work of a request.
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            signed = twilio_voice.verify_signature(
                session, form=form, signature=signature, path=routes.api(routes.TWILIO_VOICE_WEBHOOK), query=query
            )
        except Exception:
            log.exception("Could not check the signature of a Twilio voice webhook")
            return _refuse(503, "unavailable", "AVA cannot check this request right now; please retry.")
        if not signed:
            return _refuse_signature(ip, "X-Twilio-Signature does not match this request.")
        try:
            answer = twilio_voice.answer_incoming_call(session, form=form)
        except InvalidTwilioPayload as exc:
            return _refuse(400, "invalid_payload", exc.message)
        except Exception:
            # The call is ringing now: an apology is better for the caller than Twilio's application error.
            log.exception("Could not store a Twilio voice webhook")
            return _twiml(twilio_voice.spoken_twiml(caller_phrases.phrase("en", "unavailable")))
    return _accepted(_twiml(answer.twiml))


def _apply_status(
    *, form: TwilioForm, signature: str, query: str, ip: str, on_call_ended: Callable[[int], None]
) -> Response:
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            if not twilio_voice.verify_signature(
                session, form=form, signature=signature, path=routes.api(routes.TWILIO_STATUS_WEBHOOK), query=query
            ):
                return _refuse_signature(ip, "X-Twilio-Signature does not match this request.")
            result = twilio_voice.apply_call_status(session, form=form)
        except InvalidTwilioPayload as exc:
            return _refuse(400, "invalid_payload", exc.message)
        except Exception:
            # The service records apply errors itself; reaching here means the event could not even be stored.
            log.exception("Could not store a Twilio status callback")
            return _refuse(503, "unavailable", "AVA could not store this event; please retry.")
    # Enqueued once the call's end is committed; if the queue is unreachable, the post-call sweep finds the call.
    if result.call_ended and result.call_id is not None:
        try:
            on_call_ended(result.call_id)
        except Exception:
            log.exception("Could not enqueue post-call work for call %s; the sweep will", result.call_id)
    return _accepted(_twiml(result.twiml))


@router.post(routes.TWILIO_VOICE_WEBHOOK, response_model=None)
async def twilio_voice_webhook(request: Request) -> Response:
    """Answer an incoming call with TwiML: the AI (through Vapi), a forward or a voicemail, as the owner set it up.

    Auth: ``X-Twilio-Signature`` with the auth token of the account that owns the called number (the organisation's
    own Twilio account for imported numbers, else the platform's). 403 missing or wrong signature (nothing stored),
    429 once one address sent too many of those (``webhook_refused_ip``), 413 body over 1 MiB, 400 not a voice
    webhook form. A number AVA does not know is answered with a polite goodbye.
    """
    checked = await _signed_form(request)
    if isinstance(checked, JSONResponse):
        return checked
    form, signature = checked
    return await run_webhook_work(
        _answer_call, form=form, signature=signature, query=request.url.query, ip=client_ip(request)
    )


@router.post(routes.TWILIO_STATUS_WEBHOOK, response_model=None)
async def twilio_status_webhook(
    request: Request, on_call_ended: Callable[[int], None] = Depends(get_on_call_ended)
) -> Response:
    """Move a call along from Twilio's status callback, or keep the voicemail its <Record> action brings.

    Same auth and refusals as the voice webhook. Answers TwiML (Twilio ignores it for callbacks; for the recording
    action it hangs up). A call that ends here gets its summary and email through the post-call job.
    """
    checked = await _signed_form(request)
    if isinstance(checked, JSONResponse):
        return checked
    form, signature = checked
    return await run_webhook_work(
        _apply_status,
        form=form,
        signature=signature,
        query=request.url.query,
        ip=client_ip(request),
        on_call_ended=on_call_ended,
    )


def _apply_inbound_sms(*, form: TwilioForm, signature: str, query: str, ip: str) -> Response:
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            if not twilio_voice.verify_signature(
                session, form=form, signature=signature, path=routes.api(routes.TWILIO_SMS_WEBHOOK), query=query
            ):
                return _refuse_signature(ip, "X-Twilio-Signature does not match this request.")
            twiml = sms.handle_inbound_sms(session, form=form)
        except Exception:
            log.exception("Could not apply an inbound Twilio SMS")
            return _refuse(503, "unavailable", "AVA could not store this message; please retry.")
    return _accepted(_twiml(twiml))


@router.post(routes.TWILIO_SMS_WEBHOOK, response_model=None)
async def twilio_sms_webhook(request: Request) -> Response:
    """A text to one of AVA's numbers: STOP/START opt the sender out of (back into) that organisation's texts.

    Same auth and refusals as the voice webhook (signed with the auth token of the account owning the number the
    text was sent to). Answers TwiML: a reply with the business name to HELP, else an empty response.
    """
    checked = await _signed_form(request)
    if isinstance(checked, JSONResponse):
        return checked
    form, signature = checked
    return await run_webhook_work(
        _apply_inbound_sms, form=form, signature=signature, query=request.url.query, ip=client_ip(request)
    )

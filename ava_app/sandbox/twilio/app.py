"""A local Twilio emulator (REST 2010-04-01 numbers, calls, recordings; Verify v2; Pricing v1) for the ``twilio`` SDK.

It speaks the wire contract in ``docs/contracts/twilio.md``: same paths, Basic auth, snake_case JSON, paging envelope
and Twilio error codes (including the magic test inputs), so sandbox mode and tests exercise the real client code path.
Tests make it throttle or fail with ``emulator.fail_next(status=429, retry_after=2)`` (429, 500 or 503).
Mount it anywhere (AVA mounts it at ``/sandbox/twilio``) and point the SDK's domain base URLs at that prefix.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ava_app.languages import normalise
from ava_app.sandbox.twilio.state import (
    CALL_MESSAGES,
    CODE_MESSAGES,
    CODE_VALIDITY_SECONDS,
    E164,
    MAGIC_INVALID_NUMBER,
    MAGIC_UNAVAILABLE_NUMBER,
    MAX_CHECK_ATTEMPTS,
    MAX_MESSAGE_BODY,
    MAX_SEND_ATTEMPTS,
    PRICING,
    DeliverCode,
    EmulatorError,
    EmulatorHandler,
    Handler,
    TwilioEmulator,
    error_response,
    iso_time,
    new_sid,
)

logger = logging.getLogger(__name__)


def _page(request: Request, key: str, records: list[dict], path: str) -> dict:
    """The 2010 API paging envelope: one records key plus exactly the meta keys the SDK knows."""
    try:
        page_size = min(max(int(request.query_params.get("PageSize", 50)), 1), 1000)
        page = max(int(request.query_params.get("Page", 0)), 0)
    except ValueError as exc:
        raise EmulatorError(400, 20001, "Invalid paging parameter") from exc
    filters = {
        name: value for name, value in request.query_params.items() if name not in ("Page", "PageSize", "PageToken")
    }

    def uri(number: int) -> str:
        query = {**filters, "PageSize": page_size, "Page": number}
        if number:
            query["PageToken"] = f"PA{number}"
        return f"{path}?{urlencode(query)}"

    start = page * page_size
    chunk = records[start : start + page_size]
    has_next = start + page_size < len(records)
    return {
        key: chunk,
        "end": start + max(len(chunk), 1) - 1,
        "first_page_uri": uri(0),
        "next_page_uri": uri(page + 1) if has_next else None,
        "page": page,
        "page_size": page_size,
        "previous_page_uri": uri(page - 1) if page else None,
        "start": start,
        "uri": uri(page),
    }


async def fetch_account(emulator: TwilioEmulator, request: Request) -> Response:
    account_sid = emulator.authenticate_account(request)
    return JSONResponse(emulator.account_payload(account_sid))


async def available_local(emulator: TwilioEmulator, request: Request) -> Response:
    account_sid = emulator.authenticate_account(request)
    country = request.path_params["country"].upper()
    params = request.query_params
    try:
        page_size = min(max(int(params.get("PageSize", 50)), 1), 1000)
    except ValueError as exc:
        raise EmulatorError(400, 20001, "Invalid PageSize") from exc
    offer = emulator.available_numbers(
        country, area_code=params.get("AreaCode") or None, contains=params.get("Contains") or None
    )
    numbers = [number for _, number in zip(range(page_size), offer, strict=False)]
    path = f"/2010-04-01/Accounts/{account_sid}/AvailablePhoneNumbers/{country}/Local.json"
    uri = f"{path}?{request.url.query}" if request.url.query else path
    return JSONResponse({"available_phone_numbers": numbers, "uri": uri})


async def incoming_numbers(emulator: TwilioEmulator, request: Request) -> Response:
    account_sid = emulator.authenticate_account(request)
    if request.method == "GET":
        path = f"/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers.json"
        records = emulator._numbers(account_sid)
        wanted = request.query_params.get("PhoneNumber")
        if wanted:
            records = [record for record in records if wanted in record["phone_number"]]
        name = request.query_params.get("FriendlyName")
        if name:
            records = [record for record in records if name.lower() in (record["friendly_name"] or "").lower()]
        return JSONResponse(_page(request, "incoming_phone_numbers", records, path))
    form = await _text_form(request)
    record = emulator.number_payload(account_sid, _number_to_buy(emulator, form), form)
    emulator._save_number(record)
    return JSONResponse(record, status_code=201)


def _time_bound(value: str, *, end_of_day: bool, name: str) -> float:
    """A date filter (``StartTime``, ``DateCreated``) as epoch seconds: Twilio documents dates (``YYYY-MM-DD``); the
    SDK sends date-times."""
    try:
        if len(value) == 10:
            day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
            return (day + timedelta(days=1 if end_of_day else 0)).timestamp() - (1 if end_of_day else 0)
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError as exc:
        raise EmulatorError(400, 20001, f"Invalid {name} filter {value!r}") from exc


def _within_dates(request: Request, records: list[dict], *, name: str, key: str) -> list[dict]:
    """The records whose RFC 2822 ``key`` meets the ``name``, ``name>`` and ``name<`` filters (bounds included)."""
    query = request.query_params
    on, after, before = query.get(name), query.get(f"{name}>"), query.get(f"{name}<")
    if on:
        # That day (the SDK sends a date-time; Twilio reads its date).
        after = before = on[:10]
    if not (after or before):
        return records
    low = _time_bound(after, end_of_day=False, name=name) if after else float("-inf")
    high = _time_bound(before, end_of_day=True, name=name) if before else float("inf")
    return [record for record in records if low <= parsedate_to_datetime(record[key]).timestamp() <= high]


async def calls(emulator: TwilioEmulator, request: Request) -> Response:
    """GET Calls.json: the account's call records, newest first, filtered by To, From, Status and StartTime."""
    account_sid = emulator.authenticate_account(request)
    query = request.query_params
    records = emulator._calls(account_sid)
    for name, key in (("To", "to"), ("From", "from"), ("Status", "status")):
        if query.get(name):
            records = [record for record in records if record[key] == query[name]]
    records = _within_dates(request, records, name="StartTime", key="start_time")
    return JSONResponse(_page(request, "calls", records, f"/2010-04-01/Accounts/{account_sid}/Calls.json"))


async def recordings(emulator: TwilioEmulator, request: Request) -> Response:
    """GET Recordings.json: the account's recordings, newest first, filtered by CallSid and DateCreated."""
    account_sid = emulator.authenticate_account(request)
    records = emulator.recordings(account_sid)
    call_sid = request.query_params.get("CallSid")
    if call_sid:
        records = [record for record in records if record["call_sid"] == call_sid]
    records = _within_dates(request, records, name="DateCreated", key="date_created")
    path = f"/2010-04-01/Accounts/{account_sid}/Recordings.json"
    return JSONResponse(_page(request, "recordings", records, path))


async def call(emulator: TwilioEmulator, request: Request) -> Response:
    """GET Calls/{sid}.json: one call record of the account."""
    account_sid = emulator.authenticate_account(request)
    record = emulator._call(account_sid, request.path_params["sid"])
    if record is None:
        raise EmulatorError(404, 20404, f"The requested resource {request.url.path} was not found")
    return JSONResponse(record)


async def recording(emulator: TwilioEmulator, request: Request) -> Response:
    """GET or DELETE Recordings/{sid}.json: one recording of the account (DELETE answers 204, then 404 like Twilio)."""
    account_sid = emulator.authenticate_account(request)
    sid = request.path_params["sid"]
    record = emulator.recording(account_sid, sid)
    if record is None:
        raise EmulatorError(404, 20404, f"The requested resource {request.url.path} was not found")
    if request.method == "DELETE":
        emulator.delete_recording(sid)
        return Response(status_code=204)
    return JSONResponse(record)


async def _text_form(request: Request) -> dict[str, str]:
    """The request's form fields (Twilio's API posts no files)."""
    return {key: value for key, value in (await request.form()).items() if isinstance(value, str)}


def _number_to_buy(emulator: TwilioEmulator, form: Mapping[str, str]) -> str:
    """The number a purchase asks for: the one named (if free and valid), or the first offered in its area code."""
    phone_number, area_code = form.get("PhoneNumber", "").strip(), form.get("AreaCode", "").strip()
    if phone_number:
        if phone_number == MAGIC_UNAVAILABLE_NUMBER or phone_number in emulator._owned_numbers():
            raise EmulatorError(400, 21422, f"PhoneNumber {phone_number} is not available")
        if phone_number == MAGIC_INVALID_NUMBER or not E164.match(phone_number):
            raise EmulatorError(400, 21421, f"PhoneNumber {phone_number} is invalid")
        return phone_number
    if area_code:
        first = next(emulator.available_numbers("US", area_code=area_code, contains=None), None)
        if first is None:
            raise EmulatorError(400, 21452, f"No phone numbers found in area code {area_code}")
        return first["phone_number"]
    raise EmulatorError(400, 21421, "A PhoneNumber or AreaCode is required")


async def incoming_number(emulator: TwilioEmulator, request: Request) -> Response:
    account_sid = emulator.authenticate_account(request)
    sid = request.path_params["sid"]
    record = emulator._number(account_sid, sid)
    if record is None:
        raise EmulatorError(404, 20404, f"The requested resource {request.url.path} was not found")
    if request.method == "DELETE":
        emulator._delete_number(sid)
        return Response(status_code=204)
    if request.method == "POST":
        record = emulator.apply_number_form(record, await _text_form(request))
        emulator._save_number(record)
    return JSONResponse(record)


def _service(emulator: TwilioEmulator, request: Request) -> str:
    emulator.authenticate(request)
    service_sid = request.path_params["service_sid"]
    if service_sid not in emulator.verify_services:
        raise EmulatorError(404, 20404, f"The requested resource /Services/{service_sid} was not found")
    return service_sid


def _new_verification(service_sid: str, account_sid: str, to: str, channel: str, code: str, now: float) -> dict:
    """A pending verification with its code; the ``_`` keys stay in the emulator, never in a response."""
    sid = new_sid("VE")
    return {
        "sid": sid,
        "service_sid": service_sid,
        "account_sid": account_sid,
        "to": to,
        "channel": channel,
        "status": "pending",
        "valid": False,
        "lookup": {"carrier": None},
        "amount": None,
        "payee": None,
        "send_code_attempts": [],
        "date_created": iso_time(now),
        "date_updated": iso_time(now),
        "sna": None,
        "url": f"https://verify.twilio.com/v2/Services/{service_sid}/Verifications/{sid}",
        "_code": code,
        "_created": now,
        "_checks": 0,
    }


async def create_verification(emulator: TwilioEmulator, request: Request) -> Response:
    service_sid = _service(emulator, request)
    account_sid = emulator.authenticate(request)
    form = await _text_form(request)
    to, channel = form.get("To", "").strip(), form.get("Channel", "").strip()
    if not E164.match(to):
        raise EmulatorError(400, 60200, "Invalid parameter `To`")
    if channel not in ("sms", "call"):
        raise EmulatorError(400, 60200, "Invalid parameter `Channel`")
    now = emulator.clock()
    record = emulator._verification(service_sid, to)
    if record and record["status"] == "pending" and now - record["_created"] < CODE_VALIDITY_SECONDS:
        # Twilio re-sends the same code while it is valid, up to a limit.
        if len(record["send_code_attempts"]) >= MAX_SEND_ATTEMPTS:
            raise EmulatorError(429, 60203, "Max send attempts reached")
    else:
        code = form.get("CustomCode") or f"{secrets.randbelow(10**6):06d}"
        record = _new_verification(service_sid, account_sid, to, channel, code, now)
    record["channel"] = channel
    record["send_code_attempts"].append(
        {"attempt_sid": new_sid("VL"), "channel": channel, "time": iso_time(now).replace("Z", ".000Z")}
    )
    record["date_updated"] = iso_time(now)
    language = normalise(form.get("Locale"))
    if channel == "call":
        message = CALL_MESSAGES[language].format(digits=", ".join(record["_code"]))
    else:
        message = CODE_MESSAGES[language].format(code=record["_code"])
    try:
        await emulator.deliver(to, message, channel=channel)
    except Exception:
        logger.exception("Verify emulator could not deliver the code to %s", to)
        raise EmulatorError(500, 20500, "Internal Server Error") from None
    emulator._save_verification(record)
    return JSONResponse(emulator.verification_payload(record), status_code=201)


async def check_verification(emulator: TwilioEmulator, request: Request) -> Response:
    service_sid = _service(emulator, request)
    form = await _text_form(request)
    code = form.get("Code", "").strip()
    if not code:
        raise EmulatorError(400, 60200, "Invalid parameter `Code`")
    if form.get("VerificationSid"):
        record = emulator._verification_by_sid(service_sid, form["VerificationSid"])
    elif form.get("To"):
        record = emulator._verification(service_sid, form["To"].strip())
    else:
        raise EmulatorError(400, 60200, "Either a `To` or a `VerificationSid` must be specified")
    now = emulator.clock()
    if record and record["status"] == "pending" and now - record["_created"] >= CODE_VALIDITY_SECONDS:
        record["status"] = "expired"
        emulator._save_verification(record)
    if record is None or record["status"] not in ("pending", "max_attempts_reached"):
        raise EmulatorError(
            404, 20404, f"The requested resource /Services/{service_sid}/VerificationCheck was not found"
        )
    if record["_checks"] >= MAX_CHECK_ATTEMPTS:
        record["status"] = "max_attempts_reached"
        emulator._save_verification(record)
        raise EmulatorError(429, 60202, "Max check attempts reached")
    record["_checks"] += 1
    if secrets.compare_digest(code, record["_code"]):
        record["status"], record["valid"] = "approved", True
    record["date_updated"] = iso_time(now)
    emulator._save_verification(record)
    payload = emulator.verification_payload(record)
    for key in ("lookup", "send_code_attempts", "url", "sna"):
        payload.pop(key, None)
    payload["sna_attempts_error_codes"] = []
    return JSONResponse(payload)


async def pricing_country(emulator: TwilioEmulator, request: Request) -> Response:
    emulator.authenticate(request)
    country = request.path_params["country"].upper()
    if country not in PRICING:
        raise EmulatorError(404, 20404, f"The requested resource /PhoneNumbers/Countries/{country} was not found")
    name, price = PRICING[country]
    return JSONResponse(
        {
            "country": name,
            "iso_country": country,
            "phone_number_prices": [{"number_type": "local", "base_price": price, "current_price": price}],
            "price_unit": "USD",
            "url": f"https://pricing.twilio.com/v1/PhoneNumbers/Countries/{country}",
        }
    )


async def messages(emulator: TwilioEmulator, request: Request) -> Response:
    """GET Messages.json lists the account's messages (newest first); POST sends one from an owned number."""
    account_sid = emulator.authenticate_account(request)
    if request.method == "GET":
        records = emulator.messages(account_sid)
        for name, key in (("To", "to"), ("From", "from")):
            if request.query_params.get(name):
                records = [record for record in records if record[key] == request.query_params[name]]
        path = f"/2010-04-01/Accounts/{account_sid}/Messages.json"
        return JSONResponse(_page(request, "messages", records, path))
    form = await _text_form(request)
    to, from_, body = form.get("To", "").strip(), form.get("From", "").strip(), form.get("Body", "")
    if not to:
        raise EmulatorError(400, 21604, "A 'To' phone number is required.")
    if not E164.match(to):
        raise EmulatorError(400, 21211, f"Invalid 'To' Phone Number: {to}")
    if not from_:
        raise EmulatorError(400, 21603, "A 'From' phone number is required.")
    if emulator.sms_sender(account_sid, from_) is None:
        raise EmulatorError(
            400,
            21606,
            f"The 'From' phone number provided ({from_}) is not a valid message-capable Twilio phone number "
            "for this destination/account.",
        )
    if not body.strip():
        raise EmulatorError(400, 21602, "Message body is required.")
    if len(body) > MAX_MESSAGE_BODY:
        raise EmulatorError(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
    if emulator.opted_out(from_, to):
        raise EmulatorError(400, 21610, "Attempt to send to unsubscribed recipient")
    record = emulator.message_payload(
        account_sid,
        to=to,
        from_=from_,
        body=body,
        direction="outbound-api",
        status="queued",
        status_callback=form.get("StatusCallback") or None,
    )
    try:
        await emulator.deliver(to, body)
    except Exception:
        logger.exception("Twilio emulator could not deliver the message to %s", to)
        raise EmulatorError(500, 20500, "Internal Server Error") from None
    emulator.save_message(record)
    return JSONResponse({key: value for key, value in record.items() if not key.startswith("_")}, status_code=201)


async def message(emulator: TwilioEmulator, request: Request) -> Response:
    """GET Messages/{sid}.json: one message of the account."""
    account_sid = emulator.authenticate_account(request)
    record = emulator.message(account_sid, request.path_params["sid"])
    if record is None:
        raise EmulatorError(404, 20404, f"The requested resource {request.url.path} was not found")
    return JSONResponse(record)


async def inbound_message(emulator: TwilioEmulator, request: Request) -> Response:
    """POST Sandbox/InboundMessages.json (the emulator's own, not Twilio's): a person texts ``Body`` from ``From`` to
    the account's number ``To``, as a carrier would hand it to Twilio. STOP-family words opt out as Twilio does, and
    the number's SmsUrl gets the signed inbound-message webhook. Lets a developer (and the browser tests) reply to AVA's
    texts in the sandbox."""
    account_sid = emulator.authenticate_account(request)
    form = await _text_form(request)
    to, from_, body = form.get("To", "").strip(), form.get("From", "").strip(), form.get("Body", "")
    if not E164.match(from_):
        raise EmulatorError(400, 21212, f"Invalid 'From' Phone Number: {from_}")
    number = emulator.number_by_phone(to)
    if number is None or number.get("account_sid") != account_sid:
        raise EmulatorError(404, 20404, f"{to} is not a number of this account")
    if not body.strip():
        raise EmulatorError(400, 21602, "Message body is required.")
    received = await emulator.receive_sms(from_, to, body)
    return JSONResponse({**received["message"], "webhook_status": received["status"]}, status_code=201)


_ACCOUNTS = "/2010-04-01/Accounts/{account_sid}"
ROUTES: tuple[tuple[str, EmulatorHandler, list[str]], ...] = (
    (_ACCOUNTS + ".json", fetch_account, ["GET"]),
    (_ACCOUNTS + "/AvailablePhoneNumbers/{country}/Local.json", available_local, ["GET"]),
    (_ACCOUNTS + "/IncomingPhoneNumbers.json", incoming_numbers, ["GET", "POST"]),
    (_ACCOUNTS + "/IncomingPhoneNumbers/{sid}.json", incoming_number, ["GET", "POST", "DELETE"]),
    (_ACCOUNTS + "/Calls.json", calls, ["GET"]),
    (_ACCOUNTS + "/Calls/{sid}.json", call, ["GET"]),
    (_ACCOUNTS + "/Recordings.json", recordings, ["GET"]),
    (_ACCOUNTS + "/Recordings/{sid}.json", recording, ["GET", "DELETE"]),
    (_ACCOUNTS + "/Messages.json", messages, ["GET", "POST"]),
    (_ACCOUNTS + "/Messages/{sid}.json", message, ["GET"]),
    (_ACCOUNTS + "/Sandbox/InboundMessages.json", inbound_message, ["POST"]),
    ("/v2/Services/{service_sid}/Verifications", create_verification, ["POST"]),
    ("/v2/Services/{service_sid}/VerificationCheck", check_verification, ["POST"]),
    ("/v1/PhoneNumbers/Countries/{country}", pricing_country, ["GET"]),
)


def _injectable(emulator: TwilioEmulator, handler: EmulatorHandler) -> Handler:
    # A scripted failure is served before authentication, as a throttling Twilio edge answers whoever calls.
    async def endpoint(request: Request) -> Response:
        return emulator.injected_failure() or await handler(emulator, request)

    return endpoint


async def _twilio_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, EmulatorError)
    return error_response(exc)


async def _unknown_route(request: Request, _exc: Exception) -> Response:
    # The SDK parses every error body as JSON, so unknown paths answer like Twilio does.
    return error_response(EmulatorError(404, 20404, f"The requested resource {request.url.path} was not found"))


def create_twilio_emulator(
    *,
    accounts: Mapping[str, str] | None = None,
    verify_services: Iterable[str] | None = None,
    db_path: str | Path | None = None,
    deliver_code: DeliverCode | None = None,
    clock: Callable[[], float] = time.time,
) -> Starlette:
    """Build the emulator ASGI app; its state is on ``app.state.emulator`` (a :class:`TwilioEmulator`).

    ``accounts`` maps SID to auth token (default: the sandbox account with this installation's token).
    ``deliver_code(to, body)`` receives every Verify code and every sent message (default: appended to
    ``emulator.delivered``).
    ``db_path`` keeps owned numbers across restarts.
    """
    emulator = TwilioEmulator(
        accounts=accounts, verify_services=verify_services, db_path=db_path, deliver_code=deliver_code, clock=clock
    )
    routes = [Route(path, _injectable(emulator, handler), methods=methods) for path, handler, methods in ROUTES]
    app = Starlette(
        routes=routes, exception_handlers={EmulatorError: _twilio_error, 404: _unknown_route, 405: _unknown_route}
    )
    app.state.emulator = emulator
    return app


def handset_reader(app: Starlette) -> Callable[[str], Awaitable[str | None]]:
    """Read what the phone at a number last received from this emulator (a text, or what a voice call said): the
    Vapi emulator's scripted caller reads a code this way, as a person reads their phone. Sandbox only."""
    emulator: TwilioEmulator = app.state.emulator

    async def read(number: str) -> str | None:
        received = await asyncio.to_thread(emulator.last_received, number)
        return received["body"] if received else None

    return read


def deliver_code_to_outbox(to: str, body: str) -> None:
    """Sandbox delivery hook: record each Verify code or sent SMS in AVA's outbox so /dev/outbox shows it.

    A text AVA's own SMS delivery is sending is already an outbox row (claimed by that attempt), so it is not
    recorded twice.
    """
    # Imported here so the emulator itself stays independent of AVA's database.
    from sqlmodel import col, select

    from ava_app.db import session_scope
    from ava_app.models import Outbox
    from ava_app.services.messaging.outbox import queue_message

    with session_scope() as session:
        sending = session.exec(
            select(Outbox.id).where(
                col(Outbox.channel) == "sms",
                col(Outbox.to) == to,
                col(Outbox.body_text) == body,
                col(Outbox.status) == "queued",
                col(Outbox.claimed_by).is_not(None),
            )
        ).first()
        if sending is None:
            queue_message(session, channel="sms", to=to, body_text=body)

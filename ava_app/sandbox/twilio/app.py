"""A local Twilio emulator (REST 2010-04-01, Verify v2, Pricing v1) that the real ``twilio`` SDK can talk to.

It speaks the wire contract in ``docs/contracts/twilio.md``: same paths, Basic auth, snake_case JSON, paging envelope
and Twilio error codes (including the magic test inputs), so sandbox mode and tests exercise the real client code path.
Tests make it throttle or fail with ``emulator.fail_next(status=429, retry_after=2)`` (429, 500 or 503).
Mount it anywhere (AVA mounts it at ``/sandbox/twilio``) and point the SDK's domain base URLs at that prefix.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import inspect
import json
import logging
import math
import re
import secrets
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ava_app.private_files import private_sqlite_file

logger = logging.getLogger(__name__)

# The sandbox account used when neither the tenant nor the platform configured Twilio. Its SID is an identifier (Twilio
# puts it in every webhook); its auth token is random per installation (``sandbox_keys``), never a constant.
SANDBOX_ACCOUNT_SID = "AC" + "5a4db0c0" * 4
SANDBOX_VERIFY_SERVICE_SID = "VA" + "5a4db0c0" * 4

CODE_VALIDITY_SECONDS = 600
MAX_CHECK_ATTEMPTS = 5
MAX_SEND_ATTEMPTS = 5

# Twilio's documented test inputs, so the same tests pass against real test credentials.
MAGIC_UNAVAILABLE_NUMBER = "+15005550000"
MAGIC_INVALID_NUMBER = "+15005550001"
MAGIC_NO_NUMBERS_AREA_CODE = "533"

E164 = re.compile(r"^\+[1-9]\d{6,14}$")

DeliverCode = Callable[[str, str], Any]
Handler = Callable[[Request], Awaitable[Response]]
EmulatorHandler = Callable[["TwilioEmulator", Request], Awaitable[Response]]

# What Twilio answers when it throttles or fails: HTTP status -> (Twilio error code, message).
INJECTABLE_ERRORS: dict[int, tuple[int, str]] = {
    429: (20429, "Too Many Requests"),
    500: (20500, "Internal Server Error"),
    503: (20503, "Service Unavailable"),
}


@dataclass(frozen=True)
class NumberBlock:
    """A fictional numbering range: ``#`` in the templates is filled with the same digits."""

    area: str
    e164: str
    national: str
    locality: str
    region: str


def _nanp(area: str, locality: str, region: str) -> NumberBlock:
    # 555-0100..0199 is the NANP range reserved for fiction in every area code.
    return NumberBlock(area, f"+1{area}55501##", f"({area}) 555-01##", locality, region)


CATALOG: dict[str, list[NumberBlock]] = {
    "US": [
        _nanp("415", "San Francisco", "CA"),
        _nanp("212", "New York", "NY"),
        _nanp("312", "Chicago", "IL"),
        _nanp("213", "Los Angeles", "CA"),
        _nanp("617", "Boston", "MA"),
        _nanp("305", "Miami", "FL"),
        _nanp("512", "Austin", "TX"),
    ],
    "CA": [_nanp("416", "Toronto", "ON"), _nanp("514", "Montreal", "QC"), _nanp("604", "Vancouver", "BC")],
    # Ofcom's drama ranges.
    "GB": [
        NumberBlock("20", "+442079460###", "020 7946 0###", "London", "ENG"),
        NumberBlock("161", "+441614960###", "0161 496 0###", "Manchester", "ENG"),
        NumberBlock("131", "+441314960###", "0131 496 0###", "Edinburgh", "SCT"),
    ],
    # ARCEP's ranges reserved for fiction.
    "FR": [
        NumberBlock("1", "+3319900####", "01 99 00 ## ##", "Paris", "IDF"),
        NumberBlock("4", "+3346571####", "04 65 71 ## ##", "Lyon", "ARA"),
    ],
    "ES": [
        NumberBlock("91", "+3491000####", "910 00 ## ##", "Madrid", "MD"),
        NumberBlock("93", "+3493000####", "930 00 ## ##", "Barcelona", "CT"),
    ],
    # Ranges the Bundesnetzagentur keeps for film and TV.
    "DE": [
        NumberBlock("30", "+493023125###", "030 23125###", "Berlin", "BE"),
        NumberBlock("40", "+494066969###", "040 66969###", "Hamburg", "HH"),
        NumberBlock("89", "+498999998###", "089 99998###", "München", "BY"),
    ],
    # ACMA's fictitious-use ranges.
    "AU": [
        NumberBlock("2", "+61255500###", "(02) 5550 0###", "Sydney", "NSW"),
        NumberBlock("3", "+61370100###", "(03) 7010 0###", "Melbourne", "VIC"),
    ],
}

# Monthly price of a local number, as the Pricing v1 API reports it (account currency USD).
PRICING: dict[str, tuple[str, str]] = {
    "US": ("United States", "1.15"),
    "CA": ("Canada", "1.15"),
    "GB": ("United Kingdom", "1.15"),
    "FR": ("France", "2.00"),
    "ES": ("Spain", "1.50"),
    "DE": ("Germany", "2.00"),
    "AU": ("Australia", "3.00"),
}

KEYPAD = {
    letter: str(digit)
    for digit, letters in enumerate(["", "", "abc", "def", "ghi", "jkl", "mno", "pqrs", "tuv", "wxyz"])
    for letter in letters
}

CODE_MESSAGES = {
    "en": "Your AVA verification code is: {code}",
    "fr": "Votre code de vérification AVA est : {code}",
    "es": "Tu código de verificación de AVA es: {code}",
}


class EmulatorError(Exception):
    """A Twilio error response: HTTP status, Twilio code and message."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class InjectedFailure:
    """One scripted error answer for the next request: HTTP status and the Retry-After to send (seconds), if any."""

    status: int
    retry_after: float | None = None


def _error_response(exc: EmulatorError, headers: Mapping[str, str] | None = None) -> JSONResponse:
    body = {
        "code": exc.code,
        "message": exc.message,
        "more_info": f"https://www.twilio.com/docs/errors/{exc.code}",
        "status": exc.status,
    }
    return JSONResponse(body, status_code=exc.status, headers=dict(headers or {}))


def _new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def _rfc2822(moment: float) -> str:
    return format_datetime(datetime.fromtimestamp(moment, UTC).replace(microsecond=0))


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fill(template: str, digits: str) -> str:
    filled = iter(digits)
    return "".join(next(filled) if char == "#" else char for char in template)


def _contains_pattern(contains: str) -> re.Pattern[str]:
    """Twilio's ``Contains`` syntax: digits or letters (keypad), ``*`` one digit, ``%`` any run, ``+``/``$`` anchors."""
    parts = []
    for index, char in enumerate(contains.lower()):
        if char == "+" and index == 0:
            parts.append(r"^\+")
        elif char == "$" and index == len(contains) - 1:
            parts.append("$")
        elif char == "*":
            parts.append(r"\d")
        elif char == "%":
            parts.append(r"\d*")
        elif char.isdigit():
            parts.append(char)
        elif char in KEYPAD:
            parts.append(KEYPAD[char])
        else:
            raise EmulatorError(400, 21421, f"Invalid Contains parameter: {contains}")
    return re.compile("".join(parts))


class TwilioEmulator:
    """State and handlers of one emulated Twilio: accounts, owned numbers, Verify services and pending codes."""

    def __init__(
        self,
        *,
        accounts: Mapping[str, str] | None = None,
        verify_services: Iterable[str] | None = None,
        db_path: str | Path | None = None,
        deliver_code: DeliverCode | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.accounts: dict[str, str] = dict(accounts or {SANDBOX_ACCOUNT_SID: _sandbox_auth_token()})
        self.verify_services: set[str] = set(verify_services or {SANDBOX_VERIFY_SERVICE_SID})
        self.delivered: list[tuple[str, str]] = []
        self.deliver_code: DeliverCode = deliver_code or self._remember_code
        self.clock = clock
        self.pending_failures: deque[InjectedFailure] = deque()
        self._lock = threading.Lock()
        if db_path is not None:
            private_sqlite_file(db_path)
        self._db = sqlite3.connect(str(db_path or ":memory:"), check_same_thread=False)
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS numbers (
                sid TEXT PRIMARY KEY, account_sid TEXT NOT NULL, phone_number TEXT NOT NULL UNIQUE,
                created REAL NOT NULL, body TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS verifications (
                service_sid TEXT NOT NULL, to_number TEXT NOT NULL, body TEXT NOT NULL,
                PRIMARY KEY (service_sid, to_number));
            """
        )
        self._db.commit()

    def add_account(self, account_sid: str, auth_token: str) -> None:
        """Accept another SID/token pair (tests register tenant accounts this way)."""
        self.accounts[account_sid] = auth_token

    def _remember_code(self, to: str, body: str) -> None:
        self.delivered.append((to, body))

    # --- failure injection ---------------------------------------------------------------------------------

    def fail_next(self, count: int = 1, *, status: int = 429, retry_after: float | None = None) -> None:
        """The next ``count`` requests (any route) answer ``status`` (429, 500 or 503) with Twilio's error body.

        ``retry_after`` adds a ``Retry-After`` header (whole seconds, rounded up), as a throttling Twilio may send.
        """
        if status not in INJECTABLE_ERRORS:
            raise ValueError(f"status must be one of {sorted(INJECTABLE_ERRORS)}")
        with self._lock:
            self.pending_failures.extend(InjectedFailure(status, retry_after) for _ in range(count))

    def reset_failures(self) -> None:
        """Forget failures that were scripted but not yet served."""
        with self._lock:
            self.pending_failures.clear()

    def injected_failure(self) -> Response | None:
        """The error answer scripted for this request, or None to serve it normally."""
        with self._lock:
            failure = self.pending_failures.popleft() if self.pending_failures else None
        if failure is None:
            return None
        code, message = INJECTABLE_ERRORS[failure.status]
        headers = {} if failure.retry_after is None else {"Retry-After": str(math.ceil(failure.retry_after))}
        return _error_response(EmulatorError(failure.status, code, message), headers)

    # --- storage -------------------------------------------------------------------------------------------

    def _numbers(self, account_sid: str) -> list[dict]:
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM numbers WHERE account_sid = ? ORDER BY rowid", (account_sid,)
            ).fetchall()
        return [json.loads(body) for (body,) in rows]

    def _number(self, account_sid: str, sid: str) -> dict | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM numbers WHERE account_sid = ? AND sid = ?", (account_sid, sid)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def _owned_numbers(self) -> set[str]:
        with self._lock:
            return {number for (number,) in self._db.execute("SELECT phone_number FROM numbers")}

    def _save_number(self, record: dict) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO numbers (sid, account_sid, phone_number, created, body) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(sid) DO UPDATE SET body = excluded.body",
                (record["sid"], record["account_sid"], record["phone_number"], self.clock(), json.dumps(record)),
            )
            self._db.commit()

    def _delete_number(self, sid: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM numbers WHERE sid = ?", (sid,))
            self._db.commit()

    def _verification(self, service_sid: str, to: str) -> dict | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM verifications WHERE service_sid = ? AND to_number = ?", (service_sid, to)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def _verification_by_sid(self, service_sid: str, sid: str) -> dict | None:
        with self._lock:
            rows = self._db.execute("SELECT body FROM verifications WHERE service_sid = ?", (service_sid,)).fetchall()
        return next((record for (body,) in rows if (record := json.loads(body))["sid"] == sid), None)

    def _save_verification(self, record: dict) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO verifications (service_sid, to_number, body) VALUES (?, ?, ?) "
                "ON CONFLICT(service_sid, to_number) DO UPDATE SET body = excluded.body",
                (record["service_sid"], record["to"], json.dumps(record)),
            )
            self._db.commit()

    # --- auth ----------------------------------------------------------------------------------------------

    def authenticate(self, request: Request) -> str:
        """The account SID of a valid Basic auth header, else Twilio's 401/20003."""
        header = request.headers.get("authorization", "")
        scheme, _, encoded = header.partition(" ")
        try:
            username, _, password = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            username = password = ""
        token = self.accounts.get(username)
        if scheme.lower() != "basic" or token is None or not secrets.compare_digest(token, password):
            raise EmulatorError(401, 20003, "Authenticate")
        return username

    def authenticate_account(self, request: Request) -> str:
        """Authenticate and require the account in the path to be the caller's own."""
        account_sid = self.authenticate(request)
        if request.path_params["account_sid"] != account_sid:
            raise EmulatorError(401, 20003, "Authenticate")
        return account_sid

    # --- payloads ------------------------------------------------------------------------------------------

    def account_payload(self, account_sid: str) -> dict:
        created = _rfc2822(self.clock())
        base = f"/2010-04-01/Accounts/{account_sid}"
        return {
            "sid": account_sid,
            "friendly_name": "AVA sandbox" if account_sid == SANDBOX_ACCOUNT_SID else f"Account {account_sid[-6:]}",
            "status": "active",
            "type": "Full",
            "owner_account_sid": account_sid,
            "auth_token": self.accounts[account_sid],
            "date_created": created,
            "date_updated": created,
            "uri": f"{base}.json",
            "subresource_uris": {
                "incoming_phone_numbers": f"{base}/IncomingPhoneNumbers.json",
                "available_phone_numbers": f"{base}/AvailablePhoneNumbers.json",
                "calls": f"{base}/Calls.json",
                "messages": f"{base}/Messages.json",
            },
        }

    def available_numbers(self, country: str, *, area_code: str | None, contains: str | None) -> Iterator[dict]:
        """Offer fictional numbers round-robin across the country's ranges, skipping owned ones."""
        blocks = CATALOG.get(country)
        if blocks is None:
            raise EmulatorError(404, 20404, f"The requested resource AvailablePhoneNumbers/{country} was not found")
        if area_code:
            if area_code == MAGIC_NO_NUMBERS_AREA_CODE:
                return
            blocks = [block for block in blocks if block.area == area_code]
            if not blocks and country in ("US", "CA"):
                blocks = [_nanp(area_code, "", "")]
        pattern = _contains_pattern(contains) if contains else None
        owned = self._owned_numbers()
        sizes = [10 ** block.e164.count("#") for block in blocks]
        for position in range(max(sizes, default=0)):
            for block, size in zip(blocks, sizes, strict=True):
                if position >= size:
                    continue
                # A stride coprime with the block size spreads the offer instead of listing 0100, 0101, 0102...
                digits = str((position * 37 + 11) % size).zfill(block.e164.count("#"))
                phone_number = _fill(block.e164, digits)
                if phone_number in owned or (pattern and not pattern.search(phone_number)):
                    continue
                yield {
                    "friendly_name": _fill(block.national, digits),
                    "phone_number": phone_number,
                    "lata": None,
                    "locality": block.locality or None,
                    "rate_center": block.locality.upper() or None,
                    "latitude": None,
                    "longitude": None,
                    "region": block.region or None,
                    "postal_code": None,
                    "iso_country": country,
                    "address_requirements": "none",
                    "beta": False,
                    "capabilities": {"voice": True, "SMS": True, "MMS": country in ("US", "CA"), "fax": False},
                }

    def number_payload(self, account_sid: str, phone_number: str, form: Mapping[str, str]) -> dict:
        now = _rfc2822(self.clock())
        sid = _new_sid("PN")
        record = {
            "sid": sid,
            "account_sid": account_sid,
            "phone_number": phone_number,
            "friendly_name": form.get("FriendlyName") or phone_number,
            "voice_url": None,
            "voice_method": "POST",
            "voice_fallback_url": None,
            "voice_fallback_method": "POST",
            "voice_caller_id_lookup": False,
            "voice_application_sid": None,
            "sms_url": None,
            "sms_method": "POST",
            "sms_fallback_url": None,
            "sms_fallback_method": "POST",
            "sms_application_sid": None,
            "status_callback": None,
            "status_callback_method": "POST",
            "capabilities": {"voice": True, "sms": True, "mms": phone_number.startswith("+1"), "fax": False},
            "address_requirements": "none",
            "beta": False,
            "origin": "twilio",
            "status": "in-use",
            "trunk_sid": None,
            "identity_sid": None,
            "address_sid": None,
            "bundle_sid": None,
            "emergency_status": "Inactive",
            "emergency_address_sid": None,
            "emergency_address_status": "unregistered",
            "voice_receive_mode": "voice",
            "api_version": "2010-04-01",
            "date_created": now,
            "date_updated": now,
            "uri": f"/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers/{sid}.json",
            "subresource_uris": {
                "assigned_add_ons": f"/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers/{sid}/AssignedAddOns.json"
            },
        }
        return self.apply_number_form(record, form)

    def apply_number_form(self, record: dict, form: Mapping[str, str]) -> dict:
        """Copy the writable PascalCase form fields onto the snake_case record."""
        fields = {
            "FriendlyName": "friendly_name",
            "VoiceUrl": "voice_url",
            "VoiceMethod": "voice_method",
            "VoiceFallbackUrl": "voice_fallback_url",
            "VoiceFallbackMethod": "voice_fallback_method",
            "SmsUrl": "sms_url",
            "SmsMethod": "sms_method",
            "SmsFallbackUrl": "sms_fallback_url",
            "SmsFallbackMethod": "sms_fallback_method",
            "StatusCallback": "status_callback",
            "StatusCallbackMethod": "status_callback_method",
            "VoiceApplicationSid": "voice_application_sid",
            "SmsApplicationSid": "sms_application_sid",
            "TrunkSid": "trunk_sid",
            "VoiceReceiveMode": "voice_receive_mode",
        }
        for form_name, key in fields.items():
            if form_name in form:
                # Twilio clears a URL when it is sent empty.
                record[key] = form[form_name] or None
        if "VoiceCallerIdLookup" in form:
            record["voice_caller_id_lookup"] = form["VoiceCallerIdLookup"].lower() == "true"
        record["date_updated"] = _rfc2822(self.clock())
        return record

    def verification_payload(self, record: dict) -> dict:
        public = {key: value for key, value in record.items() if not key.startswith("_")}
        return public

    async def deliver(self, to: str, body: str) -> None:
        """Hand the code to the delivery hook; a synchronous hook (a DB write) runs in a thread."""
        if inspect.iscoroutinefunction(self.deliver_code):
            await self.deliver_code(to, body)
        else:
            await asyncio.to_thread(self.deliver_code, to, body)


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
    form = dict(await request.form())
    record = emulator.number_payload(account_sid, _number_to_buy(emulator, form), form)
    emulator._save_number(record)
    return JSONResponse(record, status_code=201)


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
        record = emulator.apply_number_form(record, dict(await request.form()))
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
    sid = _new_sid("VE")
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
        "date_created": _iso(now),
        "date_updated": _iso(now),
        "sna": None,
        "url": f"https://verify.twilio.com/v2/Services/{service_sid}/Verifications/{sid}",
        "_code": code,
        "_created": now,
        "_checks": 0,
    }


async def create_verification(emulator: TwilioEmulator, request: Request) -> Response:
    service_sid = _service(emulator, request)
    account_sid = emulator.authenticate(request)
    form = dict(await request.form())
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
        {"attempt_sid": _new_sid("VL"), "channel": channel, "time": _iso(now).replace("Z", ".000Z")}
    )
    record["date_updated"] = _iso(now)
    language = (form.get("Locale") or "en")[:2].lower()
    message = CODE_MESSAGES.get(language, CODE_MESSAGES["en"]).format(code=record["_code"])
    try:
        await emulator.deliver(to, message)
    except Exception:
        logger.exception("Verify emulator could not deliver the code to %s", to)
        raise EmulatorError(500, 20500, "Internal Server Error") from None
    emulator._save_verification(record)
    return JSONResponse(emulator.verification_payload(record), status_code=201)


async def check_verification(emulator: TwilioEmulator, request: Request) -> Response:
    service_sid = _service(emulator, request)
    form = dict(await request.form())
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
    record["date_updated"] = _iso(now)
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


_ACCOUNTS = "/2010-04-01/Accounts/{account_sid}"
ROUTES: tuple[tuple[str, EmulatorHandler, list[str]], ...] = (
    (_ACCOUNTS + ".json", fetch_account, ["GET"]),
    (_ACCOUNTS + "/AvailablePhoneNumbers/{country}/Local.json", available_local, ["GET"]),
    (_ACCOUNTS + "/IncomingPhoneNumbers.json", incoming_numbers, ["GET", "POST"]),
    (_ACCOUNTS + "/IncomingPhoneNumbers/{sid}.json", incoming_number, ["GET", "POST", "DELETE"]),
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
    return _error_response(exc)


async def _unknown_route(request: Request, _exc: Exception) -> Response:
    # The SDK parses every error body as JSON, so unknown paths answer like Twilio does.
    return _error_response(EmulatorError(404, 20404, f"The requested resource {request.url.path} was not found"))


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
    ``deliver_code(to, body)`` receives every Verify code (default: appended to ``emulator.delivered``).
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


def _sandbox_auth_token() -> str:
    # Imported here: the installation's keys need AVA's settings, which a bare emulator in a test may not.
    from ava_app.services.providers.sandbox_keys import sandbox_keys

    return sandbox_keys().twilio_auth_token


def deliver_code_to_outbox(to: str, body: str) -> None:
    """Sandbox delivery hook: record the Verify SMS in AVA's outbox so /dev/outbox shows the code."""
    # Imported here so the emulator itself stays independent of AVA's database.
    from ava_app.db import session_scope
    from ava_app.services.messaging.outbox import queue_message

    with session_scope() as session:
        queue_message(session, channel="sms", to=to, body_text=body)

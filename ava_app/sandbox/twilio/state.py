"""The Twilio emulator's state: accounts, owned numbers, calls and recordings, Verify codes, the number catalogue and
injected failures."""

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
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ava_app.languages import Language
from ava_app.private_files import private_sqlite_file
from ava_app.services.providers.sandbox_keys import SANDBOX_ACCOUNT_SID, SANDBOX_VERIFY_SERVICE_SID

logger = logging.getLogger(__name__)


CODE_VALIDITY_SECONDS = 600
MAX_CHECK_ATTEMPTS = 5
MAX_SEND_ATTEMPTS = 5

# Twilio's documented test inputs, so the same tests pass against real test credentials.
MAGIC_UNAVAILABLE_NUMBER = "+15005550000"
MAGIC_INVALID_NUMBER = "+15005550001"
MAGIC_NO_NUMBERS_AREA_CODE = "533"

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# A call record in one of these statuses is over: Twilio will not change it again.
# Twilio's default opt-out handling on long codes: these words (alone, any case) opt the sender out of,
# or back into, texts from the number they wrote to; HELP gets an automatic answer.
OPT_OUT_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN_KEYWORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})
MAX_MESSAGE_BODY = 1600
CALL_FINAL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})

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

# The Verify text, in each language AVA speaks (the request's Locale; English for any other).
CODE_MESSAGES: dict[Language, str] = {
    "en": "Your AVA verification code is: {code}",
    "fr": "Votre code de vérification AVA est : {code}",
}
# What Verify says when it calls with the code (``Channel=call``): the digits one by one, twice.
CALL_MESSAGES: dict[Language, str] = {
    "en": "Hello, this is AVA. Your verification code is {digits}. Once again, your code is {digits}.",
    "fr": "Bonjour, ici AVA. Votre code de vérification est {digits}. Je répète, votre code est {digits}.",
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


def error_response(exc: EmulatorError, headers: Mapping[str, str] | None = None) -> JSONResponse:
    body = {
        "code": exc.code,
        "message": exc.message,
        "more_info": f"https://www.twilio.com/docs/errors/{exc.code}",
        "status": exc.status,
    }
    return JSONResponse(body, status_code=exc.status, headers=dict(headers or {}))


def public_record(record: dict) -> dict:
    """A stored record without the emulator's private ``_`` keys."""
    return {key: value for key, value in record.items() if not key.startswith("_")}


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def _rfc2822(moment: float) -> str:
    return format_datetime(datetime.fromtimestamp(moment, UTC).replace(microsecond=0))


def iso_time(moment: float) -> str:
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
            CREATE TABLE IF NOT EXISTS calls (
                sid TEXT PRIMARY KEY, account_sid TEXT NOT NULL, start_time REAL NOT NULL, body TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS recordings (
                sid TEXT PRIMARY KEY, account_sid TEXT NOT NULL, body TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS messages (
                sid TEXT PRIMARY KEY, account_sid TEXT NOT NULL, created REAL NOT NULL, body TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS opt_outs (
                sender TEXT NOT NULL, recipient TEXT NOT NULL, PRIMARY KEY (sender, recipient));
            CREATE TABLE IF NOT EXISTS received (
                to_number TEXT NOT NULL, channel TEXT NOT NULL, created REAL NOT NULL, body TEXT NOT NULL);
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
        return error_response(EmulatorError(failure.status, code, message), headers)

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

    def record_call(
        self,
        account_sid: str,
        *,
        to: str,
        from_: str,
        status: str,
        start_time: float,
        duration: int = 0,
        direction: str = "inbound",
        sid: str | None = None,
    ) -> dict:
        """Keep (or update) one call record, as Twilio logs every call to or from an account's numbers.

        Nothing places calls offline: tests and the sandbox write here what Twilio would have logged.
        """
        sid = sid or new_sid("CA")
        ended = status in CALL_FINAL_STATUSES
        base = f"/2010-04-01/Accounts/{account_sid}/Calls/{sid}"
        record = {
            "sid": sid,
            "account_sid": account_sid,
            "to": to,
            "to_formatted": to,
            "from": from_,
            "from_formatted": from_,
            "status": status,
            "direction": direction,
            "duration": str(duration) if ended else None,
            "start_time": _rfc2822(start_time),
            "end_time": _rfc2822(start_time + duration) if ended else None,
            "date_created": _rfc2822(start_time),
            "date_updated": _rfc2822(start_time + duration),
            "parent_call_sid": None,
            "phone_number_sid": None,
            "price": None,
            "price_unit": "USD",
            "api_version": "2010-04-01",
            "uri": base + ".json",
            "subresource_uris": {"recordings": base + "/Recordings.json", "events": base + "/Events.json"},
        }
        with self._lock:
            self._db.execute(
                "INSERT INTO calls (sid, account_sid, start_time, body) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(sid) DO UPDATE SET body = excluded.body, start_time = excluded.start_time",
                (sid, account_sid, start_time, json.dumps(record)),
            )
            self._db.commit()
        return record

    def record_recording(
        self, account_sid: str, call_sid: str, *, duration: int = 12, created: float | None = None
    ) -> dict:
        """Keep a recording of ``call_sid`` as a voicemail's <Record> leaves one; returns its record, whose
        ``media_url`` is the ``RecordingUrl`` Twilio's callback carries. ``created`` (epoch seconds, default now) is
        when the recording ended, its ``date_created``."""
        sid = new_sid("RE")
        now = self.clock() if created is None else created
        record = {
            "sid": sid,
            "account_sid": account_sid,
            "call_sid": call_sid,
            "status": "completed",
            "source": "RecordVerb",
            "channels": 1,
            "duration": str(duration),
            "date_created": _rfc2822(now),
            "date_updated": _rfc2822(now),
            "start_time": _rfc2822(now - duration),
            "price": None,
            "price_unit": "USD",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{account_sid}/Recordings/{sid}.json",
            "media_url": f"https://api.twilio.com/2010-04-01/Accounts/{account_sid}/Recordings/{sid}",
        }
        with self._lock:
            self._db.execute(
                "INSERT INTO recordings (sid, account_sid, body) VALUES (?, ?, ?)",
                (sid, account_sid, json.dumps(record)),
            )
            self._db.commit()
        return record

    def recordings(self, account_sid: str) -> list[dict]:
        """The account's recordings, newest first (Twilio's order for the Recordings list)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM recordings WHERE account_sid = ? ORDER BY rowid DESC", (account_sid,)
            ).fetchall()
        records = [json.loads(body) for (body,) in rows]
        # Stable: recordings created in the same second stay newest (last kept) first.
        return sorted(records, key=lambda record: parsedate_to_datetime(record["date_created"]), reverse=True)

    def recording(self, account_sid: str, sid: str) -> dict | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM recordings WHERE account_sid = ? AND sid = ?", (account_sid, sid)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def delete_recording(self, sid: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM recordings WHERE sid = ?", (sid,))
            self._db.commit()

    def _calls(self, account_sid: str) -> list[dict]:
        """The account's call records, newest first (Twilio's order for the Calls list)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM calls WHERE account_sid = ? ORDER BY start_time DESC, sid", (account_sid,)
            ).fetchall()
        return [json.loads(body) for (body,) in rows]

    def _call(self, account_sid: str, sid: str) -> dict | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM calls WHERE account_sid = ? AND sid = ?", (account_sid, sid)
            ).fetchone()
        return json.loads(row[0]) if row else None

    # --- messages (SMS) ------------------------------------------------------------------------------------

    def sms_sender(self, account_sid: str, from_: str) -> dict | None:
        """The account's SMS-capable incoming number ``from_``, or None (Twilio's error 21606)."""
        return next(
            (
                number
                for number in self._numbers(account_sid)
                if number["phone_number"] == from_ and number["capabilities"].get("sms")
            ),
            None,
        )

    def opted_out(self, sender: str, recipient: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM opt_outs WHERE sender = ? AND recipient = ?", (sender, recipient)
            ).fetchone()
        return row is not None

    def set_opt_out(self, sender: str, recipient: str, *, opted_out: bool) -> None:
        with self._lock:
            if opted_out:
                self._db.execute(
                    "INSERT OR IGNORE INTO opt_outs (sender, recipient) VALUES (?, ?)", (sender, recipient)
                )
            else:
                self._db.execute("DELETE FROM opt_outs WHERE sender = ? AND recipient = ?", (sender, recipient))
            self._db.commit()

    def message_payload(
        self,
        account_sid: str,
        *,
        to: str,
        from_: str,
        body: str,
        direction: str,
        status: str,
        status_callback: str | None = None,
    ) -> dict:
        """A Message resource as the 2010 API returns it; ``_status_callback`` stays in the emulator."""
        sid = new_sid("SM")
        now = _rfc2822(self.clock())
        base = f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}"
        return {
            "sid": sid,
            "account_sid": account_sid,
            "messaging_service_sid": None,
            "to": to,
            "from": from_,
            "body": body,
            "status": status,
            "direction": direction,
            "num_segments": str(max(1, -(-len(body) // 153) if len(body) > 160 else 1)),
            "num_media": "0",
            "error_code": None,
            "error_message": None,
            "price": None,
            "price_unit": "USD",
            "api_version": "2010-04-01",
            "date_created": now,
            "date_updated": now,
            "date_sent": now,
            "uri": base + ".json",
            "subresource_uris": {"media": base + "/Media.json", "feedback": base + "/Feedback.json"},
            "_status_callback": status_callback,
        }

    def save_message(self, record: dict) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO messages (sid, account_sid, created, body) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(sid) DO UPDATE SET body = excluded.body",
                (record["sid"], record["account_sid"], self.clock(), json.dumps(record)),
            )
            self._db.commit()

    def messages(self, account_sid: str) -> list[dict]:
        """The account's messages, newest first (Twilio's order for the Messages list), without private keys."""
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM messages WHERE account_sid = ? ORDER BY created DESC, rowid DESC", (account_sid,)
            ).fetchall()
        return [public_record(json.loads(body)) for (body,) in rows]

    def message(self, account_sid: str, sid: str) -> dict | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM messages WHERE account_sid = ? AND sid = ?", (account_sid, sid)
            ).fetchone()
        return public_record(json.loads(row[0])) if row else None

    def number_by_phone(self, phone_number: str) -> dict | None:
        with self._lock:
            row = self._db.execute("SELECT body FROM numbers WHERE phone_number = ?", (phone_number,)).fetchone()
        return json.loads(row[0]) if row else None

    async def receive_sms(self, from_: str, to: str, body: str, *, transport: Any = None) -> dict:
        """Simulate a text from ``from_`` to the owned number ``to``, as a carrier would hand it to Twilio.

        Applies Twilio's opt-out keywords (STOP family blocks ``to`` -> ``from_``, START family lifts it), records
        the inbound message and posts the signed inbound-message webhook to the number's SmsUrl. Returns
        ``{"message": record, "status": webhook HTTP status or None, "twiml": answer body}``.
        ``transport`` (an httpx transport) lets tests deliver the webhook to an in-process app.
        """
        number = self.number_by_phone(to)
        if number is None:
            raise ValueError(f"{to} is not a number of this emulator")
        keyword = body.strip().upper()
        if keyword in OPT_OUT_KEYWORDS:
            self.set_opt_out(to, from_, opted_out=True)
        elif keyword in OPT_IN_KEYWORDS:
            self.set_opt_out(to, from_, opted_out=False)
        account_sid = number["account_sid"]
        record = self.message_payload(
            account_sid, to=to, from_=from_, body=body, direction="inbound", status="received"
        )
        self.save_message(record)
        url = number.get("sms_url")
        if not url:
            return {"message": public_record(record), "status": None, "twiml": ""}
        params = {
            "MessageSid": record["sid"],
            "SmsSid": record["sid"],
            "SmsMessageSid": record["sid"],
            "AccountSid": account_sid,
            "MessagingServiceSid": "",
            "From": from_,
            "To": to,
            "Body": body,
            "NumMedia": "0",
            "NumSegments": "1",
            "SmsStatus": "received",
            "ApiVersion": "2010-04-01",
        }
        # An unreachable URL: Twilio logs it (its error 11200) and keeps the message; so does the emulator.
        status, twiml = await self.post_webhook(url, params, account_sid, transport)
        return {"message": public_record(record), "status": status, "twiml": twiml}

    # --- incoming calls (voice webhooks) ------------------------------------------------------------------

    async def receive_call(
        self,
        from_: str,
        to: str,
        *,
        message_seconds: int = 12,
        start: float | None = None,
        lose: Collection[str] = (),
        transport: Any = None,
    ) -> dict:
        """Simulate a call from ``from_`` to the owned number ``to`` as Twilio runs it, with its signed webhooks.

        Twilio asks the number's VoiceUrl for TwiML (``CallStatus=ringing``) and follows it: a ``<Record>`` keeps a
        recording of ``message_seconds`` (none when 0) and posts its ``action`` with ``RecordingSid``/``RecordingUrl``;
        then the call completes and the number's StatusCallback gets the final ``completed`` event. ``<Dial>`` and
        ``<Redirect>`` end the call as answered elsewhere; nothing else of TwiML is run.

        ``lose`` names the requests that never reach the application, as if it were down or the network cut them:
        ``"voice"``, ``"record_action"``, ``"status_callback"``. Twilio's records (the call, the recording) are kept
        all the same, as the real Twilio keeps them. ``start`` (epoch seconds, default now) is when the call rang.
        Returns ``{"call": record, "recording": record or None, "statuses": {request: HTTP status or None},
        "lost": {request: (url, form)}}``: a test delivers a lost request late with ``post_webhook``.
        ``transport`` (an httpx transport) lets tests deliver the webhooks to an in-process app.
        """
        number = self.number_by_phone(to)
        if number is None:
            raise ValueError(f"{to} is not a number of this emulator")
        account_sid = number["account_sid"]
        start = self.clock() if start is None else start
        sid = new_sid("CA")
        base = {
            "AccountSid": account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": sid,
            "Called": to,
            "Caller": from_,
            "Direction": "inbound",
            "From": from_,
            "To": to,
        }
        self.record_call(account_sid, to=to, from_=from_, status="ringing", start_time=start, sid=sid)
        statuses: dict[str, int | None] = {}
        lost: dict[str, tuple[str, dict[str, str]]] = {}

        async def send(name: str, url: str, form: dict[str, str]) -> str:
            if name in lose:
                lost[name] = (url, form)
                return ""
            statuses[name], answer = await self.post_webhook(url, form, account_sid, transport)
            return answer

        twiml = (
            await send("voice", number["voice_url"], {**base, "CallStatus": "ringing"})
            if number.get("voice_url")
            else ""
        )
        elapsed, recording = 3, None
        for verb in _twiml_verbs(twiml):
            if verb.tag == "Record" and message_seconds > 0:
                elapsed += 5 + message_seconds  # the greeting and the beep, then the message
                recording = self.record_recording(account_sid, sid, duration=message_seconds, created=start + elapsed)
                action = verb.attrib.get("action")
                if action:
                    form = {
                        **base,
                        "CallStatus": "in-progress",
                        "RecordingSid": recording["sid"],
                        "RecordingUrl": recording["media_url"],
                        "RecordingDuration": str(message_seconds),
                    }
                    await send("record_action", action, form)
                break
            if verb.tag in ("Dial", "Redirect"):
                elapsed += 30
                break
        final = self.record_call(
            account_sid, to=to, from_=from_, status="completed", start_time=start, duration=elapsed, sid=sid
        )
        if number.get("status_callback"):
            form = {
                **base,
                "CallStatus": "completed",
                "CallDuration": str(elapsed),
                "CallbackSource": "call-progress-events",
                "SequenceNumber": "0",
                "Timestamp": final["end_time"],
            }
            await send("status_callback", number["status_callback"], form)
        return {"call": final, "recording": recording, "statuses": statuses, "lost": lost}

    async def post_webhook(
        self, url: str, params: dict[str, str], account_sid: str, transport: Any
    ) -> tuple[int | None, str]:
        """POST a form signed with the account's token, as Twilio does; (HTTP status or None, answer body)."""
        from twilio.request_validator import RequestValidator

        signature = RequestValidator(self.accounts[account_sid]).compute_signature(url, params)
        try:
            async with httpx.AsyncClient(transport=transport, timeout=10) as client:
                answer = await client.post(url, data=params, headers={"X-Twilio-Signature": signature})
        except httpx.HTTPError:
            # Twilio logs an unreachable webhook (its error 11200) and goes on.
            logger.warning("Twilio emulator could not post a webhook to %s", url)
            return None, ""
        return answer.status_code, answer.text

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
        sid = new_sid("PN")
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

    async def deliver(self, to: str, body: str, *, channel: str = "sms") -> None:
        """Hand a text (or the words of a voice call, ``channel="call"``) to the delivery hook, and keep it as what
        the phone at ``to`` received (``last_received``); a synchronous hook (a DB write) runs in a thread."""
        await asyncio.to_thread(self._keep_received, to, body, channel)
        if inspect.iscoroutinefunction(self.deliver_code):
            await self.deliver_code(to, body)
        else:
            await asyncio.to_thread(self.deliver_code, to, body)

    def _keep_received(self, to: str, body: str, channel: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO received (to_number, channel, created, body) VALUES (?, ?, ?, ?)",
                (to, channel, self.clock(), body),
            )
            self._db.commit()

    def last_received(self, to: str) -> dict | None:
        """What the phone at ``to`` last received from this Twilio: ``{"channel": "sms" | "call", "body": ...}`` (a
        voice call's body is what it said), or None. The sandbox's stand-in for a person reading their phone."""
        received = self.received(to)
        return received[0] if received else None

    def received(self, to: str) -> list[dict]:
        """Everything the phone at ``to`` received, newest first (as ``last_received`` gives each)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT channel, body FROM received WHERE to_number = ? ORDER BY created DESC, rowid DESC", (to,)
            ).fetchall()
        return [{"channel": channel, "body": body} for channel, body in rows]


def _twiml_verbs(twiml: str) -> list[ET.Element]:
    """The verbs of a TwiML answer, in order; none when it is not TwiML (an error page, nothing at all)."""
    try:
        root = ET.fromstring(twiml) if twiml.strip() else None
    except ET.ParseError:
        return []
    return list(root) if root is not None and root.tag == "Response" else []


def _sandbox_auth_token() -> str:
    # Imported here: the installation's keys need AVA's settings, which a bare emulator in a test may not.
    from ava_app.services.providers.sandbox_keys import sandbox_keys

    return sandbox_keys().twilio_auth_token

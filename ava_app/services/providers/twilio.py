"""Twilio through the official SDK: credentials, number search/purchase/import/release, recordings, Verify, webhooks.

Credentials resolve tenant-supplied → platform settings → sandbox. Sandbox mode is a deployment-wide switch (no
platform Twilio credentials): every call, tenant credentials included, then goes to the local emulator, which knows
the accounts registered with it. The SDK is synchronous (``requests``), so each call runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import parse_qs, parse_qsl, urlencode

import requests
from starlette.datastructures import ImmutableMultiDict
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from ava_app import routes
from ava_app.observability import metrics
from ava_app.services.errors import DomainError, Invalid, NotFound, ProviderError, ProviderUnavailable, RateLimited
from ava_app.services.providers.sandbox_keys import SANDBOX_ACCOUNT_SID, SANDBOX_VERIFY_SERVICE_SID, sandbox_keys
from ava_app.settings import get_settings

T = TypeVar("T")

REQUEST_TIMEOUT_SECONDS = 15.0

_sandbox_base_url: str | None = None
# The SDK's exceptions drop the response headers, so the Retry-After of the last answer is kept per worker thread (each
# SDK call runs in its own thread, see ``_run``).
_last_answer = threading.local()


def set_sandbox_base_url(url: str | None) -> None:
    """Tell the client where the emulator is served (default: ``public_url`` + ``/sandbox/twilio``)."""
    global _sandbox_base_url
    _sandbox_base_url = url.rstrip("/") if url else None


def sandbox_base_url() -> str:
    """The emulator's base URL used in sandbox mode."""
    return _sandbox_base_url or get_settings().public_url + routes.SANDBOX_TWILIO


def resolve_credentials(*, account_sid: str | None = None, auth_token: str | None = None) -> tuple[str, str]:
    """The SID/token pair to use: the tenant's if given, else the platform's, else the sandbox account's."""
    if account_sid or auth_token:
        if not (account_sid and auth_token):
            raise Invalid(
                "Both the Twilio Account SID and the Auth Token are needed",
                fields={"account_sid" if not account_sid else "auth_token": "Required"},
            )
        if not (account_sid.startswith("AC") and len(account_sid) == 34):
            raise Invalid("This is not a Twilio Account SID", fields={"account_sid": "Starts with AC, 34 characters"})
        return account_sid.strip(), auth_token.strip()
    settings = get_settings()
    if not settings.twilio_sandbox:
        return settings.twilio_account_sid, settings.twilio_auth_token
    return sandbox_account()


def sandbox_account() -> tuple[str, str]:
    """The emulator's sandbox account: its SID and this installation's random token (never sent to a browser)."""
    return SANDBOX_ACCOUNT_SID, sandbox_keys().twilio_auth_token


class _HttpClient(TwilioHttpClient):
    """The SDK's HTTP client, noting the Retry-After of a throttled or unavailable answer for the domain error."""

    def request(self, *args: Any, **kwargs: Any):
        response = super().request(*args, **kwargs)
        throttled = response.status_code == 429 or response.status_code >= 500
        _last_answer.retry_after = retry_after_seconds(response.headers.get("Retry-After")) if throttled else None
        return response


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """A ``Retry-After`` header (seconds or an HTTP date) as seconds to wait, or None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((moment - (now or datetime.now(UTC))).total_seconds(), 0.0)


def twilio_client(account_sid: str | None = None, auth_token: str | None = None) -> Client:
    """A Twilio SDK client for the resolved credentials, pointed at the emulator in sandbox mode."""
    sid, token = resolve_credentials(account_sid=account_sid, auth_token=auth_token)
    client = Client(sid, token, http_client=_HttpClient(timeout=REQUEST_TIMEOUT_SECONDS))
    if get_settings().twilio_sandbox:
        base_url = sandbox_base_url()
        # Domain objects are cached on the client, so overriding their base URL keeps the SDK's real paths.
        client.api.base_url = base_url
        client.verify.base_url = base_url
        client.pricing.base_url = base_url
    return client


def webhook_urls(*, public_url: str | None = None) -> dict[str, str]:
    """The voice, status callback and inbound SMS URLs Twilio must call for AVA's numbers."""
    base = (public_url or get_settings().public_url).rstrip("/")
    return {
        "voice_url": base + routes.api(routes.TWILIO_VOICE_WEBHOOK),
        "status_callback": base + routes.api(routes.TWILIO_STATUS_WEBHOOK),
        "sms_url": base + routes.api(routes.TWILIO_SMS_WEBHOOK),
    }


# --- error mapping -------------------------------------------------------------------------------------------


def _error_details(exc: TwilioException) -> tuple[int | None, int | None, str]:
    """HTTP status, Twilio code and message from either exception form the SDK raises."""
    if isinstance(exc, TwilioRestException):
        return exc.status, exc.code, exc.msg
    # List/page calls raise a bare TwilioException("Unable to fetch page", response).
    response = exc.args[1] if len(exc.args) > 1 else None
    status = getattr(response, "status_code", None)
    try:
        body = json.loads(getattr(response, "text", "") or "{}")
    except ValueError:
        body = {}
    code = body.get("code") if isinstance(body, dict) else None
    message = body.get("message", "") if isinstance(body, dict) else ""
    return status, code or status, message or str(exc.args[0] if exc.args else exc)


def _domain_error(exc: Exception, *, subject: str, retry_after: float | None = None) -> DomainError:
    """Translate an SDK or network failure into the domain error a route or state can show.

    ``retry_after`` (seconds, from Twilio's Retry-After header) travels with a throttled or unavailable Twilio, so the
    job queue or the HTTP answer can wait as long as Twilio asked.
    """
    if isinstance(exc, requests.RequestException):
        return ProviderUnavailable("Twilio cannot be reached right now", code="twilio_unreachable")
    if not isinstance(exc, TwilioException):
        raise exc
    status, code, message = _error_details(exc)
    details: dict[str, Any] = {"twilio_code": code, "twilio_status": status}
    if code == 20003 or status == 401:
        return ProviderError("Twilio rejected these credentials", code="twilio_credentials_rejected", **details)
    if code == 20404 or status == 404:
        return NotFound(f"Twilio could not find this {subject}", code="twilio_not_found", **details)
    if code == 21422:
        return ProviderError("This number is no longer available", code="twilio_number_unavailable", **details)
    if code == 21452:
        return ProviderError("No numbers are available in this area code", code="twilio_no_numbers_in_area", **details)
    if code == 21421:
        return Invalid("This phone number is not valid", fields={"phone_number": message}, **details)
    if code == 21610:
        return ProviderError("This person replied STOP to this number", code="twilio_recipient_opted_out", **details)
    if code == 21606:
        return ProviderError("This number cannot send text messages", code="twilio_sender_not_sms_capable", **details)
    if code in (21602, 21617):
        return Invalid("This text message cannot be sent", fields={"body": message}, **details)
    if code == 21211:
        return Invalid("This phone number is not valid", fields={"to": message}, **details)
    if code == 60200:
        return Invalid("Twilio Verify refused this request", fields={"to": message}, **details)
    if code == 60202:
        return RateLimited("Too many wrong codes. Ask for a new code.", code="verify_max_checks", retry_after=600)
    if code == 60203:
        return RateLimited("Too many codes were sent. Try again later.", code="verify_max_sends", retry_after=600)
    if code == 20429 or status == 429 or (status or 0) >= 500:
        if retry_after is not None:
            details["retry_after"] = retry_after
        return ProviderUnavailable("Twilio is busy right now; AVA will retry", code="twilio_unavailable", **details)
    if status == 403:
        return ProviderError("Twilio does not allow this for the account", code="twilio_forbidden", **details)
    return ProviderError(f"Twilio refused the request: {message}", code="twilio_refused", **details)


async def _run(call: Callable[[], T], *, subject: str, operation: str) -> T:
    """Run a blocking SDK call off the event loop and map its failures to domain errors.

    Counted as a Twilio call by ``operation`` and outcome (ok, or the domain error's class).
    """

    def attempt() -> T:
        # Mapped inside the worker thread: the Retry-After noted by the HTTP client belongs to this thread's request.
        _last_answer.retry_after = None
        with metrics.provider_call("twilio", operation):
            try:
                return call()
            except (TwilioException, requests.RequestException) as exc:
                retry_after = getattr(_last_answer, "retry_after", None)
                raise _domain_error(exc, subject=subject, retry_after=retry_after) from exc

    return await asyncio.to_thread(attempt)


def _number_dict(number: Any) -> dict:
    capabilities = number.capabilities or {}
    return {
        "sid": number.sid,
        "account_sid": number.account_sid,
        "phone_number": number.phone_number,
        "friendly_name": number.friendly_name,
        "voice_url": number.voice_url,
        "status_callback": number.status_callback,
        "sms_url": number.sms_url,
        "status": number.status,
        "capabilities": {key.lower(): bool(value) for key, value in capabilities.items()},
    }


# --- account and numbers -------------------------------------------------------------------------------------


async def verify_credentials(*, account_sid: str | None = None, auth_token: str | None = None) -> dict:
    """Check a SID/token pair by fetching the account; returns sid, friendly_name, status and type."""
    client = twilio_client(account_sid, auth_token)
    account = await _run(
        lambda: client.api.v2010.accounts(client.account_sid).fetch(), subject="account", operation="fetch_account"
    )
    if account.status != "active":
        raise ProviderError(f"This Twilio account is {account.status}", code="twilio_account_inactive")
    return {"sid": account.sid, "friendly_name": account.friendly_name, "status": account.status, "type": account.type}


async def list_incoming_numbers(
    *, account_sid: str | None = None, auth_token: str | None = None, limit: int = 500
) -> list[dict]:
    """The numbers the account already owns, for import into AVA."""
    client = twilio_client(account_sid, auth_token)
    numbers = await _run(
        lambda: client.api.v2010.account.incoming_phone_numbers.list(limit=limit, page_size=min(limit, 100)),
        subject="account",
        operation="list_numbers",
    )
    return [_number_dict(number) for number in numbers]


async def search_available_numbers(
    *,
    country: str = "US",
    area_code: str | int | None = None,
    contains: str | None = None,
    limit: int = 20,
    account_sid: str | None = None,
    auth_token: str | None = None,
) -> list[dict]:
    """Local numbers on offer, each with its monthly price (``None`` when Twilio's pricing is unavailable)."""
    country = country.strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise Invalid("Choose a country", fields={"country": "Two-letter ISO code"})
    if area_code not in (None, "") and not str(area_code).isdigit():
        raise Invalid("An area code is digits only", fields={"area_code": "Digits only"})
    if contains and not (2 <= len(contains) <= 16 and all(c.isalnum() or c in "*%+$" for c in contains)):
        raise Invalid("Search with 2 to 16 digits or letters", fields={"contains": "2 to 16 digits or letters"})
    client = twilio_client(account_sid, auth_token)

    def search() -> tuple[list, tuple[Decimal | None, str | None]]:
        offer = client.api.v2010.account.available_phone_numbers(country).local.list(
            area_code=int(area_code) if area_code not in (None, "") else None,
            contains=contains or None,
            voice_enabled=True,
            limit=limit,
        )
        return offer, _local_price(client, country)

    offer, (price, unit) = await _run(search, subject="country", operation="search_numbers")
    return [
        {
            "phone_number": number.phone_number,
            "friendly_name": number.friendly_name,
            "locality": number.locality,
            "region": number.region,
            "iso_country": number.iso_country,
            "capabilities": {key.lower(): bool(value) for key, value in (number.capabilities or {}).items()},
            "monthly_price": price,
            "price_unit": unit,
        }
        for number in offer
    ]


def _local_price(client: Client, country: str) -> tuple[Decimal | None, str | None]:
    """Monthly price of a local number in ``country``; a pricing failure must not hide the numbers on offer."""
    try:
        pricing = client.pricing.v1.phone_numbers.countries(country).fetch()
    except (TwilioException, requests.RequestException):
        return None, None
    for entry in pricing.phone_number_prices or []:
        if isinstance(entry, dict) and entry.get("number_type") == "local":
            try:
                return Decimal(str(entry.get("current_price") or entry.get("base_price"))), pricing.price_unit
            except InvalidOperation:
                break
    return None, pricing.price_unit


async def purchase_number(
    *,
    phone_number: str | None = None,
    area_code: str | None = None,
    friendly_name: str | None = None,
    account_sid: str | None = None,
    auth_token: str | None = None,
) -> dict:
    """Buy a number (a given one, or any in ``area_code``) with AVA's voice and status webhooks already set."""
    if not (phone_number or area_code):
        raise Invalid("Choose a number or an area code", fields={"phone_number": "Required"})
    client = twilio_client(account_sid, auth_token)
    urls = webhook_urls()
    number = await _run(
        lambda: client.api.v2010.account.incoming_phone_numbers.create(
            phone_number=phone_number or None,
            area_code=area_code or None,
            friendly_name=friendly_name or None,
            voice_url=urls["voice_url"],
            voice_method="POST",
            status_callback=urls["status_callback"],
            status_callback_method="POST",
            sms_url=urls["sms_url"],
            sms_method="POST",
        ),
        subject="number",
        operation="purchase_number",
    )
    return _number_dict(number)


async def update_number_webhooks(
    *,
    number_sid: str,
    voice_url: str | None = None,
    status_callback: str | None = None,
    account_sid: str | None = None,
    auth_token: str | None = None,
) -> dict:
    """Point a number's voice and status webhooks (or the given URLs) and its inbound SMS webhook at AVA."""
    urls = webhook_urls()
    client = twilio_client(account_sid, auth_token)
    number = await _run(
        lambda: client.api.v2010.account.incoming_phone_numbers(number_sid).update(
            voice_url=voice_url or urls["voice_url"],
            voice_method="POST",
            status_callback=status_callback or urls["status_callback"],
            status_callback_method="POST",
            sms_url=urls["sms_url"],
            sms_method="POST",
        ),
        subject="number",
        operation="update_number",
    )
    return _number_dict(number)


async def release_number(*, number_sid: str, account_sid: str | None = None, auth_token: str | None = None) -> None:
    """Give a number back to Twilio (it stops ringing and billing)."""
    client = twilio_client(account_sid, auth_token)
    await _run(
        lambda: client.api.v2010.account.incoming_phone_numbers(number_sid).delete(),
        subject="number",
        operation="release_number",
    )


async def delete_recording(
    *, recording_sid: str, account_sid: str | None = None, auth_token: str | None = None
) -> None:
    """Delete a recording (a voicemail's <Record>) from the account; NotFound when Twilio no longer has it."""
    client = twilio_client(account_sid, auth_token)
    await _run(
        lambda: client.api.v2010.accounts(client.account_sid).recordings(recording_sid).delete(),
        subject="recording",
        operation="delete_recording",
    )


# --- Verify (SMS login codes) --------------------------------------------------------------------------------


def _message_channel(channel: str) -> str:
    """The channel label of a Verify code (sms, call, whatsapp...; anything else is "other")."""
    return channel if channel in ("sms", "call", "whatsapp", "email") else "other"


def _verify_service_sid(service_sid: str | None) -> str:
    settings = get_settings()
    resolved = service_sid or settings.twilio_verify_service_sid
    if not resolved and settings.twilio_sandbox:
        resolved = SANDBOX_VERIFY_SERVICE_SID
    if not resolved:
        raise ProviderError("SMS codes are not configured on this server", code="twilio_verify_not_configured")
    return resolved


async def send_message(
    *,
    to: str,
    from_: str,
    body: str,
    status_callback: str | None = None,
    account_sid: str | None = None,
    auth_token: str | None = None,
) -> dict:
    """Send one SMS from the account's number ``from_`` to ``to`` (E.164); returns sid, status, to and from.

    A recipient who replied STOP to ``from_`` raises ``ProviderError`` with code ``twilio_recipient_opted_out``;
    throttling and Twilio outages raise ``ProviderUnavailable`` (retryable).
    """
    if not body.strip():
        raise Invalid("A text message needs a body", fields={"body": "Required"})
    client = twilio_client(account_sid, auth_token)
    extra = {"status_callback": status_callback} if status_callback else {}
    message = await _run(
        lambda: client.api.v2010.account.messages.create(to=to, from_=from_, body=body, **extra),
        subject="message",
        operation="send_message",
    )
    return {"sid": message.sid, "status": message.status, "to": message.to, "from": message.from_}


async def send_verification_code(
    *,
    to: str,
    channel: str = "sms",
    locale: str | None = None,
    service_sid: str | None = None,
    account_sid: str | None = None,
    auth_token: str | None = None,
) -> dict:
    """Ask Twilio Verify to send a one-time code to ``to`` (E.164); returns sid, status and channel."""
    service = _verify_service_sid(service_sid)
    client = twilio_client(account_sid, auth_token)
    try:
        verification = await _run(
            lambda: client.verify.v2.services(service).verifications.create(to=to, channel=channel, locale=locale),
            subject="Verify service",
            operation="send_code",
        )
    except DomainError:
        metrics.record_message(channel=_message_channel(channel), status="failed")
        raise
    metrics.record_message(channel=_message_channel(channel), status="sent")
    return {
        "sid": verification.sid,
        "to": verification.to,
        "status": verification.status,
        "channel": verification.channel,
    }


async def check_verification_code(
    *,
    to: str,
    code: str,
    service_sid: str | None = None,
    account_sid: str | None = None,
    auth_token: str | None = None,
) -> bool:
    """True when ``code`` is the one sent to ``to``; a wrong code is False, an expired one is ``Invalid``."""
    service = _verify_service_sid(service_sid)
    client = twilio_client(account_sid, auth_token)
    try:
        check = await _run(
            lambda: client.verify.v2.services(service).verification_checks.create(to=to, code=code),
            subject="code",
            operation="check_code",
        )
    except NotFound as exc:
        # Verify answers 404 when nothing is pending: never sent, already used, or older than 10 minutes.
        raise Invalid("This code has expired. Ask for a new one.", code="verification_expired") from exc
    return check.status == "approved"


# --- webhook signatures --------------------------------------------------------------------------------------


def validate_webhook_signature(
    *,
    path: str,
    signature: str,
    query: str = "",
    params: Mapping[str, Any] | None = None,
    raw_body: str | bytes | None = None,
    auth_token: str | None = None,
    public_url: str | None = None,
) -> bool:
    """Check ``X-Twilio-Signature`` against the public URL Twilio called (``public_url`` + path + query).

    Form posts are signed over the sorted form fields (pass ``params``, or the form ``raw_body``); JSON posts carry
    ``bodySHA256`` in the query and the raw body must hash to it.
    """
    if not signature:
        return False
    base = (public_url or get_settings().public_url).rstrip("/")
    url = base + path + (f"?{query}" if query else "")
    token = auth_token or resolve_credentials()[1]
    validator = RequestValidator(token)
    body = raw_body.decode("utf-8") if isinstance(raw_body, bytes) else raw_body
    if "bodySHA256" in parse_qs(query):
        return body is not None and validator.validate(url, body, signature)
    if params is None:
        # Repeated form names are all signed, so keep every value.
        params = ImmutableMultiDict(parse_qsl(body or "", keep_blank_values=True))
    return validator.validate(url, params, signature)


def sign_webhook(*, url: str, params: Mapping[str, Any] | None = None, auth_token: str | None = None) -> str:
    """The ``X-Twilio-Signature`` Twilio would send for ``url`` + form ``params`` (to drive AVA's webhooks locally)."""
    return RequestValidator(auth_token or resolve_credentials()[1]).compute_signature(url, params or {})


def body_hash_url(*, url: str, raw_body: str) -> str:
    """``url`` with the ``bodySHA256`` query parameter Twilio adds to JSON webhooks."""
    digest = RequestValidator("").compute_hash(raw_body)
    return url + ("&" if "?" in url else "?") + urlencode({"bodySHA256": digest})

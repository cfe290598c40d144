"""The calendar clients (authlib OAuth + httpx) against the Google and Microsoft emulators, through the real code."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from ava_app.services.errors import ProviderUnavailable
from ava_app.services.providers import calendar_oauth
from ava_app.services.providers.calendar_oauth import CalendarGrantRevoked, calendar_endpoints
from ava_app.services.providers.calendars import (
    AccessTokenRejected,
    GoogleCalendarClient,
    calendar_client,
    google_event_id,
)
from tests.calendar_emulators import click_consent, start_calendar_emulators, stop_calendar_emulators

REDIRECT = "http://localhost:3000/api/v1/calendar/{provider}/callback"
MONDAY_9 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture()
def emulators(engine):
    emulators = start_calendar_emulators()
    yield emulators
    stop_calendar_emulators()


@pytest.fixture()
async def browser(emulators):
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulators.app), base_url="http://localhost:3000"
    ) as b:
        yield b


async def connect(browser, provider: str, *, verifier: str | None = None):
    """The whole OAuth dance with the real client: authorization URL, consent "Allow", code exchange."""
    endpoints = calendar_endpoints(provider)
    verifier = verifier or calendar_oauth.new_code_verifier()
    redirect_uri = endpoints_redirect(provider)
    url = calendar_oauth.authorization_url(endpoints, redirect_uri=redirect_uri, state="st4te", code_verifier=verifier)
    answer = await click_consent(browser, url)
    assert answer["state"] == "st4te"
    tokens = await calendar_oauth.exchange_code(
        endpoints, code=answer["code"], code_verifier=verifier, redirect_uri=redirect_uri
    )
    return endpoints, tokens


def endpoints_redirect(provider: str) -> str:
    from ava_app.services.calendar_connections import redirect_uri

    return redirect_uri(provider)


@pytest.mark.parametrize("provider", ["google", "microsoft"])
async def test_the_authorization_url_carries_state_and_an_s256_challenge(emulators, provider):
    endpoints = calendar_endpoints(provider)
    verifier = calendar_oauth.new_code_verifier()
    url = calendar_oauth.authorization_url(
        endpoints, redirect_uri=endpoints_redirect(provider), state="abc", code_verifier=verifier, language="fr"
    )
    query = dict(httpx.URL(url).params)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert query["code_challenge"] == challenge and query["code_challenge_method"] == "S256"
    assert query["state"] == "abc" and query["response_type"] == "code" and query["client_id"] == endpoints.client_id
    assert "client_secret" not in query
    if provider == "google":
        assert query["access_type"] == "offline" and query["prompt"] == "consent" and query["hl"] == "fr"
        assert "https://www.googleapis.com/auth/calendar.events" in query["scope"].split()
    else:
        assert query["response_mode"] == "query" and query["ui_locales"] == "fr"
        assert {"offline_access", "Calendars.ReadWrite"} <= set(query["scope"].split())


@pytest.mark.parametrize("provider", ["google", "microsoft"])
async def test_code_exchange_refresh_and_revocation(emulators, browser, provider):
    endpoints, tokens = await connect(browser, provider)
    assert tokens.refresh_token and tokens.access_token
    email = await calendar_client(endpoints, access_token=tokens.access_token).account_email()
    assert email == emulators.of(provider).oauth.account

    refreshed = await calendar_oauth.refresh_access_token(endpoints, refresh_token=tokens.refresh_token)
    assert refreshed.access_token != tokens.access_token
    # Microsoft rotates refresh tokens, Google keeps the one AVA has.
    assert (refreshed.refresh_token is not None) == (provider == "microsoft")

    emulators.of(provider).oauth.revoke_all()
    with pytest.raises(CalendarGrantRevoked):
        await calendar_oauth.refresh_access_token(endpoints, refresh_token=tokens.refresh_token)
    with pytest.raises(AccessTokenRejected):
        await calendar_client(endpoints, access_token=refreshed.access_token).account_email()


async def test_google_revoke_endpoint_ends_the_grant(emulators, browser):
    endpoints, tokens = await connect(browser, "google")
    assert await calendar_oauth.revoke_token(endpoints, token=tokens.refresh_token)
    with pytest.raises(CalendarGrantRevoked):
        await calendar_oauth.refresh_access_token(endpoints, refresh_token=tokens.refresh_token)


async def test_a_code_works_once_and_only_with_its_verifier(emulators, browser):
    endpoints = calendar_endpoints("google")
    verifier = calendar_oauth.new_code_verifier()
    redirect_uri = endpoints_redirect("google")
    url = calendar_oauth.authorization_url(endpoints, redirect_uri=redirect_uri, state="s", code_verifier=verifier)
    code = (await click_consent(browser, url))["code"]
    with pytest.raises(CalendarGrantRevoked):
        await calendar_oauth.exchange_code(
            endpoints, code=code, code_verifier=calendar_oauth.new_code_verifier(), redirect_uri=redirect_uri
        )
    # The failed attempt used the code up, as Google does.
    with pytest.raises(CalendarGrantRevoked):
        await calendar_oauth.exchange_code(endpoints, code=code, code_verifier=verifier, redirect_uri=redirect_uri)


async def test_deny_sends_access_denied_back(emulators, browser):
    endpoints = calendar_endpoints("microsoft")
    url = calendar_oauth.authorization_url(
        endpoints, redirect_uri=endpoints_redirect("microsoft"), state="s1", code_verifier="v" * 50
    )
    answer = await click_consent(browser, url, decision="deny")
    assert answer == {"error": "access_denied", "error_description": "The user denied access.", "state": "s1"}


async def test_an_unregistered_redirect_uri_gets_an_error_page_not_a_redirect(emulators, browser):
    endpoints = calendar_endpoints("google")
    url = calendar_oauth.authorization_url(
        endpoints, redirect_uri="https://evil.example/cb", state="s", code_verifier="v" * 50
    )
    page = await browser.get(url)
    assert page.status_code == 400 and "redirect_uri_mismatch" in page.text and "location" not in page.headers


def test_google_event_ids_are_base32hex():
    event_id = google_event_id(1234)
    assert event_id.startswith("ava") and set(event_id) <= set("0123456789abcdefghijklmnopqrstuv")
    assert 5 <= len(event_id) <= 1024
    assert google_event_id(1234) == event_id != google_event_id(1235)
    assert base64.b32hexdecode(event_id[3:].upper() + "=" * (-len(event_id[3:]) % 8)) == b"1234"


@pytest.mark.parametrize("provider", ["google", "microsoft"])
async def test_busy_times_and_idempotent_events(emulators, browser, provider):
    endpoints, tokens = await connect(browser, provider)
    client = calendar_client(endpoints, access_token=tokens.access_token)
    emulator = emulators.of(provider)
    emulator.store.add_busy(emulator.oauth.account, MONDAY_9 - timedelta(hours=1), MONDAY_9 + timedelta(minutes=30))

    first = await client.upsert_event(
        booking_id=42, start=MONDAY_9 + timedelta(hours=2), end=MONDAY_9 + timedelta(hours=3), summary="Cut — Ana"
    )
    again = await client.upsert_event(
        booking_id=42, start=MONDAY_9 + timedelta(hours=4), end=MONDAY_9 + timedelta(hours=5), summary="Cut — Ana"
    )
    assert first == again
    live = [e for e in emulator.events_of().values() if e.get("status") != "cancelled"]
    assert len(live) == 1

    busy = await client.busy_intervals(MONDAY_9, MONDAY_9 + timedelta(hours=8))
    assert busy == [
        (MONDAY_9, MONDAY_9 + timedelta(minutes=30)),  # clipped to the window
        (MONDAY_9 + timedelta(hours=4), MONDAY_9 + timedelta(hours=5)),  # the moved booking, not its old slot
    ]
    assert (await client.find_event(booking_id=42)) is not None

    assert await client.delete_event(booking_id=42) is True
    assert await client.delete_event(booking_id=42) is False  # already gone: nothing to do, no error
    assert await client.busy_intervals(MONDAY_9 + timedelta(hours=1), MONDAY_9 + timedelta(hours=8)) == []
    # Booked again after a cancellation: the same event comes back rather than a second one.
    await client.upsert_event(
        booking_id=42, start=MONDAY_9 + timedelta(hours=6), end=MONDAY_9 + timedelta(hours=7), summary="Cut"
    )
    assert len([e for e in emulator.events_of().values() if e.get("status") != "cancelled"]) == 1


async def test_google_event_carries_the_booking_id(emulators, browser):
    endpoints, tokens = await connect(browser, "google")
    client = calendar_client(endpoints, access_token=tokens.access_token)
    event_id = await client.upsert_event(
        booking_id="b-7", start=MONDAY_9, end=MONDAY_9 + timedelta(hours=1), summary="X"
    )
    event = emulators.google.events_of()[event_id]
    assert event_id == google_event_id("b-7")
    assert event["extendedProperties"]["private"]["avaBookingId"] == "b-7"
    assert event["start"]["dateTime"] == "2026-12-07T09:00:00Z"


async def test_microsoft_event_carries_transaction_id_and_extended_property(emulators, browser):
    endpoints, tokens = await connect(browser, "microsoft")
    client = calendar_client(endpoints, access_token=tokens.access_token)
    event_id = await client.upsert_event(booking_id=9, start=MONDAY_9, end=MONDAY_9 + timedelta(hours=1), summary="X")
    event = emulators.microsoft.events_of()[event_id]
    assert event["transactionId"] == "ava-booking-9"
    assert event["singleValueExtendedProperties"][0]["value"] == "9"
    assert event["start"] == {"dateTime": "2026-12-07T09:00:00", "timeZone": "UTC"}


@pytest.mark.parametrize("provider", ["google", "microsoft"])
async def test_429_and_5xx_are_retried_with_backoff(emulators, browser, provider):
    endpoints, tokens = await connect(browser, provider)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    client = calendar_client(endpoints, access_token=tokens.access_token, sleep=sleep)
    emulators.of(provider).store.fail_next(status=429, retry_after=2)
    emulators.of(provider).store.fail_next(status=503)
    assert await client.busy_intervals(MONDAY_9, MONDAY_9 + timedelta(hours=1)) == []
    assert waits[0] == 2 and 0.5 <= waits[1] <= 2.0

    emulators.of(provider).store.fail_next(status=500, times=10)
    with pytest.raises(ProviderUnavailable):
        await client.busy_intervals(MONDAY_9, MONDAY_9 + timedelta(hours=1))
    assert len(waits) == 2 + 3  # four attempts: three waits


async def test_an_expired_access_token_is_a_401(emulators, browser):
    endpoints, tokens = await connect(browser, "google")
    emulators.google.oauth.expire_access_tokens()
    with pytest.raises(AccessTokenRejected):
        await GoogleCalendarClient(api_url=endpoints.api_url, access_token=tokens.access_token).busy_intervals(
            MONDAY_9, MONDAY_9 + timedelta(hours=1)
        )

"""The Twilio provider: the real SDK against the Twilio emulator over HTTP on 127.0.0.1, and webhook signatures."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from ava_app.sandbox.twilio.app import create_twilio_emulator, deliver_code_to_outbox
from ava_app.services.errors import Invalid, NotFound, ProviderError, ProviderUnavailable, RateLimited
from ava_app.services.providers import twilio as tw
from ava_app.services.providers.sandbox_keys import SANDBOX_ACCOUNT_SID, SANDBOX_VERIFY_SERVICE_SID
from ava_app.settings import get_settings
from tests.servers import serve_app

TENANT_SID = "AC" + "7e" * 16
TENANT_TOKEN = "7e" * 16
TENANT = (TENANT_SID, TENANT_TOKEN)
PUBLIC_URL = "https://ava.example.com"


class Clock:
    """A settable clock so code expiry is tested without waiting ten minutes."""

    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def sandbox(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[None]:
    """Settings with no platform Twilio credentials, so every call goes to the emulator."""
    monkeypatch.setenv("AVA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("AVA_PUBLIC_URL", PUBLIC_URL)
    for name in ("AVA_TWILIO_ACCOUNT_SID", "AVA_TWILIO_AUTH_TOKEN", "AVA_TWILIO_VERIFY_SERVICE_SID"):
        monkeypatch.setenv(name, "")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def emulator_app(sandbox, clock):
    app = create_twilio_emulator(clock=clock)
    app.state.emulator.add_account(TENANT_SID, TENANT_TOKEN)
    return app


@pytest.fixture()
def mounted_app(emulator_app):
    """The emulator mounted under /sandbox/twilio, as AVA serves it."""
    from starlette.applications import Starlette
    from starlette.routing import Mount

    return Starlette(routes=[Mount("/sandbox/twilio", app=emulator_app)])


@pytest.fixture()
def twilio_emulator(mounted_app, emulator_app) -> Iterator:
    """The running emulator's state; the SDK's sandbox base URL points at its mount."""
    with serve_app(mounted_app) as base_url:
        tw.set_sandbox_base_url(base_url + "/sandbox/twilio")
        emulator_app.state.base_url = base_url + "/sandbox/twilio"
        yield emulator_app.state.emulator
        tw.set_sandbox_base_url(None)


# --- credentials -----------------------------------------------------------------------------------------------


async def test_sandbox_credentials_are_used_without_any_configuration(twilio_emulator):
    account = await tw.verify_credentials()
    assert account == {"sid": SANDBOX_ACCOUNT_SID, "friendly_name": "AVA sandbox", "status": "active", "type": "Full"}


async def test_tenant_credentials_are_checked_against_their_account(twilio_emulator):
    account = await tw.verify_credentials(account_sid=TENANT_SID, auth_token=TENANT_TOKEN)
    assert account["sid"] == TENANT_SID


async def test_wrong_token_is_a_clear_domain_error(twilio_emulator):
    with pytest.raises(ProviderError) as caught:
        await tw.verify_credentials(account_sid=TENANT_SID, auth_token="0" * 32)
    assert caught.value.message == "Twilio rejected these credentials"
    assert caught.value.code == "twilio_credentials_rejected"
    assert caught.value.details["twilio_code"] == 20003


async def test_half_credentials_are_invalid_before_any_request(sandbox):
    with pytest.raises(Invalid) as caught:
        await tw.verify_credentials(account_sid=TENANT_SID)
    assert caught.value.details["fields"] == {"auth_token": "Required"}
    with pytest.raises(Invalid):
        await tw.verify_credentials(account_sid="not-a-sid", auth_token="x")


def test_emulator_answers_401_with_twilios_error_body(twilio_emulator, emulator_app):
    base = emulator_app.state.base_url
    response = httpx.get(f"{base}/2010-04-01/Accounts/{TENANT_SID}.json", auth=(TENANT_SID, "wrong"))
    assert response.status_code == 401
    assert response.json() == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }
    # Another account's resources are not reachable with these credentials either.
    response = httpx.get(f"{base}/2010-04-01/Accounts/{SANDBOX_ACCOUNT_SID}.json", auth=(TENANT_SID, TENANT_TOKEN))
    assert response.status_code == 401
    assert httpx.get(f"{base}/nowhere", auth=(TENANT_SID, TENANT_TOKEN)).json()["code"] == 20404


async def test_unreachable_twilio_is_provider_unavailable(sandbox):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    tw.set_sandbox_base_url(f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(ProviderUnavailable):
            await tw.verify_credentials()
    finally:
        tw.set_sandbox_base_url(None)


# --- throttling and outages (scripted in the emulator, seen through the real SDK) -----------------------------


async def test_429_with_retry_after_is_provider_unavailable_with_the_wait(twilio_emulator):
    twilio_emulator.fail_next(status=429, retry_after=7)
    with pytest.raises(ProviderUnavailable) as caught:
        await tw.verify_credentials()
    assert caught.value.code == "twilio_unavailable"
    assert caught.value.status_code == 503
    assert caught.value.details == {"twilio_code": 20429, "twilio_status": 429, "retry_after": 7.0}
    # One scripted failure only: the next request is served normally.
    assert (await tw.verify_credentials())["sid"] == SANDBOX_ACCOUNT_SID


async def test_500_is_provider_unavailable_without_a_wait(twilio_emulator):
    twilio_emulator.fail_next(status=500)
    with pytest.raises(ProviderUnavailable) as caught:
        await tw.purchase_number(phone_number="+14155550142")
    assert caught.value.details == {"twilio_code": 20500, "twilio_status": 500}
    assert "retry_after" not in caught.value.details
    # Nothing was bought by the failed request.
    assert await tw.list_incoming_numbers() == []


async def test_503_on_a_list_call_maps_the_page_exception_with_its_wait(twilio_emulator):
    # List calls raise the bare TwilioException; the wait must survive that path too.
    twilio_emulator.fail_next(2, status=503, retry_after=1.2)
    for _ in range(2):
        with pytest.raises(ProviderUnavailable) as caught:
            await tw.list_incoming_numbers()
        assert caught.value.details == {"twilio_code": 20503, "twilio_status": 503, "retry_after": 2.0}
    assert await tw.list_incoming_numbers() == []


def test_emulator_scripted_failure_has_twilios_body_and_header(twilio_emulator, emulator_app):
    twilio_emulator.fail_next(status=429, retry_after=3)
    base = emulator_app.state.base_url
    response = httpx.get(f"{base}/2010-04-01/Accounts/{TENANT_SID}.json", auth=(TENANT_SID, TENANT_TOKEN))
    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"
    assert response.json() == {
        "code": 20429,
        "message": "Too Many Requests",
        "more_info": "https://www.twilio.com/docs/errors/20429",
        "status": 429,
    }
    twilio_emulator.fail_next(3, status=500)
    twilio_emulator.reset_failures()
    assert httpx.get(f"{base}/2010-04-01/Accounts/{TENANT_SID}.json", auth=(TENANT_SID, TENANT_TOKEN)).is_success
    with pytest.raises(ValueError):
        twilio_emulator.fail_next(status=404)


def test_retry_after_reads_seconds_and_http_dates():
    from datetime import UTC, datetime

    now = datetime(2025, 6, 3, 16, 7, 3, tzinfo=UTC)
    assert tw.retry_after_seconds("12") == 12.0
    assert tw.retry_after_seconds(" 0.5 ") == 0.5
    assert tw.retry_after_seconds("Tue, 03 Jun 2025 16:07:33 GMT", now=now) == 30.0
    assert tw.retry_after_seconds("Tue, 03 Jun 2025 16:00:00 GMT", now=now) == 0.0
    assert tw.retry_after_seconds("soon") is None
    assert tw.retry_after_seconds(None) is None


def test_platform_credentials_point_the_sdk_at_twilio(monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.setenv("AVA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("AVA_TWILIO_ACCOUNT_SID", TENANT_SID)
    monkeypatch.setenv("AVA_TWILIO_AUTH_TOKEN", TENANT_TOKEN)
    get_settings.cache_clear()
    try:
        client = tw.twilio_client()
        assert client.account_sid == TENANT_SID
        assert client.api.base_url == "https://api.twilio.com"
        assert client.verify.base_url == "https://verify.twilio.com"
    finally:
        get_settings.cache_clear()


# --- searching and buying numbers ------------------------------------------------------------------------------


async def test_search_us_numbers_in_an_area_code_with_price(twilio_emulator):
    offer = await tw.search_available_numbers(country="US", area_code="415", limit=5)
    assert len(offer) == 5
    for number in offer:
        assert number["phone_number"].startswith("+141555501")
        assert number["friendly_name"] == f"(415) 555-{number['phone_number'][-4:]}"
        assert number["locality"] == "San Francisco"
        assert number["iso_country"] == "US"
        assert number["capabilities"] == {"voice": True, "sms": True, "mms": True, "fax": False}
        assert number["monthly_price"] == Decimal("1.15")
        assert number["price_unit"] == "USD"
    assert len({number["phone_number"] for number in offer}) == 5


async def test_search_contains_filter_and_empty_area(twilio_emulator):
    offer = await tw.search_available_numbers(country="US", contains="0142", limit=50)
    assert offer and all("0142" in number["phone_number"] for number in offer)
    assert await tw.search_available_numbers(country="US", area_code=533) == []
    anchored = await tw.search_available_numbers(country="US", contains="+1212*", limit=3)
    assert [number["phone_number"][:5] for number in anchored] == ["+1212"] * 3


@pytest.mark.parametrize(
    ("country", "prefixes"),
    [
        ("GB", ("+442079460", "+441614960", "+441314960")),
        ("FR", ("+3319900", "+3346571")),
        ("CA", ("+141655501", "+151455501", "+160455501")),
        ("ES", ("+3491000", "+3493000")),
        ("DE", ("+493023125", "+494066969", "+498999998")),
    ],
)
async def test_search_other_countries_offers_fictional_numbers(twilio_emulator, country, prefixes):
    offer = await tw.search_available_numbers(country=country, limit=6)
    assert len(offer) == 6
    assert {number["iso_country"] for number in offer} == {country}
    assert all(number["phone_number"].startswith(prefixes) for number in offer)
    assert all(number["monthly_price"] > 0 for number in offer)


async def test_search_rejects_bad_input_and_unknown_country(twilio_emulator):
    with pytest.raises(Invalid):
        await tw.search_available_numbers(country="USA")
    with pytest.raises(Invalid):
        await tw.search_available_numbers(country="US", contains="5")
    with pytest.raises(NotFound):
        await tw.search_available_numbers(country="ZZ")


async def test_purchase_sets_webhooks_and_the_number_leaves_the_offer(twilio_emulator):
    offer = await tw.search_available_numbers(country="US", area_code="415", limit=1)
    wanted = offer[0]["phone_number"]
    number = await tw.purchase_number(phone_number=wanted, friendly_name="AVA - Bright Smile")
    assert number["sid"].startswith("PN") and len(number["sid"]) == 34
    assert number["phone_number"] == wanted
    assert number["friendly_name"] == "AVA - Bright Smile"
    assert number["voice_url"] == "https://ava.example.com/api/v1/webhooks/twilio/voice"
    assert number["status_callback"] == "https://ava.example.com/api/v1/webhooks/twilio/status"
    assert number["account_sid"] == SANDBOX_ACCOUNT_SID
    remaining = await tw.search_available_numbers(country="US", area_code="415", limit=100)
    assert wanted not in {entry["phone_number"] for entry in remaining}
    with pytest.raises(ProviderError) as caught:
        await tw.purchase_number(phone_number=wanted)
    assert caught.value.code == "twilio_number_unavailable"


async def test_purchase_magic_inputs(twilio_emulator):
    with pytest.raises(ProviderError) as caught:
        await tw.purchase_number(phone_number="+15005550000")
    assert (caught.value.code, caught.value.details["twilio_code"]) == ("twilio_number_unavailable", 21422)
    with pytest.raises(ProviderError) as caught:
        await tw.purchase_number(area_code="533")
    assert (caught.value.code, caught.value.details["twilio_code"]) == ("twilio_no_numbers_in_area", 21452)
    with pytest.raises(Invalid):
        await tw.purchase_number(phone_number="+15005550001")
    assert (await tw.purchase_number(phone_number="+15005550006"))["phone_number"] == "+15005550006"
    by_area = await tw.purchase_number(area_code="500")
    assert by_area["phone_number"].startswith("+150055501")


async def test_list_update_and_release_numbers(twilio_emulator):
    bought = await tw.purchase_number(phone_number="+14155550142", account_sid=TENANT_SID, auth_token=TENANT_TOKEN)
    owned = await tw.list_incoming_numbers(account_sid=TENANT_SID, auth_token=TENANT_TOKEN)
    assert [number["phone_number"] for number in owned] == ["+14155550142"]
    # Numbers of another account stay invisible.
    assert await tw.list_incoming_numbers() == []

    updated = await tw.update_number_webhooks(
        number_sid=bought["sid"],
        voice_url="https://other.example.com/voice",
        account_sid=TENANT_SID,
        auth_token=TENANT_TOKEN,
    )
    assert updated["voice_url"] == "https://other.example.com/voice"
    assert updated["status_callback"] == "https://ava.example.com/api/v1/webhooks/twilio/status"
    restored = await tw.update_number_webhooks(
        number_sid=bought["sid"], account_sid=TENANT_SID, auth_token=TENANT_TOKEN
    )
    assert restored["voice_url"] == "https://ava.example.com/api/v1/webhooks/twilio/voice"

    await tw.release_number(number_sid=bought["sid"], account_sid=TENANT_SID, auth_token=TENANT_TOKEN)
    assert await tw.list_incoming_numbers(account_sid=TENANT_SID, auth_token=TENANT_TOKEN) == []
    with pytest.raises(NotFound):
        await tw.release_number(number_sid=bought["sid"], account_sid=TENANT_SID, auth_token=TENANT_TOKEN)


async def test_recordings_are_deleted_once_in_their_own_account_only(twilio_emulator):
    mine = twilio_emulator.record_recording(TENANT_SID, "CA" + "1" * 32)
    assert mine["media_url"].endswith(f"/Accounts/{TENANT_SID}/Recordings/{mine['sid']}")
    # Another account's credentials do not reach it: Twilio answers 404 for a SID outside the account.
    with pytest.raises(NotFound):
        await tw.delete_recording(recording_sid=mine["sid"])
    assert twilio_emulator.recording(TENANT_SID, mine["sid"]) is not None

    twilio_emulator.fail_next(status=500)
    with pytest.raises(ProviderUnavailable):
        await tw.delete_recording(recording_sid=mine["sid"], account_sid=TENANT_SID, auth_token=TENANT_TOKEN)
    await tw.delete_recording(recording_sid=mine["sid"], account_sid=TENANT_SID, auth_token=TENANT_TOKEN)
    assert twilio_emulator.recording(TENANT_SID, mine["sid"]) is None
    with pytest.raises(NotFound):
        await tw.delete_recording(recording_sid=mine["sid"], account_sid=TENANT_SID, auth_token=TENANT_TOKEN)


async def test_list_follows_pages_and_envelope_has_exactly_the_meta_keys(twilio_emulator, emulator_app):
    for suffix in range(7):
        await tw.purchase_number(phone_number=f"+1212555010{suffix}")
    client = tw.twilio_client()
    numbers = client.api.v2010.account.incoming_phone_numbers.list(page_size=3)
    assert [number.phone_number for number in numbers] == [f"+1212555010{suffix}" for suffix in range(7)]

    base = emulator_app.state.base_url
    page = httpx.get(
        f"{base}/2010-04-01/Accounts/{SANDBOX_ACCOUNT_SID}/IncomingPhoneNumbers.json",
        params={"PageSize": 3},
        auth=tw.sandbox_account(),
    ).json()
    assert set(page) == {
        "incoming_phone_numbers",
        "end",
        "first_page_uri",
        "next_page_uri",
        "page",
        "page_size",
        "previous_page_uri",
        "start",
        "uri",
    }
    assert (page["page"], page["page_size"], page["start"], page["end"]) == (0, 3, 0, 2)
    assert page["next_page_uri"].startswith(f"/2010-04-01/Accounts/{SANDBOX_ACCOUNT_SID}/IncomingPhoneNumbers.json?")
    assert "PageToken=PA1" in page["next_page_uri"]


async def test_list_with_bad_credentials_maps_the_page_exception(twilio_emulator):
    # List calls raise a bare TwilioException (no .status/.code); the error must still read as bad credentials.
    with pytest.raises(ProviderError) as caught:
        await tw.list_incoming_numbers(account_sid=TENANT_SID, auth_token="1" * 32)
    assert caught.value.code == "twilio_credentials_rejected"
    assert caught.value.details["twilio_status"] == 401


# --- Verify ----------------------------------------------------------------------------------------------------


def _last_code(emulator) -> str:
    return emulator.delivered[-1][1].rsplit(" ", 1)[-1]


async def test_send_and_check_a_code(twilio_emulator):
    sent = await tw.send_verification_code(to="+15551234567")
    assert sent["sid"].startswith("VE") and sent["status"] == "pending" and sent["channel"] == "sms"
    to, body = twilio_emulator.delivered[-1]
    assert to == "+15551234567" and body.startswith("Your AVA verification code is: ")
    code = _last_code(twilio_emulator)
    assert len(code) == 6 and code.isdigit()
    wrong = "000000" if code != "000000" else "111111"
    assert await tw.check_verification_code(to="+15551234567", code=wrong) is False
    assert await tw.check_verification_code(to="+15551234567", code=code) is True
    with pytest.raises(Invalid) as caught:
        await tw.check_verification_code(to="+15551234567", code=code)
    assert caught.value.code == "verification_expired"


async def test_resend_keeps_the_code_and_speaks_the_locale(twilio_emulator):
    await tw.send_verification_code(to="+33612345678", locale="fr")
    first = _last_code(twilio_emulator)
    await tw.send_verification_code(to="+33612345678", locale="fr")
    assert _last_code(twilio_emulator) == first
    assert twilio_emulator.delivered[-1][1].startswith("Votre code de vérification AVA est")


async def test_code_expires_after_ten_minutes(twilio_emulator, clock):
    await tw.send_verification_code(to="+15551234567")
    clock.now += 601
    with pytest.raises(Invalid) as caught:
        await tw.check_verification_code(to="+15551234567", code=_last_code(twilio_emulator))
    assert caught.value.code == "verification_expired"


async def test_five_wrong_checks_then_max_attempts(twilio_emulator):
    await tw.send_verification_code(to="+15551234567")
    code = _last_code(twilio_emulator)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert await tw.check_verification_code(to="+15551234567", code=wrong) is False
    with pytest.raises(RateLimited) as caught:
        await tw.check_verification_code(to="+15551234567", code=code)
    assert caught.value.code == "verify_max_checks"


async def test_too_many_sends_is_rate_limited(twilio_emulator):
    for _ in range(5):
        await tw.send_verification_code(to="+15551234567")
    with pytest.raises(RateLimited) as caught:
        await tw.send_verification_code(to="+15551234567")
    assert caught.value.code == "verify_max_sends"


async def test_verify_rejects_bad_numbers_and_unknown_services(twilio_emulator):
    with pytest.raises(Invalid):
        await tw.send_verification_code(to="0612345678")
    with pytest.raises(NotFound):
        await tw.send_verification_code(to="+15551234567", service_sid="VA" + "0" * 32)
    with pytest.raises(Invalid) as caught:
        await tw.check_verification_code(to="+15550000000", code="123456")
    assert caught.value.code == "verification_expired"


async def test_outbox_hook_puts_the_sms_in_avas_outbox(db, sandbox):
    from ava_app.services.messaging.outbox import list_messages

    app = create_twilio_emulator(verify_services=[SANDBOX_VERIFY_SERVICE_SID], deliver_code=deliver_code_to_outbox)
    with serve_app(app) as base_url:
        tw.set_sandbox_base_url(base_url)
        try:
            await tw.send_verification_code(to="+15557654321")
        finally:
            tw.set_sandbox_base_url(None)
    messages = list_messages(db, channels=("sms",))
    assert len(messages) == 1
    assert messages[0]["to"] == "+15557654321"
    assert messages[0]["body_text"].startswith("Your AVA verification code is: ")


def test_emulator_keeps_numbers_in_its_sqlite_file(tmp_path, sandbox):
    path = tmp_path / "twilio.sqlite"
    first = create_twilio_emulator(db_path=path)
    with serve_app(first) as base_url:
        created = httpx.post(
            f"{base_url}/2010-04-01/Accounts/{SANDBOX_ACCOUNT_SID}/IncomingPhoneNumbers.json",
            data={"PhoneNumber": "+14155550199"},
            auth=tw.sandbox_account(),
        )
    assert created.status_code == 201
    second = create_twilio_emulator(db_path=path)
    assert [n["phone_number"] for n in second.state.emulator._numbers(SANDBOX_ACCOUNT_SID)] == ["+14155550199"]


# --- webhook signatures ----------------------------------------------------------------------------------------

# From tests/fixtures/contracts/twilio-inbound-voice.json and twilio-status-callback.json.
FIXTURE_TOKEN = "9f86d081884c7d659a2feaa0c55ad015"
INBOUND_VOICE_FORM = {
    "AccountSid": "ACa1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
    "ApiVersion": "2010-04-01",
    "CallSid": "CA9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    "CallStatus": "ringing",
    "Called": "+14155550142",
    "CalledCity": "SAN FRANCISCO",
    "CalledCountry": "US",
    "CalledState": "CA",
    "CalledZip": "94103",
    "Caller": "+16505550199",
    "CallerCity": "PALO ALTO",
    "CallerCountry": "US",
    "CallerState": "CA",
    "CallerZip": "94301",
    "Direction": "inbound",
    "From": "+16505550199",
    "FromCity": "PALO ALTO",
    "FromCountry": "US",
    "FromState": "CA",
    "FromZip": "94301",
    "StirVerstat": "TN-Validation-Passed-A",
    "To": "+14155550142",
    "ToCity": "SAN FRANCISCO",
    "ToCountry": "US",
    "ToState": "CA",
    "ToZip": "94103",
}
INBOUND_VOICE_RAW = (
    "AccountSid=ACa1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6&ApiVersion=2010-04-01&CallSid=CA9f8e7d6c5b4a39281706f5e4d3c2b1a0"
    "&CallStatus=ringing&Called=%2B14155550142&CalledCity=SAN+FRANCISCO&CalledCountry=US&CalledState=CA"
    "&CalledZip=94103&Caller=%2B16505550199&CallerCity=PALO+ALTO&CallerCountry=US&CallerState=CA&CallerZip=94301"
    "&Direction=inbound&From=%2B16505550199&FromCity=PALO+ALTO&FromCountry=US&FromState=CA&FromZip=94301"
    "&StirVerstat=TN-Validation-Passed-A&To=%2B14155550142&ToCity=SAN+FRANCISCO&ToCountry=US&ToState=CA&ToZip=94103"
)
INBOUND_VOICE_SIGNATURE = "lYs3X//4B1CvQxnGZNkf1+HqBTQ="
STATUS_RAW = (
    "AccountSid=ACa1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6&ApiVersion=2010-04-01&CallDuration=170"
    "&CallSid=CA3e1f0d9c8b7a69584736251403f2e1d0&CallStatus=completed&CallbackSource=call-progress-events"
    "&Called=%2B16505550199&Caller=%2B14155550142&Direction=outbound-api&From=%2B14155550142&SequenceNumber=3"
    "&SipResponseCode=200&Timestamp=Tue%2C+03+Jun+2025+16%3A07%3A03+%2B0000&To=%2B16505550199"
)
STATUS_SIGNATURE = "KhFplUr6bHJs7xiJbQeRTfX3kdk="
JSON_BODY = '{"event":"example","CallSid":"CA9f8e7d6c5b4a39281706f5e4d3c2b1a0"}'
JSON_HASH = "3346360b92deb2d94983ccf13be383118642856d2936b09d2a4b59825aa8b9f8"
JSON_SIGNATURE = "ooPmit177nMcUA0zvNcfpqR9ee8="


def _check(**kwargs) -> bool:
    return tw.validate_webhook_signature(auth_token=FIXTURE_TOKEN, public_url=PUBLIC_URL, **kwargs)


def test_inbound_voice_signature_from_form_fields_and_raw_body():
    path = "/api/webhooks/twilio/voice"
    assert _check(path=path, params=INBOUND_VOICE_FORM, signature=INBOUND_VOICE_SIGNATURE)
    assert _check(path=path, raw_body=INBOUND_VOICE_RAW.encode(), signature=INBOUND_VOICE_SIGNATURE)
    assert tw.sign_webhook(url=PUBLIC_URL + path, params=INBOUND_VOICE_FORM, auth_token=FIXTURE_TOKEN) == (
        INBOUND_VOICE_SIGNATURE
    )


def test_tampered_or_unsigned_voice_webhook_fails():
    path = "/api/webhooks/twilio/voice"
    assert not _check(
        path=path, params={**INBOUND_VOICE_FORM, "From": "+15550000000"}, signature=INBOUND_VOICE_SIGNATURE
    )
    assert not _check(path=path, params=INBOUND_VOICE_FORM, signature="")
    assert not _check(
        path="/api/v1/webhooks/twilio/voice", params=INBOUND_VOICE_FORM, signature=INBOUND_VOICE_SIGNATURE
    )
    assert not tw.validate_webhook_signature(
        path=path,
        params=INBOUND_VOICE_FORM,
        signature=INBOUND_VOICE_SIGNATURE,
        auth_token="0" * 32,
        public_url=PUBLIC_URL,
    )


def test_status_callback_signature_covers_the_query_string():
    path = "/api/webhooks/twilio/status"
    assert _check(path=path, query="tenant=tnt_8c41", raw_body=STATUS_RAW, signature=STATUS_SIGNATURE)
    assert not _check(path=path, query="tenant=tnt_0000", raw_body=STATUS_RAW, signature=STATUS_SIGNATURE)
    assert not _check(path=path, raw_body=STATUS_RAW, signature=STATUS_SIGNATURE)


def test_json_body_signature_checks_the_body_hash():
    url = tw.body_hash_url(url=PUBLIC_URL + "/api/webhooks/twilio/json", raw_body=JSON_BODY)
    assert url.endswith(f"?bodySHA256={JSON_HASH}")
    path, query = "/api/webhooks/twilio/json", f"bodySHA256={JSON_HASH}"
    assert _check(path=path, query=query, raw_body=JSON_BODY, signature=JSON_SIGNATURE)
    assert _check(path=path, query=query, raw_body=JSON_BODY.encode(), signature=JSON_SIGNATURE)
    tampered = json.dumps({"event": "example", "CallSid": "CA0"}, separators=(",", ":"))
    assert not _check(path=path, query=query, raw_body=tampered, signature=JSON_SIGNATURE)
    assert not _check(path=path, query=query, signature=JSON_SIGNATURE)


def test_signature_defaults_to_the_sandbox_token_and_public_url(sandbox):
    url = PUBLIC_URL + "/api/v1/webhooks/twilio/voice"
    signature = tw.sign_webhook(url=url, params={"CallSid": "CA1"})
    assert tw.validate_webhook_signature(
        path="/api/v1/webhooks/twilio/voice", params={"CallSid": "CA1"}, signature=signature
    )


# --- messages (SMS) --------------------------------------------------------------------------------------------


async def test_send_message_records_it_and_delivers_it(twilio_emulator):
    sender = (await tw.purchase_number(phone_number="+14155550150"))["phone_number"]
    sent = await tw.send_message(to="+14155550199", from_=sender, body="Your visit is booked for Monday 9:00.")
    assert sent["sid"].startswith("SM") and len(sent["sid"]) == 34
    assert (sent["status"], sent["to"], sent["from"]) == ("queued", "+14155550199", sender)
    assert twilio_emulator.delivered == [("+14155550199", "Your visit is booked for Monday 9:00.")]
    client = tw.twilio_client(None, None)
    fetched = client.api.v2010.account.messages(sent["sid"]).fetch()
    assert (fetched.body, fetched.direction, fetched.from_) == (
        "Your visit is booked for Monday 9:00.",
        "outbound-api",
        sender,
    )
    listed = client.api.v2010.account.messages.list(to="+14155550199")
    assert [message.sid for message in listed] == [sent["sid"]]


async def test_send_message_paging_envelope(twilio_emulator, emulator_app):
    sender = (await tw.purchase_number(phone_number="+14155550151"))["phone_number"]
    for index in range(3):
        await tw.send_message(to="+14155550199", from_=sender, body=f"Message {index}")
    client = tw.twilio_client(None, None)
    assert len(client.api.v2010.account.messages.list(page_size=2)) == 3
    answer = httpx.get(
        emulator_app.state.base_url + f"/2010-04-01/Accounts/{SANDBOX_ACCOUNT_SID}/Messages.json?PageSize=2",
        auth=(SANDBOX_ACCOUNT_SID, twilio_emulator.accounts[SANDBOX_ACCOUNT_SID]),
    )
    page = answer.json()
    assert set(page) == {
        "messages",
        "end",
        "first_page_uri",
        "next_page_uri",
        "page",
        "page_size",
        "previous_page_uri",
        "start",
        "uri",
    }
    assert len(page["messages"]) == 2 and page["next_page_uri"]
    assert not any(key.startswith("_") for key in page["messages"][0])


async def test_send_message_refusals_use_twilio_codes(twilio_emulator):
    sender = (await tw.purchase_number(phone_number="+14155550152"))["phone_number"]
    with pytest.raises(ProviderError) as caught:
        await tw.send_message(to="+14155550199", from_="+14155550153", body="Hello")
    assert (caught.value.code, caught.value.details["twilio_code"]) == ("twilio_sender_not_sms_capable", 21606)
    with pytest.raises(Invalid) as too_long:
        await tw.send_message(to="+14155550199", from_=sender, body="x" * 1601)
    assert too_long.value.details["twilio_code"] == 21617
    with pytest.raises(Invalid):
        await tw.send_message(to="+14155550199", from_=sender, body="   ")
    # Another account's number is not a sender for this account.
    with pytest.raises(ProviderError) as foreign:
        await tw.send_message(
            to="+14155550199", from_=sender, body="Hello", account_sid=TENANT_SID, auth_token=TENANT_TOKEN
        )
    assert foreign.value.details["twilio_code"] == 21606
    assert twilio_emulator.delivered == []


async def test_stop_blocks_the_sender_until_start_and_inbound_webhook_is_signed(twilio_emulator):
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    received: list[tuple[dict, bool]] = []

    async def inbound(request: Request) -> Response:
        form = dict(await request.form())
        valid = tw.validate_webhook_signature(
            path="/api/v1/webhooks/twilio/sms",
            signature=request.headers.get("X-Twilio-Signature", ""),
            params=form,
        )
        received.append((form, valid))
        return Response("<Response/>", media_type="text/xml")

    receiver = httpx.ASGITransport(
        app=Starlette(routes=[Route("/api/v1/webhooks/twilio/sms", inbound, methods=["POST"])])
    )
    sender = (await tw.purchase_number(phone_number="+14155550154"))["phone_number"]
    caller = "+14155550188"
    await tw.send_message(to=caller, from_=sender, body="Before STOP")
    result = await twilio_emulator.receive_sms(caller, sender, " stop ", transport=receiver)
    assert (result["status"], result["twiml"]) == (200, "<Response/>")
    form, valid = received[-1]
    assert valid
    assert (form["From"], form["To"], form["Body"], form["AccountSid"]) == (
        caller,
        sender,
        " stop ",
        SANDBOX_ACCOUNT_SID,
    )
    assert form["MessageSid"].startswith("SM")
    with pytest.raises(ProviderError) as caught:
        await tw.send_message(to=caller, from_=sender, body="After STOP")
    assert (caught.value.code, caught.value.details["twilio_code"]) == ("twilio_recipient_opted_out", 21610)
    # Another recipient is unaffected.
    await tw.send_message(to="+14155550187", from_=sender, body="Still fine")
    await twilio_emulator.receive_sms(caller, sender, "UNSTOP", transport=receiver)
    await tw.send_message(to=caller, from_=sender, body="After START")
    assert [body for to, body in twilio_emulator.delivered if to == caller] == ["Before STOP", "After START"]
    inbound_listed = tw.twilio_client(None, None).api.v2010.account.messages.list(from_=caller)
    assert {message.direction for message in inbound_listed} == {"inbound"}


@pytest.mark.parametrize("word", ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"])
async def test_every_opt_out_word_blocks(twilio_emulator, word):
    sender = (await tw.purchase_number(phone_number="+14155550155"))["phone_number"]
    await twilio_emulator.receive_sms("+14155550188", sender, word.lower())
    with pytest.raises(ProviderError):
        await tw.send_message(to="+14155550188", from_=sender, body="Hi")
    await twilio_emulator.receive_sms("+14155550188", sender, "yes")
    await tw.send_message(to="+14155550188", from_=sender, body="Hi")


async def test_a_person_texts_the_business_through_the_sandbox_route(twilio_emulator, emulator_app):
    """The emulator's own route: a text to an owned number is recorded, STOP opts out as Twilio does, and nobody but
    the number's account may send one."""
    number = await tw.purchase_number(area_code="415", account_sid=TENANT_SID, auth_token=TENANT_TOKEN)
    url = f"{emulator_app.state.base_url}/2010-04-01/Accounts/{TENANT_SID}/Sandbox/InboundMessages.json"
    sender = "+16505550199"

    answer = httpx.post(url, data={"From": sender, "To": number["phone_number"], "Body": "STOP"}, auth=TENANT)
    assert answer.status_code == 201, answer.text
    assert (answer.json()["direction"], answer.json()["body"]) == ("inbound", "STOP")
    assert twilio_emulator.opted_out(number["phone_number"], sender)

    other = ("AC" + "e" * 32, "f" * 32)
    twilio_emulator.add_account(*other)
    elsewhere = url.replace(TENANT_SID, other[0])
    refused = httpx.post(elsewhere, data={"From": sender, "To": number["phone_number"], "Body": "hi"}, auth=other)
    assert refused.status_code == 404
    for form, code in (({"From": "nobody", "Body": "hi"}, 400), ({"From": sender, "Body": " "}, 400)):
        assert httpx.post(url, data={"To": number["phone_number"], **form}, auth=TENANT).status_code == code
    assert httpx.post(url, data={"From": sender, "To": number["phone_number"], "Body": "hi"}).status_code == 401

"""Missed-call text-back in Chromium and through the emulators: the owner turns it on in /settings/business, a caller
hangs up during the greeting (a simulated Vapi call on the business's Twilio number), the caller gets the text from
that number, replies STOP, and the next missed call texts them nothing."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from ava_app import routes
from ava_app.models import Assistant, Call, Outbox, PhoneNumber, SmsOptOut, Tenant
from ava_app.services.providers.sandbox_keys import SANDBOX_ACCOUNT_SID
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import PASSWORD, log_in, make_business, make_member

pytestmark = pytest.mark.e2e

CALLER = "+16505550187"
CALL_SPEED = 2.5


def twilio_number_through_the_api(base_url: str, email: str) -> None:
    """A US number bought from the sandbox Twilio account, as the number step does, through /api/v1. Boston's
    area code: the browser tests take free Vapi numbers in 415 and 512, and an import of a number Vapi already
    holds is refused."""
    with httpx.Client(base_url=base_url + "/api/v1", timeout=30) as api:
        login = api.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        api.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        offers = api.get("/phone-numbers/available", params={"country": "US", "area_code": "617"})
        assert offers.status_code == 200, offers.text
        offer = next(item for item in offers.json() if item["kind"] == "twilio")
        bought = api.post(
            "/phone-numbers/provision",
            json={"kind": "twilio", "country": "US", "phone_number": offer["phone_number"]},
        )
        assert bought.status_code == 201, bought.text


def number_in_vapi(db: Session, tenant: Tenant, *, timeout: float = 150) -> PhoneNumber:
    """The business's number once imported into Vapi: under load the import fails once and a job retries it."""
    deadline = time.monotonic() + timeout
    while True:
        db.expire_all()
        number = db.exec(select(PhoneNumber).where(PhoneNumber.tenant_id == tenant.id)).one()
        if number.provider_number_id:
            return number
        if time.monotonic() >= deadline:
            # Which assistant the import named, and where it came from (a test's own business starts with none).
            assistants = [
                (row.id, row.provider_assistant_id, row.name, row.created_at)
                for row in db.exec(select(Assistant).where(Assistant.tenant_id == tenant.id)).all()
            ]
            raise AssertionError(f"the number never reached Vapi: {number.sync_error}; assistants: {assistants}")
        time.sleep(0.5)


def hang_up_call(base_url: str, vapi_key: str, number: PhoneNumber) -> None:
    """The caller rings and hangs up during the greeting, as the Vapi emulator plays it."""
    started = httpx.post(
        f"{base_url}{routes.SANDBOX_VAPI}/sandbox/simulate-call",
        headers={"Authorization": f"Bearer {vapi_key}"},
        json={
            "phoneNumberId": number.provider_number_id,
            "intent": "hang_up",
            "speed": CALL_SPEED,
            "customer": {"number": CALLER},
        },
        timeout=30,
    )
    assert started.status_code == 201, started.text


def texts_to_the_caller(base_url: str, token: str) -> list[str]:
    """What the sandbox Twilio account sent to the caller (its REST API, newest first)."""
    listed = httpx.get(
        f"{base_url}{routes.SANDBOX_TWILIO}/2010-04-01/Accounts/{SANDBOX_ACCOUNT_SID}/Messages.json",
        params={"To": CALLER},
        auth=(SANDBOX_ACCOUNT_SID, token),
        timeout=10,
    )
    assert listed.status_code == 200, listed.text
    return [message["body"] for message in listed.json()["messages"]]


def calls_done(db: Session, tenant: Tenant, count: int, *, timeout: float = 90) -> None:
    """Wait until ``count`` calls of the business have ended and their post-call job has run."""
    deadline = time.monotonic() + timeout
    while True:
        db.expire_all()
        done = db.exec(
            select(Call.id).where(Call.tenant_id == tenant.id, Call.status == "ended", Call.summary_status == "done")
        ).all()
        if len(done) >= count:
            return
        assert time.monotonic() < deadline, f"{len(done)} of {count} calls were processed in time"
        time.sleep(0.5)


def test_a_missed_caller_is_texted_back_and_stop_stops_the_next_text(
    live_server: str, live_sandbox_keys, page: Page, db: Session
):
    tenant = make_business(db, name="Garage Texto")
    owner = make_member(db, tenant=tenant, name="Theo Texto")
    twilio_number_through_the_api(live_server, owner.email)
    number = number_in_vapi(db, tenant)
    assert number.twilio_sid

    log_in(page, live_server, owner.email)
    page.goto(live_server + "/settings/business")
    switch = page.get_by_role("switch", name="Text back after a missed call")
    expect(switch).not_to_be_checked()
    switch.click()
    expect(switch).to_be_checked()
    deadline = time.monotonic() + 15
    while not db.get(Tenant, tenant.id).text_back_missed:
        assert time.monotonic() < deadline, "the switch was not saved"
        time.sleep(0.3)
        db.expire_all()

    hang_up_call(live_server, live_sandbox_keys.vapi_api_key, number)
    calls_done(db, tenant, 1)
    deadline = time.monotonic() + 30

    def garage_texts() -> list[str]:
        # The caller's number is shared with the booking tests, whose businesses text it too.
        sent = texts_to_the_caller(live_server, live_sandbox_keys.twilio_auth_token)
        return [text for text in sent if "Garage Texto" in text]

    while not (texts := garage_texts()):
        assert time.monotonic() < deadline, "no text reached the caller"
        time.sleep(0.5)
    (text,) = texts
    assert text.startswith("Sorry we missed your call to Garage Texto.") and text.endswith(
        "Reply STOP to stop these texts."
    )

    # The owner sees it in the deliveries log.
    page.goto(live_server + "/settings/deliveries")
    expect(page.get_by_text(text[:40]).first).to_be_visible()
    expect(page.get_by_text("(650) 555-0187").first).to_be_visible()  # the number as a US business writes it
    page.screenshot(path=str(ARTIFACTS / "text-back-deliveries.png"), full_page=True)

    # The caller answers STOP: the emulator posts it to AVA, signed, as Twilio would.
    replied = httpx.post(
        f"{live_server}{routes.SANDBOX_TWILIO}/2010-04-01/Accounts/{SANDBOX_ACCOUNT_SID}/Sandbox/InboundMessages.json",
        data={"From": CALLER, "To": number.e164, "Body": "STOP"},
        auth=(SANDBOX_ACCOUNT_SID, live_sandbox_keys.twilio_auth_token),
        timeout=30,
    )
    assert replied.status_code == 201 and replied.json()["webhook_status"] == 200, replied.text
    db.expire_all()
    assert db.exec(select(SmsOptOut).where(SmsOptOut.tenant_id == tenant.id, SmsOptOut.phone == CALLER)).one()

    # As if the first text had gone yesterday (one text a day per caller), so only STOP can hold back the next.
    first = db.exec(select(Outbox).where(Outbox.tenant_id == tenant.id, Outbox.purpose == "text_back")).one()
    first.dedupe_key = f"{first.dedupe_key}:yesterday"
    db.add(first)
    db.commit()

    hang_up_call(live_server, live_sandbox_keys.vapi_api_key, number)
    calls_done(db, tenant, 2)
    time.sleep(3)  # the text-back job runs before the summary; give a late one time to show
    assert garage_texts() == [text]
    db.expire_all()
    assert len(db.exec(select(Outbox).where(Outbox.tenant_id == tenant.id, Outbox.purpose == "text_back")).all()) == 1

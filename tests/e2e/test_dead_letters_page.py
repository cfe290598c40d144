"""/admin/dead-letters in Chromium: a platform admin retries a failed event; an organisation's admin is refused."""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from ava_app.models import Call, WebhookEvent
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import log_in, make_business, make_member
from tests.e2e.screenshots import WIDTHS
from tests.factories import make_assistant

pytestmark = pytest.mark.e2e


def failed_report(db: Session, *, assistant_id: str, call_id: str) -> WebhookEvent:
    """A stored end-of-call report whose apply failed every time (as if the database had refused it)."""
    message = {
        "type": "end-of-call-report",
        "endedReason": "customer-ended-call",
        "startedAt": "2026-12-01T09:00:00Z",
        "endedAt": "2026-12-01T09:02:00Z",
        "call": {"id": call_id, "assistantId": assistant_id, "type": "inboundPhoneCall"},
        "artifact": {"messages": [{"role": "user", "message": "Is the bakery open on Sunday?"}]},
    }
    event = WebhookEvent(
        provider="vapi",
        event_type="end-of-call-report",
        dedupe_key=f"vapi:{call_id}:end-of-call-report",
        provider_call_id=call_id,
        payload=json.dumps({"message": message}),
        error="OperationalError: database is locked",
        attempts=9,
    )
    db.add(event)
    db.commit()
    return event


def screenshots(browser: Browser, base_url: str, cookies: list, *, expected: dict[str, tuple[str, str]]) -> None:
    """The page in French and English, light and dark, 390 and 1440 px wide, each checked for its heading."""
    out = ARTIFACTS / "dead-letters"
    out.mkdir(parents=True, exist_ok=True)
    for lang, (heading, retry) in expected.items():
        for theme in ("light", "dark"):
            for width_name, (width, height) in WIDTHS.items():
                context = browser.new_context(
                    viewport={"width": width, "height": height},
                    color_scheme=theme,
                    storage_state={"cookies": cookies, "origins": []},
                )
                storage = {"ava_lang": lang, "theme": theme}
                context.add_init_script("".join(f"localStorage.setItem({k!r}, {v!r});" for k, v in storage.items()))
                shot = context.new_page()
                shot.goto(base_url + "/admin/dead-letters")
                expect(shot.get_by_role("heading", name=heading)).to_be_visible()
                # A table row on a desktop, a card with its own retry button on a phone.
                error = shot.get_by_text("OperationalError: database is locked")
                expect(error.locator("visible=true")).to_have_count(1)
                expect(shot.get_by_role("button", name=retry).locator("visible=true")).to_have_count(1)
                shot.screenshot(path=str(out / f"dead-letters-{lang}-{theme}-{width_name}.png"), full_page=True)
                context.close()


def test_platform_admin_retries_a_dead_letter(live_server: str, browser: Browser, page: Page, db: Session):
    bakery = make_business(db, name="Boulangerie Lune")
    assistant = make_assistant(db, tenant=bakery, provider_assistant_id="asst-lune-e2e")
    operator = make_member(db, tenant=bakery)
    operator.is_platform_admin = True
    db.add(operator)
    db.commit()
    event = failed_report(db, assistant_id=assistant.provider_assistant_id, call_id="call-lune-e2e")

    log_in(page, live_server, operator.email)
    page.goto(live_server + "/admin/dead-letters")
    expect(page.get_by_role("heading", name="Failed webhook events")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Boulangerie Lune")
    expect(row).to_contain_text("vapi · end-of-call-report")
    expect(row).to_contain_text("database is locked")
    expect(row.get_by_role("cell", name="9", exact=True)).to_be_visible()

    # The screenshots reuse this browser's session cookie.
    screenshots(
        browser,
        live_server,
        page.context.cookies(),
        expected={"en": ("Failed webhook events", "Retry"), "fr": ("Événements webhook en échec", "Relancer")},
    )

    row.get_by_role("button", name="Retry").click()
    expect(page.get_by_text("Sent back to the job queue.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Boulangerie Lune")).to_have_count(0)

    # The embedded job worker applies it: the call is there, the event no longer a dead letter.
    deadline = time.monotonic() + 30
    while db.exec(select(Call).where(Call.provider_call_id == "call-lune-e2e")).first() is None:
        assert time.monotonic() < deadline, "the retried report was never applied"
        time.sleep(0.3)
        db.expire_all()
    db.refresh(event)
    assert event.processed_at is not None and event.error is None
    page.reload()
    expect(page.get_by_text("No failed events.")).to_be_visible()


def test_organisation_admin_reads_why_not(live_server: str, page: Page, db: Session):
    owner = make_member(db, tenant=make_business(db, name="Garage Soleil"))
    log_in(page, live_server, owner.email)
    page.goto(live_server + "/admin/dead-letters")
    expect(page.get_by_text("Only the platform's operators can see this page.")).to_be_visible()
    expect(page.get_by_role("button", name="Retry")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/admin/dead-letters/?$"))

"""/assistant as an owner uses it after onboarding: greeting, knowledge base, history, a test call; and what it must
not touch (each number's hours, set on /phone-numbers)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, col, select

from ava_app.models import Assistant, AssistantVersion, PhoneNumber
from ava_app.services import phones
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import log_in, make_business, make_member
from tests.factories import make_assistant, make_phone_number

pytestmark = pytest.mark.e2e
ORIGINAL_GREETING = "Hello, thanks for calling Atelier Nord. How can I help?"
NEW_GREETING = "Atelier Nord, good afternoon! Nora speaking, what can I do for you?"
WEEKDAYS = {day: [{"open": "09:00", "close": "18:00"}] for day in ("mon", "tue", "wed", "thu", "fri")}


def business_with_a_number(db: Session):
    tenant = make_business(db, name="Atelier Nord")
    owner = make_member(db, tenant=tenant, name="Nora Nord")
    assistant = make_assistant(
        db,
        tenant=tenant,
        name="Nora",
        first_message=ORIGINAL_GREETING,
        knowledge_base=[{"question": "Where is the shop?", "answer": "12 rue du Nord, Lille."}],
    )
    number = make_phone_number(
        db, tenant=tenant, assistant_id=assistant.id, business_hours={**WEEKDAYS, "sat": [], "sun": []}
    )
    return tenant, owner, assistant, number


def test_greeting_faq_history_and_test_call(live_server: str, page: Page, db: Session):
    tenant, owner, assistant, _number = business_with_a_number(db)
    log_in(page, live_server, owner.email)
    page.goto(live_server + "/assistant")

    # Save a new greeting: it reaches the voice provider, which the page says.
    greeting = page.get_by_label("Greeting")
    expect(greeting).to_have_value(ORIGINAL_GREETING)
    greeting.fill(NEW_GREETING)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved. Your assistant is up to date on the phone line.")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Live on the phone line")).to_be_visible()
    db.expire_all()
    saved = db.get(Assistant, assistant.id)
    assert saved.first_message == NEW_GREETING and saved.sync_status == "synced" and saved.provider_assistant_id

    # Knowledge base: add a question, move it above the first one, delete it.
    page.get_by_role("tab", name="Knowledge base").click()
    page.get_by_role("button", name="Add a question").click()
    # The editor takes the keyboard to the new entry's question (not its answer, where typing would land).
    expect(page.get_by_label("Question", exact=True)).to_be_focused()
    page.get_by_label("Question", exact=True).fill("Do you have parking?")
    page.get_by_label("Answer", exact=True).fill("Yes, two spaces behind the shop.")
    page.get_by_role("button", name="Save the question").click()
    expect(page.get_by_text("Yes, two spaces behind the shop.")).to_be_visible()
    expect(page.get_by_role("button", name="Move up: Do you have parking?")).to_be_enabled()
    expect(page.get_by_role("button", name="Move down: Do you have parking?")).to_be_disabled()
    page.get_by_role("button", name="Move up: Do you have parking?").click()
    expect(page.get_by_role("button", name="Move up: Do you have parking?")).to_be_disabled()
    expect(page.get_by_role("button", name="Move down: Where is the shop?")).to_be_disabled()
    db.expire_all()
    assert [item["question"] for item in db.get(Assistant, assistant.id).knowledge_base] == [
        "Do you have parking?",
        "Where is the shop?",
    ]
    page.screenshot(path=str(ARTIFACTS / "assistant-knowledge-base.png"), full_page=True)
    page.get_by_role("button", name="Delete: Do you have parking?").click()
    expect(page.get_by_text("Yes, two spaces behind the shop.")).to_have_count(0)
    expect(page.get_by_text("12 rue du Nord, Lille.")).to_be_visible()

    # History: bring back the version that still had the first greeting, after confirming.
    db.expire_all()
    earlier = db.exec(
        select(AssistantVersion.version, AssistantVersion.snapshot)
        .where(AssistantVersion.assistant_id == assistant.id)
        .order_by(col(AssistantVersion.version).desc())
    ).all()
    version = next(number for number, snapshot in earlier if snapshot.get("first_message") == ORIGINAL_GREETING)
    page.get_by_role("tab", name="History").click()
    page.get_by_role("button", name=f"Restore v{version}").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Restore this version?")
    dialog.get_by_role("button", name="Restore").click()
    expect(page.get_by_text(f"Version {version} restored.")).to_be_visible()
    page.get_by_role("tab", name="Voice").click()
    expect(page.get_by_label("Greeting")).to_have_value(ORIGINAL_GREETING)

    # A text test call of two exchanges from ?tab=test, then it is on /calls, marked as a test.
    page.goto(live_server + "/assistant?tab=test")
    page.get_by_role("button", name="Call to test").click()
    transcript = page.get_by_role("log")
    expect(transcript).to_contain_text(ORIGINAL_GREETING)
    caller = page.get_by_label("What the caller says")
    for line in ("Which street is the shop in?", "Thanks, bye"):
        caller.fill(line)
        caller.press("Enter")
        expect(transcript).to_contain_text(line)
        expect(page.get_by_role("button", name="Send", exact=True)).to_be_enabled()
    expect(transcript).to_contain_text("12 rue du Nord")  # answered from the knowledge base
    page.get_by_role("button", name="End test call").click()
    expect(page.get_by_text("Test call saved.")).to_be_visible()
    page.goto(live_server + "/calls")
    row = page.get_by_role("row", name=re.compile(r"You \(test\)"))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Test")


def test_saving_the_assistant_keeps_each_numbers_hours(live_server: str, page: Page, db: Session):
    tenant, owner, _assistant, number = business_with_a_number(db)
    log_in(page, live_server, owner.email)

    # Saturday mornings open on this number, set on /phone-numbers.
    page.goto(live_server + "/phone-numbers")
    page.get_by_role("button", name=f"Settings {phones.display(number.e164, tenant.country)}").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("switch", name="Saturday").click()
    dialog.get_by_label("Open Saturday").select_option("10:00")
    dialog.get_by_label("to Saturday").select_option("13:30")
    dialog.get_by_role("button", name="Save").click()
    expected = "Mon–Fri 9:00 AM–6:00 PM · Sat 10:00 AM–1:30 PM · Sun closed"
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_text(expected)).to_be_visible()
    db.expire_all()
    hours = db.get(PhoneNumber, number.id).business_hours
    assert hours["sat"] == [{"open": "10:00", "close": "13:30"}]

    # Save /assistant (a greeting change).
    page.goto(live_server + "/assistant")
    page.get_by_label("Greeting").fill(NEW_GREETING)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved. Your assistant is up to date on the phone line.")).to_be_visible(timeout=30_000)

    # The number's hours are what /phone-numbers set.
    page.goto(live_server + "/phone-numbers")
    expect(page.get_by_text(expected)).to_be_visible()
    db.expire_all()
    assert db.get(PhoneNumber, number.id).business_hours == hours

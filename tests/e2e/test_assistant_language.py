"""The assistant speaks its own language, whatever the interface's: a French salon's test call answers in French.

The owner uses AVA in English; the salon's assistant is French. Asked "Quels sont vos horaires ?" in the text test
call, it answers with the salon's week written the French way, not the English summary of the numbers list.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import log_in, make_business, make_member
from tests.factories import make_assistant, make_phone_number

pytestmark = pytest.mark.e2e
GREETING = "Bonjour, Salon Élise, Lina à l'appareil. Que puis-je faire pour vous ?"
SALON_WEEK = {
    "mon": [],
    **{day: [{"open": "09:30", "close": "19:00"}] for day in ("tue", "wed", "thu", "fri")},
    "sat": [{"open": "09:00", "close": "18:00"}],
    "sun": [],
}
FRENCH_HOURS = "lundi fermé · du mardi au vendredi 9 h 30–19 h · samedi 9 h–18 h · dimanche fermé"


def test_a_french_business_test_call_answers_its_hours_in_french(live_server: str, page: Page, db: Session):
    tenant = make_business(db, name="Salon Élise")
    tenant.locale, tenant.country, tenant.timezone = "fr", "FR", "Europe/Paris"
    db.add(tenant)
    db.commit()
    owner = make_member(db, tenant=tenant, name="Élise Morel")
    assistant = make_assistant(
        db,
        tenant=tenant,
        name="Lina",
        language="fr",
        voice_provider="azure",
        voice_id="fr-FR-DeniseNeural",
        first_message=GREETING,
        knowledge_base=[{"question": "Quels sont vos tarifs ?", "answer": "Une coupe femme coûte 35 €."}],
    )
    make_phone_number(db, tenant=tenant, assistant_id=assistant.id, business_hours=SALON_WEEK)

    log_in(page, live_server, owner.email)
    page.goto(live_server + "/assistant?tab=test")
    page.get_by_role("button", name="Call to test").click()
    transcript = page.get_by_role("log")
    expect(transcript).to_contain_text(GREETING)
    caller = page.get_by_label("What the caller says")
    caller.fill("Quels sont vos horaires ?")
    caller.press("Enter")
    expect(transcript).to_contain_text(FRENCH_HOURS)
    expect(transcript).not_to_contain_text("Tue-Fri")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "test-call-in-french.png"), full_page=True)

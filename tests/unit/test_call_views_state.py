"""The owner-first call page and list as their states show them: caller and call-back link, tools as sentences,
translated field labels, plain ended reasons, test calls, counts; the test-call panel links to the saved call."""

from __future__ import annotations

import importlib

import pytest

from ava_app.models import CallMessage, Tenant
from ava_app.services import accounts, assistants, calls
from ava_app.services.principal import Principal
from ava_app.state.call_detail import CallDetailState, tool_sentences
from ava_app.state.calls import count_text
from ava_app.state.test_call import TestCallState
from tests.factories import make_call
from tests.unit.test_state_tenant_isolation import PASSWORD, open_page, run, state_of


@pytest.fixture(scope="module", autouse=True)
def reflex_app():
    importlib.import_module("ava_app.ava_app")


class Owner:
    def __init__(self, admin: accounts.AuthResult) -> None:
        self.admin = admin


@pytest.fixture()
def french_business(db):
    admin = accounts.signup(
        db, name="Claire Martin", email="claire@cabinet.example", password=PASSWORD, organisation_name="Cabinet Martin"
    )
    tenant = db.get(Tenant, admin.tenant_id)
    tenant.country, tenant.locale, tenant.industry = "FR", "fr", "clinic"
    db.add(tenant)
    db.commit()
    principal = Principal(user_id=admin.user_id, tenant_id=tenant.id, role="admin", session_id=admin.session_id)
    return tenant, Owner(admin), principal


def test_tool_lines_are_sentences_never_json():
    line = 'take_message({"caller_name": "Jordan", "message": "Call me"}); lookup_faq({"question": "parking"})'
    assert tool_sentences(line, "en", assistant="Ava") == (
        "Ava took a message. Ava looked up the answer in your questions and answers."
    )
    assert tool_sentences("take_message({})", "fr") == "AVA a pris un message."
    assert tool_sentences("mystery_tool({})", "en") == "AVA used a tool."
    assert "{" not in tool_sentences("garbage without a name", "en")


def test_counts_read_in_the_page_language():
    assert count_text(calls.CallCount(total=1, capped=False), "en") == "1 call"
    assert count_text(calls.CallCount(total=128, capped=False), "en") == "128 calls"
    assert count_text(calls.CallCount(total=1280, capped=False), "fr") == "1\u202f280 appels"
    assert count_text(calls.CallCount(total=10_000, capped=True), "en") == "More than 10,000 calls"


async def test_french_call_page_is_owner_first(engine, db, french_business):
    tenant, owner, principal = french_business
    assistant = assistants.get_or_create_assistant(db, principal=principal)
    call = make_call(
        db,
        tenant=tenant,
        assistant_id=assistant.id,
        caller_number="+33612345678",
        ended_reason="customer-ended-call",
        action_needed=True,
        summary="Jordan veut déplacer son rendez-vous.",
        data_fields={"patient_name": "Jordan Lee", "new_patient": True},
        cost_breakdown={"stt": 0.01, "llm": 0.02},
    )
    for position, (role, text) in enumerate(
        [
            ("assistant", "Cabinet Martin, bonjour."),
            ("tool_call", 'take_message({"patient_name": "Jordan Lee"})'),
            ("tool_result", "take_message: Message saved for the team."),
        ]
    ):
        db.add(CallMessage(tenant_id=tenant.id, call_id=call.id, position=position, role=role, text=text))
    db.commit()

    state = state_of(CallDetailState, owner)
    state.lang = "fr"
    open_page(state, f"/calls/{call.id}", "/calls/[id]", {"id": str(call.id)})
    await run(state, "load_call")

    view = state.call
    assert view["heading"] == "Jordan Lee" and view["number"] == "06 12 34 56 78"
    assert view["tel"] == "tel:+33612345678"
    assert view["ended_reason"] == "L'appelant a raccroché." and view["ended_code"] == "customer-ended-call"
    assert view["action_needed"] and not view["is_test"]
    assert {(row["name"], row["value"]) for row in state.data_fields} == {
        ("Nom du patient", "Jordan Lee"),
        ("Nouveau patient", "Oui"),
    }
    texts = [message["text"] for message in state.messages]
    assert texts == ["Cabinet Martin, bonjour.", f"{assistant.name} a pris un message."]
    assert not any("{" in text for text in texts)
    assert [row["text"] for row in state.tool_rows][1].startswith("take_message:"), "the raw tool data is in details"


async def test_a_test_call_is_labelled_and_never_asks_for_a_follow_up(engine, db, french_business):
    tenant, owner, _principal = french_business
    call = make_call(db, tenant=tenant, call_type="test", caller_number=None, action_needed=True)
    state = state_of(CallDetailState, owner)
    open_page(state, f"/calls/{call.id}", "/calls/[id]", {"id": str(call.id)})
    await run(state, "load_call")
    assert state.call["heading"] == "Test call" and state.call["is_test"]
    assert not state.call["action_needed"] and state.call["tel"] == ""


async def test_the_test_call_end_message_links_to_the_saved_call(engine, db, french_business):
    _tenant, owner, _principal = french_business
    state = state_of(TestCallState, owner)
    await run(state, "start_call")
    state.turns = [*state.turns, {"role": "user", "content": "Bonjour, je voudrais un rendez-vous."}]
    assert await run(state, "end_call") == ["toast:success"]
    assert state.call_saved and state.saved_call_href.startswith("/calls/")
    call_id = int(state.saved_call_href.rsplit("/", 1)[1])
    owner_principal = Principal(
        user_id=owner.admin.user_id, tenant_id=owner.admin.tenant_id, role="admin", session_id=owner.admin.session_id
    )
    assert calls.get_call(db, principal=owner_principal, call_id=call_id).call_type == "test"

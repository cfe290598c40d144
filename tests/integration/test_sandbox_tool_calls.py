"""A simulated call against an assistant AVA itself pushed to the sandbox Vapi: the emulator calls AVA's tools.

AVA runs on a real port in sandbox mode, with the Vapi emulator mounted inside it as in the product: the assistant is
synced through ``assistants.sync_assistant`` (so its config is ``vapi_assistant_config``'s, tools included), the
emulator plays the call, posts ``tool-calls`` to the tools' server (AVA's webhook, with the secret), and AVA's own
handlers answer from the database.
"""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from ava_app.api.app import create_api
from ava_app.models import Call, WebhookEvent
from ava_app.sandbox.vapi.app import simulate_call
from ava_app.services import assistants
from ava_app.services.providers.vapi import BUILTIN_TOOLS, reset_circuit_breakers
from ava_app.settings import get_settings
from tests.factories import make_assistant, make_phone_number, make_tenant
from tests.servers import free_port, serve_app

ALWAYS_OPEN = {day: [{"open": "00:00", "close": "24:00"}] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
PARKING = "Yes, free parking is right behind the clinic."


@pytest.fixture()
def ava(engine, monkeypatch):
    """AVA's API (with its sandbox Vapi) on a free port, AVA_PUBLIC_URL pointing at it; yields the mounted emulator."""
    for name in ("AVA_VAPI_API_KEY", "AVA_OPENAI_API_KEY"):
        monkeypatch.setenv(name, "")
    port = free_port()
    monkeypatch.setenv("AVA_PUBLIC_URL", f"http://127.0.0.1:{port}")
    get_settings.cache_clear()
    reset_circuit_breakers()
    api = create_api()
    emulator = next(route.app for route in api.routes if getattr(route, "path", "") == "/sandbox/vapi")
    with serve_app(api, port=port):
        yield emulator
    get_settings.cache_clear()


@pytest.fixture()
def pushed(db, ava, jobs):
    """A tenant's assistant with a knowledge base and every built-in tool, pushed to the sandbox Vapi by AVA."""
    tenant = make_tenant(db, name="Bright Smile Dental", timezone="America/Los_Angeles")
    assistant = make_assistant(
        db,
        tenant=tenant,
        name="Ava",
        knowledge_base=[
            {"question": "Do you have parking?", "answer": PARKING},
        ],
        data_fields=[{"key": "reason", "label": "Reason for calling", "type": "string"}],
        enabled_integrations=list(BUILTIN_TOOLS),
    )
    make_phone_number(db, tenant=tenant, assistant_id=assistant.id, business_hours=ALWAYS_OPEN)
    synced = assistants.sync_assistant(db, tenant_id=tenant.id, assistant_id=assistant.id)
    assert synced.sync_status == "synced", synced.sync_error
    return tenant, synced.provider_assistant_id, ava


def _tool_answers(db) -> dict[str, dict]:
    """AVA's answer to every tool call it received, by tool name (re-run from the stored events)."""
    db.expire_all()
    answers = {}
    for event in db.exec(select(WebhookEvent).where(WebhookEvent.event_type == "tool-calls")).all():
        (item,) = json.loads(event.payload)["message"]["toolCallList"]
        answers[item["function"]["name"]] = event
    return answers


def _line_after_tool(call: dict, name: str) -> tuple[str, str]:
    """(the tool's result as Vapi recorded it, what the assistant said next)."""
    messages = call["artifact"]["messages"]
    index = next(i for i, m in enumerate(messages) if m["role"] == "tool_call_result" and m["name"] == name)
    return messages[index]["result"], next(m["message"] for m in messages[index + 1 :] if m["role"] == "bot")


async def test_a_question_is_answered_by_avas_knowledge_base_and_business_hours(db, pushed):
    tenant, provider_id, emulator = pushed

    call = await simulate_call(emulator, intent="question", assistant_id=provider_id, speed=0)

    answers = _tool_answers(db)
    assert set(answers) == {"lookup_faq", "check_business_hours"}
    assert all(event.tenant_id == tenant.id and event.error is None for event in answers.values())
    faq_result, faq_line = _line_after_tool(call, "lookup_faq")
    assert faq_result == PARKING and faq_line == PARKING
    hours_result, hours_line = _line_after_tool(call, "check_business_hours")
    # A web call has no number: AVA answered with the hours of the line routed to the assistant.
    assert hours_result == "Open now. Hours today: all day." and hours_line == hours_result


async def test_a_complaint_is_saved_by_avas_take_message_on_the_call(db, pushed):
    tenant, provider_id, emulator = pushed

    call = await simulate_call(emulator, intent="complaint", assistant_id=provider_id, speed=0)

    result, line = _line_after_tool(call, "take_message")
    assert result.startswith("Message saved for the team.") and "logged your complaint" in line
    db.expire_all()
    stored = db.exec(select(Call).where(Call.provider_call_id == call["id"])).one()
    assert stored.tenant_id == tenant.id and stored.action_needed is True
    assert stored.data_fields["message"].startswith("Was charged twice")
    assert stored.data_fields["reason"] == "double charge complaint"
    assert stored.data_fields["caller_name"] in call["artifact"]["transcript"]

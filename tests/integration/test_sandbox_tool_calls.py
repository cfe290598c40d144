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


async def test_a_booking_call_books_through_avas_calendar_and_reaches_the_connected_google(db, pushed):
    """Two services: the emulated model asks which, takes AVA's first free time, books; the event lands in Google."""
    import secrets as _secrets

    from ava_app.models import Booking, CalendarConnection
    from ava_app.sandbox import calendars
    from ava_app.sandbox.calendars.oauth import Grant
    from ava_app.services import bookings
    from ava_app.services.credentials import encrypt_text
    from ava_app.services.providers.sandbox_keys import sandbox_oauth_client

    tenant, provider_id, emulator = pushed
    bookings.save_booking_rules(
        db, tenant_id=tenant.id, enabled=True, min_notice_minutes=60, horizon_days=30, granularity_minutes=30,
        max_per_day=None,
    )  # fmt: skip
    cleaning = bookings.add_service(db, tenant_id=tenant.id, name="Cleaning", duration_minutes=60, price_minor=12000)
    checkup = bookings.add_service(db, tenant_id=tenant.id, name="Check-up", duration_minutes=30)
    bookings.add_staff(db, tenant_id=tenant.id, name="Dr. Kim", service_ids=[cleaning.id, checkup.id])
    google = calendars.google_emulator()  # the one AVA mounted at /sandbox/google
    google.store.events.clear()
    refresh_token = _secrets.token_urlsafe(24)
    google.oauth.grants[refresh_token] = Grant(
        account=google.oauth.account,
        client_id=sandbox_oauth_client("google").client_id,
        scope=google.oauth.required_scope,
    )
    db.add(
        CalendarConnection(
            tenant_id=tenant.id, provider="google", account_email=google.oauth.account,
            refresh_token_encrypted=encrypt_text(refresh_token),
        )
    )  # fmt: skip
    db.commit()
    # Bookings on: AVA pushes the assistant again, now with its booking tools.
    from ava_app.models import Assistant

    assistant = db.exec(select(Assistant).where(Assistant.provider_assistant_id == provider_id)).one()
    assert assistants.sync_assistant(db, tenant_id=tenant.id, assistant_id=assistant.id).sync_status == "synced"

    call = await simulate_call(emulator, intent="booking", assistant_id=provider_id, speed=0)

    names = [
        item["function"]["name"]
        for message in call["artifact"]["messages"]
        if message["role"] == "tool_calls"
        for item in message["toolCalls"]
    ]
    assert names == ["check_availability", "check_availability", "book_appointment"], [
        m.get("result") for m in call["artifact"]["messages"] if m["role"] == "tool_call_result"
    ]
    first, first_line = _line_after_tool(call, "check_availability")
    assert first.startswith("Ask the caller which service they want: ")
    result, line = _line_after_tool(call, "book_appointment")
    assert result.startswith("Booked: Check-up on ") and line.startswith("You're all set. Booked: Check-up")
    db.expire_all()
    (booking,) = db.exec(select(Booking)).all()
    stored = db.exec(select(Call).where(Call.provider_call_id == call["id"])).one()
    assert (booking.tenant_id, booking.source, booking.call_id) == (tenant.id, "assistant", stored.id)
    assert booking.caller_name in call["artifact"]["transcript"]
    (event,) = [event for event in google.events_of().values() if event.get("status") != "cancelled"]
    assert event["summary"] == f"Check-up — {booking.caller_name}"

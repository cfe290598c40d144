"""Vapi's assistant-request: which assistant takes an inbound call, or a forward, given the number's hours."""

from __future__ import annotations

from sqlmodel import Session

from ava_app.models import Assistant, PhoneNumber, Tenant
from ava_app.services.billing.subscriptions import call_policy
from ava_app.services.business_hours import HoursStatus, business_hours_status
from ava_app.services.call_blocking import BLOCKED_CALL_VALUES, is_blocked
from ava_app.services.caller_phrases import closed_greeting, language_for, phrase
from ava_app.services.ingest.calls import (
    Handled,
    Routing,
    VapiEvent,
    caller_number,
    ensure_call,
    find_number,
    touch_call,
)
from ava_app.services.providers.vapi import message_tool
from ava_app.settings import get_settings

# Said when AVA fails before it knows whose call it is (``events``), so in AVA's default language.
UNAVAILABLE = phrase("en", "unavailable")


def handle_assistant_request(session: Session, event: VapiEvent) -> Handled:
    number = find_number(session, event)
    if number is None or (event.auth_tenant_id is not None and number.tenant_id != event.auth_tenant_id):
        # No business to speak for: AVA's default language.
        return Handled(
            response={"error": phrase("en", "not_in_service")}, problem="called number is not registered in AVA"
        )
    tenant = session.get(Tenant, number.tenant_id)
    assistant = session.get(Assistant, number.assistant_id) if number.assistant_id else None
    routing = Routing(
        tenant_id=number.tenant_id, assistant_id=assistant.id if assistant else None, phone_number_id=number.id
    )
    if tenant is not None and is_blocked(session, tenant=tenant, caller=caller_number(event)):
        # Refused before any model runs: Vapi speaks the error and hangs up. The call row counts the attempt.
        ref = ensure_call(session, event, status="ringing", routing=routing, values=dict(BLOCKED_CALL_VALUES))
        goodbye = phrase(language_for(assistant, tenant), "blocked")
        return Handled(response={"error": goodbye}, tenant_id=number.tenant_id, call_id=ref.id if ref else None)
    # Billing is decided here, at the call's start, and never again during the call.
    policy = call_policy(session, tenant_id=number.tenant_id, now=event.now) if tenant is not None else "normal"
    if policy == "pause":
        ref = ensure_call(session, event, status="ringing", routing=routing)
        goodbye = phrase(language_for(assistant, tenant), "paused")
        return Handled(response={"error": goodbye}, tenant_id=number.tenant_id, call_id=ref.id if ref else None)
    ref = ensure_call(session, event, status="ringing", routing=routing)
    if ref is not None and not ref.created:
        touch_call(session, ref, event)
    if policy == "messages_only" and assistant is not None and assistant.provider_assistant_id:
        response = _messages_only(assistant=assistant, tenant=tenant)
        return Handled(response=response, tenant_id=number.tenant_id, call_id=ref.id if ref else None)
    hours = business_hours_status(
        business_hours=number.business_hours,
        holidays=number.holidays,
        timezone=tenant.timezone if tenant else "UTC",
        at=event.now,
    )
    response = _inbound_route(number=number, assistant=assistant, tenant=tenant, hours=hours)
    return Handled(response=response, tenant_id=number.tenant_id, call_id=ref.id if ref else None)


def _inbound_route(
    *, number: PhoneNumber, assistant: Assistant | None, tenant: Tenant | None, hours: HoursStatus
) -> dict:
    """The assistant-request answer: the AI, the AI taking a voicemail, or a plain forward, as the owner configured.

    What AVA says itself (the hold message, the voicemail greeting, the apology) is in the assistant's language,
    else the business's.
    """
    business = tenant.name if tenant else ""
    language = language_for(assistant, tenant)
    forward = {"type": "number", "number": number.forwarding_number, "message": phrase(language, "hold")}
    provider_id = assistant.provider_assistant_id if assistant else None
    if not provider_id:
        # No AI to hand the call to: a forward is better than a dead line.
        return {"destination": forward} if number.forwarding_number else {"error": phrase(language, "unavailable")}
    variables = {"businessName": business, "isOpen": "yes" if hours.is_open else "no"}
    action = number.after_hours_action
    if hours.is_open or action == "ai":
        return {"assistantId": provider_id, "assistantOverrides": {"variableValues": variables}}
    if action == "forward" and number.forwarding_number:
        return {"destination": forward}
    voicemail = (
        number.voicemail_message
        or (assistant.voicemail_message if assistant else "")
        or closed_greeting(language, business=business, after_tone=False)
    )
    return {
        "assistantId": provider_id,
        "assistantOverrides": {"firstMessage": voicemail, "voicemailMessage": voicemail, "variableValues": variables},
    }


def _messages_only(*, assistant: Assistant, tenant: Tenant | None) -> dict:
    """The assistant with nothing but its take-message tool: the business's plan is unpaid past its grace period.

    The override replaces the model (so its tools) for this call only; the tool keeps AVA's webhook and secret.
    """
    language = language_for(assistant, tenant)
    business = tenant.name if tenant else ""
    greeting = phrase(language, "messages_only").format(business=business)
    return {
        "assistantId": assistant.provider_assistant_id,
        "assistantOverrides": {
            "firstMessage": greeting,
            "model": {
                "provider": "openai",
                "model": get_settings().openai_model,
                "messages": [{"role": "system", "content": phrase(language, "messages_only_prompt")}],
                "tools": message_tool(assistant),
            },
            "variableValues": {"businessName": business, "isOpen": "no"},
        },
    }

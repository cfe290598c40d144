"""Vapi's assistant-request: which assistant takes an inbound call, or a forward, given the number's hours."""

from __future__ import annotations

from sqlmodel import Session

from ava_app.models import Assistant, PhoneNumber, Tenant
from ava_app.services.business_hours import HoursStatus, business_hours_status
from ava_app.services.ingest.calls import Handled, Routing, VapiEvent, ensure_call, find_number, touch_call

_NOT_IN_SERVICE = "Sorry, this number is not in service. Goodbye."

UNAVAILABLE = "Sorry, we cannot take your call right now. Please try again later."


def handle_assistant_request(session: Session, event: VapiEvent) -> Handled:
    number = find_number(session, event)
    if number is None or (event.auth_tenant_id is not None and number.tenant_id != event.auth_tenant_id):
        return Handled(response={"error": _NOT_IN_SERVICE}, problem="called number is not registered in AVA")
    tenant = session.get(Tenant, number.tenant_id)
    assistant = session.get(Assistant, number.assistant_id) if number.assistant_id else None
    routing = Routing(
        tenant_id=number.tenant_id, assistant_id=assistant.id if assistant else None, phone_number_id=number.id
    )
    ref = ensure_call(session, event, status="ringing", routing=routing)
    if ref is not None and not ref.created:
        touch_call(session, ref, event)
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
    """The assistant-request answer: the AI, the AI taking a voicemail, or a plain forward, as the owner configured."""
    business = tenant.name if tenant else ""
    forward = {"type": "number", "number": number.forwarding_number, "message": "Please hold while I connect you."}
    provider_id = assistant.provider_assistant_id if assistant else None
    if not provider_id:
        # No AI to hand the call to: a forward is better than a dead line.
        return {"destination": forward} if number.forwarding_number else {"error": UNAVAILABLE}
    variables = {"businessName": business, "isOpen": "yes" if hours.is_open else "no"}
    action = number.after_hours_action
    if hours.is_open or action == "ai":
        return {"assistantId": provider_id, "assistantOverrides": {"variableValues": variables}}
    if action == "forward" and number.forwarding_number:
        return {"destination": forward}
    voicemail = (
        number.voicemail_message
        or (assistant.voicemail_message if assistant else "")
        or f"Thanks for calling{' ' + business if business else ''}. We are closed right now. "
        "Please leave your name, number and a short message, and we will call you back."
    )
    return {
        "assistantId": provider_id,
        "assistantOverrides": {"firstMessage": voicemail, "voicemailMessage": voicemail, "variableValues": variables},
    }

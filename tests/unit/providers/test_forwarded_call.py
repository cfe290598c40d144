"""A forwarded call placed by the Vapi emulator: its webhooks carry the forwarded line, and AVA's ingestion
recognises the owner's existing line in them."""

from __future__ import annotations

from ava_app.models import Tenant
from ava_app.services import reach
from tests.factories import make_phone_number
from tests.unit.providers.conftest import assistant_config
from tests.unit.test_assistants import principal_for
from tests.unit.vapi_messages import send


async def test_a_simulated_forwarded_call_confirms_the_owners_forwarding(db, emulator, raw, receiver):
    assistant = (await raw.post("/assistant", json=assistant_config())).json()
    vapi_number = (await raw.post("/phone-number", json={"provider": "vapi", "assistantId": assistant["id"]})).json()
    owner = principal_for(db, country="FR", currency="EUR")
    number = make_phone_number(
        db, tenant=db.get(Tenant, owner.tenant_id), e164=vapi_number["number"], provider_number_id=vapi_number["id"]
    )
    reach.set_forwarded_from(db, principal=owner, text="06 12 34 56 78")
    reach.start_check(db, principal=owner)

    refused = await raw.post(
        "/sandbox/simulate-call",
        json={"assistantId": assistant["id"], "intent": "question", "forwardedFrom": "+33612345678"},
    )
    assert refused.status_code == 400, "a forwarded call needs a number to be forwarded to"
    placed = await raw.post(
        "/sandbox/simulate-call",
        json={
            "phoneNumberId": vapi_number["id"],
            "intent": "question",
            "speed": 0,
            "wait": True,
            "forwardedFrom": "+33612345678",
        },
    )
    assert placed.status_code == 201

    first = receiver.deliveries[0]["body"]
    assert first["message"]["call"]["phoneCallProviderDetails"] == {"ForwardedFrom": "+33612345678"}
    for delivery in receiver.deliveries:
        send(db, delivery["body"])
    db.refresh(number)
    assert number.forwarding_confirmed_at is not None

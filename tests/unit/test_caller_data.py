"""One caller's data: found by number (as typed in the business's country) or e-mail, exported, and erased from AVA
and the Vapi emulator; nothing of another caller or another business is touched; admins only."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlmodel import Session, select

from ava_app.models import (
    AuditLog,
    Booking,
    BookingService,
    BookingStaff,
    Call,
    Outbox,
    SmsOptOut,
    WebhookEvent,
    utcnow,
)
from ava_app.services import caller_data
from ava_app.services.errors import Forbidden, Invalid
from ava_app.services.principal import Principal
from ava_app.services.providers.sandbox_keys import sandbox_keys
from tests.factories import make_call, make_tenant, make_user
from tests.unit.test_assistants import providers

__all__ = ["providers"]

CALLER = "+33612345678"
OTHER = "+33698765432"


def business(db: Session, name: str):
    tenant = make_tenant(db, name=name, country="FR", timezone="Europe/Paris", locale="fr")
    admin = make_user(db, tenant=tenant)
    return tenant, Principal(user_id=admin.id, tenant_id=tenant.id, role="admin", session_id=None)


def call_from(db: Session, tenant, number: str, providers=None) -> Call:
    call = make_call(db, tenant=tenant, caller_number=number, transcript=f"User: c'est le {number}")
    if providers is not None:
        sandbox = providers.vapi.state.sandbox
        org = sandbox.org_for(f"Bearer {sandbox_keys().vapi_api_key}")
        stamp = utcnow().isoformat()
        sandbox.store.insert(
            "call", {"id": call.provider_call_id, "orgId": org, "createdAt": stamp, "updatedAt": stamp}
        )
    db.add(
        WebhookEvent(
            tenant_id=tenant.id,
            provider="vapi",
            event_type="end-of-call-report",
            dedupe_key=uuid.uuid4().hex,
            provider_call_id=call.provider_call_id,
            payload=json.dumps({"message": {"customer": {"number": number}}}),
        )
    )
    db.commit()
    return call


def booking_for(db: Session, tenant, number: str) -> Booking:
    service = BookingService(tenant_id=tenant.id, name="Coupe", duration_minutes=30)
    staff = BookingStaff(tenant_id=tenant.id, name="Léa")
    db.add_all([service, staff])
    db.commit()
    now = utcnow()
    booking = Booking(
        tenant_id=tenant.id, service_id=service.id, staff_id=staff.id, start_at=now, end_at=now, busy_until=now,
        caller_name="Jo", caller_phone=number,
    )  # fmt: skip
    db.add(booking)
    db.commit()
    return booking


def outbox(db: Session, tenant, *, to: str, body: str, channel: str = "email") -> Outbox:
    row = Outbox(tenant_id=tenant.id, channel=channel, to=to, subject="Nouvel appel", body_text=body, status="sent")
    db.add(row)
    db.commit()
    return row


def test_a_caller_typed_as_dialled_is_found_exported_and_erased_everywhere_else_untouched(db, providers):
    tenant, admin = business(db, "Salon Lumière")
    mine = [call_from(db, tenant, CALLER, providers) for _ in range(2)]
    theirs = call_from(db, tenant, OTHER, providers)
    booking_for(db, tenant, CALLER)
    kept_booking = booking_for(db, tenant, OTHER)
    outbox(db, tenant, to=CALLER, body="Votre rendez-vous est confirmé.", channel="sms")
    outbox(db, tenant, to="owner@salon.test", body="Appel de 06 12 34 56 78 : rappeler.")
    kept_mail = outbox(db, tenant, to="owner@salon.test", body="Appel de 06 98 76 54 32.")
    db.add(SmsOptOut(tenant_id=tenant.id, phone=CALLER))
    other_tenant, _ = business(db, "Salon Voisin")
    elsewhere = call_from(db, other_tenant, CALLER)

    found = caller_data.find_caller(db, principal=admin, query="06 12 34 56 78")
    assert (found.caller, found.calls, found.bookings, found.messages, found.raw_messages) == (
        "06 12 34 56 78", 2, 1, 2, 2,
    )  # fmt: skip

    # What their export holds besides the calls' details (built by a job: tests/unit/test_data_exports.py).
    records = caller_data.caller_records(db, principal=admin, query="06.12.34.56.78")
    assert records.caller == CALLER and records.call_ids == sorted(call.id for call in mine)
    assert len(records.bookings) == 1
    assert {message["to"] for message in records.messages} == {CALLER, "owner@salon.test"}
    assert OTHER not in json.dumps([records.bookings, records.messages])

    mine = [(call.id, call.provider_call_id) for call in mine]
    erased = caller_data.erase_caller(db, principal=admin, query="+33 6 12 34 56 78")
    assert (erased.calls, erased.bookings, erased.messages, erased.raw_messages) == (2, 1, 2, 2)
    db.expire_all()
    assert [db.get(Call, call_id) for call_id, _ in mine] == [None, None]
    store = providers.vapi.state.sandbox.store
    assert [store.get("call", provider_id) for _, provider_id in mine] == [None, None]
    assert store.get("call", theirs.provider_call_id) is not None
    assert db.get(Call, theirs.id) is not None and db.get(Booking, kept_booking.id) is not None
    assert db.get(Outbox, kept_mail.id) is not None and db.get(Call, elsewhere.id) is not None
    leftovers = [row.body_text for row in db.exec(select(Outbox).where(Outbox.tenant_id == tenant.id)).all()]
    leftovers += [row.payload for row in db.exec(select(WebhookEvent).where(WebhookEvent.tenant_id == tenant.id)).all()]
    assert not [text for text in leftovers if CALLER in text or "06 12 34 56 78" in text]
    assert db.exec(select(SmsOptOut).where(SmsOptOut.phone == CALLER)).one(), "a STOP is kept"
    line = db.exec(select(AuditLog).where(AuditLog.action == "caller_erased")).one()
    assert line.detail["caller_ending"] == "78" and CALLER not in json.dumps(line.detail)
    assert caller_data.find_caller(db, principal=admin, query=CALLER).anything is False


def test_an_email_address_finds_the_messages_sent_to_it(db):
    tenant, admin = business(db, "Cabinet Clair")
    outbox(db, tenant, to="jo@example.fr", body="Votre confirmation")
    found = caller_data.find_caller(db, principal=admin, query="  Jo@Example.fr ")
    assert (found.caller, found.messages, found.calls) == ("jo@example.fr", 1, 0)


@pytest.mark.parametrize("query", ["", "hello", "12", "a@b"])
def test_what_is_neither_a_number_nor_an_address_is_refused_with_a_field_message(db, query):
    _, admin = business(db, "Cabinet Flou")
    with pytest.raises(Invalid) as refused:
        caller_data.find_caller(db, principal=admin, query=query)
    assert refused.value.details["fields"] == {"query": "not_a_caller"}


def test_viewers_and_members_cannot_find_export_or_erase(db):
    tenant, _ = business(db, "Cabinet Fermé")
    call_from(db, tenant, CALLER)
    for role in ("viewer", "member"):
        person = Principal(user_id=make_user(db, tenant=tenant, role=role).id, tenant_id=tenant.id, role=role)
        for action in (caller_data.find_caller, caller_data.caller_records, caller_data.erase_caller):
            with pytest.raises(Forbidden):
                action(db, principal=person, query=CALLER)
    assert len(db.exec(select(Call)).all()) == 1


def test_the_address_given_with_a_booking_finds_the_booking_and_its_emails(db):
    tenant, principal = business(db, "Salon Lune")
    booking = booking_for(db, tenant, CALLER)
    booking.caller_email = "Camille.Roy@exemple.fr"
    db.add(booking)
    db.commit()
    confirmation = outbox(db, tenant, to="Camille.Roy@exemple.fr", body="Votre rendez-vous Coupe est réservé.")
    outbox(db, tenant, to="autre@exemple.fr", body="Votre rendez-vous Coupe est réservé.")

    by_address = caller_data.find_caller(db, principal=principal, query="camille.roy@exemple.fr")
    assert (by_address.bookings, by_address.messages) == (1, 1)
    # Found by their number, the confirmation emails sent to the address they gave come too.
    by_number = caller_data.find_caller(db, principal=principal, query=CALLER)
    assert (by_number.bookings, by_number.messages) == (1, 1)

    confirmation_id, booking_id = confirmation.id, booking.id
    caller_data.erase_caller(db, principal=principal, query=CALLER)
    db.expunge_all()
    assert db.get(Outbox, confirmation_id) is None and db.get(Booking, booking_id) is None
    assert [row.to for row in db.exec(select(Outbox)).all()] == ["autre@exemple.fr"]  # another person's stays

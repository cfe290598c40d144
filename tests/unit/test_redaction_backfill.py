"""Turning redaction on (or adding a kind of data) takes it out of what the business already stored: calls,
conversation lines and raw provider messages, in batches, once; another business's calls are never touched."""

from __future__ import annotations

import json

from sqlmodel import select

from ava_app.models import AuditLog, Call, CallMessage, WebhookEvent
from ava_app.services import privacy_settings, redaction_backfill
from ava_app.services.principal import Principal
from tests.factories import make_call, make_tenant, make_user

CARD = "4111 1111 1111 1111"
SAID = f"User: My card is {CARD}, and my email is lea@example.fr."


def _stored(db, tenant, *, caller: str = "+33612345678") -> Call:
    call = make_call(
        db,
        tenant=tenant,
        caller_number=caller,
        transcript=SAID,
        summary=f"Paid with the card {CARD}.",
        data_fields={"note": f"card {CARD}", "caller_name": "Léa"},
        provider_analysis={"summary": f"Card {CARD} given."},
    )
    db.add(CallMessage(tenant_id=tenant.id, call_id=call.id, position=0, role="user", text=SAID[6:]))
    message = {"type": "end-of-call-report", "call": {"id": call.provider_call_id, "customer": {"number": caller}},
               "artifact": {"transcript": SAID}}  # fmt: skip
    db.add(
        WebhookEvent(
            tenant_id=tenant.id, provider="vapi", event_type="end-of-call-report",
            dedupe_key=f"report:{call.provider_call_id}", provider_call_id=call.provider_call_id,
            payload=json.dumps({"message": message}),
        )
    )  # fmt: skip
    db.commit()
    return call


def _admin(db, tenant) -> Principal:
    return Principal(user_id=make_user(db, tenant=tenant).id, tenant_id=tenant.id, role="admin")


def test_turning_redaction_on_takes_card_numbers_out_of_stored_calls(db, jobs, monkeypatch):
    monkeypatch.setattr(redaction_backfill, "BATCH", 2)  # several batches
    salon = make_tenant(db, name="Salon", industry="salon")  # redaction off by default
    other = make_tenant(db, name="Garage", industry="garage")
    calls = [_stored(db, salon, caller=f"+3361234567{index}") for index in range(3)]
    untouched = _stored(db, other)
    admin = _admin(db, salon)

    privacy_settings.save_privacy_settings(
        db, principal=admin, redact_pii=True, emails=False, other_phones=False, birth_dates=False
    )

    db.expire_all()
    for call in calls:
        stored = db.get(Call, call.id)
        assert CARD not in stored.transcript and "[card number]" in stored.transcript
        assert CARD not in stored.summary and CARD not in json.dumps(stored.data_fields)
        assert stored.data_fields["caller_name"] == "Léa" and CARD not in json.dumps(stored.provider_analysis)
        assert "lea@example.fr" in stored.transcript  # e-mail addresses stay: that kind is not chosen
    lines = db.exec(select(CallMessage).where(CallMessage.tenant_id == salon.id)).all()
    assert len(lines) == 3 and all(CARD not in line.text for line in lines)
    payloads = db.exec(select(WebhookEvent).where(WebhookEvent.tenant_id == salon.id)).all()
    assert all(CARD not in event.payload and "+3361234567" in event.payload for event in payloads)
    # The other business chose nothing: its calls stay as they were.
    assert CARD in db.get(Call, untouched.id).transcript
    [line] = db.exec(select(AuditLog).where(AuditLog.action == "privacy_redaction_applied")).all()
    assert line.tenant_id == salon.id and line.detail == {"calls": 3, "lines": 3, "payloads": 3}

    # Adding e-mail addresses takes them out too; running again changes nothing more.
    privacy_settings.save_privacy_settings(
        db, principal=admin, redact_pii=True, emails=True, other_phones=False, birth_dates=False
    )
    db.expire_all()
    assert all("lea@example.fr" not in db.get(Call, call.id).transcript for call in calls)
    again = redaction_backfill.redact_stored(db, tenant_id=salon.id)
    assert (again.calls, again.lines, again.payloads) == (0, 0, 0)


def test_a_looser_choice_queues_nothing(db, monkeypatch):
    clinic = make_tenant(db, name="Clinic", industry="clinic")  # on by default
    admin = _admin(db, clinic)
    queued: list[tuple] = []
    monkeypatch.setattr(privacy_settings, "enqueue", lambda *args: queued.append(args))
    privacy_settings.save_privacy_settings(
        db, principal=admin, redact_pii=True, emails=False, other_phones=False, birth_dates=False
    )
    privacy_settings.save_privacy_settings(
        db, principal=admin, redact_pii=False, emails=False, other_phones=False, birth_dates=False
    )
    assert queued == []
    privacy_settings.save_privacy_settings(
        db, principal=admin, redact_pii=True, emails=False, other_phones=True, birth_dates=False
    )
    assert queued == [("redact_stored_job", clinic.id)]

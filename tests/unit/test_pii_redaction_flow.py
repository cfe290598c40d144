"""A business that redacts: a card number said on a call is in no stored line, transcript, payload, captured field or
summary; a business that does not keeps the words as said; only admins change the choice, for their own business."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from ava_app.models import AuditLog, Call, WebhookEvent
from ava_app.services import post_call, privacy_settings
from ava_app.services.errors import Forbidden
from ava_app.services.principal import Principal
from tests.factories import make_tenant, make_user
from tests.unit.test_post_call import openai  # noqa: F401 (fixture)
from tests.unit.vapi_messages import calls, lines, load, send, tool_call_body

CARD = "4111 1111 1111 1111"
SPOKEN_CARD = "four one one one, one one one one, one one one one, one one one one"


def redacting(db: Session, tenant, *, on: bool = True, **optional: bool) -> None:
    tenant.redact_pii = on
    for name, value in optional.items():
        setattr(tenant, f"redact_{name}", value)
    db.add(tenant)
    db.commit()


def report_with_card() -> dict:
    body = load("end-of-call-report")
    message = body["message"]
    message["artifact"]["messages"].append(
        {"role": "user", "message": f"My card is {CARD}, or say {SPOKEN_CARD}.", "secondsFromStart": 30.0}
    )
    message["artifact"]["transcript"] += f"\nUser: My card is {CARD}."
    message["analysis"]["summary"] += f" Card {CARD}."
    return body


def stored_text(db: Session) -> str:
    (call,) = calls(db)
    spoken = " ".join(line.text for line in lines(db, call.id))
    payloads = " ".join(event.payload for event in db.exec(select(WebhookEvent)).all())
    return " ".join([call.transcript, json.dumps(call.provider_analysis), spoken, payloads])


def test_a_card_said_on_a_call_is_stored_nowhere_when_the_business_redacts(db, vapi_business):
    tenant, _, _ = vapi_business
    redacting(db, tenant)
    assert send(db, report_with_card()).error is None

    everything = stored_text(db)
    assert "4111" not in everything and "one one one one" not in everything
    assert "[card number]" in everything
    (call,) = calls(db)
    said = [line.text for line in lines(db, call.id) if "card" in line.text.lower()]
    assert said == ["My card is [card number], or say [card number]."]
    # The stored payload still replays: ids, URLs and the caller's number are kept as they came.
    (event,) = db.exec(select(WebhookEvent)).all()
    replay = json.loads(event.payload)["message"]
    assert replay["call"]["id"] == load("end-of-call-report")["message"]["call"]["id"]
    assert replay["customer"]["number"] == "+16505550199"
    assert replay["artifact"]["recordingUrl"] == load("end-of-call-report")["message"]["artifact"]["recordingUrl"]


def test_a_business_that_does_not_redact_keeps_the_words_as_said(db, vapi_business):
    assert send(db, report_with_card()).error is None
    assert CARD in stored_text(db)


def test_live_transcript_lines_are_redacted_before_they_are_stored(db, vapi_business):
    tenant, _, _ = vapi_business
    redacting(db, tenant)
    body = load("transcript")
    body["message"]["transcript"] = f"It's {CARD}."
    assert send(db, body).error is None
    (call,) = calls(db)
    assert [line.text for line in lines(db, call.id)] == ["It's [card number]."]
    assert CARD not in db.exec(select(WebhookEvent)).one().payload


def test_a_message_taken_on_the_call_keeps_no_card_but_the_callers_own_number(db, vapi_business):
    tenant, _, _ = vapi_business
    redacting(db, tenant, other_phones=True)
    arguments = {"caller_name": "Jo", "message": f"Charge {CARD}. Or call my wife on (650) 253-0000.",
                 "callback": "+16505550199"}  # fmt: skip
    assert send(db, tool_call_body("take_message", arguments)).error is None
    (call,) = calls(db)
    assert call.data_fields == {
        "caller_name": "Jo",
        "message": "Charge [card number]. Or call my wife on [phone number].",
        "callback": "+16505550199",
    }


def test_the_summary_prompt_asks_for_no_numbers_and_what_the_model_writes_is_redacted(
    db, vapi_business, jobs, smtp_env, request
):
    emulator = request.getfixturevalue("openai")
    tenant, _, _ = vapi_business
    redacting(db, tenant)
    assert send(db, report_with_card()).error is None
    (call,) = calls(db)

    post_call.run_post_call(call.id)

    (sent,) = emulator.requests
    system = sent["messages"][0]["content"]
    assert "Never repeat card, bank account, social security" in system
    db.expire_all()
    call = db.get(Call, call.id)
    assert call.summary_status == "done" and "4111" not in (call.summary or "")


def test_clinics_and_law_firms_redact_until_an_admin_chooses(db):
    clinic = make_tenant(db, name="Clinique du Parc", industry="clinic", locale="fr", country="FR")
    salon = make_tenant(db, name="Salon Belle", industry="salon")
    assert privacy_settings.redactor_for(db, tenant_id=clinic.id).active
    assert not privacy_settings.redactor_for(db, tenant_id=salon.id).active
    french = privacy_settings.redactor_for(db, tenant_id=clinic.id)
    assert french.text(f"Ma carte : {CARD}") == "Ma carte : [numéro de carte]"

    admin = Principal(user_id=make_user(db, tenant=clinic).id, tenant_id=clinic.id, role="admin")
    saved = privacy_settings.save_privacy_settings(
        db, principal=admin, redact_pii=False, emails=False, other_phones=False, birth_dates=False
    )
    assert (saved.redact_pii, saved.follows_business_kind) == (False, False)
    assert not privacy_settings.redactor_for(db, tenant_id=clinic.id).active
    entry = db.exec(select(AuditLog).where(AuditLog.action == "privacy_redaction_changed")).one()
    assert entry.tenant_id == clinic.id and entry.detail["redact_pii"] is False


def test_only_an_admin_changes_redaction_and_only_for_their_own_business(db):
    first = make_tenant(db, name="First Clinic", industry="clinic")
    second = make_tenant(db, name="Second Clinic", industry="clinic")
    viewer = Principal(user_id=make_user(db, tenant=first, role="viewer").id, tenant_id=first.id, role="viewer")
    with pytest.raises(Forbidden):
        privacy_settings.save_privacy_settings(
            db, principal=viewer, redact_pii=False, emails=False, other_phones=False, birth_dates=False
        )
    assert privacy_settings.privacy_settings(db, principal=viewer).redact_pii is True

    other_admin = Principal(user_id=make_user(db, tenant=second).id, tenant_id=second.id, role="admin")
    privacy_settings.save_privacy_settings(
        db, principal=other_admin, redact_pii=False, emails=True, other_phones=False, birth_dates=False
    )
    db.expire_all()
    assert privacy_settings.privacy_settings(db, principal=viewer).redact_pii is True, "the first business is as it was"
    assert privacy_settings.privacy_settings(db, principal=other_admin).redact_pii is False

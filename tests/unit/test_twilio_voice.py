"""Twilio voice webhooks as a service: routing by business hours to TwiML, the call rows, status transitions."""

from __future__ import annotations

import itertools
import json
import threading
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from sqlmodel import Session, select

from ava_app.models import Call, WebhookEvent
from ava_app.services import caller_phrases, credentials, twilio_voice
from ava_app.services.providers import twilio
from ava_app.services.providers.vapi import vapi_endpoint
from ava_app.services.twilio_voice import InvalidTwilioPayload, TwilioForm
from ava_app.settings import get_settings
from tests.factories import make_assistant, make_phone_number, make_tenant
from tests.fixtures import CONTRACT_FIXTURES

FIXTURES = CONTRACT_FIXTURES
NUMBER = "+14155550142"
CALLER = "+16505550199"
FORWARD_TO = "+14155550100"
CALL_SID = "CA9f8e7d6c5b4a39281706f5e4d3c2b1a0"
TENANT_ACCOUNT = "AC" + "7e" * 16
TENANT_TOKEN = "7e" * 16
WEEKDAYS = {day: [{"open": "09:00", "close": "17:00"}] for day in ("monday", "tuesday", "wednesday", "thursday")}
WEEKDAYS["friday"] = [{"open": "09:00", "close": "17:00"}]
# Tuesday 2025-06-03 in Paris (CEST, UTC+2): 10:00 is open, 22:00 closed.
PARIS_TUESDAY_10AM = datetime(2025, 6, 3, 8, 0, tzinfo=UTC)
PARIS_TUESDAY_10PM = datetime(2025, 6, 3, 20, 0, tzinfo=UTC)

# The path given to Twilio (a public contract, so spelled out here).
VOICE_WEBHOOK = "/api/v1/webhooks/twilio/voice"


def fixture_form(name: str, **changes: str) -> TwilioForm:
    fields = {**json.loads((FIXTURES / f"{name}.json").read_text())["form"], **changes}
    return twilio_voice.parse_twilio_form(urlencode(fields).encode())


def inbound(**changes: str) -> TwilioForm:
    return fixture_form("twilio-inbound-voice", **changes)


def status(call_status: str, *, call_sid: str = CALL_SID, **changes: str) -> TwilioForm:
    """A status callback for an inbound call to NUMBER (the fixture is an outbound one; flipped here)."""
    fields = {
        "AccountSid": "ACa1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
        "ApiVersion": "2010-04-01",
        "CallSid": call_sid,
        "CallStatus": call_status,
        "CallbackSource": "call-progress-events",
        "Direction": "inbound",
        "From": CALLER,
        "To": NUMBER,
        "Timestamp": "Tue, 03 Jun 2025 08:03:00 +0000",
        **changes,
    }
    return twilio_voice.parse_twilio_form(urlencode(fields).encode())


def recording_action(*, call_sid: str = CALL_SID, call_status: str = "in-progress") -> TwilioForm:
    """What the voicemail's <Record> action posts: the recording, no CallbackSource."""
    fields = {
        "AccountSid": "ACa1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
        "CallSid": call_sid,
        "CallStatus": call_status,
        "Direction": "inbound",
        "From": CALLER,
        "To": NUMBER,
        "RecordingSid": "RE" + "1" * 32,
        "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE{'1' * 32}",
        "RecordingDuration": "14",
        "Digits": "hangup",
    }
    return twilio_voice.parse_twilio_form(urlencode(fields).encode())


def twiml(text: str) -> list[ET.Element]:
    root = ET.fromstring(text)
    assert root.tag == "Response"
    return list(root)


def calls(db: Session) -> list[Call]:
    db.expire_all()
    return list(db.exec(select(Call)).all())


def events(db: Session) -> list[WebhookEvent]:
    db.expire_all()
    return list(db.exec(select(WebhookEvent).order_by(WebhookEvent.id)).all())


@pytest.fixture()
def business(db):
    """Bright Smile in Paris: an assistant synced to Vapi, its number imported into Vapi, weekday hours."""
    tenant = make_tenant(db, name="Bright Smile", timezone="Europe/Paris", locale="en")
    assistant = make_assistant(db, tenant=tenant, provider_assistant_id="d2a1c6f4-3b8e-4c7a-9f0e-1b2c3d4e5f60")
    number = make_phone_number(
        db,
        tenant=tenant,
        e164=NUMBER,
        provider="twilio",
        provider_number_id="a7e5b3c1-9d2f-4e8a-b6c4-0d1e2f3a4b5c",
        assistant_id=assistant.id,
        business_hours=WEEKDAYS,
        after_hours_action="voicemail",
    )
    return tenant, assistant, number


def configure(db: Session, row, **values):
    for name, value in values.items():
        setattr(row, name, value)
    db.add(row)
    db.commit()
    return row


# --- answering an incoming call -----------------------------------------------------------------------------------


def test_in_hours_the_call_is_redirected_to_vapi_and_vapi_keeps_the_call(db, business):
    tenant, _assistant, _number = business
    answer = twilio_voice.answer_incoming_call(db, form=inbound(), now=PARIS_TUESDAY_10AM)
    assert answer.route == "ai" and answer.error is None and not answer.duplicate
    [redirect] = twiml(answer.twiml)
    assert redirect.tag == "Redirect"
    assert redirect.attrib == {"method": "POST"}
    assert redirect.text == vapi_endpoint().base_url + "/twilio/inbound_call"
    # Vapi's webhooks create the call under Vapi's id; a row here would count it twice.
    assert calls(db) == []
    [event] = events(db)
    assert (event.provider, event.event_type, event.tenant_id) == ("twilio", "voice:ai", tenant.id)
    assert event.provider_call_id == CALL_SID
    assert event.dedupe_key == f"twilio:{CALL_SID}:voice:ringing"
    assert event.payload == inbound().raw and "StirVerstat=TN-Validation-Passed-A" in event.payload
    assert event.processed_at is not None and event.error is None


def test_outside_hours_forward_dials_the_forwarding_number_and_keeps_the_call(db, business):
    tenant, assistant, number = business
    configure(db, number, after_hours_action="forward", forwarding_number=FORWARD_TO)
    answer = twilio_voice.answer_incoming_call(db, form=inbound(), now=PARIS_TUESDAY_10PM)
    assert answer.route == "forward"
    say, dial, hangup = twiml(answer.twiml)
    assert (say.tag, say.text, say.attrib["language"]) == ("Say", "Please hold while I connect you.", "en-US")
    assert (dial.tag, dial.text, dial.attrib) == ("Dial", FORWARD_TO, {"timeout": "30"})
    assert hangup.tag == "Hangup"
    [call] = calls(db)
    assert call.id == answer.call_id
    assert (call.tenant_id, call.phone_number_id, call.assistant_id) == (tenant.id, number.id, assistant.id)
    assert (call.provider_call_id, call.status, call.outcome) == (CALL_SID, "ringing", "forwarded")
    assert (call.direction, call.call_type, call.caller_number, call.called_number) == (
        "inbound",
        "inbound",
        CALLER,
        NUMBER,
    )
    assert call.started_at is not None
    assert events(db)[0].event_type == "voice:forward"


def test_outside_hours_voicemail_speaks_the_assistants_language_then_records(db, business):
    _tenant, assistant, number = business
    configure(db, assistant, language="fr")
    configure(db, number, voicemail_message="Bonjour, le cabinet est fermé. Laissez un message après le bip.")
    answer = twilio_voice.answer_incoming_call(db, form=inbound(), now=PARIS_TUESDAY_10PM)
    assert answer.route == "voicemail"
    say, record, hangup = twiml(answer.twiml)
    assert say.text == "Bonjour, le cabinet est fermé. Laissez un message après le bip."
    assert say.attrib == {"language": "fr-FR", "voice": "alice"}
    assert record.tag == "Record"
    assert record.attrib["action"] == get_settings().public_url + "/api/v1/webhooks/twilio/status"
    assert (record.attrib["method"], record.attrib["maxLength"], record.attrib["playBeep"]) == ("POST", "120", "true")
    assert hangup.tag == "Hangup"
    [call] = calls(db)
    assert (call.status, call.outcome) == ("ringing", None)


def test_voicemail_without_any_message_uses_avas_own_in_the_language(db, business):
    tenant, assistant, _number = business
    configure(db, assistant, language="fr", voicemail_message="")
    say = twiml(twilio_voice.answer_incoming_call(db, form=inbound(), now=PARIS_TUESDAY_10PM).twiml)[0]
    assert say.attrib["language"] == "fr-FR"
    assert say.text.startswith("Merci d'avoir appelé Bright Smile. Nous sommes fermés pour le moment.")
    configure(db, assistant, voicemail_message="Call us back tomorrow from 9.")
    answer = twilio_voice.answer_incoming_call(db, form=inbound(CallSid="CA" + "2" * 32), now=PARIS_TUESDAY_10PM)
    assert twiml(answer.twiml)[0].text == "Call us back tomorrow from 9."


def test_ai_answers_anyway_outside_hours(db, business):
    _tenant, _assistant, number = business
    configure(db, number, after_hours_action="ai", forwarding_number=FORWARD_TO)
    answer = twilio_voice.answer_incoming_call(db, form=inbound(), now=PARIS_TUESDAY_10PM)
    assert answer.route == "ai"
    assert [element.tag for element in twiml(answer.twiml)] == ["Redirect"]


def test_a_holiday_inside_the_hours_is_after_hours(db, business):
    _tenant, _assistant, number = business
    configure(db, number, holidays=["2025-06-03"], after_hours_action="forward", forwarding_number=FORWARD_TO)
    answer = twilio_voice.answer_incoming_call(db, form=inbound(), now=PARIS_TUESDAY_10AM)
    assert answer.route == "forward"
    # The next day the same hour is open again.
    answer = twilio_voice.answer_incoming_call(
        db, form=inbound(CallSid="CA" + "3" * 32), now=PARIS_TUESDAY_10AM + timedelta(days=1)
    )
    assert answer.route == "ai"


def test_forward_without_a_forwarding_number_takes_a_voicemail(db, business):
    _tenant, _assistant, number = business
    configure(db, number, after_hours_action="forward", forwarding_number=None)
    assert twilio_voice.answer_incoming_call(db, form=inbound(), now=PARIS_TUESDAY_10PM).route == "voicemail"


def test_in_hours_with_no_reachable_ai_forwards_or_takes_a_voicemail(db, business):
    _tenant, assistant, number = business
    # Not imported into Vapi yet (sync pending): Vapi would not know the number.
    configure(db, number, provider_number_id=None)
    assert twilio_voice.answer_incoming_call(db, form=inbound(), now=PARIS_TUESDAY_10AM).route == "voicemail"
    configure(db, number, provider_number_id="a7e5b3c1-9d2f-4e8a-b6c4-0d1e2f3a4b5c", forwarding_number=FORWARD_TO)
    configure(db, assistant, provider_assistant_id=None)
    answer = twilio_voice.answer_incoming_call(db, form=inbound(CallSid="CA" + "4" * 32), now=PARIS_TUESDAY_10AM)
    assert answer.route == "forward"


def test_unknown_number_is_a_polite_goodbye_and_only_the_event_is_kept(db, business):
    answer = twilio_voice.answer_incoming_call(db, form=inbound(To="+14155550999"), now=PARIS_TUESDAY_10AM)
    assert answer.route == "unknown"
    say, hangup = twiml(answer.twiml)
    assert (say.tag, say.text, hangup.tag) == ("Say", "Sorry, this number is not in service. Goodbye.", "Hangup")
    assert calls(db) == []
    [event] = events(db)
    assert (event.event_type, event.tenant_id) == ("voice:unknown", None)
    assert event.error == "no active AVA number in this call"


def test_a_released_number_is_unknown(db, business):
    _tenant, _assistant, number = business
    configure(db, number, released_at=PARIS_TUESDAY_10AM, status="released")
    assert twilio_voice.answer_incoming_call(db, form=inbound(), now=PARIS_TUESDAY_10AM).route == "unknown"


def test_a_redelivered_voice_webhook_is_answered_again_without_a_second_call(db, business):
    _tenant, _assistant, number = business
    configure(db, number, after_hours_action="forward", forwarding_number=FORWARD_TO)
    first = twilio_voice.answer_incoming_call(db, form=inbound(), now=PARIS_TUESDAY_10PM)
    again = twilio_voice.answer_incoming_call(db, form=inbound(), now=PARIS_TUESDAY_10PM + timedelta(seconds=2))
    assert again.duplicate and again.event_id == first.event_id
    assert again.twiml == first.twiml
    assert len(calls(db)) == 1 and len(events(db)) == 1


def test_missing_fields_are_invalid(db, business):
    with pytest.raises(InvalidTwilioPayload, match="CallSid is missing"):
        twilio_voice.answer_incoming_call(db, form=inbound(CallSid=""))
    with pytest.raises(InvalidTwilioPayload, match="not a Twilio call SID"):
        twilio_voice.answer_incoming_call(db, form=inbound(CallSid="x" * 70))
    with pytest.raises(InvalidTwilioPayload, match="To is missing"):
        twilio_voice.answer_incoming_call(db, form=inbound(To=""))
    with pytest.raises(InvalidTwilioPayload, match="CallStatus is missing"):
        twilio_voice.apply_call_status(db, form=status(""))
    assert events(db) == []


# --- status callbacks ---------------------------------------------------------------------------------------------


def send(db: Session, form: TwilioForm, ended: list[int]) -> twilio_voice.StatusResult:
    """Apply a callback as the route does, noting each call whose post-call work it would enqueue."""
    result = twilio_voice.apply_call_status(db, form=form)
    if result.call_ended:
        ended.append(result.call_id)
    return result


def test_a_voicemail_call_rings_records_and_ends_with_its_message(db, business):
    twilio_voice.answer_incoming_call(db, form=inbound(), now=PARIS_TUESDAY_10PM)
    ended: list[int] = []
    action = send(db, recording_action(), ended)
    assert [element.tag for element in twiml(action.twiml)] == ["Hangup"]
    assert (action.status, action.call_ended) == ("in-progress", False)
    done = send(db, status("completed", CallDuration="42", Timestamp="Tue, 03 Jun 2025 20:00:42 +0000"), ended)
    assert twiml(done.twiml) == []
    assert (done.status, done.call_ended) == ("ended", True)
    [call] = calls(db)
    assert ended == [call.id]
    assert (call.status, call.outcome, call.ended_reason) == ("ended", "voicemail", "twilio-completed")
    assert call.recording_url.endswith("/Recordings/RE" + "1" * 32)
    assert call.duration_seconds == 42
    assert call.ended_at.replace(tzinfo=UTC) == datetime(2025, 6, 3, 20, 0, 42, tzinfo=UTC)
    assert call.action_needed is True
    assert call.provider_analysis == {}
    assert [event.event_type for event in events(db)] == ["voice:voicemail", "voicemail", "status:completed"]
    assert all(event.processed_at is not None and event.error is None for event in events(db))


def test_a_voicemail_never_left_is_a_missed_call(db, business):
    twilio_voice.answer_incoming_call(db, form=inbound(), now=PARIS_TUESDAY_10PM)
    twilio_voice.apply_call_status(db, form=status("completed", CallDuration="9"))
    [call] = calls(db)
    assert (call.status, call.outcome, call.recording_url, call.action_needed) == ("ended", "missed", None, True)
    # A recording that arrives late still turns it into a voicemail.
    twilio_voice.apply_call_status(db, form=recording_action(call_status="completed"))
    [call] = calls(db)
    assert (call.outcome, call.status) == ("voicemail", "ended")
    assert call.recording_url is not None


def test_a_forwarded_call_ends_forwarded(db, business):
    _tenant, _assistant, number = business
    configure(db, number, after_hours_action="forward", forwarding_number=FORWARD_TO)
    twilio_voice.answer_incoming_call(db, form=inbound(), now=PARIS_TUESDAY_10PM)
    twilio_voice.apply_call_status(db, form=status("completed", CallDuration="65"))
    [call] = calls(db)
    assert (call.status, call.outcome, call.duration_seconds, call.action_needed) == ("ended", "forwarded", 65, False)


def test_late_and_repeated_callbacks_never_move_an_ended_call_back(db, business):
    twilio_voice.answer_incoming_call(db, form=inbound(), now=PARIS_TUESDAY_10PM)
    ended: list[int] = []
    first = send(db, status("completed", CallDuration="30"), ended)
    again = send(db, status("completed", CallDuration="30"), ended)
    assert again.duplicate and again.event_id == first.event_id
    late_ringing = send(db, status("ringing"), ended)
    late_answer = send(db, status("in-progress"), ended)
    other_end = send(db, status("busy"), ended)
    assert (late_ringing.status, late_answer.status, other_end.status) == ("ended", "ended", "ended")
    assert not (late_ringing.call_ended or late_answer.call_ended or other_end.call_ended)
    [call] = calls(db)
    assert (call.status, call.outcome, call.ended_reason, call.duration_seconds) == (
        "ended",
        "missed",
        "twilio-completed",
        30,
    )
    assert len(ended) == 1
    assert len(events(db)) == 5


@pytest.mark.parametrize(
    ("call_status", "outcome"),
    [
        ("busy", "missed"),
        ("no-answer", "missed"),
        ("canceled", "missed"),
        ("failed", "failed"),
        ("completed", "answered"),
    ],
)
def test_a_callback_for_an_unseen_call_creates_it_for_the_numbers_tenant(db, business, call_status, outcome):
    tenant, assistant, number = business
    # Not imported into Vapi: nothing else will ever report this call.
    configure(db, number, provider_number_id=None)
    result = twilio_voice.apply_call_status(db, form=status(call_status, CallDuration="0"))
    [call] = calls(db)
    assert result.call_id == call.id and result.call_ended
    assert (call.tenant_id, call.phone_number_id, call.assistant_id) == (tenant.id, number.id, assistant.id)
    assert (call.provider_call_id, call.direction, call.caller_number, call.called_number) == (
        CALL_SID,
        "inbound",
        CALLER,
        NUMBER,
    )
    assert (call.status, call.outcome, call.ended_reason) == ("ended", outcome, f"twilio-{call_status}")
    assert events(db)[0].tenant_id == tenant.id


def test_progress_statuses_move_forward_only(db, business):
    _tenant, _assistant, number = business
    configure(db, number, provider_number_id=None)
    assert twilio_voice.apply_call_status(db, form=status("queued")).status == "queued"
    assert twilio_voice.apply_call_status(db, form=status("in-progress")).status == "in-progress"
    assert twilio_voice.apply_call_status(db, form=status("ringing")).status == "in-progress"
    [call] = calls(db)
    assert call.started_at is not None and call.ended_at is None


def test_every_order_of_a_voicemail_calls_callbacks_ends_the_same(db, business):
    final_states = set()
    forms = {
        "ringing": lambda sid: status("ringing", call_sid=sid),
        "in-progress": lambda sid: status("in-progress", call_sid=sid),
        "recording": lambda sid: recording_action(call_sid=sid),
        "completed": lambda sid: status("completed", call_sid=sid, CallDuration="40"),
    }
    for index, order in enumerate(itertools.permutations(forms)):
        call_sid = f"CA{index:032x}"
        twilio_voice.answer_incoming_call(db, form=inbound(CallSid=call_sid), now=PARIS_TUESDAY_10PM)
        ended: list[int] = []
        for name in order:
            send(db, forms[name](call_sid), ended)
        send(db, forms[order[0]](call_sid), ended)  # a redelivery
        call = db.exec(select(Call).where(Call.provider_call_id == call_sid)).one()
        assert len(ended) == 1, order
        final_states.add((call.status, call.outcome, call.duration_seconds, call.recording_url is not None))
    assert final_states == {("ended", "voicemail", 40, True)}
    assert len(calls(db)) == 24


def test_callbacks_of_a_call_handed_to_vapi_change_no_call(db, business):
    tenant, _assistant, _number = business
    twilio_voice.answer_incoming_call(db, form=inbound(), now=PARIS_TUESDAY_10AM)
    ended: list[int] = []
    result = send(db, status("completed", CallDuration="120"), ended)
    assert (result.call_id, result.status, result.call_ended, result.error) == (None, None, False, None)
    assert calls(db) == [] and ended == []
    event = events(db)[-1]
    assert (event.event_type, event.tenant_id, event.provider_call_id) == ("status:completed", tenant.id, CALL_SID)


def test_callbacks_for_a_number_vapi_answers_directly_change_no_call(db, business):
    # Imported into Vapi, so its voice URL is Vapi's: AVA never saw the voice webhook of this call.
    result = twilio_voice.apply_call_status(db, form=status("completed", CallDuration="120"))
    assert result.call_id is None
    assert calls(db) == []


def test_callback_for_a_number_avas_does_not_have_is_kept_as_an_event(db, business):
    result = twilio_voice.apply_call_status(db, form=status("completed", To="+14155550999"))
    assert result.call_id is None and result.error == "no active AVA number in this call"
    [event] = events(db)
    assert event.tenant_id is None and event.error == "no active AVA number in this call"


def test_the_outbound_fixture_callback_creates_an_outbound_call(db):
    tenant = make_tenant(db)
    make_phone_number(db, tenant=tenant, e164="+14155550142", provider="twilio")
    result = twilio_voice.apply_call_status(db, form=fixture_form("twilio-status-callback"))
    [call] = calls(db)
    assert result.call_ended and call.tenant_id == tenant.id
    assert (call.direction, call.call_type, call.caller_number, call.called_number) == (
        "outbound",
        "outbound",
        "+14155550142",
        "+16505550199",
    )
    assert (call.status, call.outcome, call.duration_seconds) == ("ended", "answered", 170)
    # Started = ended minus the duration, from Twilio's Timestamp.
    assert call.ended_at.replace(tzinfo=UTC) == datetime(2025, 6, 3, 16, 7, 3, tzinfo=UTC)
    assert call.started_at.replace(tzinfo=UTC) == datetime(2025, 6, 3, 16, 4, 13, tzinfo=UTC)


# --- signatures: whose token --------------------------------------------------------------------------------------


def test_a_number_imported_from_the_tenants_account_is_checked_with_the_tenants_token(db, business):
    tenant, _assistant, number = business
    configure(db, number, twilio_account_sid=TENANT_ACCOUNT)
    platform_token = twilio.resolve_credentials()[1]
    # Without the tenant's credentials the webhook cannot be verified at all.
    assert twilio_voice.signing_auth_token(db, number=number) is None
    credentials.save_credential(
        db, tenant_id=tenant.id, provider="twilio", secret={"account_sid": TENANT_ACCOUNT, "auth_token": TENANT_TOKEN}
    )
    assert twilio_voice.signing_auth_token(db, number=number) == TENANT_TOKEN
    form = inbound()
    url = get_settings().public_url + VOICE_WEBHOOK
    signed_by_tenant = twilio.sign_webhook(url=url, params=form.params, auth_token=TENANT_TOKEN)
    signed_by_platform = twilio.sign_webhook(url=url, params=form.params, auth_token=platform_token)
    verify = twilio_voice.verify_signature
    assert verify(db, form=form, signature=signed_by_tenant, path=VOICE_WEBHOOK)
    assert not verify(db, form=form, signature=signed_by_platform, path=VOICE_WEBHOOK)
    # Credentials of another Twilio account do not fit this number.
    credentials.save_credential(
        db, tenant_id=tenant.id, provider="twilio", secret={"account_sid": "AC" + "0" * 32, "auth_token": "x" * 32}
    )
    assert twilio_voice.signing_auth_token(db, number=number) is None


def test_platform_numbers_and_unknown_numbers_use_the_platform_token(db, business):
    _tenant, _assistant, number = business
    platform_sid, platform_token = twilio.resolve_credentials()
    assert twilio_voice.signing_auth_token(db, number=number) == platform_token
    configure(db, number, twilio_account_sid=platform_sid)
    assert twilio_voice.signing_auth_token(db, number=number) == platform_token
    assert twilio_voice.signing_auth_token(db, number=None) == platform_token
    form = inbound(To="+14155550999")
    url = get_settings().public_url + VOICE_WEBHOOK
    signature = twilio.sign_webhook(url=url, params=form.params, auth_token=platform_token)
    assert twilio_voice.verify_signature(db, form=form, signature=signature, path=VOICE_WEBHOOK)
    assert not twilio_voice.verify_signature(db, form=form, signature="", path=VOICE_WEBHOOK)


def test_our_number_is_the_called_one_inbound_and_the_calling_one_outbound(db):
    assert twilio_voice.our_number(inbound()) == "+14155550142"
    assert twilio_voice.our_number(fixture_form("twilio-status-callback")) == "+14155550142"


# --- parsing and speaking -----------------------------------------------------------------------------------------


def test_form_parsing_keeps_every_pair_and_refuses_what_is_not_a_form():
    form = twilio_voice.parse_twilio_form(
        b"A=1&B=&A=2", content_type="application/x-www-form-urlencoded; charset=utf-8"
    )
    assert form.pairs == (("A", "1"), ("B", ""), ("A", "2"))
    assert form.get("A") == "1" and form.get("B") == "" and form.get("C") == ""
    assert form.params.getlist("A") == ["1", "2"]
    assert twilio_voice.parse_twilio_form(b"").pairs == ()
    with pytest.raises(InvalidTwilioPayload, match="form posts"):
        twilio_voice.parse_twilio_form(b'{"CallSid": "CA1"}', content_type="application/json")
    with pytest.raises(InvalidTwilioPayload, match="UTF-8"):
        twilio_voice.parse_twilio_form(b"To=\xff\xfe")
    with pytest.raises(InvalidTwilioPayload, match="name=value"):
        twilio_voice.parse_twilio_form(b"this is not a form")
    with pytest.raises(InvalidTwilioPayload):
        twilio_voice.parse_twilio_form("&".join(f"F{i}=1" for i in range(600)).encode())


def test_say_locales_and_caller_messages():
    assert twilio_voice.say_locale("fr") == "fr-FR"
    assert twilio_voice.say_locale("fr-ca") == "fr-CA"
    # A language AVA does not speak is answered in English, so <Say> reads English.
    assert twilio_voice.say_locale("es_MX") == "en-US"
    assert twilio_voice.say_locale("xx") == "en-US"
    assert twilio_voice.say_locale(None) == "en-US"
    assert caller_phrases.phrase("fr-CA", "hold") == "Veuillez patienter, je vous mets en relation."
    assert caller_phrases.phrase("ja", "hold") == "Please hold while I connect you."


def test_concurrent_first_callbacks_of_one_call_make_one_row(engine, db, business):
    _tenant, _assistant, number = business
    configure(db, number, provider_number_id=None)
    barrier = threading.Barrier(4)
    results: list[twilio_voice.StatusResult] = []

    def deliver(form: TwilioForm) -> None:
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait()
            results.append(twilio_voice.apply_call_status(session, form=form))

    forms = [status("ringing"), status("in-progress"), status("completed", CallDuration="12"), recording_action()]
    threads = [threading.Thread(target=deliver, args=(form,)) for form in forms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 4 and all(result.error is None for result in results)
    [call] = calls(db)
    assert {result.call_id for result in results} == {call.id}
    assert sum(result.call_ended for result in results) == 1
    assert (call.status, call.duration_seconds, call.recording_url is not None) == ("ended", 12, True)

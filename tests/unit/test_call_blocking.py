"""Junk calls: the block list, and blocked callers refused at Vapi's assistant-request and Twilio's voice webhook."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from ava_app.models import AuditLog, Call
from ava_app.services import call_blocking, post_call, twilio_voice
from ava_app.services.caller_phrases import phrase
from ava_app.services.errors import Forbidden, Invalid
from ava_app.services.principal import Principal
from tests.factories import make_tenant
from tests.unit import test_twilio_voice as tw
from tests.unit.vapi_messages import INBOUND_CALL, LA_WEDNESDAY_10AM, calls, load, send

CALLER = "+16505550199"  # the caller in both contract fixtures


def principal(tenant, role: str = "admin") -> Principal:
    return Principal(user_id=None, tenant_id=tenant.id, role=role)


def assistant_request(caller: str | None = CALLER) -> dict:
    body = load("assistant-request")
    for holder in (body["message"], body["message"]["call"]):
        if caller is None:
            holder.pop("customer", None)
        else:
            holder["customer"] = {"number": caller}
    return body


def count_queries(db: Session):
    seen: list[str] = []

    def before(_conn, _cursor, statement, *_args):
        seen.append(statement)

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", before)
    return seen, lambda: event.remove(engine, "before_cursor_execute", before)


# --- the list ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "country", "expected"),
    [
        ("06 12 34 56 78", "FR", ("+33612345678", False)),
        ("+1 (650) 555-0199", "US", ("+16505550199", False)),
        ("0033 6 12 34 56 78", "US", ("+33612345678", False)),
        ("+1900", "US", ("+1900", True)),
        ("+33 899", "FR", ("+33899", True)),
    ],
)
def test_entries_are_numbers_in_e164_or_prefixes(typed, country, expected):
    assert call_blocking.normalise_entry(typed, country=country) == expected


@pytest.mark.parametrize("typed", ["", "hello", "1900", "+", "+12345678901234567"])
def test_other_text_is_refused(typed):
    with pytest.raises(Invalid):
        call_blocking.normalise_entry(typed, country="US")


def test_number_prefix_and_withheld_are_each_blocked_as_listed(db):
    tenant = make_tenant(db, country="US")
    owner = principal(tenant)
    assert not call_blocking.is_blocked(db, tenant=tenant, caller=CALLER)
    call_blocking.block_caller(db, principal=owner, value="(650) 555-0199")
    call_blocking.block_caller(db, principal=owner, value="+1900")
    assert call_blocking.is_blocked(db, tenant=tenant, caller=CALLER)
    assert call_blocking.is_blocked(db, tenant=tenant, caller="+19005550123")
    assert not call_blocking.is_blocked(db, tenant=tenant, caller="+16505550198")
    assert not call_blocking.is_blocked(db, tenant=tenant, caller="+1800555012")
    # Withheld numbers only when the owner asked.
    for hidden in (None, "", "anonymous", "+266696687", "Restricted"):
        assert not call_blocking.is_blocked(db, tenant=tenant, caller=hidden)
    call_blocking.set_block_withheld(db, principal=owner, enabled=True)
    for hidden in (None, "", "anonymous", "+266696687", "Restricted"):
        assert call_blocking.is_blocked(db, tenant=tenant, caller=hidden)
    listed = call_blocking.block_list(db, principal=owner)
    assert [(e.value, e.is_prefix) for e in listed.entries] == [("+1900", True), ("+16505550199", False)]
    assert listed.block_withheld
    actions = db.exec(select(AuditLog.action).where(AuditLog.tenant_id == tenant.id)).all()
    assert sorted(actions) == ["caller_blocked", "caller_blocked", "withheld_blocking_changed"]


def test_blocking_twice_is_one_entry_and_unblock_undoes_it(db):
    tenant = make_tenant(db, country="US")
    owner = principal(tenant, role="user")
    first = call_blocking.block_caller(db, principal=owner, value=CALLER)
    again = call_blocking.block_caller(db, principal=owner, value="650-555-0199")
    assert first.id == again.id and first.display == "(650) 555-0199"
    assert call_blocking.unblock_caller(db, principal=owner, value=CALLER)
    assert not call_blocking.unblock_caller(db, principal=owner, value=CALLER)
    assert not call_blocking.is_blocked(db, tenant=tenant, caller=CALLER)


def test_the_check_is_one_query_on_the_unique_index(db):
    tenant = make_tenant(db, country="US")
    call_blocking.block_caller(db, principal=principal(tenant), value="+1900")
    seen, stop = count_queries(db)
    try:
        assert call_blocking.is_blocked(db, tenant=tenant, caller="+19005550123")
    finally:
        stop()
    assert len(seen) == 1 and "blockedcaller" in seen[0]


def test_viewers_read_but_cannot_change_the_list(db):
    tenant = make_tenant(db)
    viewer = principal(tenant, role="viewer")
    assert call_blocking.block_list(db, principal=viewer).entries == []
    with pytest.raises(Forbidden):
        call_blocking.block_caller(db, principal=viewer, value=CALLER)
    with pytest.raises(Forbidden):
        call_blocking.set_block_withheld(db, principal=viewer, enabled=True)


def test_another_organisation_neither_sees_nor_changes_the_list(db):
    a, b = make_tenant(db, name="A", country="US"), make_tenant(db, name="B", country="US")
    call_blocking.block_caller(db, principal=principal(a), value=CALLER)
    assert call_blocking.block_list(db, principal=principal(b)).entries == []
    assert not call_blocking.unblock_caller(db, principal=principal(b), value=CALLER)
    call_blocking.set_block_withheld(db, principal=principal(b), enabled=True)
    db.refresh(a)
    assert call_blocking.is_blocked(db, tenant=a, caller=CALLER) and not a.block_withheld
    assert not call_blocking.is_blocked(db, tenant=b, caller=CALLER)


# --- Vapi: assistant-request ------------------------------------------------------------------------------------


def _no_model(monkeypatch):
    async def refuse(**_kwargs):
        raise AssertionError("a blocked call must never reach the model")

    monkeypatch.setattr(post_call.llm, "summarise_call", refuse)


@pytest.mark.parametrize(
    ("entry", "caller", "withheld"),
    [(CALLER, CALLER, False), ("+1650", CALLER, False), (None, None, True), (None, "anonymous", True)],
)
@pytest.mark.parametrize("locale", ["en", "fr"])
def test_vapi_refuses_a_blocked_caller_with_a_goodbye_in_the_business_language(
    db, vapi_business, monkeypatch, entry, caller, withheld, locale
):
    tenant, assistant, _ = vapi_business
    tenant.locale, assistant.language = locale, locale
    db.add_all([tenant, assistant])
    db.commit()
    if entry:
        call_blocking.block_caller(db, principal=principal(tenant), value=entry)
    call_blocking.set_block_withheld(db, principal=principal(tenant), enabled=withheld)
    _no_model(monkeypatch)
    result = send(db, assistant_request(caller), now=LA_WEDNESDAY_10AM)
    assert result.response == {"error": phrase(locale, "blocked")}
    assert ("Au revoir" in result.response["error"]) == (locale == "fr")
    (call,) = calls(db)
    assert (call.provider_call_id, call.outcome) == (INBOUND_CALL, "blocked")
    assert (call.summary_status, call.email_status) == ("skipped", "skipped")
    # Vapi then reports the call it ended: it stays blocked and post-call work leaves it alone.
    report = load("end-of-call-report")
    report["message"]["call"]["id"] = INBOUND_CALL
    report["message"]["endedReason"] = "assistant-request-returned-error"
    send(db, report, now=LA_WEDNESDAY_10AM)
    assert post_call.process_call(db, call_id=call.id) is not None
    (call,) = calls(db)
    assert call.outcome == "blocked" and call.summary is None
    assert (call.summary_status, call.email_status) == ("skipped", "skipped")


def test_vapi_hands_other_callers_to_the_assistant(db, vapi_business):
    tenant, _, _ = vapi_business
    call_blocking.block_caller(db, principal=principal(tenant), value="+1900")
    result = send(db, assistant_request(CALLER), now=LA_WEDNESDAY_10AM)
    assert "assistantId" in result.response
    assert calls(db)[0].outcome is None


def test_vapi_block_list_of_another_business_does_not_apply(db, vapi_business):
    other = make_tenant(db, name="Other")
    call_blocking.block_caller(db, principal=principal(other), value=CALLER)
    call_blocking.set_block_withheld(db, principal=principal(other), enabled=True)
    assert "assistantId" in send(db, assistant_request(CALLER), now=LA_WEDNESDAY_10AM).response


# --- Twilio: voice webhook ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["en", "fr"])
@pytest.mark.parametrize("withheld", [False, True])
def test_twilio_answers_a_blocked_caller_with_say_and_hangup(db, monkeypatch, locale, withheld):
    tenant, assistant, _ = tw.business.__wrapped__(db)
    tw.configure(db, tenant, locale=locale)
    tw.configure(db, assistant, language=locale)
    if withheld:
        call_blocking.set_block_withheld(db, principal=principal(tenant), enabled=True)
        form = tw.inbound(From="anonymous", Caller="anonymous")
    else:
        call_blocking.block_caller(db, principal=principal(tenant), value=tw.CALLER)
        form = tw.inbound()
    _no_model(monkeypatch)
    answer = twilio_voice.answer_incoming_call(db, form=form, now=tw.PARIS_TUESDAY_10AM)
    assert answer.route == "blocked" and answer.error is None
    say, hangup = tw.twiml(answer.twiml)
    assert (say.tag, hangup.tag) == ("Say", "Hangup")
    assert say.text == phrase(locale, "blocked")
    assert say.attrib["language"] == {"en": "en-US", "fr": "fr-FR"}[locale]
    (call,) = tw.calls(db)
    assert (call.outcome, call.summary_status, call.email_status) == ("blocked", "skipped", "skipped")
    # Twilio's completed callback ends it, still blocked, and no post-call work runs.
    ended = twilio_voice.apply_call_status(db, form=tw.status("completed", CallDuration="3"))
    assert ended.call_id == call.id
    post_call.process_call(db, call_id=call.id)
    (call,) = tw.calls(db)
    assert (call.status, call.outcome, call.summary) == ("ended", "blocked", None)


def test_twilio_hands_an_unblocked_caller_to_vapi(db):
    tenant, _, _ = tw.business.__wrapped__(db)
    call_blocking.block_caller(db, principal=principal(tenant), value="+1900")
    answer = twilio_voice.answer_incoming_call(db, form=tw.inbound(), now=tw.PARIS_TUESDAY_10AM)
    assert answer.route == "ai"


def test_blocked_calls_are_counted_not_lost(db, vapi_business):
    tenant, _, _ = vapi_business
    call_blocking.block_caller(db, principal=principal(tenant), value=CALLER)
    send(db, assistant_request(CALLER), now=LA_WEDNESDAY_10AM)
    blocked = db.exec(select(Call).where(Call.tenant_id == tenant.id, Call.outcome == "blocked")).all()
    assert len(blocked) == 1

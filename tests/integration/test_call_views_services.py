"""Owner-first call views, the service side: test calls are neither flagged nor emailed, a call's email status follows
its delivery, list items name the caller and carry the summary line, the list is counted and reached by page number,
and the dashboard tells test calls from no calls at all."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlmodel import select

from ava_app.models import Call, Outbox, utcnow
from ava_app.services import analytics, calls, post_call
from ava_app.services.calls import CallFilters
from ava_app.services.ended_reasons import ended_reason_words
from ava_app.services.errors import Forbidden, NotFound
from ava_app.services.principal import Principal
from tests.factories import make_assistant, make_call, make_tenant, make_user
from tests.integration.test_smtp_delivery import Mailbox, smtp_server
from tests.mail import closed_port, run_scheduled

TRANSCRIPT = (
    "AI: Bright Smile Dental, this is Ava. How can I help?\n"
    "User: Hi, it's Jordan Lee. I need to move my appointment, it's urgent, please call me back.\n"
    "AI: Of course, I'll tell the team."
)


def member(tenant, role: str = "admin") -> Principal:
    return Principal(user_id=1, tenant_id=tenant.id, role=role)


def reload(db, call: Call) -> Call:
    return db.get(Call, call.id, populate_existing=True)


@pytest.fixture()
def business(db):
    tenant = make_tenant(db, name="Bright Smile Dental", country="FR", timezone="Europe/Paris", industry="dental")
    owner = make_user(db, tenant=tenant, email="owner@brightsmile.test")
    assistant = make_assistant(db, tenant=tenant, summary_recipients=["frontdesk@example.com"])
    return tenant, owner, assistant


def ended_call(db, tenant, assistant, **fields) -> Call:
    fields.setdefault("transcript", TRANSCRIPT)
    fields.setdefault("provider_analysis", {})
    fields.setdefault("summary_status", "pending")
    fields.setdefault("email_status", "pending")
    return make_call(db, tenant=tenant, assistant_id=assistant.id, **fields)


# --- test calls -------------------------------------------------------------------------------------------------


def test_a_test_call_is_summarised_but_never_flagged_nor_emailed(db, business, jobs, smtp_env):
    tenant, _owner, assistant = business
    # Even a test call in which the assistant took a message (take_message flags the call during it).
    test = ended_call(db, tenant, assistant, call_type="test", action_needed=True, caller_number=None)
    real = ended_call(db, tenant, assistant)

    post_call.run_post_call(test.id)
    post_call.run_post_call(real.id)

    test, real = reload(db, test), reload(db, real)
    assert (test.summary_status, test.email_status, test.action_needed) == ("done", "skipped", False)
    assert test.summary, "the owner still reads what their test call was about"
    assert (real.email_status, real.action_needed) == ("sent", True)
    keys = [row.dedupe_key for row in db.exec(select(Outbox)).all()]
    assert keys and all(f":{real.id}:" in key for key in keys), "no email was queued for the test call"


def test_the_daily_digest_leaves_test_calls_out(db, business):
    tenant, owner, assistant = business
    from ava_app.models import Membership

    membership = db.exec(select(Membership).where(Membership.user_id == owner.id)).one()
    membership.notify_mode = "digest"
    db.add(membership)
    db.commit()
    now = datetime.combine(utcnow().date(), time(10), tzinfo=UTC)  # 11:00 in Paris: the digest is due
    yesterday = int((utcnow() - (now - timedelta(days=1))).total_seconds() // 60)
    make_call(db, tenant=tenant, call_type="test", minutes_ago=yesterday, caller_number=None)
    assert post_call.send_daily_digests(db, now=now) == 0, "a day with only a test call sends no digest"
    make_call(db, tenant=tenant, minutes_ago=yesterday, caller_number="+33612345678", summary="Wants a cleaning.")
    assert post_call.send_daily_digests(db, now=now) == 1
    (digest,) = db.exec(select(Outbox)).all()
    assert "Wants a cleaning." in digest.body_text and "1 call on" in digest.subject


# --- the email status follows the delivery ------------------------------------------------------------------------


def test_email_status_becomes_sent_when_the_outbox_delivers_it(db, business, jobs, smtp_env):
    """The mail server was down when the call ended: the status said pending; the delivery itself settles it."""
    tenant, _owner, assistant = business
    port = closed_port()
    smtp_env(host="127.0.0.1", port=port, tls="none")
    call = ended_call(db, tenant, assistant)

    post_call.run_post_call(call.id)
    assert reload(db, call).email_status == "pending"
    assert {row.status for row in db.exec(select(Outbox)).all()} == {"queued"}

    mailbox = Mailbox()
    with smtp_server(mailbox, port=port):
        run_scheduled(jobs)  # only the outbox's own retries: no pipeline sweep runs

    db.expire_all()
    assert {row.status for row in db.exec(select(Outbox)).all()} == {"sent"}
    assert reload(db, call).email_status == "sent"
    assert len(mailbox.received) == 2


def test_a_delivery_listener_error_never_fails_the_delivery(db, business, jobs, smtp_env, monkeypatch):
    tenant, _owner, assistant = business

    def broken(_session, _row):
        raise RuntimeError("listener bug")

    from ava_app.services.messaging import email

    monkeypatch.setitem(email._DELIVERY_LISTENERS, post_call.SUMMARY_KEY_PREFIX, broken)
    call = ended_call(db, tenant, assistant)
    post_call.run_post_call(call.id)
    db.expire_all()
    assert {row.status for row in db.exec(select(Outbox)).all()} == {"sent"}
    assert reload(db, call).email_status == "sent", "the job's own settling still ran"


# --- list items, count, page numbers ------------------------------------------------------------------------------


def test_list_items_name_the_caller_and_write_the_number_as_the_business_does(db, business):
    tenant, _owner, _assistant = business
    named = make_call(
        db,
        tenant=tenant,
        caller_number="+33612345678",
        data_fields={"caller_name": "Jordan Lee", "message": "Call me back"},
        summary="Jordan wants to move Tuesday's appointment.\nMore details.",
    )
    abroad = make_call(
        db, tenant=tenant, caller_number="+16505550142", minutes_ago=20, data_fields={"patient_name": ""}
    )
    page = calls.list_calls(db, principal=member(tenant, "viewer"), filters=CallFilters())
    items = {item.id: item for item in page.items}

    assert items[named.id].caller_name == "Jordan Lee"
    assert items[named.id].caller_display == "06 12 34 56 78"
    assert items[named.id].caller_tel == "tel:+33612345678"
    assert items[named.id].summary_line == "Jordan wants to move Tuesday's appointment."
    assert items[abroad.id].caller_name is None, "an empty name field is no name"
    assert items[abroad.id].caller_display == "+1 650-555-0142"


def test_count_is_per_tenant_filtered_and_capped(db, business):
    tenant, _owner, _assistant = business
    other = make_tenant(db)
    for index in range(7):
        make_call(db, tenant=tenant, minutes_ago=index + 1, outcome="missed" if index < 3 else "answered")
    make_call(db, tenant=other)

    principal = member(tenant, "viewer")
    assert calls.count_calls(db, principal=principal, filters=CallFilters()).model_dump() == {
        "total": 7,
        "capped": False,
    }
    missed = CallFilters(outcome=["missed"])
    assert calls.count_calls(db, principal=principal, filters=missed).total == 3
    capped = calls.count_calls(db, principal=principal, filters=CallFilters(), cap=5)
    assert (capped.total, capped.capped) == (5, True)
    assert calls.count_calls(db, principal=member(other), filters=CallFilters()).total == 1
    with pytest.raises(Forbidden):
        calls.count_calls(db, principal=Principal(user_id=1, tenant_id=None, role=None), filters=CallFilters())


def test_page_number_cursors_reach_the_same_rows_as_next_next(db, business):
    tenant, _owner, _assistant = business
    made = [make_call(db, tenant=tenant, minutes_ago=index + 1, duration=10 * index) for index in range(11)]
    principal = member(tenant, "viewer")
    filters = CallFilters()

    walked, cursor = [], None
    for _ in range(3):
        page = calls.list_calls(db, principal=principal, filters=filters, cursor=cursor, limit=4)
        walked.append([item.id for item in page.items])
        cursor = page.next_cursor

    cursors = calls.page_cursor(db, principal=principal, filters=filters, page=3, limit=4)
    assert len(cursors) == 3 and cursors[0] == ""
    for number, expected in enumerate(walked):
        page = calls.list_calls(db, principal=principal, filters=filters, cursor=cursors[number] or None, limit=4)
        assert [item.id for item in page.items] == expected
    assert sorted(id_ for ids in walked for id_ in ids) == sorted(call.id for call in made)

    # Past the end: the walk stops at the last page that has calls; another sort walks its own order.
    assert len(calls.page_cursor(db, principal=principal, filters=filters, page=9, limit=4)) == 3
    by_duration = calls.page_cursor(
        db, principal=principal, filters=filters, sort="duration", direction="asc", page=2, limit=4
    )
    page = calls.list_calls(
        db, principal=principal, filters=filters, sort="duration", direction="asc", cursor=by_duration[1], limit=4
    )
    assert [item.id for item in page.items] == [call.id for call in made[4:8]]
    # Another tenant walking: none of these calls.
    assert calls.page_cursor(db, principal=member(make_tenant(db)), filters=filters, page=3, limit=4) == [""]


# --- the call page's words ------------------------------------------------------------------------------------------


def test_call_detail_says_how_it_ended_and_labels_fields_in_both_languages(db, business):
    tenant, _owner, assistant = business
    assistant.data_fields = [{"key": "insurer", "label": "Mutuelle", "type": "string"}]
    db.add(assistant)
    db.commit()
    call = make_call(
        db,
        tenant=tenant,
        assistant_id=assistant.id,
        ended_reason="customer-ended-call",
        data_fields={"patient_name": "Jordan Lee", "caller_name": "Jordan", "insurer": "MGEN", "free_text": "x"},
    )
    detail = calls.get_call(db, principal=member(tenant, "viewer"), call_id=call.id)

    assert detail.ended_reason == "customer-ended-call", "the code stays, for the details"
    assert detail.ended_reason_words == {"en": "The caller hung up.", "fr": "L'appelant a raccroché."}
    assert detail.data_labels["patient_name"] == {"en": "Patient name", "fr": "Nom du patient"}
    assert detail.data_labels["caller_name"]["fr"] == "Nom de l'appelant"
    assert detail.data_labels["insurer"] == {"en": "Mutuelle", "fr": "Mutuelle"}, "the owner's own label"
    assert detail.data_labels["free_text"]["en"] == "Free text"
    assert detail.caller_name == "Jordan"
    with pytest.raises(NotFound):
        calls.get_call(db, principal=member(make_tenant(db)), call_id=call.id)


def test_every_known_reason_has_words_and_unknown_ones_fall_back_to_their_family():
    assert ended_reason_words(None) == {}
    assert ended_reason_words("pipeline-error-openai-llm-failed")["en"] == "A technical problem ended the call."
    assert ended_reason_words("customer-busy")["fr"] == "La ligne était occupée."
    assert ended_reason_words("something-new")["en"] == "The call ended normally."


# --- the dashboard ------------------------------------------------------------------------------------------------


def test_dashboard_tells_test_calls_from_no_calls(db, business):
    tenant, _owner, _assistant = business
    principal = member(tenant, "viewer")
    summary = analytics.dashboard_summary(db, principal=principal)
    assert (summary.has_calls, summary.has_test_calls) == (False, False)

    make_call(db, tenant=tenant, call_type="test", caller_number=None)
    summary = analytics.dashboard_summary(db, principal=principal)
    assert (summary.has_calls, summary.has_test_calls) == (False, True)
    assert [call.call_type for call in summary.recent_calls] == ["test"]

    make_call(db, tenant=tenant)
    summary = analytics.dashboard_summary(db, principal=principal)
    assert (summary.has_calls, summary.has_test_calls) == (True, True)
    other = analytics.dashboard_summary(db, principal=member(make_tenant(db)))
    assert (other.has_calls, other.has_test_calls) == (False, False)

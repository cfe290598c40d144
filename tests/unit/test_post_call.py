"""Post-call work: summary on the call, emails by notify mode, the daily digest, retries, dedupe, recovery, settings.

Jobs run in immediate mode (the ``jobs`` fixture); scheduled retries are run by hand with ``drain``. Mail runs in
sandbox mode (``smtp_env``): an outbox row marked sent is an email handed over.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import select

from ava_app.api.app import create_api
from ava_app.models import Call, Membership, Outbox, WebhookEvent
from ava_app.sandbox.openai.app import create_openai_emulator
from ava_app.services import notification_settings, post_call, rate_limits
from ava_app.services.errors import Forbidden, Invalid, NotFound
from ava_app.services.ingest import events as vapi_events
from ava_app.services.ingest.tasks import sweep_pipeline_once
from ava_app.services.principal import Principal
from ava_app.settings import get_settings
from tests.factories import make_assistant, make_call, make_tenant, make_user
from tests.servers import serve_app

TRANSCRIPT = (
    "AI: Bright Smile Dental, this is Ava. How can I help?\n"
    "User: Hi, my name is Jordan Lee. I'd like to book a cleaning next Tuesday morning.\n"
    "AI: Of course. Can I have a number to confirm?\n"
    "User: Sure, it's 415 555 0142. Please call me back to confirm. Thanks a lot!"
)
OPENAI_KEY = "sk-emulator-post-call"


def drain(jobs, rounds: int = 20) -> None:
    """Run scheduled retries, as a consumer would once their time comes, until none is left."""
    for _ in range(rounds):
        scheduled = jobs.read_schedule(datetime.max)
        if not scheduled:
            return
        for task in scheduled:
            jobs.execute(task, timestamp=task.eta)
    raise AssertionError("retries never stopped")


def ended_call(db, tenant, assistant=None, **fields) -> Call:
    """An ended call as the applied report leaves it: transcript, provider analysis, post-call work pending."""
    fields.setdefault("transcript", TRANSCRIPT)
    fields.setdefault("provider_analysis", {})
    fields.setdefault("summary_status", "pending")
    fields.setdefault("email_status", "pending")
    return make_call(db, tenant=tenant, assistant_id=assistant.id if assistant else None, **fields)


def reload(db, call: Call) -> Call:
    return db.get(Call, call.id, populate_existing=True)


def outbox(db) -> list[Outbox]:
    db.expire_all()
    return list(db.exec(select(Outbox).order_by(Outbox.id)).all())


def set_mode(db, user, tenant, mode: str) -> None:
    membership = db.exec(
        select(Membership).where(Membership.user_id == user.id, Membership.tenant_id == tenant.id)
    ).one()
    membership.notify_mode = mode
    db.add(membership)
    db.commit()


@pytest.fixture()
def business(db):
    tenant = make_tenant(db, name="Bright Smile Dental", timezone="America/Los_Angeles", industry="dental")
    owner = make_user(db, tenant=tenant, email="owner@brightsmile.test", locale="fr")
    assistant = make_assistant(db, tenant=tenant, data_fields=["name", {"key": "phone", "type": "string"}])
    return tenant, owner, assistant


@pytest.fixture()
def openai(monkeypatch) -> Iterator:
    """The OpenAI emulator on a real port with AVA pointed at it; yields its control (fail_next, malformed_next)."""
    app = create_openai_emulator(api_key=OPENAI_KEY)
    with serve_app(app) as base_url:
        monkeypatch.setenv("AVA_OPENAI_API_KEY", OPENAI_KEY)
        monkeypatch.setenv("AVA_OPENAI_BASE_URL", base_url + "/v1")
        get_settings.cache_clear()
        yield app.state.control
    get_settings.cache_clear()


# --- summary and the per-call email ----------------------------------------------------------------------------


def test_summary_is_stored_and_the_owner_gets_it_in_their_language(db, business, jobs, smtp_env):
    tenant, owner, assistant = business
    call = ended_call(db, tenant, assistant, data_fields={"name": "Jordan Lee (from take_message)"})

    post_call.run_post_call(call.id)

    call = reload(db, call)
    assert (call.summary_status, call.email_status, call.summary_source) == ("done", "sent", "local")
    assert call.summary and call.sentiment in ("positive", "neutral", "negative") and isinstance(call.topics, list)
    assert call.data_fields["name"] == "Jordan Lee (from take_message)", "the caller's own fields win"
    (mail,) = outbox(db)
    assert mail.to == "owner@brightsmile.test" and mail.status == "sent"
    assert mail.subject.startswith(("Nouvel appel", "Action requise"))
    # The caller's number as the (US) business writes it.
    assert mail.subject.endswith("(650) 555-0199") and "+16505550199" not in mail.body_text
    assert f"{get_settings().public_url}/calls/{call.id}" in mail.body_text
    assert call.summary.splitlines()[0][:40] in mail.body_text


def test_action_mode_only_gets_calls_that_need_action(db, business, jobs, smtp_env):
    tenant, owner, assistant = business
    set_mode(db, owner, tenant, "action")
    quiet = ended_call(db, tenant, assistant, transcript="AI: Hello.\nUser: What time do you open? Thanks, bye.")
    urgent = ended_call(db, tenant, assistant, action_needed=True)

    post_call.run_post_call(quiet.id)
    post_call.run_post_call(urgent.id)

    assert reload(db, quiet).email_status == "skipped"
    assert reload(db, urgent).email_status == "sent"
    (mail,) = outbox(db)
    assert mail.subject.startswith("Action requise") and reload(db, urgent).intent in mail.body_text


def test_never_and_digest_get_no_per_call_email_but_summary_recipients_do(db, business, jobs, smtp_env):
    tenant, owner, assistant = business
    set_mode(db, owner, tenant, "never")
    other = make_user(db, tenant=tenant, email="frontdesk@brightsmile.test", role="user")
    set_mode(db, other, tenant, "digest")
    assistant.summary_recipients = ["Owner@BrightSmile.test", "accounting@example.com", "not-an-address"]
    db.add(assistant)
    db.commit()
    call = ended_call(db, tenant, assistant)

    post_call.run_post_call(call.id)

    # The owner's own "never" wins over being listed; the outside address gets it in the business's language.
    assert [mail.to for mail in outbox(db)] == ["accounting@example.com"]
    assert outbox(db)[0].subject.startswith(("New call", "Action needed"))
    assert reload(db, call).email_status == "sent"


def test_nobody_opted_in_means_skipped(db, business, jobs, smtp_env):
    tenant, owner, assistant = business
    set_mode(db, owner, tenant, "never")
    call = ended_call(db, tenant, assistant)

    post_call.run_post_call(call.id)

    assert (reload(db, call).summary_status, reload(db, call).email_status) == ("done", "skipped")
    assert outbox(db) == []


def test_running_the_job_twice_sends_one_email_per_recipient(db, business, jobs, smtp_env):
    tenant, owner, assistant = business
    make_user(db, tenant=tenant, email="partner@brightsmile.test", role="user")
    call = ended_call(db, tenant, assistant)

    post_call.run_post_call(call.id)
    first_summary = reload(db, call).summary
    # As if the sweep re-enqueued it, or the summary and email state had been reset halfway.
    db.exec(Call.__table__.update().where(Call.__table__.c.id == call.id).values(email_status="pending"))
    db.commit()
    post_call.run_post_call(call.id)
    post_call.run_post_call(call.id)

    mails = outbox(db)
    assert sorted(mail.to for mail in mails) == ["owner@brightsmile.test", "partner@brightsmile.test"]
    assert all(mail.attempts == 1 for mail in mails)
    assert reload(db, call).summary == first_summary and reload(db, call).email_status == "sent"


# --- the LLM failing ---------------------------------------------------------------------------------------------


def test_llm_500s_then_recovering_ends_done_with_the_llm_summary(db, business, jobs, smtp_env, openai):
    tenant, owner, assistant = business
    call = ended_call(db, tenant, assistant)
    # The SDK tries three times per job attempt: the first attempt fails, the retry's second request succeeds.
    openai.fail_next(4, status=500, retry_after=0.01)

    post_call.run_post_call(call.id)
    assert reload(db, call).summary_status == "pending"
    drain(jobs)

    call = reload(db, call)
    assert (call.summary_status, call.summary_source, call.email_status) == ("done", "llm", "sent")
    assert len(openai.requests) == 5


def test_llm_down_past_the_retry_cap_fails_the_summary_and_still_emails(db, business, jobs, smtp_env, openai):
    tenant, owner, assistant = business
    call = ended_call(db, tenant, assistant)
    openai.fail_next(3 * (post_call.POST_CALL_RETRIES + 1), status=503, retry_after=0.01)

    post_call.run_post_call(call.id)
    drain(jobs)

    call = reload(db, call)
    assert (call.summary_status, call.email_status, call.summary) == ("failed", "sent", None)
    assert "Aucun résumé disponible." in outbox(db)[0].body_text


def test_malformed_answer_twice_fails_the_summary_and_the_email_says_so(db, business, jobs, smtp_env, openai):
    tenant, owner, assistant = business
    call = ended_call(db, tenant, assistant)
    openai.malformed_next(2)

    post_call.run_post_call(call.id)

    call = reload(db, call)
    assert (call.summary_status, call.email_status) == ("failed", "sent")
    assert len(openai.requests) == 2, "a malformed answer is retried once by the provider, never by the queue"
    (mail,) = outbox(db)
    assert "Aucun résumé disponible." in mail.body_text


def test_admin_retry_runs_a_failed_summary_again(db, business, jobs, smtp_env, openai):
    tenant, owner, assistant = business
    call = ended_call(db, tenant, assistant)
    openai.malformed_next(2)
    post_call.run_post_call(call.id)
    assert reload(db, call).summary_status == "failed"

    admin = Principal(user_id=owner.id, tenant_id=tenant.id, role="admin")
    status = post_call.retry_post_call(db, principal=admin, call_id=call.id)

    assert (status.summary_status, status.email_status) == ("done", "sent")
    assert len(outbox(db)) == 1, "the email already sent is not sent again"
    viewer = Principal(user_id=owner.id, tenant_id=tenant.id, role="viewer")
    with pytest.raises(Forbidden):
        post_call.retry_post_call(db, principal=viewer, call_id=call.id)
    stranger = Principal(user_id=owner.id, tenant_id=make_tenant(db).id, role="admin")
    with pytest.raises(NotFound):
        post_call.retry_post_call(db, principal=stranger, call_id=call.id)


def test_admin_retry_requeues_failed_emails(db, business, jobs, smtp_env):
    tenant, owner, assistant = business
    call = ended_call(db, tenant, assistant)
    post_call.run_post_call(call.id)
    (mail,) = outbox(db)
    mail.status = "failed"
    db.add(mail)
    db.commit()
    db.exec(Call.__table__.update().where(Call.__table__.c.id == call.id).values(email_status="failed"))
    db.commit()

    admin = Principal(user_id=owner.id, tenant_id=tenant.id, role="admin")
    status = post_call.retry_post_call(db, principal=admin, call_id=call.id)

    assert status.email_status == "sent" and [row.status for row in outbox(db)] == ["sent"]


# --- the daily digest ------------------------------------------------------------------------------------------


def test_daily_digest_sends_yesterdays_calls_once_in_the_tenant_timezone(db, business, jobs, smtp_env):
    tenant, owner, assistant = business
    set_mode(db, owner, tenant, "digest")
    # 2025-06-05 08:00 in Los Angeles (PDT): "yesterday" is June 4, local.
    now = datetime(2025, 6, 5, 15, 0, tzinfo=UTC)
    local_midnight = datetime(2025, 6, 4, 7, 0, tzinfo=UTC)
    inside = [local_midnight + timedelta(minutes=5), local_midnight + timedelta(hours=23, minutes=50)]
    outside = [local_midnight - timedelta(minutes=5), local_midnight + timedelta(hours=24, minutes=5)]
    for _ in inside + outside:
        make_call(db, tenant=tenant, caller_number="+16505550100", summary="Wants a cleaning.")
    _set_start_times(db, inside + outside)

    assert post_call.send_daily_digests(db, now=datetime(2025, 6, 5, 13, 0, tzinfo=UTC)) == 0, "6 AM: too early"
    assert post_call.send_daily_digests(db, now=now) == 1
    assert post_call.send_daily_digests(db, now=now + timedelta(hours=3)) == 0, "one per user and day"

    (mail,) = outbox(db)
    assert mail.to == owner.email and mail.subject == "AVA : 2 appels le 4 juin 2025 pour Bright Smile Dental"
    # A US business reads its callers in the national form.
    assert mail.body_text.count("(650) 555-0100") == 2 and "00:05" in mail.body_text and "23:50" in mail.body_text


def test_digest_members_get_nothing_on_a_day_without_calls(db, business, jobs, smtp_env):
    tenant, owner, assistant = business
    set_mode(db, owner, tenant, "digest")
    assert post_call.send_daily_digests(db, now=datetime(2025, 6, 5, 15, 0, tzinfo=UTC)) == 0
    assert outbox(db) == []


def _set_start_times(db, moments: list[datetime]) -> None:
    ids = sorted(db.exec(select(Call.id)).all())
    for call_id, moment in zip(ids, moments, strict=True):
        db.exec(Call.__table__.update().where(Call.__table__.c.id == call_id).values(started_at=moment))
    db.commit()


# --- recovery ----------------------------------------------------------------------------------------------------


def test_sweep_finds_lost_report_jobs_and_stale_post_call_work(db, business, jobs, smtp_env):
    tenant, owner, assistant = business
    fresh = ended_call(db, tenant, assistant)
    stale = ended_call(db, tenant, assistant)
    old = datetime.now(UTC) - post_call.STALE_AFTER - timedelta(minutes=1)
    db.exec(Call.__table__.update().where(Call.__table__.c.id == stale.id).values(updated_at=old))
    db.commit()

    assert post_call.calls_needing_work(db) == [stale.id]

    lost = WebhookEvent(
        provider="vapi", event_type="hang", dedupe_key="vapi:x:hang:1", payload='{"message": {"type": "hang"}}'
    )
    lost.received_at = datetime.now(UTC) - timedelta(minutes=5)
    db.add(lost)
    db.commit()
    assert vapi_events.unapplied_event_ids(db, received_before=datetime.now(UTC) - timedelta(minutes=2)) == [lost.id]

    found = sweep_pipeline_once()
    assert found == {"events": [lost.id], "calls": [stale.id]}
    db.expire_all()
    assert db.get(WebhookEvent, lost.id).processed_at is not None
    assert reload(db, stale).summary_status == "done" and reload(db, fresh).summary_status == "pending"


# --- notification settings ---------------------------------------------------------------------------------------


def test_notification_settings_read_and_change_the_members_own_mode(db, business):
    tenant, owner, _ = business
    me = Principal(user_id=owner.id, tenant_id=tenant.id, role="viewer")

    assert notification_settings.get_notification_settings(db, principal=me).mode == "every"
    assert notification_settings.set_notification_settings(db, principal=me, mode="digest").mode == "digest"
    assert notification_settings.get_notification_settings(db, principal=me).mode == "digest"
    with pytest.raises(Invalid):
        notification_settings.set_notification_settings(db, principal=me, mode="sometimes")
    with pytest.raises(Forbidden):
        notification_settings.get_notification_settings(db, principal=Principal(owner.id, None, None))


async def test_notifications_route_round_trip(engine, smtp_env):
    rate_limits.reset_rate_limits()
    transport = httpx.ASGITransport(app=create_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        signup = await client.post(
            "/api/v1/auth/signup",
            json={"name": "Owner", "email": "o@example.com", "password": "tulip-garage-42", "organisation_name": "B"},
        )
        headers = {"Authorization": f"Bearer {signup.json()['access_token']}"}
        assert (await client.get("/api/v1/me/notifications", headers=headers)).json()["mode"] == "every"
        changed = await client.put("/api/v1/me/notifications", headers=headers, json={"mode": "action"})
        refused = await client.put("/api/v1/me/notifications", headers=headers, json={"mode": "loud"})
        anonymous = await client.get("/api/v1/me/notifications")
        # The preferences page's two choices; one left out keeps its value.
        digest_on = await client.put("/api/v1/me/notifications", headers=headers, json={"digest": True})
        quiet = await client.put("/api/v1/me/notifications", headers=headers, json={"per_call": "never"})
        wrong = await client.put("/api/v1/me/notifications", headers=headers, json={"per_call": "loud"})
        empty = await client.put("/api/v1/me/notifications", headers=headers, json={})
    assert changed.status_code == 200 and changed.json()["mode"] == "action"
    assert refused.status_code == 422 and anonymous.status_code == 401
    assert (digest_on.json()["per_call"], digest_on.json()["digest"]) == ("action", True)
    assert (quiet.json()["per_call"], quiet.json()["digest"]) == ("never", True)
    assert wrong.status_code == 422 and empty.status_code == 422
    rate_limits.reset_rate_limits()


def test_admin_can_rerun_a_done_summary_without_a_second_email(db, business, jobs, smtp_env):
    tenant, owner, assistant = business
    call = ended_call(db, tenant, assistant)
    post_call.run_post_call(call.id)
    assert reload(db, call).summary_status == "done"
    db.exec(Call.__table__.update().where(Call.__table__.c.id == call.id).values(summary="old words"))
    db.commit()

    admin = Principal(user_id=owner.id, tenant_id=tenant.id, role="admin")
    status = post_call.rerun_summary(db, principal=admin, call_id=call.id)

    assert status.summary_status == "done" and reload(db, call).summary != "old words"
    assert len(outbox(db)) == 1, "the summary email already sent is not sent again"
    with pytest.raises(Forbidden):
        post_call.rerun_summary(
            db, principal=Principal(user_id=owner.id, tenant_id=tenant.id, role="user"), call_id=call.id
        )
    with pytest.raises(NotFound):
        post_call.rerun_summary(
            db, principal=Principal(user_id=1, tenant_id=make_tenant(db).id, role="admin"), call_id=call.id
        )


def test_the_summary_email_carries_a_sealed_block_link_for_members_who_may_block(db, business, jobs, smtp_env):
    tenant, owner, assistant = business
    viewer = make_user(db, tenant=tenant, role="viewer", email="viewer@brightsmile.test", locale="en")
    set_mode(db, viewer, tenant, "every")
    call = ended_call(db, tenant, assistant)

    post_call.run_post_call(call.id)

    by_address = {mail.to: mail for mail in outbox(db)}
    owners, viewers = by_address["owner@brightsmile.test"], by_address["viewer@brightsmile.test"]
    assert "Appel indésirable ? Bloquer cet appelant" in owners.body_text
    assert "/api/v1/block-caller?sealed=" in owners.body_text  # the stored body never holds the token itself
    assert "token=" not in owners.body_text and "token=" not in (owners.body_html or "")
    assert "block-caller" not in viewers.body_text and "Block this caller" not in viewers.body_text

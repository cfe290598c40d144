"""The first-run seed: a demo clinic made through onboarding, its month of calls played through the real pipeline."""

from __future__ import annotations

import collections
import re
import statistics
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlmodel import col, select

from ava_app import seed
from ava_app.api.app import create_api
from ava_app.demo_data import generate_calls
from ava_app.demo_data import main as generate_main
from ava_app.models import (
    Assistant,
    AssistantVersion,
    Call,
    CallMessage,
    Outbox,
    PhoneNumber,
    Tenant,
    WebhookEvent,
    as_utc,
    utcnow,
)
from ava_app.services import accounts, assistants, download_links, knowledge, phones, presets, trash
from ava_app.services.billing import usage
from ava_app.settings import get_settings

PASSWORD = "demo-correct-horse-42"
CALLS = 18
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture()
def sandbox(engine, monkeypatch, tmp_path):
    """Every provider on its emulator, with a data dir (emulator store, recordings) of this test's own."""
    for name in ("VAPI_API_KEY", "OPENAI_API_KEY", "SMTP_HOST", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):
        monkeypatch.setenv(f"AVA_{name}", "")
    monkeypatch.setenv("AVA_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _seed(db, count: int = CALLS) -> seed.SeedResult:
    seed.seed_demo(db, password=PASSWORD)
    return seed.seed_demo_calls(count=count, use_speech=False)


def _demo(db) -> Tenant:
    return db.exec(select(Tenant).where(Tenant.is_demo)).one()


def _calls(db, tenant: Tenant) -> list[Call]:
    db.expire_all()
    return list(db.exec(select(Call).where(Call.tenant_id == tenant.id).order_by(col(Call.started_at))).all())


def test_the_demo_month_is_played_through_webhooks_ingestion_and_the_post_call_job(sandbox, db):
    result = _seed(db)

    tenant = _demo(db)
    rows = _calls(db, tenant)
    assert result.added == result.total == len(rows) == CALLS and result.skipped_because is None
    for call in rows:
        events = db.exec(select(WebhookEvent.event_type).where(WebhookEvent.provider_call_id == call.provider_call_id))
        kinds = collections.Counter(events.all())
        assert kinds["end-of-call-report"] == 1 and kinds["status-update"] == 3 and kinds["transcript"] >= 1
        assert call.status == "ended" and call.call_type == "inbound" and call.caller_number.startswith("+33")
        lines = db.exec(select(CallMessage).where(CallMessage.call_id == call.id)).all()
        assert lines and call.transcript
        assert call.summary_status == "done" and call.summary and call.summary_source == "local"
        assert isinstance(call.topics, list) and call.sentiment in ("positive", "neutral", "negative")
        assert call.email_status == "skipped", "the demo owner reads the daily digest, not one email per call"
        assert call.recording_url.startswith(get_settings().public_url + "/sandbox/vapi/recording/")
        assert (sandbox / "sandbox_vapi_recordings" / call.recording_url.rsplit("/", 1)[1]).is_file()
        assert "confirmed yet" not in call.transcript, "the clinic's answers were reviewed before its calls"
    assert sum(bool(call.topics) for call in rows) >= CALLS // 2
    assert len({call.intent for call in rows}) >= 3, "a mix of reasons to call"
    assert not db.exec(select(Outbox).where(col(Outbox.dedupe_key).startswith("call-summary:"))).first()

    # Spread over the last 30 days, in the clinic's day, finished before the seed ran.
    seeded = as_utc(tenant.created_at) + timedelta(days=seed.DEMO_AGE_DAYS)
    assert abs(seeded - utcnow()) < timedelta(minutes=5), "the demo is dated back by its age"
    starts = [as_utc(call.started_at) for call in rows]
    assert seeded - timedelta(days=31) < min(starts) and max(starts) < seeded - timedelta(minutes=9)
    assert all(as_utc(call.ended_at) < seeded for call in rows)
    # They fall in a billing period under way on the demo's paid plan: the Usage page has minutes to show.
    demo_usage = usage.tenant_usage(db, tenant_id=tenant.id)
    assert not demo_usage.plan.is_trial and demo_usage.period.kind == "monthly"
    assert demo_usage.minutes_used > 0 and demo_usage.billed_calls > 0
    assert len({start.astimezone(PARIS).date() for start in starts}) >= CALLS // 2
    assert all(6 <= start.astimezone(PARIS).hour <= 22 for start in starts)


def test_the_demo_clinic_is_set_up_the_way_onboarding_does_it(sandbox, db):
    _seed(db, count=2)

    tenant = _demo(db)
    preset = presets.get_preset("clinic", "en", business_name=seed.DEMO_ORGANISATION)
    assistant = db.exec(select(Assistant).where(Assistant.tenant_id == tenant.id)).one()
    number = db.exec(select(PhoneNumber).where(PhoneNumber.tenant_id == tenant.id)).one()
    assert (tenant.industry, tenant.timezone, tenant.onboarding_completed_at is not None) == (
        "clinic",
        "Europe/Paris",
        True,
    )
    assert (tenant.country, tenant.locale, tenant.currency) == ("FR", "en", "EUR")
    assert assistant.first_message == preset.first_message and assistant.first_message
    # The preset's questions, each answered by the clinic (its own words, or the preset's confirmed as they stand).
    answers = seed.demo_answers(currency="EUR", country="FR")
    assert [(item["question"], item["answer"]) for item in assistant.knowledge_base] == [
        (faq.question, answers.get(faq.question, faq.answer)) for faq in preset.faqs
    ]
    assert number.business_hours == {
        day: [r.model_dump() for r in ranges] for day, ranges in preset.business_hours.items()
    }
    assert (assistant.sync_status, number.sync_status) == ("synced", "synced")
    # A Paris clinic gets a Paris number: bought at the Twilio emulator (Vapi's free numbers are American only) and
    # imported into the Vapi emulator, which routes its calls; the clinic's own line is French too.
    assert number.provider == "twilio" and number.twilio_sid and number.provider_number_id
    assert (number.e164, number.country) == (seed.DEMO_NUMBER, "FR") and number.after_hours_action == "ai"
    assert phones.display(number.e164, tenant.country) == "01 99 00 00 11"
    assert phones.display(number.forwarding_number, tenant.country) == "01 99 00 01 99"
    # The Twilio emulator the server mounts later reads the same store: the number is still owned there.
    from ava_app.sandbox.twilio.state import TwilioEmulator

    kept = TwilioEmulator(db_path=sandbox / "sandbox_twilio.db")
    assert seed.DEMO_NUMBER in kept._owned_numbers()


def test_the_demo_assistant_knows_its_business_and_has_nothing_to_review(sandbox, db):
    _seed(db, count=2)

    tenant = _demo(db)
    assistant = db.exec(select(Assistant).where(Assistant.tenant_id == tenant.id)).one()
    assert assistant.knowledge_base and not [e for e in assistant.knowledge_base if knowledge.is_unconfirmed(e)]
    profile = assistant.business_profile
    assert profile["address"].endswith("75012 Paris") and "metro" in profile["access"]
    assert profile["booking_mode"] == "message" and "24 hours" in profile["booking_policy"]
    assert [(row["name"], row["price"], row["duration"]) for row in profile["services"]] == [
        ("First consultation", "30.00", 30),
        ("Scale and polish", "60.00", 45),
        ("Emergency appointment", "50.00", 30),
        ("Teeth whitening", "390.00", 90),
    ]
    assert assistant.sync_status == "synced", "the emulator's assistant has the facts the calls answer from"

    facts = assistants.call_knowledge(db, assistant=assistant)
    spoken = " ".join(fact["answer"] for fact in facts)
    assert "confirmed yet" not in spoken and "[" not in spoken and "911" not in spoken
    assert "24 rue du Faubourg Saint-Antoine" in spoken and "30,00\xa0€" in spoken and "15 or 112" in spoken
    fee = next(fact["answer"] for fact in facts if fact["question"] == "How much does a first consultation cost?")
    assert fee.startswith("A first consultation costs 30,00\xa0€"), "the fee answer and the profile agree"


def test_the_demo_calls_answer_questions_from_the_clinics_facts(sandbox, db):
    from ava_app.sandbox.vapi.scenarios import build_scenario, knowledge_facts, system_prompt_of
    from ava_app.sandbox.vapi.store import SandboxStore

    _seed(db, count=2)

    # The assistant the emulator plays the calls with: its prompt holds the clinic's facts, none withheld.
    assistant = db.exec(select(Assistant).where(Assistant.tenant_id == _demo(db).id)).one()
    on_vapi = SandboxStore(sandbox / "sandbox_vapi.db").get("assistant", assistant.provider_assistant_id)
    facts = knowledge_facts(system_prompt_of(on_vapi))
    assert len(facts) >= 10 and not [answer for _, answer in facts if "confirmed yet" in answer]
    spoken = [
        step.text
        for seed_text in ("a", "b", "c", "d", "e", "f")
        for step in build_scenario(intent="question", assistant=on_vapi, direction="inbound", seed=seed_text).steps
        if hasattr(step, "text")
    ]
    assert spoken and not [text for text in spoken if "confirmed yet" in text]


def test_a_demo_recording_plays_through_the_signed_download_route(sandbox, db):
    _seed(db, count=3)
    call = _calls(db, _demo(db))[-1]
    login = accounts.login(db, email=seed.DEMO_EMAIL, password=PASSWORD)
    owner = accounts.authenticate(db, access_token=login.access_token)
    token = download_links.issue_link_token(
        principal=owner, kind="recording", resource={"call_id": call.id}, ttl=timedelta(minutes=5)
    )

    with TestClient(create_api()) as client:
        response = client.get(f"/api/v1/downloads/recording/{call.id}", params={"token": token})

    assert response.status_code == 200 and response.headers["content-type"] == "audio/wav"
    assert response.content[:4] == b"RIFF" and len(response.content) > 8000


def test_a_second_run_adds_nothing_even_after_a_call_was_deleted(sandbox, db, capsys):
    seed.main(["--calls", "6", "--tones"])
    first = capsys.readouterr().out
    tenant = _demo(db)
    owner = accounts.authenticate(
        db, access_token=accounts.login(db, email=seed.DEMO_EMAIL, password=seed._demo_password(sandbox)).access_token
    )
    trash.move_to_trash(db, principal=owner, call_ids=[_calls(db, tenant)[0].id])
    events = len(db.exec(select(WebhookEvent.id)).all())

    seed.main(["--calls", "6", "--tones"])
    again = capsys.readouterr().out

    assert "played 6 demo calls" in first and "Demo organisation created" in first
    assert "played" not in again and "Demo organisation ready" in again and seed.DEMO_EMAIL in again
    assert len(_calls(db, tenant)) == 5 and len(db.exec(select(WebhookEvent.id)).all()) == events
    assert seed.seed_demo(db, password="other") is False


def test_a_second_run_leaves_the_assistant_as_it_is(sandbox, db):
    _seed(db, count=2)
    tenant = _demo(db)
    before = db.exec(select(Assistant).where(Assistant.tenant_id == tenant.id)).one().model_dump()
    versions = len(db.exec(select(AssistantVersion.id)).all())

    result = seed.seed_demo_calls(count=2, use_speech=False)

    db.expire_all()
    after = db.exec(select(Assistant).where(Assistant.tenant_id == tenant.id)).one().model_dump()
    assert (result.added, result.total) == (0, 2)
    assert after == before and len(db.exec(select(AssistantVersion.id)).all()) == versions


def test_an_older_demo_gets_its_business_profile_and_answers_on_the_next_start(sandbox, db):
    _seed(db, count=2)
    tenant = _demo(db)
    login = accounts.login(db, email=seed.DEMO_EMAIL, password=PASSWORD)
    owner = accounts.authenticate(db, access_token=login.access_token)
    # As a demo seeded before issue 13's profile: preset answers to review, no business details.
    assistants.apply_preset(db, principal=owner, industry="clinic", locale="en")
    empty = knowledge.BusinessProfileIn()
    assistants.update_assistant(db, principal=owner, changes=assistants.AssistantUpdate(business_profile=empty))
    calls_before = [(call.id, call.action_done_at) for call in _calls(db, tenant)]

    result = seed.seed_demo_calls(count=2, use_speech=False)

    db.expire_all()
    assistant = db.exec(select(Assistant).where(Assistant.tenant_id == tenant.id)).one()
    assert (result.added, result.total, result.skipped_because) == (0, 2, None)
    assert not [entry for entry in assistant.knowledge_base if knowledge.is_unconfirmed(entry)]
    assert assistant.business_profile["address"] == seed.DEMO_ADDRESS and assistant.sync_status == "synced"
    assert [(call.id, call.action_done_at) for call in _calls(db, tenant)] == calls_before, "no call replayed"


def test_an_owners_own_answers_are_kept(sandbox, db):
    _seed(db, count=2)
    login = accounts.login(db, email=seed.DEMO_EMAIL, password=PASSWORD)
    owner = accounts.authenticate(db, access_token=login.access_token)
    assistants.edit_faq(db, principal=owner, index=0, question="Parking?", answer="Ask at the desk.")
    changed = knowledge.BusinessProfileIn(address="1 place de la Bastille, 75004 Paris")
    assistants.update_assistant(db, principal=owner, changes=assistants.AssistantUpdate(business_profile=changed))

    seed.seed_demo_calls(count=3, use_speech=False)

    saved = assistants.get_assistant(db, principal=owner)
    assert saved.knowledge_base[0].question == "Parking?" and saved.knowledge_base[0].answer == "Ask at the desk."
    assert (
        saved.business_profile["address"] == "1 place de la Bastille, 75004 Paris"
        and not saved.business_profile["services"]
    )


def test_an_interrupted_first_run_is_finished_on_the_next_start(sandbox, db):
    _seed(db, count=10)
    tenant = _demo(db)
    complete = _calls(db, tenant)
    # As if the process had stopped after the sixth call: the last four never reached AVA.
    lost = [call.provider_call_id for call in complete[6:]]
    db.exec(delete(WebhookEvent).where(col(WebhookEvent.provider_call_id).in_(lost)))
    db.exec(delete(CallMessage).where(col(CallMessage.call_id).in_([call.id for call in complete[6:]])))
    db.exec(delete(Call).where(col(Call.provider_call_id).in_(lost)))
    db.commit()

    result = seed.seed_demo_calls(count=10, use_speech=False)

    assert (result.added, result.total) == (4, 10)
    assert [call.started_at for call in _calls(db, tenant)] == [call.started_at for call in complete]


def test_no_demo_calls_without_the_emulators_or_over_an_older_seed(sandbox, db, monkeypatch):
    seed.seed_demo(db, password=PASSWORD)
    monkeypatch.setenv("AVA_OPENAI_API_KEY", "sk-real-key")
    get_settings.cache_clear()
    assert "OpenAI" in seed.seed_demo_calls(count=3).skipped_because
    monkeypatch.setenv("AVA_OPENAI_API_KEY", "")
    monkeypatch.setenv("AVA_VAPI_API_KEY", "real-vapi-key")
    get_settings.cache_clear()
    assert "Vapi" in seed.seed_demo_calls(count=3).skipped_because
    monkeypatch.setenv("AVA_VAPI_API_KEY", "")
    get_settings.cache_clear()

    generate_calls(db, tenant_id=_demo(db).id, count=5, seed=1)

    assert "older seed" in seed.seed_demo_calls(count=3).skipped_because
    assert db.exec(select(WebhookEvent.id)).first() is None


def test_the_plan_follows_a_clinics_week():
    hours = {day: [{"open": "08:30", "close": "18:30"}] for day in ("mon", "tue", "wed", "thu", "fri")}
    now = utcnow()
    plan = seed.plan_demo_calls(count=600, days=30, now=now, zone=PARIS, business_hours=hours)

    assert plan == seed.plan_demo_calls(count=600, days=30, now=now, zone=PARIS, business_hours=hours)
    starts = [call.started_at for call in plan]
    assert starts == sorted(starts) and now - timedelta(days=30) < starts[0] and starts[-1] < now
    local = [start.astimezone(PARIS) for start in starts]
    # Per day, so the test holds on any day it runs (a window ending on a Sunday holds five Sundays).
    days = collections.Counter(moment.date() for moment in local)
    for partial in (min(days), max(days)):
        del days[partial]
    weekday_rate = statistics.mean(n for day, n in days.items() if day.weekday() < 5)
    weekend_rate = statistics.mean(n for day, n in days.items() if day.weekday() >= 5)
    assert weekend_rate < 0.7 * weekday_rate, "weekends are quieter"
    assert collections.Counter(moment.hour for moment in local).most_common(1)[0][0] in range(9, 17)
    intents = collections.Counter(call.intent for call in plan)
    assert set(intents) == {"booking", "question", "complaint", "wrong_number", "voicemail", "hang_up", "transfer"}
    assert intents.most_common(1)[0][0] == "booking"
    closed = [call for call in plan if call.started_at.astimezone(PARIS).weekday() >= 5]
    assert collections.Counter(call.intent for call in closed).most_common(1)[0][0] == "voicemail"
    regulars = collections.Counter(call.caller_number for call in plan if call.caller_name)
    assert 0.3 < sum(regulars.values()) / len(plan) < 0.6 and max(regulars.values()) < len(plan) * 0.15
    # Every caller is French and reads as a Paris clinic's staff write numbers: 06 39 98 … or 01 99 00 ….
    shown = {phones.display(call.caller_number, "FR") for call in plan}
    assert all(re.fullmatch(r"0(6 39 98|1 99 00)( \d\d){2}", text) for text in shown), sorted(shown)[:5]
    assert {phones.country_of(call.caller_number) for call in plan} == {"FR"}


def test_the_bulk_generator_is_the_benchmark_path_and_links_no_recording(engine, db, capsys):
    tenant = Tenant(name="Bench", timezone="Europe/Paris")
    db.add(tenant)
    db.commit()

    assert generate_main(["--tenant-id", str(tenant.id), "--count", "40", "--messages"]) == 0

    assert "inserted 40 calls" in capsys.readouterr().out
    rows = db.exec(select(Call).where(Call.tenant_id == tenant.id)).all()
    assert len(rows) == 40 and all(call.recording_url is None for call in rows)
    assert not db.exec(select(WebhookEvent.id)).first(), "the bulk path bypasses ingestion, by design"
    assert all(call.caller_number.startswith("+1") for call in rows), "an American business's callers"


def test_a_french_business_bulk_calls_come_from_french_numbers_kept_for_fiction(engine, db):
    tenant = Tenant(name="Cabinet", timezone="Europe/Paris", country="FR", currency="EUR")
    db.add(tenant)
    db.commit()

    generate_calls(db, tenant_id=tenant.id, count=60, seed=3)

    numbers = {call.caller_number for call in db.exec(select(Call).where(Call.tenant_id == tenant.id)).all()}
    shown = {phones.display(number, "FR") for number in numbers}
    assert len(numbers) > 10 and {phones.country_of(number) for number in numbers} == {"FR"}
    assert all(re.fullmatch(r"0(6 39 98|1 99 00)( \d\d){2}", text) for text in shown), sorted(shown)[:5]


@pytest.mark.parametrize(
    ("locale", "expected", "foreign"),
    [
        ("fr", {"rendez-vous", "horaires", "tarifs"}, {"appointment", "opening hours", "pricing"}),
        ("en", {"appointment", "opening hours", "pricing"}, {"rendez-vous", "horaires", "tarifs"}),
    ],
)
def test_bulk_demo_calls_speak_the_business_language(engine, db, locale, expected, foreign):
    from ava_app.models import Assistant, PhoneNumber
    from ava_app.services import analytics
    from tests.unit.test_assistants import principal_for

    owner = principal_for(db, country="FR" if locale == "fr" else "US")
    tenant = db.get(Tenant, owner.tenant_id)
    tenant.locale = locale
    db.add(tenant)
    db.commit()

    generate_calls(db, tenant_id=tenant.id, count=80, seed=4, with_messages=True)

    calls = db.exec(select(Call).where(Call.tenant_id == tenant.id)).all()
    topics = {topic for call in calls for topic in call.topics or []}
    assert expected <= topics and not topics & foreign, topics
    # What the dashboard lists is what the calls hold: the business's words.
    listed = {item.topic for item in analytics.dashboard_summary(db, principal=owner, period="month").top_topics}
    assert listed and listed <= topics and not listed & foreign
    summaries = [call.summary for call in calls if call.summary]
    if locale == "fr":
        assert all(" a appelé pour " in text for text in summaries), summaries[:2]
        names = {line.label for line in db.exec(select(PhoneNumber).where(PhoneNumber.tenant_id == tenant.id))}
        assert names == {"Ligne principale", "Réservations"}
        assert "Ava (hors horaires)" in {
            a.name for a in db.exec(select(Assistant).where(Assistant.tenant_id == tenant.id))
        }
    else:
        assert all(" called to " in text for text in summaries), summaries[:2]


@pytest.mark.parametrize("setting", [("AVA_ENV", "prod"), ("AVA_VAPI_API_KEY", "a-real-vapi-key")])
def test_no_demo_in_prod_or_on_a_real_vapi_account(sandbox, db, capsys, monkeypatch, setting):
    monkeypatch.setenv("AVA_SECRET_KEY", "s" * 48)
    monkeypatch.setenv("AVA_ALLOW_SANDBOX", "true")  # prod would not start without real providers otherwise
    monkeypatch.setenv(*setting)
    get_settings.cache_clear()
    try:
        seed.main(["--calls", "2", "--tones"])
    finally:
        get_settings.cache_clear()

    assert capsys.readouterr().out == ""
    assert db.exec(select(Tenant).where(Tenant.is_demo)).first() is None


def test_the_demo_owner_has_worked_through_most_old_follow_ups(db):
    from tests.factories import make_call, make_tenant

    tenant = make_tenant(db)
    old = [make_call(db, tenant=tenant, minutes_ago=60 * 24 * 5, action_needed=True) for _ in range(40)]
    fresh = [make_call(db, tenant=tenant, minutes_ago=60, action_needed=True) for _ in range(5)]

    seed._work_through_old_follow_ups(db, tenant_id=tenant.id)

    db.expire_all()
    done = [db.get(Call, call.id).action_done_at for call in old]
    assert 30 <= sum(moment is not None for moment in done) < 40
    assert all(db.get(Call, call.id).action_done_at is None for call in fresh)


def test_the_demo_recordings_are_copied_into_avas_store_by_the_post_call_job(sandbox, db):
    from ava_app.models import CallRecording

    _seed(db, count=3)
    recorded = [call.id for call in _calls(db, _demo(db)) if call.recording_url]
    rows = db.exec(select(CallRecording)).all()
    assert recorded and sorted(row.call_id for row in rows) == sorted(recorded)
    assert {row.status for row in rows} == {"stored"}
    assert all((sandbox / "recordings" / row.storage_key).is_file() for row in rows)

"""Spam marks: the summary's flag AND a short call; the owner's mark; the dashboard's separate counts."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import event, func, select, update

from ava_app.models import Call, CallMessage, CallRollup
from ava_app.services import post_call, spam
from ava_app.services.analytics import dashboard_summary
from ava_app.services.errors import Forbidden, NotFound
from ava_app.services.principal import Principal
from ava_app.services.providers import llm
from ava_app.services.providers.llm_local import summarise_locally
from tests.factories import make_call, make_tenant
from tests.unit.test_analytics import add_call, member, utc

ROBOCALL = (
    "AI: Bright Smile Dental, how can I help?\n"
    "User: This is a recorded message about your Google business listing. Press 1 to speak to an agent."
)
CUSTOMER = (
    "AI: Bright Smile Dental, how can I help?\n"
    "User: Hi, I'd like to book a cleaning next Tuesday.\n"
    "AI: Sure, morning or afternoon?\n"
    "User: Morning please.\n"
    "AI: 9:30 works. Your name?\n"
    "User: Jordan Lee. Thanks!"
)


@pytest.mark.parametrize(
    ("flagged", "turns", "seconds", "expected"),
    [
        (True, 1, 25, True),  # a robocall: one line, short
        (True, 2, 300, True),  # two caller turns, however long the recording ran
        (True, 5, 45, True),  # many short turns, under a minute
        (True, 3, 60, False),  # three turns and a full minute: a real conversation, even if it sounded like a pitch
        (True, 6, None, False),  # no duration known and a long conversation
        (False, 1, 10, False),  # short but not flagged: a hang-up, not spam
        (False, 0, 5, False),
    ],
)
def test_the_rule_needs_the_flag_and_a_short_call(flagged, turns, seconds, expected):
    assert spam.is_spam(flagged=flagged, caller_turns=turns, duration_seconds=seconds) is expected


def test_frequency_alone_never_marks_spam(db):
    tenant = make_tenant(db)
    for _ in range(6):  # the same caller six times in a row, short calls, nothing flagged
        call = make_call(db, tenant=tenant, duration=20, transcript="AI: Hello.\nUser: Is Dr Martin in today?")
        assert spam.spam_values(db, call=call, flagged=False) == {"spam": False, "spam_source": None}


def test_the_local_fallback_flags_pitches_and_robocalls_in_both_languages():
    assert summarise_locally(transcript=ROBOCALL, language="en")["spam"] is True
    french = "AI: Bonjour.\nUser: Ceci est un message enregistré, nous vous proposons une offre exceptionnelle."
    assert summarise_locally(transcript=french, language="fr")["spam"] is True
    assert summarise_locally(transcript=CUSTOMER, language="en")["spam"] is False
    assert "spam" in llm.summary_schema([])["required"]


def test_a_short_flagged_call_is_marked_by_its_summary(db, jobs, smtp_env):
    tenant = make_tenant(db)
    call = make_call(
        db, tenant=tenant, duration=25, transcript=ROBOCALL, summary_status="pending", email_status="pending"
    )
    post_call.run_post_call(call.id)
    call = db.get(Call, call.id, populate_existing=True)
    assert (call.summary_status, call.spam, call.spam_source) == ("done", True, "summary")


def test_a_long_conversation_that_sounds_like_a_pitch_is_not_marked(db, jobs, smtp_env):
    tenant = make_tenant(db)
    pitch_then_talk = CUSTOMER + "\nUser: By the way, press 1 for our extended warranty, just joking."
    call = make_call(
        db, tenant=tenant, duration=240, transcript=pitch_then_talk, summary_status="pending", email_status="pending"
    )
    for position, line in enumerate(pitch_then_talk.splitlines()):
        role = "user" if line.startswith("User") else "assistant"
        db.add(CallMessage(tenant_id=tenant.id, call_id=call.id, position=position, role=role, text=line[4:]))
    db.commit()
    post_call.run_post_call(call.id)
    assert db.get(Call, call.id, populate_existing=True).spam is False


def test_the_owners_mark_wins_over_a_later_summary(db, jobs, smtp_env):
    tenant = make_tenant(db)
    owner = Principal(user_id=None, tenant_id=tenant.id, role="user")
    call = make_call(
        db, tenant=tenant, duration=25, transcript=ROBOCALL, summary_status="pending", email_status="pending"
    )
    spam.set_spam(db, principal=owner, call_id=call.id, spam=False)
    post_call.run_post_call(call.id)
    call = db.get(Call, call.id, populate_existing=True)
    assert (call.spam, call.spam_source) == (False, "owner")
    spam.set_spam(db, principal=owner, call_id=call.id, spam=True)
    assert db.get(Call, call.id, populate_existing=True).spam is True


def test_viewers_and_other_organisations_cannot_mark(db):
    a, b = make_tenant(db), make_tenant(db)
    call = make_call(db, tenant=a)
    with pytest.raises(Forbidden):
        spam.set_spam(db, principal=Principal(user_id=None, tenant_id=a.id, role="viewer"), call_id=call.id, spam=True)
    with pytest.raises(NotFound):
        spam.set_spam(db, principal=Principal(user_id=None, tenant_id=b.id, role="admin"), call_id=call.id, spam=True)
    assert db.get(Call, call.id, populate_existing=True).spam is False


def test_the_dashboard_counts_answered_hangups_spam_and_blocked_apart(db):
    tenant = make_tenant(db, timezone="Europe/Paris")
    other = make_tenant(db, timezone="Europe/Paris")
    now = utc("2026-03-29T12:00:00")
    add_call(db, tenant, "2026-03-29T08:00:00", duration=120)
    add_call(db, tenant, "2026-03-29T08:10:00", duration=15)  # 15 s is a short answer, not a hang-up
    add_call(db, tenant, "2026-03-29T08:20:00", duration=14)  # a hang-up
    add_call(db, tenant, "2026-03-29T08:30:00", duration=4)  # a hang-up
    marked = add_call(db, tenant, "2026-03-29T08:40:00", duration=30, spam=True, spam_source="summary")
    add_call(db, tenant, "2026-03-29T08:50:00", duration=10, spam=True, spam_source="owner")  # spam, not a hang-up
    add_call(db, tenant, "2026-03-29T09:00:00", outcome="blocked", duration=2)
    add_call(db, tenant, "2026-03-29T09:10:00", outcome="missed", duration=0)
    add_call(db, other, "2026-03-29T09:00:00", outcome="blocked", duration=2)

    counts = dashboard_summary(db, principal=member(tenant), now=now).outcome_counts
    assert {k: v for k, v in counts.items() if v} == {
        "answered": 2,
        "hangup": 2,
        "spam": 2,
        "blocked": 1,
        "missed": 1,
    }
    # The owner takes a mark off: the rollup follows (the update trigger watches ``spam``).
    db.execute(update(Call).where(Call.id == marked.id).values(spam=False))
    db.commit()
    counts = dashboard_summary(db, principal=member(tenant), now=now).outcome_counts
    assert (counts["answered"], counts["spam"]) == (3, 1)
    total = db.execute(select(func.sum(CallRollup.calls)).where(CallRollup.tenant_id == tenant.id)).scalar_one()
    assert total == 8


def test_the_dashboard_reads_the_counts_from_the_rollup_alone(db):
    """Folded into the aggregate it already read: no query of ``call`` added for these counts."""
    tenant = make_tenant(db, timezone="Europe/Paris")
    add_call(db, tenant, "2026-03-29T08:20:00", duration=14)
    seen: list[str] = []
    engine = db.get_bind()

    def before(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        dashboard_summary(db, principal=member(tenant), now=utc("2026-03-29T12:00:00"))
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert not any("spam" in statement for statement in seen)
    assert json.dumps(seen).count("FROM callrollup") >= 1

"""Calls list and call page services: filters, sorts, keyset pages under inserts, search, export, tenant isolation."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from ava_app.models import Call, CallMessage
from ava_app.services import calls as calls_service
from ava_app.services.calls import (
    CallFilters,
    export_calls,
    get_call,
    list_calls,
    mark_action_done,
)
from ava_app.services.errors import Forbidden, Invalid, NotFound
from ava_app.services.principal import Principal
from ava_app.services.trash import move_to_trash
from tests.factories import make_assistant, make_phone_number, make_tenant

BASE = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def add_call(db, tenant, *, minutes: int, **fields) -> Call:
    """A call ``minutes`` after BASE (negative: before)."""
    start = BASE + timedelta(minutes=minutes)
    fields.setdefault("status", "ended")
    fields.setdefault("outcome", "answered")
    fields.setdefault("duration_seconds", 60)
    fields.setdefault("cost", Decimal("0.1000"))
    call = Call(
        tenant_id=tenant.id,
        provider_call_id=str(uuid.uuid4()),
        started_at=start if fields.pop("started", True) else None,
        created_at=start,
        caller_number="+33612345678",
        **fields,
    )
    db.add(call)
    db.commit()
    db.refresh(call)
    return call


def as_role(tenant, role: str = "admin") -> Principal:
    return Principal(user_id=1, tenant_id=tenant.id, role=role)


def ids(page) -> list[int]:
    return [item.id for item in page.items]


def all_pages(db, principal, filters=None, **kwargs) -> list[int]:
    seen, cursor = [], None
    while True:
        page = list_calls(db, principal=principal, filters=filters or CallFilters(), cursor=cursor, **kwargs)
        seen += ids(page)
        if not page.has_more:
            assert page.next_cursor is None
            return seen
        cursor = page.next_cursor


@pytest.fixture()
def tenant(db):
    return make_tenant(db, timezone="Europe/Paris")


@pytest.fixture()
def other(db):
    return make_tenant(db, timezone="UTC")


def test_sorts_walk_every_row_once_in_order(db, tenant, other):
    durations = [30, 90, 90, 90, None, 10, 600, 90, 45, 0, 90, 300]
    made = [
        add_call(db, tenant, minutes=i, duration_seconds=d, cost=Decimal(d or 0) / 100 if i % 3 else None)
        for i, d in enumerate(durations)
    ]
    add_call(db, other, minutes=5)
    undated = add_call(db, tenant, minutes=100, started=False)  # never started: sorted by creation time
    made.append(undated)
    principal = as_role(tenant)

    by_date = sorted(made, key=lambda c: (c.created_at, c.id), reverse=True)
    assert all_pages(db, principal, limit=5) == [c.id for c in by_date]
    by_duration = sorted(made, key=lambda c: (c.duration_seconds or 0, c.id))
    assert all_pages(db, principal, sort="duration", direction="asc", limit=4) == [c.id for c in by_duration]
    by_duration_desc = sorted(made, key=lambda c: (c.duration_seconds or 0, c.id), reverse=True)
    assert all_pages(db, principal, sort="duration", direction="desc", limit=3) == [c.id for c in by_duration_desc]


def test_keyset_pages_are_stable_while_calls_arrive(db, tenant):
    first = [add_call(db, tenant, minutes=i) for i in range(10)]
    principal = as_role(tenant)
    page1 = list_calls(db, principal=principal, filters=CallFilters(), limit=4)
    assert ids(page1) == [c.id for c in reversed(first)][:4]

    # New calls arrive (newer than everything) and one late report lands in the middle of what is left.
    for i in range(3):
        add_call(db, tenant, minutes=50 + i)
    late = add_call(db, tenant, minutes=2, outcome="missed")

    rest = []
    cursor = page1.next_cursor
    while cursor:
        page = list_calls(db, principal=principal, filters=CallFilters(), limit=4, cursor=cursor)
        rest += ids(page)
        cursor = page.next_cursor
    expected = sorted([*first[:6], late], key=lambda c: (c.created_at, c.id), reverse=True)
    assert rest == [c.id for c in expected]
    assert not set(rest) & set(ids(page1))


def test_each_filter(db, tenant, other):
    number = make_phone_number(db, tenant=tenant)
    assistant = make_assistant(db, tenant=tenant)
    a = add_call(db, tenant, minutes=0, outcome="answered", duration_seconds=30, sentiment="positive")
    b = add_call(db, tenant, minutes=1, outcome="missed", duration_seconds=0, phone_number_id=number.id)
    c = add_call(db, tenant, minutes=2, outcome="voicemail", duration_seconds=45, assistant_id=assistant.id)
    d = add_call(db, tenant, minutes=3, action_needed=True, sentiment="negative", duration_seconds=200)
    e = add_call(db, tenant, minutes=4, action_needed=True, action_done_at=BASE, call_type="web")
    f = add_call(db, tenant, minutes=5, status="in-progress", outcome=None, duration_seconds=None)
    # 23:30 local on 9 March (Paris is UTC+1 then): belongs to the 9th, not the 10th.
    g = add_call(db, tenant, minutes=-(13 * 60 + 30))
    add_call(db, other, minutes=0, sentiment="positive", outcome="missed")
    principal = as_role(tenant, "viewer")

    def found(**query) -> set[int]:
        return set(all_pages(db, principal, filters=CallFilters.from_query(query)))

    assert found(outcome="missed,voicemail") == {b.id, c.id}
    assert found(outcome="pending") == {f.id}
    assert found(status="in-progress") == {f.id}
    assert found(min_duration="40") == {c.id, d.id, e.id, g.id}  # e and g have the default 60 s
    assert found(min_duration="1", max_duration="45") == {a.id, c.id}
    # A call not ended has no duration: no duration range holds it, not even from 0 or up to a maximum.
    assert f.id not in found(min_duration="0")
    assert found(max_duration="0") == {b.id}
    assert found(outcome="pending,missed") == {b.id, f.id}
    assert found(phone_number_id=str(number.id)) == {b.id}
    assert found(assistant_id=str(assistant.id)) == {c.id}
    assert found(sentiment="positive") == {a.id}
    assert found(action="open") == {d.id}
    assert found(action="done") == {e.id}
    assert found(call_type="web") == {e.id}
    assert found(date_from="2026-03-10") == {a.id, b.id, c.id, d.id, e.id, f.id}
    assert found(date_to="2026-03-09") == {g.id}
    assert found(date_from="2026-03-09", date_to="2026-03-09", outcome="answered") == {g.id}


def test_search_summaries_and_transcripts(db, tenant, other):
    a = add_call(db, tenant, minutes=0, summary="Wants to CANCEL Friday's booking.")
    b = add_call(db, tenant, minutes=1, transcript="User: I need to cancel please")
    add_call(db, tenant, minutes=2, summary="Asked for opening hours", transcript="AI: Hello")
    c = add_call(db, tenant, minutes=3, summary="Discount of 100% off_peak")
    add_call(db, tenant, minutes=4, summary="Discount of 1000 offpeak")
    add_call(db, other, minutes=0, summary="cancel")
    principal = as_role(tenant)

    def found(q: str) -> set[int]:
        return set(all_pages(db, principal, filters=CallFilters(q=q)))

    assert found("cancel") == {a.id, b.id}
    assert found("Cancel") == {a.id, b.id}
    assert found("100%") == {c.id}  # wildcards in the words are matched literally
    assert found("off_peak") == {c.id}
    assert found("nothing like this") == set()


def test_filters_round_trip_through_query_params(db):
    filters = CallFilters(
        date_from=date(2026, 3, 1),
        outcome=["missed", "voicemail"],
        min_duration=10,
        action="open",
        q="rdv dentiste",
    )
    query = filters.to_query()
    assert query == {
        "date_from": "2026-03-01",
        "outcome": "missed,voicemail",
        "min_duration": "10",
        "action": "open",
        "q": "rdv dentiste",
    }
    assert CallFilters.from_query(query) == filters
    # Repeated parameters (a multi-dict's lists) and unrelated keys are accepted too.
    assert CallFilters.from_query({"outcome": ["missed", "voicemail"], "sort": "cost"}).outcome == [
        "missed",
        "voicemail",
    ]
    assert CallFilters().to_query() == {}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"outcome": "eaten"}, "outcome"),
        ({"min_duration": "-1"}, "min_duration"),
        ({"min_duration": "abc"}, "min_duration"),
        ({"date_from": "2026-13-01"}, "date_from"),
        ({"date_from": "2026-03-02", "date_to": "2026-03-01"}, "date_to"),
        ({"action": "later"}, "action"),
        ({"sentiment": "furious"}, "sentiment"),
    ],
)
def test_bad_filters_are_refused_by_field(query, field):
    with pytest.raises(Invalid) as raised:
        CallFilters.from_query(query)
    assert field in raised.value.details["fields"]


def test_bad_cursor_sort_or_direction(db, tenant):
    for i in range(3):
        add_call(db, tenant, minutes=i)
    principal = as_role(tenant)
    page = list_calls(db, principal=principal, filters=CallFilters(), limit=1)
    with pytest.raises(Invalid):
        list_calls(db, principal=principal, filters=CallFilters(), sort="duration", cursor=page.next_cursor)
    with pytest.raises(Invalid):  # provider costs are not the owner's: no sort by them
        list_calls(db, principal=principal, filters=CallFilters(), sort="cost")
    for cursor in ("garbage", "eyJ4IjoxfQ", page.next_cursor[:-3]):
        with pytest.raises(Invalid):
            list_calls(db, principal=principal, filters=CallFilters(), cursor=cursor)
    with pytest.raises(Invalid):
        list_calls(db, principal=principal, filters=CallFilters(), sort="caller")
    with pytest.raises(Invalid):
        list_calls(db, principal=principal, filters=CallFilters(), direction="up")


def test_get_call_with_messages_and_words(db, tenant, other):
    call = add_call(
        db,
        tenant,
        minutes=0,
        ended_reason="customer-ended-call",
        cost_breakdown={"llm": "0.05", "voice": "0.05"},
        summary="Booked a cleaning.",
    )
    for position, (role, text) in enumerate([("assistant", "Hello"), ("user", "Hi, a cleaning please")]):
        db.add(CallMessage(tenant_id=tenant.id, call_id=call.id, position=position, role=role, text=text))
    db.commit()

    detail = get_call(db, principal=as_role(tenant, "viewer"), call_id=call.id)

    assert [m.text for m in detail.messages] == ["Hello", "Hi, a cleaning please"]
    assert "cost_breakdown" not in detail.model_dump() and "cost" not in detail.model_dump()
    assert detail.ended_reason_text == "The caller hung up."
    assert detail.ended_reason_words["fr"] == "L'appelant a raccroché."
    assert detail.outcome_text["fr"].startswith("L'assistante a parlé")
    assert detail.started_at.utcoffset() == timedelta(hours=1)  # Paris in March, before the change
    with pytest.raises(NotFound):
        get_call(db, principal=as_role(other), call_id=call.id)
    with pytest.raises(NotFound):
        get_call(db, principal=as_role(tenant), call_id=call.id + 1000)


def test_delete_only_own_calls_and_only_writers(db, tenant, other):
    mine = [add_call(db, tenant, minutes=i) for i in range(3)]
    db.add(CallMessage(tenant_id=tenant.id, call_id=mine[0].id, position=0, role="user", text="hi"))
    db.commit()
    theirs = add_call(db, other, minutes=0)

    with pytest.raises(Forbidden):
        move_to_trash(db, principal=as_role(tenant, "viewer"), call_ids=[mine[0].id])
    assert move_to_trash(db, principal=as_role(other, "user"), call_ids=[mine[0].id, mine[1].id]) == 0
    deleted = move_to_trash(db, principal=as_role(tenant, "user"), call_ids=[mine[0].id, mine[1].id, theirs.id, 99999])

    assert deleted == 2
    remaining = set(db.execute(select(Call.id)).scalars())
    assert remaining == {mine[2].id, theirs.id}
    assert db.execute(select(CallMessage.id)).first() is None


def test_mark_action_done_and_reopen(db, tenant, other):
    call = add_call(db, tenant, minutes=0, action_needed=True)
    principal = as_role(tenant, "user")

    item = mark_action_done(db, principal=principal, call_id=call.id)
    assert item.action_done_at is not None
    assert ids(list_calls(db, principal=principal, filters=CallFilters(action="open"))) == []
    item = mark_action_done(db, principal=principal, call_id=call.id, done=False)
    assert item.action_done_at is None
    with pytest.raises(NotFound):
        mark_action_done(db, principal=as_role(other), call_id=call.id)
    with pytest.raises(Forbidden):
        mark_action_done(db, principal=as_role(tenant, "viewer"), call_id=call.id)


def test_export_csv_and_json(db, tenant, other):
    made = [add_call(db, tenant, minutes=i, topics=["pricing", "hours"]) for i in range(7)]
    add_call(db, tenant, minutes=10, summary='=HYPERLINK("http://evil")', outcome="missed")
    add_call(db, other, minutes=0)
    principal = as_role(tenant, "viewer")

    text = "".join(export_calls(db, principal=principal, filters=CallFilters(outcome=["answered"]), fmt="csv"))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [int(row["id"]) for row in rows] == [c.id for c in reversed(made)]
    assert rows[0]["topics"] == "pricing; hours"
    assert rows[0]["started_at"].endswith("+01:00")
    assert (rows[0]["utc_offset"], rows[0]["timezone"]) == ("UTC+01:00", "Europe/Paris")
    assert "cost" not in rows[0] and "cost_currency" not in rows[0], "provider costs are not the owner's"
    assert rows[0]["caller_number"] == "+33612345678"  # phone numbers are not mistaken for formulas

    missed = "".join(export_calls(db, principal=principal, filters=CallFilters(outcome=["missed"]), fmt="csv"))
    assert "'=HYPERLINK" in missed

    records = json.loads("".join(export_calls(db, principal=principal, filters=CallFilters(), fmt="json")))
    assert len(records) == 8 and records[0]["outcome"] == "missed"
    empty = json.loads("".join(export_calls(db, principal=principal, filters=CallFilters(q="zzz"), fmt="json")))
    assert empty == []
    with pytest.raises(Invalid):
        export_calls(db, principal=principal, filters=CallFilters(), fmt="xlsx")


def test_export_of_ticked_rows_keeps_to_them_and_to_the_tenant(db, tenant, other):
    mine = [add_call(db, tenant, minutes=i) for i in range(5)]
    theirs = add_call(db, other, minutes=0)
    chosen = CallFilters.from_query({"ids": f"{mine[1].id},{mine[3].id},{theirs.id}"})
    assert CallFilters.from_query(chosen.to_query()) == chosen

    records = json.loads("".join(export_calls(db, principal=as_role(tenant, "viewer"), filters=chosen, fmt="json")))

    assert sorted(r["id"] for r in records) == sorted([mine[1].id, mine[3].id])
    with pytest.raises(Invalid):
        CallFilters.from_query({"ids": "1,two"})


def test_export_streams_in_batches(db, tenant, engine, monkeypatch):
    """Rows are read lazily, one bounded query per batch, never all at once."""
    monkeypatch.setattr(calls_service, "EXPORT_BATCH", 4)
    made = [add_call(db, tenant, minutes=i) for i in range(10)]
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if "FROM call" in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        chunks = export_calls(db, principal=as_role(tenant), filters=CallFilters(), fmt="json")
        assert statements == []  # nothing read before the first chunk is asked for
        records = json.loads("".join(chunks))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 3  # 4 + 4 + 2 rows
    assert all("LIMIT" in statement for statement in statements)
    assert [r["id"] for r in records] == [c.id for c in reversed(made)]


def test_export_and_list_need_an_organisation(db):
    nobody = Principal(user_id=1, tenant_id=None, role=None)
    with pytest.raises(Forbidden):
        export_calls(db, principal=nobody, filters=CallFilters())
    with pytest.raises(Forbidden):
        list_calls(db, principal=nobody, filters=CallFilters())


def test_owner_changes_tell_the_open_tabs_of_their_own_organisation(db, tenant, other, monkeypatch):
    told: list[int | None] = []
    monkeypatch.setattr("ava_app.services.live_updates.publish_calls_changed", told.append)
    call = add_call(db, tenant, minutes=0, action_needed=True)
    gone = add_call(db, tenant, minutes=1)

    mark_action_done(db, principal=as_role(tenant, "user"), call_id=call.id)
    move_to_trash(db, principal=as_role(tenant, "user"), call_ids=[gone.id])
    with pytest.raises(NotFound):
        mark_action_done(db, principal=as_role(other), call_id=call.id)

    assert told == [tenant.id, tenant.id]

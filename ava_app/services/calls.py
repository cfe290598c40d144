"""The calls list and a call's page: filter, sort, page through, open, mark follow-ups done, export (deleting a call
moves it to the trash: ``services.trash``).

Pagination is by keyset, never OFFSET: the opaque cursor carries the sort key and id of the last row shown, and the
next page is "rows strictly after (key, id)" in the chosen order. Page 500 costs what page 1 costs, and calls that
arrive between two pages cannot shift or repeat rows. Sort keys fold NULLs (``coalesce(started_at, created_at)``,
``coalesce(duration_seconds, 0)``) so both databases order alike; each has a
``(tenant_id, key, id)`` index from migration 0002, matched textually, which is why the keys below are written with
literal constants rather than bound parameters. The total shown above the list is counted up to ``COUNT_CAP``
("10,000+ calls"): counting a million rows on every page is the slow part of classic pagination. A page number in a
URL (``?page=3``) is reached by walking the keyset from the start over the index alone (``page_cursor``).

Filters stay one index range however few calls they match: each equality filter (outcome, sentiment, call type,
number, assistant) has a ``(tenant_id, column, date key, id)`` index and follow-ups done a partial one (migration 0004),
open follow-ups the partial index of 0002, and duration ranges compare the duration sort key itself. Without them a
filter that matches nothing walks the tenant's whole history in date order. A combination of filters is served by one
of its columns' indexes; when each is common but they never occur together, that still reads the rows of one.

Free-text search (``q``) matches summaries and transcripts, case-insensitively. On PostgreSQL it is an ``ILIKE`` on
``coalesce(summary, '') || ' ' || transcript``, served by the ``pg_trgm`` GIN index of migration 0002 (terms of three
characters or more use it); SQLite uses LIKE over the tenant's rows, fine for a single-process install.

Exports stream in keyset batches of ``EXPORT_BATCH`` rows read with plain Core selects: memory does not grow with the
number of calls, and no long-lived server-side cursor holds a transaction open while a slow client downloads.
"""

from __future__ import annotations

import base64
import binascii
import csv
import functools
import io
import json
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from decimal import InvalidOperation
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Integer,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlmodel import Session, col

from ava_app.models import DB_INT_MAX, Assistant, Call, CallMessage, PhoneNumber, Tenant, utcnow
from ava_app.services import live_updates, phones, presets, recordings
from ava_app.services.analytics import local_midnight, started_or_created, summary_line, tenant_place, tenant_zone
from ava_app.services.ended_reasons import OUTCOMES, ended_reason_words
from ava_app.services.errors import Invalid, NotFound
from ava_app.services.ingest.calls import STATUS_ORDER
from ava_app.services.principal import Principal

SortKey = Literal["date", "duration"]
Direction = Literal["desc", "asc"]
SORT_KEYS: dict[str, ColumnElement[Any]] = {
    "date": started_or_created,
    "duration": func.coalesce(col(Call.duration_seconds), literal_column("0")),
}
SENTIMENTS = ("positive", "neutral", "negative")
CALL_TYPES = ("inbound", "outbound", "web", "test")
MAX_PAGE = 100
# The calls list counts its matches up to here ("10,000+ calls"), so a count never reads a million rows.
COUNT_CAP = 10_000
# A page number in a URL is reached by walking the keyset from the start: bounded like the count.
MAX_PAGE_NUMBER = 500
# Data fields that hold the caller's name (take_message's own, then the presets' per industry), first found wins.
NAME_FIELDS = ("caller_name", "patient_name", "client_name", "customer_name", "guest_name", "owner_name", "name")
# take_message's own fields, which no preset declares.
MESSAGE_FIELD_LABELS = {
    "caller_name": {"en": "Caller name", "fr": "Nom de l'appelant"},
    "callback_number": {"en": "Call-back number", "fr": "Numéro de rappel"},
    "message": {"en": "Message", "fr": "Message"},
    "name": {"en": "Name", "fr": "Nom"},
}
EXPORT_BATCH = 1000
# Same text as the trigram index of migration 0002, so PostgreSQL can use it.
SEARCH_TEXT: ColumnClause[str] = literal_column("(coalesce(call.summary, '') || ' ' || call.transcript)")
LIST_FIELDS = ("status", "outcome", "sentiment", "call_type", "ids")
MAX_IDS = 500

OUTCOME_WORDS = {
    "answered": {"en": "The assistant talked with the caller.", "fr": "L'assistante a parlé avec l'appelant."},
    "missed": {
        "en": "Nobody talked with the caller (busy, no answer, or hung up first).",
        "fr": "Personne n'a parlé avec l'appelant (occupé, pas de réponse, ou raccroché avant).",
    },
    "voicemail": {"en": "The call reached a voicemail.", "fr": "L'appel est tombé sur une messagerie."},
    "forwarded": {
        "en": "The call was transferred to a person or another line.",
        "fr": "L'appel a été transféré à une personne ou à une autre ligne.",
    },
    "failed": {
        "en": "A technical or setup problem stopped the call.",
        "fr": "Un problème technique ou de configuration a interrompu l'appel.",
    },
    "other": {"en": "The call ended for another reason.", "fr": "L'appel s'est terminé pour une autre raison."},
}
NOT_ENDED_WORDS = {"en": "The call has not ended yet.", "fr": "L'appel n'est pas encore terminé."}


class CallFilters(BaseModel):
    """What the calls list is narrowed to; round-trips through URL query parameters (lists comma-separated)."""

    model_config = ConfigDict(extra="forbid")

    date_from: date | None = Field(default=None, description="First local day (tenant timezone), inclusive.")
    date_to: date | None = Field(default=None, description="Last local day (tenant timezone), inclusive.")
    status: list[str] = Field(default_factory=list)
    outcome: list[str] = Field(default_factory=list)
    call_type: list[str] = Field(default_factory=list)
    # Bounded to what the database can bind: a larger number is a field error, not a driver error.
    min_duration: int | None = Field(default=None, ge=0, le=DB_INT_MAX)
    max_duration: int | None = Field(default=None, ge=0, le=DB_INT_MAX)
    phone_number_id: int | None = Field(default=None, ge=1, le=DB_INT_MAX)
    assistant_id: int | None = Field(default=None, ge=1, le=DB_INT_MAX)
    sentiment: list[str] = Field(default_factory=list)
    action: Literal["open", "done"] | None = Field(default=None, description="open: follow-up needed and not done.")
    q: str | None = Field(default=None, max_length=100, description="Words to find in summaries and transcripts.")
    ids: list[Annotated[int, Field(ge=1, le=DB_INT_MAX)]] = Field(
        default_factory=list, max_length=MAX_IDS, description="Only these calls (e.g. the rows ticked in the list)."
    )

    @classmethod
    def from_query(cls, params: Mapping[str, Any]) -> CallFilters:
        """Filters from query parameters (a dict, or a multi-dict's items); other keys such as ``sort`` are ignored.

        Raises ``Invalid`` with one message per bad field.
        """
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            raw = params.get(name)
            if raw is None or raw == "" or raw == []:
                continue
            if name in LIST_FIELDS:
                items = raw if isinstance(raw, list) else [raw]
                values[name] = [part.strip() for item in items for part in str(item).split(",") if part.strip()]
            else:
                values[name] = raw[-1] if isinstance(raw, list) else raw
        try:
            filters = cls.model_validate(values)
        except ValidationError as exc:
            fields = {str(error["loc"][0]): error["msg"] for error in exc.errors()}
            raise Invalid("Some filters are not valid.", fields=fields) from None
        filters.check()
        return filters

    def to_query(self) -> dict[str, str]:
        """Query parameters for these filters, defaults left out (stable order, ready for a URL)."""
        query: dict[str, str] = {}
        for name, value in self.model_dump(exclude_defaults=True).items():
            if isinstance(value, list):
                query[name] = ",".join(str(item) for item in value)
            elif isinstance(value, date):
                query[name] = value.isoformat()
            else:
                query[name] = str(value)
        return query

    def check(self) -> None:
        """Raise ``Invalid`` for values outside the known sets or empty ranges."""
        fields: dict[str, str] = {}
        for name, allowed in (
            ("status", STATUS_ORDER),
            ("outcome", (*OUTCOMES, "pending")),
            ("sentiment", SENTIMENTS),
            ("call_type", CALL_TYPES),
        ):
            unknown = [value for value in getattr(self, name) if value not in allowed]
            if unknown:
                fields[name] = f"Unknown value {unknown[0]!r}; one of {', '.join(allowed)}."
        if self.date_from and self.date_to and self.date_from > self.date_to:
            fields["date_to"] = "Must not be before date_from."
        if self.min_duration is not None and self.max_duration is not None and self.min_duration > self.max_duration:
            fields["max_duration"] = "Must not be below min_duration."
        if fields:
            raise Invalid("Some filters are not valid.", fields=fields)

    def conditions(self, *, zone: ZoneInfo, dialect: str) -> list[Any]:
        """SQL conditions on ``call`` (the tenant condition is added by the caller)."""
        where: list[Any] = []
        if self.date_from:
            where.append(started_or_created >= local_midnight(self.date_from, zone))
        if self.date_to:
            where.append(started_or_created < local_midnight(self.date_to + timedelta(days=1), zone))
        if self.status:
            where.append(col(Call.status).in_(self.status))
        if self.outcome:
            known = [value for value in self.outcome if value != "pending"]
            if "pending" not in self.outcome:
                where.append(col(Call.outcome).in_(known))
            else:
                # Alone, plain IS NULL: an index range on ix_call_tenant_outcome_when like any single outcome.
                where.append(
                    or_(col(Call.outcome).in_(known), col(Call.outcome).is_(None))
                    if known
                    else col(Call.outcome).is_(None)
                )
        if self.call_type:
            where.append(col(Call.call_type).in_(self.call_type))
        if self.min_duration is not None or self.max_duration is not None:
            # On the duration sort key, so a narrow or empty range is a range of ix_call_tenant_duration; NULL
            # durations (calls not ended) stay out, as with a plain comparison.
            duration = SORT_KEYS["duration"]
            where.append(col(Call.duration_seconds).is_not(None))
            if self.min_duration is not None:
                where.append(duration >= self.min_duration)
            if self.max_duration is not None:
                where.append(duration <= self.max_duration)
        if self.phone_number_id is not None:
            where.append(col(Call.phone_number_id) == self.phone_number_id)
        if self.assistant_id is not None:
            where.append(col(Call.assistant_id) == self.assistant_id)
        if self.sentiment:
            where.append(col(Call.sentiment).in_(self.sentiment))
        if self.ids:
            where.append(col(Call.id).in_(self.ids))
        if self.action == "open":
            # "= true", not IS: the partial index's condition must appear as written for SQLite to use it.
            where.extend([col(Call.action_needed) == true(), col(Call.action_done_at).is_(None)])
        elif self.action == "done":
            where.append(col(Call.action_done_at).is_not(None))
        terms = (self.q or "").strip()
        if terms:
            pattern = "%" + terms.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            if dialect == "postgresql":
                where.append(SEARCH_TEXT.ilike(pattern, escape="\\"))
            else:
                where.append(
                    or_(col(Call.summary).like(pattern, escape="\\"), col(Call.transcript).like(pattern, escape="\\"))
                )
        return where


class CallListItem(BaseModel):
    """One row of the calls list; ``started_at`` is in the tenant's timezone (the call's start, else its creation)."""

    id: int
    started_at: datetime
    call_type: str
    caller_number: str | None
    called_number: str | None
    phone_number_id: int | None
    assistant_id: int | None
    status: str
    outcome: str | None
    ended_reason: str | None
    duration_seconds: int | None
    sentiment: str | None
    action_needed: bool
    action_done_at: datetime | None
    topics: list[str]
    summary_line: str
    caller_name: str | None = Field(default=None, description="The caller's name when the call captured it.")
    caller_display: str = Field(
        default="", description="The caller's number as the business writes it (national form in its country)."
    )
    caller_tel: str = Field(default="", description="A tel: link to call the caller back (empty when unknown).")


class CallPage(BaseModel):
    """A page of calls and the cursor for the next one (None at the end)."""

    items: list[CallListItem]
    next_cursor: str | None
    has_more: bool
    sort: str
    direction: str


class CallCount(BaseModel):
    """How many calls match the filters; ``capped`` when there are more than ``total`` (counting stopped there)."""

    total: int
    capped: bool


class CallMessageOut(BaseModel):
    """One line of the conversation."""

    position: int
    role: str
    text: str
    seconds_from_start: float


class CallDetail(CallListItem):
    """Everything about one call, for its page."""

    provider_call_id: str
    direction: str
    ended_at: datetime | None
    outcome_text: dict[str, str]
    ended_reason_text: str | None = Field(description="How the call ended, in plain English words.")
    ended_reason_words: dict[str, str] = Field(
        default_factory=dict, description="How the call ended, in plain words by language (en, fr)."
    )
    data_labels: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="A label by language (en, fr) for each of the data fields' keys."
    )
    has_recording: bool = Field(
        description="The call has a recording, played through a signed download link (never the provider's URL)."
    )
    transcript: str
    summary: str | None
    summary_source: str | None = Field(default=None, description="llm, or local for AVA's own fallback summary.")
    intent: str | None
    data_fields: dict | None
    summary_status: str
    email_status: str
    assistant_name: str | None
    phone_number: str | None
    messages: list[CallMessageOut]
    content_purged_at: datetime | None = Field(
        default=None, description="When retention deleted the call's transcript, summary and noted details."
    )
    spam: bool = Field(default=False, description="A sales pitch or robocall, marked by the summary or the owner.")


LIST_COLUMNS = (
    col(Call.id),
    col(Call.started_at),
    col(Call.created_at),
    col(Call.call_type),
    col(Call.caller_number),
    col(Call.called_number),
    col(Call.phone_number_id),
    col(Call.assistant_id),
    col(Call.status),
    col(Call.outcome),
    col(Call.ended_reason),
    col(Call.duration_seconds),
    col(Call.sentiment),
    col(Call.action_needed),
    col(Call.action_done_at),
    col(Call.topics),
    col(Call.summary),
    col(Call.intent),
    col(Call.data_fields),
)


def caller_name(data_fields: Any) -> str | None:
    """The caller's name from a call's captured data fields (take_message's ``caller_name``, a preset's
    ``patient_name``...), None when the call did not capture one."""
    if not isinstance(data_fields, dict):
        return None
    for key in NAME_FIELDS:
        value = data_fields.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:80]
    return None


def tenant_country(session: Session, *, tenant_id: int) -> str:
    """The business's country, in which its callers' numbers are written nationally."""
    return tenant_place(session, tenant_id=tenant_id)[1] or phones.DEFAULT_COUNTRY


def _item(row: Any, zone: ZoneInfo, country: str = phones.DEFAULT_COUNTRY) -> CallListItem:
    return CallListItem(
        id=row.id,
        started_at=(row.started_at or row.created_at).astimezone(zone),
        call_type=row.call_type,
        caller_number=row.caller_number,
        called_number=row.called_number,
        phone_number_id=row.phone_number_id,
        assistant_id=row.assistant_id,
        status=row.status,
        outcome=row.outcome,
        ended_reason=row.ended_reason,
        duration_seconds=row.duration_seconds,
        sentiment=row.sentiment,
        action_needed=bool(row.action_needed),
        action_done_at=row.action_done_at.astimezone(zone) if row.action_done_at else None,
        topics=[str(topic) for topic in row.topics] if isinstance(row.topics, list) else [],
        summary_line=summary_line(row.summary, row.intent),
        caller_name=caller_name(row.data_fields),
        caller_display=phones.display(row.caller_number, country),
        caller_tel=phones.tel_link(row.caller_number),
    )


# --- cursor -----------------------------------------------------------------------------------------------------


def encode_cursor(*, sort: str, direction: str, key: Any, call_id: int) -> str:
    """An opaque cursor: the sort, direction, sort key and id of the last row shown."""
    value: str | int = key.isoformat() if isinstance(key, datetime) else int(key)
    raw = json.dumps([sort, direction, value, call_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# Cursors are decoded from what the client sends: every number in one must be one the database can bind.
def _bindable(value: Any, *, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= DB_INT_MAX


def decode_cursor(cursor: str, *, sort: str, direction: str) -> tuple[Any, int]:
    """(sort key, id) from a cursor made for the same sort and direction; ``Invalid`` otherwise."""
    bad = Invalid("This page link is no longer valid; start again from the first page.", fields={"cursor": "invalid"})
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, cursor_direction, value, call_id = json.loads(raw)
        if (cursor_sort, cursor_direction) != (sort, direction) or not _bindable(call_id, low=1):
            raise bad
        if sort == "date":
            key: Any = datetime.fromisoformat(value)
            if key.tzinfo is None:
                raise bad
        else:
            key = int(value)
            if not _bindable(key, low=0):
                raise bad
        return key, call_id
    except (ValueError, TypeError, binascii.Error, InvalidOperation, json.JSONDecodeError):
        raise bad from None


# --- queries ----------------------------------------------------------------------------------------------------


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _page_query(
    *,
    tenant_id: int,
    where: list[Any],
    sort: str,
    direction: str,
    after: tuple[Any, int] | None,
    limit: int,
    columns: tuple = LIST_COLUMNS,
):
    key = SORT_KEYS[sort]
    query = select(*columns, key.label("sort_key")).where(col(Call.tenant_id) == tenant_id, *where)
    if after is not None:
        # A row comparison is one index range on (tenant_id, key, id) in both databases.
        bound = tuple_(literal(after[0], key.type), literal(after[1], Integer()))
        query = query.where(
            tuple_(key, col(Call.id)) < bound if direction == "desc" else tuple_(key, col(Call.id)) > bound
        )
    order = (key.desc(), col(Call.id).desc()) if direction == "desc" else (key.asc(), col(Call.id).asc())
    return query.order_by(*order).limit(limit)


def _check_sort(sort: str, direction: str) -> None:
    if sort not in SORT_KEYS:
        raise Invalid(fields={"sort": "One of date, duration."})
    if direction not in ("desc", "asc"):
        raise Invalid(fields={"direction": "One of desc, asc."})


def list_calls(
    session: Session,
    *,
    principal: Principal,
    filters: CallFilters,
    sort: str = "date",
    direction: str = "desc",
    cursor: str | None = None,
    limit: int = 20,
) -> CallPage:
    """One page of the caller's tenant's calls matching ``filters``, after ``cursor`` (from the previous page)."""
    tenant_id = principal.require_member()
    _check_sort(sort, direction)
    filters.check()
    limit = max(1, min(int(limit), MAX_PAGE))
    after = decode_cursor(cursor, sort=sort, direction=direction) if cursor else None
    zone = tenant_zone(session, tenant_id=tenant_id)
    where = filters.conditions(zone=zone, dialect=_dialect(session))
    query = _page_query(tenant_id=tenant_id, where=where, sort=sort, direction=direction, after=after, limit=limit + 1)
    rows = session.execute(query).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if has_more:
        last = rows[-1]
        next_cursor = encode_cursor(sort=sort, direction=direction, key=last.sort_key, call_id=last.id)
    country = tenant_country(session, tenant_id=tenant_id)
    return CallPage(
        items=[_item(row, zone, country) for row in rows],
        next_cursor=next_cursor,
        has_more=has_more,
        sort=sort,
        direction=direction,
    )


def count_calls(session: Session, *, principal: Principal, filters: CallFilters, cap: int = COUNT_CAP) -> CallCount:
    """How many of the caller's tenant's calls match ``filters``, counted up to ``cap`` (then ``capped``).

    The count reads the same index range as the list, at most ``cap + 1`` rows of it.
    """
    tenant_id = principal.require_member()
    filters.check()
    zone = tenant_zone(session, tenant_id=tenant_id)
    where = filters.conditions(zone=zone, dialect=_dialect(session))
    matching = select(col(Call.id)).where(col(Call.tenant_id) == tenant_id, *where).limit(cap + 1).subquery()
    total = int(session.execute(select(func.count()).select_from(matching)).scalar_one())
    return CallCount(total=min(total, cap), capped=total > cap)


def page_cursor(
    session: Session,
    *,
    principal: Principal,
    filters: CallFilters,
    sort: str = "date",
    direction: str = "desc",
    page: int,
    limit: int = 20,
) -> list[str]:
    """The cursors of pages 1 to ``page`` (``""`` for the first), for a page number read from a URL.

    Walks the keyset from the start reading only the sort key and id; a page past the end stops at the last page
    that has calls, so the list returned may be shorter than ``page``.
    """
    tenant_id = principal.require_member()
    _check_sort(sort, direction)
    filters.check()
    limit = max(1, min(int(limit), MAX_PAGE))
    page = max(1, min(int(page), MAX_PAGE_NUMBER))
    zone = tenant_zone(session, tenant_id=tenant_id)
    where = filters.conditions(zone=zone, dialect=_dialect(session))
    cursors = [""]
    after: tuple[Any, int] | None = None
    while len(cursors) < page:
        query = _page_query(
            tenant_id=tenant_id,
            where=where,
            sort=sort,
            direction=direction,
            after=after,
            limit=limit + 1,
            columns=(col(Call.id),),
        )
        rows = session.execute(query).all()
        if len(rows) <= limit:
            break  # this page is the last one
        last = rows[limit - 1]
        after = (last.sort_key, last.id)
        cursors.append(encode_cursor(sort=sort, direction=direction, key=last.sort_key, call_id=last.id))
    return cursors


def assistant_names(session: Session, *, principal: Principal) -> dict[int, str]:
    """The organisation's assistants by id, for the list's assistant column and filter (at most 100)."""
    tenant_id = principal.require_member()
    rows = session.execute(
        select(col(Assistant.id), col(Assistant.name))
        .where(col(Assistant.tenant_id) == tenant_id)
        .order_by(col(Assistant.id))
        .limit(100)
    )
    return {row.id: row.name for row in rows}


def _owned_call(session: Session, *, tenant_id: int, call_id: int) -> Call:
    call = session.execute(
        select(Call).where(col(Call.id) == call_id, col(Call.tenant_id) == tenant_id)
    ).scalar_one_or_none()
    if call is None:
        # Another tenant's call and a missing one look the same.
        raise NotFound("This call does not exist.", code="call_not_found")
    return call


def get_call(session: Session, *, principal: Principal, call_id: int) -> CallDetail:
    """One call of the caller's tenant with its conversation; ``NotFound`` for anyone else's."""
    tenant_id = principal.require_member()
    call = _owned_call(session, tenant_id=tenant_id, call_id=call_id)
    zone = tenant_zone(session, tenant_id=tenant_id)
    messages = session.execute(
        select(
            col(CallMessage.position), col(CallMessage.role), col(CallMessage.text), col(CallMessage.seconds_from_start)
        )
        .where(col(CallMessage.call_id) == call.id, col(CallMessage.tenant_id) == tenant_id)
        .order_by(col(CallMessage.position))
    ).all()
    assistant_name = (
        session.execute(
            select(col(Assistant.name)).where(
                col(Assistant.id) == call.assistant_id, col(Assistant.tenant_id) == tenant_id
            )
        ).scalar_one_or_none()
        if call.assistant_id
        else None
    )
    phone_number = (
        session.execute(
            select(col(PhoneNumber.e164)).where(
                col(PhoneNumber.id) == call.phone_number_id, col(PhoneNumber.tenant_id) == tenant_id
            )
        ).scalar_one_or_none()
        if call.phone_number_id
        else None
    )
    item = _item(call, zone, tenant_country(session, tenant_id=tenant_id))
    industry = session.execute(select(col(Tenant.industry)).where(col(Tenant.id) == tenant_id)).scalar_one_or_none()
    assistant_fields = (
        session.execute(
            select(col(Assistant.data_fields)).where(
                col(Assistant.id) == call.assistant_id, col(Assistant.tenant_id) == tenant_id
            )
        ).scalar_one_or_none()
        if call.assistant_id
        else None
    )
    reason_words = ended_reason_words(call.ended_reason)
    return CallDetail(
        **item.model_dump(),
        provider_call_id=call.provider_call_id,
        direction=call.direction,
        ended_at=call.ended_at.astimezone(zone) if call.ended_at else None,
        outcome_text=OUTCOME_WORDS.get(call.outcome or "", NOT_ENDED_WORDS),
        ended_reason_text=reason_words.get("en"),
        ended_reason_words=reason_words,
        data_labels=data_field_labels(
            list((call.data_fields or {}).keys()), industry=industry, assistant_fields=assistant_fields
        ),
        has_recording=recordings.is_playable(
            session, tenant_id=tenant_id, call_id=call_id, recording_url=call.recording_url
        ),
        transcript=call.transcript,
        summary=call.summary,
        summary_source=call.summary_source,
        intent=call.intent,
        data_fields=call.data_fields,
        summary_status=call.summary_status,
        email_status=call.email_status,
        assistant_name=assistant_name,
        phone_number=phone_number,
        messages=[CallMessageOut(**row._mapping) for row in messages],
        content_purged_at=call.content_purged_at,
        spam=call.spam,
    )


@functools.lru_cache(maxsize=64)
def _preset_labels(industry: str | None) -> dict[str, dict[str, str]]:
    """Data-field labels (en, fr) of every preset, the business's own industry winning where keys are shared.

    The presets are fixed at start-up, so this is kept per industry (it built 22 presets, some 500 models, for every
    call page: 2 ms of CPU); the caller copies what it takes and never changes the answer."""
    order = [entry.key for entry in presets.list_industries()]
    if industry in order:
        order = [key for key in order if key != industry] + [industry]  # last written wins
    labels: dict[str, dict[str, str]] = {}
    for key in order:
        english = presets.get_preset(key, "en").data_fields
        french = {field.key: field.label for field in presets.get_preset(key, "fr").data_fields}
        for field in english:
            labels[field.key] = {"en": field.label, "fr": french.get(field.key, field.label)}
    return labels


def data_field_labels(
    keys: list[str], *, industry: str | None = None, assistant_fields: Any = None
) -> dict[str, dict[str, str]]:
    """An English and a French label for each captured field key: take_message's own fields, then the presets'
    (the business's industry first), then the label the owner gave the field on the assistant, else the key as
    words ("preferred_slot" -> "Preferred slot")."""
    known = {**_preset_labels(industry), **MESSAGE_FIELD_LABELS}
    own: dict[str, str] = {}
    for field in assistant_fields if isinstance(assistant_fields, list) else []:
        if isinstance(field, dict) and field.get("key") and field.get("label"):
            own[str(field["key"])] = str(field["label"])[:80]
    labels: dict[str, dict[str, str]] = {}
    for key in keys:
        if key in known:
            labels[key] = dict(known[key])
        else:
            words = own.get(key) or str(key).replace("_", " ").strip().capitalize()
            labels[key] = {"en": words, "fr": words}
    return labels


def mark_action_done(session: Session, *, principal: Principal, call_id: int, done: bool = True) -> CallListItem:
    """Mark a call's follow-up as done (or open again with ``done=False``); writers only, own tenant only."""
    tenant_id = principal.require_writer()
    result = session.exec(
        update(Call)
        .where(col(Call.id) == call_id, col(Call.tenant_id) == tenant_id)
        .values(action_done_at=utcnow() if done else None, updated_at=utcnow())
    )
    if not result.rowcount:
        session.rollback()
        raise NotFound("This call does not exist.", code="call_not_found")
    session.commit()
    live_updates.publish_calls_changed(tenant_id)
    row = session.execute(select(*LIST_COLUMNS).where(col(Call.id) == call_id, col(Call.tenant_id) == tenant_id)).one()
    return _item(row, tenant_zone(session, tenant_id=tenant_id), tenant_country(session, tenant_id=tenant_id))


# --- export -----------------------------------------------------------------------------------------------------

# ``started_at`` is the business's local time with its offset ("2026-12-04T16:23:00+01:00"); ``utc_offset`` and
# ``timezone`` repeat them in columns of their own for spreadsheets, which drop the offset when they read a date.
# No provider cost: what the providers charge AVA is not the owner's cost (the Usage page shows theirs).
EXPORT_FIELDS = (
    "id",
    "started_at",
    "utc_offset",
    "timezone",
    "call_type",
    "caller_number",
    "called_number",
    "status",
    "outcome",
    "ended_reason",
    "duration_seconds",
    "sentiment",
    "action_needed",
    "action_done_at",
    "topics",
    "intent",
    "summary",
)
# Spreadsheets run cells starting with these as formulas (CSV injection): caller-supplied text gets a leading quote.
FORMULA_START = frozenset("=+-@\t\r")


def export_calls(session: Session, *, principal: Principal, filters: CallFilters, fmt: str = "csv") -> Iterator[str]:
    """The caller's tenant's calls matching ``filters``, newest first, as CSV or JSON text chunks.

    Permissions and filters are checked now; rows are read lazily in keyset batches as the iterator is consumed.
    Transcripts are not included (open a call for its conversation).
    """
    tenant_id = principal.require_member()
    if fmt not in ("csv", "json"):
        raise Invalid(fields={"format": "One of csv, json."})
    filters.check()
    zone = tenant_zone(session, tenant_id=tenant_id)
    where = filters.conditions(zone=zone, dialect=_dialect(session))
    records = _export_records(session, tenant_id=tenant_id, where=where, zone=zone)
    return _csv_chunks(records) if fmt == "csv" else _json_chunks(records)


def _export_records(session: Session, *, tenant_id: int, where: list[Any], zone: ZoneInfo) -> Iterator[dict]:
    after: tuple[Any, int] | None = None
    while True:
        query = _page_query(
            tenant_id=tenant_id,
            where=where,
            sort="date",
            direction="desc",
            after=after,
            limit=EXPORT_BATCH,
        )
        # Core rows on the session's connection: the ORM result layer adds nothing here and costs a third of the time.
        rows = session.connection().execute(query).all()
        for row in rows:
            started = (row.started_at or row.created_at).astimezone(zone)
            yield {
                "id": row.id,
                "started_at": started.isoformat(),
                "utc_offset": _offset_text(started),
                "timezone": zone.key,
                "call_type": row.call_type,
                "caller_number": row.caller_number,
                "called_number": row.called_number,
                "status": row.status,
                "outcome": row.outcome,
                "ended_reason": row.ended_reason,
                "duration_seconds": row.duration_seconds,
                "sentiment": row.sentiment,
                "action_needed": bool(row.action_needed),
                "action_done_at": row.action_done_at.astimezone(zone).isoformat() if row.action_done_at else None,
                "topics": [str(topic) for topic in row.topics] if isinstance(row.topics, list) else [],
                "intent": row.intent,
                "summary": row.summary,
            }
        if len(rows) < EXPORT_BATCH:
            return
        after = (rows[-1].sort_key, rows[-1].id)
        # Let go of the batch's identity map entries and snapshot before the next one.
        session.expire_all()


def _offset_text(moment: datetime) -> str:
    """``UTC+01:00``, ``UTC-04:00``, ``UTC+05:30`` (a bare "+01:00" would be a formula to a spreadsheet)."""
    minutes = int((moment.utcoffset() or timedelta(0)).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if value is True or value is False:
        return "yes" if value else "no"
    if isinstance(value, list):
        value = "; ".join(value)
    text = str(value)
    if text[:1] in FORMULA_START and not text.lstrip("+").isdigit():
        return "'" + text
    return text


def _csv_chunks(records: Iterator[dict], rows_per_chunk: int = 200) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_FIELDS)
    for count, record in enumerate(records, start=1):
        writer.writerow([_cell(record[name]) for name in EXPORT_FIELDS])
        if count % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _json_chunks(records: Iterator[dict], rows_per_chunk: int = 200) -> Iterator[str]:
    parts = ["["]
    for count, record in enumerate(records):
        parts.append(("," if count else "") + "\n" + json.dumps(record, ensure_ascii=False))
        if len(parts) >= rows_per_chunk:
            yield "".join(parts)
            parts = []
    parts.append("\n]\n")
    yield "".join(parts)

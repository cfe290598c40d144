"""AVA's tables. Every tenant-owned table carries an indexed ``tenant_id``.

Times are timezone-aware UTC (``utcnow()``); SQLModel stores them as UTC on both SQLite and PostgreSQL.
Money is ``Decimal`` (``Numeric(12, 4)``: provider costs are fractions of a cent).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Numeric, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

ROLES = ("admin", "user", "viewer")
NOTIFY_MODES = ("every", "action", "digest", "never")


def utcnow() -> datetime:
    """Current time, timezone-aware UTC (the convention for every timestamp)."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands datetimes back naive; they were stored as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _json(default: Any = None, nullable: bool = True) -> Any:
    factory = (lambda: type(default)()) if default is not None else None
    if factory is None:
        return Field(default=None, sa_column=Column(JSON, nullable=nullable))
    return Field(default_factory=factory, sa_column=Column(JSON, nullable=nullable))


# --- organisations and people -------------------------------------------------------------------------------


class Tenant(SQLModel, table=True):
    """An organisation: one business using AVA."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    industry: str | None = Field(default=None, max_length=40)
    # The business's language, IANA timezone, ISO 3166 country and ISO 4217 currency (``services.regional``):
    # taken from the owner's browser at signup, confirmed in onboarding, edited in settings.
    locale: str = Field(default="en", max_length=8)
    timezone: str = Field(default="UTC", max_length=64)
    country: str = Field(default="US", max_length=2)
    currency: str = Field(default="USD", max_length=3)
    # Set when the owner says callers dial the AVA number itself (printed, on the website) rather than a forwarded
    # line: the setup checklist then counts "how calls reach AVA" as done without a confirmed forwarding.
    gives_out_ava_number_at: datetime | None = None
    plan: str = Field(default="trial", max_length=20)
    onboarding_step: int = 1
    onboarding_completed_at: datetime | None = None
    # Before revision 0010 the hash of a secret derived from AVA_SECRET_KEY; 0010 moved it to WebhookSecret.
    webhook_secret_hash: str | None = Field(default=None, max_length=128)
    is_demo: bool = False
    # Personal data taken out of what callers say before it is stored or sent (``services.redaction``). None follows
    # the business's kind: on for clinics and law firms, off for the others, until an admin chooses.
    redact_pii: bool | None = None
    redact_emails: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    redact_other_phones: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    redact_birth_dates: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    # Text a caller back after a missed call, and after any call outside business hours (``services.text_back``).
    text_back_missed: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    text_back_after_hours: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    # Retention (``services.retention``): days after a call ends before its recording, or its transcript and summary,
    # are deleted (None: kept until the call is deleted); raw provider messages are kept at most 30 days.
    retain_recordings_days: int | None = None
    retain_transcripts_days: int | None = None
    retain_payloads_days: int = Field(default=30, sa_column_kwargs={"server_default": text("30")})
    # Days a call deleted by hand stays restorable (``DeletedCall``) before it is purged everywhere.
    deleted_calls_grace_days: int = Field(default=7, sa_column_kwargs={"server_default": text("7")})
    # Junk calls (``services.call_blocking``): refuse callers whose number is withheld, as the owner chose.
    block_withheld: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    # Set when an admin asked to delete the organisation: it is deleted then (``services.organisation_deletion``).
    deletion_due_at: datetime | None = None
    # Set by the platform's operators (``services.operators``): calls are answered "paused" and the owner is told why.
    suspended_at: datetime | None = None
    suspended_reason: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    """A person who logs in; belongs to tenants through Membership."""

    # A confirmed mobile number belongs to one account; unconfirmed ones (older rows) may repeat and count for nothing.
    __table_args__ = (
        Index(
            "uq_user_verified_phone",
            "phone",
            unique=True,
            sqlite_where=text("phone_verified_at IS NOT NULL"),
            postgresql_where=text("phone_verified_at IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(default="", max_length=120)
    password_hash: str | None = Field(default=None, max_length=255)
    phone: str | None = Field(default=None, max_length=20)
    # Set when the owner typed the code texted to ``phone``; SMS login codes go only to confirmed numbers.
    phone_verified_at: datetime | None = None
    locale: str = Field(default="en", max_length=8)
    email_verified_at: datetime | None = None
    is_active: bool = True
    # Operates the whole deployment (dead letters, tenants); granted from the command line only (ava_app.manage).
    is_platform_admin: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    created_at: datetime = Field(default_factory=utcnow)


class Membership(SQLModel, table=True):
    """A user's role in one tenant, and how they want to hear about calls."""

    __table_args__ = (UniqueConstraint("user_id", "tenant_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    role: str = Field(default="user", max_length=10)
    notify_mode: str = Field(default="every", max_length=10)
    # The daily digest, chosen apart from the per-call email (``notify_mode == "digest"`` is the older way of
    # asking for it, still honoured); when the member last saved the notifications page; when they dismissed the
    # dashboard's setup checklist.
    notify_digest: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    notify_chosen_at: datetime | None = None
    setup_dismissed_at: datetime | None = None
    # A text to the member's confirmed mobile per call: "never", "action" (calls needing action) or "every"; none
    # between ``quiet_from`` and ``quiet_until`` ("22:00", "07:00", the business's time; None: no quiet hours).
    notify_sms: str = Field(default="never", max_length=10)
    quiet_from: str | None = Field(default=None, max_length=5)
    quiet_until: str | None = Field(default=None, max_length=5)
    created_at: datetime = Field(default_factory=utcnow)


# --- authentication -----------------------------------------------------------------------------------------


class AuthSession(SQLModel, table=True):
    """One logged-in device: a refresh-token family. Revoking it ends every token of the family."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    tenant_id: int | None = Field(default=None, foreign_key="tenant.id", index=True, ondelete="SET NULL")
    user_agent: str = Field(default="", max_length=300)
    ip: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None
    # The browser's httpOnly session cookie (stored hashed); set once, when the login's cookie grant is redeemed.
    browser_token_hash: str | None = Field(default=None, max_length=128, unique=True)


class RefreshToken(SQLModel, table=True):
    """A refresh token (stored hashed). Presenting one that was already used revokes its session."""

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="authsession.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=128, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class OneTimeToken(SQLModel, table=True):
    """Magic link, email verification, password reset or SMS code; stored hashed, single use, expiring."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True, ondelete="CASCADE")
    purpose: str = Field(max_length=20)
    token_hash: str = Field(max_length=128, unique=True)
    destination: str = Field(default="", max_length=254)
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class Invite(SQLModel, table=True):
    """An invitation to join a tenant with a role (token stored hashed, 7 days)."""

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    email: str = Field(max_length=254)
    role: str = Field(default="user", max_length=10)
    token_hash: str = Field(max_length=128, unique=True)
    invited_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    accepted_at: datetime | None = None
    revoked_at: datetime | None = None


class ApiKey(SQLModel, table=True):
    """A key for the public REST API; only its hash and a short display prefix are kept."""

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=80)
    prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=128, unique=True)
    role: str = Field(default="user", max_length=10)
    # What the key may call (``services.api_keys.SCOPES``); a route needing another scope answers 403.
    scopes: list = _json([], nullable=False)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    # None: the key never expires; after this moment it answers 401.
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


class AuditLog(SQLModel, table=True):
    """Who did what, for admins (signup, logins, role changes, revocations...)."""

    __table_args__ = (Index("ix_auditlog_tenant_created", "tenant_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int | None = Field(default=None, foreign_key="tenant.id", index=True, ondelete="CASCADE")
    user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    action: str = Field(max_length=40)
    detail: dict | None = _json()
    ip: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


# --- the receptionist ---------------------------------------------------------------------------------------


class Assistant(SQLModel, table=True):
    """The AvaProfile: how the AI receptionist of a tenant speaks and what it knows."""

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    name: str = Field(default="Ava", max_length=80)
    industry: str | None = Field(default=None, max_length=40)
    persona: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    voice_provider: str = Field(default="vapi", max_length=20)
    voice_id: str = Field(default="Elliot", max_length=80)
    language: str = Field(default="en", max_length=8)
    tone: str = Field(default="professional", max_length=20)
    first_message: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    system_prompt: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    conversation_rules: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    knowledge_base: list = _json([], nullable=False)
    # Address and access, services with price and duration, what to do for bookings (services/knowledge.py).
    business_profile: dict = _json({}, nullable=False)
    data_fields: list = _json([], nullable=False)
    enabled_integrations: list = _json([], nullable=False)
    end_call_message: str = Field(default="", max_length=500)
    voicemail_message: str = Field(default="", max_length=500)
    max_duration_seconds: int = 600
    summary_recipients: list = _json([], nullable=False)
    provider_assistant_id: str | None = Field(default=None, max_length=64, index=True)
    status: str = Field(default="draft", max_length=20)
    sync_status: str = Field(default="pending", max_length=20)
    sync_error: str | None = Field(default=None, max_length=500)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class AssistantVersion(SQLModel, table=True):
    """A saved snapshot of an assistant, for history and restore."""

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    assistant_id: int = Field(foreign_key="assistant.id", index=True, ondelete="CASCADE")
    version: int
    snapshot: dict = _json({}, nullable=False)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


class PhoneNumber(SQLModel, table=True):
    """A number that rings AVA: bought or imported, routed to an assistant, with business hours."""

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    e164: str = Field(max_length=20, index=True)
    label: str = Field(default="", max_length=80)
    provider: str = Field(default="vapi", max_length=10)
    provider_number_id: str | None = Field(default=None, max_length=64, index=True)
    twilio_sid: str | None = Field(default=None, max_length=40)
    twilio_account_sid: str | None = Field(default=None, max_length=40)
    country: str = Field(default="US", max_length=2)
    monthly_price: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 4)))
    status: str = Field(default="active", max_length=20)
    assistant_id: int | None = Field(default=None, foreign_key="assistant.id", ondelete="SET NULL")
    business_hours: dict = _json({}, nullable=False)
    holidays: list = _json([], nullable=False)
    after_hours_action: str = Field(default="voicemail", max_length=20)
    forwarding_number: str | None = Field(default=None, max_length=20)
    voicemail_message: str = Field(default="", max_length=500)
    # The business's existing line, forwarded to this number ("how calls reach AVA"), and when a call forwarded
    # from it was first seen, which confirms the forwarding works.
    forwarded_from: str | None = Field(default=None, max_length=20)
    forwarding_confirmed_at: datetime | None = None
    # The end of the check the owner started ("I am calling my usual number now"): only a forwarded call before it
    # confirms the forwarding, once; None when no check is open.
    forwarding_check_until: datetime | None = None
    sync_status: str = Field(default="synced", max_length=20)
    sync_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    released_at: datetime | None = None


# --- calls --------------------------------------------------------------------------------------------------


class Call(SQLModel, table=True):
    """One phone, web or test call, keyed by the provider's call id."""

    __table_args__ = (
        Index("ix_call_tenant_started", "tenant_id", "started_at", "id"),
        Index("ix_call_tenant_status", "tenant_id", "status"),
        # Keyset pagination keys of the calls list (migration 0002); NULLs folded so both databases order alike.
        Index("ix_call_tenant_when", "tenant_id", text("coalesce(started_at, created_at)"), "id"),
        Index("ix_call_tenant_duration", "tenant_id", text("coalesce(duration_seconds, 0)"), "id"),
        Index(
            "ix_call_tenant_action_open",
            "tenant_id",
            text("coalesce(started_at, created_at)"),
            "id",
            sqlite_where=text("action_needed = 1 AND action_done_at IS NULL"),
            postgresql_where=text("action_needed AND action_done_at IS NULL"),
        ),
        # The calls list's equality filters, each in date order, so a filter few calls match is still one index
        # range read (migration 0004).
        Index("ix_call_tenant_outcome_when", "tenant_id", "outcome", text("coalesce(started_at, created_at)"), "id"),
        Index(
            "ix_call_tenant_sentiment_when", "tenant_id", "sentiment", text("coalesce(started_at, created_at)"), "id"
        ),
        Index("ix_call_tenant_type_when", "tenant_id", "call_type", text("coalesce(started_at, created_at)"), "id"),
        Index(
            "ix_call_tenant_number_when", "tenant_id", "phone_number_id", text("coalesce(started_at, created_at)"), "id"
        ),
        Index(
            "ix_call_tenant_assistant_when", "tenant_id", "assistant_id", text("coalesce(started_at, created_at)"), "id"
        ),
        # The few calls marked spam, by caller: text-back skips a robocall's number (``services.text_back``).
        Index(
            "ix_call_tenant_spam_caller",
            "tenant_id",
            "caller_number",
            sqlite_where=text("spam = 1"),
            postgresql_where=text("spam"),
        ),
        Index(
            "ix_call_tenant_action_done",
            "tenant_id",
            text("coalesce(started_at, created_at)"),
            "id",
            sqlite_where=text("action_done_at IS NOT NULL"),
            postgresql_where=text("action_done_at IS NOT NULL"),
        ),
        # Free-text search with ILIKE on PostgreSQL only (pg_trgm); SQLite scans the tenant's rows with LIKE.
        Index(
            "ix_call_search_trgm",
            text("(coalesce(summary, '') || ' ' || transcript) gin_trgm_ops"),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    provider_call_id: str = Field(max_length=64, unique=True)
    assistant_id: int | None = Field(default=None, foreign_key="assistant.id", ondelete="SET NULL")
    phone_number_id: int | None = Field(default=None, foreign_key="phonenumber.id", ondelete="SET NULL")
    call_type: str = Field(default="inbound", max_length=10)
    direction: str = Field(default="inbound", max_length=10)
    caller_number: str | None = Field(default=None, max_length=20)
    called_number: str | None = Field(default=None, max_length=20)
    status: str = Field(default="queued", max_length=20)
    outcome: str | None = Field(default=None, max_length=20)
    ended_reason: str | None = Field(default=None, max_length=120)
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_seconds: int | None = None
    cost: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 4)))
    cost_breakdown: dict | None = _json()
    recording_url: str | None = Field(default=None, max_length=1000)
    transcript: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    summary: str | None = Field(default=None, sa_column=Column(Text))
    summary_source: str | None = Field(default=None, max_length=10)
    intent: str | None = Field(default=None, max_length=200)
    action_needed: bool = False
    action_done_at: datetime | None = None
    topics: list = _json([], nullable=False)
    sentiment: str | None = Field(default=None, max_length=10)
    data_fields: dict | None = _json()
    provider_analysis: dict | None = _json()
    summary_status: str = Field(default="pending", max_length=10)
    email_status: str = Field(default="pending", max_length=10)
    # Set when retention deleted the call's transcript, summary and captured details (the call itself stays counted).
    content_purged_at: datetime | None = None
    # A number the caller proved on this call with a code texted to it (to change a booking made from it), and when.
    proven_phone: str | None = Field(default=None, max_length=20)
    proven_phone_at: datetime | None = None
    # Junk calls (``services.spam``): a sales pitch or robocall, marked by the summary's rule or by the owner
    # (``spam_source`` "summary" or "owner"; the owner's choice is never overridden). Never billable.
    spam: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    spam_source: str | None = Field(default=None, max_length=10)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class CallRollup(SQLModel, table=True):
    """Non-test calls per tenant, 15-minute UTC slot and outcome; kept exact by triggers on ``call`` (migration 0002).

    ``bucket`` is the slot's start in epoch seconds. Every UTC offset in use is a multiple of 15 minutes, so a local
    day or hour of any tenant is a whole number of slots; ``outcome`` is ``pending`` until the call has one.
    """

    tenant_id: int = Field(foreign_key="tenant.id", primary_key=True, ondelete="CASCADE")
    bucket: int = Field(primary_key=True, sa_type=BigInteger)
    outcome: str = Field(primary_key=True, max_length=20)
    calls: int = 0
    timed_calls: int = 0
    duration_total: int = Field(default=0, sa_type=BigInteger)
    cost_total: Decimal = Field(default=Decimal(0), sa_column=Column(Numeric(16, 4), nullable=False))


class CallTopicRollup(SQLModel, table=True):
    """Non-test calls per tenant, 15-minute UTC slot and topic; kept by the same triggers as ``CallRollup``."""

    tenant_id: int = Field(foreign_key="tenant.id", primary_key=True, ondelete="CASCADE")
    bucket: int = Field(primary_key=True, sa_type=BigInteger)
    topic: str = Field(primary_key=True, max_length=80)
    calls: int = 0


class CallMessage(SQLModel, table=True):
    """One line of a call's conversation."""

    __table_args__ = (UniqueConstraint("call_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    call_id: int = Field(foreign_key="call.id", index=True, ondelete="CASCADE")
    position: int
    role: str = Field(max_length=12)
    text: str = Field(sa_column=Column(Text, nullable=False))
    seconds_from_start: float = 0.0


DEAD_LETTER_WHERE = "error IS NOT NULL AND processed_at IS NULL"
# The largest value of an INTEGER column on PostgreSQL (ids, durations; SQLite binds up to 2**63 - 1): every integer
# taken from a request and compared with a column stays within it, or the driver fails with a 500.
DB_INT_MAX = 2**31 - 1


class WebhookEvent(SQLModel, table=True):
    """A provider event exactly as received, stored before anything else is done with it."""

    __table_args__ = (
        # Only the few dead letters are in it, so the platform admins' list never scans the whole event log.
        Index(
            "ix_webhookevent_dead_letters",
            "id",
            sqlite_where=text(DEAD_LETTER_WHERE),
            postgresql_where=text(DEAD_LETTER_WHERE),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int | None = Field(default=None, foreign_key="tenant.id", index=True, ondelete="SET NULL")
    provider: str = Field(max_length=10)
    event_type: str = Field(max_length=60)
    dedupe_key: str = Field(max_length=200, unique=True)
    provider_call_id: str | None = Field(default=None, max_length=64, index=True)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(default_factory=utcnow)
    processed_at: datetime | None = None
    error: str | None = Field(default=None, max_length=1000)
    # Applies that raised; an event with an error and no processed_at is a dead letter (platform admins retry it).
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})


class Outbox(SQLModel, table=True):
    """Every email or SMS AVA sends goes through here first (queued -> sent | failed)."""

    __table_args__ = (
        # The outbox sweep looks for queued rows only: a small partial index, whatever the number of sent ones.
        Index(
            "ix_outbox_queued",
            "id",
            sqlite_where=text("status = 'queued'"),
            postgresql_where=text("status = 'queued'"),
        ),
        # The deliveries log reads a business's newest messages first; the dashboard counts its recent failures.
        Index("ix_outbox_tenant_newest", "tenant_id", "id"),
        Index(
            "ix_outbox_tenant_failed",
            "tenant_id",
            "created_at",
            sqlite_where=text("status = 'failed'"),
            postgresql_where=text("status = 'failed'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int | None = Field(default=None, foreign_key="tenant.id", index=True, ondelete="CASCADE")
    channel: str = Field(default="email", max_length=5)
    to: str = Field(max_length=254)
    subject: str = Field(default="", max_length=300)
    body_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    body_html: str | None = Field(default=None, sa_column=Column(Text))
    dedupe_key: str | None = Field(default=None, max_length=200, unique=True)
    status: str = Field(default="queued", max_length=10)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    # Delivery bookkeeping (email service): when the next attempt is due while queued (None: at once), and the
    # worker holding the row for one attempt until ``claimed_until`` (a lease, so a killed worker's claim expires).
    next_attempt_at: datetime | None = None
    claimed_by: str | None = Field(default=None, max_length=32)
    claimed_until: datetime | None = None
    # One-time links (magic, reset, verify, invite), encrypted; the bodies hold placeholders (see messaging.outbox).
    sealed_links: str | None = Field(default=None, sa_column=Column(Text))
    # Files attached to an email: JSON ``[{"filename", "content_type", "data"}]``, data in base64 (a booking's .ics).
    attachments: str | None = Field(default=None, sa_column=Column(Text))
    # What the message is, for the deliveries log (``services.deliveries``): "summary", "digest", "alert", "text_back",
    # "booking", "reminder", "notice" (to admins), or "account" (sign-in links and the like, never listed); and the
    # call it is about, if any.
    purpose: str = Field(default="notice", max_length=12, sa_column_kwargs={"server_default": "notice"})
    call_id: int | None = Field(default=None, foreign_key="call.id", index=True, ondelete="SET NULL")


class ProviderCredential(SQLModel, table=True):
    """A tenant's own key for a provider, encrypted at rest; only a masked hint is ever shown."""

    __table_args__ = (UniqueConstraint("tenant_id", "provider"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    provider: str = Field(max_length=10)
    secret_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    hint: str = Field(default="", max_length=40)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class WebhookSecret(SQLModel, table=True):
    """A tenant's own Vapi webhook secret (``X-Vapi-Secret``), for a tenant on its own Vapi account.

    The current one has no ``expires_at``; a replaced one is still accepted until its ``expires_at`` (the grace
    period while the assistants are pushed again). Only the current one is kept encrypted, to be pushed; lookups
    are by ``secret_hash``.
    """

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    secret_hash: str = Field(max_length=64, unique=True)
    # None once replaced, and for a secret from before revision 0010 until AVA has recovered its value.
    secret_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None


class CallRecording(SQLModel, table=True):
    """AVA's own copy of a call's recording, or why there is none: one row per call, written by the copy job.

    ``status``: ``stored`` (``storage_key`` names the audio in AVA's recording store), ``failed`` (the provider could
    not be reached; tried again up to a limit) or ``refused`` (not an allowed source, or not audio: never fetched
    again). ``storage_key`` is content-addressed per tenant, so calls with the same audio share one stored file.
    """

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    call_id: int = Field(foreign_key="call.id", unique=True, ondelete="CASCADE")
    status: str = Field(max_length=10)
    storage_key: str | None = Field(default=None, max_length=200, index=True)
    content_type: str | None = Field(default=None, max_length=40)
    size_bytes: int | None = Field(default=None, sa_type=BigInteger)
    attempts: int = 0
    error: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# --- bookings -----------------------------------------------------------------------------------------------

BOOKING_STATUSES = ("booked", "cancelled")
BOOKING_SOURCES = ("assistant", "owner")
# Only live bookings hold their staff member's time; the PostgreSQL exclusion constraint and SQLite's check agree.
BOOKED_WHERE = "status = 'booked'"


class BookingSettings(SQLModel, table=True):
    """A business's booking rules (``services.bookings``): one row per tenant, created on first use.

    ``max_per_day`` caps the live bookings of one staff member on one local day (None: no cap).
    """

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", unique=True, ondelete="CASCADE")
    enabled: bool = False
    min_notice_minutes: int = 120
    horizon_days: int = 60
    granularity_minutes: int = 30
    max_per_day: int | None = None
    # Text (and email) the caller the day before their appointment.
    remind_day_before: bool = Field(default=True, sa_column_kwargs={"server_default": text("true")})
    updated_at: datetime = Field(default_factory=utcnow)


class BookingService(SQLModel, table=True):
    """Something a caller can book: its length, its price in minor units of the tenant's currency, the buffer after."""

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=120)
    duration_minutes: int = 30
    price_minor: int | None = None
    buffer_minutes: int = 0
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class BookingStaff(SQLModel, table=True):
    """A person or resource bookings are made with; ``working_hours`` has ``PhoneNumber.business_hours``'s shape
    and is kept within the business's hours (empty: the business's hours)."""

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=120)
    working_hours: dict = _json({}, nullable=False)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class BookingStaffService(SQLModel, table=True):
    """Which staff member does which service."""

    staff_id: int = Field(foreign_key="bookingstaff.id", primary_key=True, ondelete="CASCADE")
    service_id: int = Field(foreign_key="bookingservice.id", primary_key=True, index=True, ondelete="CASCADE")
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")


class Booking(SQLModel, table=True):
    """An appointment in AVA's own calendar. Times are UTC; ``busy_until`` is the end plus the service's buffer, the
    span the staff member is held for. Two live bookings of one staff member never overlap (migration 0020)."""

    __table_args__ = (
        Index("ix_booking_staff_start", "staff_id", "start_at"),
        Index("ix_booking_tenant_start", "tenant_id", "start_at"),
        Index("ix_booking_tenant_phone", "tenant_id", "caller_phone"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Indexed by ix_booking_tenant_start and ix_booking_tenant_phone, which both lead with it.
    tenant_id: int = Field(foreign_key="tenant.id", ondelete="CASCADE")
    service_id: int = Field(foreign_key="bookingservice.id")
    staff_id: int = Field(foreign_key="bookingstaff.id")
    start_at: datetime
    end_at: datetime
    busy_until: datetime
    caller_name: str = Field(default="", max_length=120)
    caller_phone: str | None = Field(default=None, max_length=20)
    # Where the caller asked for their confirmation (an .ics attached); None: texts only.
    caller_email: str | None = Field(default=None, max_length=254)
    notes: str = Field(default="", max_length=1000)
    # The service's price when booked, in minor units of the tenant's currency (the value of bookings made by AVA).
    price_minor: int | None = None
    status: str = Field(default="booked", max_length=10)
    source: str = Field(default="assistant", max_length=10)
    call_id: int | None = Field(default=None, foreign_key="call.id", index=True, ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    cancelled_at: datetime | None = None
    # When its time last changed (moved by the caller, the assistant or the owner); None: still at the booked time.
    moved_at: datetime | None = None
    # When the day-before reminder went (or was claimed by a worker); None: not yet.
    reminded_at: datetime | None = None


class CalendarConnection(SQLModel, table=True):
    """An organisation's Google or Microsoft 365 calendar, connected through OAuth (one per provider).

    Only the refresh token is kept for good, encrypted like the provider credentials; the short-lived access token
    is cached encrypted beside it with its expiry. ``status`` is ``connected`` or ``broken`` (the grant was revoked
    or expired: the admins were told, and bookings fall back to taking a message until someone reconnects).
    """

    __table_args__ = (UniqueConstraint("tenant_id", "provider"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    provider: str = Field(max_length=10)
    account_email: str = Field(default="", max_length=320)
    refresh_token_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    access_token_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    access_token_expires_at: datetime | None = None
    status: str = Field(default="connected", max_length=10)
    broken_reason: str | None = Field(default=None, max_length=60)
    connected_by_user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    broken_at: datetime | None = None


class CalendarOAuthState(SQLModel, table=True):
    """A calendar connection under way: the OAuth ``state`` and PKCE verifier of one admin's attempt.

    Bound to the admin's login session and organisation and to a cookie of that browser (``binding_hash``); used
    once (the callback deletes the row before anything else) and only until ``expires_at``. Only hashes of the
    state and the cookie are stored; the verifier is encrypted.
    """

    id: int | None = Field(default=None, primary_key=True)
    state_hash: str = Field(max_length=64, unique=True)
    binding_hash: str = Field(max_length=64)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    session_id: int = Field(foreign_key="authsession.id", ondelete="CASCADE")
    provider: str = Field(max_length=10)
    verifier_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class SmsOptOut(SQLModel, table=True):
    """A phone number that texted STOP to one of a tenant's numbers: AVA sends it no SMS for that tenant."""

    __table_args__ = (UniqueConstraint("tenant_id", "phone", name="uq_smsoptout_tenant_phone"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    phone: str = Field(max_length=20)
    created_at: datetime = Field(default_factory=utcnow)


class WebhookEndpoint(SQLModel, table=True):
    """An organisation's outgoing webhook endpoint (Standard Webhooks): where events go, and how they are signed.

    The ``whsec_`` secret is stored encrypted (``credentials.encrypt_text``); after a rotation the previous one keeps
    signing beside the new one until ``previous_secret_expires_at``. ``failing_since`` is the first failed attempt
    since the last success; ``lease_until`` is held by the one job delivering this endpoint's queue, in order.
    """

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=200)
    event_types: list = _json([], nullable=False)
    enabled: bool = True
    disabled_reason: str | None = Field(default=None, max_length=40)
    secret_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    previous_secret_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    previous_secret_expires_at: datetime | None = None
    failing_since: datetime | None = None
    lease_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint: the exact body signed and sent, its status and every attempt.

    ``attempts`` is a list of ``{"at", "status_code", "latency_ms", "response", "error"}``. ``dedupe_key`` makes an
    event emitted twice (a replayed provider webhook, a retried job) one delivery per endpoint.
    """

    __table_args__ = (
        UniqueConstraint("endpoint_id", "dedupe_key", name="uq_webhookdelivery_endpoint_dedupe"),
        Index("ix_webhookdelivery_endpoint_status", "endpoint_id", "status", "id"),
        Index("ix_webhookdelivery_tenant_newest", "tenant_id", "id"),
        Index(
            "ix_webhookdelivery_tenant_failed",
            "tenant_id",
            "created_at",
            sqlite_where=text("status = 'failed'"),
            postgresql_where=text("status = 'failed'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    endpoint_id: int = Field(foreign_key="webhookendpoint.id", ondelete="CASCADE")
    message_id: str = Field(max_length=40, unique=True)
    event_type: str = Field(max_length=40)
    dedupe_key: str | None = Field(default=None, max_length=120)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", max_length=10)
    attempt_count: int = 0
    next_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_latency_ms: int | None = None
    attempts: list = _json([], nullable=False)
    # The call the event is about (call.* events, message.taken, bookings made on a call), for the call's page.
    call_id: int | None = Field(default=None, foreign_key="call.id", index=True, ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class BlockedCaller(SQLModel, table=True):
    """A number (E.164) or a prefix ("+1900") a tenant refuses: its calls get a goodbye and never reach the model."""

    # The unique key is also the index of the one lookup each incoming call costs (``services.call_blocking``).
    __table_args__ = (UniqueConstraint("tenant_id", "value", name="uq_blockedcaller_tenant_value"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    value: str = Field(max_length=20)
    is_prefix: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class UserIdentity(SQLModel, table=True):
    """A Google or Microsoft account that signs in as a user (OpenID Connect ``sub`` at that provider).

    One AVA user per provider account (unique per provider and subject), and one account per provider per user.
    ``email`` is what the provider said when it was linked (shown in settings; never used to find the user).
    """

    __table_args__ = (
        UniqueConstraint("provider", "subject", name="uq_useridentity_provider_subject"),
        UniqueConstraint("user_id", "provider", name="uq_useridentity_user_provider"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    provider: str = Field(max_length=10)
    subject: str = Field(max_length=255)
    email: str = Field(default="", max_length=320)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None


class SignInAttempt(SQLModel, table=True):
    """One "Continue with Google/Microsoft" under way, bound to the browser that started it.

    Started: the hashes of the OAuth ``state``, of the ``nonce`` and of a cookie of the browser (``binding_hash``),
    the PKCE verifier (encrypted), and, to link a provider to an account, the login session asking. Once the
    provider's answer is verified, ``stage`` becomes ``verified`` with the identity it vouched for and the
    ``outcome`` the pages act on (``new``: sign up; ``confirm_link``: prove the account ``user_id`` first;
    ``signed_in``: a linked identity). Used once, and only until ``expires_at``.
    """

    id: int | None = Field(default=None, primary_key=True)
    state_hash: str = Field(max_length=64, unique=True)
    binding_hash: str = Field(max_length=64, index=True)
    nonce_hash: str = Field(max_length=64)
    provider: str = Field(max_length=10)
    intent: str = Field(max_length=10)  # login | signup | link
    stage: str = Field(default="started", max_length=10)  # started | verified
    outcome: str = Field(default="", max_length=20)
    user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="CASCADE")
    session_id: int | None = Field(default=None, foreign_key="authsession.id", ondelete="CASCADE")
    verifier_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    subject: str = Field(default="", max_length=255)
    email: str = Field(default="", max_length=320)
    email_verified: bool = False
    name: str = Field(default="", max_length=120)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class CrmConnection(SQLModel, table=True):
    """An organisation's CRM (HubSpot for now), connected through OAuth or a private-app token (one per provider).

    ``auth_kind`` is ``oauth`` (a refresh token kept encrypted, the access token cached encrypted with its expiry) or
    ``token`` (a private-app token, kept encrypted in ``access_token_encrypted``, no expiry). ``account`` names the
    CRM account (HubSpot: the portal id and domain). ``status`` is ``connected`` or ``broken`` (the token was revoked:
    the admins were told, calls are no longer synced until someone reconnects).
    """

    __table_args__ = (UniqueConstraint("tenant_id", "provider"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    provider: str = Field(max_length=20)
    auth_kind: str = Field(max_length=10)
    account: str = Field(default="", max_length=200)
    refresh_token_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    access_token_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    access_token_expires_at: datetime | None = None
    status: str = Field(default="connected", max_length=10)
    broken_reason: str | None = Field(default=None, max_length=60)
    connected_by_user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    broken_at: datetime | None = None


class CrmSyncedCall(SQLModel, table=True):
    """What one call became in one connected CRM: the remote ids, each stored as soon as it exists.

    Unique per (connection, call): a retried job finds the row and creates nothing it already created.
    ``status`` is ``pending``, ``synced`` or ``failed`` (a refusal that retrying cannot fix: ``last_error``).
    From its second attempt on, a job looks each missing record up in the CRM by AVA's reference before creating it,
    so one that died between the CRM's answer and the commit finds what it made instead of making a second one.
    """

    __table_args__ = (UniqueConstraint("connection_id", "call_id"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    connection_id: int = Field(foreign_key="crmconnection.id", ondelete="CASCADE")
    call_id: int = Field(foreign_key="call.id", index=True, ondelete="CASCADE")
    contact_id: str | None = Field(default=None, max_length=40)
    engagement_id: str | None = Field(default=None, max_length=40)
    task_id: str | None = Field(default=None, max_length=40)
    status: str = Field(default="pending", max_length=10)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=300)
    # When the job comes back after a rate limit or an outage (the deliveries log's "next try"); None otherwise.
    next_attempt_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class CrmSyncedBooking(SQLModel, table=True):
    """What one booking became in one connected CRM (a meeting on the caller's contact), unique per (connection,
    booking): a move or a cancellation updates that meeting, a retried job never makes a second one."""

    __table_args__ = (UniqueConstraint("connection_id", "booking_id"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    connection_id: int = Field(foreign_key="crmconnection.id", ondelete="CASCADE")
    booking_id: int = Field(foreign_key="booking.id", index=True, ondelete="CASCADE")
    contact_id: str | None = Field(default=None, max_length=40)
    meeting_id: str | None = Field(default=None, max_length=40)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=300)
    next_attempt_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class BillingSubscription(SQLModel, table=True):
    """A tenant's Stripe customer and subscription, as AVA last read them from Stripe (``services.billing``).

    Webhooks only say "look again": each one re-reads the subscription, so events that arrive twice or out of order
    leave the row as Stripe has it now. ``grace_until`` is set when a payment fails (full service until then).
    """

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", unique=True, index=True, ondelete="CASCADE")
    stripe_customer_id: str = Field(max_length=64, unique=True, index=True)
    stripe_subscription_id: str | None = Field(default=None, max_length=64, index=True)
    # Stripe's status: active, past_due, unpaid, canceled, incomplete...; "none" before a first subscription.
    status: str = Field(default="none", max_length=24)
    plan_code: str | None = Field(default=None, max_length=20)
    # The subscription's currency (ISO 4217, upper case): what the business is billed in once it subscribes.
    currency: str | None = Field(default=None, max_length=3)
    current_period_start: datetime | None = None
    current_period_end: datetime | None = None
    cancel_at_period_end: bool = False
    grace_until: datetime | None = None
    # When the admins were told that the grace period is about to end (once per grace period).
    grace_notice_sent_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class StripeEvent(SQLModel, table=True):
    """A Stripe webhook event AVA accepted, by Stripe's event id: a second delivery of the same id is ignored."""

    id: str = Field(primary_key=True, max_length=255)
    type: str = Field(max_length=64)
    # The customer the event is about, when it names one (for the job that applies it).
    customer_id: str | None = Field(default=None, max_length=64)
    subscription_id: str | None = Field(default=None, max_length=64)
    received_at: datetime = Field(default_factory=utcnow)
    processed_at: datetime | None = None


class MeterReport(SQLModel, table=True):
    """A call whose billable minutes were reported to Stripe's meter (once per call, identifier = the call)."""

    call_id: int = Field(primary_key=True, foreign_key="call.id", ondelete="CASCADE")
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    minutes: int
    reported_at: datetime = Field(default_factory=utcnow)


# --- usage --------------------------------------------------------------------------------------------------


class UsageAlert(SQLModel, table=True):
    """An 80 % or 95 % usage email, claimed once per business, billing period and threshold (``billing.usage``).

    The unique key is the claim: the job that inserts the row sends the email; a rerun's insert conflicts and sends
    nothing."""

    __table_args__ = (
        UniqueConstraint("tenant_id", "period_start", "threshold", name="uq_usagealert_tenant_period_threshold"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Indexed by the unique key, which leads with it.
    tenant_id: int = Field(foreign_key="tenant.id", ondelete="CASCADE")
    period_start: datetime
    threshold: int
    minutes_used: int
    created_at: datetime = Field(default_factory=utcnow)


# --- data rights ----------------------------------------------------------------------------------------------

DATA_EXPORT_KINDS = ("caller", "organisation")
DATA_EXPORT_STATUSES = ("queued", "running", "ready", "failed")


class DataExport(SQLModel, table=True):
    """A ZIP of a caller's or the whole organisation's data, built by a job (``services.data_exports``).

    ``done``/``total`` are the job's progress (the page shows it); ``file_key`` names the ZIP in AVA's private
    export folder once ``ready``; it is deleted at ``expires_at``, and the download link expires with it."""

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    requested_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    kind: str = Field(max_length=20)
    # The phone number or email of a caller export (None for the organisation's).
    subject: str | None = Field(default=None, max_length=320)
    status: str = Field(default="queued", max_length=10)
    done: int = 0
    total: int = 0
    file_key: str | None = Field(default=None, max_length=200)
    size_bytes: int | None = Field(default=None, sa_type=BigInteger)
    error: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    expires_at: datetime | None = None


class DeletedCall(SQLModel, table=True):
    """A call an owner deleted, kept restorable for the business's ``deleted_calls_grace_days`` (``services.trash``).

    ``snapshot`` holds the call's row, its conversation lines and its recording row as they were; the call itself is
    gone from ``call`` (and from every list, count and chart). At ``purge_after`` the nightly job deletes the
    snapshot, AVA's copy of the recording and the call at the provider."""

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    call_id: int = Field(index=True)  # the call's id, kept for a restore
    provider_call_id: str = Field(max_length=255)
    deleted_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    deleted_at: datetime = Field(default_factory=utcnow)
    purge_after: datetime = Field(index=True)
    snapshot: dict | None = _json()

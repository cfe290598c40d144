"""An organisation's Google or Microsoft 365 calendar: connecting it (OAuth + PKCE), using it, and when it breaks.

**Connecting** (admins, in person): ``begin_connect`` stores a one-time ``state`` and PKCE verifier bound to the
admin's login session, organisation and browser (a random cookie whose hash is kept), and returns the provider's
consent URL. The provider sends the browser back to the callback route; ``complete_connect`` deletes the attempt
before anything else (single use), checks it has not expired, that the cookie matches, that the login session is
still live and still the organisation's admin (and, when the browser shows its session cookie, that it is that
session), then trades the code for tokens and stores the refresh token encrypted (``credentials.encrypt_text``).

**Using it** (the booking tools): ``busy_intervals``, ``upsert_event`` and ``delete_event`` take the organisation
and work on every connected calendar. An access token is cached (encrypted) until it expires; a 401 refreshes it
once. When the provider refuses the refresh (``invalid_grant``: access revoked, password changed, token expired)
the connection is marked ``broken`` once, the admins get an email, and the caller gets ``CalendarBroken``: the
assistant then takes a message instead of booking. An outage (429/5xx after the retries) is ``ProviderUnavailable``
and leaves the connection as it is.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx
from sqlalchemy import update
from sqlmodel import Session, col, delete, select

from ava_app import routes
from ava_app.models import CalendarConnection, CalendarOAuthState, Tenant, as_utc, utcnow
from ava_app.services import audit
from ava_app.services.accounts import principal_for_session
from ava_app.services.async_bridge import run_coroutine_sync
from ava_app.services.credentials import CredentialUnreadable, decrypt_text, encrypt_text
from ava_app.services.errors import DomainError, Forbidden, NotFound, ProviderError
from ava_app.services.principal import Principal
from ava_app.services.providers import calendar_oauth
from ava_app.services.providers.calendar_oauth import (
    PROVIDERS,
    CalendarGrantRevoked,
    CalendarNotConfigured,
    TokenSet,
    calendar_endpoints,
)
from ava_app.services.providers.calendars import AccessTokenRejected, CalendarClient, Interval, calendar_client
from ava_app.settings import get_settings
from ava_app.task_queue import enqueue

log = logging.getLogger(__name__)

CONNECT_TTL = timedelta(minutes=10)
# Refresh an access token this long before it expires, so it does not die in the middle of a call.
TOKEN_LEEWAY = timedelta(seconds=60)
CONNECTED, BROKEN = "connected", "broken"
# Reading busy times while a caller waits: two short tries, so a slow provider costs seconds, not the call (Vapi
# waits about 20 s for a tool's answer). Jobs keep the clients' defaults (longer timeout, four tries).
DURING_CALL = {"max_attempts": 2, "backoff_initial": 0.2, "timeout": httpx.Timeout(4.0, connect=2.0)}
T = TypeVar("T")


class CalendarBroken(ProviderError):
    """The connected calendar needs to be reconnected in settings; AVA takes a message instead of booking."""

    status_code = 409
    code = "calendar_broken"


class ConnectRefused(Forbidden):
    """This calendar connection could not be completed. Start again from the settings page."""

    code = "calendar_connect_refused"


@dataclass(frozen=True)
class ConnectStart:
    """Where to send the admin's browser, and the value of the cookie that binds the attempt to that browser."""

    authorize_url: str
    binding: str


@dataclass(frozen=True)
class CalendarConnectionOut:
    """A calendar as the settings page shows it (never a token)."""

    provider: str
    available: bool
    connected: bool
    status: str  # "" (not connected), "connected" or "broken"
    account_email: str
    connected_at: datetime | None
    broken_at: datetime | None


# --- connecting -------------------------------------------------------------------------------------------


def begin_connect(session: Session, *, principal: Principal, provider: str, language: str = "en") -> ConnectStart:
    """Start connecting ``provider`` for the caller's organisation: admins logged in as a person only.

    Returns the consent URL and the binding cookie value; the attempt is kept ``CONNECT_TTL`` and works once.
    """
    user_id = principal.require_user()
    tenant_id = principal.require_admin()
    if principal.session_id is None:
        raise Forbidden("This action needs a logged-in user, not an API key.", code="user_required")
    endpoints = calendar_endpoints(provider)
    state, binding, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), calendar_oauth.new_code_verifier()
    now = utcnow()
    session.exec(delete(CalendarOAuthState).where(col(CalendarOAuthState.expires_at) < now))
    session.add(
        CalendarOAuthState(
            state_hash=_digest(state),
            binding_hash=_digest(binding),
            tenant_id=tenant_id,
            user_id=user_id,
            session_id=principal.session_id,
            provider=provider,
            verifier_encrypted=encrypt_text(verifier),
            expires_at=now + CONNECT_TTL,
        )
    )
    session.commit()
    url = calendar_oauth.authorization_url(
        endpoints,
        redirect_uri=redirect_uri(provider),
        state=state,
        code_verifier=verifier,
        language="fr" if language == "fr" else "en",
    )
    return ConnectStart(authorize_url=url, binding=binding)


def complete_connect(
    session: Session,
    *,
    provider: str,
    state: str,
    binding: str,
    code: str,
    browser_session_id: int | None = None,
) -> CalendarConnectionOut:
    """Finish a connection from the provider's callback; ``ConnectRefused`` (with a precise ``code``) otherwise.

    ``browser_session_id``: the login session of the browser's own session cookie when it sent one (same-site
    callbacks); it must be the session that started the attempt.
    """
    attempt = _claim_attempt(session, provider=provider, state=state, binding=binding)
    principal = _check_admin_still(session, attempt, browser_session_id=browser_session_id)
    endpoints = calendar_endpoints(provider)
    verifier = decrypt_text(attempt.verifier_encrypted, what="calendar")
    try:
        tokens = run_coroutine_sync(
            calendar_oauth.exchange_code(
                endpoints, code=code, code_verifier=verifier, redirect_uri=redirect_uri(provider)
            )
        )
    except CalendarGrantRevoked:
        raise ConnectRefused(
            "The provider did not accept the connection. Start again.", code="calendar_code_refused"
        ) from None
    email = run_coroutine_sync(calendar_client(endpoints, access_token=tokens.access_token).account_email())
    assert tokens.refresh_token is not None, "exchange_code refuses an answer without one"
    row = session.exec(
        select(CalendarConnection).where(
            CalendarConnection.tenant_id == attempt.tenant_id, CalendarConnection.provider == provider
        )
    ).first() or CalendarConnection(tenant_id=attempt.tenant_id, provider=provider, refresh_token_encrypted="")
    row.account_email = email[:320]
    row.refresh_token_encrypted = encrypt_text(tokens.refresh_token)
    row.access_token_encrypted = encrypt_text(tokens.access_token)
    row.access_token_expires_at = tokens.expires_at
    row.status, row.broken_reason, row.broken_at = CONNECTED, None, None
    row.connected_by_user_id = principal.user_id
    row.created_at = row.updated_at = utcnow()
    session.add(row)
    audit.record(
        session,
        action="calendar_connected",
        tenant_id=attempt.tenant_id,
        user_id=principal.user_id,
        detail={"provider": provider, "account": row.account_email},
    )
    session.commit()
    # The bookings still to come go to the calendar just connected (a job: this is the admin's browser request).
    try:
        enqueue("sync_future_bookings", attempt.tenant_id)
    except Exception:
        log.warning("tenant %s: bookings to come not queued for the new calendar", attempt.tenant_id, exc_info=True)
    return _out(provider, row)


def redirect_uri(provider: str) -> str:
    """The callback URL registered with the provider (AVA's public URL + the callback route)."""
    return get_settings().public_url + routes.calendar_callback(provider)


def list_connections(session: Session, *, principal: Principal) -> list[CalendarConnectionOut]:
    """Both providers for the settings page: offered here or not, connected or broken, with which account."""
    tenant_id = principal.require_admin()
    rows = {
        row.provider: row
        for row in session.exec(select(CalendarConnection).where(CalendarConnection.tenant_id == tenant_id)).all()
    }
    return [_out(provider, rows.get(provider)) for provider in PROVIDERS]


def disconnect(session: Session, *, principal: Principal, provider: str) -> bool:
    """Forget the organisation's ``provider`` calendar (admins in person); False when none was connected.

    The refresh token is also revoked at the provider where it has an endpoint for it (Google), best effort: the
    connection is gone from AVA whatever the provider answers.
    """
    user_id = principal.require_user()
    tenant_id = principal.require_admin()
    row = _connection(session, tenant_id=tenant_id, provider=provider)
    if row is None:
        return False
    try:
        refresh_token: str | None = decrypt_text(row.refresh_token_encrypted, what="calendar")
    except CredentialUnreadable:
        refresh_token = None
    session.delete(row)
    audit.record(
        session,
        action="calendar_disconnected",
        tenant_id=tenant_id,
        user_id=user_id,
        detail={"provider": provider, "account": row.account_email},
    )
    session.commit()
    if refresh_token:
        try:
            endpoints = calendar_endpoints(provider)
            run_coroutine_sync(calendar_oauth.revoke_token(endpoints, token=refresh_token))
        except DomainError:
            log.info("calendar token of tenant %s not revoked at %s", tenant_id, provider)
    return True


# --- using it ---------------------------------------------------------------------------------------------


def has_calendar(session: Session, *, tenant_id: int) -> bool:
    """Whether the organisation has a calendar connection (connected or broken)."""
    return (
        session.exec(select(CalendarConnection.id).where(CalendarConnection.tenant_id == tenant_id)).first() is not None
    )


def busy_intervals(
    session: Session, *, tenant_id: int, start: datetime, end: datetime, during_call: bool = False
) -> list[Interval]:
    """The busy blocks of the organisation's connected calendars in ``[start, end)``, merged, aware UTC.

    No calendar connected: ``[]``. ``CalendarBroken`` when one needs reconnecting (the booking tool then takes a
    message), ``ProviderUnavailable`` when a provider is down. ``during_call``: a caller is waiting (``DURING_CALL``).
    """
    from ava_app.services.providers.calendars import merge_intervals

    blocks: list[Interval] = []
    for row in _usable_connections(session, tenant_id=tenant_id):
        blocks += _run(
            session, row, lambda client: client.busy_intervals(start, end), options=DURING_CALL if during_call else {}
        )
    return merge_intervals(blocks)


def upsert_event(
    session: Session,
    *,
    tenant_id: int,
    booking_id: str | int,
    start: datetime,
    end: datetime,
    summary: str,
    description: str = "",
) -> dict[str, str]:
    """Write the booking to every connected calendar (created once, updated after); ``{provider: event id}``."""
    written = {}
    for row in _usable_connections(session, tenant_id=tenant_id):
        written[row.provider] = _run(
            session,
            row,
            lambda client: client.upsert_event(
                booking_id=booking_id, start=start, end=end, summary=summary, description=description
            ),
        )
    return written


def delete_event(session: Session, *, tenant_id: int, booking_id: str | int) -> dict[str, bool]:
    """Remove the booking's event from every connected calendar; ``{provider: whether there was one}``."""
    return {
        row.provider: _run(session, row, lambda client: client.delete_event(booking_id=booking_id))
        for row in _usable_connections(session, tenant_id=tenant_id)
    }


def mark_broken(session: Session, *, connection_id: int, reason: str) -> bool:
    """Mark a connection broken and email the organisation's admins, once; False when it already was."""
    now = utcnow()
    changed = session.exec(
        update(CalendarConnection)
        .where(col(CalendarConnection.id) == connection_id, col(CalendarConnection.status) == CONNECTED)
        .values(status=BROKEN, broken_reason=reason[:60], broken_at=now, updated_at=now, access_token_encrypted=None)
    )
    if changed.rowcount != 1:
        session.commit()
        return False
    row = session.get(CalendarConnection, connection_id)
    assert row is not None, "the row was just updated"
    session.refresh(row)
    audit.record(
        session, action="calendar_broken", tenant_id=row.tenant_id, detail={"provider": row.provider, "reason": reason}
    )
    session.commit()
    _email_admins(session, row)
    return True


# --- inside -----------------------------------------------------------------------------------------------


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _claim_attempt(session: Session, *, provider: str, state: str, binding: str) -> CalendarOAuthState:
    """The attempt ``state`` names, deleted in the same step (a replayed callback finds nothing)."""
    unknown = ConnectRefused("This connection link is not valid or was already used.", code="calendar_state_invalid")
    if not state or len(state) > 200:
        raise unknown
    attempt = session.exec(select(CalendarOAuthState).where(CalendarOAuthState.state_hash == _digest(state))).first()
    if attempt is None:
        raise unknown
    claimed = session.exec(delete(CalendarOAuthState).where(col(CalendarOAuthState.id) == attempt.id))
    session.commit()
    if claimed.rowcount != 1:
        raise unknown
    if as_utc(attempt.expires_at) <= utcnow():
        raise ConnectRefused("This connection took too long. Start again.", code="calendar_state_expired")
    if attempt.provider != provider:
        raise unknown
    if not binding or not secrets.compare_digest(_digest(binding), attempt.binding_hash):
        raise ConnectRefused(
            "This connection was started in another browser. Start again from the settings page.",
            code="calendar_state_other_browser",
        )
    return attempt


def _check_admin_still(session: Session, attempt: CalendarOAuthState, *, browser_session_id: int | None) -> Principal:
    """The admin who started the attempt, still logged in on that session, still admin of that organisation."""
    if browser_session_id is not None and browser_session_id != attempt.session_id:
        raise ConnectRefused(
            "You are logged in as someone else in this browser. Start again.", code="calendar_state_other_session"
        )
    try:
        principal = principal_for_session(session, session_id=attempt.session_id, user_id=attempt.user_id)
    except DomainError:
        raise ConnectRefused("Your session ended. Log in and start again.", code="calendar_session_ended") from None
    if principal.tenant_id != attempt.tenant_id or not principal.is_admin:
        raise ConnectRefused("Only an admin of the organisation can connect its calendar.", code="calendar_not_admin")
    return principal


def _connection(session: Session, *, tenant_id: int, provider: str) -> CalendarConnection | None:
    if provider not in PROVIDERS:
        raise NotFound(code="calendar_provider_unknown")
    return session.exec(
        select(CalendarConnection).where(
            CalendarConnection.tenant_id == tenant_id, CalendarConnection.provider == provider
        )
    ).first()


def _usable_connections(session: Session, *, tenant_id: int) -> list[CalendarConnection]:
    rows = session.exec(
        select(CalendarConnection)
        .where(CalendarConnection.tenant_id == tenant_id)
        .order_by(col(CalendarConnection.provider))
    ).all()
    if any(row.status == BROKEN for row in rows):
        raise CalendarBroken()
    return list(rows)


def _run(
    session: Session,
    row: CalendarConnection,
    work: Callable[[CalendarClient], Awaitable[T]],
    *,
    options: dict[str, Any] | None = None,
) -> T:
    """``work`` with a live access token for ``row``: the cached one, else a refreshed one; a 401 refreshes once.

    A refused refresh marks the connection broken (admins emailed) and raises ``CalendarBroken``.
    """
    assert row.id is not None, "a stored connection"
    try:
        endpoints = calendar_endpoints(row.provider)
        refresh_token = decrypt_text(row.refresh_token_encrypted, what="calendar")
        cached = _cached_access_token(row)
    except CalendarNotConfigured:
        raise CalendarBroken("This calendar provider is no longer set up on this server.") from None
    except CredentialUnreadable:
        mark_broken(session, connection_id=row.id, reason="token_unreadable")
        raise CalendarBroken() from None

    async def attempt() -> tuple[T, TokenSet | None]:
        fresh = None
        token = cached
        if token is None:
            fresh = await calendar_oauth.refresh_access_token(endpoints, refresh_token=refresh_token)
            token = fresh.access_token
        try:
            return await work(calendar_client(endpoints, access_token=token, **(options or {}))), fresh
        except AccessTokenRejected:
            if fresh is not None:
                raise CalendarGrantRevoked(reason="new_token_rejected") from None
        fresh = await calendar_oauth.refresh_access_token(endpoints, refresh_token=refresh_token)
        try:
            return await work(calendar_client(endpoints, access_token=fresh.access_token, **(options or {}))), fresh
        except AccessTokenRejected:
            raise CalendarGrantRevoked(reason="new_token_rejected") from None

    try:
        value, fresh = run_coroutine_sync(attempt())
    except CalendarGrantRevoked as revoked:
        mark_broken(session, connection_id=row.id, reason=str(revoked.details.get("reason") or "invalid_grant"))
        raise CalendarBroken() from None
    if fresh is not None:
        _keep_tokens(session, row, fresh)
    return value


def _cached_access_token(row: CalendarConnection) -> str | None:
    if not row.access_token_encrypted or row.access_token_expires_at is None:
        return None
    if as_utc(row.access_token_expires_at) - TOKEN_LEEWAY <= utcnow():
        return None
    try:
        return decrypt_text(row.access_token_encrypted, what="calendar")
    except CredentialUnreadable:
        return None


def _keep_tokens(session: Session, row: CalendarConnection, tokens: TokenSet) -> None:
    values: dict[str, Any] = {
        "access_token_encrypted": encrypt_text(tokens.access_token),
        "access_token_expires_at": tokens.expires_at,
        "updated_at": utcnow(),
    }
    if tokens.refresh_token:  # Microsoft hands out a new one at each refresh
        values["refresh_token_encrypted"] = encrypt_text(tokens.refresh_token)
    session.exec(
        update(CalendarConnection)
        .where(col(CalendarConnection.id) == row.id, col(CalendarConnection.status) == CONNECTED)
        .values(**values)
    )
    session.commit()


def _out(provider: str, row: CalendarConnection | None) -> CalendarConnectionOut:
    try:
        calendar_endpoints(provider)
        available = True
    except CalendarNotConfigured:
        available = False
    return CalendarConnectionOut(
        provider=provider,
        available=available,
        connected=row is not None,
        status=row.status if row else "",
        account_email=row.account_email if row else "",
        connected_at=row.created_at if row else None,
        broken_at=row.broken_at if row else None,
    )


_BROKEN_EMAIL = {
    "en": (
        "Your {provider} calendar needs to be reconnected",
        "Hello,\n\n{provider} no longer lets AVA into the calendar of {account} for {business}: access was removed "
        "or has expired.\n\nUntil it is reconnected, AVA does not book appointments: it takes a message and you "
        "call back.\n\nReconnect it here: {link}\n",
    ),
    "fr": (
        "Votre agenda {provider} doit être reconnecté",
        "Bonjour,\n\n{provider} n'autorise plus AVA à accéder à l'agenda de {account} pour {business} : l'accès a "
        "été retiré ou a expiré.\n\nTant qu'il n'est pas reconnecté, AVA ne prend pas de rendez-vous : il prend un "
        "message et vous rappelez.\n\nReconnectez-le ici : {link}\n",
    ),
}
_PROVIDER_NAMES = {"google": "Google Calendar", "microsoft": "Microsoft 365"}


def _email_admins(session: Session, row: CalendarConnection) -> None:
    """Tell each admin, in their language, that the calendar must be reconnected (once per breakage)."""
    from ava_app.services.messaging.email import email_admins

    tenant = session.get(Tenant, row.tenant_id)
    stamp = int(as_utc(row.broken_at or utcnow()).timestamp())
    email_admins(
        session,
        tenant_id=row.tenant_id,
        texts=_BROKEN_EMAIL,
        values={
            "provider": _PROVIDER_NAMES.get(row.provider, row.provider),
            "account": row.account_email,
            "business": tenant.name if tenant else "",
            "link": get_settings().public_url + routes.SETTINGS_INTEGRATIONS,
        },
        dedupe_key=f"calendar-broken:{row.id}:{stamp}",
    )


def abandon_connect(session: Session, *, provider: str, state: str, binding: str) -> None:
    """The provider came back without a code (the admin clicked "Deny"): the attempt is used up all the same."""
    with contextlib.suppress(ConnectRefused):
        _claim_attempt(session, provider=provider, state=state, binding=binding)

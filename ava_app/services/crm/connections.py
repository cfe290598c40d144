"""An organisation's CRM connection (HubSpot): connecting it, running a client with a live token, and breakage.

**Connecting** (admins, in person): paste a HubSpot private-app token (``connect_with_token``: checked against the
account before it is kept), or go through HubSpot's OAuth install page (``begin_oauth`` / ``complete_oauth``; the
attempt is single-use, ten minutes, bound to the admin's login session, organisation and browser). Tokens are kept
encrypted (``credentials.encrypt_text``).

**Using it** (``run``): an OAuth access token is cached until it expires, a 401 refreshes it once. When HubSpot
refuses the token for good (a private-app token answered 401, or ``BAD_REFRESH_TOKEN`` on refresh) the connection
is marked ``broken`` once, the admins get an email, and ``CrmAuthRevoked`` is raised.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import update
from sqlmodel import Session, col, delete, select

from ava_app import routes
from ava_app.models import CalendarOAuthState, CrmConnection, CrmSyncedCall, Tenant, as_utc, utcnow
from ava_app.services import audit
from ava_app.services.accounts import principal_for_session
from ava_app.services.async_bridge import run_coroutine_sync
from ava_app.services.credentials import CredentialUnreadable, decrypt_text, encrypt_text
from ava_app.services.crm import CrmAuthRevoked, hubspot
from ava_app.services.crm.hubspot import AccessTokenRejected, HubSpotClient, HubSpotNotConfigured
from ava_app.services.errors import DomainError, Forbidden, Invalid
from ava_app.services.principal import Principal
from ava_app.settings import get_settings
from ava_app.task_queue import enqueue

log = logging.getLogger(__name__)

CONNECTED, BROKEN = "connected", "broken"
CONNECT_TTL = timedelta(minutes=10)
TOKEN_LEEWAY = timedelta(seconds=60)
# Calls left pending by a broken connection that a reconnect queues again.
RESUME_LIMIT = 200
T = TypeVar("T")


class CrmConnectRefused(Forbidden):
    """This CRM connection could not be completed. Start again from the settings page."""

    code = "crm_connect_refused"


@dataclass(frozen=True)
class CrmConnectionOut:
    """A CRM connection as the settings page shows it (never a token)."""

    provider: str
    oauth_available: bool
    connected: bool
    status: str  # "" (not connected), "connected" or "broken"
    auth_kind: str  # "oauth" or "token"
    account: str
    connected_at: datetime | None
    broken_at: datetime | None


@dataclass(frozen=True)
class ConnectStart:
    authorize_url: str
    binding: str


# --- connecting -------------------------------------------------------------------------------------------


def get_connection(session: Session, *, principal: Principal) -> CrmConnectionOut:
    """The organisation's HubSpot connection (admins)."""
    tenant_id = principal.require_admin()
    return _out(_row(session, tenant_id=tenant_id))


def connect_with_token(session: Session, *, principal: Principal, token: str) -> CrmConnectionOut:
    """Keep a HubSpot private-app token for the organisation once HubSpot accepted it (admins in person)."""
    user_id = principal.require_user()
    tenant_id = principal.require_admin()
    token = token.strip()
    # A token is sent as a header: printable ASCII only (HubSpot's are "pat-<region>-<uuid>").
    if not token or len(token) > 500 or not all("!" <= c <= "~" for c in token):
        raise Invalid("Paste the private app's access token.", code="crm_token_invalid", fields={"token": "invalid"})
    points = _points_for_token()
    try:
        info = run_coroutine_sync(HubSpotClient(points, access_token=token).account())
    except AccessTokenRejected:
        raise Invalid(
            "HubSpot did not accept this token.", code="crm_token_refused", fields={"token": "refused"}
        ) from None
    row = _row(session, tenant_id=tenant_id) or CrmConnection(
        tenant_id=tenant_id, provider=hubspot.PROVIDER, auth_kind="token"
    )
    row.auth_kind = "token"
    row.refresh_token_encrypted = None
    row.access_token_encrypted = encrypt_text(token)
    row.access_token_expires_at = None
    return _keep(session, row, account=info.label, user_id=user_id)


def begin_oauth(session: Session, *, principal: Principal, language: str = "en") -> ConnectStart:
    """Start connecting HubSpot through its install page (admins logged in as a person)."""
    user_id = principal.require_user()
    tenant_id = principal.require_admin()
    if principal.session_id is None:
        raise Forbidden("This action needs a logged-in user, not an API key.", code="user_required")
    points = hubspot.endpoints()
    state, binding = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = utcnow()
    session.exec(delete(CalendarOAuthState).where(col(CalendarOAuthState.expires_at) < now))
    session.add(
        CalendarOAuthState(
            state_hash=_digest(state),
            binding_hash=_digest(binding),
            tenant_id=tenant_id,
            user_id=user_id,
            session_id=principal.session_id,
            provider=hubspot.PROVIDER,
            verifier_encrypted=encrypt_text("-"),  # HubSpot's authorization code flow has no PKCE verifier
            expires_at=now + CONNECT_TTL,
        )
    )
    session.commit()
    return ConnectStart(
        authorize_url=hubspot.authorization_url(points, state=state, language=language), binding=binding
    )


def complete_oauth(
    session: Session, *, state: str, binding: str, code: str, browser_session_id: int | None = None
) -> CrmConnectionOut:
    """Finish an OAuth connection from HubSpot's callback; ``CrmConnectRefused`` (with a precise code) otherwise."""
    attempt = claim_attempt(session, state=state, binding=binding)
    if browser_session_id is not None and browser_session_id != attempt.session_id:
        raise CrmConnectRefused("You are logged in as someone else in this browser.", code="crm_state_other_session")
    try:
        principal = principal_for_session(session, session_id=attempt.session_id, user_id=attempt.user_id)
    except DomainError:
        raise CrmConnectRefused("Your session ended. Log in and start again.", code="crm_session_ended") from None
    if principal.tenant_id != attempt.tenant_id or not principal.is_admin:
        raise CrmConnectRefused("Only an admin can connect the CRM.", code="crm_not_admin")
    points = hubspot.endpoints()
    tokens = run_coroutine_sync(hubspot.exchange_code(points, code=code))
    info = run_coroutine_sync(HubSpotClient(points, access_token=tokens.access_token).account())
    row = _row(session, tenant_id=attempt.tenant_id) or CrmConnection(
        tenant_id=attempt.tenant_id, provider=hubspot.PROVIDER, auth_kind="oauth"
    )
    row.auth_kind = "oauth"
    row.refresh_token_encrypted = encrypt_text(tokens.refresh_token)
    row.access_token_encrypted = encrypt_text(tokens.access_token)
    row.access_token_expires_at = tokens.expires_at
    return _keep(session, row, account=info.label, user_id=principal.user_id)


def claim_attempt(session: Session, *, state: str, binding: str) -> CalendarOAuthState:
    """The attempt ``state`` names, deleted in the same step (a replayed callback finds nothing)."""
    unknown = CrmConnectRefused("This connection link is not valid or was already used.", code="crm_state_invalid")
    if not state or len(state) > 200:
        raise unknown
    attempt = session.exec(select(CalendarOAuthState).where(CalendarOAuthState.state_hash == _digest(state))).first()
    if attempt is None or attempt.provider != hubspot.PROVIDER:
        raise unknown
    claimed = session.exec(delete(CalendarOAuthState).where(col(CalendarOAuthState.id) == attempt.id))
    session.commit()
    if claimed.rowcount != 1:
        raise unknown
    if as_utc(attempt.expires_at) <= utcnow():
        raise CrmConnectRefused("This connection took too long. Start again.", code="crm_state_expired")
    if not binding or not secrets.compare_digest(_digest(binding), attempt.binding_hash):
        raise CrmConnectRefused("This connection was started in another browser.", code="crm_state_other_browser")
    return attempt


def disconnect(session: Session, *, principal: Principal) -> bool:
    """Forget the organisation's HubSpot connection (admins in person); False when none. An OAuth grant is also
    revoked at HubSpot, best effort."""
    user_id = principal.require_user()
    tenant_id = principal.require_admin()
    row = _row(session, tenant_id=tenant_id)
    if row is None:
        return False
    refresh_token = None
    if row.refresh_token_encrypted:
        try:
            refresh_token = decrypt_text(row.refresh_token_encrypted, what="crm")
        except CredentialUnreadable:
            refresh_token = None
    session.delete(row)
    audit.record(
        session,
        action="crm_disconnected",
        tenant_id=tenant_id,
        user_id=user_id,
        detail={"provider": row.provider, "account": row.account},
    )
    session.commit()
    if refresh_token:
        with contextlib.suppress(DomainError):
            run_coroutine_sync(hubspot.revoke(hubspot.endpoints(), refresh_token=refresh_token))
    return True


# --- using it ---------------------------------------------------------------------------------------------


def usable_connections(session: Session, *, tenant_id: int) -> list[CrmConnection]:
    """The organisation's connected (not broken) CRM connections."""
    return list(
        session.exec(
            select(CrmConnection).where(CrmConnection.tenant_id == tenant_id, CrmConnection.status == CONNECTED)
        ).all()
    )


def has_connection(session: Session, *, tenant_id: int) -> bool:
    """Whether the organisation has a connected CRM (one indexed query: the post-call job asks for every call)."""
    return (
        session.exec(
            select(CrmConnection.id).where(CrmConnection.tenant_id == tenant_id, CrmConnection.status == CONNECTED)
        ).first()
        is not None
    )


def run(session: Session, row: CrmConnection, work: Callable[[HubSpotClient], Awaitable[T]]) -> T:
    """``work`` with a live client for ``row``; a revoked token marks the connection broken (``CrmAuthRevoked``)."""
    assert row.id is not None, "a stored connection"
    try:
        points = hubspot.endpoints() if row.auth_kind == "oauth" else _points_for_token()
        cached = _cached_access_token(row)
        refresh_token = decrypt_text(row.refresh_token_encrypted, what="crm") if row.refresh_token_encrypted else None
    except (CredentialUnreadable, HubSpotNotConfigured):
        mark_broken(session, connection_id=row.id, reason="token_unreadable")
        raise CrmAuthRevoked() from None

    async def attempt() -> tuple[T, hubspot.HubSpotTokens | None]:
        fresh = None
        token = cached
        if token is None:
            if refresh_token is None:
                raise CrmAuthRevoked(reason="token_missing")
            fresh = await hubspot.refresh(points, refresh_token=refresh_token)
            token = fresh.access_token
        try:
            return await work(HubSpotClient(points, access_token=token)), fresh
        except AccessTokenRejected:
            if fresh is not None or refresh_token is None:
                raise CrmAuthRevoked(reason="token_rejected") from None
        fresh = await hubspot.refresh(points, refresh_token=refresh_token)
        try:
            return await work(HubSpotClient(points, access_token=fresh.access_token)), fresh
        except AccessTokenRejected:
            raise CrmAuthRevoked(reason="token_rejected") from None

    try:
        value, fresh = run_coroutine_sync(attempt())
    except CrmAuthRevoked as revoked:
        mark_broken(session, connection_id=row.id, reason=str(revoked.details.get("reason") or "revoked"))
        raise
    if fresh is not None:
        session.exec(
            update(CrmConnection)
            .where(col(CrmConnection.id) == row.id, col(CrmConnection.status) == CONNECTED)
            .values(
                access_token_encrypted=encrypt_text(fresh.access_token),
                access_token_expires_at=fresh.expires_at,
                updated_at=utcnow(),
            )
        )
        session.commit()
    return value


def mark_broken(session: Session, *, connection_id: int, reason: str) -> bool:
    """Mark a connection broken and email the organisation's admins, once; False when it already was."""
    now = utcnow()
    changed = session.exec(
        update(CrmConnection)
        .where(col(CrmConnection.id) == connection_id, col(CrmConnection.status) == CONNECTED)
        .values(status=BROKEN, broken_reason=reason[:60], broken_at=now, updated_at=now)
    )
    if changed.rowcount != 1:
        session.commit()
        return False
    row = session.get(CrmConnection, connection_id)
    assert row is not None, "the row was just updated"
    session.refresh(row)
    audit.record(
        session, action="crm_broken", tenant_id=row.tenant_id, detail={"provider": row.provider, "reason": reason}
    )
    session.commit()
    _email_admins(session, row)
    return True


# --- inside -----------------------------------------------------------------------------------------------


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _points_for_token() -> hubspot.HubSpotEndpoints:
    """Private-app tokens need no OAuth app: the API is HubSpot's (the emulator's in sandbox mode)."""
    try:
        return hubspot.endpoints()
    except HubSpotNotConfigured:
        settings = get_settings()
        return hubspot.HubSpotEndpoints(
            authorize_url="", api_url=settings.hubspot_api_url, client_id="", client_secret="", sandbox=False
        )


def _row(session: Session, *, tenant_id: int) -> CrmConnection | None:
    return session.exec(
        select(CrmConnection).where(CrmConnection.tenant_id == tenant_id, CrmConnection.provider == hubspot.PROVIDER)
    ).first()


def _keep(session: Session, row: CrmConnection, *, account: str, user_id: int | None) -> CrmConnectionOut:
    row.account = account[:200]
    row.status, row.broken_reason, row.broken_at = CONNECTED, None, None
    row.connected_by_user_id = user_id
    row.created_at = row.updated_at = utcnow()
    session.add(row)
    audit.record(
        session,
        action="crm_connected",
        tenant_id=row.tenant_id,
        user_id=user_id,
        detail={"provider": row.provider, "account": row.account, "auth": row.auth_kind},
    )
    session.commit()
    session.refresh(row)
    _resume_pending(session, row)
    return _out(row)


def _resume_pending(session: Session, row: CrmConnection) -> None:
    """After a reconnect, queue again the calls the broken connection left pending (the most recent first)."""
    pending = session.exec(
        select(CrmSyncedCall.call_id)
        .where(CrmSyncedCall.connection_id == row.id, CrmSyncedCall.status == "pending")
        .order_by(col(CrmSyncedCall.id).desc())
        .limit(RESUME_LIMIT)
    ).all()
    for call_id in pending:
        try:
            enqueue("sync_call_to_crm", call_id)
        except Exception:
            log.warning("call %s: CRM sync not queued again after the reconnect", call_id, exc_info=True)


def _cached_access_token(row: CrmConnection) -> str | None:
    if not row.access_token_encrypted:
        return None
    if row.access_token_expires_at is not None and as_utc(row.access_token_expires_at) - TOKEN_LEEWAY <= utcnow():
        return None
    try:
        return decrypt_text(row.access_token_encrypted, what="crm")
    except CredentialUnreadable:
        if row.auth_kind == "token":
            raise
        return None


def _out(row: CrmConnection | None) -> CrmConnectionOut:
    try:
        hubspot.endpoints()
        oauth_available = True
    except HubSpotNotConfigured:
        oauth_available = False
    return CrmConnectionOut(
        provider=hubspot.PROVIDER,
        oauth_available=oauth_available,
        connected=row is not None,
        status=row.status if row else "",
        auth_kind=row.auth_kind if row else "",
        account=row.account if row else "",
        connected_at=row.created_at if row else None,
        broken_at=row.broken_at if row else None,
    )


_BROKEN_EMAIL = {
    "en": (
        "HubSpot needs to be reconnected",
        "Hello,\n\nHubSpot no longer accepts AVA's access to the account {account} for {business}: the app was "
        "uninstalled or its token deleted.\n\nUntil it is reconnected, AVA's calls are not logged in HubSpot.\n\n"
        "Reconnect it here: {link}\n",
    ),
    "fr": (
        "HubSpot doit être reconnecté",
        "Bonjour,\n\nHubSpot n'accepte plus l'accès d'AVA au compte {account} pour {business} : l'application a été "
        "désinstallée ou son jeton supprimé.\n\nTant qu'il n'est pas reconnecté, les appels d'AVA ne sont plus "
        "enregistrés dans HubSpot.\n\nReconnectez-le ici : {link}\n",
    ),
}


def _email_admins(session: Session, row: CrmConnection) -> None:
    """Tell each admin, in their language, that HubSpot must be reconnected (once per breakage)."""
    from ava_app.services.messaging.email import email_admins

    tenant = session.get(Tenant, row.tenant_id)
    stamp = int(as_utc(row.broken_at or utcnow()).timestamp())
    email_admins(
        session,
        tenant_id=row.tenant_id,
        texts=_BROKEN_EMAIL,
        values={
            "account": row.account,
            "business": tenant.name if tenant else "",
            "link": get_settings().public_url + routes.SETTINGS_INTEGRATIONS,
        },
        dedupe_key=f"crm-broken:{row.id}:{stamp}",
    )

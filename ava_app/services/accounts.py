"""Accounts: signup, login (password, magic link, SMS code), token refresh, email verification, passwords, sessions.

Every login path ends in ``start_session``: one AuthSession (a refresh-token family per device) and a token pair.
Messages never say whether an email or phone number has an account.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import BaseModel
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ava_app import routes
from ava_app.languages import LANGUAGES
from ava_app.models import (
    AuditLog,
    AuthSession,
    Invite,
    Membership,
    OneTimeToken,
    ProviderCredential,
    RefreshToken,
    Tenant,
    User,
    UserIdentity,
    WebhookSecret,
    as_utc,
    utcnow,
)
from ava_app.services import api_keys, audit, phone_input, presets, rate_limits, regional, sms_limits
from ava_app.services.async_bridge import run_coroutine_sync
from ava_app.services.errors import Conflict, Invalid, NotFound, Unauthorized
from ava_app.services.messaging.account_emails import send_account_email
from ava_app.services.passwords import check_password_policy, hash_password, needs_rehash, verify_password
from ava_app.services.principal import Principal
from ava_app.services.tokens import (
    ACCESS_TOKEN_TTL,
    REFRESH_TOKEN_TTL,
    SESSION_MAX_AGE,
    create_access_token,
    decode_access_token,
    hash_secret,
    new_secret,
)
from ava_app.settings import get_settings

MAGIC_LINK_TTL = timedelta(minutes=15)
SMS_CODE_TTL = timedelta(minutes=10)
SMS_MAX_ATTEMPTS = 5
VERIFY_EMAIL_TTL = timedelta(hours=48)
RESET_TTL = timedelta(hours=1)
# Writing last_seen_at on every request would turn each read into a write; a few minutes of precision is enough.
LAST_SEEN_PRECISION = timedelta(minutes=5)

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LOCALES = LANGUAGES
# Keys signup offered before its industries came from the presets (migration 0003 moved stored organisations over).
LEGACY_INDUSTRIES = {"dental": "clinic", "medical": "clinic"}


SENT_MESSAGE = "If an account exists, we sent a link."
SMS_SENT_MESSAGE = "If an account uses this number, we sent a code."
PHONE_UNCONFIRMED_MESSAGE = "Confirm a new number with the code we text to it."
PHONE_TAKEN_MESSAGE = "This number is already confirmed on another AVA account. Remove it there first."
CODE_INVALID_MESSAGE = "This code is invalid or has expired."
PASSWORD_REMOVED_MESSAGE = (
    "Your email address is confirmed. For your security, the password chosen before it was confirmed was removed "
    "and every device was logged out: log in with an email link, then choose a password in your profile."
)


class SmsVerifier(Protocol):
    """Sends and checks SMS codes (Twilio Verify in production, a fake in tests)."""

    def send_code(self, to: str) -> None: ...

    def check_code(self, to: str, code: str) -> bool: ...


class TwilioSmsVerifier:
    """The production SmsVerifier: Twilio Verify (or its local emulator in sandbox mode)."""

    def send_code(self, to: str) -> None:
        # Imported on use: the Twilio SDK is heavy and only the SMS login needs it.
        from ava_app.services.providers import twilio

        run_coroutine_sync(twilio.send_verification_code(to=to))

    def check_code(self, to: str, code: str) -> bool:
        from ava_app.services.providers import twilio

        try:
            return bool(run_coroutine_sync(twilio.check_verification_code(to=to, code=code)))
        except Invalid:
            # Verify forgets a code after 10 minutes or once used; to the caller that is just a wrong code.
            return False


class AuthResult(BaseModel):
    """A token pair for a new or refreshed session."""

    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int
    user_id: int
    tenant_id: int | None
    session_id: int
    # This login was the first proof of the mailbox and removed a password set before it (``prove_mailbox``).
    password_removed: bool = False


class MeOut(BaseModel):
    """The logged-in user's profile and current organisation."""

    id: int
    email: str
    name: str
    phone: str | None
    locale: str
    email_verified: bool
    phone_verified: bool = False
    tenant_id: int | None
    tenant_name: str | None
    role: str | None
    session_id: int | None


class SessionOut(BaseModel):
    """One logged-in device, for the "where you're logged in" list."""

    id: int
    user_agent: str
    ip: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    current: bool


# --- small shared pieces ------------------------------------------------------------------------------------


def normalize_email(email: str) -> str:
    """Lower-cased, trimmed email (emails are stored this way, so lookups are plain equality)."""
    return (email or "").strip().lower()


def normalize_industry(industry: str | None) -> str | None:
    """The preset key (``presets.INDUSTRIES``) for ``industry``, a legacy key mapped to its preset; None if not given.

    Raises Invalid for any other value.
    """
    key = (industry or "").strip().lower()
    if not key:
        return None
    key = LEGACY_INDUSTRIES.get(key, key)
    if key not in presets.INDUSTRIES:
        raise Invalid(fields={"industry": "Choose one of the offered industries."})
    return key


def check_email(email: str, field: str = "email") -> str:
    """The normalized email; Invalid (on ``field``) when it does not look like an address."""
    normalized = normalize_email(email)
    if not EMAIL_RE.match(normalized) or len(normalized) > 254:
        raise Invalid(fields={field: "Enter a valid email address."})
    return normalized


def find_user_by_email(session: Session, *, email: str) -> User | None:
    """The user with this email, or None (services only; never returned to callers)."""
    return session.exec(select(User).where(User.email == normalize_email(email))).first()


def role_in(session: Session, *, user_id: int, tenant_id: int) -> str | None:
    """The user's role in the tenant, or None when not a member."""
    return session.exec(
        select(Membership.role).where(Membership.user_id == user_id, Membership.tenant_id == tenant_id)
    ).first()


def _default_tenant_id(session: Session, user_id: int) -> int | None:
    """The organisation a new session opens on: the one last used, else the oldest membership."""
    last = session.exec(
        select(AuthSession.tenant_id)
        .join(Membership, (col(Membership.tenant_id) == AuthSession.tenant_id) & (col(Membership.user_id) == user_id))
        .where(AuthSession.user_id == user_id)
        .order_by(col(AuthSession.last_seen_at).desc())
    ).first()
    if last is not None:
        return last
    return session.exec(
        select(Membership.tenant_id).where(Membership.user_id == user_id).order_by(col(Membership.id))
    ).first()


def public_link(path: str, token: str) -> str:
    """The URL of an app page carrying a one-time token (``/verify``, ``/reset-password``, ``/invite``...)."""
    return routes.absolute(get_settings().public_url, path, token=token)


def _session_deadline(auth_session: AuthSession, now: datetime) -> datetime:
    """When the session expires if used now: a week of idleness, and never past its absolute maximum age."""
    return min(now + REFRESH_TOKEN_TTL, as_utc(auth_session.created_at) + SESSION_MAX_AGE)


def _issue_refresh_token(session: Session, auth_session: AuthSession, now: datetime) -> str:
    assert auth_session.id is not None, "a stored session has an id"
    raw = new_secret()
    session.add(
        RefreshToken(
            session_id=auth_session.id,
            token_hash=hash_secret(raw),
            expires_at=_session_deadline(auth_session, now),
        )
    )
    return raw


def start_session(
    session: Session,
    *,
    user: User,
    ip: str,
    user_agent: str,
    tenant_id: int | None = None,
    action: str = "login_succeeded",
    method: str = "password",
) -> AuthResult:
    """Open a new AuthSession for ``user`` with a fresh token pair, audit it, and commit."""
    assert user.id is not None, "a stored user has an id"
    now = utcnow()
    if tenant_id is None:
        tenant_id = _default_tenant_id(session, user.id)
    auth_session = AuthSession(
        user_id=user.id,
        tenant_id=tenant_id,
        user_agent=(user_agent or "")[:300],
        ip=(ip or "")[:64],
        expires_at=now + REFRESH_TOKEN_TTL,
    )
    session.add(auth_session)
    session.flush()
    assert auth_session.id is not None, "the flush gave the session its id"
    refresh_token = _issue_refresh_token(session, auth_session, now)
    audit.record(session, action=action, tenant_id=tenant_id, user_id=user.id, ip=ip, detail={"method": method})
    session.commit()
    return AuthResult(
        access_token=create_access_token(user_id=user.id, session_id=auth_session.id, now=now),
        refresh_token=refresh_token,
        expires_in=int(ACCESS_TOKEN_TTL.total_seconds()),
        user_id=user.id,
        tenant_id=tenant_id,
        session_id=auth_session.id,
    )


def _create_one_time_token(session: Session, *, purpose: str, user_id: int, destination: str, ttl: timedelta) -> str:
    """Store a single-use token (hashed) and return the raw value to send."""
    raw = new_secret()
    now = utcnow()
    session.add(
        OneTimeToken(
            user_id=user_id,
            purpose=purpose,
            token_hash=hash_secret(raw),
            destination=destination,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    return raw


def _consume_one_time_token(session: Session, *, purpose: str, token: str, error: Exception) -> OneTimeToken:
    """Mark the token used and return it; raise ``error`` when unknown, used, expired or for another purpose."""
    now = utcnow()
    row = session.exec(
        select(OneTimeToken).where(OneTimeToken.token_hash == hash_secret(token or ""), OneTimeToken.purpose == purpose)
    ).first()
    if row is None or row.used_at is not None or as_utc(row.expires_at) <= now:
        raise error
    # The conditional update makes "single use" hold even when two requests race with the same link.
    claimed = session.exec(
        update(OneTimeToken)
        .where(col(OneTimeToken.id) == row.id, col(OneTimeToken.used_at).is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        session.rollback()
        raise error
    session.refresh(row)
    return row


def _expire_pending_tokens(session: Session, *, user_id: int, purposes: tuple[str, ...]) -> None:
    session.exec(
        update(OneTimeToken)
        .where(
            col(OneTimeToken.user_id) == user_id,
            col(OneTimeToken.purpose).in_(purposes),
            col(OneTimeToken.used_at).is_(None),
        )
        .values(used_at=utcnow())
    )


def _revoke_sessions(session: Session, *, user_id: int, keep_session_id: int | None = None) -> int:
    """Revoke every live session of the user except ``keep_session_id``; returns how many were revoked."""
    query = (
        update(AuthSession)
        .where(col(AuthSession.user_id) == user_id, col(AuthSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    if keep_session_id is not None:
        query = query.where(col(AuthSession.id) != keep_session_id)
    return session.exec(query).rowcount


def prove_mailbox(
    session: Session, *, user: User, proof: str, keep_session_id: int | None = None, ip: str = ""
) -> None:
    """Mark ``user``'s email verified because a link sent to it was opened (``proof``: magic, verify_email, invite).

    No commit.

    Signup needs no proof of the mailbox, so an unverified account may have been created by someone else with the
    owner's address (account pre-hijacking). The first proof therefore undoes what that person could have set up:
    the password and SMS number chosen before it, and every session, except ``keep_session_id`` (a session the
    mailbox holder is already using, e.g. the one they signed up in). A verified account is left as it is.
    """
    if user.email_verified_at is not None:
        return
    assert user.id is not None, "a stored user has an id"
    user.email_verified_at = utcnow()
    cleared = keep_session_id is None and (user.password_hash is not None or user.phone is not None)
    undone: dict[str, int] = {}
    if keep_session_id is None:
        user.password_hash = None
        user.phone = user.phone_verified_at = None
        undone = _undo_unproven_setup(session, user=user)
    session.add(user)
    revoked = _revoke_sessions(session, user_id=user.id, keep_session_id=keep_session_id)
    _expire_pending_tokens(
        session,
        user_id=user.id,
        purposes=("magic_link", "reset_password", "verify_email", "sms_login", "verify_phone"),
    )
    audit.record(
        session,
        action="email_verified",
        tenant_id=_default_tenant_id(session, user.id),
        user_id=user.id,
        ip=ip,
        detail={"method": proof, "sessions_revoked": revoked, "password_removed": cleared, **undone},
    )


def _undo_unproven_setup(session: Session, *, user: User) -> dict[str, int]:
    """Stop what an account whose address was unproven handed out or pointed elsewhere; returns counts. No commit.

    Its API keys, its invitations still pending, the members who joined through its invitations, and the provider
    credentials it saved (a mail server of its own would receive the organisation's call summaries).
    """
    assert user.id is not None, "a stored user has an id"
    keys = api_keys.revoke_member_keys(session, user_id=user.id, reason="email_claimed")
    invites = session.exec(select(Invite).where(Invite.invited_by_id == user.id)).all()
    pending = members = 0
    for invite in invites:
        if invite.accepted_at is None and invite.revoked_at is None:
            invite.revoked_at = utcnow()
            session.add(invite)
            pending += 1
        elif invite.accepted_at is not None:
            joined = find_user_by_email(session, email=invite.email)
            if joined is not None and joined.id != user.id:
                members += session.exec(
                    delete(Membership).where(
                        col(Membership.user_id) == joined.id, col(Membership.tenant_id) == invite.tenant_id
                    )
                ).rowcount
    saved = session.exec(
        select(AuditLog.tenant_id, AuditLog.detail).where(
            AuditLog.user_id == user.id, AuditLog.action == "credential_saved"
        )
    ).all()
    removed = 0
    for tenant_id, detail in saved:
        provider = (detail or {}).get("provider")
        if tenant_id is None or not provider:
            continue
        removed += session.exec(
            delete(ProviderCredential).where(
                col(ProviderCredential.tenant_id) == tenant_id, col(ProviderCredential.provider) == provider
            )
        ).rowcount
        if provider == "vapi":
            session.execute(delete(WebhookSecret).where(col(WebhookSecret.tenant_id) == tenant_id))
    # A Google or Microsoft account linked before the address was proven could be anyone's: it goes too.
    identities = session.exec(delete(UserIdentity).where(col(UserIdentity.user_id) == user.id)).rowcount
    return {
        "identities_removed": identities,
        "api_keys_revoked": keys,
        "invites_revoked": pending,
        "members_removed": members,
        "credentials_removed": removed,
    }


def _send_verification(session: Session, *, user: User) -> None:
    assert user.id is not None, "a stored user has an id"
    token = _create_one_time_token(
        session, purpose="verify_email", user_id=user.id, destination=user.email, ttl=VERIFY_EMAIL_TTL
    )
    session.commit()
    send_account_email(
        session,
        kind="verify_email",
        to=user.email,
        locale=user.locale,
        name=user.name,
        link=public_link(routes.VERIFY_EMAIL, token),
        expires_hours=int(VERIFY_EMAIL_TTL.total_seconds() // 3600),
    )


# --- signup and login ---------------------------------------------------------------------------------------


def signup(
    session: Session,
    *,
    name: str,
    email: str,
    password: str,
    organisation_name: str,
    industry: str | None = None,
    locale: str = "en",
    timezone: str | None = None,
    country: str | None = None,
    ip: str = "",
    user_agent: str = "",
) -> AuthResult:
    """Create the user, their organisation (as admin) and a logged-in session; send the verification email.

    ``industry`` is a preset key (see ``normalize_industry``): the organisation's assistant starts from that preset.
    ``locale`` is a language or a browser tag ("fr", "fr-FR"), ``timezone`` the browser's IANA zone, ``country`` an
    ISO code when known: they set the business's region (``regional.from_browser``), which the owner confirms in
    onboarding. Missing or unknown values fall back to sane ones, they never refuse a signup.
    """
    if ip:
        rate_limits.hit("signup_ip", ip)
    fields: dict[str, str] = {}
    normalized = normalize_email(email)
    if not EMAIL_RE.match(normalized) or len(normalized) > 254:
        fields["email"] = "Enter a valid email address."
    if not (name or "").strip():
        fields["name"] = "Enter your name."
    if not (organisation_name or "").strip():
        fields["organisation_name"] = "Enter the name of your business."
    try:
        check_password_policy(password, email=normalized)
    except Invalid as exc:
        fields.update(exc.details["fields"])
    try:
        industry = normalize_industry(industry)
    except Invalid as exc:
        fields.update(exc.details["fields"])
    if fields:
        raise Invalid(fields=fields)
    if find_user_by_email(session, email=normalized) is not None:
        # Signup must log the new account in, so it cannot hide that the email is taken; the IP limit above
        # keeps this from being used to test addresses in bulk.
        raise Conflict("An account already exists for this email. Log in instead.", code="email_taken")
    user, tenant = create_account(
        session,
        name=name,
        email=normalized,
        password_hash=hash_password(password),
        organisation_name=organisation_name,
        industry=industry,
        locale=locale,
        timezone=timezone,
        country=country,
    )
    result = start_session(
        session, user=user, ip=ip, user_agent=user_agent, tenant_id=tenant.id, action="signup", method="password"
    )
    _send_verification(session, user=user)
    return result


def create_account(
    session: Session,
    *,
    name: str,
    email: str,
    password_hash: str | None,
    organisation_name: str,
    industry: str | None,
    locale: str,
    timezone: str | None,
    country: str | None,
    email_verified: bool = False,
) -> tuple[User, Tenant]:
    """The user and their organisation (as admin) of a signup, flushed, not committed; fields already checked.

    ``password_hash`` is None for an account that signs in with a provider; ``email_verified`` when the provider
    vouched for the address.
    """
    region = regional.from_browser(timezone, locale, country=country)
    language = (locale or "").replace("_", "-").split("-")[0].strip().lower()
    language = language if language in LOCALES else region.language
    user = User(email=email, name=name.strip()[:120], password_hash=password_hash, locale=language)
    if email_verified:
        user.email_verified_at = utcnow()
    tenant = Tenant(name=organisation_name.strip()[:120], industry=industry)
    regional.apply(tenant, region)
    session.add(user)
    session.add(tenant)
    session.flush()
    assert user.id is not None and tenant.id is not None, "the flush gave both their ids"
    session.add(Membership(user_id=user.id, tenant_id=tenant.id, role="admin"))
    return user, tenant


def send_verification(session: Session, *, user: User) -> None:
    """Email the address-verification link (commits the one-time token first)."""
    _send_verification(session, user=user)


def login(session: Session, *, email: str, password: str, ip: str = "", user_agent: str = "") -> AuthResult:
    """Log in with email and password; the same error (and the same argon2 work) whether or not the email exists."""
    normalized = normalize_email(email)
    if ip:
        rate_limits.hit("login_ip", ip)
    rate_limits.hit("login_account", normalized)
    user = find_user_by_email(session, email=normalized)
    # verify_password runs a dummy verify when there is no hash, so unknown emails cost the same time.
    valid = verify_password(password or "", user.password_hash if user else None)
    # Only a stored hash can verify; testing it again hands needs_rehash below a string.
    if not valid or user is None or user.password_hash is None or not user.is_active:
        if user is not None:
            assert user.id is not None, "a stored user has an id"
            audit.record(
                session,
                action="login_failed",
                tenant_id=_default_tenant_id(session, user.id),
                user_id=user.id,
                ip=ip,
                detail={"method": "password"},
            )
            session.commit()
        raise Unauthorized("Invalid email or password.", code="invalid_credentials")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    return start_session(session, user=user, ip=ip, user_agent=user_agent)


def send_magic_link(session: Session, *, email: str, ip: str = "") -> None:
    """Email a 15-minute single-use login link when an active account has this email; silent otherwise."""
    normalized = check_email(email)
    rate_limits.hit("magic_link", normalized)
    user = find_user_by_email(session, email=normalized)
    if user is None or not user.is_active:
        return
    assert user.id is not None, "a stored user has an id"
    token = _create_one_time_token(
        session, purpose="magic_link", user_id=user.id, destination=normalized, ttl=MAGIC_LINK_TTL
    )
    session.commit()
    send_account_email(
        session,
        kind="magic_link",
        to=user.email,
        locale=user.locale,
        name=user.name,
        link=public_link(routes.VERIFY, token),
    )


def preview_magic_link(session: Session, *, token: str) -> str:
    """The account a login link opens, its address partly hidden (``m***@example.com``); the link stays unused.

    The login page asks for a click before using the link, so a link of someone else's account sent to a victim
    (login CSRF) cannot silently sign the victim's browser in to it.
    """
    row = session.exec(
        select(OneTimeToken).where(
            OneTimeToken.token_hash == hash_secret(token or ""), OneTimeToken.purpose == "magic_link"
        )
    ).first()
    if row is None or row.used_at is not None or as_utc(row.expires_at) <= utcnow():
        raise Unauthorized("This login link is invalid or has expired.", code="invalid_link")
    local, _, domain = row.destination.partition("@")
    return f"{local[:1]}***@{domain}"


def login_with_magic_link(session: Session, *, token: str, ip: str = "", user_agent: str = "") -> AuthResult:
    """Log in with a magic-link token (single use); opening the link also proves the email address."""
    row = _consume_one_time_token(
        session,
        purpose="magic_link",
        token=token,
        error=Unauthorized("This login link is invalid or has expired.", code="invalid_link"),
    )
    user = session.get(User, row.user_id)
    if user is None or not user.is_active or user.email != row.destination:
        session.commit()
        raise Unauthorized("This login link is invalid or has expired.", code="invalid_link")
    had_password = user.email_verified_at is None and user.password_hash is not None
    # The new session is opened after, so it is the only one left on a freshly proven account.
    prove_mailbox(session, user=user, proof="magic", ip=ip)
    result = start_session(session, user=user, ip=ip, user_agent=user_agent, action="magic_link_used", method="magic")
    return result.model_copy(update={"password_removed": had_password})


def send_sms_code(
    session: Session, *, phone: str, verifier: SmsVerifier, ip: str = "", country: str | None = None
) -> str:
    """Text a login code (10 minutes, 5 attempts) when an active account confirmed this number; silent otherwise.
    Returns the number in E.164, whoever it belongs to.

    ``phone`` is read in ``country`` (the browser's, there is no organisation yet); without one it must be
    international. A number typed on a profile but never confirmed gets nothing, and cannot hide the confirmed
    owner's codes.
    """
    normalized = phone_input.read(phone, phone_input.known_country(country))
    sms_limits.count_request(destination=normalized, ip=ip)
    users = session.exec(
        select(User)
        .where(User.phone == normalized, col(User.phone_verified_at).is_not(None), col(User.is_active).is_(True))
        .limit(2)
    ).all()
    if len(users) != 1:
        # One confirmed owner per number (a unique index); sending nothing also avoids paying for pumped SMS.
        return normalized
    sms_limits.count_sent(destination=normalized)
    _expire_pending_sms(session, destination=normalized)
    # The code itself lives at the provider; this row enforces expiry and attempts on our side too.
    user_id = users[0].id
    assert user_id is not None, "a stored user has an id"
    _create_one_time_token(session, purpose="sms_login", user_id=user_id, destination=normalized, ttl=SMS_CODE_TTL)
    session.commit()
    verifier.send_code(normalized)
    return normalized


def _expire_pending_sms(session: Session, *, destination: str) -> None:
    """Kill the login codes pending for ``destination`` (a new one was sent, or the number left its account)."""
    session.exec(
        update(OneTimeToken)
        .where(
            col(OneTimeToken.destination) == destination,
            col(OneTimeToken.purpose) == "sms_login",
            col(OneTimeToken.used_at).is_(None),
        )
        .values(used_at=utcnow())
    )


def _spend_sms_code(
    session: Session,
    *,
    purpose: str,
    destination: str,
    code: str,
    verifier: SmsVerifier,
    error: Exception,
    user_id: int | None = None,
) -> OneTimeToken:
    """Spend the latest pending ``purpose`` code texted to ``destination`` (for ``user_id`` when given).

    Raises ``error`` when there is none, it expired, it is used up (5 wrong attempts) or ``code`` is not it. The
    claim is flushed, not committed: the caller commits with what the code unlocks.
    """
    now = utcnow()
    query = select(OneTimeToken).where(
        OneTimeToken.destination == destination,
        OneTimeToken.purpose == purpose,
        col(OneTimeToken.used_at).is_(None),
    )
    if user_id is not None:
        query = query.where(OneTimeToken.user_id == user_id)
    row = session.exec(query.order_by(col(OneTimeToken.id).desc())).first()
    if row is None or as_utc(row.expires_at) <= now:
        raise error
    # Count the attempt before asking the provider, so parallel guesses cannot exceed the budget.
    counted = session.exec(
        update(OneTimeToken)
        .where(
            col(OneTimeToken.id) == row.id,
            col(OneTimeToken.used_at).is_(None),
            col(OneTimeToken.attempts) < SMS_MAX_ATTEMPTS,
        )
        .values(attempts=col(OneTimeToken.attempts) + 1)
    )
    session.commit()
    if counted.rowcount != 1:
        raise error
    if not re.fullmatch(r"\d{4,10}", (code or "").strip()) or not verifier.check_code(destination, code.strip()):
        session.refresh(row)
        if row.attempts >= SMS_MAX_ATTEMPTS:
            row.used_at = now
            session.add(row)
            session.commit()
        raise error
    claimed = session.exec(
        update(OneTimeToken)
        .where(col(OneTimeToken.id) == row.id, col(OneTimeToken.used_at).is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        session.commit()
        raise error
    return row


def login_with_sms_code(
    session: Session,
    *,
    phone: str,
    code: str,
    verifier: SmsVerifier,
    ip: str = "",
    user_agent: str = "",
    country: str | None = None,
) -> AuthResult:
    """Log in with the SMS code sent to ``phone`` (read as in ``send_sms_code``); the code dies after 10 minutes,
    5 wrong attempts or one success."""
    error = Unauthorized(CODE_INVALID_MESSAGE, code="invalid_code")
    normalized = phone_input.read(phone, phone_input.known_country(country))
    row = _spend_sms_code(
        session, purpose="sms_login", destination=normalized, code=code, verifier=verifier, error=error
    )
    user = session.get(User, row.user_id)
    # The number may have left the account (removed, or confirmed elsewhere) since the code went out.
    if user is None or not user.is_active or user.phone != normalized or user.phone_verified_at is None:
        session.commit()
        raise error
    return start_session(session, user=user, ip=ip, user_agent=user_agent, action="sms_verified", method="sms")


# --- tokens and sessions ------------------------------------------------------------------------------------


def refresh_tokens(session: Session, *, refresh_token: str, ip: str = "", user_agent: str = "") -> AuthResult:
    """Rotate a refresh token: the presented one is spent; presenting a spent one revokes the whole session."""
    error = Unauthorized("Please log in again.", code="invalid_refresh_token")
    now = utcnow()
    row = session.exec(select(RefreshToken).where(RefreshToken.token_hash == hash_secret(refresh_token or ""))).first()
    if row is None:
        raise error
    auth_session = session.get(AuthSession, row.session_id)
    if auth_session is None:
        raise error
    claimed = 0
    if row.used_at is None:
        claimed = session.exec(
            update(RefreshToken)
            .where(col(RefreshToken.id) == row.id, col(RefreshToken.used_at).is_(None))
            .values(used_at=now)
        ).rowcount
    if claimed != 1:
        # A spent token came back: either it was stolen or the thief already used it. Kill the family.
        if auth_session.revoked_at is None:
            auth_session.revoked_at = now
            session.add(auth_session)
            audit.record(
                session,
                action="refresh_reused",
                tenant_id=auth_session.tenant_id,
                user_id=auth_session.user_id,
                ip=ip,
                detail={"session_id": auth_session.id},
            )
        session.commit()
        raise Unauthorized("This session was ended for your security. Please log in again.", code="refresh_reused")
    user = session.get(User, auth_session.user_id)
    if (
        auth_session.revoked_at is not None
        or as_utc(auth_session.expires_at) <= now
        or as_utc(row.expires_at) <= now
        or as_utc(auth_session.created_at) + SESSION_MAX_AGE <= now
        or user is None
        or not user.is_active
    ):
        session.commit()
        raise error
    new_refresh = _issue_refresh_token(session, auth_session, now)
    # Sliding expiry: an active device stays logged in, an idle one drops after a week; a stolen refresh token
    # kept alive by a thief still dies SESSION_MAX_AGE after the login.
    auth_session.expires_at = _session_deadline(auth_session, now)
    auth_session.last_seen_at = now
    if ip:
        auth_session.ip = ip[:64]
    session.add(auth_session)
    session.commit()
    assert user.id is not None and auth_session.id is not None, "stored rows have ids"
    return AuthResult(
        access_token=create_access_token(user_id=user.id, session_id=auth_session.id, now=now),
        refresh_token=new_refresh,
        expires_in=int(ACCESS_TOKEN_TTL.total_seconds()),
        user_id=user.id,
        tenant_id=auth_session.tenant_id,
        session_id=auth_session.id,
    )


def authenticate(session: Session, *, access_token: str) -> Principal:
    """The Principal for a valid access token whose session is still live; Unauthorized otherwise."""
    claims = decode_access_token(access_token)
    return principal_for_session(session, session_id=claims.session_id, user_id=claims.user_id)


def principal_for_session(session: Session, *, session_id: int, user_id: int, slide: bool = False) -> Principal:
    """The Principal of a live AuthSession of ``user_id``; Unauthorized when it ended, expired or the user is gone.

    ``slide``: a browser session (one cookie, no refresh token to rotate) moves its idle expiry forward here, never
    past the session's absolute maximum age.
    """
    return _live_principal(session, col(AuthSession.id) == session_id, user_id=user_id, slide=slide)


def principal_for_browser_token(session: Session, *, token_hash: str) -> Principal:
    """The Principal of the live AuthSession whose browser cookie hashes to ``token_hash``; its idle expiry slides."""
    return _live_principal(session, col(AuthSession.browser_token_hash) == token_hash, user_id=None, slide=True)


def _live_principal(session: Session, condition: Any, *, user_id: int | None, slide: bool) -> Principal:
    """The session, its user and the user's role in the session's organisation, read in one query (this runs on
    every event of every tab), then every refusal of a session that ended, expired, or whose user is disabled."""
    now = utcnow()
    row = session.exec(
        select(AuthSession, User.is_active, User.is_platform_admin, Membership.role)
        .join(User, col(User.id) == col(AuthSession.user_id))
        .join(
            Membership,
            (col(Membership.user_id) == col(AuthSession.user_id))
            & (col(Membership.tenant_id) == col(AuthSession.tenant_id)),
            isouter=True,
        )
        .where(condition)
    ).first()
    if row is None:
        raise Unauthorized(code="session_ended")
    auth_session, is_active, is_platform_admin, member_role = row
    if (
        (user_id is not None and auth_session.user_id != user_id)
        or auth_session.revoked_at is not None
        or as_utc(auth_session.expires_at) <= now
        or as_utc(auth_session.created_at) + SESSION_MAX_AGE <= now
        or not is_active
    ):
        raise Unauthorized(code="session_ended")
    # The role is read on every request so a role change or removal applies at once, not at token expiry.
    role: str | None = member_role if auth_session.tenant_id else None
    # Written at most once per LAST_SEEN_PRECISION: the expiry moves by a week, so a few minutes less matter not.
    if now - as_utc(auth_session.last_seen_at) > LAST_SEEN_PRECISION:
        auth_session.last_seen_at = now
        if slide:
            auth_session.expires_at = min(now + REFRESH_TOKEN_TTL, as_utc(auth_session.created_at) + SESSION_MAX_AGE)
        session.add(auth_session)
        session.commit()
    return Principal(
        user_id=auth_session.user_id,
        tenant_id=auth_session.tenant_id if role else None,
        role=role,
        session_id=auth_session.id,
        is_platform_admin=bool(is_platform_admin),
    )


def logout(session: Session, *, principal: Principal, ip: str = "") -> None:
    """End the caller's session: its access token stops working at the next request, its refresh token at once."""
    user_id = principal.require_user()
    auth_session = session.get(AuthSession, principal.session_id) if principal.session_id else None
    if auth_session is None or auth_session.user_id != user_id or auth_session.revoked_at is not None:
        return
    auth_session.revoked_at = utcnow()
    session.add(auth_session)
    audit.record(session, action="logout", tenant_id=auth_session.tenant_id, user_id=user_id, ip=ip)
    session.commit()


def list_sessions(session: Session, *, principal: Principal) -> list[SessionOut]:
    """The caller's live sessions (devices), most recently used first."""
    user_id = principal.require_user()
    rows = session.exec(
        select(AuthSession)
        .where(
            AuthSession.user_id == user_id,
            col(AuthSession.revoked_at).is_(None),
            col(AuthSession.expires_at) > utcnow(),
        )
        .order_by(col(AuthSession.last_seen_at).desc())
    ).all()
    return [
        SessionOut(
            id=row.id,
            user_agent=row.user_agent,
            ip=row.ip,
            created_at=as_utc(row.created_at),
            last_seen_at=as_utc(row.last_seen_at),
            expires_at=as_utc(row.expires_at),
            current=row.id == principal.session_id,
        )
        for row in rows
    ]


def revoke_session(session: Session, *, principal: Principal, session_id: int, ip: str = "") -> None:
    """Log out one of the caller's own devices; another user's session id is NotFound."""
    user_id = principal.require_user()
    auth_session = session.get(AuthSession, session_id)
    if auth_session is None or auth_session.user_id != user_id:
        raise NotFound("Session not found.")
    if auth_session.revoked_at is None:
        auth_session.revoked_at = utcnow()
        session.add(auth_session)
        audit.record(
            session,
            action="session_revoked",
            tenant_id=principal.tenant_id,
            user_id=user_id,
            ip=ip,
            detail={"session_id": session_id},
        )
        session.commit()


# --- profile, email verification, passwords -----------------------------------------------------------------


def _user(session: Session, user_id: int) -> User:
    """The logged-in user; Unauthorized when the account was deleted while a session of it was still open."""
    user = session.get(User, user_id)
    if user is None:
        raise Unauthorized(code="session_ended")
    return user


def get_me(session: Session, *, principal: Principal) -> MeOut:
    """The caller's profile and current organisation."""
    user = _user(session, principal.require_user())
    tenant = session.get(Tenant, principal.tenant_id) if principal.tenant_id else None
    return MeOut(
        id=user.id,
        email=user.email,
        name=user.name,
        phone=user.phone,
        locale=user.locale,
        email_verified=user.email_verified_at is not None,
        phone_verified=user.phone is not None and user.phone_verified_at is not None,
        tenant_id=tenant.id if tenant else None,
        tenant_name=tenant.name if tenant else None,
        role=principal.role if tenant else None,
        session_id=principal.session_id,
    )


def update_profile(
    session: Session,
    *,
    principal: Principal,
    name: str | None = None,
    locale: str | None = None,
    phone: str | None = None,
) -> MeOut:
    """Change the caller's display name or language, or remove their SMS-login number (``phone=""``).

    A new number is saved only by ``confirm_phone``; here ``phone`` may only repeat the confirmed one.
    """
    user = _user(session, principal.require_user())
    fields: dict[str, str] = {}
    if name is not None and not name.strip():
        fields["name"] = "Enter your name."
    if locale is not None and locale not in LOCALES:
        fields["locale"] = "Choose one of: " + ", ".join(LOCALES) + "."
    if phone is not None and phone.strip():
        try:
            typed = phone_input.read(phone, phone_input.caller_country(session, principal=principal))
            unchanged = typed == user.phone and user.phone_verified_at is not None
        except Invalid as exc:
            fields.update(exc.details["fields"])
        else:
            if not unchanged:
                fields["phone"] = PHONE_UNCONFIRMED_MESSAGE
    if fields:
        raise Invalid(fields=fields)
    if name is not None:
        user.name = name.strip()[:120]
    if locale is not None:
        user.locale = locale
    if phone is not None and not phone.strip() and user.phone:
        _expire_pending_sms(session, destination=user.phone)
        user.phone = None
        user.phone_verified_at = None
        audit.record(session, action="phone_removed", tenant_id=principal.tenant_id, user_id=user.id)
    session.add(user)
    session.commit()
    return get_me(session, principal=principal)


def send_phone_code(session: Session, *, principal: Principal, phone: str, verifier: SmsVerifier, ip: str = "") -> str:
    """Text a code that confirms ``phone`` as the caller's SMS-login number; returns the number in E.164.

    ``phone`` is read in the country of the caller's organisation. Capped per number, account, IP and country
    (``sms_limits``). The profile changes only when the code comes back.
    """
    user_id = principal.require_user()
    user = _user(session, user_id)
    normalized = phone_input.read(phone, phone_input.caller_country(session, principal=principal))
    if user.phone == normalized and user.phone_verified_at is not None:
        raise Invalid(fields={"phone": "This number is already confirmed on your account."})
    sms_limits.count_request(destination=normalized, ip=ip, account_id=user_id)
    sms_limits.count_sent(destination=normalized)
    _expire_pending_tokens(session, user_id=user_id, purposes=("verify_phone",))
    _create_one_time_token(session, purpose="verify_phone", user_id=user_id, destination=normalized, ttl=SMS_CODE_TTL)
    session.commit()
    verifier.send_code(normalized)
    return normalized


def confirm_phone(
    session: Session, *, principal: Principal, phone: str, code: str, verifier: SmsVerifier, ip: str = ""
) -> MeOut:
    """Save ``phone`` as the caller's confirmed number when ``code`` is the one ``send_phone_code`` texted to it.

    Conflict when another account confirmed the number first: the caller has just shown they hold it, so saying so
    tells a stranger nothing. A number another account typed but never confirmed does not count.
    """
    user_id = principal.require_user()
    normalized = phone_input.read(phone, phone_input.caller_country(session, principal=principal))
    error = Invalid(CODE_INVALID_MESSAGE, code="invalid_code", fields={"code": CODE_INVALID_MESSAGE})
    _spend_sms_code(
        session,
        purpose="verify_phone",
        destination=normalized,
        code=code,
        verifier=verifier,
        error=error,
        user_id=user_id,
    )
    taken = Conflict(PHONE_TAKEN_MESSAGE, code="phone_taken", fields={"phone": PHONE_TAKEN_MESSAGE})
    owner = session.exec(
        select(User.id).where(
            User.phone == normalized, col(User.phone_verified_at).is_not(None), col(User.id) != user_id
        )
    ).first()
    if owner is not None:
        session.commit()
        raise taken
    user = _user(session, user_id)
    if user.phone and user.phone != normalized:
        _expire_pending_sms(session, destination=user.phone)
    user.phone = normalized
    user.phone_verified_at = utcnow()
    session.add(user)
    audit.record(session, action="phone_verified", tenant_id=principal.tenant_id, user_id=user_id, ip=ip)
    try:
        session.commit()
    except IntegrityError:
        # Another account confirmed the same number in the same instant; the unique index keeps one.
        session.rollback()
        raise taken from None
    return get_me(session, principal=principal)


def resend_email_verification(session: Session, *, principal: Principal) -> None:
    """Send the verification email again (no-op once verified)."""
    user = session.get(User, principal.require_user())
    if user is None or user.email_verified_at is not None:
        return
    rate_limits.hit("email_verification", user.email)
    _send_verification(session, user=user)


def verify_email(session: Session, *, token: str, principal: Principal | None = None, ip: str = "") -> bool:
    """Mark the email of the token's user as verified; True when the password was kept.

    Opened in a browser logged in to this very account (``principal``, e.g. the tab the person signed up in), the
    link proves that the session's holder reads the mailbox: that session and the password stay, other sessions end.
    Opened anywhere else, it cannot tell the mailbox's owner from whoever chose the password, so the password and
    every session of the account end (``prove_mailbox``); the owner logs in by email link or resets the password.
    """
    row = _consume_one_time_token(
        session,
        purpose="verify_email",
        token=token,
        error=Invalid("This link is invalid or has expired.", code="invalid_link"),
    )
    user = session.get(User, row.user_id)
    kept = True
    # The link proves the address it was sent to; if the email changed since, it proves nothing.
    if user is not None and user.email == row.destination and user.email_verified_at is None:
        keep_session_id = principal.session_id if principal is not None and principal.user_id == user.id else None
        same_account = keep_session_id is not None
        kept = same_account or user.password_hash is None
        prove_mailbox(session, user=user, proof="verify_email", keep_session_id=keep_session_id, ip=ip)
    session.commit()
    return kept


def forgot_password(session: Session, *, email: str, ip: str = "") -> None:
    """Email a 1-hour reset link when an active account has this email; silent otherwise."""
    normalized = check_email(email)
    rate_limits.hit("password_reset", normalized)
    user = find_user_by_email(session, email=normalized)
    if user is None or not user.is_active:
        return
    assert user.id is not None, "a stored user has an id"
    token = _create_one_time_token(
        session, purpose="reset_password", user_id=user.id, destination=normalized, ttl=RESET_TTL
    )
    session.commit()
    send_account_email(
        session,
        kind="password_reset",
        to=user.email,
        locale=user.locale,
        name=user.name,
        link=public_link(routes.RESET_PASSWORD, token),
        expires_minutes=int(RESET_TTL.total_seconds() // 60),
    )


def reset_password(session: Session, *, token: str, new_password: str, ip: str = "") -> None:
    """Set a new password from a reset link and log out every session (the old password may be known to someone)."""
    error = Invalid("This link is invalid or has expired.", code="invalid_link")
    # Check the policy before spending the token, so a weak choice does not burn the link.
    row = session.exec(
        select(OneTimeToken).where(
            OneTimeToken.token_hash == hash_secret(token or ""), OneTimeToken.purpose == "reset_password"
        )
    ).first()
    user = session.get(User, row.user_id) if row else None
    if row is None or user is None:
        raise error
    assert user.id is not None, "a stored user has an id"
    check_password_policy(new_password, email=user.email, field="new_password")
    _consume_one_time_token(session, purpose="reset_password", token=token, error=error)
    if not user.is_active or user.email != row.destination:
        session.commit()
        raise error
    # Only the owner of the mailbox could open the link: on an unverified account this also drops the SMS number
    # whoever signed up may have saved.
    prove_mailbox(session, user=user, proof="reset_password", ip=ip)
    user.password_hash = hash_password(new_password)
    session.add(user)
    _expire_pending_tokens(session, user_id=user.id, purposes=("reset_password", "magic_link"))
    revoked = _revoke_sessions(session, user_id=user.id)
    api_keys.revoke_member_keys(session, user_id=user.id, reason="password_reset")
    audit.record(
        session,
        action="password_reset",
        tenant_id=_default_tenant_id(session, user.id),
        user_id=user.id,
        ip=ip,
        detail={"sessions_revoked": revoked},
    )
    session.commit()


def change_password(
    session: Session, *, principal: Principal, current_password: str, new_password: str, ip: str = ""
) -> None:
    """Change the caller's password (current one required if set) and log out their other sessions."""
    user_id = principal.require_user()
    user = _user(session, user_id)
    if user.password_hash and not verify_password(current_password or "", user.password_hash):
        raise Invalid("The current password is wrong.", fields={"current_password": "Wrong password."})
    check_password_policy(new_password, email=user.email, field="new_password")
    user.password_hash = hash_password(new_password)
    session.add(user)
    revoked = _revoke_sessions(session, user_id=user_id, keep_session_id=principal.session_id)
    api_keys.revoke_member_keys(session, user_id=user_id, reason="password_changed")
    audit.record(
        session,
        action="password_changed",
        tenant_id=principal.tenant_id,
        user_id=user_id,
        ip=ip,
        detail={"sessions_revoked": revoked},
    )
    session.commit()
    send_account_email(
        session,
        kind="password_changed",
        to=user.email,
        locale=user.locale,
        name=user.name,
        link=f"{get_settings().public_url}/forgot-password",
    )

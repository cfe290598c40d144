"""Sign in with Google or Microsoft: starting, finishing, signing up, and linking a provider account to a user.

**Starting** (``begin``): an attempt with hashes of the OAuth ``state``, of a cookie of the browser (the binding) and
of the ``nonce``; the nonce is derived from the binding (an HMAC with the server's key), so an id_token only counts
in the browser that asked for it. Linking from settings also records the login session asking.

**Finishing** (``complete``, from the provider's callback): the attempt is claimed once (a conditional update), the
binding and expiry checked, the code traded and the id_token verified (``providers.oidc``). Then:

- a provider account already linked to a user: ``signed_in`` (the login page opens a session, audited as a login
  with the provider as its method);
- linking from settings: the account is linked to the logged-in user (whose session must still be live);
- an address no account uses: ``new`` (the signup page asks for the organisation, then creates both as the
  normal signup does; a verified address counts as verified, otherwise the verification email is sent);
- an address an account uses, verified by the provider: ``confirm_link``. Nothing is signed in: a login link is
  emailed to the account, and the provider account is linked only when that account logs in **in this browser**
  (``link_after_login``, with the link, a password or an SMS code). Someone holding a provider account that claims
  another person's address thus gets nothing: the proof goes to the mailbox, and counts only in the browser that
  started the attempt;
- an address an account uses, not verified by the provider: refused (log in, then link from settings).

A provider account is one user's (unique per provider and subject); a user keeps one account per provider. The
last way to sign in cannot be unlinked from an account without a password.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from ava_app import routes
from ava_app.models import SignInAttempt, User, UserIdentity, as_utc, utcnow
from ava_app.services import accounts, audit, rate_limits
from ava_app.services.accounts import AuthResult, principal_for_session
from ava_app.services.async_bridge import run_coroutine_sync
from ava_app.services.credentials import decrypt_text, encrypt_text
from ava_app.services.errors import Conflict, DomainError, Forbidden, Invalid, RateLimited, Unauthorized
from ava_app.services.principal import Principal
from ava_app.services.providers import calendar_oauth, oidc
from ava_app.services.providers.oidc import PROVIDERS, SignInRefused
from ava_app.settings import get_settings

ATTEMPT_TTL = timedelta(minutes=10)
INTENTS = ("login", "signup", "link")
SIGNED_IN, NEW, CONFIRM_LINK, LINKED = "signed_in", "new", "confirm_link", "linked"


@dataclass(frozen=True)
class SignInStart:
    """Where to send the browser, and the value of the cookie that binds the attempt to it."""

    authorize_url: str
    binding: str


@dataclass(frozen=True)
class PendingSignIn:
    """A verified sign-in waiting on the page: what to do next, and who the provider said the person is."""

    provider: str
    outcome: str
    email: str
    email_verified: bool
    name: str


@dataclass(frozen=True)
class IdentityOut:
    """A linked provider account as the security page shows it."""

    provider: str
    email: str
    created_at: datetime
    last_used_at: datetime | None


def redirect_uri(provider: str) -> str:
    """The callback URL registered with the provider for sign-in."""
    return get_settings().public_url + routes.sign_in_callback(provider)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _nonce_of(binding: str) -> str:
    """The nonce sent with an attempt: derived from the browser's binding, so only that browser can finish it."""
    key = hmac.new(get_settings().secret_key.encode(), b"ava-sign-in-nonce", hashlib.sha256).digest()
    return hmac.new(key, binding.encode(), hashlib.sha256).hexdigest()


# --- starting and finishing ---------------------------------------------------------------------------------


def begin(
    session: Session, *, provider: str, intent: str, principal: Principal | None = None, language: str = "en"
) -> SignInStart:
    """Start a sign-in (``login``/``signup``) or, for a logged-in person, linking a provider (``link``)."""
    if provider not in PROVIDERS or intent not in INTENTS:
        raise SignInRefused(code="sign_in_refused")
    user_id = session_id = None
    if intent == "link":
        if principal is None:
            raise Unauthorized(code="session_ended")
        user_id = principal.require_user()
        if principal.session_id is None:
            raise Forbidden("This action needs a logged-in user, not an API key.", code="user_required")
        session_id = principal.session_id
    endpoints = oidc.sign_in_endpoints(provider)
    state, binding, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), calendar_oauth.new_code_verifier()
    nonce = _nonce_of(binding)
    now = utcnow()
    session.exec(delete(SignInAttempt).where(col(SignInAttempt.expires_at) < now))
    session.add(
        SignInAttempt(
            state_hash=_digest(state),
            binding_hash=_digest(binding),
            nonce_hash=_digest(nonce),
            provider=provider,
            intent=intent,
            user_id=user_id,
            session_id=session_id,
            verifier_encrypted=encrypt_text(verifier),
            expires_at=now + ATTEMPT_TTL,
        )
    )
    session.commit()
    url = oidc.authorization_url(
        endpoints,
        redirect_uri=redirect_uri(provider),
        state=state,
        nonce=nonce,
        code_verifier=verifier,
        language="fr" if language == "fr" else "en",
    )
    return SignInStart(authorize_url=url, binding=binding)


def abandon(session: Session, *, provider: str, state: str, binding: str) -> None:
    """The provider answered with an error (the person cancelled): forget the attempt."""
    session.exec(
        delete(SignInAttempt).where(
            col(SignInAttempt.state_hash) == _digest(state or "-"),
            col(SignInAttempt.binding_hash) == _digest(binding or "-"),
            col(SignInAttempt.provider) == provider,
        )
    )
    session.commit()


def complete(session: Session, *, provider: str, state: str, binding: str, code: str, ip: str = "") -> tuple[str, str]:
    """Finish an attempt from the callback; ``(outcome, intent)``. ``SignInRefused`` (with a precise code) when
    the attempt is unknown, used, expired, from another browser, or the provider's answer does not verify."""
    row = session.exec(
        select(SignInAttempt).where(
            SignInAttempt.state_hash == _digest(state or "-"), SignInAttempt.provider == provider
        )
    ).first()
    if row is None or row.stage != "started":
        raise SignInRefused("This sign-in link is not valid or was already used.", code="sign_in_state_invalid")
    # Claimed once, whatever happens next: a replayed callback finds it used.
    claimed = session.exec(
        update(SignInAttempt)
        .where(col(SignInAttempt.id) == row.id, col(SignInAttempt.stage) == "started")
        .values(stage="claimed")
    )
    session.commit()
    if claimed.rowcount != 1:
        raise SignInRefused("This sign-in link is not valid or was already used.", code="sign_in_state_invalid")
    session.refresh(row)
    intent = row.intent
    try:
        if not binding or not hmac.compare_digest(row.binding_hash, _digest(binding)):
            raise SignInRefused(code="sign_in_other_browser", intent=intent)
        if as_utc(row.expires_at) <= utcnow():
            raise SignInRefused(code="sign_in_expired", intent=intent)
        nonce = _nonce_of(binding)
        if not hmac.compare_digest(row.nonce_hash, _digest(nonce)):
            raise SignInRefused(code="sign_in_other_browser", intent=intent)
        endpoints = oidc.sign_in_endpoints(provider)
        verifier = decrypt_text(row.verifier_encrypted, what="sign-in")
        identity = run_coroutine_sync(
            oidc.identity_from_code(
                endpoints, code=code, code_verifier=verifier, redirect_uri=redirect_uri(provider), nonce=nonce
            )
        )
        if intent == "link":
            _link_for_session(session, row, identity, ip=ip)
            session.delete(row)
            session.commit()
            return LINKED, intent
        outcome = _sign_in_outcome(session, row, identity)
    except DomainError as error:
        session.rollback()
        session.exec(delete(SignInAttempt).where(col(SignInAttempt.id) == row.id))
        session.commit()
        error.details.setdefault("intent", intent)
        raise
    return outcome, intent


def _sign_in_outcome(session: Session, row: SignInAttempt, identity: oidc.VerifiedIdentity) -> str:
    """What a verified login/signup attempt leads to; stored on the attempt for the page (commits)."""
    row.stage, row.subject, row.email = "verified", identity.subject, identity.email
    row.email_verified, row.name = identity.email_verified, identity.name
    linked = _identity(session, provider=identity.provider, subject=identity.subject)
    owner = accounts.find_user_by_email(session, email=identity.email) if identity.email else None
    if linked is not None:
        row.outcome, row.user_id = SIGNED_IN, linked.user_id
    elif owner is None:
        if not accounts.EMAIL_RE.match(identity.email):
            raise SignInRefused(code="sign_in_no_email")
        row.outcome = NEW
    elif not identity.email_verified or not owner.is_active:
        raise SignInRefused(code="sign_in_email_taken")
    else:
        row.outcome, row.user_id = CONFIRM_LINK, owner.id
        row.expires_at = utcnow() + accounts.MAGIC_LINK_TTL
    session.add(row)
    session.commit()
    if row.outcome == CONFIRM_LINK:
        # A link sent a moment ago (rate limit) still works; the page offers the password too.
        with contextlib.suppress(RateLimited):
            accounts.send_magic_link(session, email=identity.email)
    return row.outcome


def _link_for_session(session: Session, row: SignInAttempt, identity: oidc.VerifiedIdentity, *, ip: str) -> None:
    """Link from settings: the login session that asked must still be live and the user's."""
    if row.user_id is None or row.session_id is None:
        raise SignInRefused(code="sign_in_state_invalid")
    try:
        principal = principal_for_session(session, session_id=row.session_id, user_id=row.user_id)
    except Unauthorized:
        raise SignInRefused(code="sign_in_session_ended") from None
    _add_identity(
        session, user_id=row.user_id, identity=identity, tenant_id=principal.tenant_id, ip=ip, proof="session"
    )


def _identity(session: Session, *, provider: str, subject: str) -> UserIdentity | None:
    return session.exec(
        select(UserIdentity).where(UserIdentity.provider == provider, UserIdentity.subject == subject)
    ).first()


def _add_identity(
    session: Session, *, user_id: int, identity: oidc.VerifiedIdentity, tenant_id: int | None, ip: str, proof: str
) -> None:
    """Link ``identity`` to the user (no commit); Conflict when that account is someone else's or the user already
    has one of this provider."""
    taken = _identity(session, provider=identity.provider, subject=identity.subject)
    if taken is not None and taken.user_id != user_id:
        raise Conflict("This account is already linked to another AVA user.", code="sign_in_identity_taken")
    if taken is not None:
        return
    mine = session.exec(
        select(UserIdentity).where(UserIdentity.user_id == user_id, UserIdentity.provider == identity.provider)
    ).first()
    if mine is not None:
        raise Conflict("Unlink the account of this provider first.", code="sign_in_provider_linked")
    session.add(
        UserIdentity(user_id=user_id, provider=identity.provider, subject=identity.subject, email=identity.email)
    )
    audit.record(
        session,
        action="identity_linked",
        tenant_id=tenant_id,
        user_id=user_id,
        ip=ip,
        detail={"provider": identity.provider, "account": identity.email, "proof": proof},
    )


# --- what the pages do with a verified attempt -------------------------------------------------------------------


def _verified_attempt(session: Session, binding: str) -> SignInAttempt | None:
    if not binding:
        return None
    row = session.exec(
        select(SignInAttempt).where(SignInAttempt.binding_hash == _digest(binding), SignInAttempt.stage == "verified")
    ).first()
    if row is None or as_utc(row.expires_at) <= utcnow():
        return None
    return row


def pending(session: Session, *, binding: str) -> PendingSignIn | None:
    """The verified attempt of this browser (its cookie), for the login or signup page; None when there is none."""
    row = _verified_attempt(session, binding)
    if row is None:
        return None
    return PendingSignIn(
        provider=row.provider, outcome=row.outcome, email=row.email, email_verified=row.email_verified, name=row.name
    )


def _take(session: Session, binding: str, outcome: str) -> SignInAttempt:
    """Use up this browser's verified attempt of ``outcome`` (once, even when two events race for it)."""
    row = _verified_attempt(session, binding)
    if row is None or row.outcome != outcome:
        raise SignInRefused("This sign-in has expired. Start again.", code="sign_in_expired")
    gone = session.exec(delete(SignInAttempt).where(col(SignInAttempt.id) == row.id)).rowcount
    if gone != 1:
        session.rollback()
        raise SignInRefused("This sign-in has expired. Start again.", code="sign_in_expired")
    return row


def sign_in(session: Session, *, binding: str, ip: str = "", user_agent: str = "") -> AuthResult:
    """Open a session for the user whose linked provider account this browser's attempt verified."""
    row = _take(session, binding, SIGNED_IN)
    linked = _identity(session, provider=row.provider, subject=row.subject)
    user = session.get(User, linked.user_id) if linked is not None else None
    if linked is None or user is None or not user.is_active:
        session.commit()
        raise SignInRefused(code="sign_in_expired")
    linked.last_used_at = utcnow()
    session.add(linked)
    return accounts.start_session(
        session, user=user, ip=ip, user_agent=user_agent, action="login_succeeded", method=row.provider
    )


def sign_up(
    session: Session,
    *,
    binding: str,
    name: str,
    organisation_name: str,
    industry: str | None = None,
    locale: str = "en",
    timezone: str | None = None,
    country: str | None = None,
    ip: str = "",
    user_agent: str = "",
) -> AuthResult:
    """Create the account (no password) and its organisation for this browser's new provider account, as the normal
    signup does, and open a session. A provider-verified address counts as verified; otherwise it is emailed a
    verification link."""
    if ip:
        rate_limits.hit("signup_ip", ip)
    fields: dict[str, str] = {}
    if not (organisation_name or "").strip():
        fields["organisation_name"] = "Enter the name of your business."
    try:
        industry = accounts.normalize_industry(industry)
    except Invalid as exc:
        fields.update(exc.details["fields"])
    row = _verified_attempt(session, binding)
    if row is None or row.outcome != NEW:
        raise SignInRefused("This sign-in has expired. Start again.", code="sign_in_expired")
    display_name = (name or "").strip() or row.name or row.email.split("@")[0]
    if fields:
        raise Invalid(fields=fields)
    row = _take(session, binding, NEW)
    if accounts.find_user_by_email(session, email=row.email) is not None:
        session.commit()
        raise Conflict("An account already exists for this email. Log in instead.", code="email_taken")
    identity = oidc.VerifiedIdentity(
        provider=row.provider, subject=row.subject, email=row.email, email_verified=row.email_verified, name=row.name
    )
    try:
        user, tenant = accounts.create_account(
            session,
            name=display_name,
            email=row.email,
            password_hash=None,
            organisation_name=organisation_name,
            industry=industry,
            locale=locale,
            timezone=timezone,
            country=country,
            email_verified=row.email_verified,
        )
        assert user.id is not None, "create_account flushes"
        _add_identity(session, user_id=user.id, identity=identity, tenant_id=tenant.id, ip=ip, proof="signup")
        result = accounts.start_session(
            session,
            user=user,
            ip=ip,
            user_agent=user_agent,
            tenant_id=tenant.id,
            action="signup",
            method=row.provider,
        )
    except IntegrityError:
        session.rollback()
        raise Conflict("An account already exists for this email. Log in instead.", code="email_taken") from None
    if not row.email_verified:
        accounts.send_verification(session, user=user)
    return result


def link_after_login(session: Session, *, binding: str, user_id: int, tenant_id: int | None, ip: str = "") -> str:
    """After a login in this browser: link the provider account waiting on proof of that very account.

    Returns the provider linked, or '' (no attempt waiting, or it was for another account: then nothing is linked
    and the attempt is left to expire).
    """
    row = _verified_attempt(session, binding)
    if row is None or row.outcome != CONFIRM_LINK or row.user_id != user_id:
        return ""
    row = _take(session, binding, CONFIRM_LINK)
    identity = oidc.VerifiedIdentity(
        provider=row.provider, subject=row.subject, email=row.email, email_verified=row.email_verified, name=row.name
    )
    try:
        _add_identity(session, user_id=user_id, identity=identity, tenant_id=tenant_id, ip=ip, proof="login")
        session.commit()
    except (Conflict, IntegrityError):
        session.rollback()
        return ""
    return row.provider


# --- settings -----------------------------------------------------------------------------------------------


def list_identities(session: Session, *, principal: Principal) -> list[IdentityOut]:
    """The caller's linked provider accounts (their own only)."""
    user_id = principal.require_user()
    rows = session.exec(
        select(UserIdentity).where(UserIdentity.user_id == user_id).order_by(col(UserIdentity.provider))
    ).all()
    return [
        IdentityOut(provider=row.provider, email=row.email, created_at=row.created_at, last_used_at=row.last_used_at)
        for row in rows
    ]


def unlink(session: Session, *, principal: Principal, provider: str, ip: str = "") -> bool:
    """Unlink the caller's ``provider`` account; False when none is linked. An account without a password keeps
    its last provider (``Forbidden``): set a password first."""
    user_id = principal.require_user()
    row = session.exec(
        select(UserIdentity).where(UserIdentity.user_id == user_id, UserIdentity.provider == provider)
    ).first()
    if row is None:
        return False
    user = session.get(User, user_id)
    others = session.exec(select(func.count()).select_from(UserIdentity).where(UserIdentity.user_id == user_id)).one()
    if user is not None and user.password_hash is None and others <= 1:
        raise Forbidden("This is your only way to sign in. Set a password first.", code="sign_in_last_method")
    session.delete(row)
    audit.record(
        session,
        action="identity_unlinked",
        tenant_id=principal.tenant_id,
        user_id=user_id,
        ip=ip,
        detail={"provider": provider, "account": row.email},
    )
    session.commit()
    return True

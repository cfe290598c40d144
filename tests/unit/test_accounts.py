"""Account services: signup, the three login paths, refresh rotation, verification, passwords and sessions."""

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from ava_app.models import AuditLog, AuthSession, Membership, OneTimeToken, Outbox, Tenant, User, as_utc, utcnow
from ava_app.services import accounts, audit, passwords, rate_limits
from ava_app.services.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited, Unauthorized
from ava_app.services.messaging.outbox import open_bodies
from ava_app.services.principal import Principal
from tests.factories import make_tenant, make_user

PASSWORD = "tulip-garage-42"


class FakeSmsVerifier:
    """Stands in for Twilio Verify: every code sent is ``123456``."""

    def __init__(self):
        self.sent: list[str] = []
        self.checked: list[tuple[str, str]] = []

    def send_code(self, to: str) -> None:
        self.sent.append(to)

    def check_code(self, to: str, code: str) -> bool:
        self.checked.append((to, code))
        return to in self.sent and code == "123456"


@pytest.fixture(autouse=True)
def _fresh_limits(engine):
    rate_limits.reset_rate_limits()
    yield
    rate_limits.reset_rate_limits()


def _signup(db, email="owner@example.com", **extra):
    return accounts.signup(
        db,
        name="Owner",
        email=email,
        password=PASSWORD,
        organisation_name="Bright Smile Dental",
        industry="dental",
        ip="198.51.100.1",
        user_agent="pytest",
        **extra,
    )


def _last_token(db, to: str) -> str:
    message = db.exec(select(Outbox).where(Outbox.to == to).order_by(Outbox.id.desc())).first()
    return re.search(r"token=([\w-]+)", open_bodies(message)[0]).group(1)


def _principal(db, result) -> Principal:
    return accounts.authenticate(db, access_token=result.access_token)


def _actions(db) -> list[str]:
    return [row.action for row in db.exec(select(AuditLog).order_by(AuditLog.id))]


# --- signup ---------------------------------------------------------------------------------------------------


def test_signup_creates_admin_of_new_organisation_and_logs_in(db):
    result = _signup(db, email=" Owner@Example.com ")
    user = db.exec(select(User)).one()
    assert user.email == "owner@example.com"
    assert user.password_hash.startswith("$argon2") and PASSWORD not in user.password_hash
    assert user.email_verified_at is None
    tenant = db.get(Tenant, result.tenant_id)
    assert (tenant.name, tenant.industry) == ("Bright Smile Dental", "clinic"), "the legacy key maps to its preset"
    assert db.exec(select(Membership)).one().role == "admin"
    principal = _principal(db, result)
    assert (principal.user_id, principal.tenant_id, principal.role) == (user.id, tenant.id, "admin")
    message = db.exec(select(Outbox)).one()
    assert message.to == "owner@example.com"
    assert "http://testserver/verify-email?token=" in open_bodies(message)[0]
    assert "signup" in _actions(db)


def test_signup_reports_every_invalid_field(db):
    with pytest.raises(Invalid) as excinfo:
        accounts.signup(db, name="", email="nope", password="owner", organisation_name=" ")
    assert set(excinfo.value.details["fields"]) == {"name", "email", "password", "organisation_name"}
    with pytest.raises(Invalid) as excinfo:
        accounts.signup(db, name="A", email="a@example.com", password="a@example.com", organisation_name="B")
    assert "email" in excinfo.value.details["fields"]["password"]
    assert db.exec(select(User)).first() is None


def test_signup_with_taken_email_conflicts(db):
    _signup(db)
    with pytest.raises(Conflict):
        _signup(db, email="OWNER@example.com")


def test_verify_email_sets_the_date_once(db):
    _signup(db)
    token = _last_token(db, "owner@example.com")
    accounts.verify_email(db, token=token)
    user = db.exec(select(User)).one()
    assert user.email_verified_at is not None
    with pytest.raises(Invalid):
        accounts.verify_email(db, token=token)
    assert db.exec(select(OneTimeToken).where(OneTimeToken.token_hash == token)).first() is None


# --- password login -----------------------------------------------------------------------------------------


def test_login_success_and_same_error_for_wrong_password_or_unknown_email(db):
    _signup(db)
    assert accounts.login(db, email="owner@example.com", password=PASSWORD).access_token
    with pytest.raises(Unauthorized) as wrong:
        accounts.login(db, email="owner@example.com", password="not-the-password")
    with pytest.raises(Unauthorized) as unknown:
        accounts.login(db, email="ghost@example.com", password="not-the-password")
    assert (wrong.value.code, wrong.value.message) == (unknown.value.code, unknown.value.message)
    assert _actions(db).count("login_failed") == 1


def test_unknown_email_costs_the_same_argon2_verify(db, monkeypatch):
    _signup(db)
    calls = []
    real_verify = passwords.pwd_context.verify
    monkeypatch.setattr(passwords.pwd_context, "verify", lambda *args: calls.append(args) or real_verify(*args))
    for email in ("ghost@example.com", "owner@example.com"):
        with pytest.raises(Unauthorized):
            accounts.login(db, email=email, password="not-the-password")
    assert len(calls) == 2
    assert all(hashed.startswith("$argon2") for _password, hashed in calls)


def test_inactive_user_cannot_log_in(db):
    tenant = make_tenant(db)
    make_user(
        db, tenant=tenant, email="gone@example.com", password_hash=passwords.hash_password(PASSWORD), is_active=False
    )
    with pytest.raises(Unauthorized):
        accounts.login(db, email="gone@example.com", password=PASSWORD)


def test_login_rate_limited_per_account_even_with_right_password(db):
    _signup(db)
    for _ in range(5):
        with pytest.raises(Unauthorized):
            accounts.login(db, email="owner@example.com", password="guess-guess-guess")
    with pytest.raises(RateLimited) as excinfo:
        accounts.login(db, email="owner@example.com", password=PASSWORD)
    assert excinfo.value.details["retry_after"] >= 1


def test_login_rate_limited_per_ip_across_accounts(db):
    for index in range(20):
        with pytest.raises(Unauthorized):
            accounts.login(db, email=f"ghost{index}@example.com", password="guess-guess-guess", ip="203.0.113.7")
    with pytest.raises(RateLimited):
        accounts.login(db, email="another@example.com", password="guess-guess-guess", ip="203.0.113.7")
    with pytest.raises(Unauthorized):
        accounts.login(db, email="another@example.com", password="guess-guess-guess", ip="203.0.113.8")


# --- magic link ---------------------------------------------------------------------------------------------


def test_magic_link_logs_in_once_and_verifies_email(db):
    _signup(db)
    accounts.send_magic_link(db, email="OWNER@example.com")
    message = db.exec(select(Outbox).order_by(Outbox.id.desc())).first()
    assert "http://testserver/verify?token=" in open_bodies(message)[0]
    token = _last_token(db, "owner@example.com")
    stored = db.exec(select(OneTimeToken).where(OneTimeToken.purpose == "magic_link")).one()
    assert stored.token_hash != token and (stored.expires_at - stored.created_at) == timedelta(minutes=15)
    result = accounts.login_with_magic_link(db, token=token)
    assert _principal(db, result).role == "admin"
    assert db.exec(select(User)).one().email_verified_at is not None
    with pytest.raises(Unauthorized):
        accounts.login_with_magic_link(db, token=token)
    assert "magic_link_used" in _actions(db)


def test_opening_a_login_link_only_names_its_account_until_the_click(db):
    """Login CSRF: a link to someone else's account, sent to a victim, must not sign the victim's browser in."""
    _signup(db)
    accounts.send_magic_link(db, email="owner@example.com")
    token = _last_token(db, "owner@example.com")
    sessions_before = len(db.exec(select(AuthSession)).all())
    assert accounts.preview_magic_link(db, token=token) == "o***@example.com"
    assert accounts.preview_magic_link(db, token=token) == "o***@example.com", "looking uses nothing up"
    assert len(db.exec(select(AuthSession)).all()) == sessions_before
    accounts.login_with_magic_link(db, token=token)
    for dead in (token, "not-a-token", ""):
        with pytest.raises(Unauthorized):
            accounts.preview_magic_link(db, token=dead)


def test_magic_link_expires(db):
    _signup(db)
    accounts.send_magic_link(db, email="owner@example.com")
    token = _last_token(db, "owner@example.com")
    stored = db.exec(select(OneTimeToken).where(OneTimeToken.purpose == "magic_link")).one()
    stored.expires_at = utcnow() - timedelta(seconds=1)
    db.add(stored)
    db.commit()
    with pytest.raises(Unauthorized):
        accounts.login_with_magic_link(db, token=token)


def test_magic_link_for_unknown_email_is_silent_and_limited(db):
    accounts.send_magic_link(db, email="ghost@example.com")
    assert db.exec(select(Outbox)).first() is None
    accounts.send_magic_link(db, email="ghost@example.com")
    accounts.send_magic_link(db, email="ghost@example.com")
    with pytest.raises(RateLimited):
        accounts.send_magic_link(db, email="ghost@example.com")


def test_tokens_of_one_purpose_do_not_work_for_another(db):
    _signup(db)
    verify_token = _last_token(db, "owner@example.com")
    with pytest.raises(Unauthorized):
        accounts.login_with_magic_link(db, token=verify_token)


# --- SMS code -----------------------------------------------------------------------------------------------


def _phone_user(db, phone="+33612345678"):
    tenant = make_tenant(db)
    return make_user(db, tenant=tenant, email="sms@example.com", phone=phone, phone_verified_at=utcnow())


def test_sms_code_logs_in(db):
    user = _phone_user(db)
    sms = FakeSmsVerifier()
    accounts.send_sms_code(db, phone="+33 6 12 34 56 78", verifier=sms)
    assert sms.sent == ["+33612345678"]
    result = accounts.login_with_sms_code(db, phone="0033612345678", code="123456", verifier=sms)
    assert _principal(db, result).user_id == user.id
    with pytest.raises(Unauthorized):
        accounts.login_with_sms_code(db, phone="+33612345678", code="123456", verifier=sms)
    assert "sms_verified" in _actions(db)


def test_sms_code_dies_after_five_wrong_attempts(db):
    _phone_user(db)
    sms = FakeSmsVerifier()
    accounts.send_sms_code(db, phone="+33612345678", verifier=sms)
    for _ in range(5):
        with pytest.raises(Unauthorized):
            accounts.login_with_sms_code(db, phone="+33612345678", code="000000", verifier=sms)
    with pytest.raises(Unauthorized):
        accounts.login_with_sms_code(db, phone="+33612345678", code="123456", verifier=sms)
    assert len(sms.checked) == 5


def test_sms_code_expires_after_ten_minutes(db):
    _phone_user(db)
    sms = FakeSmsVerifier()
    accounts.send_sms_code(db, phone="+33612345678", verifier=sms)
    row = db.exec(select(OneTimeToken).where(OneTimeToken.purpose == "sms_login")).one()
    assert row.expires_at - row.created_at == timedelta(minutes=10)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.add(row)
    db.commit()
    with pytest.raises(Unauthorized):
        accounts.login_with_sms_code(db, phone="+33612345678", code="123456", verifier=sms)


def test_sms_to_unknown_number_sends_nothing_and_is_limited(db):
    sms = FakeSmsVerifier()
    for _ in range(3):
        accounts.send_sms_code(db, phone="+15550001111", verifier=sms)
    assert sms.sent == []
    with pytest.raises(RateLimited):
        accounts.send_sms_code(db, phone="+15550001111", verifier=sms)
    with pytest.raises(Unauthorized):
        accounts.login_with_sms_code(db, phone="+15550001111", code="123456", verifier=sms)
    with pytest.raises(Invalid):
        accounts.send_sms_code(db, phone="not a phone", verifier=sms)


# --- refresh and sessions -----------------------------------------------------------------------------------


def test_refresh_rotates_and_reuse_revokes_the_family(db):
    first = _signup(db)
    second = accounts.refresh_tokens(db, refresh_token=first.refresh_token)
    assert second.refresh_token != first.refresh_token and second.session_id == first.session_id
    third = accounts.refresh_tokens(db, refresh_token=second.refresh_token)
    with pytest.raises(Unauthorized) as excinfo:
        accounts.refresh_tokens(db, refresh_token=first.refresh_token)
    assert excinfo.value.code == "refresh_reused"
    # The whole family is dead: the newest refresh token and the access token too.
    with pytest.raises(Unauthorized):
        accounts.refresh_tokens(db, refresh_token=third.refresh_token)
    with pytest.raises(Unauthorized):
        accounts.authenticate(db, access_token=third.access_token)
    assert db.get(AuthSession, first.session_id).revoked_at is not None
    assert "refresh_reused" in _actions(db)


def test_unknown_or_expired_refresh_token_is_refused(db):
    first = _signup(db)
    with pytest.raises(Unauthorized):
        accounts.refresh_tokens(db, refresh_token="made-up")
    auth_session = db.get(AuthSession, first.session_id)
    auth_session.expires_at = utcnow() - timedelta(seconds=1)
    db.add(auth_session)
    db.commit()
    with pytest.raises(Unauthorized):
        accounts.refresh_tokens(db, refresh_token=first.refresh_token)


def _age_session(db, session_id: int, *, days: float) -> None:
    """Move a session's login ``days`` into the past, as if it had been refreshed every day since (still live)."""
    auth_session = db.get(AuthSession, session_id)
    auth_session.created_at = utcnow() - timedelta(days=days)
    auth_session.expires_at = utcnow() + timedelta(days=6)
    db.add(auth_session)
    db.commit()


def test_refresh_slides_but_never_past_thirty_days_from_the_login(db):
    first = _signup(db)
    _age_session(db, first.session_id, days=29)
    second = accounts.refresh_tokens(db, refresh_token=first.refresh_token)
    auth_session = db.get(AuthSession, first.session_id)
    login_at = as_utc(auth_session.created_at)
    # One day left: the refresh no longer grants a full week.
    assert as_utc(auth_session.expires_at) == login_at + accounts.SESSION_MAX_AGE
    assert timedelta(days=30) == accounts.SESSION_MAX_AGE

    _age_session(db, first.session_id, days=30.01)
    with pytest.raises(Unauthorized) as excinfo:
        accounts.refresh_tokens(db, refresh_token=second.refresh_token)
    assert excinfo.value.code == "invalid_refresh_token"
    # The access token of that session stops too: the user logs in again.
    with pytest.raises(Unauthorized):
        accounts.authenticate(db, access_token=second.access_token)
    assert accounts.login(db, email="owner@example.com", password=PASSWORD).access_token


def test_logout_kills_the_access_token_at_next_check(db):
    result = _signup(db)
    principal = _principal(db, result)
    accounts.logout(db, principal=principal)
    with pytest.raises(Unauthorized):
        accounts.authenticate(db, access_token=result.access_token)
    with pytest.raises(Unauthorized):
        accounts.refresh_tokens(db, refresh_token=result.refresh_token)


def test_list_and_revoke_own_sessions_only(db):
    laptop = _signup(db)
    phone = accounts.login(db, email="owner@example.com", password=PASSWORD, user_agent="phone")
    principal = _principal(db, laptop)
    sessions = accounts.list_sessions(db, principal=principal)
    assert {row.id for row in sessions} == {laptop.session_id, phone.session_id}
    assert [row.current for row in sessions if row.id == laptop.session_id] == [True]
    accounts.revoke_session(db, principal=principal, session_id=phone.session_id)
    with pytest.raises(Unauthorized):
        accounts.authenticate(db, access_token=phone.access_token)
    other = _signup(db, email="other@example.com")
    with pytest.raises(NotFound):
        accounts.revoke_session(db, principal=principal, session_id=other.session_id)
    assert _principal(db, other).user_id
    assert "session_revoked" in _actions(db)


def test_api_key_principal_cannot_manage_sessions(db):
    key_principal = Principal(user_id=None, tenant_id=1, role="admin", api_key_id=1)
    with pytest.raises(Forbidden):
        accounts.list_sessions(db, principal=key_principal)


# --- passwords ----------------------------------------------------------------------------------------------


def test_change_password_keeps_this_session_and_ends_the_others(db):
    current = _signup(db)
    other = accounts.login(db, email="owner@example.com", password=PASSWORD)
    principal = _principal(db, current)
    with pytest.raises(Invalid):
        accounts.change_password(
            db, principal=principal, current_password="wrong-password", new_password="new-tulip-99"
        )
    with pytest.raises(Invalid):
        accounts.change_password(db, principal=principal, current_password=PASSWORD, new_password="password123")
    accounts.change_password(db, principal=principal, current_password=PASSWORD, new_password="new-tulip-99")
    assert _principal(db, current).user_id == principal.user_id
    with pytest.raises(Unauthorized):
        accounts.authenticate(db, access_token=other.access_token)
    assert accounts.login(db, email="owner@example.com", password="new-tulip-99")
    assert "password_changed" in _actions(db)


def test_reset_password_ends_every_session_and_works_once(db):
    result = _signup(db)
    accounts.forgot_password(db, email="owner@example.com")
    token = _last_token(db, "owner@example.com")
    with pytest.raises(Invalid):
        accounts.reset_password(db, token=token, new_password="short")
    accounts.reset_password(db, token=token, new_password="fresh-tulip-77")
    with pytest.raises(Unauthorized):
        accounts.authenticate(db, access_token=result.access_token)
    with pytest.raises(Invalid):
        accounts.reset_password(db, token=token, new_password="another-tulip-88")
    assert accounts.login(db, email="owner@example.com", password="fresh-tulip-77")
    assert "password_reset" in _actions(db)


def test_forgot_password_for_unknown_email_is_silent(db):
    accounts.forgot_password(db, email="ghost@example.com")
    assert db.exec(select(Outbox)).first() is None


# --- profile and audit --------------------------------------------------------------------------------------


def test_me_and_profile_update(db):
    principal = _principal(db, _signup(db))
    me = accounts.update_profile(db, principal=principal, name="Dr Owner", locale="fr")
    assert (me.name, me.locale, me.role, me.tenant_name) == ("Dr Owner", "fr", "admin", "Bright Smile Dental")
    with pytest.raises(Invalid):
        accounts.update_profile(db, principal=principal, locale="xx")


def test_profile_phone_is_normalised_and_can_be_removed(db):
    principal = _principal(db, _signup(db))
    sms = FakeSmsVerifier()
    accounts.send_phone_code(db, principal=principal, phone="+33 6 12 34 56 78", verifier=sms)
    me = accounts.confirm_phone(db, principal=principal, phone="0033 6 12 34 56 78", code="123456", verifier=sms)
    assert (me.phone, me.phone_verified) == ("+33612345678", True)
    assert accounts.update_profile(db, principal=principal, phone="+33 6 12 34 56 78").phone == "+33612345678"
    with pytest.raises(Invalid) as error:
        accounts.update_profile(db, principal=principal, phone="0612")
    assert "phone" in error.value.details["fields"]
    removed = accounts.update_profile(db, principal=principal, phone="")
    assert (removed.phone, removed.phone_verified) == (None, False)
    assert "phone_removed" in _actions(db)


def test_audit_is_for_admins_of_the_organisation(db):
    admin = _principal(db, _signup(db))
    entries = audit.list_audit(db, principal=admin)
    assert {entry.action for entry in entries} >= {"signup"}
    viewer = Principal(user_id=admin.user_id, tenant_id=admin.tenant_id, role="viewer", session_id=admin.session_id)
    with pytest.raises(Forbidden):
        audit.list_audit(db, principal=viewer)
    other = _principal(db, _signup(db, email="other@example.com"))
    assert {entry.user_id for entry in audit.list_audit(db, principal=other)} == {other.user_id}

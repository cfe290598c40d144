"""Account pre-hijacking: someone signs up with another person's address before that person does.

Signup proves nothing about the mailbox. The first proof (magic link, verification link, invitation link) must end
everything the earlier signer set up: their password, their SMS number and their sessions. Until then the account
may run organisations of its own but cannot join, be added to, or open anyone else's.
"""

import re

import pytest
from sqlmodel import select

from ava_app.models import AuditLog, Membership, Outbox, User, utcnow
from ava_app.services import accounts, api_keys, credentials, integrations, rate_limits, team
from ava_app.services.errors import Forbidden, Invalid, NotFound, Unauthorized
from ava_app.services.messaging.outbox import open_bodies
from tests.unit.test_accounts import FakeSmsVerifier

VICTIM = "victim@example.com"
ATTACKER_PASSWORD = "mallory-owns-this-9"
VICTIM_PASSWORD = "victims-own-secret-5"
ATTACKER_PHONE = "+33699887766"


@pytest.fixture(autouse=True)
def _fresh_limits(engine):
    rate_limits.reset_rate_limits()
    yield
    rate_limits.reset_rate_limits()


def _link_token(db, to: str, path: str) -> str:
    rows = db.exec(select(Outbox).where(Outbox.to == to).order_by(Outbox.id.desc())).all()
    for row in rows:
        found = re.search(re.escape(path) + r"\?token=([\w-]+)", open_bodies(row)[0])
        if found:
            return found.group(1)
    raise AssertionError(f"no {path} link sent to {to}")


def _attacker_signs_up_as_victim(db):
    """The attacker's account under the victim's address, with an SMS number and two logged-in devices."""
    first = accounts.signup(
        db, name="Mallory", email=VICTIM, password=ATTACKER_PASSWORD, organisation_name="Mallory Ltd", ip="203.0.113.5"
    )
    principal = accounts.authenticate(db, access_token=first.access_token)
    # The attacker holds this phone, so confirms it with the code it receives.
    sms = FakeSmsVerifier()
    accounts.send_phone_code(db, principal=principal, phone=ATTACKER_PHONE, verifier=sms)
    accounts.confirm_phone(db, principal=principal, phone=ATTACKER_PHONE, code="123456", verifier=sms)
    second = accounts.login(db, email=VICTIM, password=ATTACKER_PASSWORD)
    return first, second


def _organisation_inviting_victim(db):
    owner = accounts.signup(
        db, name="Olga", email="olga@example.com", password="harbour-lights-42", organisation_name="Olga Dental"
    )
    admin = accounts.authenticate(db, access_token=owner.access_token)
    team.invite_member(db, principal=admin, email=VICTIM, role="admin")
    return admin, _link_token(db, VICTIM, "/invite")


def _assert_attacker_locked_out(db, sessions) -> None:
    with pytest.raises(Unauthorized):
        accounts.login(db, email=VICTIM, password=ATTACKER_PASSWORD)
    for result in sessions:
        with pytest.raises(Unauthorized):
            accounts.authenticate(db, access_token=result.access_token)
        with pytest.raises(Unauthorized):
            accounts.refresh_tokens(db, refresh_token=result.refresh_token)
    # The SMS number the attacker saved is gone too: no code is sent to it any more.
    sms = FakeSmsVerifier()
    accounts.send_sms_code(db, phone=ATTACKER_PHONE, verifier=sms)
    assert sms.sent == []


def test_victims_magic_link_ends_the_attackers_password_number_and_sessions(db):
    attacker_sessions = _attacker_signs_up_as_victim(db)

    accounts.send_magic_link(db, email=VICTIM)
    victim = accounts.login_with_magic_link(db, token=_link_token(db, VICTIM, "/verify"), user_agent="victim")
    assert victim.password_removed is True

    _assert_attacker_locked_out(db, attacker_sessions)
    user = db.exec(select(User).where(User.email == VICTIM)).one()
    assert user.email_verified_at is not None
    assert (user.password_hash, user.phone) == (None, None)
    assert accounts.authenticate(db, access_token=victim.access_token).user_id == user.id
    verified = db.exec(select(AuditLog).where(AuditLog.action == "email_verified")).one()
    assert verified.detail["sessions_revoked"] == 2 and verified.detail["password_removed"] is True


def test_victims_password_reset_also_drops_the_attackers_number(db):
    attacker_sessions = _attacker_signs_up_as_victim(db)

    accounts.forgot_password(db, email=VICTIM)
    accounts.reset_password(db, token=_link_token(db, VICTIM, "/reset-password"), new_password=VICTIM_PASSWORD)

    _assert_attacker_locked_out(db, attacker_sessions)
    assert accounts.login(db, email=VICTIM, password=VICTIM_PASSWORD)


def test_victim_joins_through_the_invitation_and_the_attacker_loses_the_account(db):
    attacker_sessions = _attacker_signs_up_as_victim(db)
    admin, token = _organisation_inviting_victim(db)

    preview = team.preview_invite(db, token=token)
    assert (preview.account_exists, preview.account_verified) == (True, False)
    joined = team.accept_invite_with_signup(db, token=token, name="Victoria", password=VICTIM_PASSWORD)

    _assert_attacker_locked_out(db, attacker_sessions)
    victim = accounts.authenticate(db, access_token=joined.access_token)
    assert (victim.tenant_id, victim.role) == (admin.tenant_id, "admin")
    me = accounts.get_me(db, principal=victim)
    assert (me.name, me.email_verified, me.phone) == ("Victoria", True, None)
    assert accounts.login(db, email=VICTIM, password=VICTIM_PASSWORD).user_id == victim.user_id


def test_an_unverified_account_cannot_accept_an_invitation_or_open_another_organisation(db):
    attacker, _other_device = _attacker_signs_up_as_victim(db)
    principal = accounts.authenticate(db, access_token=attacker.access_token)
    admin, token = _organisation_inviting_victim(db)

    with pytest.raises(Forbidden) as excinfo:
        team.accept_invite(db, principal=principal, token=token)
    assert excinfo.value.code == "email_unverified"
    assert db.exec(select(Membership).where(Membership.tenant_id == admin.tenant_id)).all() == [
        db.exec(select(Membership).where(Membership.user_id == admin.user_id)).one()
    ]
    assert team.preview_invite(db, token=token).email == VICTIM, "the invitation is still pending"

    # Its own organisations: creating one is fine (onboarding stays fast), switching is not until verified.
    second = team.create_organisation(db, principal=principal, name="Mallory Two")
    assert second.role == "admin"
    with pytest.raises(Forbidden) as excinfo:
        team.switch_organisation(db, principal=second, tenant_id=principal.tenant_id)
    assert excinfo.value.code == "email_unverified"
    with pytest.raises(NotFound):
        team.switch_organisation(db, principal=second, tenant_id=admin.tenant_id)


def test_verified_account_accepts_and_switches(db):
    signed_up = accounts.signup(
        db, name="Vera", email=VICTIM, password=VICTIM_PASSWORD, organisation_name="Vera Garage"
    )
    principal = accounts.authenticate(db, access_token=signed_up.access_token)
    assert accounts.verify_email(db, token=_link_token(db, VICTIM, "/verify-email"), principal=principal)
    admin, token = _organisation_inviting_victim(db)
    joined = team.accept_invite(db, principal=principal, token=token)
    assert joined.tenant_id == admin.tenant_id
    back = team.switch_organisation(db, principal=joined, tenant_id=principal.tenant_id)
    assert back.tenant_id == principal.tenant_id


def test_verification_link_in_the_signup_browser_keeps_the_password_and_that_session(db):
    signed_up = accounts.signup(
        db, name="Vera", email=VICTIM, password=VICTIM_PASSWORD, organisation_name="Vera Garage"
    )
    other_device = accounts.login(db, email=VICTIM, password=VICTIM_PASSWORD)
    principal = accounts.authenticate(db, access_token=signed_up.access_token)

    kept = accounts.verify_email(db, token=_link_token(db, VICTIM, "/verify-email"), principal=principal)

    assert kept is True
    assert accounts.authenticate(db, access_token=signed_up.access_token).user_id == principal.user_id
    with pytest.raises(Unauthorized):
        accounts.authenticate(db, access_token=other_device.access_token)
    assert accounts.login(db, email=VICTIM, password=VICTIM_PASSWORD)


@pytest.mark.parametrize("opened_by", ["nobody", "another_account"])
def test_verification_link_opened_elsewhere_ends_the_password_and_every_session(db, opened_by):
    attacker_sessions = _attacker_signs_up_as_victim(db)
    principal = None
    if opened_by == "another_account":
        other = accounts.signup(
            db, name="Neighbour", email="neighbour@example.com", password=VICTIM_PASSWORD, organisation_name="N"
        )
        principal = accounts.authenticate(db, access_token=other.access_token)

    kept = accounts.verify_email(db, token=_link_token(db, VICTIM, "/verify-email"), principal=principal)

    assert kept is False
    _assert_attacker_locked_out(db, attacker_sessions)
    assert db.exec(select(User).where(User.email == VICTIM)).one().email_verified_at is not None
    if principal is not None:
        assert accounts.authenticate(db, access_token=other.access_token).user_id == principal.user_id


def test_a_verified_account_keeps_its_password_and_sessions_on_a_magic_link(db):
    signed_up = accounts.signup(
        db, name="Vera", email=VICTIM, password=VICTIM_PASSWORD, organisation_name="Vera Garage"
    )
    principal = accounts.authenticate(db, access_token=signed_up.access_token)
    accounts.verify_email(db, token=_link_token(db, VICTIM, "/verify-email"), principal=principal)
    accounts.send_magic_link(db, email=VICTIM)
    assert accounts.login_with_magic_link(db, token=_link_token(db, VICTIM, "/verify")).password_removed is False
    assert accounts.authenticate(db, access_token=signed_up.access_token).user_id == principal.user_id
    assert accounts.login(db, email=VICTIM, password=VICTIM_PASSWORD)


def test_what_the_unproven_account_handed_out_stops_at_the_owners_first_proof(db):
    """Keys, invitations, members brought in and a mail server of the pre-hijacker's own do not survive the claim."""
    first, _second = _attacker_signs_up_as_victim(db)
    mallory = accounts.authenticate(db, access_token=first.access_token)
    key = api_keys.create_api_key(db, principal=mallory, name="Exfiltration", role="admin")
    integrations.save_integration(
        db,
        principal=mallory,
        provider="smtp",
        secret={"host": "mail.mallory.example", "port": "587", "tls": "starttls", "username": "m", "password": "p"},
    )
    # A second, verified account of the attacker's joins through an invitation; another one stays pending.
    team.invite_member(db, principal=mallory, email="mallory2@evil.example", role="admin")
    token = _link_token(db, "mallory2@evil.example", "/invite")
    accomplice = accounts.signup(
        db, name="M2", email="mallory2@evil.example", password="another-evil-pass-7", organisation_name="Evil Two"
    )
    helper = db.get(User, accomplice.user_id)
    helper.email_verified_at = utcnow()
    db.add(helper)
    db.commit()
    team.accept_invite(db, principal=accounts.authenticate(db, access_token=accomplice.access_token), token=token)
    team.invite_member(db, principal=mallory, email="pending@evil.example", role="user")
    assert api_keys.authenticate_api_key(db, key=key.key).tenant_id == mallory.tenant_id

    accounts.send_magic_link(db, email=VICTIM)
    accounts.login_with_magic_link(db, token=_link_token(db, VICTIM, "/verify"))

    with pytest.raises(Unauthorized):
        api_keys.authenticate_api_key(db, key=key.key)
    assert credentials.get_credential(db, tenant_id=mallory.tenant_id, provider="smtp") is None
    assert (
        db.exec(
            select(Membership).where(Membership.user_id == helper.id, Membership.tenant_id == mallory.tenant_id)
        ).first()
        is None
    )
    with pytest.raises(Invalid):
        team.preview_invite(db, token=_link_token(db, "pending@evil.example", "/invite"))
    verified = db.exec(
        select(AuditLog).where(AuditLog.action == "email_verified", AuditLog.user_id == mallory.user_id)
    ).one()
    assert {key: verified.detail[key] for key in ("api_keys_revoked", "members_removed", "credentials_removed")} == {
        "api_keys_revoked": 1,
        "members_removed": 1,
        "credentials_removed": 1,
    }

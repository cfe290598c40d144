"""An API key acts for the admin who created it: it dies with their admin access or their password.

Revoked when the creator is removed, loses admin, resets or changes the password; refused at once when the
creator's membership ends any other way (leaving); other admins' keys keep working.
"""

import re

import pytest
from sqlmodel import select

from ava_app.models import ApiKey, AuditLog, Outbox
from ava_app.services import accounts, api_keys, rate_limits, team
from ava_app.services.errors import Unauthorized
from ava_app.services.messaging.outbox import open_bodies

PASSWORD = "tulip-garage-42"


@pytest.fixture(autouse=True)
def _fresh_limits(engine):
    rate_limits.reset_rate_limits()
    yield
    rate_limits.reset_rate_limits()


def _signup(db, email):
    result = accounts.signup(db, name="Owner", email=email, password=PASSWORD, organisation_name="Bright Smile")
    return accounts.authenticate(db, access_token=result.access_token)


def _invite_admin(db, owner, email):
    team.invite_member(db, principal=owner, email=email, role="admin")
    message = db.exec(select(Outbox).where(Outbox.to == email).order_by(Outbox.id.desc())).first()
    return re.search(r"token=([\w-]+)", open_bodies(message)[0]).group(1)


def _second_admin(db, owner, email="partner@example.com"):
    token = _invite_admin(db, owner, email)
    result = team.accept_invite_with_signup(db, token=token, name="Partner", password=PASSWORD)
    return accounts.authenticate(db, access_token=result.access_token)


def _works(db, key: str) -> bool:
    try:
        api_keys.authenticate_api_key(db, key=key)
    except Unauthorized:
        return False
    return True


def _revoked_for(db, key_id: int) -> str | None:
    db.expire_all()
    assert db.get(ApiKey, key_id).revoked_at is not None
    line = db.exec(select(AuditLog).where(AuditLog.action == "api_key_revoked").order_by(AuditLog.id.desc())).first()
    return line.detail.get("reason")


@pytest.fixture()
def team_with_keys(db):
    owner = _signup(db, "owner@example.com")
    partner = _second_admin(db, owner)
    partner_key = api_keys.create_api_key(db, principal=partner, name="Partner CRM", role="admin")
    owner_key = api_keys.create_api_key(db, principal=owner, name="Owner till", role="viewer")
    assert _works(db, partner_key.key) and _works(db, owner_key.key)
    return owner, partner, partner_key, owner_key


def test_removing_a_member_revokes_their_keys(db, team_with_keys):
    owner, partner, partner_key, owner_key = team_with_keys
    team.remove_member(db, principal=owner, user_id=partner.user_id)
    assert not _works(db, partner_key.key)
    assert _revoked_for(db, partner_key.id) == "member_removed"
    assert _works(db, owner_key.key)
    # Invited back as admin, the person does not get the old key back.
    token = _invite_admin(db, owner, "partner@example.com")
    login = accounts.login(db, email="partner@example.com", password=PASSWORD)
    team.accept_invite(db, principal=accounts.authenticate(db, access_token=login.access_token), token=token)
    assert accounts.role_in(db, user_id=partner.user_id, tenant_id=owner.tenant_id) == "admin"
    assert not _works(db, partner_key.key)


def test_losing_admin_revokes_their_keys_and_promotion_does_not_revive_them(db, team_with_keys):
    owner, partner, partner_key, owner_key = team_with_keys
    team.change_role(db, principal=owner, user_id=partner.user_id, role="user")
    assert not _works(db, partner_key.key)
    assert _revoked_for(db, partner_key.id) == "role_changed"
    team.change_role(db, principal=owner, user_id=partner.user_id, role="admin")
    assert not _works(db, partner_key.key)
    assert _works(db, owner_key.key)


def test_changing_the_password_revokes_the_keys(db, team_with_keys):
    owner, partner, partner_key, owner_key = team_with_keys
    accounts.change_password(db, principal=partner, current_password=PASSWORD, new_password="fresh-tulip-77")
    assert not _works(db, partner_key.key)
    assert _revoked_for(db, partner_key.id) == "password_changed"
    assert _works(db, owner_key.key)


def test_resetting_the_password_revokes_the_keys(db, team_with_keys):
    owner, partner, partner_key, owner_key = team_with_keys
    accounts.forgot_password(db, email="partner@example.com")
    message = db.exec(select(Outbox).where(Outbox.to == "partner@example.com").order_by(Outbox.id.desc())).first()
    token = re.search(r"reset-password\?token=([\w-]+)", open_bodies(message)[0]).group(1)
    accounts.reset_password(db, token=token, new_password="fresh-tulip-77")
    assert not _works(db, partner_key.key)
    assert _revoked_for(db, partner_key.id) == "password_reset"
    assert _works(db, owner_key.key)


def test_a_key_stops_when_its_creator_leaves_or_is_deactivated(db, team_with_keys):
    owner, partner, partner_key, owner_key = team_with_keys
    team.leave_organisation(db, principal=partner)
    assert not _works(db, partner_key.key)
    assert _works(db, owner_key.key)
    user = db.get(accounts.User, owner.user_id)
    user.is_active = False
    db.add(user)
    db.commit()
    assert not _works(db, owner_key.key)

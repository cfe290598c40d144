"""Team services: invitations, roles, removal, leaving, switching organisation, API keys; the last admin stays."""

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from ava_app.models import ApiKey, Invite, Membership, Outbox, utcnow
from ava_app.services import accounts, api_keys, rate_limits, team
from ava_app.services.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited, Unauthorized
from ava_app.services.messaging.outbox import open_bodies
from ava_app.services.principal import Principal

PASSWORD = "tulip-garage-42"


@pytest.fixture(autouse=True)
def _fresh_limits(engine):
    rate_limits.reset_rate_limits()
    yield
    rate_limits.reset_rate_limits()


def _signup(db, email, organisation="Bright Smile Dental"):
    result = accounts.signup(
        db, name=email.split("@")[0], email=email, password=PASSWORD, organisation_name=organisation
    )
    return result, accounts.authenticate(db, access_token=result.access_token)


def _invite_token(db, to):
    message = db.exec(select(Outbox).where(Outbox.to == to).order_by(Outbox.id.desc())).first()
    assert "http://testserver/invite?token=" in open_bodies(message)[0]
    return re.search(r"token=([\w-]+)", open_bodies(message)[0]).group(1)


def _verify(db, principal, email):
    """Open the verification link in the browser that signed up (its session and password stay)."""
    message = db.exec(select(Outbox).where(Outbox.to == email, Outbox.subject.contains("email"))).first()
    token = re.search(r"token=([\w-]+)", open_bodies(message)[0]).group(1)
    assert accounts.verify_email(db, token=token, principal=principal)


def _join(db, admin, email, role):
    """Invite ``email`` with ``role`` and have them sign up through the invitation."""
    team.invite_member(db, principal=admin, email=email, role=role)
    result = team.accept_invite_with_signup(db, token=_invite_token(db, email), name="New", password=PASSWORD)
    return accounts.authenticate(db, access_token=result.access_token)


def test_invite_new_person_who_signs_up(db):
    _, admin = _signup(db, "owner@example.com")
    invite = team.invite_member(db, principal=admin, email="Nurse@Example.com", role="viewer")
    assert (invite.email, invite.role, invite.status) == ("nurse@example.com", "viewer", "pending")
    assert invite.expires_at - invite.created_at == timedelta(days=7)
    token = _invite_token(db, "nurse@example.com")
    preview = team.preview_invite(db, token=token)
    assert (preview.organisation_name, preview.account_exists) == ("Bright Smile Dental", False)
    result = team.accept_invite_with_signup(db, token=token, name="Nurse", password=PASSWORD)
    nurse = accounts.authenticate(db, access_token=result.access_token)
    assert (nurse.tenant_id, nurse.role) == (admin.tenant_id, "viewer")
    assert accounts.get_me(db, principal=nurse).email_verified
    with pytest.raises(Invalid):
        team.accept_invite_with_signup(db, token=token, name="Again", password=PASSWORD)
    assert [row.status for row in team.list_invites(db, principal=admin)] == ["accepted"]


def test_invite_existing_account_accepts_when_logged_in_as_that_email(db):
    _, admin = _signup(db, "owner@example.com")
    vet_tokens, other = _signup(db, "vet@example.com", organisation="Vet Clinic")
    _, stranger = _signup(db, "stranger@example.com", organisation="Garage")
    _verify(db, other, "vet@example.com")
    team.invite_member(db, principal=admin, email="vet@example.com", role="user")
    token = _invite_token(db, "vet@example.com")
    preview = team.preview_invite(db, token=token)
    assert preview.account_exists and preview.account_verified
    with pytest.raises(Conflict):
        team.accept_invite_with_signup(db, token=token, name="Vet", password=PASSWORD)
    with pytest.raises(Forbidden):
        team.accept_invite(db, principal=stranger, token=token)
    joined = team.accept_invite(db, principal=other, token=token)
    assert (joined.tenant_id, joined.role) == (admin.tenant_id, "user")
    # The same session (same access token) now works in the new organisation.
    assert accounts.authenticate(db, access_token=vet_tokens.access_token).tenant_id == admin.tenant_id
    names = {org.name for org in team.list_organisations(db, principal=joined)}
    assert names == {"Bright Smile Dental", "Vet Clinic"}


def test_invite_rules(db):
    _, admin = _signup(db, "owner@example.com")
    with pytest.raises(Conflict):
        team.invite_member(db, principal=admin, email="owner@example.com", role="user")
    with pytest.raises(Invalid):
        team.invite_member(db, principal=admin, email="x@example.com", role="owner")
    first = team.invite_member(db, principal=admin, email="x@example.com", role="user")
    team.invite_member(db, principal=admin, email="x@example.com", role="viewer")
    statuses = {row.id: row.status for row in team.list_invites(db, principal=admin)}
    assert statuses[first.id] == "revoked"
    viewer = _join(db, admin, "viewer@example.com", "viewer")
    user = _join(db, admin, "user@example.com", "user")
    for principal in (viewer, user):
        with pytest.raises(Forbidden):
            team.invite_member(db, principal=principal, email="y@example.com", role="user")
        with pytest.raises(Forbidden):
            team.list_invites(db, principal=principal)
        assert len(team.list_members(db, principal=principal)) == 3


def test_expired_or_revoked_invite_is_refused(db):
    _, admin = _signup(db, "owner@example.com")
    invite = team.invite_member(db, principal=admin, email="late@example.com", role="user")
    token = _invite_token(db, "late@example.com")
    row = db.get(Invite, invite.id)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.add(row)
    db.commit()
    with pytest.raises(Invalid):
        team.preview_invite(db, token=token)
    again = team.invite_member(db, principal=admin, email="late@example.com", role="user")
    token = _invite_token(db, "late@example.com")
    team.revoke_invite(db, principal=admin, invite_id=again.id)
    with pytest.raises(Invalid):
        team.accept_invite_with_signup(db, token=token, name="Late", password=PASSWORD)


def test_role_change_applies_at_the_next_request(db):
    _, admin = _signup(db, "owner@example.com")
    member = _join(db, admin, "member@example.com", "user")
    token = accounts.login(db, email="member@example.com", password=PASSWORD).access_token
    changed = team.change_role(db, principal=admin, user_id=member.user_id, role="admin")
    assert changed.role == "admin"
    assert accounts.authenticate(db, access_token=token).role == "admin"
    with pytest.raises(Invalid):
        team.change_role(db, principal=admin, user_id=member.user_id, role="owner")


def test_audit_names_the_member_whose_role_changed_or_who_was_removed(db):
    from ava_app.services import audit

    _, admin = _signup(db, "owner@example.com")
    member = _join(db, admin, "member@example.com", "user")
    team.change_role(db, principal=admin, user_id=member.user_id, role="viewer")
    team.remove_member(db, principal=admin, user_id=member.user_id)
    entries = {entry.action: entry.detail for entry in audit.list_audit(db, principal=admin)}
    assert entries["role_changed"] == {
        "member_id": member.user_id,
        "member": "member@example.com",
        "from": "user",
        "to": "viewer",
    }
    assert entries["member_removed"]["member"] == "member@example.com"


def test_last_admin_cannot_be_demoted_removed_or_leave(db):
    _, admin = _signup(db, "owner@example.com")
    member = _join(db, admin, "member@example.com", "user")
    with pytest.raises(Conflict):
        team.change_role(db, principal=admin, user_id=admin.user_id, role="user")
    with pytest.raises(Conflict):
        team.remove_member(db, principal=admin, user_id=admin.user_id)
    with pytest.raises(Conflict):
        team.leave_organisation(db, principal=admin)
    team.change_role(db, principal=admin, user_id=member.user_id, role="admin")
    team.change_role(db, principal=admin, user_id=admin.user_id, role="viewer")
    admins = db.exec(select(Membership).where(Membership.role == "admin")).all()
    assert [row.user_id for row in admins] == [member.user_id]


def test_removed_member_loses_access_at_once(db):
    _, admin = _signup(db, "owner@example.com")
    member = _join(db, admin, "member@example.com", "user")
    token = accounts.login(db, email="member@example.com", password=PASSWORD).access_token
    team.remove_member(db, principal=admin, user_id=member.user_id)
    after = accounts.authenticate(db, access_token=token)
    assert (after.tenant_id, after.role) == (None, None)
    with pytest.raises(Forbidden):
        team.list_members(db, principal=after)
    with pytest.raises(NotFound):
        team.remove_member(db, principal=admin, user_id=member.user_id)


def test_member_can_leave(db):
    _, admin = _signup(db, "owner@example.com")
    member = _join(db, admin, "member@example.com", "viewer")
    left = team.leave_organisation(db, principal=member)
    assert left.tenant_id is None
    assert len(team.list_members(db, principal=admin)) == 1


def test_switch_organisation_only_to_own_memberships(db):
    _, owner = _signup(db, "owner@example.com")
    _, other = _signup(db, "other@example.com", organisation="Other")
    _verify(db, owner, "owner@example.com")
    second = team.create_organisation(db, principal=owner, name="Second Clinic")
    assert second.role == "admin" and second.tenant_id != owner.tenant_id
    back = team.switch_organisation(db, principal=second, tenant_id=owner.tenant_id)
    assert back.tenant_id == owner.tenant_id
    with pytest.raises(NotFound):
        team.switch_organisation(db, principal=owner, tenant_id=other.tenant_id)


def test_a_new_organisation_takes_a_preset_industry_key(db):
    from ava_app.models import Tenant

    _, owner = _signup(db, "owner@example.com")
    legacy = team.create_organisation(db, principal=owner, name="Smile Again", industry="dental")
    assert db.get(Tenant, legacy.tenant_id).industry == "clinic"
    with pytest.raises(Invalid):
        team.create_organisation(db, principal=owner, name="Moon Base", industry="spaceport")


def test_api_keys_shown_once_hashed_and_revocable(db):
    _, admin = _signup(db, "owner@example.com")
    created = api_keys.create_api_key(db, principal=admin, name="Zapier", role="viewer")
    assert created.key.startswith("ava_") and created.prefix == created.key[:12]
    stored = db.exec(select(ApiKey)).one()
    assert created.key not in (stored.key_hash, stored.prefix)
    listed = api_keys.list_api_keys(db, principal=admin)
    assert [item.model_dump().get("key") for item in listed] == [None]
    key_principal = api_keys.authenticate_api_key(db, key=created.key)
    assert (key_principal.tenant_id, key_principal.role, key_principal.user_id) == (admin.tenant_id, "viewer", None)
    with pytest.raises(Forbidden):
        api_keys.create_api_key(db, principal=key_principal, name="Minted", role="admin")
    api_keys.revoke_api_key(db, principal=admin, key_id=created.id)
    with pytest.raises(Unauthorized):
        api_keys.authenticate_api_key(db, key=created.key)
    with pytest.raises(Unauthorized):
        api_keys.authenticate_api_key(db, key="ava_" + "x" * 43)


def test_only_admins_manage_api_keys(db):
    _, admin = _signup(db, "owner@example.com")
    user = _join(db, admin, "member@example.com", "user")
    with pytest.raises(Forbidden):
        api_keys.create_api_key(db, principal=user, name="Mine", role="user")
    with pytest.raises(Forbidden):
        api_keys.list_api_keys(db, principal=user)


def test_principal_roles():
    viewer = Principal(user_id=1, tenant_id=2, role="viewer", session_id=3)
    assert not viewer.can_write and not viewer.is_admin
    with pytest.raises(Forbidden):
        viewer.require_writer()
    assert Principal(user_id=1, tenant_id=2, role="user").require_writer() == 2
    with pytest.raises(Forbidden):
        Principal(user_id=1, tenant_id=None, role=None).require_member()


def _admin_principal(db, admin, email):
    """Another admin of ``admin``'s organisation, made directly (inviting them would spend the invite allowance)."""
    from tests.factories import make_user

    user = make_user(db, email=email)
    db.add(Membership(user_id=user.id, tenant_id=admin.tenant_id, role="admin"))
    db.commit()
    return Principal(user_id=user.id, tenant_id=admin.tenant_id, role="admin")


def _invite_many(db, principal, prefix, count):
    for index in range(count):
        team.invite_member(db, principal=principal, email=f"{prefix}{index}@example.com", role="viewer")


def test_invitations_are_rate_limited_per_inviter_and_per_organisation(db):
    _, owner = _signup(db, "owner@example.com")
    viewer = Principal(user_id=owner.user_id, tenant_id=owner.tenant_id, role="viewer")
    for _ in range(60):
        with pytest.raises(Forbidden):
            team.invite_member(db, principal=viewer, email="spam@example.com", role="user")

    # One admin: 20 an hour, then refused before anything is stored or sent.
    _invite_many(db, owner, "a", 20)
    with pytest.raises(RateLimited) as excinfo:
        team.invite_member(db, principal=owner, email="a20@example.com", role="user")
    assert (excinfo.value.details["rule"], excinfo.value.status_code) == ("invite_inviter", 429)
    assert db.exec(select(Invite).where(Invite.email == "a20@example.com")).first() is None
    assert db.exec(select(Outbox).where(Outbox.to == "a20@example.com")).first() is None

    # The organisation: 50 a day whichever admins send them (the viewer's refused attempts did not count).
    second = _admin_principal(db, owner, "second@example.com")
    third = _admin_principal(db, owner, "third@example.com")
    _invite_many(db, second, "b", 20)
    _invite_many(db, third, "c", 10)
    with pytest.raises(RateLimited) as excinfo:
        team.invite_member(db, principal=third, email="c10@example.com", role="user")
    assert excinfo.value.details["rule"] == "invite_tenant"
    assert len(db.exec(select(Invite).where(Invite.tenant_id == owner.tenant_id)).all()) == 50

    # Another organisation has its own allowance.
    _, other = _signup(db, "other@example.com", organisation="Other Clinic")
    assert team.invite_member(db, principal=other, email="x@example.com", role="user").status == "pending"


def test_invitation_email_subject_has_no_name_the_inviter_typed(db):
    _, admin = _signup(db, "owner@example.com", organisation="Urgent: your account is locked <b>now</b>")
    accounts.update_profile(db, principal=admin, name="AVA Security Team")
    team.invite_member(db, principal=admin, email="nurse@example.com", role="user")
    message = db.exec(select(Outbox).where(Outbox.to == "nurse@example.com")).one()
    assert message.subject == "You are invited to join a team on AVA"
    assert "Urgent: your account is locked <b>now</b>" in message.body_text
    assert "AVA Security Team" in message.body_text
    assert "&lt;b&gt;now&lt;/b&gt;" in message.body_html and "<b>now</b>" not in message.body_html

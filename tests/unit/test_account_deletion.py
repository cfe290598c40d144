"""Deleting one's own account: confirmed by password (or e-mail without one); never leaves an organisation without an
admin; revokes the person's API keys; touches no one else."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from ava_app.models import ApiKey, AuditLog, Membership, User, utcnow
from ava_app.services import account_deletion, api_keys
from ava_app.services.errors import Conflict, Invalid
from ava_app.services.passwords import hash_password
from ava_app.services.principal import Principal
from tests.factories import make_tenant, make_user

PASSWORD = "a-long-password-42"


def person(db: Session, tenant, *, role: str = "admin", password: bool = True) -> Principal:
    user = make_user(db, tenant=tenant, role=role, password_hash=hash_password(PASSWORD) if password else None)
    return Principal(user_id=user.id, tenant_id=tenant.id, role=role)


def test_the_password_or_the_email_confirms_it(db):
    tenant = make_tenant(db, name="Deux Admins")
    with_password, without = person(db, tenant), person(db, tenant, password=False)
    assert account_deletion.confirmation_kind(db, principal=with_password) == "password"
    assert account_deletion.confirmation_kind(db, principal=without) == "email"
    for principal, wrong in ((with_password, "not-it"), (without, "someone@else.test")):
        with pytest.raises(Invalid) as refused:
            account_deletion.delete_own_account(db, principal=principal, confirmation=wrong)
        assert refused.value.details["fields"] == {"confirmation": "not_confirmed"}
    email = db.get(User, without.user_id).email
    account_deletion.delete_own_account(db, principal=without, confirmation=f"  {email.upper()} ")
    db.expire_all()
    assert db.get(User, without.user_id) is None and db.get(User, with_password.user_id) is not None


def test_the_last_admin_hands_over_or_deletes_the_organisation_first(db):
    shared = make_tenant(db, name="Cabinet Partagé")
    admin = person(db, shared)
    person(db, shared, role="user")
    with pytest.raises(Conflict) as refused:
        account_deletion.delete_own_account(db, principal=admin, confirmation=PASSWORD)
    assert (refused.value.code, refused.value.details["organisation"]) == ("account_hand_over", "Cabinet Partagé")

    alone_in = make_tenant(db, name="Solo")
    solo = person(db, alone_in)
    with pytest.raises(Conflict) as refused:
        account_deletion.delete_own_account(db, principal=solo, confirmation=PASSWORD)
    assert refused.value.code == "account_alone"
    # Once that organisation is scheduled for deletion, it does not hold the person back.
    alone_in.deletion_due_at = utcnow()
    db.add(alone_in)
    db.commit()
    account_deletion.delete_own_account(db, principal=solo, confirmation=PASSWORD)
    db.expire_all()
    assert db.get(User, solo.user_id) is None
    assert db.get(User, admin.user_id) is not None


def test_a_deleted_account_takes_its_memberships_and_keys_and_leaves_an_audit_line(db):
    tenant = make_tenant(db, name="Clé Perdue")
    leaving, staying = person(db, tenant), person(db, tenant)
    user_id = leaving.user_id
    created = api_keys.create_api_key(db, principal=leaving, name="CRM sync")
    kept = api_keys.create_api_key(db, principal=staying, name="Warehouse")

    account_deletion.delete_own_account(db, principal=leaving, confirmation=PASSWORD)

    db.expire_all()
    assert db.get(User, user_id) is None
    assert db.exec(select(Membership).where(Membership.user_id == user_id)).all() == []
    keys = {key.name: key.revoked_at for key in db.exec(select(ApiKey)).all()}
    assert keys[created.name] is not None and keys[kept.name] is None
    line = db.exec(select(AuditLog).where(AuditLog.action == "account_deleted")).one()
    assert line.tenant_id == tenant.id and line.detail == {"member_id": user_id}

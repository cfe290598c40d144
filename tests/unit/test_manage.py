"""Operator commands: platform admin is granted and revoked from the command line, and reaches the Principal."""

from __future__ import annotations

from ava_app import manage
from ava_app.models import AuditLog
from ava_app.services import accounts
from ava_app.services.passwords import hash_password
from tests.factories import make_user


def test_platform_admin_is_granted_and_revoked_from_the_command_line(db, capsys):
    user = make_user(db, email="operator@example.com")
    assert manage.main(["platform-admin", "grant", "operator@example.com"]) == 0
    db.expire_all()
    assert db.get(type(user), user.id).is_platform_admin
    assert manage.main(["platform-admin", "revoke", "operator@example.com"]) == 0
    db.expire_all()
    assert not db.get(type(user), user.id).is_platform_admin
    actions = [row.action for row in db.query(AuditLog).filter(AuditLog.user_id == user.id)]
    assert actions[-2:] == ["platform_admin_granted", "platform_admin_revoked"]
    assert manage.main(["platform-admin", "grant", "nobody@example.com"]) == 1
    assert "No user" in capsys.readouterr().err


def test_the_principal_says_platform_admin_only_for_a_granted_user(db):
    user = make_user(db, email="op2@example.com", password_hash=hash_password("a long pass phrase 42"))
    result = accounts.login(db, email="op2@example.com", password="a long pass phrase 42")
    assert not accounts.authenticate(db, access_token=result.access_token).is_platform_admin
    manage.set_platform_admin(email="op2@example.com", granted=True)
    db.expire_all()
    assert accounts.authenticate(db, access_token=result.access_token).is_platform_admin
    assert user.id == result.user_id

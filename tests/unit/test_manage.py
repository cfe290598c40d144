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


def test_rotate_secret_key_reencrypts_every_stored_secret_so_the_old_key_can_go(db, capsys, monkeypatch):
    from ava_app.models import ProviderCredential
    from ava_app.services import credentials
    from ava_app.settings import get_settings
    from tests.factories import make_tenant

    def server_keys(current: str, previous: str | None = None) -> None:
        monkeypatch.setenv("AVA_SECRET_KEY", current)
        if previous is None:
            monkeypatch.delenv("AVA_SECRET_KEY_PREVIOUS", raising=False)
        else:
            monkeypatch.setenv("AVA_SECRET_KEY_PREVIOUS", previous)
        get_settings.cache_clear()

    old, new = "old-server-key-" + "o" * 40, "new-server-key-" + "n" * 40
    server_keys(old)
    tenant = make_tenant(db)
    credentials.save_credential(db, tenant_id=tenant.id, provider="vapi", secret={"api_key": "tenant-vapi-key"})
    webhook_secret = credentials.ensure_tenant_webhook_secret(db, tenant_id=tenant.id).secret

    server_keys(new, previous=old)
    assert manage.main(["rotate-secret-key"]) == 0
    out = capsys.readouterr().out
    assert "Re-encrypted 2 stored secret(s)" in out and "AVA_SECRET_KEY_PREVIOUS can now be removed" in out

    server_keys(new)
    db.expire_all()
    assert credentials.get_credential(db, tenant_id=tenant.id, provider="vapi") == {"api_key": "tenant-vapi-key"}
    assert credentials.ensure_tenant_webhook_secret(db, tenant_id=tenant.id) == (webhook_secret, False)
    # Run again without the old key: nothing left that only it opens.
    assert manage.main(["rotate-secret-key"]) == 0
    # A secret under a key nobody lists any more is named, and the command says it failed.
    row = db.query(ProviderCredential).one()
    row.secret_encrypted = credentials._fernet_for("lost-key-" + "l" * 40).encrypt(b"{}").decode()
    db.add(row)
    db.commit()
    assert manage.main(["rotate-secret-key"]) == 1
    assert f"tenant {tenant.id}: vapi credential" in capsys.readouterr().err
    get_settings.cache_clear()

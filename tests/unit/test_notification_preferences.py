"""/settings/notifications: per-call email and daily digest chosen apart, each member's own, honoured by post_call."""

from __future__ import annotations

import pytest
from sqlmodel import select

from ava_app.models import Membership
from ava_app.services import notification_settings, post_call
from ava_app.services.errors import Forbidden, Invalid, NotFound
from ava_app.services.principal import Principal
from tests.factories import make_call, make_tenant, make_user


@pytest.fixture()
def business(db):
    tenant = make_tenant(db, name="Corner Bakery", timezone="UTC")
    owner = make_user(db, tenant=tenant, email="owner@corner.test")
    viewer = make_user(db, tenant=tenant, role="viewer", email="viewer@corner.test")
    return tenant, owner, viewer


def membership(db, user_id: int, tenant_id: int) -> Membership:
    db.expire_all()
    return db.exec(select(Membership).where(Membership.user_id == user_id, Membership.tenant_id == tenant_id)).one()


def test_per_call_and_digest_are_saved_apart_and_read_back(db, business):
    tenant, owner, _viewer = business
    me = Principal(user_id=owner.id, tenant_id=tenant.id, role="admin")
    first = notification_settings.get_notification_settings(db, principal=me)
    assert (first.per_call, first.digest, first.chosen) == ("every", False, False)
    saved = notification_settings.save_notification_preferences(db, principal=me, per_call="action", digest=True)
    assert (saved.per_call, saved.digest, saved.chosen) == ("action", True, True)
    row = membership(db, owner.id, tenant.id)
    assert (row.notify_mode, row.notify_digest) == ("action", True) and row.notify_chosen_at is not None


def test_the_older_digest_mode_reads_as_no_per_call_email_and_a_digest(db, business):
    tenant, owner, _viewer = business
    me = Principal(user_id=owner.id, tenant_id=tenant.id, role="admin")
    notification_settings.set_notification_settings(db, principal=me, mode="digest")
    read = notification_settings.get_notification_settings(db, principal=me)
    assert (read.mode, read.per_call, read.digest) == ("digest", "never", True)


def test_a_viewer_edits_their_own_choices_and_nobody_elses(db, business):
    tenant, owner, viewer = business
    as_viewer = Principal(user_id=viewer.id, tenant_id=tenant.id, role="viewer")
    notification_settings.save_notification_preferences(db, principal=as_viewer, per_call="never", digest=True)
    assert membership(db, viewer.id, tenant.id).notify_mode == "never"
    owner_row = membership(db, owner.id, tenant.id)
    assert (owner_row.notify_mode, owner_row.notify_digest, owner_row.notify_chosen_at) == ("every", False, None)


def test_another_organisation_is_never_reached(db, business):
    tenant, owner, _viewer = business
    other = make_tenant(db, name="Other Shop")
    # The owner's principal pointed at an organisation they do not belong to (a forged or stale tenant id).
    stranger = Principal(user_id=owner.id, tenant_id=other.id, role="admin")
    with pytest.raises(NotFound):
        notification_settings.save_notification_preferences(db, principal=stranger, per_call="never", digest=True)
    assert db.exec(select(Membership).where(Membership.tenant_id == other.id)).all() == []
    assert membership(db, owner.id, tenant.id).notify_mode == "every"


def test_bad_choices_and_api_keys_are_refused(db, business):
    tenant, owner, _viewer = business
    me = Principal(user_id=owner.id, tenant_id=tenant.id, role="admin")
    with pytest.raises(Invalid):
        notification_settings.save_notification_preferences(db, principal=me, per_call="digest", digest=False)
    with pytest.raises(Forbidden):
        notification_settings.save_notification_preferences(
            db,
            principal=Principal(user_id=None, tenant_id=tenant.id, role="admin", api_key_id=7),
            per_call="never",
            digest=False,
        )


def test_post_call_follows_the_two_choices(db, business, smtp_env):
    tenant, owner, viewer = business
    me = Principal(user_id=owner.id, tenant_id=tenant.id, role="admin")
    notification_settings.save_notification_preferences(db, principal=me, per_call="action", digest=True)
    quiet = make_call(db, tenant=tenant, action_needed=False)
    urgent = make_call(db, tenant=tenant, action_needed=True)
    assert [r.address for r in post_call.recipients_for(db, call=quiet)] == ["viewer@corner.test"]
    assert [r.address for r in post_call.recipients_for(db, call=urgent)] == [
        "owner@corner.test",
        "viewer@corner.test",
    ]

"""The dashboard's setup checklist: each item read from what is stored, dismissal and "we give out the AVA number"."""

from __future__ import annotations

import pytest
from sqlmodel import select

from ava_app import routes
from ava_app.models import Membership, utcnow
from ava_app.services import notification_settings, setup_checklist
from ava_app.services.errors import Forbidden, NotFound
from ava_app.services.principal import Principal
from tests.factories import make_assistant, make_call, make_phone_number, make_tenant, make_user
from tests.statements import statements


@pytest.fixture()
def business(db):
    tenant = make_tenant(db, name="Corner Bakery")
    owner = make_user(db, tenant=tenant, email="owner@corner.test")
    return tenant, owner, Principal(user_id=owner.id, tenant_id=tenant.id, role="admin")


def done(db, principal: Principal) -> dict[str, bool]:
    db.expire_all()
    return {item.key: item.done for item in setup_checklist.setup_checklist(db, principal=principal).items}


def test_a_new_business_has_everything_to_do_in_order_with_where_to_do_it(db, business):
    tenant, _owner, me = business
    # As onboarding leaves it: the industry preset's answers, waiting for the owner to check them.
    make_assistant(db, tenant=tenant, knowledge_base=[{"q": "Open on Sunday?", "a": "Until noon.", "review": True}])
    checklist = setup_checklist.setup_checklist(db, principal=me)
    assert [item.key for item in checklist.items] == list(setup_checklist.ITEMS)
    assert (checklist.done, checklist.total, checklist.complete, checklist.show) == (0, 6, False, True)
    hrefs = {item.key: item.href for item in checklist.items}
    assert hrefs["notifications"] == routes.SETTINGS_NOTIFICATIONS
    assert hrefs["test_call"] == "/assistant?tab=test" and hrefs["number"] == routes.PHONE_NUMBERS


def test_email_verified_is_the_callers_own(db, business):
    tenant, owner, me = business
    colleague = make_user(db, tenant=tenant, role="user", email_verified_at=utcnow())
    assert done(db, me)["email_verified"] is False
    assert done(db, Principal(user_id=colleague.id, tenant_id=tenant.id, role="user"))["email_verified"] is True
    owner.email_verified_at = utcnow()
    db.add(owner)
    db.commit()
    assert done(db, me)["email_verified"] is True


def test_a_number_counts_until_released(db, business):
    tenant, _owner, me = business
    other = make_tenant(db)
    make_phone_number(db, tenant=other)
    assert done(db, me)["number"] is False, "another business's number"
    number = make_phone_number(db, tenant=tenant)
    assert done(db, me)["number"] is True
    number.released_at = utcnow()
    db.add(number)
    db.commit()
    assert done(db, me)["number"] is False


def test_only_a_test_call_counts_as_the_test_call(db, business):
    tenant, _owner, me = business
    make_call(db, tenant=tenant, call_type="inbound")
    make_call(db, tenant=make_tenant(db), call_type="test")
    assert done(db, me)["test_call"] is False
    make_call(db, tenant=tenant, call_type="test")
    assert done(db, me)["test_call"] is True


def test_answers_are_reviewed_once_no_entry_is_marked_for_review(db, business):
    tenant, _owner, me = business
    assert done(db, me)["answers_reviewed"] is True, "no assistant, nothing to review"
    assistant = make_assistant(
        db,
        tenant=tenant,
        knowledge_base=[{"q": "Open on Sunday?", "a": "Until noon.", "review": True}, {"q": "Parking?", "a": "Yes."}],
    )
    assert done(db, me)["answers_reviewed"] is False
    assistant.knowledge_base = [{"q": "Open on Sunday?", "a": "No.", "review": False}, {"q": "Parking?", "a": "Yes."}]
    db.add(assistant)
    db.commit()
    assert done(db, me)["answers_reviewed"] is True


def test_notifications_are_chosen_by_saving_the_page_not_by_the_default(db, business):
    tenant, _owner, me = business
    assert done(db, me)["notifications"] is False
    notification_settings.set_notification_settings(db, principal=me, mode="every")
    assert done(db, me)["notifications"] is False, "the API's mode alone is not the page's choice"
    notification_settings.save_notification_preferences(db, principal=me, per_call="action", digest=False)
    assert done(db, me)["notifications"] is True
    colleague = make_user(db, tenant=tenant, role="viewer")
    assert done(db, Principal(user_id=colleague.id, tenant_id=tenant.id, role="viewer"))["notifications"] is False


def test_forwarding_is_done_by_a_confirmed_forward_or_by_giving_out_the_ava_number(db, business):
    tenant, owner, me = business
    number = make_phone_number(db, tenant=tenant, forwarded_from="+14155550100")
    assert done(db, me)["forwarding"] is False, "a forwarded line not yet seen"
    number.forwarding_confirmed_at = utcnow()
    db.add(number)
    db.commit()
    assert done(db, me)["forwarding"] is True

    other = make_tenant(db)
    other_owner = make_user(db, tenant=other)
    them = Principal(user_id=other_owner.id, tenant_id=other.id, role="admin")
    assert done(db, them)["forwarding"] is False
    checklist = setup_checklist.give_out_ava_number(db, principal=them)
    assert {item.key: item.done for item in checklist.items}["forwarding"] is True


def test_a_viewer_cannot_say_the_business_gives_out_its_number(db, business):
    tenant, _owner, _me = business
    viewer = make_user(db, tenant=tenant, role="viewer")
    as_viewer = Principal(user_id=viewer.id, tenant_id=tenant.id, role="viewer")
    assert setup_checklist.setup_checklist(db, principal=as_viewer).can_choose_reach is False
    with pytest.raises(Forbidden):
        setup_checklist.give_out_ava_number(db, principal=as_viewer)
    db.expire_all()
    assert db.get(type(tenant), tenant.id).gives_out_ava_number_at is None


def test_all_done_hides_the_checklist(db, business):
    tenant, owner, me = business
    owner.email_verified_at = utcnow()
    db.add(owner)
    db.commit()
    make_phone_number(db, tenant=tenant)
    make_call(db, tenant=tenant, call_type="test")
    notification_settings.save_notification_preferences(db, principal=me, per_call="every", digest=True)
    setup_checklist.give_out_ava_number(db, principal=me)
    checklist = setup_checklist.setup_checklist(db, principal=me)
    assert (checklist.done, checklist.complete, checklist.dismissed, checklist.show) == (6, True, False, False)


def test_dismissing_is_remembered_for_the_caller_only(db, business):
    tenant, _owner, me = business
    colleague = make_user(db, tenant=tenant, role="user")
    them = Principal(user_id=colleague.id, tenant_id=tenant.id, role="user")
    checklist = setup_checklist.dismiss_setup_checklist(db, principal=me)
    assert (checklist.dismissed, checklist.show, checklist.complete) == (True, False, False)
    assert setup_checklist.setup_checklist(db, principal=me).show is False
    assert setup_checklist.setup_checklist(db, principal=them).show is True
    first = db.exec(select(Membership.setup_dismissed_at).where(Membership.user_id == me.user_id)).one()
    setup_checklist.dismiss_setup_checklist(db, principal=me)
    assert db.exec(select(Membership.setup_dismissed_at).where(Membership.user_id == me.user_id)).one() == first


def test_api_keys_and_people_without_an_organisation_are_refused(db, business):
    tenant, owner, _me = business
    with pytest.raises(Forbidden):
        setup_checklist.setup_checklist(db, principal=Principal(user_id=owner.id, tenant_id=None, role=None))
    with pytest.raises(Forbidden):
        setup_checklist.dismiss_setup_checklist(
            db, principal=Principal(user_id=None, tenant_id=tenant.id, role="admin", api_key_id=1)
        )


def test_the_checklist_is_read_in_two_queries(db, engine, business):
    tenant, _owner, me = business
    make_assistant(db, tenant=tenant, knowledge_base=[{"q": "Parking?", "a": "Behind the shop.", "review": True}])
    make_assistant(db, tenant=tenant, knowledge_base=[])
    make_phone_number(db, tenant=tenant, forwarding_confirmed_at=utcnow())
    make_call(db, tenant=tenant, call_type="test")
    db.expire_all()
    with statements(engine) as seen:
        checklist = setup_checklist.setup_checklist(db, principal=me)
    assert len(seen) <= 2, seen
    assert {item.key: item.done for item in checklist.items} == {
        "email_verified": False,
        "number": True,
        "test_call": True,
        "answers_reviewed": False,
        "notifications": False,
        "forwarding": True,
    }


def test_a_caller_no_longer_member_is_told_so(db, business):
    _tenant, owner, me = business
    db.delete(db.exec(select(Membership).where(Membership.user_id == owner.id)).one())
    db.commit()
    with pytest.raises(NotFound):
        setup_checklist.setup_checklist(db, principal=me)

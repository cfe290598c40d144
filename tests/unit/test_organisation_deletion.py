"""Deleting an organisation: an admin types its name, it goes seven days later with everything at AVA and at the
Vapi emulator (numbers, assistant, calls), unless cancelled; another organisation is never touched."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from ava_app.models import AuditLog, Call, Membership, PhoneNumber, Tenant, User, utcnow
from ava_app.services import organisation_deletion
from ava_app.services.errors import Forbidden, Invalid
from ava_app.services.principal import Principal
from ava_app.services.providers.sandbox_keys import sandbox_keys
from tests.factories import make_assistant, make_call, make_phone_number, make_tenant, make_user
from tests.unit.test_assistants import providers

__all__ = ["providers"]
NOW = utcnow()


def at_vapi(providers, kind: str, object_id: str) -> None:
    sandbox = providers.vapi.state.sandbox
    org = sandbox.org_for(f"Bearer {sandbox_keys().vapi_api_key}")
    stamp = NOW.isoformat()
    sandbox.store.insert(kind, {"id": object_id, "orgId": org, "createdAt": stamp, "updatedAt": stamp})


def business(db: Session, name: str, providers=None):
    tenant = make_tenant(db, name=name)
    admin = make_user(db, tenant=tenant)
    assistant = make_assistant(db, tenant=tenant, provider_assistant_id=str(uuid.uuid4()))
    number = make_phone_number(db, tenant=tenant, provider="vapi", provider_number_id=str(uuid.uuid4()))
    call = make_call(db, tenant=tenant)
    if providers is not None:
        at_vapi(providers, "assistant", assistant.provider_assistant_id)
        at_vapi(providers, "phone-number", number.provider_number_id)
        at_vapi(providers, "call", call.provider_call_id)
    principal = Principal(user_id=admin.id, tenant_id=tenant.id, role="admin")
    return tenant, principal, assistant, number, call


def test_the_name_must_be_typed_and_only_admins_ask_or_cancel(db):
    tenant, admin, *_ = business(db, "Garage Martin")
    viewer = Principal(user_id=make_user(db, tenant=tenant, role="viewer").id, tenant_id=tenant.id, role="viewer")
    with pytest.raises(Forbidden):
        organisation_deletion.request_deletion(db, principal=viewer, typed_name="Garage Martin")
    with pytest.raises(Invalid) as refused:
        organisation_deletion.request_deletion(db, principal=admin, typed_name="garage")
    assert refused.value.details["fields"] == {"typed_name": "name_mismatch"}
    assert organisation_deletion.deletion_due(db, tenant_id=tenant.id) is None

    due = organisation_deletion.request_deletion(db, principal=admin, typed_name=" Garage Martin ", now=NOW)
    assert due == NOW + timedelta(days=7)
    # Asking again does not push the date back.
    assert organisation_deletion.request_deletion(db, principal=admin, typed_name="Garage Martin") == due
    with pytest.raises(Forbidden):
        organisation_deletion.cancel_deletion(db, principal=viewer)
    organisation_deletion.cancel_deletion(db, principal=admin)
    assert organisation_deletion.deletion_due(db, tenant_id=tenant.id) is None
    actions = db.exec(select(AuditLog.action).where(AuditLog.tenant_id == tenant.id)).all()
    assert actions == ["org_deletion_requested", "org_deletion_cancelled"]


def test_a_due_organisation_goes_everywhere_and_the_others_stay(db, providers):
    tenant, admin, assistant, number, call = business(db, "Garage Martin", providers)
    kept_tenant, *_, kept_call = business(db, "Garage Voisin", providers)
    owner_id = admin.user_id
    organisation_deletion.request_deletion(db, principal=admin, typed_name="Garage Martin", now=NOW)

    assert organisation_deletion.delete_due_organisations(db, now=NOW + timedelta(days=6)) == []
    assert db.get(Tenant, tenant.id) is not None, "not before the grace period is over"

    ids = (tenant.id, call.id, number.id)
    at_provider = (
        ("assistant", assistant.provider_assistant_id),
        ("phone-number", number.provider_number_id),
        ("call", call.provider_call_id),
    )
    assert organisation_deletion.delete_due_organisations(db, now=NOW + timedelta(days=7, minutes=1)) == [ids[0]]
    db.expire_all()
    assert db.get(Tenant, ids[0]) is None and db.get(Call, ids[1]) is None and db.get(PhoneNumber, ids[2]) is None
    assert db.exec(select(Membership).where(Membership.tenant_id == ids[0])).all() == []
    store = providers.vapi.state.sandbox.store
    assert [store.get(kind, object_id) for kind, object_id in at_provider] == [None, None, None]
    assert db.get(User, owner_id) is not None, "the person stays and can create a new organisation"
    assert db.get(Tenant, kept_tenant.id) is not None and db.get(Call, kept_call.id) is not None
    assert store.get("call", kept_call.provider_call_id) is not None


def test_a_provider_that_cannot_be_reached_leaves_the_organisation_for_the_next_hour(db, providers):
    tenant, admin, *_ = business(db, "Garage Panne", providers)
    tenant_id = tenant.id
    organisation_deletion.request_deletion(db, principal=admin, typed_name="Garage Panne", now=NOW - timedelta(days=8))
    providers.down.add("vapi")
    assert organisation_deletion.delete_due_organisations(db, now=NOW) == []
    db.expire_all()
    assert db.get(Tenant, tenant_id) is not None
    providers.down.clear()
    assert organisation_deletion.delete_due_organisations(db, now=NOW) == [tenant_id]

"""The schema as migrated accepts the factories' rows and enforces its unique keys."""

import pytest
from sqlalchemy.exc import IntegrityError

from ava_app.models import Call
from tests.factories import make_call, make_tenant, make_user


def test_rows_round_trip(db):
    tenant = make_tenant(db, name="Bright Smile Dental", timezone="Europe/Paris")
    user = make_user(db, tenant=tenant, email="owner@example.com")
    call = make_call(db, tenant=tenant, topics=["booking"], cost_breakdown={"total": 0.12})
    db.expire_all()
    stored = db.get(Call, call.id)
    assert stored.tenant_id == tenant.id
    assert stored.topics == ["booking"]
    assert stored.cost_breakdown == {"total": 0.12}
    assert str(stored.cost) == "0.1234"
    assert user.id is not None


def test_provider_call_id_is_unique(db):
    tenant = make_tenant(db)
    make_call(db, tenant=tenant, provider_call_id="dup")
    with pytest.raises(IntegrityError):
        make_call(db, tenant=tenant, provider_call_id="dup")

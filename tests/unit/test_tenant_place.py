"""The tenant's timezone and country are read once per transaction, however many helpers of a page load ask."""

from __future__ import annotations

from ava_app.models import Tenant
from ava_app.services import analytics, calls
from tests.factories import make_tenant
from tests.statements import statements


def test_zone_and_country_are_one_query_per_transaction(db, engine):
    tenant_id = make_tenant(db, timezone="Europe/Paris", country="FR").id
    db.expire_all()
    with statements(engine) as seen:
        for _ in range(3):
            assert analytics.tenant_zone(db, tenant_id=tenant_id).key == "Europe/Paris"
            assert calls.tenant_country(db, tenant_id=tenant_id) == "FR"
    assert len(seen) == 1, seen
    db.commit()
    with statements(engine) as seen:
        assert analytics.tenant_zone(db, tenant_id=tenant_id).key == "Europe/Paris"
    assert len(seen) == 1, "a new transaction reads them again"


def test_a_change_in_the_same_session_is_read_again(db):
    tenant = make_tenant(db, timezone="Europe/Paris", country="FR")
    assert analytics.tenant_zone(db, tenant_id=tenant.id).key == "Europe/Paris"
    row = db.get(Tenant, tenant.id)
    row.timezone, row.country = "America/Toronto", "CA"
    db.add(row)
    assert analytics.tenant_zone(db, tenant_id=tenant.id).key == "America/Toronto", "pending"
    assert calls.tenant_country(db, tenant_id=tenant.id) == "CA"
    row.timezone = "Asia/Tokyo"
    db.flush()
    assert analytics.tenant_zone(db, tenant_id=tenant.id).key == "Asia/Tokyo", "flushed"


def test_another_session_s_commit_shows_in_the_next_transaction(db, engine):
    from sqlmodel import Session

    tenant = make_tenant(db, timezone="Europe/Paris")
    assert analytics.tenant_zone(db, tenant_id=tenant.id).key == "Europe/Paris"
    db.commit()
    with Session(engine) as other:
        row = other.get(Tenant, tenant.id)
        row.timezone = "Europe/Lisbon"
        other.add(row)
        other.commit()
    assert analytics.tenant_zone(db, tenant_id=tenant.id).key == "Europe/Lisbon"


def test_unknown_or_unset_places_fall_back_as_before(db):
    tenant = make_tenant(db, timezone="Mars/Olympus", country=None)
    assert analytics.tenant_zone(db, tenant_id=tenant.id).key == "UTC"
    assert calls.tenant_country(db, tenant_id=tenant.id) == "US"
    assert analytics.tenant_zone(db, tenant_id=tenant.id + 999).key == "UTC"

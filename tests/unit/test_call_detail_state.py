"""The call page keeps refreshing while a summary is on its way: after the call ends, and after an admin re-runs it."""

from __future__ import annotations

import importlib

import pytest
from sqlmodel import select

from ava_app.models import Call, Tenant
from ava_app.services import accounts, assistants
from ava_app.services.principal import Principal
from ava_app.state.call_detail import CallDetailState
from tests.factories import make_call
from tests.unit.test_state_tenant_isolation import PASSWORD, open_page, run, state_of


@pytest.fixture(scope="module", autouse=True)
def reflex_app():
    importlib.import_module("ava_app.ava_app")


class Owner:
    """What ``state_of`` needs: the admin's tokens."""

    def __init__(self, admin: accounts.AuthResult) -> None:
        self.admin = admin


def open_call(db, *, ended_days_ago: int, summary_status: str):
    admin = accounts.signup(
        db, name="Gamma Owner", email="owner@gamma.example", password=PASSWORD, organisation_name="Gamma Garage"
    )
    tenant = db.get(Tenant, admin.tenant_id)
    principal = Principal(user_id=admin.user_id, tenant_id=tenant.id, role="admin", session_id=admin.session_id)
    assistant = assistants.get_or_create_assistant(db, principal=principal)
    call = make_call(
        db,
        tenant=tenant,
        assistant_id=assistant.id,
        minutes_ago=ended_days_ago * 24 * 60,
        summary="Asked about tyres.",
        summary_status=summary_status,
        email_status="sent",
    )
    state = state_of(CallDetailState, Owner(admin))
    open_page(state, f"/calls/{call.id}", "/calls/[id]", {"id": str(call.id)})
    return state, call.id


async def test_a_call_that_just_ended_is_watched_until_its_summary_is_done(engine, db):
    state, call_id = open_call(db, ended_days_ago=0, summary_status="pending")
    await run(state, "load_call")
    assert not state.live and state.watching

    db.get(Call, call_id).summary_status = "done"
    db.commit()
    await run(state, "refresh")
    assert not state.watching


async def test_an_old_call_whose_summary_an_admin_reruns_is_watched_again(engine, db):
    state, call_id = open_call(db, ended_days_ago=7, summary_status="done")
    await run(state, "load_call")
    assert not state.watching  # ended a week ago, nothing on its way

    # The queue is not run here, so the summary stays pending as it would while a worker is busy.
    assert await run(state, "rerun_summary") == ["toast:success"]
    assert db.exec(select(Call.summary_status).where(Call.id == call_id)).one() == "pending"
    assert state.call["summary_pending"] and state.watching

    # Reopening the page later starts from the call's own end again.
    await run(state, "load_call")
    assert not state.watching


async def test_an_old_call_with_pending_work_is_not_watched_forever(engine, db):
    state, _call_id = open_call(db, ended_days_ago=7, summary_status="pending")
    await run(state, "load_call")
    assert state.call["summary_pending"] and not state.watching


@pytest.mark.parametrize("raw_id", [str(2**31), str(2**63), str(10**30), "-5"])
async def test_a_call_id_no_column_can_hold_is_not_found_not_a_database_error(engine, db, raw_id):
    state, _call_id = open_call(db, ended_days_ago=1, summary_status="done")
    open_page(state, f"/calls/{raw_id}", "/calls/[id]", {"id": raw_id})
    assert await run(state, "load_call") == []
    assert state.not_found and state.loaded

"""HubSpot from /settings/integrations in Chromium: connect through the emulator's install page, a summarised call
logged once in HubSpot although its job runs twice (read back with the official ``hubspot-api-client``), a broken
connection asking to reconnect, and disconnecting after a confirmation."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hubspot import HubSpot
from hubspot.crm.objects import PublicObjectSearchRequest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from ava_app.models import CrmConnection, Membership, Tenant
from ava_app.services.credentials import decrypt_text
from ava_app.services.crm import connections, hubspot
from ava_app.services.crm import sync as crm_sync
from ava_app.services.crm.hubspot import HubSpotEndpoints, _sandbox_app_in
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import log_in, make_business, make_member
from tests.factories import make_call

pytestmark = [
    pytest.mark.e2e,
    # The emulator keeps its codes and records in the memory of one process (several web processes with Redis).
    pytest.mark.skipif(bool(os.environ.get("AVA_REDIS_URL")), reason="the HubSpot emulator runs in one process"),
]


def test_an_admin_connects_hubspot_and_a_retried_call_job_logs_once(
    live_server: str, live_data_dir: Path, page: Page, db: Session, monkeypatch
):
    owner = make_member(db, tenant=make_business(db, name="Clinique du Parc"))
    tenant_id = db.exec(select(Membership.tenant_id).where(Membership.user_id == owner.id)).one()
    log_in(page, live_server, owner.email)
    page.goto(live_server + "/settings/integrations")

    card = page.get_by_role("region", name="HubSpot")
    expect(card.get_by_text("Not connected")).to_be_visible()
    card.get_by_role("button", name="Connect with HubSpot").click()
    expect(page.get_by_role("heading", name="Connect AVA to HubSpot")).to_be_visible()
    page.get_by_role("button", name="Connect app").click()

    expect(page).to_have_url(re.compile(r"/settings/integrations\?crm=connected$"))
    card = page.get_by_role("region", name="HubSpot")
    expect(card.get_by_role("status")).to_contain_text("HubSpot is connected")
    expect(card.get_by_text("Connected", exact=True)).to_be_visible()
    expect(card.get_by_text("Through the HubSpot app")).to_be_visible()
    card.screenshot(path=str(ARTIFACTS / "hubspot-connected-en-1440.png"))
    row = db.exec(select(CrmConnection).where(CrmConnection.tenant_id == tenant_id)).one()
    assert row.status == "connected" and row.auth_kind == "oauth"

    # The live server's emulator, reached from this process as the job would reach it.
    api = live_server + "/sandbox/hubspot"
    client_id, client_secret = _sandbox_app_in(live_data_dir.resolve())
    points = HubSpotEndpoints(
        authorize_url=api + "/oauth/authorize",
        api_url=api,
        client_id=client_id,
        client_secret=client_secret,
        sandbox=True,
    )
    monkeypatch.setattr(hubspot, "endpoints", lambda **_: points)
    call = make_call(
        db,
        tenant=db.get(Tenant, tenant_id),
        caller_number="+33612345678",
        summary="Wants a cleaning on Friday morning.",
        summary_status="done",
        outcome="answered",
        action_needed=True,
    )
    crm_sync.sync_call_to_crm.call_local(call.id)
    crm_sync.sync_call_to_crm.call_local(call.id)  # the job retried

    db.expire_all()
    token = decrypt_text(db.get(CrmConnection, row.id).access_token_encrypted)
    official = HubSpot(access_token=token, host=api)
    logged = official.crm.objects.search_api.do_search(
        "calls",
        public_object_search_request=PublicObjectSearchRequest(
            filter_groups=[
                {
                    "filters": [
                        {"propertyName": "hs_call_title", "operator": "EQ", "value": f"Answered by AVA [AVA-{call.id}]"}
                    ]
                }
            ]
        ),
    )
    assert logged.total == 1
    contacts = official.crm.contacts.search_api.do_search(
        public_object_search_request=PublicObjectSearchRequest(
            filter_groups=[{"filters": [{"propertyName": "phone", "operator": "EQ", "value": "+33612345678"}]}]
        )
    )
    assert contacts.total == 1

    # HubSpot refuses the token: the card asks to reconnect.
    assert connections.mark_broken(db, connection_id=row.id, reason="bad_refresh_token")
    page.goto(live_server + "/settings/integrations")
    card = page.get_by_role("region", name="HubSpot")
    expect(card.get_by_text("Needs reconnecting")).to_be_visible()
    expect(card.get_by_role("button", name="Reconnect")).to_be_visible()

    card.get_by_role("button", name="Disconnect").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Disconnect HubSpot?")
    dialog.get_by_role("button", name="Disconnect").click()
    expect(page.get_by_text("HubSpot disconnected.")).to_be_visible()
    expect(card.get_by_text("Not connected")).to_be_visible()
    assert db.exec(select(CrmConnection).where(CrmConnection.tenant_id == tenant_id)).all() == []

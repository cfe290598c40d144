"""/settings/integrations: an admin on its own Vapi account replaces the organisation's webhook secret."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from ava_app.models import WebhookSecret
from ava_app.services import credentials
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import log_in, make_business, make_member

pytestmark = pytest.mark.e2e


def test_an_admin_replaces_the_webhook_secret_after_confirming(live_server: str, page: Page, db: Session):
    business = make_business(db, name="Garage Quatre")
    admin = make_member(db, tenant=business)
    credentials.save_credential(db, tenant_id=business.id, provider="vapi", secret={"api_key": "garage-vapi-key-1"})
    old = credentials.ensure_tenant_webhook_secret(db, tenant_id=business.id).secret
    log_in(page, live_server, admin.email)

    page.goto(live_server + "/settings/integrations")
    expect(page.get_by_text("Webhook secret", exact=True)).to_be_visible()
    expect(page.get_by_text("In use since")).to_be_visible()
    replace = page.get_by_role("button", name="Replace the secret")

    # Cancelling changes nothing.
    replace.click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("The current one stays valid for 24 hours")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert credentials.ensure_tenant_webhook_secret(db, tenant_id=business.id).secret == old

    replace.click()
    page.get_by_role("alertdialog").get_by_role("button", name="Replace the secret").click()
    expect(page.get_by_text("New secret made.")).to_be_visible()
    expect(page.get_by_text("The previous secret is still accepted until")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "webhook-secret-replaced.png"), full_page=True)

    # The old secret's hash is kept for the grace period beside a new current one (this process cannot read the
    # new secret: the server encrypts it under its own key).
    db.expire_all()
    rows = db.exec(select(WebhookSecret).where(WebhookSecret.tenant_id == business.id)).all()
    old_hash = credentials.webhook_secret_hash(old)
    assert {(row.secret_hash == old_hash, row.expires_at is None) for row in rows} == {(True, False), (False, True)}
    assert old not in page.content()

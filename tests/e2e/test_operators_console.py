"""/admin/usage in Chromium as the operators' console: a platform admin suspends an organisation (whose people then
see why), puts it on another plan and resumes it; an organisation's admin is refused the page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from ava_app.models import AuditLog, Tenant
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import log_in, make_business, make_member
from tests.e2e.screenshots import WIDTHS

pytestmark = pytest.mark.e2e

REASON = "Invoice unpaid since March"


def screenshots(browser: Browser, base_url: str, cookies: list) -> None:
    """The console in French and English, light and dark, 390 and 1440 px wide, each checked for its heading and
    for the suspended organisation's badge."""
    out = ARTIFACTS / "operators"
    out.mkdir(parents=True, exist_ok=True)
    expected = {"en": ("Plans and margins", "Suspended"), "fr": ("Forfaits et marges", "Suspendue")}
    for lang, (heading, badge) in expected.items():
        for theme in ("light", "dark"):
            for width_name, (width, height) in WIDTHS.items():
                context = browser.new_context(
                    viewport={"width": width, "height": height},
                    color_scheme=theme,
                    storage_state={"cookies": cookies, "origins": []},
                    locale="fr-CA" if lang == "fr" else "en-GB",
                    timezone_id="America/Montreal",
                )
                storage = {"ava_lang": lang, "theme": theme}
                context.add_init_script("".join(f"localStorage.setItem({k!r}, {v!r});" for k, v in storage.items()))
                shot = context.new_page()
                shot.goto(base_url + "/admin/usage")
                expect(shot.get_by_role("heading", name=heading)).to_be_visible()
                row = shot.get_by_role("row").filter(has_text="Salon Rivoli")
                expect(row.get_by_text(badge, exact=True)).to_be_visible()
                width_used = shot.evaluate("document.documentElement.scrollWidth")
                assert width_used <= width, f"the page is {width_used} px wide at {width} px ({lang}, {theme})"
                shot.screenshot(path=str(out / f"operators-{lang}-{theme}-{width_name}.png"), full_page=True)
                context.close()


def test_an_operator_suspends_re_plans_and_resumes_an_organisation(
    live_server: str, browser: Browser, page: Page, db: Session
):
    operator = make_member(db, tenant=make_business(db, name="AVA Operations"))
    operator.is_platform_admin = True
    db.add(operator)
    salon = make_business(db, name="Salon Rivoli")
    owner = make_member(db, tenant=salon)
    db.commit()

    log_in(page, live_server, operator.email)
    page.goto(live_server + "/admin/usage")
    row = page.get_by_role("row").filter(has_text="Salon Rivoli")
    expect(row.get_by_text("Trial", exact=True).first).to_be_visible()

    # The reason is required; the dialog says so and stays open.
    row.get_by_role("button", name="Suspend").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Salon Rivoli")
    dialog.get_by_role("button", name="Suspend").click()
    expect(dialog.get_by_text("Say why the organisation is suspended: its admins are told.")).to_be_visible()
    dialog.get_by_label("Reason (sent to its admins)").fill(REASON)
    dialog.get_by_role("button", name="Suspend").click()
    expect(page.get_by_text("Salon Rivoli is suspended.")).to_be_visible()
    expect(dialog).to_have_count(0)
    expect(row.get_by_text("Suspended", exact=True)).to_be_visible()
    expect(row.get_by_text(REASON)).to_be_visible()
    db.expire_all()
    assert db.get(Tenant, salon.id).suspended_reason == REASON

    # Only what needs attention: the suspended salon, not the operators' own organisation (on trial).
    page.get_by_role("radio", name="Needing attention").click()
    expect(page.get_by_role("row").filter(has_text="Salon Rivoli")).to_have_count(1)
    expect(page.get_by_role("row").filter(has_text="AVA Operations")).to_have_count(0)
    page.get_by_role("radio", name="All").click()
    expect(page.get_by_role("row").filter(has_text="AVA Operations")).to_have_count(1)

    screenshots(browser, live_server, page.context.cookies())

    # Support's read-only view of the salon, from its name; the look is in the salon's own audit log.
    row.get_by_role("link", name="Salon Rivoli").click()
    expect(page.get_by_role("heading", name="Organisation (support view)")).to_be_visible()
    expect(page.get_by_text(owner.email)).to_be_visible()
    expect(page.get_by_text(REASON)).to_be_visible()
    expect(page.get_by_text("No calls yet.")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "operators" / "support-view-en.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / "operators" / "support-view-en-mobile.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 720})
    db.expire_all()
    looks = db.exec(select(AuditLog).where(AuditLog.tenant_id == salon.id, AuditLog.action == "support_viewed")).all()
    assert [look.user_id for look in looks] == [operator.id]
    page.goto(live_server + "/admin/usage")
    row = page.get_by_role("row").filter(has_text="Salon Rivoli")

    # Everyone in the salon sees why, on every page.
    owner_context = browser.new_context()
    owner_page = owner_context.new_page()
    log_in(owner_page, live_server, owner.email)
    expect(owner_page.locator("#suspended-banner")).to_contain_text(REASON)
    owner_page.screenshot(path=str(ARTIFACTS / "operators" / "suspended-banner-en.png"))
    owner_context.close()

    row.get_by_role("combobox", name="Plan").click()
    page.get_by_role("option", name="Pro").click()
    expect(page.get_by_text("Salon Rivoli is now on Pro.")).to_be_visible()
    expect(row).to_contain_text("0 / 700")

    # The salon's billing page says who set the plan (it pays outside Stripe), not "trial".
    owner_context = browser.new_context()
    owner_page = owner_context.new_page()
    log_in(owner_page, live_server, owner.email)
    owner_page.goto(live_server + "/settings/billing")
    expect(owner_page.locator("#billing-plan-name")).to_have_text("Pro")
    expect(owner_page.get_by_text("Set by AVA's team")).to_be_visible()
    owner_page.screenshot(path=str(ARTIFACTS / "operators" / "billing-managed-en.png"), full_page=True)
    owner_context.close()

    row.get_by_role("button", name="Resume").click()
    expect(page.get_by_text("Salon Rivoli answers calls again.")).to_be_visible()
    expect(row.get_by_role("button", name="Suspend")).to_be_visible()
    db.expire_all()
    tenant = db.get(Tenant, salon.id)
    assert (tenant.suspended_at, tenant.plan) == (None, "pro")
    actions = db.exec(select(AuditLog.action).where(AuditLog.tenant_id == salon.id).order_by(AuditLog.id)).all()
    operators_acts = [action for action in actions if action.startswith("tenant_")]
    assert operators_acts == ["tenant_suspended", "tenant_plan_changed", "tenant_resumed"]


def test_an_organisations_admin_cannot_open_the_support_view(live_server: str, page: Page, db: Session):
    garage = make_business(db, name="Garage Soleil")
    other = make_business(db, name="Cabinet Nord")
    owner = make_member(db, tenant=garage)
    log_in(page, live_server, owner.email)
    for tenant in (other, garage):
        page.goto(f"{live_server}/admin/organisations/{tenant.id}")
        expect(page.get_by_text("Only the platform's operators can see this page.")).to_be_visible()
        expect(page.get_by_text("Cabinet Nord")).to_have_count(0)
    db.expire_all()
    looks = select(AuditLog).where(AuditLog.action == "support_viewed", AuditLog.tenant_id.in_([garage.id, other.id]))
    assert db.exec(looks).all() == []


def test_an_organisations_admin_is_refused_the_console(live_server: str, page: Page, db: Session):
    owner = make_member(db, tenant=make_business(db, name="Garage Lune"))
    log_in(page, live_server, owner.email)
    page.goto(live_server + "/admin/usage")
    expect(page.get_by_text("Only the platform's operators can see this page.")).to_be_visible()
    expect(page.get_by_role("button", name="Suspend")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/admin/usage/?$"))

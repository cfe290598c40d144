"""A new business's dashboard leads with its setup checklist; items turn done as the owner works; then the figures.

Also at 390 px: the figures show, and nothing is wider than the screen; at 1440 px both charts draw their bars.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.members import log_in, make_business, make_member
from tests.factories import make_call, make_phone_number

pytestmark = pytest.mark.e2e


def _overlap(a: dict | None, b: dict | None) -> bool:
    assert a and b
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def item(page: Page, key: str):
    return page.locator(f'[data-setup-item="{key}"]')


def test_checklist_items_turn_done_then_the_dashboard_shows(live_server: str, page: Page, db):
    tenant = make_business(db, name="Checklist Bakery")
    owner = make_member(db, tenant=tenant, name="Checklist Owner")

    log_in(page, live_server, owner.email)
    checklist = page.locator("#setup-checklist")
    expect(checklist).to_be_visible()
    expect(checklist.get_by_text("Get AVA ready for your callers")).to_be_visible()
    # Confirmed email (made so) and no preset answers to review (no assistant yet) are done; the rest is to do.
    expect(page.locator("#setup-progress")).to_have_text("2 of 6 done")
    expect(item(page, "email_verified")).to_have_attribute("data-done", "true")
    expect(item(page, "number")).to_have_attribute("data-done", "false")
    expect(item(page, "number").get_by_role("link")).to_have_attribute("href", "/phone-numbers")
    expect(page.get_by_text("No calls yet")).to_have_count(0)

    # A number and a test call, made behind AVA's back (in the database, so nothing tells open pages): the dashboard
    # ticks them off and lists the test call when it loads again.
    make_phone_number(db, tenant=tenant)
    make_call(db, tenant=tenant, call_type="test")
    page.reload()
    expect(item(page, "test_call")).to_have_attribute("data-done", "true")
    expect(item(page, "number")).to_have_attribute("data-done", "true")
    expect(page.get_by_text("Only test calls so far")).to_be_visible()
    expect(page.get_by_text("No calls yet")).to_have_count(0)

    page.get_by_role("button", name="We give out the AVA number").click()
    expect(item(page, "forwarding")).to_have_attribute("data-done", "true")
    expect(page.locator("#setup-progress")).to_have_text("5 of 6 done")

    # Notifications: chosen on their own page, linked from the checklist.
    item(page, "notifications").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/settings/notifications/?$"))
    page.get_by_text("Only calls needing action").click()
    page.get_by_role("switch", name="Daily digest").click()
    # No mobile confirmed yet: texts cannot be chosen, and the page says where to confirm one.
    expect(page.get_by_role("combobox", name="Texts to your mobile")).to_be_disabled()
    expect(page.get_by_role("link", name="Confirm it in your profile")).to_be_visible()
    # Saved on a phone: the toast shows at the top, never over the page's primary button.
    page.set_viewport_size({"width": 390, "height": 844})
    save = page.get_by_role("button", name="Save")
    save.scroll_into_view_if_needed()
    save.click()
    toast = page.get_by_text("Notification choices saved.")
    expect(toast).to_be_visible()
    assert not _overlap(toast.bounding_box(), save.bounding_box())
    page.set_viewport_size({"width": 1440, "height": 900})
    page.reload()
    expect(page.get_by_role("radio", name="Only calls needing action")).to_be_checked()
    expect(page.get_by_role("switch", name="Daily digest")).to_be_checked()

    # All done: the normal dashboard, its figures, and the honest empty state.
    page.goto(live_server + "/dashboard")
    expect(page.locator("#dash-stats")).to_be_visible()
    expect(page.locator("#setup-checklist")).to_have_count(0)
    expect(page.get_by_text("Only test calls so far")).to_be_visible()

    # On a phone: the figures show and nothing overflows the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("#dash-stats")).to_be_visible()
    expect(page.locator(".kpi-value").first).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390


def test_a_business_with_calls_sees_the_compact_checklist_and_can_hide_it(live_server: str, page: Page, db):
    tenant = make_business(db, name="Busy Florist")
    owner = make_member(db, tenant=tenant, name="Florist Owner")
    make_call(db, tenant=tenant, call_type="inbound", caller_number="+16505550123")

    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, owner.email)
    expect(page.get_by_text("Finish setting up")).to_be_visible()
    expect(page.locator("#dash-stats")).to_be_visible()
    # Compact: only what is left to do.
    expect(item(page, "email_verified")).to_have_count(0)
    expect(item(page, "number")).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390

    page.get_by_role("button", name="Hide this list").click()
    expect(page.locator("#setup-checklist")).to_have_count(0)
    page.reload()
    expect(page.locator("#dash-stats")).to_be_visible()
    expect(page.locator("#setup-checklist")).to_have_count(0)

    # Both charts draw (their figures are plain dicts in the state): bars per day, bars per hour, ticks in between.
    page.set_viewport_size({"width": 1440, "height": 900})
    charts = page.locator(".js-plotly-plot")
    expect(charts).to_have_count(2)
    for index in range(2):
        expect(charts.nth(index).locator(".trace.bars path").first).to_be_attached()
        expect(charts.nth(index).locator(".xtick text").first).to_be_visible()
    # The day's label sits on two lines ("Sat" above "5"): Plotly sets the <br> as a second tspan.
    expect(charts.first.locator(".xtick text tspan.line").first).to_be_attached()

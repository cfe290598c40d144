"""/calls → Recently deleted: a call deleted from the list waits under Recently deleted, a click restores it, and it
is back in the list. Screenshots of the page (FR/EN, light/dark, 390/1440 px) land in the test artifacts."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from ava_app import demo_data
from ava_app.models import Call
from ava_app.services import trash
from ava_app.services.principal import Principal
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import log_in, make_business, make_member
from tests.e2e.screenshots import WIDTHS
from tests.factories import make_call

pytestmark = pytest.mark.e2e
KEPT, DELETED = "+16505550121", "+16505550122"


def shown(e164: str) -> str:
    """A US business's caller as the list writes it: ``(650) 555-0121``."""
    return f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"


def shoot(page: Page, url: str) -> None:
    """The page in both languages, both themes and both widths, signed in as ``page``'s session."""
    folder = ARTIFACTS / "recently-deleted"
    folder.mkdir(parents=True, exist_ok=True)
    signed_in = page.context.storage_state()
    for lang in ("en", "fr"):
        for theme in ("light", "dark"):
            for width_name, (width, height) in WIDTHS.items():
                context = page.context.browser.new_context(
                    viewport={"width": width, "height": height},
                    color_scheme=theme,
                    storage_state={"cookies": signed_in["cookies"], "origins": []},
                )
                context.add_init_script(
                    f"localStorage.setItem('ava_lang', '{lang}');localStorage.setItem('theme', '{theme}');"
                )
                shot = context.new_page()
                shot.goto(url, wait_until="networkidle")
                expect(shot.locator(".trash-row")).to_have_count(1)
                shot.wait_for_timeout(400)
                shot.screenshot(path=str(folder / f"list-{lang}-{theme}-{width_name}.png"), full_page=True)
                context.close()


def test_delete_a_call_find_it_under_recently_deleted_and_restore_it(live_server: str, page: Page, db: Session):
    tenant = make_business(db, name="Garage Ouest")
    owner = make_member(db, tenant=tenant, name="Camille")
    make_call(db, tenant=tenant, caller_number=KEPT, minutes_ago=20, summary="Asked for opening hours")
    make_call(db, tenant=tenant, caller_number=DELETED, minutes_ago=10, summary="Wants a quote for new tyres")

    log_in(page, live_server, owner.email)
    page.goto(live_server + "/calls")
    row = page.get_by_role("row", name=shown(DELETED))
    expect(row).to_be_visible()
    row.get_by_role("checkbox", name="Select this call").click()
    page.get_by_role("button", name="Delete", exact=True).click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("restore them from Recently deleted for 7 days")
    dialog.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("row", name=shown(DELETED))).to_have_count(0)
    expect(page.get_by_role("row", name=shown(KEPT))).to_be_visible()

    page.get_by_role("link", name="Recently deleted").click()
    page.wait_for_url("**/deleted-calls")
    listed = page.locator(".trash-row")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text(shown(DELETED))
    expect(listed).to_contain_text("by Camille")
    expect(listed).to_contain_text("Wants a quote for new tyres")
    shoot(page, live_server + "/deleted-calls")

    listed.get_by_role("button", name="Restore").click()
    expect(page.locator("#trash-empty")).to_contain_text("Nothing deleted recently")
    page.screenshot(path=str(ARTIFACTS / "recently-deleted" / "empty-en-desktop.png"), full_page=True)

    page.get_by_role("link", name="Back to calls").click()
    page.wait_for_url("**/calls")
    expect(page.get_by_role("row", name=shown(DELETED))).to_be_visible()
    expect(page.get_by_role("row", name=shown(KEPT))).to_be_visible()


MORE = trash.PAGE + 30


def shoot_pages(page: Page, url: str, total: int) -> None:
    """The long trash in both languages, themes and widths, in a browser far from the server's time zone: its top
    (the count), its Show more button, and its end once every call is shown."""
    folder = ARTIFACTS / "recently-deleted"
    folder.mkdir(parents=True, exist_ok=True)
    signed_in = page.context.storage_state()
    for lang, count in (("en", f"{total} deleted calls"), ("fr", f"{total} appels supprimés")):
        for theme in ("light", "dark"):
            for width_name, (width, height) in WIDTHS.items():
                context = page.context.browser.new_context(
                    viewport={"width": width, "height": height},
                    color_scheme=theme,
                    timezone_id="Asia/Tokyo",
                    locale="ja-JP",
                    storage_state={"cookies": signed_in["cookies"], "origins": []},
                )
                context.add_init_script(
                    f"localStorage.setItem('ava_lang', '{lang}');localStorage.setItem('theme', '{theme}');"
                )
                shot = context.new_page()
                shot.goto(url, wait_until="networkidle")
                expect(shot.locator("#trash-count")).to_contain_text(count)
                shot.wait_for_timeout(400)
                shot.screenshot(path=str(folder / f"paged-top-{lang}-{theme}-{width_name}.png"))
                shot.locator("#trash-more").scroll_into_view_if_needed()
                shot.wait_for_timeout(200)
                shot.screenshot(path=str(folder / f"paged-more-{lang}-{theme}-{width_name}.png"))
                shot.locator("#trash-more").click()
                expect(shot.locator(".trash-row")).to_have_count(total)
                expect(shot.locator("#trash-more")).to_have_count(0)
                shot.locator(".trash-row").last.scroll_into_view_if_needed()
                shot.wait_for_timeout(400)
                shot.screenshot(path=str(folder / f"paged-end-{lang}-{theme}-{width_name}.png"))
                context.close()


def test_a_long_trash_shows_its_count_and_every_call_page_by_page(live_server: str, page: Page, db: Session):
    tenant = make_business(db, name="Garage Nord")
    owner = make_member(db, tenant=tenant, name="Camille")
    demo_data.generate_calls(db, tenant_id=tenant.id, count=MORE, days=5, seed=11)
    ids = db.exec(select(Call.id).where(Call.tenant_id == tenant.id)).all()
    writer = Principal(user_id=owner.id, tenant_id=tenant.id, role="admin")
    # Counted, not assumed: CI once found one call more than generated here, left by an earlier test's late work
    # (ids restart with every test, so it lands in this business); the paging under test is the same either way.
    total = trash.move_to_trash(db, principal=writer, call_ids=ids)
    assert total == len(ids) >= MORE

    log_in(page, live_server, owner.email)
    page.goto(live_server + "/deleted-calls")
    expect(page.locator(".trash-row")).to_have_count(trash.PAGE)
    expect(page.locator("#trash-count")).to_have_text(f"{total} deleted calls · {trash.PAGE} shown")
    page.get_by_role("button", name="Show more").click()
    expect(page.locator(".trash-row")).to_have_count(total)
    expect(page.locator("#trash-count")).to_have_text(f"{total} deleted calls")
    expect(page.get_by_role("button", name="Show more")).to_have_count(0)
    # A restore far down the list keeps every other row shown.
    page.locator(".trash-row").last.get_by_role("button", name="Restore").click()
    expect(page.locator(".trash-row")).to_have_count(total - 1)
    expect(page.locator("#trash-count")).to_have_text(f"{total - 1} deleted calls")
    shoot_pages(page, live_server + "/deleted-calls", total - 1)

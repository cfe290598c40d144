"""Every signed-in page on a 390 px phone, light and dark: nothing sticks out of the window, no badge out of its card.

The demo business (its month of calls, lines and assistants) gives the pages real content: long caller names,
summaries, badges of every status. An element counts when it reaches past the window's edge, or past the edge of
a clipping box around it (a Radix card clips), while its parent does not: the one to fix, not every descendant.
What sits in a scrolling box may go past it. The page as a whole must not scroll sideways, and a badge must fit
inside every box around it and show its whole text.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import col, select

from ava_app.demo_data import generate_calls
from ava_app.models import Call, Invite, Tenant, utcnow
from ava_app.seed import seed_demo
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import PASSWORD, make_member
from tests.factories import make_phone_number, make_user

pytestmark = pytest.mark.e2e

WIDTH, HEIGHT = 390, 844
PAGES = (
    "/dashboard",
    "/calls",
    "/calls/{call_id}",
    "/assistant",
    "/phone-numbers",
    "/settings",
    "/settings/profile",
    "/settings/team",
    "/settings/webhooks",
    "/onboarding",
)

LONG_FIGURE = "12\u202f345\u202f678,90\u00a0€"

# What sticks out at ``width``: [{what, page-relative box, why}]. Runs in the page.
AUDIT = """
(width) => {
  const problems = [];
  const describe = (el) => {
    const classes = Array.from(el.classList).filter((c) => c.startsWith('rt-') && !c.startsWith('rt-r-')).slice(0, 2);
    const text = (el.innerText || el.getAttribute('aria-label') || '').replace(/\\s+/g, ' ').trim().slice(0, 50);
    return `${el.tagName.toLowerCase()}${classes.map((c) => '.' + c).join('')} "${text}"`;
  };
  const shown = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 1 && box.height > 1 && style.visibility !== 'hidden' && style.position !== 'fixed';
  };
  const holder = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== 'visible') return up;
    }
    return null;
  };
  const root = document.documentElement;
  if (root.scrollWidth > width) problems.push({what: 'page', right: root.scrollWidth, why: 'scrolls sideways'});
  for (const el of document.body.querySelectorAll('*')) {
    if (el instanceof SVGElement && !(el instanceof SVGSVGElement)) continue;
    if (!shown(el)) continue;
    const box = el.getBoundingClientRect();
    const parent = el.parentElement.getBoundingClientRect();
    const around = holder(el);
    if (!around) {
      if (box.right > width + 0.5 && parent.right <= width + 0.5) {
        problems.push({what: describe(el), right: Math.round(box.right), why: 'past the window'});
      }
    } else if (['hidden', 'clip'].includes(getComputedStyle(around).overflowX)
               && getComputedStyle(around).textOverflow !== 'ellipsis') {
      // A card (Radix cards clip) cuts off what does not fit in it: the text is lost, not scrolled to. A box that
      // ends its text with an ellipsis (a select's value, a truncated name) does it on purpose.
      const edge = around.getBoundingClientRect().right + 0.5;
      if (box.right > edge && parent.right <= edge) {
        problems.push({what: describe(el), right: Math.round(box.right), why: `cut off by ${describe(around)}`});
      }
    }
  }
  for (const badge of document.body.querySelectorAll('.rt-Badge')) {
    if (!shown(badge)) continue;
    const box = badge.getBoundingClientRect();
    // Out of any box around it: a card, a card-like button, the row that should have wrapped it.
    for (let up = badge.parentElement; up && up !== document.body; up = up.parentElement) {
      if (box.right > up.getBoundingClientRect().right + 0.5) {
        problems.push({what: describe(badge), right: Math.round(box.right), why: `out of ${describe(up)}`});
        break;
      }
    }
    if (badge.scrollWidth > badge.clientWidth + 1) {
      problems.push({what: describe(badge), right: Math.round(box.right), why: 'text cut'});
    }
  }
  return problems;
}
"""


def add_long_names(db, tenant: Tenant) -> None:
    """What real businesses have and the demo lacks: a long name and address, a pending invitation, a line with a
    long label that is still syncing and forwards the business's own number."""
    make_user(
        db,
        tenant=tenant,
        role="viewer",
        name="Marie-Clémentine de La Tour d'Auvergne-Lauraguais",
        email="marie-clementine.delatourdauvergne@cabinet-dentaire-bright-smile.example",
    )
    db.add(
        Invite(
            tenant_id=tenant.id,
            email="secretariat.accueil.rendezvous@cabinet-dentaire-bright-smile.example",
            role="user",
            token_hash=secrets.token_hex(32),
            expires_at=utcnow() + timedelta(days=7),
        )
    )
    db.commit()
    make_phone_number(
        db,
        tenant=tenant,
        e164="+33187654321",
        label="Ligne principale du cabinet (accueil, urgences)",
        sync_status="pending",
        forwarded_from="+33145678901",
    )


def audit(page: Page, path: str) -> list[str]:
    """The page's overflow problems, one line each."""
    return [f"{path}: {p['what']} right={p['right']} ({p['why']})" for p in page.evaluate(AUDIT, WIDTH)]


def log_in_by_ids(page: Page, base_url: str, email: str) -> None:
    """The password form, whatever the language (by the fields' ids)."""
    page.goto(base_url + "/login")
    page.locator("#login-email").fill(email)
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-password").press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_signed_in_pages_fit_a_phone(live_server: str, browser, db, theme: str, lang: str):
    assert seed_demo(db, password=PASSWORD)
    tenant = db.exec(select(Tenant).where(Tenant.is_demo)).one()
    generate_calls(db, tenant_id=tenant.id, count=40, days=10, seed=5, with_messages=True)
    add_long_names(db, tenant)
    call = db.exec(
        select(Call).where(Call.tenant_id == tenant.id, Call.outcome == "answered").order_by(col(Call.id).desc())
    ).first()

    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, color_scheme=theme)
    context.add_init_script(f"localStorage.setItem('theme', '{theme}'); localStorage.setItem('ava_lang', '{lang}')")
    page = context.new_page()
    problems: list[str] = []
    try:
        # An admin of its own per case: four logins of one account within a minute meet the login limit.
        log_in_by_ids(page, live_server, make_member(db, tenant=tenant).email)
        for template in PAGES:
            path = template.format(call_id=call.id)
            page.goto(live_server + path)
            expect(page).to_have_url(re.compile(re.escape(path) + "/?$"))
            expect(page.get_by_role("heading", level=1).first).to_be_visible()
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(800)  # figures and lists arrive after the first paint
            problems += audit(page, path)
            if path == "/dashboard":
                # A figure as a French business's month may read, with its no-break spaces, in every figure card.
                page.evaluate(
                    f"document.querySelectorAll('.kpi-value').forEach((el) => {{ el.textContent = {LONG_FIGURE!r}; }})"
                )
                problems += audit(page, path + " (long figures)")
            name = path.strip("/").replace("/", "_")
            page.screenshot(path=str(ARTIFACTS / f"mobile-{name}-{lang}-{theme}.png"), full_page=True)
    finally:
        context.close()
    assert problems == [], "\n".join(problems)

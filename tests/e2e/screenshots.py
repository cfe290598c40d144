"""Screenshots of pages in every look a user may have: French/English, light/dark, 390 px and 1440 px wide.

Usage: python -m tests.e2e.screenshots http://127.0.0.1:3000 OUT_DIR /login /dashboard ...
With ``--email`` and ``--password`` the browser logs in first through the login page (signed-in pages): the session
is an httpOnly cookie, which every capture's browser then carries.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.e2e.browser import launch

WIDTHS = {"mobile": (390, 844), "desktop": (1440, 900)}


def signed_in_state(browser, base_url: str, email: str, password: str) -> dict:
    """The cookies of a browser that logged in through the login page (English labels)."""
    context = browser.new_context()
    context.add_init_script("localStorage.setItem('ava_lang', 'en')")
    page = context.new_page()
    page.goto(base_url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/(dashboard|onboarding)/?$"))
    state = context.storage_state()
    context.close()
    return {"cookies": state["cookies"], "origins": []}


def capture(base_url: str, out_dir: Path, paths: list[str], login: tuple[str, str] | None = None) -> list[Path]:
    """Save one PNG per path × language × theme × width; returns the files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    saved = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        signed_in = signed_in_state(browser, base_url, *login) if login else None
        for lang in ("en", "fr"):
            for theme in ("light", "dark"):
                for width_name, (width, height) in WIDTHS.items():
                    context = browser.new_context(
                        viewport={"width": width, "height": height}, color_scheme=theme, storage_state=signed_in
                    )
                    storage = {"ava_lang": lang, "theme": theme}
                    script = "".join(f"localStorage.setItem({k!r}, {v!r});" for k, v in storage.items())
                    context.add_init_script(script)
                    page = context.new_page()
                    for path in paths:
                        page.goto(base_url + path, wait_until="networkidle")
                        page.wait_for_timeout(600)
                        name = path.strip("/").replace("/", "_") or "root"
                        file = out_dir / f"{name}-{lang}-{theme}-{width_name}.png"
                        page.screenshot(path=str(file), full_page=True)
                        saved.append(file)
                    context.close()
        browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("base_url")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--email", default="")
    parser.add_argument("--password", default="")
    args = parser.parse_args()
    login = (args.email, args.password) if args.email else None
    for file in capture(args.base_url.rstrip("/"), args.out_dir, args.paths, login):
        print(file)


if __name__ == "__main__":
    main()

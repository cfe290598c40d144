"""Screenshots of pages in every look a user may have: French/English, light/dark, 390 px and 1440 px wide.

Usage: python -m tests.e2e.screenshots http://127.0.0.1:3000 OUT_DIR /login /dashboard ...
An optional ``--token`` stores a session token in the browser first (signed-in pages).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.e2e.browser import launch

WIDTHS = {"mobile": (390, 844), "desktop": (1440, 900)}


def capture(base_url: str, out_dir: Path, paths: list[str], local_storage: dict[str, str] | None = None) -> list[Path]:
    """Save one PNG per path × language × theme × width; returns the files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    saved = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        for lang in ("en", "fr"):
            for theme in ("light", "dark"):
                for width_name, (width, height) in WIDTHS.items():
                    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=theme)
                    storage = {"ava_lang": lang, "theme": theme, **(local_storage or {})}
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
    parser.add_argument("--token", default="")
    args = parser.parse_args()
    storage = {"ava_session": args.token} if args.token else None
    for file in capture(args.base_url.rstrip("/"), args.out_dir, args.paths, storage):
        print(file)


if __name__ == "__main__":
    main()

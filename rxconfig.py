"""Reflex configuration, derived from AVA's settings (ava_app/settings.py): port, and Redis for state at scale."""

import reflex as rx
from reflex_base.plugins import Plugin

from ava_app.settings import get_settings

# The lucide icons the pages import by name share one chunk, which the shell preloads. Left to the bundler, each icon
# two pages share is a 1 KB chunk of its own that the browser finds only once the page's module has arrived: on the
# dashboard twenty of them, fetched in waves of six over HTTP/1.1 while the figures were already there (bench/README.md,
# "Dashboard on a phone"). The icons that only `DynamicIcon` loads on demand (every lucide icon) stay out of it.
STATIC_ICONS_JS = """
import { readdirSync, readFileSync } from "fs";
const AVA_ICON_FILE = /lucide-react[\\/]dist[\\/]esm[\\/]icons[\\/]([a-z0-9-]+)\\.mjs/;
function avaStaticIcons() {
  const names = new Set();
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = dir + "/" + entry.name;
      if (entry.isDirectory()) walk(path);
      else if (/\\.(jsx?|mjs)$/.test(entry.name))
        for (const found of readFileSync(path, "utf8").matchAll(new RegExp(AVA_ICON_FILE, "g"))) names.add(found[1]);
    }
  };
  for (const dir of ["app", "app_components", "utils", "components"]) {
    try { walk(fileURLToPath(new URL("./" + dir, import.meta.url))); } catch { /* absent in this build */ }
  }
  return names;
}
const avaIcons = avaStaticIcons();
"""
ICON_GROUP_JS = """            {
              test: (id) => avaIcons.has((AVA_ICON_FILE.exec(id) || [])[1]),
              name: "icons",
            },
"""


class StaticIconChunkPlugin(Plugin):
    """Adds the icon chunk to the build's code-splitting groups (Reflex writes vite.config.js before each build)."""

    def pre_compile(self, **context) -> None:
        context["add_modify_task"]("vite.config.js", with_icon_chunk)


def with_icon_chunk(text: str) -> str:
    """``text`` (vite.config.js) with the icon group first; unchanged if already there or if its shape changed."""
    groups, config = "groups: [\n", "export default defineConfig("
    if "avaIcons" in text or groups not in text or config not in text:
        return text
    text = text.replace(config, STATIC_ICONS_JS + "\n" + config, 1)
    return text.replace(groups, groups + ICON_GROUP_JS, 1)


settings = get_settings()

config = rx.Config(
    app_name="ava_app",
    frontend_port=settings.port,
    backend_port=settings.port,
    redis_url=settings.redis_url or None,
    cors_allowed_origins=settings.allowed_origins,
    # The security headers middleware reads each page's inline scripts through this one encoding.
    frontend_compression_formats=["gzip"],
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[
        StaticIconChunkPlugin(),
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="violet", gray_color="slate", radius="large", scaling="100%"),
        ),
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)

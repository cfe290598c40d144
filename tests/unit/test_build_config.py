"""The build groups the icons the pages import by name into one chunk the shell preloads (rxconfig.py)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from reflex_base.compiler.templates import vite_config_template

import rxconfig


def _vite_config() -> str:
    return vite_config_template(base="/", hmr=False, force_full_reload=False, experimental_hmr=False, sourcemap=False)


def test_the_icon_group_is_added_once_before_reflex_s_own():
    config = rxconfig.with_icon_chunk(_vite_config())
    assert config.count('name: "icons"') == 1 and config.count("const avaIcons") == 1
    assert config.index('name: "icons"') < config.index('name: "reflex-env"')
    assert rxconfig.with_icon_chunk(config) == config, "running the build again changes nothing"


def test_an_unknown_config_shape_is_left_alone():
    assert rxconfig.with_icon_chunk("export default {}") == "export default {}"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_only_icons_imported_by_name_are_grouped(tmp_path):
    """An icon a page imports joins the group; one only DynamicIcon would load on demand does not."""
    (tmp_path / "app" / "routes").mkdir(parents=True)
    (tmp_path / "app" / "routes" / "page.jsx").write_text(
        'import LucideTimer from "lucide-react/dist/esm/icons/timer.mjs"\n'
        'import LucideFlag from "lucide-react/dist/esm/icons/flag.mjs"\n'
    )
    (tmp_path / "app_components").mkdir()
    (tmp_path / "app_components" / "app.jsx").write_text('import W from "lucide-react/dist/esm/icons/wifi-off.mjs"\n')
    script = tmp_path / "probe.mjs"
    script.write_text(
        'import { fileURLToPath, URL } from "url";\n'
        + rxconfig.STATIC_ICONS_JS
        + "const test = (id) => avaIcons.has((AVA_ICON_FILE.exec(id) || [])[1]);\n"
        + "const base = '/w/node_modules/lucide-react/dist/esm/icons/';\n"
        + "console.log(JSON.stringify(['timer', 'flag', 'wifi-off', 'zap'].map((n) => test(base + n + '.mjs'))"
        + ".concat([test('/w/app/routes/page.jsx')])));\n"
    )
    out = subprocess.run(["node", str(script)], capture_output=True, text=True, check=True, timeout=30).stdout
    assert out.strip() == "[true,true,true,false,false]"

"""The sessions bench's short mode against the live server: its protocol works and every reply it checks is right.

Timings are not asserted (a shared CI machine); what is: every session connected and showed its own dashboard, no
error, and every action sent was checked against what the services say the page must show.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import PROJECT_DIR

pytestmark = pytest.mark.e2e


def test_short_sessions_bench_has_no_errors(live_server: str, live_data_dir: Path, tmp_path: Path):
    out = tmp_path / "sessions.json"
    env = dict(os.environ, AVA_DATA_DIR=str(live_data_dir))
    finished = subprocess.run(
        [sys.executable, "bench/sessions.py", live_server, "--short", "--json", str(out)],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.exists(), finished.stdout[-3000:] + finished.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["connected"] == result["sessions"] == 10, result["error_samples"]
    assert result["errors"] == {}, result["error_samples"]
    assert result["state_hashes"] > 0  # the CONNECT packet carried the build's hashes, as the browser's does
    sent, checked = result["sent"], result["checked"]
    assert sum(sent.values()) >= 10  # at least the first second of each session
    assert sent == checked
    assert set(sent) == {"period", "chart_days", "calls", "filter", "open_call", "dashboard", "baseline"}
    assert result["connect_ms"]["n"] == 10

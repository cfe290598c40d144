"""``bench/burst.py --short``: 500 end-of-call reports from 16 clients against AVA's web and worker processes on
PostgreSQL + Redis lose no call and store none twice. Skipped on SQLite (the bench measures production's setup)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(
    not (os.environ.get("AVA_DATABASE_URL", "").startswith("postgresql") and os.environ.get("AVA_REDIS_URL")),
    reason="the burst bench runs on PostgreSQL + Redis only",
)
def test_a_short_burst_loses_nothing_and_doubles_nothing(database_url, engine):
    env = dict(os.environ, AVA_DATABASE_URL=database_url)
    done = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "bench" / "burst.py"), "--short"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    result = re.search(r"^RESULT accepted=(\d+) lost=(\d+) duplicated=(\d+) drained=(\S+)$", done.stdout, re.M)
    assert result is not None, done.stdout[-2000:] + done.stderr[-2000:]
    accepted, lost, duplicated, drained = result.groups()
    assert int(accepted) == 500
    assert (int(lost), int(duplicated)) == (0, 0)
    assert drained != "no"
    assert done.returncode == 0

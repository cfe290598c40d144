"""The whole organisation's data export (``services.data_exports``) at 10,000 and 100,000 calls: peak memory, time and
ZIP size, the two businesses in one scratch SQLite database, measured in the same run.

Usage:

    .venv/bin/python bench/org_export.py                              # 10,000 vs 100,000 calls, with conversations
    .venv/bin/python bench/org_export.py --small 2000 --large 20000   # quicker

Calls come from ``ava_app.demo_data.generate_calls`` with their conversation lines. The export runs as the job runs it
(``run_export``), once untraced for its time, then ``--traced-runs`` times (2) under ``tracemalloc`` for its peak
(``reset_peak`` before each; every peak is printed, the lower one counts).
Goal: the peak at 100,000 calls at most 1.5 × the peak at 10,000 (flat memory: one batch of rows at a time).

``--recorded-every 20`` gives one call in twenty a stored recording (every one the same small WAV, as the store is
content-addressed), so the ZIP holds audio files too. The ZIP's directory records (one per file in it) wait in a
temporary file (``export_files.ExportZip``), so they no longer grow the peak. What this figure can still catch is a
one-off of the interpreter, not of the export: when CPython's table of interned strings (pathlib interns each path's
parts) is rebuilt during the traced run, the new table (3.7 MB at 100,000 calls) counts in the peak; see README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from sqlalchemy import insert  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

RATIO_GOAL = 1.5
RECORDED_EVERY = 0  # no recordings; ``--recorded-every 20``: one call in twenty has one


def migrate(url: str, folder: str) -> None:
    from ava_app.db import get_engine
    from ava_app.settings import get_settings

    os.environ["AVA_DATABASE_URL"] = url
    os.environ["AVA_DATA_DIR"] = folder
    os.environ.setdefault("AVA_ENV", "dev")  # a scratch database: the dev secret kept in the folder will do
    get_settings.cache_clear()
    get_engine.cache_clear()
    command.upgrade(Config(str(PROJECT_DIR / "alembic.ini")), "head")


def business(session: Session, *, name: str, calls: int, seed: int, recorded_every: int) -> tuple[int, int]:
    """A business with an admin, ``calls`` demo calls with conversations and a recording on one call in
    ``recorded_every``."""
    from ava_app import demo_data
    from ava_app.models import Call, CallRecording, Membership, Tenant, User
    from ava_app.services import recordings
    from tests.recording_samples import wav_bytes

    tenant = Tenant(name=name, country="FR", timezone="Europe/Paris", locale="fr")
    session.add(tenant)
    session.commit()
    admin = User(email=f"admin-{seed}@bench.test", name="Admin", password_hash="x")
    session.add(admin)
    session.commit()
    session.add(Membership(user_id=admin.id, tenant_id=tenant.id, role="admin"))
    session.commit()
    demo_data.generate_calls(session, tenant_id=tenant.id, count=calls, days=90, seed=seed, with_messages=True)
    audio = wav_bytes(2.0)
    key = f"{tenant.id}/{hashlib.sha256(audio).hexdigest()}.wav"
    path = recordings.recording_store().path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(audio)
    ids = session.exec(select(col(Call.id)).where(col(Call.tenant_id) == tenant.id).order_by(col(Call.id))).all()
    rows = [
        {"tenant_id": tenant.id, "call_id": call_id, "status": "stored", "storage_key": key,
         "content_type": "audio/wav", "size_bytes": len(audio)}
        for call_id in (ids[::recorded_every] if recorded_every else [])
    ]  # fmt: skip
    for start in range(0, len(rows), 5000):
        session.execute(insert(CallRecording), rows[start : start + 5000])
    session.commit()
    assert tenant.id is not None and admin.id is not None
    return tenant.id, admin.id


def export_once(tenant_id: int, user_id: int, *, traced: bool) -> tuple[float, int, int]:
    """One export as the job runs it: (seconds, tracemalloc peak in bytes or 0, ZIP bytes)."""
    from ava_app.db import session_scope
    from ava_app.models import DataExport
    from ava_app.services import data_exports

    with session_scope() as session:
        row = DataExport(tenant_id=tenant_id, requested_by=user_id, kind="organisation")
        session.add(row)
        session.flush()
        export_id = row.id
    assert export_id is not None
    if traced:
        tracemalloc.start()
        tracemalloc.reset_peak()
    started = time.perf_counter()
    status = data_exports.run_export(export_id)
    seconds = time.perf_counter() - started
    peak = 0
    if traced:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert status == "ready", status
    with session_scope() as session:
        done = session.get(DataExport, export_id)
        assert done is not None and done.file_key is not None
        size = done.size_bytes or 0
        assert done.done == done.total
        data_exports.export_path(done.file_key).unlink()
    return seconds, peak, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--recorded-every", type=int, default=RECORDED_EVERY)
    parser.add_argument("--traced-runs", type=int, default=2, help="traced exports per size; the lower peak counts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        migrate(f"sqlite:///{Path(folder) / 'bench.db'}", folder)
        from ava_app.db import get_engine

        started = time.perf_counter()
        with Session(get_engine(), expire_on_commit=False) as session:
            every = args.recorded_every
            small = business(session, name="Small business", calls=args.small, seed=1, recorded_every=every)
            large = business(session, name="Large business", calls=args.large, seed=2, recorded_every=every)
        took = time.perf_counter() - started
        print(f"setup: {args.small:,} + {args.large:,} calls with conversations in {took:.0f} s")
        export_once(*small, traced=False)  # warm-up: imports, caches, the first statements compiled
        results = {}
        for label, (tenant_id, user_id), count in (("small", small, args.small), ("large", large, args.large)):
            seconds, _, size = export_once(tenant_id, user_id, traced=False)
            # Traced twice: a process-wide one-off (the interned-strings table rebuilt) may fall in one run.
            peaks = [export_once(tenant_id, user_id, traced=True)[1] for _ in range(args.traced_runs)]
            print(f"{count:,} calls: traced peaks {', '.join(f'{peak / 1e6:.1f}' for peak in peaks)} MB")
            results[label] = (count, seconds, min(peaks), size)
        print(f"{'calls':>8} {'time s':>8} {'calls/s':>8} {'peak MB (tracemalloc)':>22} {'ZIP MB':>8}")
        for count, seconds, peak, size in results.values():
            print(f"{count:8,} {seconds:8.1f} {count / seconds:8.0f} {peak / 1e6:22.1f} {size / 1e6:8.1f}")
        ratio = results["large"][2] / results["small"][2]
        print(f"peak ratio {args.large:,} / {args.small:,} calls: {ratio:.2f} (goal ≤ {RATIO_GOAL})")
        print(f"process max RSS over the whole run: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        passed = ratio <= RATIO_GOAL
        print("PASS" if passed else "FAIL")
        return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())

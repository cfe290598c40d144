"""Dashboard, calls list and export at scale, on PostgreSQL and SQLite; prints every figure with a same-run baseline.

Usage:

    .venv/bin/python bench/dashboard.py                 # full: PostgreSQL 1M + 9 x 100k calls, SQLite 100k
    .venv/bin/python bench/dashboard.py --small         # quick: PostgreSQL 100k + 9 x 10k, SQLite 10k
    .venv/bin/python bench/dashboard.py --skip-sqlite --pg-admin-url postgresql://postgres@127.0.0.1:5432/test

PostgreSQL: creates the database ``ava_bench`` next to ``--pg-admin-url`` (dropped at the end unless ``--keep``),
migrates it with Alembic, and loads calls with ``demo_data.generate_calls`` (COPY; the rollup triggers fire for every
row). Like any bulk load, the trigram search index is dropped before loading and built again afterwards with the
migration's own DDL, then the tables are analysed. SQLite: a temp file, same path with executemany.

Measured for the biggest tenant, each ``--runs`` times (median and p95, in ms): ``SELECT 1`` and a plain
``count(*)`` of the tenant's calls as baselines, the whole dashboard per period with its queries broken down, a calls
page with no filter, with each filter, each sort, a rare and a common search term, and a deep page (cursor after
~5,000 rows). Export: a tenant of 100,000 calls (10,000 with --small) as CSV, time and Python peak memory
(tracemalloc) against the export of a tenth of it, to show memory does not grow with the row count.

Verdicts (PostgreSQL goals; SQLite is printed against the same numbers for information): PASS/FAIL for the whole
dashboard p95 < 50 ms per period, every calls page p95 < 20 ms, and the export's peak memory for all rows within 1.5x
(+1 MB) of the peak for a tenth of them. Exit status 1 if a PostgreSQL goal is missed.

``--keep`` leaves the PostgreSQL database in place and ``--reuse`` measures a kept one again without reloading it
(migrated to head first, so a new index migration is measured on the same data).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from sqlalchemy import create_engine, event, select, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from ava_app import demo_data  # noqa: E402
from ava_app.db import make_engine  # noqa: E402
from ava_app.models import Assistant, PhoneNumber, Tenant, utcnow  # noqa: E402
from ava_app.services import analytics, calls  # noqa: E402
from ava_app.services.calls import CallFilters  # noqa: E402
from ava_app.services.principal import Principal  # noqa: E402

BENCH_DB = "ava_bench"
TRGM_DDL = (
    "CREATE INDEX ix_call_search_trgm ON call USING gin ((coalesce(summary, '') || ' ' || transcript) gin_trgm_ops)"
)
RARE_WORD = "Zanzibar"
DASHBOARD_GOAL_MS, PAGE_GOAL_MS = 50.0, 20.0
EXPORT_MEMORY_FACTOR, EXPORT_MEMORY_SLACK = 1.5, 1_000_000


def migrate(url: str) -> None:
    """Alembic upgrade head on ``url``, as ./scripts/run does."""
    from ava_app.db import get_engine
    from ava_app.settings import get_settings

    os.environ["AVA_DATABASE_URL"] = url
    get_settings.cache_clear()
    get_engine.cache_clear()
    command.upgrade(Config(str(PROJECT_DIR / "alembic.ini")), "head")


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def stats(samples: list[float]) -> str:
    return f"median {statistics.median(samples):8.2f} ms   p95 {p95(samples):8.2f} ms"


class Verdicts:
    """Goal checks collected while measuring, printed together at the end of a database's section."""

    def __init__(self) -> None:
        self.lines: list[tuple[bool, str]] = []

    def check(self, ok: bool, text: str) -> None:
        self.lines.append((ok, text))

    @property
    def passed(self) -> bool:
        return all(ok for ok, _ in self.lines)

    def print(self, title: str) -> None:
        print(f"\n  verdicts ({title})")
        for ok, line in self.lines:
            print(f"    {'PASS' if ok else 'FAIL'}  {line}")


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    fn()  # warm: plan caches, connection
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


class QueryClock:
    """Per-statement database time, keyed by the statement's first words, to break the dashboard down."""

    def __init__(self, engine) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self._engine = engine

    def __enter__(self) -> QueryClock:
        event.listen(self._engine, "before_cursor_execute", self._before)
        event.listen(self._engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self._engine, "before_cursor_execute", self._before)
        event.remove(self._engine, "after_cursor_execute", self._after)

    def _before(self, conn, _cursor, _statement, _params, _context, _many) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, _cursor, statement, _params, _context, _many) -> None:
        label = _label(statement)
        self.times[label].append((time.perf_counter() - conn.info.pop("bench_started")) * 1000)


def _label(statement: str) -> str:
    flat = " ".join(statement.split())
    if "FROM callrollup" in flat:
        return "rollup by hour" if "local_hour" in flat else "rollup by day"
    if "FROM calltopicrollup" in flat:
        return "top topics"
    if "count(*)" in flat:
        return "open actions"
    if "FROM tenant" in flat:
        return "tenant timezone"
    if "status IN" in flat:
        return "live calls"
    return "last 10 calls"


def load(url: str, *, sizes: list[int], days: int, dialect: str) -> tuple[list[int], float]:
    """Tenants with ``sizes`` calls each (first is the big one); returns their ids and the load time in seconds."""
    engine = make_engine(url)
    started = time.perf_counter()
    tenant_ids = []
    with Session(engine, expire_on_commit=False) as session:
        if dialect == "postgresql":
            session.execute(text("SET synchronous_commit = off"))
            session.execute(text("DROP INDEX IF EXISTS ix_call_search_trgm"))
            session.commit()
        zones = ("Europe/Paris", "America/New_York", "Asia/Kolkata", "UTC", "Australia/Adelaide")
        for index, size in enumerate(sizes):
            tenant = Tenant(name=f"Bench {index}", timezone=zones[index % len(zones)], is_demo=True)
            session.add(tenant)
            session.commit()
            tenant_ids.append(tenant.id)
            step = time.perf_counter()
            demo_data.generate_calls(session, tenant_id=tenant.id, count=size, days=days, seed=index, live=3)
            print(f"  tenant {tenant.id}: {size:>9,} calls in {time.perf_counter() - step:6.1f} s", flush=True)
        big = tenant_ids[0]
        # A handful of calls carry a word found nowhere else: the worst case for a search that scans.
        session.execute(
            text(
                f"UPDATE call SET summary = coalesce(summary, '') || ' Trip to {RARE_WORD}.' WHERE id IN "
                "(SELECT id FROM call WHERE tenant_id = :t ORDER BY id LIMIT 5)"
            ),
            {"t": big},
        )
        session.commit()
    if dialect == "postgresql":
        step = time.perf_counter()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("SET maintenance_work_mem = '1GB'"))
            connection.execute(text(TRGM_DDL))
            print(f"  trigram index built in {time.perf_counter() - step:6.1f} s", flush=True)
            step = time.perf_counter()
            connection.execute(text("VACUUM ANALYZE call"))
            connection.execute(text("VACUUM ANALYZE callrollup"))
            connection.execute(text("VACUUM ANALYZE calltopicrollup"))
            print(f"  vacuum analyze in {time.perf_counter() - step:6.1f} s", flush=True)
    else:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    engine.dispose()
    return tenant_ids, time.perf_counter() - started


def measure(url: str, *, tenant_ids: list[int], export_tenant: int, runs: int) -> Verdicts:
    """Every figure for the big tenant (and the export tenant), printed as it is measured; the goal checks."""
    verdicts = Verdicts()
    engine = make_engine(url)
    big = tenant_ids[0]
    principal = Principal(user_id=None, tenant_id=big, role="admin")
    with Session(engine, expire_on_commit=False) as session:
        total = session.execute(text("SELECT count(*) FROM call")).scalar_one()
        mine = session.execute(text("SELECT count(*) FROM call WHERE tenant_id = :t"), {"t": big}).scalar_one()
        rollup = session.execute(text("SELECT count(*) FROM callrollup WHERE tenant_id = :t"), {"t": big}).scalar_one()
        print(f"\n  rows: {total:,} calls in all, {mine:,} for tenant {big}; {rollup:,} rollup rows for it")
        print("\n  baseline")
        print(f"    {'SELECT 1':44} {stats(timed(lambda: session.execute(text('SELECT 1')).scalar(), runs))}")
        count_sql = text("SELECT count(*) FROM call WHERE tenant_id = :t")
        plain = timed(lambda: session.execute(count_sql, {"t": big}).scalar(), runs)
        print(f"    {'count(*) of the tenant calls':44} {stats(plain)}")

        print("\n  dashboard (whole service call)")
        for period in analytics.PERIODS:
            with QueryClock(engine) as clock:
                samples = timed(
                    lambda p=period: analytics.dashboard_summary(session, principal=principal, period=p), runs
                )
            print(f"    {'period=' + period:44} {stats(samples)}")
            verdicts.check(
                p95(samples) < DASHBOARD_GOAL_MS,
                f"dashboard period={period}: p95 {p95(samples):.1f} ms (goal < {DASHBOARD_GOAL_MS:.0f} ms)",
            )
            for label, times in sorted(clock.times.items()):
                print(f"      {label:42} {stats(times)}")

        number_id = session.execute(select(PhoneNumber.id).where(PhoneNumber.tenant_id == big)).scalars().first()
        assistant_id = session.execute(select(Assistant.id).where(Assistant.tenant_id == big)).scalars().first()
        new_number_id, new_assistant_id = _new_line(session, tenant_id=big)
        today = utcnow().date()
        cases: list[tuple[str, dict, str]] = [
            ("no filter", {}, "date"),
            ("outcome=missed", {"outcome": "missed"}, "date"),
            ("outcome=failed (3%)", {"outcome": "failed"}, "date"),
            ("status=ended", {"status": "ended"}, "date"),
            ("date range (last 7 days)", {"date_from": str(today - timedelta(days=6)), "date_to": str(today)}, "date"),
            (
                "date range (one day, 2 weeks ago)",
                {"date_from": str(today - timedelta(days=14))} | {"date_to": str(today - timedelta(days=14))},
                "date",
            ),
            ("min_duration=300", {"min_duration": "300"}, "date"),
            ("duration 100-120 s", {"min_duration": "100", "max_duration": "120"}, "date"),
            ("phone number", {"phone_number_id": str(number_id)}, "date"),
            ("assistant", {"assistant_id": str(assistant_id)}, "date"),
            ("sentiment=negative", {"sentiment": "negative"}, "date"),
            ("action=open", {"action": "open"}, "date"),
            ("search common ('cancel')", {"q": "cancel"}, "date"),
            (f"search rare ('{RARE_WORD.lower()}', 5 rows)", {"q": RARE_WORD.lower()}, "date"),
            ("sort duration desc", {}, "duration"),
            ("sort cost asc", {}, "cost"),
            # Selective filters: few or no rows match, so a plan that walks the date order and filters reads the
            # tenant's whole history before it can answer.
            ("outcome=pending (live calls only)", {"outcome": "pending"}, "date"),
            ("min_duration=3600 (none)", {"min_duration": "3600"}, "date"),
            ("action=done", {"action": "done"}, "date"),
            ("call_type=test (1%)", {"call_type": "test"}, "date"),
            ("phone number added today (no calls)", {"phone_number_id": str(new_number_id)}, "date"),
            ("assistant added today (no calls)", {"assistant_id": str(new_assistant_id)}, "date"),
            ("outcome=failed + sentiment=negative (none)", {"outcome": "failed", "sentiment": "negative"}, "date"),
        ]
        print("\n  calls page (20 rows)")
        for name, query, sort in cases:
            filters = CallFilters.from_query(query)
            direction = "asc" if name.endswith("asc") else "desc"

            def page(f=filters, s=sort, d=direction):
                return calls.list_calls(session, principal=principal, filters=f, sort=s, direction=d)

            samples = timed(page, runs)
            print(f"    {name:44} {stats(samples)}   ({len(page().items)} rows)")
            verdicts.check(
                p95(samples) < PAGE_GOAL_MS,
                f"calls page {name}: p95 {p95(samples):.1f} ms (goal < {PAGE_GOAL_MS:.0f} ms)",
            )

        cursor = None
        for _ in range(250):
            cursor = calls.list_calls(session, principal=principal, filters=CallFilters(), cursor=cursor).next_cursor
        deep = timed(lambda: calls.list_calls(session, principal=principal, filters=CallFilters(), cursor=cursor), runs)
        print(f"    {'deep page (after 5,000 rows)':44} {stats(deep)}")
        verdicts.check(
            p95(deep) < PAGE_GOAL_MS, f"calls deep page: p95 {p95(deep):.1f} ms (goal < {PAGE_GOAL_MS:.0f} ms)"
        )

        exporter = Principal(user_id=None, tenant_id=export_tenant, role="admin")
        size = session.execute(text("SELECT count(*) FROM call WHERE tenant_id = :t"), {"t": export_tenant}).scalar()
        print(f"\n  export CSV of tenant {export_tenant} ({size:,} calls), 3 runs")
        peaks = {}
        for label, filters in (("all", CallFilters()), ("a tenth (last 3 days)", _recent_tenth())):
            seconds, rows, peak = [], 0, 0
            for _ in range(3):
                started = time.perf_counter()
                rows = sum(
                    chunk.count("\n")
                    for chunk in calls.export_calls(session, principal=exporter, filters=filters, fmt="csv")
                )
                seconds.append(time.perf_counter() - started)
            tracemalloc.start()
            for _chunk in calls.export_calls(session, principal=exporter, filters=filters, fmt="csv"):
                pass
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(
                f"    {label:28} {rows - 1:>9,} rows  median {statistics.median(seconds):6.2f} s"
                f"  ({(rows - 1) / statistics.median(seconds):,.0f} rows/s)  Python peak {peak / 1e6:6.2f} MB"
            )
            peaks[label] = (rows - 1, peak)
        (all_rows, all_peak), (tenth_rows, tenth_peak) = peaks.values()
        verdicts.check(
            all_peak <= EXPORT_MEMORY_FACTOR * tenth_peak + EXPORT_MEMORY_SLACK,
            f"export streams in constant memory: peak {all_peak / 1e6:.2f} MB for {all_rows:,} rows, "
            f"{tenth_peak / 1e6:.2f} MB for {tenth_rows:,} (goal: within {EXPORT_MEMORY_FACTOR}x + 1 MB)",
        )
    engine.dispose()
    return verdicts


def _new_line(session: Session, *, tenant_id: int) -> tuple[int, int]:
    """A phone number and an assistant of the tenant that no call uses yet (found again in a reused database)."""
    assistant_id = session.execute(
        select(Assistant.id).where(Assistant.tenant_id == tenant_id, Assistant.name == "Bench, added today")
    ).scalar()
    if assistant_id is None:
        assistant = Assistant(tenant_id=tenant_id, name="Bench, added today")
        session.add(assistant)
        session.flush()
        assistant_id = assistant.id
    number_id = session.execute(
        select(PhoneNumber.id).where(PhoneNumber.tenant_id == tenant_id, PhoneNumber.label == "Bench, added today")
    ).scalar()
    if number_id is None:
        number = PhoneNumber(tenant_id=tenant_id, e164="+15550100999", label="Bench, added today")
        session.add(number)
        session.flush()
        number_id = number.id
    session.commit()
    return number_id, assistant_id


def _recent_tenth() -> CallFilters:
    today = utcnow().date()
    return CallFilters(date_from=today - timedelta(days=2), date_to=today)


def bench_tenants(url: str, *, sizes: list[int]) -> list[int] | None:
    """The ids of a kept bench database's tenants if it holds the expected call counts, else None."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT t.id, count(c.id) FROM tenant AS t LEFT JOIN call AS c ON c.tenant_id = t.id "
                    "WHERE t.name LIKE 'Bench %' GROUP BY t.id ORDER BY t.id"
                )
            ).all()
    finally:
        engine.dispose()
    counts = [count for _, count in rows]
    # The big tenant also has the live calls generate_calls adds; compare to the nearest thousand.
    if len(counts) != len(sizes) or any(abs(count - size) > 1000 for count, size in zip(counts, sizes, strict=True)):
        return None
    return [tenant_id for tenant_id, _ in rows]


def run_postgresql(admin_url: str, *, sizes: list[int], runs: int, keep: bool, reuse: bool) -> bool:
    """Load (or reuse) and measure the PostgreSQL bench database; True if every goal is met."""
    print(f"\n=== PostgreSQL: {sizes[0]:,} calls for one tenant + {len(sizes) - 1} x {sizes[1]:,} ===")
    admin = create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    url = admin_url.rsplit("/", 1)[0] + f"/{BENCH_DB}"
    with admin.connect() as connection:
        print("  " + connection.execute(text("SELECT version()")).scalar().split(",")[0])
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": BENCH_DB}).scalar()
    tenant_ids = None
    if reuse and exists:
        migrate(url)
        tenant_ids = bench_tenants(url, sizes=sizes)
        print("  reusing the kept database" if tenant_ids else "  the kept database does not match: reloading")
    try:
        if tenant_ids is None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
            migrate(url)
            tenant_ids, seconds = load(url, sizes=sizes, days=30, dialect="postgresql")
            print(f"  generation total: {sum(sizes):,} calls in {seconds:.1f} s ({sum(sizes) / seconds:,.0f} calls/s)")
        else:
            engine = make_engine(url)
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("ANALYZE"))
            engine.dispose()
        verdicts = measure(url, tenant_ids=tenant_ids, export_tenant=tenant_ids[1], runs=runs)
        verdicts.print("PostgreSQL goals")
        return verdicts.passed
    finally:
        if not keep:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        admin.dispose()


def run_sqlite(*, size: int, runs: int) -> None:
    """Load and measure a temporary SQLite database (the goals are PostgreSQL's; printed for information)."""
    print(f"\n=== SQLite: {size:,} calls for one tenant ===")
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{directory}/bench.db"
        migrate(url)
        tenant_ids, seconds = load(url, sizes=[size], days=30, dialect="sqlite")
        print(f"  generation total: {size:,} calls in {seconds:.1f} s ({size / seconds:,.0f} calls/s)")
        verdicts = measure(url, tenant_ids=tenant_ids, export_tenant=tenant_ids[0], runs=runs)
        verdicts.print("SQLite, against the PostgreSQL goals, for information")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a tenth of the data, for a quick run")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--pg-admin-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--skip-postgresql", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--keep", action="store_true", help=f"keep the {BENCH_DB} database afterwards")
    parser.add_argument("--reuse", action="store_true", help=f"measure a kept {BENCH_DB} database without reloading")
    args = parser.parse_args()
    scale = 10 if args.small else 1
    passed = True
    if not args.skip_postgresql:
        passed = run_postgresql(
            args.pg_admin_url,
            sizes=[1_000_000 // scale] + [100_000 // scale] * 9,
            runs=args.runs,
            keep=args.keep,
            reuse=args.reuse,
        )
    if not args.skip_sqlite:
        run_sqlite(size=100_000 // scale, runs=args.runs)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())

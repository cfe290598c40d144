"""call analytics: dashboard rollups kept by triggers, list/sort indexes, trigram search on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

Written by hand (autogenerate cannot see triggers or operator classes):

* ``callrollup`` / ``calltopicrollup``: per tenant, 15-minute UTC slot (epoch seconds) and outcome (or topic), the
  count, duration and cost of non-test calls that have a ``started_at``. Every real UTC offset is a multiple of 15
  minutes, so any local day or hour of any tenant is a whole number of slots: the dashboard reads at most a few
  thousand rollup rows whatever the call volume. Triggers on ``call`` keep them exact on insert, update and delete,
  from every writer (webhook ingestion, bulk loads, deletes), and the upgrade backfills them from existing calls.
* Indexes for keyset pagination on the three sort keys (NULLs folded with COALESCE so one ordering holds on both
  databases), and a partial index for open follow-up actions.
* PostgreSQL only: ``pg_trgm`` and a GIN trigram index on summary + transcript so ``ILIKE '%term%'`` search does not
  scan a tenant's calls. SQLite searches with LIKE over the tenant's rows.
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SEARCH_EXPRESSION = "(coalesce(summary, '') || ' ' || transcript)"
WATCHED = ("tenant_id", "started_at", "call_type", "outcome", "duration_seconds", "cost", "topics")

# --- PostgreSQL: one trigger function for insert, update and delete -----------------------------------------------

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION call_rollup_sync() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    slot bigint;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.started_at IS NOT NULL AND OLD.call_type <> 'test' THEN
        slot := (floor(extract(epoch FROM OLD.started_at) / 900) * 900)::bigint;
        UPDATE callrollup SET
            calls = calls - 1,
            timed_calls = timed_calls - (OLD.duration_seconds IS NOT NULL)::int,
            duration_total = duration_total - coalesce(OLD.duration_seconds, 0),
            cost_total = cost_total - coalesce(OLD.cost, 0)
        WHERE tenant_id = OLD.tenant_id AND bucket = slot AND outcome = coalesce(OLD.outcome, 'pending');
        IF json_typeof(OLD.topics) = 'array' THEN
            UPDATE calltopicrollup SET calls = calls - 1
            WHERE tenant_id = OLD.tenant_id AND bucket = slot AND topic IN (
                SELECT left(btrim(item #>> '{}'), 80) FROM json_array_elements(OLD.topics) AS item
                WHERE json_typeof(item) = 'string' AND btrim(item #>> '{}') <> '');
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.started_at IS NOT NULL AND NEW.call_type <> 'test' THEN
        slot := (floor(extract(epoch FROM NEW.started_at) / 900) * 900)::bigint;
        INSERT INTO callrollup AS r (tenant_id, bucket, outcome, calls, timed_calls, duration_total, cost_total)
        VALUES (NEW.tenant_id, slot, coalesce(NEW.outcome, 'pending'), 1, (NEW.duration_seconds IS NOT NULL)::int,
                coalesce(NEW.duration_seconds, 0), coalesce(NEW.cost, 0))
        ON CONFLICT (tenant_id, bucket, outcome) DO UPDATE SET
            calls = r.calls + 1,
            timed_calls = r.timed_calls + EXCLUDED.timed_calls,
            duration_total = r.duration_total + EXCLUDED.duration_total,
            cost_total = r.cost_total + EXCLUDED.cost_total;
        IF json_typeof(NEW.topics) = 'array' THEN
            INSERT INTO calltopicrollup AS r (tenant_id, bucket, topic, calls)
            SELECT DISTINCT NEW.tenant_id, slot, left(btrim(item #>> '{}'), 80), 1
            FROM json_array_elements(NEW.topics) AS item
            WHERE json_typeof(item) = 'string' AND btrim(item #>> '{}') <> ''
            ON CONFLICT (tenant_id, bucket, topic) DO UPDATE SET calls = r.calls + 1;
        END IF;
    END IF;
    RETURN NULL;
END
$$
"""

PG_TRIGGERS = (
    "CREATE TRIGGER call_rollup_insert_delete AFTER INSERT OR DELETE ON call "
    "FOR EACH ROW EXECUTE FUNCTION call_rollup_sync()",
    # Ingestion touches a call several times (status, transcript, summary): only the columns the rollups read matter.
    f"CREATE TRIGGER call_rollup_update AFTER UPDATE OF {', '.join(WATCHED)} ON call FOR EACH ROW "
    "WHEN ((OLD.tenant_id, OLD.started_at, OLD.call_type, OLD.outcome, OLD.duration_seconds, OLD.cost, "
    "OLD.topics::text) IS DISTINCT FROM (NEW.tenant_id, NEW.started_at, NEW.call_type, NEW.outcome, "
    "NEW.duration_seconds, NEW.cost, NEW.topics::text)) EXECUTE FUNCTION call_rollup_sync()",
)

PG_BACKFILL = (
    """
    INSERT INTO callrollup (tenant_id, bucket, outcome, calls, timed_calls, duration_total, cost_total)
    SELECT tenant_id, (floor(extract(epoch FROM started_at) / 900) * 900)::bigint, coalesce(outcome, 'pending'),
           count(*), count(duration_seconds), coalesce(sum(duration_seconds), 0), coalesce(sum(cost), 0)
    FROM call WHERE started_at IS NOT NULL AND call_type <> 'test' GROUP BY 1, 2, 3
    """,
    """
    INSERT INTO calltopicrollup (tenant_id, bucket, topic, calls)
    SELECT tenant_id, bucket, topic, count(*) FROM (
        SELECT DISTINCT c.id, c.tenant_id, (floor(extract(epoch FROM c.started_at) / 900) * 900)::bigint AS bucket,
               left(btrim(item #>> '{}'), 80) AS topic
        FROM call AS c, json_array_elements(CASE WHEN json_typeof(c.topics) = 'array' THEN c.topics END) AS item
        WHERE c.started_at IS NOT NULL AND c.call_type <> 'test'
          AND json_typeof(item) = 'string' AND btrim(item #>> '{}') <> ''
    ) AS t GROUP BY 1, 2, 3
    """,
)

# --- SQLite: no trigger functions, so one trigger per event, each statement guarded by its own WHERE -------------

SQLITE_SLOT = "(CAST(strftime('%s', {row}.started_at) AS INTEGER) / 900 * 900)"
SQLITE_COUNTS = "{row}.started_at IS NOT NULL AND {row}.call_type <> 'test'"


def _sqlite_add(row: str) -> str:
    slot, counts = SQLITE_SLOT.format(row=row), SQLITE_COUNTS.format(row=row)
    return f"""
        INSERT INTO callrollup (tenant_id, bucket, outcome, calls, timed_calls, duration_total, cost_total)
        SELECT {row}.tenant_id, {slot}, coalesce({row}.outcome, 'pending'), 1,
               {row}.duration_seconds IS NOT NULL, coalesce({row}.duration_seconds, 0), coalesce({row}.cost, 0)
        WHERE {counts}
        ON CONFLICT (tenant_id, bucket, outcome) DO UPDATE SET
            calls = calls + 1,
            timed_calls = timed_calls + excluded.timed_calls,
            duration_total = duration_total + excluded.duration_total,
            cost_total = cost_total + excluded.cost_total;
        INSERT INTO calltopicrollup (tenant_id, bucket, topic, calls)
        SELECT DISTINCT {row}.tenant_id, {slot}, substr(trim(value), 1, 80), 1
        FROM json_each(CASE WHEN json_type({row}.topics) = 'array' THEN {row}.topics ELSE '[]' END)
        WHERE {counts} AND type = 'text' AND trim(value) <> ''
        ON CONFLICT (tenant_id, bucket, topic) DO UPDATE SET calls = calls + 1;
    """


def _sqlite_remove(row: str) -> str:
    slot, counts = SQLITE_SLOT.format(row=row), SQLITE_COUNTS.format(row=row)
    return f"""
        UPDATE callrollup SET
            calls = calls - 1,
            timed_calls = timed_calls - ({row}.duration_seconds IS NOT NULL),
            duration_total = duration_total - coalesce({row}.duration_seconds, 0),
            cost_total = cost_total - coalesce({row}.cost, 0)
        WHERE {counts} AND tenant_id = {row}.tenant_id AND bucket = {slot}
          AND outcome = coalesce({row}.outcome, 'pending');
        UPDATE calltopicrollup SET calls = calls - 1
        WHERE {counts} AND tenant_id = {row}.tenant_id AND bucket = {slot} AND topic IN (
            SELECT substr(trim(value), 1, 80)
            FROM json_each(CASE WHEN json_type({row}.topics) = 'array' THEN {row}.topics ELSE '[]' END)
            WHERE type = 'text' AND trim(value) <> '');
    """


def _sqlite_triggers() -> tuple[str, ...]:
    changed = " OR ".join(f"OLD.{name} IS NOT NEW.{name}" for name in WATCHED)
    return (
        f"CREATE TRIGGER call_rollup_insert AFTER INSERT ON call BEGIN {_sqlite_add('NEW')} END",
        f"CREATE TRIGGER call_rollup_delete AFTER DELETE ON call BEGIN {_sqlite_remove('OLD')} END",
        f"CREATE TRIGGER call_rollup_update AFTER UPDATE OF {', '.join(WATCHED)} ON call WHEN {changed} "
        f"BEGIN {_sqlite_remove('OLD')} {_sqlite_add('NEW')} END",
    )


SQLITE_BACKFILL = (
    f"""
    INSERT INTO callrollup (tenant_id, bucket, outcome, calls, timed_calls, duration_total, cost_total)
    SELECT tenant_id, {SQLITE_SLOT.format(row="call")}, coalesce(outcome, 'pending'), count(*), count(duration_seconds),
           coalesce(sum(duration_seconds), 0), coalesce(sum(cost), 0)
    FROM call WHERE {SQLITE_COUNTS.format(row="call")} GROUP BY 1, 2, 3
    """,
    f"""
    INSERT INTO calltopicrollup (tenant_id, bucket, topic, calls)
    SELECT tenant_id, bucket, topic, count(*) FROM (
        SELECT DISTINCT call.id, call.tenant_id, {SQLITE_SLOT.format(row="call")} AS bucket,
               substr(trim(j.value), 1, 80) AS topic
        FROM call, json_each(CASE WHEN json_type(call.topics) = 'array' THEN call.topics ELSE '[]' END) AS j
        WHERE {SQLITE_COUNTS.format(row="call")} AND j.type = 'text' AND trim(j.value) <> ''
    ) GROUP BY 1, 2, 3
    """,
)


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "callrollup",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("timed_calls", sa.Integer(), nullable=False),
        sa.Column("duration_total", sa.BigInteger(), nullable=False),
        sa.Column("cost_total", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "bucket", "outcome"),
    )
    op.create_table(
        "calltopicrollup",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "bucket", "topic"),
    )
    # Plain CREATE INDEX, not batch mode: a batch rebuild of ``call`` on SQLite would be slow and is not needed.
    op.create_index("ix_call_tenant_when", "call", ["tenant_id", sa.text("coalesce(started_at, created_at)"), "id"])
    op.create_index("ix_call_tenant_duration", "call", ["tenant_id", sa.text("coalesce(duration_seconds, 0)"), "id"])
    op.create_index("ix_call_tenant_cost", "call", ["tenant_id", sa.text("coalesce(cost, 0)"), "id"])
    op.create_index(
        "ix_call_tenant_action_open",
        "call",
        ["tenant_id", sa.text("coalesce(started_at, created_at)"), "id"],
        sqlite_where=sa.text("action_needed = 1 AND action_done_at IS NULL"),
        postgresql_where=sa.text("action_needed AND action_done_at IS NULL"),
    )

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(f"CREATE INDEX ix_call_search_trgm ON call USING gin ({SEARCH_EXPRESSION} gin_trgm_ops)")
        op.execute(PG_FUNCTION)
        for statement in (*PG_TRIGGERS, *PG_BACKFILL):
            op.execute(statement)
    else:
        for statement in (*_sqlite_triggers(), *SQLITE_BACKFILL):
            op.execute(statement)


def downgrade() -> None:
    """Downgrade schema."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS call_rollup_update ON call")
        op.execute("DROP TRIGGER IF EXISTS call_rollup_insert_delete ON call")
        op.execute("DROP FUNCTION IF EXISTS call_rollup_sync()")
        op.execute("DROP INDEX IF EXISTS ix_call_search_trgm")
        # pg_trgm stays: other objects in the database may use it, and it costs nothing unused.
    else:
        for name in ("call_rollup_update", "call_rollup_delete", "call_rollup_insert"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for name in ("ix_call_tenant_action_open", "ix_call_tenant_cost", "ix_call_tenant_duration", "ix_call_tenant_when"):
        op.drop_index(name, table_name="call")
    op.drop_table("calltopicrollup")
    op.drop_table("callrollup")

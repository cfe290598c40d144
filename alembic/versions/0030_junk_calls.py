"""junk calls: a block list per business (numbers and prefixes), its "block withheld numbers" switch, spam marks,
and the dashboard rollup keyed by what a call was to the owner

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06

The rollup of migration 0002 counts calls per slot and ``outcome``. The dashboard must also tell spam and hang-ups
(answered, under 15 s) apart, and it reads nothing but the rollup; so the rollup key becomes that kind
(``ROLLUP_KEY``): "spam" for a call marked spam, "hangup" for an answered call under 15 s, else the outcome. The
triggers are the same as 0002's with that key (``spam`` joins the watched columns), and the rows are rebuilt from
the calls. Written by hand: autogenerate sees neither triggers nor their keys.
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0030"
down_revision: Union[str, Sequence[str], None] = "0029"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

HANGUP_SECONDS = 15
OLD_WATCHED = ("tenant_id", "started_at", "call_type", "outcome", "duration_seconds", "cost", "topics")
NEW_WATCHED = (*OLD_WATCHED, "spam")


def old_key(row: str) -> str:
    return f"coalesce({row}.outcome, 'pending')"


def new_key(row: str) -> str:
    # Keep in step with ``services.analytics.rollup_kind``.
    return (
        f"CASE WHEN {row}.spam THEN 'spam' WHEN {row}.outcome = 'answered' AND {row}.duration_seconds < "
        f"{HANGUP_SECONDS} THEN 'hangup' ELSE coalesce({row}.outcome, 'pending') END"
    )


# --- PostgreSQL ----------------------------------------------------------------------------------------------------


def pg_function(key) -> str:
    return f"""
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
        WHERE tenant_id = OLD.tenant_id AND bucket = slot AND outcome = {key("OLD")};
        IF json_typeof(OLD.topics) = 'array' THEN
            UPDATE calltopicrollup SET calls = calls - 1
            WHERE tenant_id = OLD.tenant_id AND bucket = slot AND topic IN (
                SELECT left(btrim(item #>> '{{}}'), 80) FROM json_array_elements(OLD.topics) AS item
                WHERE json_typeof(item) = 'string' AND btrim(item #>> '{{}}') <> '');
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.started_at IS NOT NULL AND NEW.call_type <> 'test' THEN
        slot := (floor(extract(epoch FROM NEW.started_at) / 900) * 900)::bigint;
        INSERT INTO callrollup AS r (tenant_id, bucket, outcome, calls, timed_calls, duration_total, cost_total)
        VALUES (NEW.tenant_id, slot, {key("NEW")}, 1, (NEW.duration_seconds IS NOT NULL)::int,
                coalesce(NEW.duration_seconds, 0), coalesce(NEW.cost, 0))
        ON CONFLICT (tenant_id, bucket, outcome) DO UPDATE SET
            calls = r.calls + 1,
            timed_calls = r.timed_calls + EXCLUDED.timed_calls,
            duration_total = r.duration_total + EXCLUDED.duration_total,
            cost_total = r.cost_total + EXCLUDED.cost_total;
        IF json_typeof(NEW.topics) = 'array' THEN
            INSERT INTO calltopicrollup AS r (tenant_id, bucket, topic, calls)
            SELECT DISTINCT NEW.tenant_id, slot, left(btrim(item #>> '{{}}'), 80), 1
            FROM json_array_elements(NEW.topics) AS item
            WHERE json_typeof(item) = 'string' AND btrim(item #>> '{{}}') <> ''
            ON CONFLICT (tenant_id, bucket, topic) DO UPDATE SET calls = r.calls + 1;
        END IF;
    END IF;
    RETURN NULL;
END
$$
"""


def pg_update_trigger(watched) -> str:
    old = ", ".join(f"OLD.{name}::text" if name == "topics" else f"OLD.{name}" for name in watched)
    new = ", ".join(f"NEW.{name}::text" if name == "topics" else f"NEW.{name}" for name in watched)
    return (
        f"CREATE TRIGGER call_rollup_update AFTER UPDATE OF {', '.join(watched)} ON call FOR EACH ROW "
        f"WHEN (({old}) IS DISTINCT FROM ({new})) EXECUTE FUNCTION call_rollup_sync()"
    )


def pg_rebuild(key) -> str:
    return f"""
    INSERT INTO callrollup (tenant_id, bucket, outcome, calls, timed_calls, duration_total, cost_total)
    SELECT tenant_id, (floor(extract(epoch FROM started_at) / 900) * 900)::bigint, {key("call")},
           count(*), count(duration_seconds), coalesce(sum(duration_seconds), 0), coalesce(sum(cost), 0)
    FROM call WHERE started_at IS NOT NULL AND call_type <> 'test' GROUP BY 1, 2, 3
    """


# --- SQLite --------------------------------------------------------------------------------------------------------

SQLITE_SLOT = "(CAST(strftime('%s', {row}.started_at) AS INTEGER) / 900 * 900)"
SQLITE_COUNTS = "{row}.started_at IS NOT NULL AND {row}.call_type <> 'test'"


def _sqlite_add(row: str, key) -> str:
    slot, counts = SQLITE_SLOT.format(row=row), SQLITE_COUNTS.format(row=row)
    return f"""
        INSERT INTO callrollup (tenant_id, bucket, outcome, calls, timed_calls, duration_total, cost_total)
        SELECT {row}.tenant_id, {slot}, {key(row)}, 1,
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


def _sqlite_remove(row: str, key) -> str:
    slot, counts = SQLITE_SLOT.format(row=row), SQLITE_COUNTS.format(row=row)
    return f"""
        UPDATE callrollup SET
            calls = calls - 1,
            timed_calls = timed_calls - ({row}.duration_seconds IS NOT NULL),
            duration_total = duration_total - coalesce({row}.duration_seconds, 0),
            cost_total = cost_total - coalesce({row}.cost, 0)
        WHERE {counts} AND tenant_id = {row}.tenant_id AND bucket = {slot}
          AND outcome = {key(row)};
        UPDATE calltopicrollup SET calls = calls - 1
        WHERE {counts} AND tenant_id = {row}.tenant_id AND bucket = {slot} AND topic IN (
            SELECT substr(trim(value), 1, 80)
            FROM json_each(CASE WHEN json_type({row}.topics) = 'array' THEN {row}.topics ELSE '[]' END)
            WHERE type = 'text' AND trim(value) <> '');
    """


def sqlite_triggers(key, watched) -> tuple[str, ...]:
    changed = " OR ".join(f"OLD.{name} IS NOT NEW.{name}" for name in watched)
    return (
        f"CREATE TRIGGER call_rollup_insert AFTER INSERT ON call BEGIN {_sqlite_add('NEW', key)} END",
        f"CREATE TRIGGER call_rollup_delete AFTER DELETE ON call BEGIN {_sqlite_remove('OLD', key)} END",
        f"CREATE TRIGGER call_rollup_update AFTER UPDATE OF {', '.join(watched)} ON call WHEN {changed} "
        f"BEGIN {_sqlite_remove('OLD', key)} {_sqlite_add('NEW', key)} END",
    )


def sqlite_rebuild(key) -> str:
    return f"""
    INSERT INTO callrollup (tenant_id, bucket, outcome, calls, timed_calls, duration_total, cost_total)
    SELECT tenant_id, {SQLITE_SLOT.format(row="call")}, {key("call")}, count(*), count(duration_seconds),
           coalesce(sum(duration_seconds), 0), coalesce(sum(cost), 0)
    FROM call WHERE {SQLITE_COUNTS.format(row="call")} GROUP BY 1, 2, 3
    """


def _rollup_keyed_by(key, watched) -> None:
    """Replace the rollup triggers with ones keyed by ``key`` and rebuild the rollup rows from the calls."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS call_rollup_update ON call")
        op.execute(pg_function(key))
        op.execute(pg_update_trigger(watched))
        op.execute("DELETE FROM callrollup")
        op.execute(pg_rebuild(key))
    else:
        for name in ("call_rollup_update", "call_rollup_delete", "call_rollup_insert"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        for statement in sqlite_triggers(key, watched):
            op.execute(statement)
        op.execute("DELETE FROM callrollup")
        op.execute(sqlite_rebuild(key))


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "blockedcaller",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("is_prefix", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "value", name="uq_blockedcaller_tenant_value"),
    )
    with op.batch_alter_table("blockedcaller") as batch:
        batch.create_index(batch.f("ix_blockedcaller_tenant_id"), ["tenant_id"], unique=False)
    with op.batch_alter_table("tenant") as batch:
        batch.add_column(sa.Column("block_withheld", sa.Boolean(), nullable=False, server_default=sa.text("false")))
    # Plain ALTER TABLE: a batch copy of ``call`` would drop its triggers and expression indexes on SQLite.
    op.add_column("call", sa.Column("spam", sa.Boolean(), nullable=False, server_default=sa.text("false")))
    op.add_column("call", sa.Column("spam_source", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True))
    _rollup_keyed_by(new_key, NEW_WATCHED)


def downgrade() -> None:
    """Downgrade schema."""
    _rollup_keyed_by(old_key, OLD_WATCHED)
    op.drop_column("call", "spam_source")
    op.drop_column("call", "spam")
    # Plain ALTER TABLE on ``tenant``: a batch copy drops the table on SQLite, and with foreign keys on, that deletes
    # every row that references an organisation.
    op.drop_column("tenant", "block_withheld")
    with op.batch_alter_table("blockedcaller") as batch:
        batch.drop_index(batch.f("ix_blockedcaller_tenant_id"))
    op.drop_table("blockedcaller")

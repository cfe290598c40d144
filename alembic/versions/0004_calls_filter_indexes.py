"""calls filter indexes: one (tenant_id, column, date key, id) index per equality filter of the calls list

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

Written by hand (autogenerate would write these, but not the CONCURRENTLY build). The calls list pages by keyset on
``coalesce(started_at, created_at), id``. With only the date index, a filter that few of a tenant's calls match (an
outcome, sentiment, call type, number or assistant with few or no calls, follow-ups marked done) makes the database
walk the tenant's whole history in date order to fill a page: about 0.2-0.3 s at a million calls. With the filter
column between ``tenant_id`` and the date key, such a page is one index range read in order, whatever the filter's
selectivity, and the keyset condition ``(key, id) < (...)`` stays an index condition for deep pages. Follow-ups done is
a partial index, like the open ones of 0002. Duration ranges need no new index: the list filters on the same
``coalesce(duration_seconds, 0)`` expression as the duration sort index of 0002.

On PostgreSQL the indexes are built CONCURRENTLY, outside the migration's transaction, so webhooks keep being stored
while a large ``call`` table is indexed; a build that fails leaves an invalid index to drop before upgrading again.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

WHEN = "coalesce(started_at, created_at)"
FILTER_COLUMNS = {
    "ix_call_tenant_outcome_when": "outcome",
    "ix_call_tenant_sentiment_when": "sentiment",
    "ix_call_tenant_type_when": "call_type",
    "ix_call_tenant_number_when": "phone_number_id",
    "ix_call_tenant_assistant_when": "assistant_id",
}
ACTION_DONE = "ix_call_tenant_action_done"


def _build(create) -> None:
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            create(postgresql_concurrently=True)
    else:
        create()


def upgrade() -> None:
    """Upgrade schema."""

    def create(**options) -> None:
        for name, column in FILTER_COLUMNS.items():
            op.create_index(name, "call", ["tenant_id", column, sa.text(WHEN), "id"], if_not_exists=True, **options)
        op.create_index(
            ACTION_DONE,
            "call",
            ["tenant_id", sa.text(WHEN), "id"],
            sqlite_where=sa.text("action_done_at IS NOT NULL"),
            postgresql_where=sa.text("action_done_at IS NOT NULL"),
            if_not_exists=True,
            **options,
        )

    _build(create)


def downgrade() -> None:
    """Downgrade schema."""

    def drop(**options) -> None:
        for name in (ACTION_DONE, *reversed(FILTER_COLUMNS)):
            op.drop_index(name, table_name="call", if_exists=True, **options)

    _build(drop)

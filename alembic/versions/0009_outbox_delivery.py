"""outbox delivery: a claim (lease) per attempt, the next attempt's time, sealed one-time links, queued-row index

Revision ID: 0009
Revises: 0014
Create Date: 2026-12-04

Written by hand. ``claimed_by``/``claimed_until`` let one worker at a time send a row, and let the sweep recover a row
whose worker died mid-send; ``next_attempt_at`` tells the sweep when a row waiting for a retry is due;
``sealed_links`` keeps one-time links encrypted out of the stored bodies. The partial index holds queued rows only.
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: Union[str, Sequence[str], None] = "0014"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch.add_column(sa.Column("claimed_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("sealed_links", sa.Text(), nullable=True))
    op.create_index(
        "ix_outbox_queued",
        "outbox",
        ["id"],
        unique=False,
        sqlite_where=sa.text("status = 'queued'"),
        postgresql_where=sa.text("status = 'queued'"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_outbox_queued", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("sealed_links")
        batch.drop_column("claimed_until")
        batch.drop_column("claimed_by")
        batch.drop_column("next_attempt_at")

"""setup checklist: notification choices apart (per-call email, daily digest), checklist dismissal, AVA number given out

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-05
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0018"
down_revision: Union[str, Sequence[str], None] = "0016"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("membership") as batch:
        batch.add_column(sa.Column("notify_digest", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("notify_chosen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("setup_dismissed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    with op.batch_alter_table("tenant") as batch:
        batch.add_column(sa.Column("gives_out_ava_number_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    # Plain ALTER TABLE on ``tenant``: a batch copy drops the table on SQLite, and with foreign keys on, that deletes
    # every row that references an organisation.
    op.drop_column("tenant", "gives_out_ava_number_at")
    with op.batch_alter_table("membership") as batch:
        batch.drop_column("setup_dismissed_at")
        batch.drop_column("notify_chosen_at")
        batch.drop_column("notify_digest")

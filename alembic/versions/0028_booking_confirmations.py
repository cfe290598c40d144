"""booking confirmations: the caller's email on a booking, when its reminder went, the business's reminder switch,
files attached to an outbox email (the .ics of a booking), the number a caller proved on a call by SMS code, and the
business's missed-call text-back switches; a member's text alerts and quiet hours

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0028"
down_revision: Union[str, Sequence[str], None] = "0027"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("booking", sa.Column("caller_email", sa.String(length=254), nullable=True))
    op.add_column("booking", sa.Column("reminded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.add_column(
        "bookingsettings",
        sa.Column("remind_day_before", sa.Boolean(), nullable=False, server_default=sa.text("true")),
    )
    op.add_column("outbox", sa.Column("attachments", sa.Text(), nullable=True))
    # Plain ALTER TABLE: a batch copy of ``call`` would drop its triggers and expression indexes on SQLite.
    op.add_column("call", sa.Column("proven_phone", sa.String(length=20), nullable=True))
    op.add_column("call", sa.Column("proven_phone_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    with op.batch_alter_table("tenant") as batch:
        for name in ("text_back_missed", "text_back_after_hours"):
            batch.add_column(sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.text("false")))
    with op.batch_alter_table("membership") as batch:
        batch.add_column(sa.Column("notify_sms", sa.String(length=10), nullable=False, server_default="never"))
        batch.add_column(sa.Column("quiet_from", sa.String(length=5), nullable=True))
        batch.add_column(sa.Column("quiet_until", sa.String(length=5), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("membership") as batch:
        batch.drop_column("quiet_until")
        batch.drop_column("quiet_from")
        batch.drop_column("notify_sms")
    # Plain ALTER TABLE on ``tenant``: a batch copy drops the table on SQLite, and with foreign keys on, that deletes
    # every row that references an organisation.
    op.drop_column("tenant", "text_back_after_hours")
    op.drop_column("tenant", "text_back_missed")
    op.drop_column("call", "proven_phone_at")
    op.drop_column("call", "proven_phone")
    op.drop_column("outbox", "attachments")
    op.drop_column("bookingsettings", "remind_day_before")
    op.drop_column("booking", "reminded_at")
    op.drop_column("booking", "caller_email")

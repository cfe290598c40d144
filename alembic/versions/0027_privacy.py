"""privacy: pii redaction per business (None follows the business's kind) and its optional kinds; retention days of
recordings, transcripts and raw provider messages; when a call's content was purged; an organisation's deletion date

Revision ID: 0027
Revises: 0022
Create Date: 2026-12-05
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0027"
down_revision: Union[str, Sequence[str], None] = "0022"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OPTIONAL = ("redact_emails", "redact_other_phones", "redact_birth_dates")


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("tenant") as batch:
        batch.add_column(sa.Column("redact_pii", sa.Boolean(), nullable=True))
        for name in OPTIONAL:
            batch.add_column(sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.text("false")))
        batch.add_column(sa.Column("retain_recordings_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("retain_transcripts_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("retain_payloads_days", sa.Integer(), nullable=False, server_default=sa.text("30")))
        batch.add_column(sa.Column("deletion_due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    # Plain ALTER TABLE: a batch copy of ``call`` would drop its triggers and expression indexes on SQLite.
    op.add_column("call", sa.Column("content_purged_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("call", "content_purged_at")
    # Plain ALTER TABLE on ``tenant``: a batch copy drops the table on SQLite, and with foreign keys on, that deletes
    # every row that references an organisation.
    for name in ("deletion_due_at", "retain_payloads_days", "retain_transcripts_days", "retain_recordings_days"):
        op.drop_column("tenant", name)
    for name in (*OPTIONAL, "redact_pii"):
        op.drop_column("tenant", name)

"""tenant suspension: when the platform's operators suspended an organisation, and why

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-06
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0037"
down_revision: Union[str, Sequence[str], None] = "0036"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("tenant") as batch:
        batch.add_column(sa.Column("suspended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("suspended_reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    # Plain ALTER TABLE: a batch copy drops and remakes ``tenant`` on SQLite, and with foreign keys on, dropping it
    # deletes every row that references an organisation.
    op.drop_column("tenant", "suspended_reason")
    op.drop_column("tenant", "suspended_at")

"""crm next attempt: when a CRM write held by a rate limit or an outage is tried again

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-07
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0040"
down_revision: Union[str, Sequence[str], None] = "0039"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    for table in ("crmsyncedcall", "crmsyncedbooking"):
        op.add_column(table, sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    for table in ("crmsyncedbooking", "crmsyncedcall"):
        op.drop_column(table, "next_attempt_at")

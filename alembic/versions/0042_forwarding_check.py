"""forwarding check: the window in which a forwarded call may confirm a number's forwarding

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-07
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0042"
down_revision: Union[str, Sequence[str], None] = "0041"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("phonenumber") as batch:
        batch.add_column(sa.Column("forwarding_check_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    # Plain ALTER TABLE: a batch copy drops the table on SQLite, and with foreign keys on, that deletes (or unlinks)
    # every row that references it.
    op.drop_column("phonenumber", "forwarding_check_until")

"""phone verification: a mobile number is confirmed by a texted code; a confirmed number belongs to one account

Revision ID: 0008
Revises: 0009
Create Date: 2026-12-04
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: Union[str, Sequence[str], None] = "0009"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CONFIRMED = sa.text("phone_verified_at IS NOT NULL")


def upgrade() -> None:
    """Upgrade schema.

    Numbers saved before this revision were never proven: they stay on the profile, unconfirmed, and no longer
    receive login codes until their owner confirms them.
    """
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("phone_verified_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.create_index(
        "uq_user_verified_phone",
        "user",
        ["phone"],
        unique=True,
        sqlite_where=CONFIRMED,
        postgresql_where=CONFIRMED,
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("uq_user_verified_phone", table_name="user")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("phone_verified_at")

"""business profile: what the assistant knows about the business (address, services and prices, bookings)

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-05
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: Union[str, Sequence[str], None] = "0012"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("assistant") as batch:
        batch.add_column(sa.Column("business_profile", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("assistant") as batch:
        batch.drop_column("business_profile")

"""webhook dead letters: failed apply attempts counted on each stored webhook event

Revision ID: 0011
Revises: 0006
Create Date: 2026-12-04
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: Union[str, Sequence[str], None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# A failed apply keeps its error and no processed_at: the dead letters platform admins list and retry.
DEAD_LETTER_WHERE = "error IS NOT NULL AND processed_at IS NULL"


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("webhookevent") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")))
    op.create_index(
        "ix_webhookevent_dead_letters",
        "webhookevent",
        ["id"],
        sqlite_where=sa.text(DEAD_LETTER_WHERE),
        postgresql_where=sa.text(DEAD_LETTER_WHERE),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_webhookevent_dead_letters", table_name="webhookevent")
    with op.batch_alter_table("webhookevent") as batch:
        batch.drop_column("attempts")

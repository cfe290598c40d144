"""junk calls: a block list per business (numbers and prefixes) and its "block withheld numbers" switch

Revision ID: 0030
Revises: 0027
Create Date: 2026-12-06
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0030"
down_revision: Union[str, Sequence[str], None] = "0027"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "blockedcaller",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("is_prefix", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "value", name="uq_blockedcaller_tenant_value"),
    )
    with op.batch_alter_table("blockedcaller") as batch:
        batch.create_index(batch.f("ix_blockedcaller_tenant_id"), ["tenant_id"], unique=False)
    with op.batch_alter_table("tenant") as batch:
        batch.add_column(sa.Column("block_withheld", sa.Boolean(), nullable=False, server_default=sa.text("false")))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("tenant") as batch:
        batch.drop_column("block_withheld")
    with op.batch_alter_table("blockedcaller") as batch:
        batch.drop_index(batch.f("ix_blockedcaller_tenant_id"))
    op.drop_table("blockedcaller")

"""billing currency: the subscription's currency; no sort by provider cost; spam calls by caller

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-06
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0038"
down_revision: Union[str, Sequence[str], None] = "0037"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("billingsubscription", sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3)))
    # What providers charge AVA is not the owner's cost: nothing sorts calls by it any more, and an index every call
    # write keeps up to date for no reader is only cost.
    op.drop_index("ix_call_tenant_cost", table_name="call")
    # Text-back skips a caller with an earlier call marked spam: a partial index over the few spam calls.
    op.create_index(
        "ix_call_tenant_spam_caller",
        "call",
        ["tenant_id", "caller_number"],
        sqlite_where=sa.text("spam = 1"),
        postgresql_where=sa.text("spam"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_call_tenant_spam_caller", table_name="call")
    op.create_index("ix_call_tenant_cost", "call", ["tenant_id", sa.text("coalesce(cost, 0)"), "id"])
    op.drop_column("billingsubscription", "currency")

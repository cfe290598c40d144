"""billing currency: the subscription's currency; the calls list no longer sorts by provider cost

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


def downgrade() -> None:
    """Downgrade schema."""
    op.create_index("ix_call_tenant_cost", "call", ["tenant_id", sa.text("coalesce(cost, 0)"), "id"])
    op.drop_column("billingsubscription", "currency")

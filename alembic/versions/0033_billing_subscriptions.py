"""billing: each tenant's Stripe customer and subscription, the Stripe events accepted, and the calls whose minutes
were reported to the meter

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0033"
down_revision: Union[str, Sequence[str], None] = "0032"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "billingsubscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("stripe_customer_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("stripe_subscription_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("plan_code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("current_period_start", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("current_period_end", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("cancel_at_period_end", sa.Boolean(), nullable=False),
        sa.Column("grace_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("grace_notice_sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("billingsubscription") as batch:
        batch.create_index(batch.f("ix_billingsubscription_tenant_id"), ["tenant_id"], unique=True)
        batch.create_index(batch.f("ix_billingsubscription_stripe_customer_id"), ["stripe_customer_id"], unique=True)
        batch.create_index(
            batch.f("ix_billingsubscription_stripe_subscription_id"), ["stripe_subscription_id"], unique=False
        )
    op.create_table(
        "stripeevent",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("customer_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("subscription_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("processed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "meterreport",
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("reported_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["call.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("call_id"),
    )
    with op.batch_alter_table("meterreport") as batch:
        batch.create_index(batch.f("ix_meterreport_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("meterreport") as batch:
        batch.drop_index(batch.f("ix_meterreport_tenant_id"))
    op.drop_table("meterreport")
    op.drop_table("stripeevent")
    with op.batch_alter_table("billingsubscription") as batch:
        batch.drop_index(batch.f("ix_billingsubscription_stripe_subscription_id"))
        batch.drop_index(batch.f("ix_billingsubscription_stripe_customer_id"))
        batch.drop_index(batch.f("ix_billingsubscription_tenant_id"))
    op.drop_table("billingsubscription")

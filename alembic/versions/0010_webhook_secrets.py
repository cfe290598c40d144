"""webhook secrets: a tenant's own Vapi webhook secrets in a table of their own (current + replaced in grace)

The hash of each tenant's secret derived from AVA_SECRET_KEY moves from ``tenant.webhook_secret_hash`` to a
``webhooksecret`` row without its value: that secret keeps working, and AVA stores its value encrypted the first
time it pushes the tenant's assistants (or when ``python -m ava_app.manage rotate-secret-key`` runs).

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-04
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: Union[str, Sequence[str], None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "webhooksecret",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("secret_hash"),
    )
    with op.batch_alter_table("webhooksecret") as batch:
        batch.create_index(batch.f("ix_webhooksecret_tenant_id"), ["tenant_id"], unique=False)
    op.execute(
        "INSERT INTO webhooksecret (tenant_id, secret_hash, created_at) "
        "SELECT id, webhook_secret_hash, CURRENT_TIMESTAMP FROM tenant WHERE webhook_secret_hash IS NOT NULL"
    )
    op.execute("UPDATE tenant SET webhook_secret_hash = NULL")


def downgrade() -> None:
    """Downgrade schema: the current secret's hash goes back to the tenant (its value, if stored, is lost)."""
    op.execute(
        "UPDATE tenant SET webhook_secret_hash = (SELECT MAX(w.secret_hash) FROM webhooksecret w "
        "WHERE w.tenant_id = tenant.id AND w.expires_at IS NULL)"
    )
    with op.batch_alter_table("webhooksecret") as batch:
        batch.drop_index(batch.f("ix_webhooksecret_tenant_id"))
    op.drop_table("webhooksecret")

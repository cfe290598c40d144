"""data rights: exports built by a job, and deleted calls kept restorable for a grace period before their purge

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-06
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0039"
down_revision: Union[str, Sequence[str], None] = "0038"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        "tenant", sa.Column("deleted_calls_grace_days", sa.Integer(), server_default=sa.text("7"), nullable=False)
    )
    op.create_table(
        "dataexport",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("file_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["requested_by"], ["user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_dataexport_tenant_id"), "dataexport", ["tenant_id"], unique=False)
    op.create_table(
        "deletedcall",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("provider_call_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("deleted_by", sa.Integer(), nullable=True),
        sa.Column("deleted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("purge_after", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["deleted_by"], ["user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_deletedcall_tenant_id"), "deletedcall", ["tenant_id"], unique=False)
    op.create_index(op.f("ix_deletedcall_call_id"), "deletedcall", ["call_id"], unique=False)
    op.create_index(op.f("ix_deletedcall_purge_after"), "deletedcall", ["purge_after"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("deletedcall")
    op.drop_table("dataexport")
    # Plain ALTER TABLE: a batch copy of ``tenant`` on SQLite would cascade-delete every row that references it.
    op.drop_column("tenant", "deleted_calls_grace_days")

"""bookings: AVA's own booking calendar (services, staff and their hours, booking rules, bookings)

Two live bookings of one staff member must never overlap, even when two callers take the same slot at the same
moment. On PostgreSQL an exclusion constraint says so (``btree_gist`` lets the staff id share a GiST index with the
time range); SQLite has no such constraint, and ``services.bookings`` checks inside the write transaction instead.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0020"
down_revision: Union[str, Sequence[str], None] = "0019"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "bookingservice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("price_minor", sa.Integer(), nullable=True),
        sa.Column("buffer_minutes", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bookingservice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bookingservice_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "bookingsettings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("min_notice_minutes", sa.Integer(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("granularity_minutes", sa.Integer(), nullable=False),
        sa.Column("max_per_day", sa.Integer(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id"),
    )
    op.create_table(
        "bookingstaff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("working_hours", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bookingstaff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bookingstaff_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "bookingstaffservice",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["service_id"], ["bookingservice.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["staff_id"], ["bookingstaff.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("staff_id", "service_id"),
    )
    with op.batch_alter_table("bookingstaffservice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bookingstaffservice_service_id"), ["service_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bookingstaffservice_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "booking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("start_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("end_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("busy_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("caller_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("caller_phone", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("price_minor", sa.Integer(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("cancelled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["call.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["service_id"], ["bookingservice.id"]),
        sa.ForeignKeyConstraint(["staff_id"], ["bookingstaff.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_booking_call_id"), ["call_id"], unique=False)
        batch_op.create_index("ix_booking_staff_start", ["staff_id", "start_at"], unique=False)
        batch_op.create_index("ix_booking_tenant_phone", ["tenant_id", "caller_phone"], unique=False)
        batch_op.create_index("ix_booking_tenant_start", ["tenant_id", "start_at"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE booking ADD CONSTRAINT booking_staff_no_overlap EXCLUDE USING gist "
            "(staff_id WITH =, tstzrange(start_at, busy_until, '[)') WITH &&) WHERE (status = 'booked')"
        )


def downgrade() -> None:
    """Downgrade schema (the constraint goes with its table; btree_gist stays, other databases may use it)."""
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_index("ix_booking_tenant_start")
        batch_op.drop_index("ix_booking_tenant_phone")
        batch_op.drop_index("ix_booking_staff_start")
        batch_op.drop_index(batch_op.f("ix_booking_call_id"))

    op.drop_table("booking")
    with op.batch_alter_table("bookingstaffservice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bookingstaffservice_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_bookingstaffservice_service_id"))

    op.drop_table("bookingstaffservice")
    with op.batch_alter_table("bookingstaff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bookingstaff_tenant_id"))

    op.drop_table("bookingstaff")
    op.drop_table("bookingsettings")
    with op.batch_alter_table("bookingservice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bookingservice_tenant_id"))

    op.drop_table("bookingservice")

"""deliveries log: what each outbox message is for and the call it is about, the call of each webhook delivery, and
indexes that read a business's newest messages first

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-06

Messages already sent get a purpose from what is known of them: one-time links mark account emails, and the outbox keys
of summaries, digests, member alerts, text-backs and booking messages name what they were.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0036"
down_revision: Union[str, Sequence[str], None] = "0035"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

FAILED = sa.text("status = 'failed'")
QUEUED = sa.text("status = 'queued'")
PURPOSES_BY_KEY = (
    ("call-summary:%", "summary"),
    ("call-digest:%", "digest"),
    ("member-alert:%", "alert"),
    ("text-back:%", "text_back"),
    ("booking-%", "booking"),
    ("booking-%:reminder:%", "reminder"),
)


def add_call_column(table: str) -> None:
    """A nullable ``call_id`` referencing the call (SET NULL when it is deleted). SQLite copies the table to add the
    constraint: the outbox's partial index is dropped first and made again after, so it stays partial."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite and table == "outbox":
        op.drop_index("ix_outbox_queued", table_name="outbox")
    with op.batch_alter_table(table) as batch:
        batch.add_column(sa.Column("call_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(f"fk_{table}_call_id", "call", ["call_id"], ["id"], ondelete="SET NULL")
    if sqlite and table == "outbox":
        op.create_index("ix_outbox_queued", "outbox", ["id"], sqlite_where=QUEUED, postgresql_where=QUEUED)


def upgrade() -> None:
    """Upgrade schema."""
    # Plain ALTER TABLE (no batch copy): the outbox keeps its partial index on SQLite.
    op.add_column("outbox", sa.Column("purpose", sa.String(length=12), nullable=False, server_default="notice"))
    add_call_column("outbox")
    op.create_index(op.f("ix_outbox_call_id"), "outbox", ["call_id"])
    op.create_index("ix_outbox_tenant_newest", "outbox", ["tenant_id", "id"])
    op.create_index(
        "ix_outbox_tenant_failed",
        "outbox",
        ["tenant_id", "created_at"],
        sqlite_where=FAILED,
        postgresql_where=FAILED,
    )
    add_call_column("webhookdelivery")
    op.create_index(op.f("ix_webhookdelivery_call_id"), "webhookdelivery", ["call_id"])
    op.create_index("ix_webhookdelivery_tenant_newest", "webhookdelivery", ["tenant_id", "id"])
    op.create_index(
        "ix_webhookdelivery_tenant_failed",
        "webhookdelivery",
        ["tenant_id", "created_at"],
        sqlite_where=FAILED,
        postgresql_where=FAILED,
    )
    outbox = sa.table(
        "outbox", sa.column("purpose", sa.String), sa.column("dedupe_key", sa.String), sa.column("sealed_links", sa.Text)
    )
    op.execute(outbox.update().where(outbox.c.sealed_links.is_not(None)).values(purpose="account"))
    for pattern, purpose in PURPOSES_BY_KEY:
        op.execute(outbox.update().where(outbox.c.dedupe_key.like(pattern)).values(purpose=purpose))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_webhookdelivery_tenant_failed", table_name="webhookdelivery")
    op.drop_index("ix_webhookdelivery_tenant_newest", table_name="webhookdelivery")
    op.drop_index(op.f("ix_webhookdelivery_call_id"), table_name="webhookdelivery")
    with op.batch_alter_table("webhookdelivery") as batch:
        batch.drop_constraint("fk_webhookdelivery_call_id", type_="foreignkey")
        batch.drop_column("call_id")
    op.drop_index("ix_outbox_tenant_failed", table_name="outbox")
    op.drop_index("ix_outbox_tenant_newest", table_name="outbox")
    op.drop_index(op.f("ix_outbox_call_id"), table_name="outbox")
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.drop_index("ix_outbox_queued", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint("fk_outbox_call_id", type_="foreignkey")
        batch.drop_column("call_id")
        batch.drop_column("purpose")
    if sqlite:
        op.create_index("ix_outbox_queued", "outbox", ["id"], sqlite_where=QUEUED)

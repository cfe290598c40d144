"""business region: each organisation's country and currency; a number's forwarded line

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: Union[str, Sequence[str], None] = "0011"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("tenant") as batch:
        batch.add_column(sa.Column("country", sa.String(length=2), nullable=False, server_default="US"))
        batch.add_column(sa.Column("currency", sa.String(length=3), nullable=False, server_default="USD"))
    with op.batch_alter_table("phonenumber") as batch:
        batch.add_column(sa.Column("forwarded_from", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("forwarding_confirmed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    # Organisations created before this revision: a French-speaking one is taken to be in France.
    op.execute("UPDATE tenant SET country = 'FR', currency = 'EUR' WHERE locale = 'fr'")


def downgrade() -> None:
    """Downgrade schema."""
    # Plain ALTER TABLE: a batch copy drops the table on SQLite, and with foreign keys on, that deletes (or unlinks)
    # every row that references it.
    op.drop_column("phonenumber", "forwarding_confirmed_at")
    op.drop_column("phonenumber", "forwarded_from")
    op.drop_column("tenant", "currency")
    op.drop_column("tenant", "country")

"""pii redaction per business: on/off (None follows the business's kind) and the optional kinds of data

Revision ID: 0027
Revises: 0022
Create Date: 2026-12-05
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: Union[str, Sequence[str], None] = "0022"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OPTIONAL = ("redact_emails", "redact_other_phones", "redact_birth_dates")


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("tenant") as batch:
        batch.add_column(sa.Column("redact_pii", sa.Boolean(), nullable=True))
        for name in OPTIONAL:
            batch.add_column(sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.text("false")))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("tenant") as batch:
        for name in (*OPTIONAL, "redact_pii"):
            batch.drop_column(name)

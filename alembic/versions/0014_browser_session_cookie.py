"""browser session cookie: the hashed token of the web app's httpOnly session cookie, one per AuthSession

Revision ID: 0014
Revises: 0005
Create Date: 2026-12-04
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("authsession") as batch:
        batch.add_column(sa.Column("browser_token_hash", sa.String(length=128), nullable=True))
        batch.create_unique_constraint("uq_authsession_browser_token_hash", ["browser_token_hash"])


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("authsession") as batch:
        batch.drop_constraint("uq_authsession_browser_token_hash", type_="unique")
        batch.drop_column("browser_token_hash")

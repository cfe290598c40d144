"""industry preset keys: organisations that signed up as "dental" or "medical" now have the "clinic" preset key

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

Data only. Signup used to offer its own industry keys, two of which ("dental", "medical") are not preset keys, so
those organisations' assistants were made from the "Other" preset. Signup now offers the preset keys; this moves
stored organisations onto them. Assistants already made are left as their owners may have edited them.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Frozen here: the application's mapping (accounts.LEGACY_INDUSTRIES) may change, this migration must not.
LEGACY = {"dental": "clinic", "medical": "clinic"}


def upgrade() -> None:
    """Upgrade data."""
    tenant = sa.table("tenant", sa.column("industry", sa.String))
    for old, new in LEGACY.items():
        op.execute(tenant.update().where(tenant.c.industry == old).values(industry=new))


def downgrade() -> None:
    """Nothing to undo: "dental" and "medical" both became "clinic", and "clinic" is valid before this revision."""

"""API key scopes and expiry: each key lists what it may call and may expire; existing keys get their role's scopes

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06

Keys made before scopes acted with their role everywhere a key was let in; they keep that reach, as scopes
(``services.api_keys.ROLE_SCOPES``, copied here so the migration does not change with the code), and never expire.
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0032"
down_revision: Union[str, Sequence[str], None] = "0031"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ROLE_SCOPES = {
    "admin": ["calls:read", "calls:write", "assistant:manage", "webhooks:manage"],
    "user": ["calls:read", "calls:write", "assistant:manage"],
    "viewer": ["calls:read"],
}


def upgrade() -> None:
    with op.batch_alter_table("apikey", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scopes", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    apikey = sa.table("apikey", sa.column("role", sa.String()), sa.column("scopes", sa.JSON()))
    for role, scopes in ROLE_SCOPES.items():
        op.execute(apikey.update().where(apikey.c.role == role).values(scopes=scopes))
    # A role AVA never gave (none should exist): the narrowest reach.
    op.execute(apikey.update().where(apikey.c.scopes.is_(None)).values(scopes=ROLE_SCOPES["viewer"]))
    with op.batch_alter_table("apikey", schema=None) as batch_op:
        batch_op.alter_column("scopes", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("apikey", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
        batch_op.drop_column("scopes")



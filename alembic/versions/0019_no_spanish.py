"""languages: AVA speaks English and French; stored Spanish moves to English or the organisation's language

Spanish was offered by the profile and the assistant form, but neither the interface nor the sentences AVA says to
callers had it. People and organisations that chose it get English; an assistant gets its organisation's language,
and a Spanish voice (which speaks neither) the default voice of that language.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: Union[str, Sequence[str], None] = "0018"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# ``services.presets.DEFAULT_VOICES`` when this revision was written (a migration does not follow later changes).
_DEFAULT_VOICES = {"en": ("vapi", "Elliot"), "fr": ("azure", "fr-FR-DeniseNeural")}

_tenant = sa.table("tenant", sa.column("id", sa.Integer), sa.column("locale", sa.String))
_user = sa.table("user", sa.column("locale", sa.String))
_assistant = sa.table(
    "assistant",
    sa.column("tenant_id", sa.Integer),
    sa.column("language", sa.String),
    sa.column("voice_provider", sa.String),
    sa.column("voice_id", sa.String),
)


def _spanish(column: sa.ColumnElement) -> sa.ColumnElement:
    """ "es" and its regional forms ("es-MX", "es_419"), any case."""
    return sa.func.lower(sa.func.substr(column, 1, 2)) == "es"


def upgrade() -> None:
    """Upgrade schema."""
    op.execute(_tenant.update().where(_spanish(_tenant.c.locale)).values(locale="en"))
    op.execute(_user.update().where(_spanish(_user.c.locale)).values(locale="en"))
    business_language = sa.select(_tenant.c.locale).where(_tenant.c.id == _assistant.c.tenant_id).scalar_subquery()
    for language, (provider, voice) in _DEFAULT_VOICES.items():
        op.execute(
            _assistant.update()
            .where(
                _assistant.c.voice_provider == "azure",
                _assistant.c.voice_id.like("es-%"),
                sa.func.coalesce(business_language, "en") == language,
            )
            .values(voice_provider=provider, voice_id=voice)
        )
    op.execute(
        _assistant.update()
        .where(_spanish(_assistant.c.language))
        .values(language=sa.case((business_language == "fr", "fr"), else_="en"))
    )


def downgrade() -> None:
    """Downgrade schema: nothing to undo (which rows were Spanish is not kept, and English or French stays valid)."""

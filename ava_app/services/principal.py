"""Who is calling: the authenticated user (or API key), their current organisation and role.

Routes get a ``Principal`` from the ``current_principal`` dependency and Reflex states build one from their session
token; services take it as an argument and read the tenant from it, never from a client-supplied id.
"""

from __future__ import annotations

from dataclasses import dataclass

from ava_app.services.errors import Forbidden

WRITER_ROLES = ("admin", "user")


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. ``tenant_id``/``role`` are None for a user who belongs to no organisation yet."""

    user_id: int | None
    tenant_id: int | None
    role: str | None
    session_id: int | None = None
    api_key_id: int | None = None
    # What an API key may call (``services.api_keys.SCOPES``); empty for people, whose role alone decides.
    scopes: frozenset[str] = frozenset()
    # Operator of the deployment, not a tenant role: never implies any access to a tenant's data.
    is_platform_admin: bool = False

    @property
    def is_api_key(self) -> bool:
        return self.api_key_id is not None

    @property
    def is_admin(self) -> bool:
        return self.tenant_id is not None and self.role == "admin"

    @property
    def can_write(self) -> bool:
        return self.tenant_id is not None and self.role in WRITER_ROLES

    def require_user(self) -> int:
        """The user id; Forbidden for an API key (account and team management need a person)."""
        if self.user_id is None or self.is_api_key:
            raise Forbidden("This action needs a logged-in user, not an API key.", code="user_required")
        return self.user_id

    def require_platform_admin(self) -> int:
        """The user id; Forbidden unless a person who operates the deployment (set from the command line)."""
        user_id = self.require_user()
        if not self.is_platform_admin:
            raise Forbidden("Only the platform's operators can do this.", code="platform_admin_only")
        return user_id

    def require_member(self) -> int:
        """The current tenant id; Forbidden when the caller has no organisation selected."""
        if self.tenant_id is None or self.role is None:
            raise Forbidden("Select or create an organisation first.", code="no_organisation")
        return self.tenant_id

    def require_writer(self) -> int:
        """The current tenant id; Forbidden for viewers (read-only everywhere)."""
        tenant_id = self.require_member()
        if not self.can_write:
            raise Forbidden("Viewers have read-only access.", code="read_only")
        return tenant_id

    def require_admin(self) -> int:
        """The current tenant id; Forbidden unless an admin (team, credentials, billing, API keys)."""
        tenant_id = self.require_member()
        if not self.is_admin:
            raise Forbidden("Only admins can do this.", code="admin_only")
        return tenant_id

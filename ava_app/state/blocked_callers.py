"""/settings/blocked-callers: the organisation's blocked numbers and prefixes, and the withheld-numbers switch."""

from __future__ import annotations

import reflex as rx

from ava_app.i18n import translate, translate_message
from ava_app.services import call_blocking
from ava_app.services.errors import DomainError
from ava_app.state.auth import AuthState


class BlockedCallersState(AuthState):
    """The block list as plain rows; admins and writers add and remove, everyone in the organisation reads."""

    blocked_rows: list[dict] = []
    block_withheld: bool = False
    new_blocked: str = ""
    blocked_error: str = ""
    blocked_loaded: bool = False
    blocked_failed: bool = False
    blocked_busy: bool = False

    def _show_list(self, listed: call_blocking.BlockListOut) -> None:
        self.blocked_rows = [
            {"value": entry.value, "display": entry.display, "prefix": entry.is_prefix} for entry in listed.entries
        ]
        self.block_withheld = listed.block_withheld

    @rx.event
    async def load_blocked(self):
        """On-load: the organisation's block list."""
        self.blocked_loaded = self.blocked_failed = False
        self.new_blocked, self.blocked_error = "", ""
        call = await self._call_async(lambda s, p: call_blocking.block_list(s, principal=p))
        if call.refused:
            self.blocked_failed = True
            return call.event
        self._show_list(call.value)
        self.blocked_loaded = True
        return None

    @rx.event
    def set_new_blocked(self, value: str):
        self.new_blocked = value[:40]
        self.blocked_error = ""

    def _entry_refused(self, error: DomainError):
        message = error.details.get("fields", {}).get("value")
        if message:
            self.blocked_error = translate_message(message, self.lang or "en")
            return None
        return self._fail(error)

    @rx.event
    async def add_blocked(self, form: dict | None = None):
        """Block the number or prefix typed."""
        typed = str((form or {}).get("blocked") or self.new_blocked).strip()

        def add(session, principal):
            call_blocking.block_caller(session, principal=principal, value=typed)
            return call_blocking.block_list(session, principal=principal)

        call = await self._call_async(add, busy="blocked_busy", on_error=self._entry_refused)
        if call.refused:
            return call.event
        self._show_list(call.value)
        self.new_blocked, self.blocked_error = "", ""
        return rx.toast.success(translate("blocked.added", self.lang or "en"))

    @rx.event
    async def remove_blocked(self, value: str):
        """Unblock one number or prefix of the list."""

        def remove(session, principal):
            call_blocking.unblock_caller(session, principal=principal, value=str(value)[:40])
            return call_blocking.block_list(session, principal=principal)

        call = await self._call_async(remove)
        if call.refused:
            return call.event
        self._show_list(call.value)
        return rx.toast.success(translate("blocked.removed", self.lang or "en"))

    @rx.event
    async def set_block_withheld(self, enabled: bool):
        """Refuse (or accept again) callers who withhold their number."""
        call = await self._call_async(
            lambda s, p: call_blocking.set_block_withheld(s, principal=p, enabled=bool(enabled))
        )
        if call.refused:
            return call.event
        self.block_withheld = call.value
        return rx.toast.success(translate("blocked.saved", self.lang or "en"))

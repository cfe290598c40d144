"""The "Texts to callers" card of /settings/business: missed-call text-back and after-hours text-back. Each switch
saves at once; the service re-checks that the caller is an admin of the organisation in their session."""

from __future__ import annotations

import reflex as rx

from ava_app.i18n import translate
from ava_app.services import text_back
from ava_app.state.auth import AuthState


class TextBackState(AuthState):
    text_back_missed: bool = False
    text_back_after_hours: bool = False
    text_back_can_edit: bool = False
    text_back_loaded: bool = False
    text_back_busy: bool = False

    @rx.event
    async def load_text_back(self):
        call = await self._call_async(lambda s, p: text_back.get_text_back(s, principal=p))
        if call.refused:
            return call.event
        self._show(call.value)
        return None

    @rx.event
    async def set_text_back_missed(self, value: bool):
        return await self._save(missed=bool(value), after_hours=self.text_back_after_hours)

    @rx.event
    async def set_text_back_after_hours(self, value: bool):
        return await self._save(missed=self.text_back_missed, after_hours=bool(value))

    async def _save(self, *, missed: bool, after_hours: bool):
        call = await self._call_async(
            lambda s, p: text_back.save_text_back(s, principal=p, missed=missed, after_hours=after_hours),
            busy="text_back_busy",
        )
        if call.refused:
            return call.event
        self._show(call.value)
        return rx.toast.success(translate("text_back.saved", self.lang or "en"))

    def _show(self, value: text_back.TextBackOut) -> None:
        self.text_back_missed, self.text_back_after_hours = value.missed, value.after_hours
        self.text_back_can_edit, self.text_back_loaded = value.can_edit, True

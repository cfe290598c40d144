"""How calls reach AVA in the browser: the wizard's last step and the dashboard card.

Shows the AVA number, saves the owner's existing line (``reach.set_forwarded_from``), lists the forwarding codes of
their carrier (``services.forwarding``) and follows the forwarding's confirmation: the owner starts a check
("I am calling my usual number now") and a call forwarded from that line during it confirms it. In sandbox mode the
Vapi emulator places test calls, forwarded or not, through its ``simulate-call`` route: the call travels the same
webhooks as a real one.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from ava_app.i18n import translate
from ava_app.sandbox.vapi.dev_calls import place_sandbox_call
from ava_app.services import forwarding, reach, regional
from ava_app.services.errors import DomainError, Invalid
from ava_app.settings import get_settings
from ava_app.state.auth import AuthState

# How long a simulated forwarded call is followed before the step says it has not been seen.
CONFIRM_WAIT_SECONDS = 20
# How long the page follows a check the owner started (the check itself stays open ``reach.CHECK_WINDOW``; after
# this the owner presses "Check again").
CHECK_FOLLOW_SECONDS = 180
# Carrier names that are descriptions rather than brands, in the interface language.
_DESCRIBED = {
    "us_landline": "reach.landline",
    "bt_landline": "reach.bt_landline",
    forwarding.OTHER: "reach.carrier_other",
}


def _emulator_calls_offered() -> bool:
    """Sandbox calls need the Vapi emulator: a dev deployment without a Vapi key."""
    settings = get_settings()
    return settings.vapi_sandbox and settings.emulators_served


class ReachState(AuthState):
    """The AVA number, the forwarded line and its codes, the forwarding's status."""

    reach_loaded: bool = False
    has_number: bool = False
    number_display: str = ""
    number_tel: str = ""
    country: str = "US"
    line_input: str = ""
    line_display: str = ""
    line_error: str = ""
    line_saving: bool = False
    confirmed: bool = False
    # The end of the open forwarding check in the business's clock ("4:35 PM", "16:35"); '' when none is open.
    check_until: str = ""
    check_note: str = ""
    starting_check: bool = False
    carrier_key: str = ""
    carrier_options: list[dict[str, str]] = []
    codes: list[dict[str, str]] = []
    cancel_all_code: str = ""
    cancel_all_link: str = ""
    emulator_calls: bool = False
    placing_call: bool = False
    simulating: bool = False
    not_seen: bool = False
    live: bool = False
    _e164: str = ""

    def _show(self, out: reach.ReachOut) -> None:
        lang = self.lang or "en"
        self.has_number = out.number_id is not None
        self.number_display, self.number_tel, self.country = out.display, out.tel, out.country
        self._e164 = out.e164 or ""
        self.line_display = out.forwarded_display
        self.confirmed = out.forwarding_confirmed_at is not None
        self.check_until = (
            regional.format_time(
                out.check_until,
                timezone=self._business_timezone,
                language=lang,
                country=self.business_country or out.country,
            )
            if out.check_until is not None and not self.confirmed
            else ""
        )
        self.check_note = translate("reach.check_open", lang, until=self.check_until) if self.check_until else ""
        self.live = out.live
        self.carrier_options = [
            {"key": c.key, "name": translate(_DESCRIBED[c.key], lang) if c.key in _DESCRIBED else c.name}
            for c in forwarding.carriers(out.country)
        ]
        if self.carrier_key not in {option["key"] for option in self.carrier_options}:
            self.carrier_key = self.carrier_options[0]["key"]
        self._fill_codes()

    def _fill_codes(self) -> None:
        lang = self.lang or "en"
        if not self._e164:
            self.codes, self.cancel_all_code, self.cancel_all_link = [], "", ""
            return
        self.codes = [
            {
                "kind": code.kind,
                "label": translate(f"reach.kind.{code.kind}", lang),
                "dial": code.dial,
                "dial_link": code.dial_link,
                "cancel": code.cancel,
                "cancel_link": code.cancel_link,
            }
            for code in forwarding.codes(self.country, self.carrier_key, self._e164)
        ]
        self.cancel_all_code = forwarding.cancel_all(self.country, self.carrier_key)
        self.cancel_all_link = forwarding.tel_link(self.cancel_all_code) if self.cancel_all_code else ""

    @rx.var
    def carrier_note(self) -> bool:
        """The "other" choice and landlines get the note that codes differ from one operator to another."""
        return self.carrier_key in (forwarding.OTHER, "us_landline", "bt_landline")

    @rx.var
    def forward_status(self) -> str:
        """One line for the dashboard card: which line is forwarded, and whether a forwarded call proved it."""
        lang = self.lang or "en"
        if not self.line_display:
            return translate("reach.card.forward_none", lang)
        key = "reach.card.forward_on" if self.confirmed else "reach.card.forward_pending"
        return translate(key, lang, number=self.line_display)

    @rx.event
    async def load_reach(self):
        """The AVA number and the forwarding's status, as the organisation has them now (read in a worker thread)."""
        self.emulator_calls = _emulator_calls_offered()
        call = await self._call_async(lambda s, p: reach.get_reach(s, principal=p))
        if call.refused:
            return call.event
        self._show(call.value)
        self.line_input = self.line_display
        self.line_error, self.not_seen = "", False
        self.reach_loaded = True
        return None

    @rx.event
    def set_line_input(self, value: str):
        self.line_input, self.line_error = value[:40], ""

    @rx.event
    def set_carrier(self, value: str):
        self.carrier_key = value if value in {o["key"] for o in self.carrier_options} else self.carrier_key
        self._fill_codes()

    def _take_line_error(self, error: DomainError):
        if not isinstance(error, Invalid):
            return self._fail(error)
        self.line_error = self._error_text(error)
        return None

    @rx.event
    async def save_line(self, _form: dict | None = None):
        """Save the existing line; a new line waits for a forwarded call from it to be confirmed."""
        text = self.line_input
        call = await self._call_async(
            lambda s, p: reach.set_forwarded_from(s, principal=p, text=text),
            busy="line_saving",
            on_error=self._take_line_error,
        )
        if call.refused:
            return call.event
        self._show(call.value)
        self.line_input, self.line_error, self.not_seen = self.line_display, "", False
        return rx.toast.success(translate("reach.line_saved", self.lang or "en"))

    @rx.event
    async def check_again(self):
        """Read the forwarding's status again (a forwarded call may have arrived since)."""
        call = await self._call_async(lambda s, p: reach.get_reach(s, principal=p))
        if call.refused:
            return call.event
        self._show(call.value)
        self.not_seen = not self.confirmed and bool(self.line_display)
        return None

    @rx.event(background=True)
    async def place_call(self):
        """Sandbox: the emulator calls the AVA number, as a customer would (the dashboard shows it live)."""
        event = await self._sandbox_call(forwarded=False)
        async with self:
            self.placing_call = False
            lang = self.lang or "en"
        yield event or rx.toast.success(translate("reach.call_placed", lang))

    @rx.event(background=True)
    async def start_check(self):
        """The owner is about to call their usual number: open the check (``reach.start_check``), then follow it for
        a while so the step turns green when the forwarded call arrives."""
        async with self:
            if self.starting_check or self.simulating:
                return
            self.starting_check, self.not_seen = True, False
        call = await self._call_in_thread(
            lambda s, p: reach.start_check(s, principal=p), on_error=self._take_line_error
        )
        async with self:
            self.starting_check = False
            if call.refused:
                lang = self.lang or "en"
                yield call.event or rx.toast.error(self.line_error or translate("error.no_number", lang))
                return
            self._show(call.value)
        await self._follow_check(CHECK_FOLLOW_SECONDS, poll=2.0)

    @rx.event(background=True)
    async def simulate_forwarded_call(self):
        """Sandbox: the owner's check opens and the emulator places a call forwarded from the saved line, then the
        step waits for AVA to recognise it (the same webhooks a real forwarded call sends)."""
        event = await self._sandbox_call(forwarded=True)
        if event is not None:
            async with self:
                self.simulating = False
            yield event
            return
        await self._follow_check(CONFIRM_WAIT_SECONDS, poll=0.5)
        async with self:
            self.simulating = False

    async def _follow_check(self, seconds: float, *, poll: float) -> None:
        """Read the forwarding's status every ``poll`` seconds until it is confirmed, the check ends or ``seconds``
        pass; then show it ("not seen" when it was not confirmed)."""
        out = None
        for _ in range(int(seconds / poll)):
            await asyncio.sleep(poll)
            call = await self._call_in_thread(lambda s, p: reach.get_reach(s, principal=p))
            if call.refused:
                out = None  # signed out meanwhile: what was read before belongs to the account that left
                break
            out = call.value
            if out.forwarding_confirmed_at is not None or out.check_until is None:
                break
        async with self:
            if out is not None:
                self._show(out)
                self.not_seen = not self.confirmed

    async def _sandbox_call(self, *, forwarded: bool):
        """Have the emulator place the call; the event that says why not, or None once it is placed."""
        async with self:
            lang = self.lang or "en"
            if not _emulator_calls_offered():
                return rx.toast.error(translate("reach.sandbox_note", lang))
            if self.simulating or self.placing_call:
                return rx.toast.info(translate("reach.waiting_call", lang))
            self.simulating, self.placing_call = forwarded, not forwarded
            self.not_seen = False

        def target(session, principal) -> reach.SandboxCallTarget:
            if forwarded:  # the simulated call stands for the owner calling their usual line: their check opens
                reach.start_check(session, principal=principal)
            return reach.sandbox_call_target(session, principal=principal, forwarded=forwarded)

        call = await self._call_in_thread(target, on_error=self._take_line_error)
        if call.refused:
            return call.event or rx.toast.error(self.line_error or translate("error.no_number", lang))
        target = call.value
        placed = await place_sandbox_call(
            phone_number_id=target.provider_number_id, forwarded_from=target.forwarded_from
        )
        if not placed:
            return rx.toast.error(translate("reach.call_failed", lang))
        return None

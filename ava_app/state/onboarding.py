"""The onboarding wizard in the browser: which step is shown, the industry, going live from step 6 (the test call of
step 5 is ``TestCallState``, also offered on /assistant; step 6 is ``ReachState``, shared with the dashboard card).

Progress lives on the organisation (``onboarding.get_progress``/``set_step``), so a reload or a later login resumes
where the owner left. Step 3 uses ``NumberFlowState`` and step 4 ``AssistantFormState``, shared with the pages that
edit the same things later.
"""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.i18n import translate
from ava_app.services import onboarding, phone_numbers, phones, presets, reach
from ava_app.services.errors import DomainError
from ava_app.services.principal import Principal
from ava_app.state.assistant import AssistantFormState
from ava_app.state.auth import AuthState
from ava_app.state.reach import ReachState
from ava_app.state.test_call import TestCallState

STEP_COUNT = len(onboarding.STEPS)
PERSONALISE_STEP = 4
REACH_STEP = 6


class OnboardingState(AuthState):
    """The wizard: the step shown, the furthest step reached, the industry cards and the test call."""

    step: int = 1
    reached: int = 1
    industry: str = ""
    industries: list[dict[str, str]] = []
    numbers: list[str] = []
    loaded: bool = False
    applying: str = ""
    saving_step: bool = False
    going_live: bool = False
    live_error: str = ""

    def _show(self, progress: onboarding.OnboardingProgress) -> None:
        self.step = progress.step
        self.reached = max([progress.step, *progress.done_steps])
        self.industry = progress.industry or ""

    def _load_numbers(self, session, principal: Principal) -> None:
        country = reach.get_reach(session, principal=principal).country
        rows = phone_numbers.list_numbers(session, principal=principal)[:20]
        self.numbers = [phones.display(n.e164, country) if n.e164 else "…" for n in rows]

    @rx.event
    async def refresh_numbers(self):
        """The organisation's numbers again, after the number step connected one."""
        call = await self._call_async(lambda s, p: self._load_numbers(s, p))
        return call.event if call.refused else None

    @rx.event
    async def load_wizard(self):
        """Resume the wizard where the organisation left it; a finished onboarding goes to the dashboard."""
        call = await self._call_async(self._progress_and_numbers(lambda s, p: onboarding.get_progress(s, principal=p)))
        if call.refused:
            return call.event
        progress = call.value
        if progress.completed:
            return rx.redirect(routes.DASHBOARD)
        self._show(progress)
        self.industries = [
            {"key": en.key, "icon": en.icon, "label_en": en.label, "label_fr": fr.label}
            for en, fr in zip(presets.list_industries("en"), presets.list_industries("fr"), strict=True)
        ]
        self.live_error = ""
        self.loaded = True
        if self.step == REACH_STEP:
            return [TestCallState.reset_call, ReachState.load_reach]
        return TestCallState.reset_call

    def _progress_and_numbers(self, read):
        """``read``'s progress, with the organisation's numbers loaded in the same session."""

        def work(session, principal):
            progress = read(session, principal)
            self._load_numbers(session, principal)
            return progress

        return work

    async def _move(self, step: int, **extra):
        call = await self._call_async(
            self._progress_and_numbers(lambda s, p: onboarding.set_step(s, principal=p, step=step, **extra))
        )
        if call.refused:
            return call.event
        self._show(call.value)
        if step == PERSONALISE_STEP:
            return AssistantFormState.load_form
        if step == REACH_STEP:
            return ReachState.load_reach
        return None

    @rx.event
    async def go_to(self, step: int):
        """Open a step already reached (the stepper), or the next one."""
        step = int(step)
        if 1 <= step <= min(self.reached + 1, STEP_COUNT):
            return await self._move(step)

    @rx.event
    async def next_step(self):
        if self.step == 2 and not self.industry:
            return rx.toast.error(translate("onb.industry.choose_first", self.lang or "en"))
        return await self.go_to(self.step + 1)

    @rx.event
    async def back(self):
        return await self.go_to(max(1, self.step - 1))

    @rx.event
    async def choose_industry(self, key: str):
        """Apply the industry's preset in the interface language and move on to the phone number."""
        if key not in presets.INDUSTRIES:
            return
        self.applying = key
        yield
        event = await self._move(3, industry=key, locale=self.lang or "en")
        self.applying = ""
        if event is not None:
            yield event
            return
        yield AssistantFormState.load_form
        yield rx.toast.success(translate("onb.industry.applied", self.lang or "en"))

    @rx.event
    async def save_personalise(self):
        """Save step 4 (assistant and the numbers' hours); move on only when everything was accepted."""
        form = await self.get_state(AssistantFormState)
        call = await form._save_form(with_numbers=True)
        if call.refused:
            return call.event
        return await self._move(5)

    @rx.event(background=True)
    async def go_live(self):
        """Finish: save a call still open, put the assistant and numbers live at the provider, open the dashboard.

        With no number the assistant is ready but nothing rings it: the toast says so rather than "live"."""
        async with self:
            test_call = await self.get_state(TestCallState)
            if self.going_live or test_call.replying:
                return
            call = test_call._call(test_call._save_if_talked)
            if call.refused:
                yield call.event
                return
            self.going_live, self.live_error = True, ""

        def refused(error: DomainError) -> None:
            self.live_error = self._error_text(error)

        call = await self._call_in_thread(
            lambda s, p: onboarding.complete_onboarding(s, principal=p), busy="going_live", on_error=refused
        )
        if call.refused:
            yield call.event
            return
        async with self:
            lang = self.lang or "en"
            yield rx.redirect(routes.DASHBOARD)
            if self.numbers:
                yield rx.toast.success(translate("reach.live_toast", lang, number=self.numbers[0]))
            else:
                yield rx.toast.warning(translate("reach.ready_toast", lang))

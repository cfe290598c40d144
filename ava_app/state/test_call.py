"""The text test call: the owner types as the caller, the assistant answers from its configuration, line by line.

Used by the wizard's last step and by /assistant (to try a change after onboarding). A finished call is saved as a
call of type "test" and goes through the same post-call pipeline as a real one (summary, email).
"""

from __future__ import annotations

from datetime import datetime

import reflex as rx

from ava_app import routes
from ava_app.i18n import translate
from ava_app.models import utcnow
from ava_app.services import test_calls, web_calls
from ava_app.services.errors import DomainError
from ava_app.services.principal import Principal
from ava_app.state.auth import AuthState

SCROLL_TRANSCRIPT = (
    "const log = document.getElementById('test-call-transcript'); if (log) log.scrollTop = log.scrollHeight;"
)


class TestCallState(AuthState):
    """One test call at a time; turns are {"role": "assistant"|"user", "content"}."""

    turns: list[dict[str, str]] = []
    call_active: bool = False
    replying: bool = False
    reply_source: str = ""
    assistant_name: str = ""
    call_saved: bool = False
    saved_call_href: str = ""  # the saved test call's page, linked from the end message
    # A browser call through Vapi's web SDK, offered when a real Vapi account and its public key are configured.
    web_key: str = ""
    web_base: str = ""
    web_assistant: str = ""
    web_status: str = ""
    web_error: str = ""
    _started_at: datetime | None = None
    _context: dict = {}

    @rx.event
    def reset_call(self):
        """A fresh panel (a page that shows it calls this on load), with the browser call when one is possible."""
        if not self.replying:
            self.turns, self.call_active, self.call_saved, self.reply_source = [], False, False, ""
            self.saved_call_href = ""
        self.web_status = self.web_error = ""
        setup = self._call_quietly(lambda s, p: web_calls.web_call_setup(s, principal=p))
        self.web_key, self.web_base, self.web_assistant = (
            (setup.public_key, setup.api_base_url, setup.assistant_id) if setup else ("", "", "")
        )

    @rx.event
    def web_call_status(self, status: str, detail: str):
        """The browser call started, ended or failed; a new call starts a new transcript."""
        if status not in ("connecting", "live", "ended", "failed"):
            return None
        self.web_status, self.web_error = status, ""
        if status == "connecting":
            self.turns, self.call_active, self.call_saved, self.reply_source = [], False, False, ""
        if status == "ended":
            # Vapi sends the call to AVA's webhook like any other: it is stored, summarised and emailed from there.
            return rx.toast.success(translate("webcall.ended", self.lang or "en"))
        if status == "failed":
            lang = self.lang or "en"
            microphone = any(word in detail.lower() for word in ("permission", "notallowed", "microphone", "device"))
            reason = translate("webcall.microphone", lang) if microphone else (f"({detail[:200]})" if detail else "")
            self.web_error = f"{translate('webcall.failed', lang)} {reason}".strip()
        return None

    @rx.event
    def web_call_line(self, role: str, text: str):
        """A final transcript line of the browser call."""
        if role in ("user", "assistant") and text.strip() and len(self.turns) < test_calls.MAX_TURNS:
            self.turns = [*self.turns, {"role": role, "content": text.strip()[: test_calls.MAX_TURN_CHARS]}]
            return rx.call_script(SCROLL_TRANSCRIPT)
        return None

    @rx.event
    async def start_call(self):
        """Pick up: the assistant greets the caller with its greeting."""
        call = await self._call_async(lambda s, p: test_calls.reply_context(s, principal=p))
        if call.refused:
            return call.event
        self._context = call.value
        greeting = self._context.get("first_message") or ""
        self.assistant_name = self._context.get("name") or "Ava"
        self.turns = [{"role": "assistant", "content": greeting}] if greeting else []
        self._started_at = utcnow()
        # Said from the start, so the owner knows whether an AI model or the local fallback will answer.
        self.reply_source = self._context.get("reply_source") or "local"
        self.call_active, self.call_saved, self.saved_call_href = True, False, ""

    @rx.event(background=True)
    async def send(self, form: dict):
        """The caller's line, then the assistant's reply streamed into the transcript as it is written."""
        text = str(form.get("message", "")).strip()[: test_calls.MAX_TURN_CHARS]
        async with self:
            if not text or not self.call_active or self.replying:
                return
            if len(self.turns) >= test_calls.MAX_TURNS - 1:
                return
            self.turns = [*self.turns, {"role": "user", "content": text}]
            conversation = [dict(turn) for turn in self.turns]
            context = dict(self._context)
            self.turns = [*self.turns, {"role": "assistant", "content": ""}]
            self.replying = True
            yield rx.call_script(SCROLL_TRANSCRIPT)
        stream = test_calls.stream_reply(assistant=context, conversation=conversation)
        async with self:
            self.reply_source = stream.source
        try:
            async for chunk in stream:
                async with self:
                    last = self.turns[-1]
                    self.turns = [*self.turns[:-1], {"role": "assistant", "content": last["content"] + chunk}]
        except DomainError as error:
            async with self:
                self.replying = False
                self.turns = [turn for turn in self.turns if turn["content"]]
                yield self._fail(error)
            return
        async with self:
            self.replying = False
            yield rx.call_script(SCROLL_TRANSCRIPT)

    def _save_call(self, session, principal: Principal) -> None:
        call_id = test_calls.save_test_call(
            session, principal=principal, turns=list(self.turns), started_at=self._started_at or utcnow()
        )
        self.call_active, self.call_saved = False, True
        self.saved_call_href = routes.call_page(call_id)

    def _save_if_talked(self, session, principal: Principal) -> None:
        """Save a call still open in which the caller said something (going live does not lose it)."""
        if self.call_active and any(turn["role"] == "user" for turn in self.turns):
            self._save_call(session, principal)
        self.call_active = False

    @rx.event
    async def end_call(self):
        """Hang up: the conversation is saved as a test call and goes through the post-call pipeline."""
        if not self.call_active or self.replying:
            return
        call = await self._call_async(self._save_call)
        if call.refused:
            return call.event
        return rx.toast.success(translate("testcall.saved", self.lang or "en"))

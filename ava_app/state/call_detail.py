"""/calls/[id]: one call — recording, conversation, summary and follow-up — and what can be done with it.

The recording plays from AVA's own download route through a signed link made for this page view (the provider's URL
never reaches the browser). While the call is still going on, the page reads it again every few seconds so the
conversation grows as it is spoken.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import reflex as rx

from ava_app import routes
from ava_app.i18n import EN, translate
from ava_app.models import DB_INT_MAX, Call, utcnow
from ava_app.services import booking_admin, call_blocking, calls, deliveries, download_links, post_call, spam, trash
from ava_app.services.billing import billable
from ava_app.services.calls import CallDetail
from ava_app.services.errors import DomainError, NotFound
from ava_app.state.auth import AuthState
from ava_app.state.call_display import (
    OUTCOME_COLORS,
    SENTIMENT_COLORS,
    duration_text,
    outcome_label,
    when_text,
)
from ava_app.state.deliveries import delivery_view

ENDED_STATUSES = ("ended",)
# After the end, the page keeps refreshing while the summary and email are on their way, for this long at most.
WORK_WATCH = timedelta(minutes=10)
WORK_COLORS = {"failed": "red", "pending": "amber", "done": "grass", "sent": "grass", "skipped": "gray"}
# The tools a transcript line names ("take_message({...}); lookup_faq({...})"), said as sentences to the owner.
TOOL_NAME = re.compile(r"(?:^|;\s*)([A-Za-z_][\w.-]{0,63})\(")
KNOWN_TOOLS = ("take_message", "check_business_hours", "transfer_to_human", "lookup_faq")
SENT_ROWS = 20
BOOKING_COLORS = {"booked": "grass", "moved": "blue", "cancelled": "red"}


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


def _field_value(value: object, lang: str) -> str:
    """A captured value as words: yes/no for booleans, the text otherwise."""
    if value is True or value is False:
        return translate("call.yes" if value else "call.no", lang)
    return str(value)[:500]


def _work(name: str, status: str, lang: str) -> dict:
    """``<name>_label`` and ``<name>_color`` of a summary or email status."""
    key = f"work.{status}"
    label = translate(key, lang) if key in EN else status
    return {f"{name}_label": label, f"{name}_color": WORK_COLORS.get(status, "gray")}


def tool_sentences(text: str, lang: str, *, assistant: str = "AVA") -> str:
    """A tool-call line as what the owner reads ("AVA took a message."), never the tool's JSON arguments."""
    names = list(dict.fromkeys(TOOL_NAME.findall(text))) or [""]
    return " ".join(
        translate(f"call.tool.{name}" if name in KNOWN_TOOLS else "call.tool.other", lang, name=assistant)
        for name in names
    )


def billing_text(call: CallDetail, lang: str) -> str:
    """ "3 min billed", or why the call is not billed ("Not billed: under 15 seconds"), by ``billing.billable``."""
    rule = Call(call_type=call.call_type, outcome=call.outcome, spam=call.spam, duration_seconds=call.duration_seconds)
    reason = billable.not_billed_reason(rule)
    if reason is not None:
        return translate("call.not_billed", lang, reason=translate(f"call.not_billed.{reason}", lang))
    return translate("call.billed_minutes", lang, minutes=billable.billable_minutes(rule))


def detail_view(call: CallDetail, lang: str, country: str | None = None) -> dict:
    """The call's page as plain strings (the messages and lists are kept apart)."""
    outcome = call.outcome or "pending"
    is_test = call.call_type == "test"
    number = call.caller_display or call.caller_number or ""
    if is_test:
        heading = translate("call.test_call", lang)
    else:
        heading = call.caller_name or number or translate("calls.unknown_caller", lang)
    return {
        "id": call.id,
        "heading": heading,
        # Under the name, the number to call back (when the name is the heading).
        "number": number if call.caller_name and not is_test else "",
        "tel": "" if is_test else call.caller_tel,
        "tel_label": number,
        "is_test": is_test,
        "when": when_text(call.started_at, lang, country=country),
        "duration": duration_text(call.duration_seconds),
        "from": number or "—",
        "to": call.phone_number or call.called_number or "—",
        "assistant": call.assistant_name or "—",
        "status": call.status,
        "outcome": outcome_label(outcome, lang),
        "outcome_color": OUTCOME_COLORS.get(outcome, "gray"),
        "outcome_text": call.outcome_text.get(lang) or call.outcome_text.get("en", ""),
        "ended_reason": call.ended_reason_words.get(lang) or call.ended_reason_words.get("en", ""),
        "ended_code": call.ended_reason or "",
        "summary": call.summary or "",
        "content_purged": call.content_purged_at is not None,
        # The local fallback is said as such: never passed off as a model's summary.
        "summary_local": call.summary_source == "local",
        "intent": call.intent or "",
        "sentiment": translate(f"sentiment.{call.sentiment}", lang) if call.sentiment else "",
        "sentiment_color": SENTIMENT_COLORS.get(call.sentiment or "", "gray"),
        "action_needed": call.action_needed and not is_test,
        "action_done": call.action_done_at is not None,
        "action_done_text": translate(
            "call.action_done_at", lang, when=when_text(call.action_done_at, lang, country=country)
        )
        if call.action_done_at
        else "",
        "billing": billing_text(call, lang),
        **_work("summary", call.summary_status, lang),
        **_work("email", call.email_status, lang),
        "work_failed": "failed" in (call.summary_status, call.email_status),
        "summary_pending": call.summary_status == "pending",
        "has_recording": call.has_recording,
        "spam": call.spam,
    }


def booking_row(item: booking_admin.BookingFacts, lang: str) -> dict[str, str]:
    """One booking of the call for its "Booking" card: the facts, its state as a badge, and its link."""
    return {
        "id": str(item.id),
        "service": item.service,
        "when": item.when,
        "staff": item.staff,
        "price": item.price,
        "state": translate(f"call.booking.{item.state}", lang),
        "state_color": BOOKING_COLORS.get(item.state, "gray"),
        "href": item.path,
    }


class CallDetailState(AuthState):
    """The open call, its conversation lines, and the signed recording link of this page view."""

    call: dict = {}
    messages: list[dict] = []
    topics: list[str] = []
    data_fields: list[dict] = []
    tool_rows: list[dict] = []
    recording_src: str = ""
    live: bool = False
    watching: bool = False
    not_found: bool = False
    loaded: bool = False
    confirm_delete: bool = False
    # "Block this caller": the call has a number that can be blocked, whether it is blocked, the confirmation open.
    blockable: bool = False
    caller_blocked: bool = False
    confirm_block: bool = False
    # What AVA sent for this call (summary emails, texts, webhooks), as the deliveries log shows it.
    sent_rows: list[dict[str, str]] = []
    # The bookings this call made, moved or cancelled, as they stand now (the "Booking" card).
    booking_rows: list[dict[str, str]] = []
    _call_id: int = 0
    _work_started_at: datetime | None = None  # when an admin last asked for a summary again on this page

    def _show(self, call: CallDetail) -> None:
        lang = self.lang or "en"
        self.call = detail_view(call, lang, self.business_country)
        assistant = call.assistant_name or "AVA"
        self.messages = [
            {
                "seconds": round(message.seconds_from_start, 2),
                "clock": _clock(message.seconds_from_start),
                "assistant": message.role in ("assistant", "bot"),
                # What the assistant's tools did, said as a sentence between the spoken lines (never their JSON).
                "tool": message.role == "tool_call",
                "text": tool_sentences(message.text, lang, assistant=assistant)
                if message.role == "tool_call"
                else message.text,
            }
            for message in call.messages[:500]
            if message.role != "tool_result"  # the tools' answers are in the details
        ]
        self.tool_rows = [
            {"clock": _clock(message.seconds_from_start), "text": message.text[:2000]}
            for message in call.messages[:500]
            if message.role in ("tool_call", "tool_result")
        ][:60]
        self.topics = [str(topic) for topic in call.topics[:10]]
        labels = call.data_labels
        self.data_fields = [
            {
                "name": (labels.get(str(name)) or {}).get(lang) or str(name).replace("_", " ").capitalize(),
                "value": _field_value(value, lang),
            }
            for name, value in (call.data_fields or {}).items()
            if value not in (None, "")
        ][:30]
        self.live = call.status not in ENDED_STATUSES
        working = "pending" in (call.summary_status, call.email_status)
        # Watched for a while after the call ends or after an admin asks for its summary again, whichever is later.
        since = max((moment for moment in (call.ended_at, self._work_started_at) if moment is not None), default=None)
        recent = since is None or utcnow() - since < WORK_WATCH
        self.watching = self.live or (working and recent)

    def _read(self, session, principal) -> calls.CallDetail:
        call = calls.get_call(session, principal=principal, call_id=self._call_id)
        lang = self.lang or "en"
        # Read at each refresh: a booking the assistant makes during a live call shows while the call goes on.
        made = booking_admin.of_call(session, principal=principal, call_id=call.id, language=lang)
        self.booking_rows = [booking_row(item, lang) for item in made]
        if call.status in ENDED_STATUSES or not self.sent_rows:
            # While the call is live nothing more is sent for it: the page's 3 s refresh skips these reads.
            sent = deliveries.list_deliveries(session, principal=principal, call_id=call.id, limit=SENT_ROWS)
            country = self.business_country or None
            self.sent_rows = [
                delivery_view(row, lang=lang, local_time=self._local_time, country=country) for row in sent
            ]
        return call

    @rx.event
    async def load_call(self):
        """On-load: the call in the URL, and a fresh signed link to its recording (read in a worker thread)."""
        self.loaded, self.not_found, self.confirm_delete, self.recording_src = False, False, False, ""
        self.blockable, self.caller_blocked, self.confirm_block = False, False, False
        self.sent_rows, self.booking_rows = [], []
        self._work_started_at = None
        try:
            self._call_id = int(self.router.page.params.get("id", "0"))
        except (TypeError, ValueError):
            self._call_id = 0
        if not 0 < self._call_id <= DB_INT_MAX:
            self._call_id = 0  # a number no id can be: not found, rather than a database error

        def read(session, principal) -> tuple[calls.CallDetail, str]:
            call = self._read(session, principal)
            number, self.caller_blocked = call_blocking.call_caller(session, principal=principal, call_id=call.id)
            self.blockable = number is not None
            if not call.has_recording:
                return call, ""
            token = download_links.issue_link_token(
                principal=principal,
                kind="recording",
                resource={"call_id": call.id},
                ttl=download_links.RECORDING_TTL,
            )
            return call, routes.recording_download(call.id, token)

        def refused(error: DomainError):
            if not isinstance(error, NotFound):
                return self._fail(error)
            self.not_found, self.loaded, self.call, self.messages = True, True, {}, []
            return None

        result = await self._call_async(read, on_error=refused)
        if result.refused:
            return result.event
        call, self.recording_src = result.value
        self._show(call)
        self.loaded = True
        return None

    @rx.event
    async def refresh(self, _tick: str = ""):
        """Timer tick while a live call's page is open (the conversation so far), then until its summary and email
        are done."""
        if not self.watching or not self._call_id:
            return None
        was_live = self.live
        result = await self._call_async(self._read)
        if result.refused:
            return result.event
        call = result.value
        self._show(call)
        if was_live and not self.live and call.has_recording:
            return CallDetailState.load_call  # just ended: fetch the recording link too
        return None

    @rx.event
    async def set_action_done(self, done: bool):
        """Mark the follow-up done (or reopen it)."""
        call_id = self._call_id

        def mark(session, principal):
            calls.mark_action_done(session, principal=principal, call_id=call_id, done=done)
            return calls.get_call(session, principal=principal, call_id=call_id)

        call = await self._call_async(mark)
        if call.refused:
            return call.event
        self._show(call.value)
        return rx.toast.success(translate("call.marked_done" if done else "call.marked_open", self.lang or "en"))

    @rx.event
    def ask_delete(self):
        self.confirm_delete = True

    @rx.event
    def cancel_delete(self, _open: bool = False):
        self.confirm_delete = False

    @rx.event
    async def delete_call(self):
        """Delete this call and go back to the list."""
        self.confirm_delete = False
        call_id = self._call_id
        call = await self._call_async(lambda s, p: trash.move_to_trash(s, principal=p, call_ids=[call_id]))
        if call.refused:
            return call.event
        return [rx.toast.success(translate("call.deleted", self.lang or "en")), rx.redirect(routes.CALLS)]

    @rx.event
    def ask_block(self):
        self.confirm_block = True

    @rx.event
    def cancel_block(self, _open: bool = False):
        self.confirm_block = False

    @rx.event
    async def block_caller(self):
        """Admins and writers: put this call's caller on the block list (after the confirmation dialog)."""
        self.confirm_block = False
        call_id = self._call_id
        result = await self._call_async(lambda s, p: call_blocking.block_call_caller(s, principal=p, call_id=call_id))
        if result.refused:
            return result.event
        self.caller_blocked = True
        return rx.toast.success(translate("block.call.blocked", self.lang or "en"))

    @rx.event
    async def unblock_caller(self):
        """Undo "Block this caller": take this call's caller off the block list."""
        call_id = self._call_id
        result = await self._call_async(lambda s, p: call_blocking.unblock_call_caller(s, principal=p, call_id=call_id))
        if result.refused:
            return result.event
        self.caller_blocked = False
        return rx.toast.success(translate("block.call.unblocked", self.lang or "en"))

    @rx.event
    async def set_spam(self, marked: bool):
        """Admins and writers: mark this call as spam, or take the mark off (the owner's choice stays)."""
        call_id = self._call_id

        def mark(session, principal):
            spam.set_spam(session, principal=principal, call_id=call_id, spam=marked)
            return calls.get_call(session, principal=principal, call_id=call_id)

        result = await self._call_async(mark)
        if result.refused:
            return result.event
        self._show(result.value)
        return rx.toast.success(translate("spam.marked" if marked else "spam.unmarked", self.lang or "en"))

    async def _post_call_work(self, work, toast_key: str):
        """Run an admin's post-call action on this call, then show the call as it now stands."""
        call_id = self._call_id

        def act(session, principal):
            work(session, principal=principal, call_id=call_id)
            self._work_started_at = utcnow()
            return calls.get_call(session, principal=principal, call_id=call_id)

        call = await self._call_async(act)
        if call.refused:
            return call.event
        self._show(call.value)
        return rx.toast.success(translate(toast_key, self.lang or "en"))

    @rx.event
    async def retry_summary(self):
        """Admins: write the summary and send its email again where they failed."""
        return await self._post_call_work(post_call.retry_post_call, "call.retried")

    @rx.event
    async def rerun_summary(self):
        """Admins: write this call's summary again (the page refreshes until it is there)."""
        return await self._post_call_work(post_call.rerun_summary, "call.rerun_started")

    @rx.event
    async def export(self, fmt: str):
        """Download this call as JSON, or its transcript as text, through a two-minute signed link."""
        if fmt not in ("json", "txt"):
            return None
        call_id = self._call_id
        result = await self._call_async(
            lambda _s, p: download_links.issue_link_token(
                principal=p, kind="call", resource={"call_id": call_id}, ttl=download_links.EXPORT_TTL
            )
        )
        if result.refused:
            return result.event
        token = result.value
        url = routes.call_download(self._call_id, fmt, token)
        lang = self.lang or "en"
        labels = {
            "progress": translate("calls.export_progress", lang, size="{size}"),
            "done": translate("calls.export_done", lang),
            "failed": translate("calls.export_failed", lang),
        }
        args = ", ".join(json.dumps(value) for value in (url, f"call-{self._call_id}.{fmt}", labels))
        return rx.call_script(f"window.avaDownload({args})")

"""/admin/dead-letters: webhook events whose apply failed, for the platform's operators to see and retry."""

from __future__ import annotations

import reflex as rx

from ava_app.i18n import translate
from ava_app.models import DB_INT_MAX
from ava_app.services import dead_letters
from ava_app.services.errors import DomainError
from ava_app.state.auth import AuthState

PAGE_SIZE = 50


def _enqueue_reapply(event_id: int) -> None:
    from ava_app.services.ingest.tasks import reapply_webhook_event

    reapply_webhook_event(event_id)


class DeadLettersState(AuthState):
    """The dead letters, newest first, a page at a time; every handler re-checks the caller is a platform admin."""

    letters: list[dict] = []
    loaded: bool = False
    refused: str = ""
    has_more: bool = False
    retrying: int = 0
    _next_before_id: int | None = None

    async def _read(self, *, before_id: int | None = None):
        def refused(error: DomainError):
            if error.code not in ("platform_admin_only", "user_required"):
                return self._fail(error)
            self.refused, self.letters, self.loaded = self._error_text(error), [], True
            return None

        call = await self._call_async(
            lambda s, p: dead_letters.list_dead_letters(s, principal=p, before_id=before_id, limit=PAGE_SIZE),
            on_error=refused,
        )
        if call.refused:
            return call.event
        page = call.value
        rows = [
            {
                "id": item.id,
                "tenant": item.tenant_name or "—",
                "type": f"{item.provider} · {item.event_type}",
                "call": item.provider_call_id or "—",
                "error": item.error,
                "attempts": item.attempts,
                "received": item.received_at.strftime("%Y-%m-%d %H:%M UTC"),
            }
            for item in page.items
        ]
        self.refused = ""
        self.letters = [*self.letters, *rows] if before_id is not None else rows
        self.has_more, self._next_before_id = page.next_before_id is not None, page.next_before_id
        self.loaded = True
        return None

    @rx.event
    async def load_dead_letters(self):
        """Load the newest page (platform admins only; anyone else reads why not)."""
        self.loaded = False
        return await self._read()

    @rx.event
    async def load_more(self):
        """Append the next page."""
        if not self.has_more or self._next_before_id is None:
            return None
        return await self._read(before_id=self._next_before_id)

    @rx.event
    async def retry(self, event_id: int):
        """Send one dead letter back to the job queue and take it off the list."""
        # The browser may send anything: only an id the database can bind goes further.
        if isinstance(event_id, bool) or not isinstance(event_id, int | str) or not str(event_id).isdigit():
            return
        event_id = int(event_id)
        if not 1 <= event_id <= DB_INT_MAX:
            return
        self.retrying = event_id
        yield
        call = await self._call_async(
            lambda s, p: dead_letters.retry_dead_letter(s, principal=p, event_id=event_id, enqueue=_enqueue_reapply)
        )
        self.retrying = 0
        if call.refused:
            yield call.event
            return
        # Off the list now: the job runs in a moment, and the next load shows the event again if it fails again.
        self.letters = [row for row in self.letters if row["id"] != event_id]
        yield rx.toast.success(translate("dead_letters.retried", self.lang or "en"))

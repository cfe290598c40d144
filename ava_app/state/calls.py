"""/calls: the organisation's calls, filtered, sorted and paged by keyset, 20 at a time; delete and export.

The filters, the sort and the page number live in the URL (``/calls?outcome=missed&sort=duration&page=3``) so a view
can be bookmarked, shared, reloaded or reached with the browser's back and forward buttons: changing them navigates,
and the page's on-load reads them back through ``CallFilters.from_query`` (the same parser as ``GET /api/v1/calls``).
The keyset cursors of the pages seen are kept server-side; a page number the state has no cursor for (a reload, a
shared link) is reached by ``calls.page_cursor``, which walks the index from the first page.

The page's load registers the tab for live updates (``state/live.py``): when a webhook or a job changes the
organisation's calls, the server reads the page on screen again for this tab (its cursor, filters and sort) and pushes
what changed; nothing polls.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import reflex as rx
from babel.numbers import format_number

from ava_app import routes
from ava_app.i18n import translate, translate_count
from ava_app.services import calls, download_links, phone_numbers, trash
from ava_app.services.calls import CallFilters, CallListItem
from ava_app.services.errors import DomainError, Invalid
from ava_app.state import live
from ava_app.state.auth import AuthState
from ava_app.state.call_display import (
    OUTCOME_COLORS,
    SENTIMENT_COLORS,
    duration_text,
    outcome_label,
    when_text,
)

PAGE_SIZE = 20
LIVE_PAGE = "calls"
ANY = "all"  # a select's "no filter" value (Radix selects cannot hold an empty value)
# Not by cost: what the providers charge AVA is not the owner's cost (the Usage page shows theirs).
SORTS = ("date", "duration")
FILTER_FIELDS = (
    "date_from",
    "date_to",
    "outcome",
    "sentiment",
    "action",
    "phone_number_id",
    "assistant_id",
    "min_duration",
    "max_duration",
    "q",
)
# The filters that are days: shown and typed in the reader's order, kept as ISO in the URL.
DATE_FILTERS = ("date_from", "date_to")

# The form's label of each filter, for messages about it.
FILTER_LABELS = {"phone_number_id": "calls.number", "assistant_id": "calls.assistant", "q": "calls.search"}


def caller_text(item: CallListItem, lang: str) -> str:
    """Who called, as the list names them: the name the call captured, else the number as the business writes it."""
    if item.call_type == "test":
        return translate("calls.test_caller", lang)
    return item.caller_name or item.caller_display or item.caller_number or translate("calls.unknown_caller", lang)


def count_text(count: calls.CallCount, lang: str) -> str:
    """``128 calls`` / ``1 280 appels``; ``More than 10,000 calls`` when the count stopped at its cap."""
    number = format_number(count.total, locale=lang)
    if count.capped:
        return translate("calls.count_capped", lang, count=number)
    return translate("calls.count_one", lang) if count.total == 1 else translate("calls.count_many", lang, count=number)


def list_row(item: CallListItem, lang: str, *, assistants: dict[int, str], country: str | None = None) -> dict:
    """One row of the list as the page shows it (strings only, plus the id)."""
    outcome = item.outcome or "pending"
    return {
        "id": item.id,
        "href": routes.call_page(item.id),
        "when": when_text(item.started_at, lang, country=country),
        "caller": caller_text(item, lang),
        # The number under a captured name (the name alone says little to someone calling back).
        "number": item.caller_display if item.caller_name and item.call_type != "test" else "",
        "is_test": item.call_type == "test",
        "called": item.called_number or "—",
        "assistant": assistants.get(item.assistant_id or 0, "—"),
        "duration": duration_text(item.duration_seconds),
        "outcome": outcome_label(outcome, lang),
        "outcome_color": OUTCOME_COLORS.get(outcome, "gray"),
        "sentiment": translate(f"sentiment.{item.sentiment}", lang) if item.sentiment else "",
        "sentiment_color": SENTIMENT_COLORS.get(item.sentiment or "", "gray"),
        "action": "open" if item.action_needed and not item.action_done_at else "done" if item.action_needed else "",
        "summary": item.summary_line,
    }


def _list_url(query: dict[str, str]) -> str:
    """/calls with ``query`` (no bare "?" for the plain list)."""
    return f"{routes.CALLS}?{urlencode(query)}" if query else routes.CALLS


def _page_number(raw: object) -> int:
    """``?page=`` as a page number from 1 (anything else is the first page)."""
    try:
        number = int(str(raw or "1"))
    except ValueError:
        return 1
    return max(1, min(number, calls.MAX_PAGE_NUMBER))


class CallsState(AuthState):
    """One page of calls for the filters in the URL, the rows ticked for deletion, and the filter choices."""

    filters: dict[str, str] = {}
    sort: str = "date"
    direction: str = "desc"
    rows: list[dict] = []
    count_label: str = ""
    page: int = 1
    has_more: bool = False
    loading: bool = False
    loaded: bool = False
    error: str = ""
    form_key: int = 0
    selected: list[int] = []
    confirm_delete: bool = False
    grace_days: int = 7  # how long a deleted call stays restorable (the delete dialog says it)
    filters_open: bool = False
    number_options: list[dict] = []
    assistant_options: list[dict] = []
    _cursors: list[str] = []  # cursor of each page seen so far ("" for the first)
    _next_cursor: str = ""
    _assistant_names: dict[int, str] = {}
    _tenant_id: int | None = None  # whose calls the rows are (the tab's registration for live updates)

    @rx.var
    def has_filters(self) -> bool:
        return any(value not in ("", ANY) for value in self.filters.values())

    @rx.var
    def selected_count(self) -> int:
        return len(self.selected)

    @rx.var
    def all_selected(self) -> bool:
        return bool(self.rows) and len(self.selected) == len(self.rows)

    @rx.var
    def selected_label(self) -> str:
        return translate_count("calls.selected", self.lang or "en", len(self.selected))

    @rx.var
    def delete_title(self) -> str:
        return translate_count("calls.delete_title", self.lang or "en", len(self.selected))

    @rx.var
    def delete_body(self) -> str:
        return translate_count("calls.delete_body", self.lang or "en", self.grace_days)

    @rx.var
    def page_label(self) -> str:
        return translate("calls.page", self.lang or "en", page=self.page)

    def _query(self, **changes: str) -> dict[str, str]:
        """The URL query of the current view with ``changes``; defaults and "any" values left out (the page number
        only when given: a new filter or sort starts again at page 1)."""
        values = {**self.filters, "sort": self.sort, "dir": self.direction, **changes}
        query = {key: value for key, value in values.items() if value not in ("", ANY)}
        if query.get("page") == "1":
            query.pop("page")
        if query.get("sort") == "date":
            query.pop("sort")
        if query.get("dir") == "desc":
            query.pop("dir")
        return query

    def _filters(self) -> CallFilters:
        return CallFilters.from_query({key: value for key, value in self.filters.items() if value != ANY})

    @staticmethod
    def _read_choices(session, principal) -> tuple[list[dict], dict[int, str]]:
        """The filter form's numbers and the assistants' names."""
        numbers = phone_numbers.list_numbers(session, principal=principal)
        options = [{"value": str(row.id), "label": row.label or row.e164} for row in numbers[:50]]
        return options, calls.assistant_names(session, principal=principal)

    def _show_choices(self, number_options: list[dict], names: dict[int, str]) -> None:
        self.number_options = number_options
        self._assistant_names = names
        self.assistant_options = [{"value": str(key), "label": name} for key, name in names.items()]

    def _read_page(self, session, principal, cursor: str) -> calls.CallPage:
        """One page after ``cursor`` with the current filters and sort (``_show_page`` puts it on the page)."""
        return calls.list_calls(
            session,
            principal=principal,
            filters=self._filters(),
            sort=self.sort,
            direction=self.direction,
            cursor=cursor or None,
            limit=PAGE_SIZE,
        )

    def _show_page(self, page: calls.CallPage, *, keep_selection: bool = False) -> None:
        """Put ``page`` on screen; a push keeps the ticked rows that are still listed, a navigation clears them."""
        lang = self.lang or "en"
        rows = [
            list_row(item, lang, assistants=self._assistant_names, country=self.business_country) for item in page.items
        ]
        if rows != self.rows:
            self.rows = rows
        self.has_more, self._next_cursor = page.has_more, page.next_cursor or ""
        listed = {row["id"] for row in rows}
        selected = [call_id for call_id in self.selected if call_id in listed] if keep_selection else []
        if selected != self.selected:
            self.selected = selected

    @rx.event
    async def load_calls(self):
        """On-load: read the filters, sort and page number from the URL, then that page and the count (in a worker
        thread, so the event loop serves other tabs meanwhile)."""
        params = self.router.url.query_parameters
        filters = {name: str(params.get(name, "") or "") for name in FILTER_FIELDS}
        if {k: v for k, v in filters.items() if v} != {k: v for k, v in self.filters.items() if v}:
            # Only a changed URL remounts the form: a remount would wipe what the user is typing right now.
            self.form_key += 1
        sort = params.get("sort", "date") if params.get("sort") in SORTS else "date"
        direction = "asc" if params.get("dir") == "asc" else "desc"
        same_view = (filters, sort, direction) == (self.filters, self.sort, self.direction) and self.loaded
        wanted = _page_number(params.get("page"))
        self.filters, self.sort, self.direction = filters, sort, direction
        # The cursors already seen serve the same view (next, previous, back and forward); anything else walks.
        known = self._cursors[:wanted] if same_view and len(self._cursors) >= wanted else []
        self.error, self.confirm_delete = "", False
        self.loading = True
        yield

        def refused(error: DomainError):
            if isinstance(error, Invalid):
                self.rows, self.has_more, self.count_label = [], False, ""
                self.error = self._filter_problems(error)
                return None
            self.error = translate("calls.error", self.lang or "en")
            return self._fail(error)

        def read(session, principal):
            choices = self._read_choices(session, principal)
            filters = self._filters()
            cursors = known or calls.page_cursor(
                session,
                principal=principal,
                filters=filters,
                sort=self.sort,
                direction=self.direction,
                page=wanted,
                limit=PAGE_SIZE,
            )
            page = self._read_page(session, principal, cursors[-1])
            count = calls.count_calls(session, principal=principal, filters=filters)
            live.watch(self, page=LIVE_PAGE, tenant_id=principal.tenant_id)
            grace = trash.grace_days(session, principal=principal)
            return principal.tenant_id, choices, cursors, page, count, grace

        call = await self._call_async(read, busy="loading", on_error=refused)
        self.loaded = True
        if call.refused:
            yield call.event
            return
        self._tenant_id, choices, cursors, page, count, self.grace_days = call.value
        self._show_choices(*choices)
        self._cursors, self.page = cursors, len(cursors)
        self.count_label = count_text(count, self.lang or "en")
        self._show_page(page)

    def _live_refresh(self, tenant_id: int) -> bool:
        """A push (``state/live.py``, outside any event): read the page on screen again if the tab's session is
        still ``tenant_id``'s; a session that ended or switched organisation is shown nothing and dropped."""
        if not live.still_on(self, routes.CALLS) or not self.loaded or self.error:
            return False
        cursor = self._cursors[self.page - 1] if 0 < self.page <= len(self._cursors) else ""

        def read(session, principal) -> tuple[calls.CallPage, calls.CallCount]:
            page = self._read_page(session, principal, cursor)
            return page, calls.count_calls(session, principal=principal, filters=self._filters())

        call = self._call_for_tenant(tenant_id, read)
        if call.refused:
            return False
        page, count = call.value
        label = count_text(count, self.lang or "en")
        if label != self.count_label:
            self.count_label = label
        self._show_page(page, keep_selection=True)
        return True

    @rx.event
    def apply_filters(self, form: dict):
        """Navigate to the URL of the submitted filters (checked first, so a bad range is a toast, not a blank page)."""
        values = self._days_read({name: str(form.get(name, "") or "").strip()[:100] for name in FILTER_FIELDS})
        if values is None:
            return self._bad_day()
        try:
            CallFilters.from_query({key: value for key, value in values.items() if value != ANY})
        except Invalid as error:
            return rx.toast.error(self._filter_problems(error))
        self.filters = values
        return rx.redirect(_list_url(self._query()))

    def _days_read(self, values: dict[str, str]) -> dict[str, str] | None:
        """The filters with their days as ISO (the fields show and take them in the reader's order, the URL keeps
        ISO); None when a day cannot be read."""
        out = dict(values)
        for name in DATE_FILTERS:
            day = self._read_day(out.get(name, ""))
            if day is None:
                return None
            out[name] = day
        return out

    def _filter_problems(self, error: Invalid) -> str:
        """Which filters cannot be used, named as the form labels them (a hand-edited or stale URL, a bad range)."""
        lang = self.lang or "en"
        names = list((error.details.get("fields") or {}).keys())
        if not names:
            return self._error_text(error)
        labels = [translate(FILTER_LABELS.get(name, f"calls.{name}"), lang) for name in names]
        return " ".join(translate("calls.bad_filter", lang, field=label) for label in labels)

    @rx.event
    def toggle_filters(self):
        """Phones: show or hide the filters under the search."""
        self.filters_open = not self.filters_open

    @rx.event
    def clear_filters(self):
        self.filters = {}
        return rx.redirect(_list_url(self._query()))

    @rx.event
    def sort_by(self, key: str):
        """Sort by ``key``; the same key again flips the direction."""
        if key not in SORTS:
            return None
        direction = ("asc" if self.direction == "desc" else "desc") if key == self.sort else "desc"
        return rx.redirect(_list_url(self._query(sort=key, dir=direction)))

    @rx.event
    def set_sort_key(self, key: str):
        if key in SORTS and key != self.sort:
            return rx.redirect(_list_url(self._query(sort=key, dir="desc")))
        return None

    @rx.event
    def next_page(self):
        """The next page, by its number in the URL (the cursor that reaches it is kept for the on-load)."""
        if not self.has_more or not self._next_cursor:
            return None
        self._cursors = [*self._cursors[: self.page], self._next_cursor]
        return self._go(self.page + 1)

    @rx.event
    def previous_page(self):
        if self.page <= 1:
            return None
        return self._go(self.page - 1)

    def _go(self, page: int):
        return [rx.redirect(_list_url(self._query(page=str(page)))), rx.scroll_to("calls-top")]

    @rx.event
    def set_filter(self, name: str, value: str):
        """A select or date filter changed: apply it at once (a bad range is a toast, the list stays)."""
        if name not in FILTER_FIELDS:
            return None
        values = self._days_read({**self.filters, name: str(value or "").strip()[:100]})
        if values is None:
            return self._bad_day()
        try:
            CallFilters.from_query({key: item for key, item in values.items() if item not in ("", ANY)})
        except Invalid as error:
            return rx.toast.error(self._filter_problems(error))
        if values == self.filters:
            return None
        self.filters = values
        return rx.redirect(_list_url(self._query()))

    @rx.event
    def toggle_row(self, call_id: int, checked: bool):
        ids = [int(row["id"]) for row in self.rows]
        if checked and call_id in ids and call_id not in self.selected:
            self.selected = [*self.selected, call_id]
        elif not checked:
            self.selected = [value for value in self.selected if value != call_id]

    @rx.event
    def toggle_all(self, checked: bool):
        self.selected = [int(row["id"]) for row in self.rows] if checked else []

    @rx.event
    def ask_delete(self):
        self.confirm_delete = bool(self.selected)

    @rx.event
    def cancel_delete(self, _open: bool = False):
        self.confirm_delete = False

    @rx.event
    async def delete_selected(self):
        """Delete the ticked calls (the service skips any id outside the caller's organisation)."""
        self.confirm_delete = False
        ids, cursor = self.selected[:PAGE_SIZE], self._cursors[-1] if self._cursors else ""

        call = await self._call_async(lambda s, p: trash.move_to_trash(s, principal=p, call_ids=ids))
        if call.refused:
            return call.event
        deleted = call.value
        # A second call: the deletion is committed even if the page cannot be read again.
        call = await self._call_async(
            lambda s, p: (
                self._read_page(s, p, cursor),
                calls.count_calls(s, principal=p, filters=self._filters()),
            )
        )
        if call.refused:
            return call.event
        page, count = call.value
        self._show_page(page)
        self.count_label = count_text(count, self.lang or "en")
        return rx.toast.success(translate_count("calls.deleted", self.lang or "en", deleted))

    @rx.event
    async def export(self, fmt: str):
        """Download the ticked calls, or with none ticked every call matching the filters, via a signed link."""
        if fmt not in ("csv", "json"):
            return None
        lang = self.lang or "en"

        def link(_session, principal) -> str:
            chosen = CallFilters(ids=self.selected[:PAGE_SIZE]) if self.selected else self._filters()
            return download_links.issue_link_token(
                principal=principal,
                kind="calls",
                resource={"filters": chosen.to_query()},
                ttl=download_links.EXPORT_TTL,
            )

        call = await self._call_async(link)
        if call.refused:
            return call.event
        token = call.value
        url = routes.calls_download(fmt, token)
        labels = {
            "progress": translate("calls.export_progress", lang, size="{size}"),
            "done": translate("calls.export_done", lang),
            "failed": translate("calls.export_failed", lang),
        }
        args = ", ".join(json.dumps(value) for value in (url, f"calls.{fmt}", labels))
        return rx.call_script(f"window.avaDownload({args})")

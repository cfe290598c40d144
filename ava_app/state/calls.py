"""/calls: the organisation's calls, filtered, sorted and paged by keyset, 20 at a time; delete and export.

The filters and the sort live in the URL (``/calls?outcome=missed&sort=duration``) so a view can be bookmarked or
shared: changing them navigates, and the page's on-load reads them back through ``CallFilters.from_query`` (the
same parser as ``GET /api/v1/calls``). The page cursor does not go into the URL: cursors of the pages already seen are
kept server-side so "Previous" works without an OFFSET.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import reflex as rx

from ava_app import routes
from ava_app.i18n import translate
from ava_app.services import calls, download_links, phone_numbers
from ava_app.services.calls import CallFilters, CallListItem
from ava_app.services.errors import DomainError, Invalid
from ava_app.state.auth import AuthState
from ava_app.state.call_display import (
    OUTCOME_COLORS,
    SENTIMENT_COLORS,
    duration_text,
    money_text,
    outcome_label,
    when_text,
)

PAGE_SIZE = 20
ANY = "all"  # a select's "no filter" value (Radix selects cannot hold an empty value)
SORTS = ("date", "duration", "cost")
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

# The form's label of each filter, for messages about it.
FILTER_LABELS = {"phone_number_id": "calls.number", "assistant_id": "calls.assistant", "q": "calls.search"}


def list_row(item: CallListItem, lang: str, *, assistants: dict[int, str]) -> dict:
    """One row of the list as the page shows it (strings only, plus the id)."""
    outcome = item.outcome or "pending"
    return {
        "id": item.id,
        "href": routes.call_page(item.id),
        "when": when_text(item.started_at, lang),
        "caller": translate("calls.test_caller", lang)
        if item.call_type == "test"
        else item.caller_number or translate("calls.unknown_caller", lang),
        "is_test": item.call_type == "test",
        "called": item.called_number or "—",
        "assistant": assistants.get(item.assistant_id or 0, "—"),
        "duration": duration_text(item.duration_seconds),
        "outcome": outcome_label(outcome, lang),
        "outcome_color": OUTCOME_COLORS.get(outcome, "gray"),
        "sentiment": translate(f"sentiment.{item.sentiment}", lang) if item.sentiment else "",
        "sentiment_color": SENTIMENT_COLORS.get(item.sentiment or "", "gray"),
        "action": "open" if item.action_needed and not item.action_done_at else "done" if item.action_needed else "",
        "cost": money_text(item.cost, lang, places=3) if item.cost is not None else "—",
        "summary": item.summary_line,
    }


class CallsState(AuthState):
    """One page of calls for the filters in the URL, the rows ticked for deletion, and the filter choices."""

    filters: dict[str, str] = {}
    sort: str = "date"
    direction: str = "desc"
    rows: list[dict] = []
    page: int = 1
    has_more: bool = False
    loading: bool = False
    loaded: bool = False
    error: str = ""
    form_key: int = 0
    selected: list[int] = []
    confirm_delete: bool = False
    filters_open: bool = False
    number_options: list[dict] = []
    assistant_options: list[dict] = []
    _cursors: list[str] = []  # cursor of each page seen so far ("" for the first)
    _next_cursor: str = ""
    _assistant_names: dict[int, str] = {}

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
        return translate("calls.selected", self.lang or "en", count=len(self.selected))

    @rx.var
    def delete_title(self) -> str:
        return translate("calls.delete_title", self.lang or "en", count=len(self.selected))

    @rx.var
    def page_label(self) -> str:
        return translate("calls.page", self.lang or "en", page=self.page)

    def _query(self, **changes: str) -> dict[str, str]:
        """The URL query of the current view with ``changes``; defaults and "any" values left out."""
        values = {**self.filters, "sort": self.sort, "dir": self.direction, **changes}
        query = {key: value for key, value in values.items() if value not in ("", ANY)}
        if query.get("sort") == "date":
            query.pop("sort")
        if query.get("dir") == "desc":
            query.pop("dir")
        return query

    def _filters(self) -> CallFilters:
        return CallFilters.from_query({key: value for key, value in self.filters.items() if value != ANY})

    def _load_choices(self, session, principal) -> None:
        """The filter form's numbers and assistant names."""
        numbers = phone_numbers.list_numbers(session, principal=principal)
        names = calls.assistant_names(session, principal=principal)
        self.number_options = [{"value": str(row.id), "label": row.label or row.e164} for row in numbers[:50]]
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

    def _show_page(self, page: calls.CallPage) -> None:
        lang = self.lang or "en"
        self.rows = [list_row(item, lang, assistants=self._assistant_names) for item in page.items]
        self.has_more, self._next_cursor = page.has_more, page.next_cursor or ""
        self.selected = []

    @rx.event
    def load_calls(self):
        """On-load: read the filters and sort from the URL, then the first page."""
        params = self.router.url.query_parameters
        filters = {name: str(params.get(name, "") or "") for name in FILTER_FIELDS}
        if {k: v for k, v in filters.items() if v} != {k: v for k, v in self.filters.items() if v}:
            # Only a changed URL remounts the form: a remount would wipe what the user is typing right now.
            self.form_key += 1
        self.filters = filters
        self.sort = params.get("sort", "date") if params.get("sort") in SORTS else "date"
        self.direction = "asc" if params.get("dir") == "asc" else "desc"
        self.page, self._cursors, self.error, self.confirm_delete = 1, [""], "", False
        self.loading = True
        yield

        def refused(error: DomainError):
            if isinstance(error, Invalid):
                self.rows, self.has_more = [], False
                self.error = self._filter_problems(error)
                return None
            self.error = translate("calls.error", self.lang or "en")
            return self._fail(error)

        def first_page(session, principal) -> calls.CallPage:
            self._load_choices(session, principal)
            return self._read_page(session, principal, "")

        call = self._call(first_page, busy="loading", on_error=refused)
        self.loaded = True
        if call.refused:
            yield call.event
            return
        self._show_page(call.value)

    @rx.event
    def apply_filters(self, form: dict):
        """Navigate to the URL of the submitted filters (checked first, so a bad range is a toast, not a blank page)."""
        values = {name: str(form.get(name, "") or "").strip()[:100] for name in FILTER_FIELDS}
        try:
            CallFilters.from_query({key: value for key, value in values.items() if value != ANY})
        except Invalid as error:
            return rx.toast.error(self._filter_problems(error))
        self.filters = values
        return rx.redirect(f"{routes.CALLS}?{urlencode(self._query())}")

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
        return rx.redirect(f"{routes.CALLS}?{urlencode(self._query())}")

    @rx.event
    def sort_by(self, key: str):
        """Sort by ``key``; the same key again flips the direction."""
        if key not in SORTS:
            return None
        direction = ("asc" if self.direction == "desc" else "desc") if key == self.sort else "desc"
        return rx.redirect(f"{routes.CALLS}?{urlencode(self._query(sort=key, dir=direction))}")

    @rx.event
    def set_sort_key(self, key: str):
        if key in SORTS and key != self.sort:
            return rx.redirect(f"{routes.CALLS}?{urlencode(self._query(sort=key, dir='desc'))}")
        return None

    @rx.event
    def next_page(self):
        if not self.has_more or not self._next_cursor:
            return None
        return self._go(self._cursors + [self._next_cursor])

    @rx.event
    def previous_page(self):
        if len(self._cursors) <= 1:
            return None
        return self._go(self._cursors[:-1])

    def _go(self, cursors: list[str]):
        call = self._call(lambda s, p: self._read_page(s, p, cursors[-1]))
        if call.refused:
            return call.event
        self._show_page(call.value)
        self._cursors, self.page = cursors, len(cursors)
        return rx.scroll_to("calls-top")

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
    def delete_selected(self):
        """Delete the ticked calls (the service skips any id outside the caller's organisation)."""
        self.confirm_delete = False
        ids, cursor = self.selected[:PAGE_SIZE], self._cursors[-1] if self._cursors else ""

        call = self._call(lambda s, p: calls.delete_calls(s, principal=p, call_ids=ids))
        if call.refused:
            return call.event
        deleted = call.value
        # A second call: the deletion is committed even if the page cannot be read again.
        call = self._call(lambda s, p: self._read_page(s, p, cursor))
        if call.refused:
            return call.event
        self._show_page(call.value)
        return rx.toast.success(translate("calls.deleted", self.lang or "en", count=deleted))

    @rx.event
    def export(self, fmt: str):
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

        call = self._call(link)
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

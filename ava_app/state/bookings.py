"""/bookings: the organisation's bookings as a week (7 local days) or an upcoming list, and the owner's actions.

Every event goes through ``AuthState._call``: the session is re-checked and the tenant is the caller's, never an id
from the page; ids the page sends (a booking, a service) are looked up in that tenant only (services/booking_admin).
Viewers see the same page without the controls, and the service refuses their changes anyway.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import reflex as rx
from babel.dates import format_date

from ava_app import routes
from ava_app.i18n import translate
from ava_app.models import DB_INT_MAX
from ava_app.services import booking_admin, phones, regional
from ava_app.services.bookings import BookingOut, SlotUnavailable
from ava_app.services.errors import DomainError
from ava_app.state.auth import AuthState

ANY = "all"
UPCOMING_DAYS = 60


def _int_or_none(value: str) -> int | None:
    try:
        return int(value) if value not in ("", ANY) else None
    except ValueError:
        return None


class BookingsState(AuthState):
    """The week or list on screen, the filters, the create/move form and the cancel confirmation."""

    view: str = "week"
    week_start: str = ""  # ISO date of the week's first day shown (local; Monday or Sunday, as the business's country)
    week_label: str = ""
    days: list[dict] = []
    rows: list[dict] = []
    service_options: list[dict] = []
    staff_options: list[dict] = []
    filter_staff: str = ANY
    filter_service: str = ANY
    enabled: bool = False
    loading: bool = False
    loaded: bool = False
    # The create / edit form. In an edit the caller's details are kept here too, so a refusal loses nothing typed.
    form_open: bool = False
    form_mode: str = "create"
    form_booking_id: int = 0
    form_service: str = ""
    form_staff: str = ANY
    form_day: str = ""
    form_slot: str = ""
    form_current: str = ""  # an edit: the booking's time when the form opened (ISO), kept unless another is picked
    form_current_label: str = ""
    form_fields: dict[str, str] = {}
    form_key: int = 0  # bumped when the form opens, so its inputs show the fields afresh
    form_field_errors: dict[str, str] = {}
    slots: list[dict] = []
    form_error: str = ""
    saving: bool = False
    # A booking opened by its link (``?booking=ID``: from a call's page or its summary email), shown on top.
    focus: dict = {}
    # The cancel confirmation.
    cancel_id: int = 0
    cancel_label: str = ""
    _timezone: str = "UTC"
    _currency: str = "USD"
    # Settings (admins): the rules form, the services, the field messages of a refused form.
    settings_open: bool = False
    rules_form: dict[str, str] = {}
    services: list[dict] = []
    settings_errors: dict[str, str] = {}

    # --- reading ---------------------------------------------------------------------------------------------------

    def _row(self, item: BookingOut, currency: str) -> dict:
        lang = self.lang or "en"
        zone, country = self._timezone, self.business_country or None
        price = regional.format_money(item.price_minor / 100, currency, lang) if item.price_minor is not None else ""
        return {
            "id": item.id,
            "day": regional.format_date(item.start_at, timezone=zone, language=lang),
            "time": regional.format_time(item.start_at, timezone=zone, language=lang, country=country)
            + " – "
            + regional.format_time(item.end_at, timezone=zone, language=lang, country=country),
            "service": item.service_name,
            "staff": item.staff_name,
            "caller": item.caller_name or translate("bookings.no_name", lang),
            "phone": phones.display(item.caller_phone, self.business_country or None),
            "tel": f"tel:{item.caller_phone}" if item.caller_phone else "",
            "call_href": routes.call_page(item.call_id) if item.call_id else "",
            "price": price,
            "status": translate(f"bookings.status_{item.state}", lang),
            "live": item.status == "booked",
            "notes": item.notes,
            "service_id": item.service_id,
            "staff_id": item.staff_id,
            "start": item.start_at.isoformat(),
            "local_day": regional.to_local(item.start_at, zone).date().isoformat(),
            "when": regional.format_datetime(item.start_at, timezone=zone, language=lang, country=country),
            "caller_name": item.caller_name,
            "caller_phone": phones.display(item.caller_phone, self.business_country or None)
            if item.caller_phone
            else "",
            "caller_email": item.caller_email or "",
        }

    def _first_weekday(self) -> int:
        """The weekday the business's weeks start on (0 Monday … 6 Sunday): its country's, as its date fields'
        calendar shows them."""
        return regional.first_weekday(self.lang or "en", self.business_country or None)

    async def _refresh(self):
        """Read the week (or the upcoming list) for the filters on screen."""
        staff_id, service_id = _int_or_none(self.filter_staff), _int_or_none(self.filter_service)

        first_weekday = self._first_weekday()

        def read(session, principal):
            today = booking_admin.today_local(session, principal=principal)
            if not self.week_start:
                self.week_start = booking_admin.local_week_start(today, first_weekday).isoformat()
            week_first = date.fromisoformat(self.week_start)
            if self.view == "week":
                first, days = week_first, 7
            else:
                first, days = today, UPCOMING_DAYS
            data = booking_admin.overview(
                session, principal=principal, first_day=first, days=days, staff_id=staff_id, service_id=service_id
            )
            return today, week_first, data

        self.loading = True
        call = await self._call_async(read)
        self.loading = False
        if call.refused:
            return call.event
        today, week_first, data = call.value
        lang = self.lang or "en"
        self._timezone, self._currency = data.timezone, data.currency
        self.enabled = data.enabled
        self.service_options = [{"id": str(s.id), "name": s.name} for s in data.services]
        self.staff_options = [{"id": str(s.id), "name": s.name} for s in data.staff]
        rows = [self._row(item, data.currency) for item in data.bookings]
        self.rows = rows
        if self.view == "week":
            days = []
            for offset in range(7):
                day = week_first + timedelta(days=offset)
                label = regional.format_date(day, language=lang)
                days.append(
                    {
                        "name": format_date(day, "EEE", locale=regional.language_of(lang)),
                        "label": label,
                        "today": day == today,
                        "items": [row for row in rows if row["day"] == label],
                    }
                )
            self.days = days
            self.week_label = f"{days[0]['label']} – {days[-1]['label']}"
        self.loaded = True
        return None

    @rx.event
    async def load_bookings(self):
        """The page's load: this week, or the week of ``?week=YYYY-MM-DD`` (a shared or bookmarked week), and the
        upcoming list with ``?view=list``."""
        params = self.router.url.query_parameters
        self.week_start = ""
        try:
            wanted = date.fromisoformat(str(params.get("week") or ""))
            self.week_start = booking_admin.local_week_start(wanted, self._first_weekday()).isoformat()
        except ValueError:
            pass
        self.view = "list" if params.get("view") == "list" else "week"
        self.settings_open = False
        self.focus = {}
        wanted_booking = _int_or_none(str(params.get("booking") or ""))
        if wanted_booking is not None and 0 < wanted_booking <= DB_INT_MAX:  # else no booking has that id
            refused = await self._open_focus(wanted_booking)
            if refused is not None:
                return refused
        if params.get("settings") == "1":  # a link straight to the settings section
            return await self._refresh() or await self._open_settings()
        return await self._refresh()

    async def _open_focus(self, booking_id: int):
        """Show one booking on top (live or cancelled) and open the week it is in."""

        def read(session, principal):
            found = booking_admin.booking(session, principal=principal, booking_id=booking_id)
            data = booking_admin.overview(session, principal=principal, first_day=date.today(), days=0)
            return found, data

        call = await self._call_async(read)
        if call.refused:
            return call.event
        found, data = call.value
        self._timezone, self._currency = data.timezone, data.currency
        self.focus = self._row(found, data.currency)
        day = regional.to_local(found.start_at, data.timezone).date()
        self.week_start = booking_admin.local_week_start(day, self._first_weekday()).isoformat()
        return None

    @rx.event
    async def show_week(self, step: int):
        """Previous (-1), next (1) or this (0) week."""
        if step == 0 or not self.week_start:
            self.week_start = ""
        else:
            first = date.fromisoformat(self.week_start) + timedelta(days=7 * max(-1, min(1, int(step))))
            self.week_start = first.isoformat()
        return await self._refresh()

    @rx.event
    async def set_view(self, view: str | list[str]):
        self.view = "list" if view == "list" else "week"
        return await self._refresh()

    @rx.event
    async def set_filter_staff(self, value: str):
        self.filter_staff = value
        return await self._refresh()

    @rx.event
    async def set_filter_service(self, value: str):
        self.filter_service = value
        return await self._refresh()

    # --- create and move --------------------------------------------------------------------------------------------

    @rx.event
    async def open_create(self):
        self.form_mode, self.form_booking_id = "create", 0
        self.form_service = self.service_options[0]["id"] if self.service_options else ""
        self.form_staff, self.form_slot, self.form_error, self.slots = ANY, "", "", []
        self.form_current, self.form_current_label, self.form_fields, self.form_field_errors = "", "", {}, {}
        self.form_day = self.form_day or ""
        self.form_key += 1
        self.form_open = True
        return await self._load_slots()

    @rx.event
    async def open_edit(self, booking_id: int):
        """Edit a booking: its service, staff, time and the caller's details, filled in as they are."""
        rows = [*self.rows, self.focus] if self.focus else self.rows
        row = next((row for row in rows if row.get("id") == booking_id and row.get("live")), None)
        if row is None:
            return None
        self.form_mode, self.form_booking_id = "edit", int(booking_id)
        self.form_service, self.form_staff = str(row["service_id"]), str(row["staff_id"])
        self.form_day, self.form_slot = row["local_day"], row["start"]
        self.form_current = row["start"]
        self.form_current_label = translate("bookings.current", self.lang or "en", when=row["when"])
        self.form_fields = {
            "caller_name": row["caller_name"],
            "caller_phone": row["caller_phone"],
            "caller_email": row["caller_email"],
            "notes": row["notes"],
        }
        self.form_error, self.form_field_errors, self.slots = "", {}, []
        self.form_key += 1
        self.form_open = True
        return await self._load_slots()

    @rx.event
    def close_form(self, value: bool = False):
        self.form_open = bool(value) and self.form_open

    @rx.event
    async def set_form_service(self, value: str):
        self.form_service = value
        return await self._load_slots()

    @rx.event
    async def set_form_staff(self, value: str):
        self.form_staff = value
        return await self._load_slots()

    @rx.event
    async def set_form_day(self, value: str):
        day = self._read_day(str(value or "")[:20])  # typed in the reader's order, or ISO from the calendar
        if day is None:
            return self._bad_day()
        if day == self.form_day:
            return None
        self.form_day, self.form_slot = day, ""
        return await self._load_slots()

    @rx.event
    def pick_slot(self, value: str):
        self.form_slot = value

    async def _load_slots(self):
        """The free times of the form's day for its service (and staff member)."""
        service_id = _int_or_none(self.form_service)
        if service_id is None:
            self.slots = []
            return None
        staff_id = _int_or_none(self.form_staff)
        moving = self.form_booking_id or None

        def read(session, principal):
            day = self.form_day and date.fromisoformat(self.form_day)
            if not day:
                day = booking_admin.today_local(session, principal=principal)
                self.form_day = day.isoformat()
            return booking_admin.open_slots(
                session, principal=principal, service_id=service_id, day=day, staff_id=staff_id, booking_id=moving
            )

        call = await self._call_async(read, on_error=self._form_refused)
        if call.refused:
            self.slots = []
            return call.event
        lang = self.lang or "en"
        country = self.business_country or None
        slots = [
            {
                "value": slot.start_at.isoformat(),
                "label": regional.format_time(slot.start_at, timezone=self._timezone, language=lang, country=country)
                + f" · {slot.staff_name}",
            }
            for slot in call.value
        ]
        values = [slot["value"] for slot in slots]
        if self.form_current and self.form_current not in values and self.form_slot == self.form_current:
            # An edit that keeps its time: that time stays on offer even off the grid or outside the hours.
            label = regional.format_time(
                datetime.fromisoformat(self.form_current), timezone=self._timezone, language=lang, country=country
            )
            slots.insert(0, {"value": self.form_current, "label": translate("bookings.current_time", lang, time=label)})
            values.insert(0, self.form_current)
        if self.form_slot not in values:
            self.form_slot = ""
        self.slots = slots
        return None

    def _form_refused(self, error: DomainError):
        self.form_field_errors = self._field_errors(error)
        text = self._error_text(error)
        if isinstance(error, SlotUnavailable):
            times = [
                regional.format_datetime(slot.start_at, timezone=self._timezone, language=self.lang or "en")
                for slot in error.details.get("next_slots") or []
            ]
            if times:
                text += " " + translate("bookings.next_slots", self.lang or "en", times=", ".join(times))
        self.form_error = text
        return None

    @rx.event
    async def save_booking(self, form: dict):
        """Create the booking, or save the edit of the one open, at the picked time; a refusal keeps the form as
        typed and says why (a time taken meanwhile: with the next free times)."""
        keys = ("caller_name", "caller_phone", "caller_email", "notes")
        name, phone, email, notes = (str(form.get(key) or "") for key in keys)
        self.form_fields = dict(zip(keys, (name, phone, email, notes), strict=True))
        self.form_field_errors = {}
        if not self.form_slot:
            self.form_error = translate("bookings.pick_slot", self.lang or "en")
            return None
        try:
            start_at = datetime.fromisoformat(self.form_slot)
        except ValueError:
            self.form_error = translate("bookings.pick_slot", self.lang or "en")
            return None
        staff_id = _int_or_none(self.form_staff)
        service_id = _int_or_none(self.form_service) or 0
        if self.form_mode == "edit":
            booking_id = self.form_booking_id

            def work(session, principal):
                return booking_admin.edit(
                    session,
                    principal=principal,
                    booking_id=booking_id,
                    service_id=service_id,
                    start_at=start_at,
                    staff_id=staff_id,
                    caller_name=name,
                    caller_phone=phone,
                    caller_email=email,
                    notes=notes,
                )

        else:

            def work(session, principal):
                return booking_admin.book(
                    session,
                    principal=principal,
                    service_id=service_id,
                    start_at=start_at,
                    caller_name=name,
                    caller_phone=phone,
                    caller_email=email,
                    notes=notes,
                    staff_id=staff_id,
                )

        self.form_error = ""
        call = await self._call_async(work, busy="saving", on_error=self._form_refused)
        if call.refused:
            if isinstance(call.error, SlotUnavailable):
                await self._load_slots()
            return call.event
        self.form_open = False
        if self.focus and self.focus.get("id") == call.value.id:
            self.focus = self._row(call.value, self._currency)
        done = "bookings.saved" if self.form_mode == "edit" else "bookings.created"
        return await self._refresh() or rx.toast.success(translate(done, self.lang or "en"))

    # --- cancel ---------------------------------------------------------------------------------------------------

    @rx.event
    def ask_cancel(self, booking_id: int):
        rows = [*self.rows, self.focus] if self.focus else self.rows
        row = next((row for row in rows if row.get("id") == booking_id), None)
        if row is not None:
            self.cancel_id = int(booking_id)
            self.cancel_label = f"{row['day']} {row['time']} · {row['service']} · {row['caller']}"

    @rx.event
    def close_cancel(self, value: bool = False):
        if not value:
            self.cancel_id, self.cancel_label = 0, ""

    @rx.event
    async def confirm_cancel(self):
        booking_id = self.cancel_id
        self.cancel_id, self.cancel_label = 0, ""
        if not booking_id:
            return None
        call = await self._call_async(lambda s, p: booking_admin.cancel(s, principal=p, booking_id=booking_id))
        if call.refused:
            return call.event
        if self.focus and self.focus.get("id") == booking_id:
            self.focus = self._row(call.value, self._currency)
        return await self._refresh() or rx.toast.success(translate("bookings.cancelled", self.lang or "en"))

    # --- settings (admins) -----------------------------------------------------------------------------------------

    def _read_settings(self, session, principal) -> None:
        rules = booking_admin.rules(session, principal=principal)
        self.rules_form = {
            "enabled": "on" if rules.enabled else "",
            "min_notice_minutes": str(rules.min_notice_minutes),
            "horizon_days": str(rules.horizon_days),
            "granularity_minutes": str(rules.granularity_minutes),
            "max_per_day": "" if rules.max_per_day is None else str(rules.max_per_day),
            "remind_day_before": "on" if rules.remind_day_before else "",
        }
        self.services = [
            {
                "id": item.id,
                "name": item.name,
                "duration": str(item.duration_minutes),
                "buffer": str(item.buffer_minutes),
                "price": "" if item.price_minor is None else f"{item.price_minor / 100:.2f}",
                "price_label": ""
                if item.price_minor is None
                else regional.format_money(item.price_minor / 100, self._currency, self.lang or "en"),
            }
            for item in booking_admin.bookings.list_services(session, tenant_id=principal.require_member())
        ]

    @rx.event
    async def toggle_settings(self):
        if self.settings_open:
            self.settings_open = False
            return None
        return await self._open_settings()

    async def _open_settings(self):
        self.settings_open = True
        self.settings_errors = {}
        call = await self._call_async(self._read_settings)
        return call.event if call.refused else None

    def _settings_refused(self, error: DomainError):
        self.settings_errors = self._field_errors(error) or {"form": self._error_text(error)}
        return None

    async def _settings_saved(self, call) -> object:
        if call.refused:
            return call.event
        self.settings_errors = {}
        follow = await self._call_async(self._read_settings)
        if follow.refused:
            return follow.event
        return await self._refresh() or rx.toast.success(translate("bookings.settings_saved", self.lang or "en"))

    @rx.event
    async def save_rules(self, form: dict):
        """Booking on/off and the rules; bad numbers keep what was typed and name the field."""
        self.rules_form = {key: str(form.get(key) or "") for key in self.rules_form} | {
            "enabled": "on" if form.get("enabled") else "",
            "remind_day_before": "on" if form.get("remind_day_before") else "",
        }
        numbers, problems = {}, {}
        for key in ("min_notice_minutes", "horizon_days", "granularity_minutes", "max_per_day"):
            raw = str(form.get(key) or "").strip()
            if key == "max_per_day" and raw == "":
                numbers[key] = None
                continue
            try:
                numbers[key] = int(raw)
            except ValueError:
                problems[key] = translate("bookings.whole_number", self.lang or "en")
        if problems:
            self.settings_errors = problems
            return None
        enabled, remind = bool(form.get("enabled")), bool(form.get("remind_day_before"))
        call = await self._call_async(
            lambda s, p: booking_admin.save_rules(s, principal=p, enabled=enabled, remind_day_before=remind, **numbers),
            on_error=self._settings_refused,
        )
        return await self._settings_saved(call)

    @rx.event
    async def add_service(self, form: dict):
        """A new service: name, duration and buffer in minutes, price in the business currency (optional)."""
        lang = self.lang or "en"
        problems: dict[str, str] = {}
        values: dict[str, int | None] = {}
        for key, default in (("duration", None), ("buffer", 0)):
            raw = str(form.get(key) or "").strip()
            try:
                values[key] = int(raw) if raw else default
            except ValueError:
                problems[f"service_{key}"] = translate("bookings.whole_number", lang)
        raw_price = str(form.get("price") or "").strip().replace(",", ".")
        try:
            values["price"] = round(float(raw_price) * 100) if raw_price else None
        except ValueError:
            problems["service_price"] = translate("bookings.price_number", lang)
        if values.get("duration") is None and "service_duration" not in problems:
            problems["service_duration"] = translate("bookings.whole_number", lang)
        if problems:
            self.settings_errors = problems
            return None
        name = str(form.get("name") or "")

        def work(session, principal):
            return booking_admin.add_service(
                session,
                principal=principal,
                name=name,
                duration_minutes=int(values["duration"] or 0),
                price_minor=values["price"],
                buffer=int(values["buffer"] or 0),
            )

        def refused(error: DomainError):
            fields = self._field_errors(error)
            self.settings_errors = {
                f"service_{key.removesuffix('_minutes').removesuffix('_minor')}": text for key, text in fields.items()
            } or {"form": self._error_text(error)}
            return None

        return await self._settings_saved(await self._call_async(work, on_error=refused))

    @rx.event
    async def deactivate_service(self, service_id: int):
        call = await self._call_async(
            lambda s, p: booking_admin.deactivate_service(s, principal=p, service_id=int(service_id))
        )
        return await self._settings_saved(call)

    @rx.event
    async def add_staff(self, form: dict):
        name = str(form.get("name") or "")
        call = await self._call_async(
            lambda s, p: booking_admin.add_staff(s, principal=p, name=name), on_error=self._settings_refused
        )
        return await self._settings_saved(call)

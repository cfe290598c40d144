"""The staff member dialog of /bookings (admins): their name, the services they do, and their own working hours
(inside the business's hours). Opened from the Staff list of the booking settings; the service re-checks that the
caller is an admin of the organisation the staff member belongs to."""

from __future__ import annotations

import reflex as rx

from ava_app.i18n import translate
from ava_app.services import booking_admin
from ava_app.services.bookings import business_week, list_services
from ava_app.services.business_hours import WEEKDAY_KEYS, day_key
from ava_app.services.errors import DomainError
from ava_app.state.auth import AuthState
from ava_app.state.hours import HoursMixin, hours_payload


class StaffEditorState(HoursMixin, AuthState):
    staff_open: bool = False
    staff_id: int = 0
    staff_name: str = ""
    # Every active service of the business, and whether this staff member does it.
    staff_services: list[dict] = []
    own_hours: bool = False
    staff_error: str = ""
    staff_busy: bool = False

    @rx.event
    async def open_staff(self, staff_id: int):
        def read(session, principal):
            member = booking_admin.staff_member(session, principal=principal, staff_id=int(staff_id))
            services = list_services(session, tenant_id=principal.require_admin())
            business, _holidays = business_week(session, tenant_id=principal.require_admin())
            return member, services, business

        call = await self._call_async(read)
        if call.refused:
            return call.event
        member, services, business = call.value
        self.staff_id, self.staff_name = member.id, member.name
        self.staff_services = [
            {"id": str(service.id), "name": service.name, "checked": service.id in member.service_ids}
            for service in services
        ]
        self.own_hours = bool(member.working_hours)
        # Own hours start from the business's week, the widest they can be.
        widest = {day_key(day) or str(day): ranges for day, ranges in (business or {}).items()}
        self._set_week(member.working_hours or widest or None)
        self.staff_error, self.staff_open = "", True
        return None

    @rx.event
    def close_staff(self, _open: bool = False):
        self.staff_open = False

    @rx.event
    def set_staff_name(self, value: str):
        self.staff_name = str(value or "")[:120]

    @rx.event
    def set_own_hours(self, value: bool):
        self.own_hours = bool(value)

    @rx.event
    def toggle_staff_service(self, service_id: str, checked: bool):
        self.staff_services = [
            {**item, "checked": bool(checked)} if item["id"] == str(service_id) else item
            for item in self.staff_services
        ]

    @rx.event
    async def save_staff(self):
        """Save the dialog; bad hours keep what was typed and say which day is wrong."""
        from ava_app.state.bookings import BookingsState

        staff_id, name = self.staff_id, self.staff_name
        service_ids = [int(item["id"]) for item in self.staff_services if item["checked"]]
        hours = hours_payload(self.week) if self.own_hours else {}
        lang = self.lang or "en"
        self.staff_error, self.hours_error = "", ""

        def refused(error: DomainError):
            fields = {
                key.replace("working_hours", "business_hours"): text for key, text in self._field_errors(error).items()
            }
            self._take_hours_errors(fields, {day: translate(f"day.{day}", lang) for day in WEEKDAY_KEYS})
            if not self.hours_error:
                self.staff_error = self._error_text(error)
            return None

        call = await self._call_async(
            lambda s, p: booking_admin.save_staff(
                s, principal=p, staff_id=staff_id, name=name, service_ids=service_ids, working_hours=hours
            ),
            busy="staff_busy",
            on_error=refused,
        )
        if call.refused:
            return call.event
        self.staff_open = False
        return [rx.toast.success(translate("bookings.staff_saved", lang)), BookingsState.load_bookings]

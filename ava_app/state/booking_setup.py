"""Onboarding's "Appointments" card: whether the assistant books, the business's services with their durations and
prices (seeded from its kind of business, edited in place), and an optional calendar to connect.

Admins only (the wizard is the owner's); every change goes through ``booking_admin``, which checks the role and the
organisation again.
"""

from __future__ import annotations

import reflex as rx
from babel import numbers as babel_numbers

from ava_app.i18n import translate
from ava_app.models import Tenant
from ava_app.services import booking_admin, regional
from ava_app.services import bookings as booking_services
from ava_app.services.errors import DomainError
from ava_app.state.auth import AuthState

MAX_SERVICES = 30


class BookingSetupState(AuthState):
    """The services as rows of strings (what the inputs show), the switch, the add form and its errors."""

    booking_on: bool = False
    setup_services: list[dict[str, str]] = []
    booking_setup_loaded: bool = False
    currency_symbol: str = ""
    service_errors: dict[str, str] = {}
    new_service_name: str = ""
    new_service_duration: str = "30"
    new_service_price: str = ""
    booking_setup_busy: bool = False

    @rx.event
    async def load_booking_setup(self):
        """The switch and the services (admins); a refusal leaves the card out."""

        def read(session, principal):
            principal.require_admin()
            rules = booking_admin.rules(session, principal=principal)
            services = booking_services.list_services(session, tenant_id=principal.tenant_id)
            tenant = session.get(Tenant, principal.tenant_id)
            return rules.enabled, services, tenant.currency if tenant else ""

        call = await self._call_async(read)
        if call.refused:
            self.booking_setup_loaded = False
            return call.event
        enabled, services, currency = call.value
        self.booking_on = enabled
        self.currency_symbol = babel_numbers.get_currency_symbol(
            currency or "EUR", locale=regional.language_of(self.lang)
        )
        self.setup_services = [self._service_row(service) for service in services if service.active]
        self.service_errors = {}
        self.booking_setup_loaded = True
        return None

    @rx.event
    async def set_booking_on(self, checked: bool):
        """Let the assistant book, or stop it (the assistant's tools follow at its next sync)."""
        call = await self._call_async(
            lambda s, p: booking_admin.set_booking_enabled(s, principal=p, enabled=bool(checked))
        )
        if call.refused:
            return call.event
        self.booking_on = call.value.enabled
        key = "setup_bookings.on" if self.booking_on else "setup_bookings.off"
        return rx.toast.success(translate(key, self.lang or "en"))

    @rx.event
    async def save_service_field(self, service_id: str, field: str, value: str):
        """Save one edited field of a service when its input loses focus; a bad value says why and keeps the rest."""
        row = next((item for item in self.setup_services if item["id"] == str(service_id)), None)
        if row is None or field not in ("name", "duration", "price") or row.get(field) == value:
            return None
        changed = {**row, field: str(value)[:80]}
        parsed = self._parsed(changed, error_key=f"{row['id']}:{field}")
        if parsed is None:
            return None
        name, duration, price = parsed
        call = await self._call_async(
            lambda s, p: booking_admin.update_service(
                s, principal=p, service_id=int(row["id"]), name=name, duration_minutes=duration, price_minor=price
            ),
            on_error=lambda error: self._refused(error, f"{row['id']}:{field}:{field}"),
        )
        if call.refused:
            return call.event
        self.service_errors = {}
        self.setup_services = [
            self._service_row(call.value) if item["id"] == row["id"] else item for item in self.setup_services
        ]
        return None

    @rx.event
    def set_new_service_name(self, value: str):
        self.new_service_name = value[:80]

    @rx.event
    def set_new_service_duration(self, value: str):
        self.new_service_duration = value[:4]

    @rx.event
    def set_new_service_price(self, value: str):
        self.new_service_price = value[:12]

    @rx.event
    async def add_setup_service(self):
        """Add the service typed in the last row."""
        if len(self.setup_services) >= MAX_SERVICES:
            self.service_errors = {"new:name": translate("setup_bookings.too_many", self.lang or "en")}
            return None
        values = {"name": self.new_service_name, "duration": self.new_service_duration, "price": self.new_service_price}
        parsed = self._parsed(values, error_key="new")
        if parsed is None:
            return None
        name, duration, price = parsed
        call = await self._call_async(
            lambda s, p: booking_admin.add_service(
                s, principal=p, name=name, duration_minutes=duration, price_minor=price, buffer=0
            ),
            busy="booking_setup_busy",
            on_error=lambda error: self._refused(error, "new:name"),
        )
        if call.refused:
            return call.event
        self.setup_services = [*self.setup_services, self._service_row(call.value)]
        self.new_service_name, self.new_service_duration, self.new_service_price = "", "30", ""
        self.service_errors = {}
        return None

    @rx.event
    async def remove_setup_service(self, service_id: str):
        """Stop offering a service (its past bookings stay)."""
        call = await self._call_async(
            lambda s, p: booking_admin.deactivate_service(s, principal=p, service_id=_id(service_id)),
        )
        if call.refused:
            return call.event
        self.setup_services = [item for item in self.setup_services if item["id"] != str(service_id)]
        return None

    def _service_row(self, service) -> dict[str, str]:
        price = ""
        if service.price_minor is not None:
            price = regional.format_decimal(service.price_minor / 100, self.lang or "en", digits=2).replace("\xa0", "")
        return {"id": str(service.id), "name": service.name, "duration": str(service.duration_minutes), "price": price}

    def _parsed(self, values: dict[str, str], *, error_key: str) -> tuple[str, int, int | None] | None:
        """Name, minutes and price in cents from what was typed; None (and the message under the field) if wrong."""
        lang = self.lang or "en"
        name = values["name"].strip()
        if not name:
            self.service_errors = {f"{error_key}:name": translate("setup_bookings.name_needed", lang)}
            return None
        raw_duration = values["duration"].strip()
        if not raw_duration.isdigit() or not 5 <= int(raw_duration) <= 480:
            self.service_errors = {f"{error_key}:duration": translate("setup_bookings.duration_range", lang)}
            return None
        raw_price = values["price"].strip().replace("\xa0", "").replace(" ", "")
        if not raw_price:
            return name, int(raw_duration), None
        # "45", "45.50", "45,50", "1,234.50" and "1 234,50" all read as the business writes them.
        if "," in raw_price and "." in raw_price:
            raw_price = raw_price.replace(",", "") if raw_price.rfind(".") > raw_price.rfind(",") else raw_price
            raw_price = raw_price.replace(".", "").replace(",", ".") if "," in raw_price else raw_price
        else:
            raw_price = raw_price.replace(",", ".")
        try:
            price = round(float(raw_price) * 100)
        except ValueError:
            price = -1
        if not 0 <= price <= 10_000_000:
            self.service_errors = {f"{error_key}:price": translate("setup_bookings.price_number", lang)}
            return None
        return name, int(raw_duration), price

    def _refused(self, error: DomainError, key: str):
        self.service_errors = {key: self._error_text(error)}
        return None


def _id(value: str | int) -> int:
    text = str(value)
    return int(text) if text.isdigit() and len(text) < 12 else 0

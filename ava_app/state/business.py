"""The business's region (country, timezone, language, currency): confirmed in onboarding, edited on
/settings/business. Admins edit it; other members read it. The service re-checks who may change it."""

from __future__ import annotations

import reflex as rx

from ava_app.i18n import translate
from ava_app.services import regional
from ava_app.services.errors import DomainError
from ava_app.services.regional import RegionOut
from ava_app.state.auth import AuthState

QUERY_LIMIT = 60


class BusinessRegionState(AuthState):
    """The region as stored and as being edited; option lists are labelled in the reader's language."""

    country: str = ""
    timezone: str = ""
    language: str = ""
    currency: str = ""
    # What was last saved, as one line ("France · Paris time (UTC+1) · Français · Euro").
    summary: str = ""
    can_edit: bool = False
    loaded: bool = False
    load_failed: bool = False
    saving: bool = False
    editing: bool = False
    errors: dict[str, str] = {}
    # The currency follows the country until someone picks another one.
    currency_follows: bool = True
    timezone_query: str = ""
    country_options: list[list[str]] = []
    zone_options: list[list[str]] = []
    currency_options: list[list[str]] = []
    language_options: list[list[str]] = []

    @rx.var
    def timezone_options(self) -> list[list[str]]:
        """The zones whose name or offset contains what is typed in the search box (the chosen one always kept)."""
        query = self.timezone_query.strip().casefold().replace(" ", "_")
        if not query:
            return self.zone_options
        return [
            option
            for option in self.zone_options
            if option[0] == self.timezone or query in option[0].casefold() or query in option[1].casefold()
        ]

    @rx.var
    def timezone_no_match(self) -> bool:
        """A search that finds no zone but the chosen one (which stays in the list)."""
        return bool(self.timezone_query.strip()) and all(o[0] == self.timezone for o in self.timezone_options)

    @rx.var
    def zone_label(self) -> str:
        return regional.timezone_label(self.timezone, self.lang) if self.timezone else ""

    @rx.var
    def country_label(self) -> str:
        return regional.country_name(self.country, self.lang) if self.country else ""

    @rx.var
    def language_label(self) -> str:
        return regional.language_name(self.language) if self.language else ""

    @rx.var
    def currency_label(self) -> str:
        return f"{self.currency} · {regional.currency_name(self.currency, self.lang)}" if self.currency else ""

    @rx.event
    async def load_region(self):
        """Read the organisation's region (any member); refusals become a toast or the login page."""
        self.errors, self.editing, self.timezone_query = {}, False, ""
        call = await self._call_async(
            lambda s, p: regional.get_business_region(s, principal=p, language=self.lang or "en")
        )
        if call.refused:
            self.load_failed = True
            return call.event
        self._show(call.value)
        self.load_failed = False
        self.loaded = True

    def _show(self, out: RegionOut) -> None:
        self.country, self.timezone = out.country, out.timezone
        self.language, self.currency = out.language, out.currency
        self.summary, self.can_edit = out.summary, out.can_edit
        self.currency_follows = out.currency == regional.currency_of(out.country)
        lang = self.lang or "en"
        self.country_options = [[code, name] for code, name in regional.country_choices(lang)]
        self.currency_options = [[code, label] for code, label in regional.currency_choices(lang)]
        self.language_options = [[code, name] for code, name in regional.language_choices()]
        self._zones()

    def _zones(self) -> None:
        self.zone_options = [[name, label] for name, label in regional.timezone_choices(self.country)]

    @rx.event
    def set_country(self, value: str):
        """A new country brings its currency (unless another was picked) and its main zone (unless the chosen zone
        is one of its own)."""
        code = str(value or "").upper()
        if code not in regional.countries():
            return
        self.country = code
        if self.currency_follows:
            self.currency = regional.currency_of(code)
        zones = regional.zones_of_country(code)
        if zones and self.timezone not in zones:
            self.timezone = zones[0]
        self.timezone_query = ""
        self._zones()

    @rx.event
    def set_timezone(self, value: str):
        if regional.valid_timezone(value):
            self.timezone = str(value)

    @rx.event
    def set_timezone_query(self, value: str):
        self.timezone_query = str(value or "")[:QUERY_LIMIT]

    @rx.event
    def set_language(self, value: str):
        if value in regional.LANGUAGES:
            self.language = str(value)

    @rx.event
    def set_currency(self, value: str):
        code = str(value or "").upper()
        self.currency = code
        self.currency_follows = code == regional.currency_of(self.country)

    @rx.event
    def start_editing(self):
        self.editing, self.errors = True, {}

    @rx.event
    def stop_editing(self, _open: bool = False):
        """Close the editor without saving: the fields go back to what is stored."""
        self.editing = False
        return BusinessRegionState.load_region

    @rx.event
    async def save_region(self):
        """Save the four values; the service checks the caller is an admin and each value is known."""
        self.errors = {}
        self.saving = True
        yield
        values = {
            "country": self.country,
            "timezone": self.timezone,
            "language": self.language,
            "currency": self.currency,
        }

        def refused(error: DomainError):
            self.errors = self._field_errors(error)
            if not self.errors:
                return self._fail(error)
            return None

        call = await self._call_async(
            lambda s, p: regional.update_business_region(s, principal=p, display_language=self.lang or "en", **values),
            busy="saving",
            on_error=refused,
        )
        if call.refused:
            yield call.event
            return
        self._show(call.value)
        self.editing = False
        self._business_timezone = call.value.timezone  # the times the settings pages show follow at once
        self._forget_shell()
        yield rx.toast.success(translate("business.saved", self.lang or "en"))

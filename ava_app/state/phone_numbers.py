"""Phone numbers in the browser: getting one (search and buy, or import from Twilio) and /phone-numbers.

``NumberFlowState`` serves both the wizard's step 3 and the "Add number" dialog. Searching, buying and importing wait
on Twilio and Vapi, so they run as background events with the service call in a worker thread; what was typed stays
in the form whatever the provider answers.
"""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import reflex as rx

from ava_app import routes
from ava_app.db import session_scope
from ava_app.i18n import translate
from ava_app.services import assistants, number_prices, phone_input, phone_numbers, phones, reach, regional
from ava_app.services.business_hours import WEEKDAY_KEYS
from ava_app.services.errors import DomainError, Invalid
from ava_app.services.providers import twilio
from ava_app.services.providers.sandbox_keys import SANDBOX_ACCOUNT_SID
from ava_app.settings import get_settings
from ava_app.state.auth import AuthState
from ava_app.state.hours import HoursMixin, hours_payload, hours_text
from ava_app.state.onboarding import OnboardingState
from ava_app.state.reach import ReachState

COUNTRIES = ("US", "CA", "GB", "FR", "ES", "DE", "AU")
# Numbers shown at once; "More numbers" shows this many more of the search's results.
PAGE = 5
AREA_CODE_PLACEHOLDERS = {"US": "415", "CA": "514"}
# The first digits of a big city's numbers, as the country hints suggest them.
CONTAINS_PLACEHOLDERS = {"US": "555", "CA": "555", "GB": "4420", "FR": "331", "ES": "3491", "DE": "4930", "AU": "612"}


def _price_text(price: Decimal | None, unit: str | None, lang: str) -> str:
    return number_prices.price_text(price, unit, lang)


def _free_display(item: phone_numbers.AvailableNumber, home: str) -> str:
    """A free number is picked by Vapi in the area code: only its first digits are known."""
    return f"({item.area_code}) …" if home in ("US", "CA") else f"+1 ({item.area_code}) …"


def _region_name(country: str, code: str | None, lang: str) -> str:
    """The full name of a search result's region ("Île-de-France" for FR/IDF); the code when AVA has no name."""
    if not code:
        return ""
    key = f"region.{country}.{code}"
    name = translate(key, lang)
    return code if name == key else name


def _sandbox_account_offered() -> bool:
    """The sandbox Twilio account exists only where its emulator is served: a dev deployment without Twilio keys."""
    settings = get_settings()
    return settings.twilio_sandbox and settings.emulators_served


# How long a save waits to say whether the provider took the change (the job retries after that).
SYNC_WAIT_SECONDS = 15


class NumberFlowState(AuthState):
    """Get a new number or import Twilio numbers; ``added`` lists what this flow connected."""

    mode: str = "get"
    country: str = "US"
    # The organisation's own country: numbers of it are shown the national way, and the search starts there.
    business_country: str = "US"
    shown: int = PAGE
    area_code: str = ""
    contains: str = ""
    results: list[dict[str, str]] = []
    searched: bool = False
    selected: str = ""
    search_busy: bool = False
    confirm_open: bool = False
    provisioning: bool = False
    flow_errors: dict[str, str] = {}
    added: list[str] = []
    account_sid: str = ""
    # The typed Auth Token stays on the server; the field is uncontrolled, so the token is never sent back.
    _auth_token: str = ""
    # Sandbox mode: "use the sandbox account" is a choice the server resolves; its token never reaches the browser.
    use_sandbox_account: bool = False
    account_name: str = ""
    verify_busy: bool = False
    twilio_numbers: list[dict[str, str]] = []
    chosen: list[str] = []
    import_busy: bool = False
    skipped: list[str] = []
    sandbox_creds: bool = False

    @rx.event
    def reset_flow(self):
        """A fresh flow; in sandbox mode the Twilio sandbox account is chosen (resolved on the server)."""
        self.sandbox_creds = _sandbox_account_offered()
        region = self._call_quietly(lambda s, p: reach.get_reach(s, principal=p))
        self.business_country = region.country if region is not None else "US"
        self.country = self.business_country if self.business_country in COUNTRIES else "US"
        self.area_code = self.contains = ""
        self.shown = PAGE
        self.mode, self.results, self.searched, self.selected = "get", [], False, ""
        self.flow_errors, self.added, self.skipped, self.chosen = {}, [], [], []
        self.twilio_numbers, self.account_name = [], ""
        self.confirm_open = self.provisioning = self.search_busy = self.verify_busy = self.import_busy = False
        self.account_sid = SANDBOX_ACCOUNT_SID if self.sandbox_creds else ""
        self._auth_token = ""
        self.use_sandbox_account = self.sandbox_creds

    @rx.event
    def set_use_sandbox_account(self, value: bool):
        """Choose the sandbox Twilio account (sandbox mode only) or type an account's SID and token."""
        self.use_sandbox_account = bool(value) and _sandbox_account_offered()
        self.account_name, self.twilio_numbers, self.chosen = "", [], []
        if self.use_sandbox_account:
            self.account_sid, self._auth_token = SANDBOX_ACCOUNT_SID, ""

    def _twilio_credentials(self) -> tuple[str, str]:
        """The SID and token to use: typed ones, or the sandbox account's, resolved here and never sent out."""
        if self.use_sandbox_account and _sandbox_account_offered():
            return twilio.sandbox_account()
        return self.account_sid, self._auth_token

    @rx.event
    def set_mode(self, value: str):
        self.mode = value if value in ("get", "import", "skip") else "get"

    @rx.event
    def set_country(self, value: str):
        self.country = value if value in COUNTRIES else self.country
        self.area_code, self.results, self.searched, self.selected = "", [], False, ""

    @rx.var
    def country_hint(self) -> str:
        """How to search in the chosen country, in the interface language."""
        return translate(f"numflow.hint.{self.country}", self.lang or "en")

    @rx.var
    def area_code_placeholder(self) -> str:
        return AREA_CODE_PLACEHOLDERS.get(self.country, "")

    @rx.var
    def contains_placeholder(self) -> str:
        return CONTAINS_PLACEHOLDERS.get(self.country, "")

    @rx.var
    def visible_results(self) -> list[dict[str, str]]:
        """The first numbers of the search; "More numbers" shows more."""
        return self.results[: self.shown]

    @rx.var
    def has_more(self) -> bool:
        return len(self.results) > self.shown

    @rx.event
    def show_more(self):
        self.shown += PAGE

    @rx.event
    def set_area_code(self, value: str):
        self.area_code = value[:6]

    @rx.event
    def set_contains(self, value: str):
        self.contains = value[:20]

    @rx.event
    def set_account_sid(self, value: str):
        self.account_sid, self.account_name = value.strip()[:64], ""

    @rx.event
    def set_auth_token(self, value: str):
        # A typed token means the caller's own account, not the sandbox one.
        self._auth_token, self.account_name = value.strip()[:64], ""
        self.use_sandbox_account = False

    @rx.event
    def select_number(self, key: str):
        self.selected = key

    @rx.event
    def set_confirm_open(self, value: bool):
        self.confirm_open = value

    @rx.event
    def ask_confirm(self):
        if not self.selected:
            self.flow_errors = {"selected": translate("numflow.choose", self.lang or "en")}
            return
        self.flow_errors = {}
        self.confirm_open = True

    @rx.var
    def selected_number(self) -> dict[str, str]:
        """The offer the confirmation dialog talks about."""
        return next((item for item in self.results if item["key"] == self.selected), {})

    @rx.event
    def toggle_import(self, number: str, checked: bool):
        chosen = [item for item in self.chosen if item != number]
        self.chosen = [*chosen, number] if checked else chosen

    def _take_error(self, error: DomainError):
        """Field messages go under their fields; anything else becomes a toast. The typed values stay."""
        if not isinstance(error, Invalid):
            return self._fail(error)
        self.flow_errors = self._field_errors(error) or {"form": self._error_text(error)}
        if "numbers" in self.flow_errors:
            self.flow_errors["chosen"] = self.flow_errors.pop("numbers")
        return None

    def _after_added(self):
        if self.router.page.path == routes.PHONE_NUMBERS:
            return PhoneNumbersState.load_numbers
        if self.router.page.path == routes.ONBOARDING:
            return OnboardingState.refresh_numbers
        return None

    @rx.event(background=True)
    async def search(self):
        """Numbers on offer for the country, area code and digits typed."""
        async with self:
            self.flow_errors, self.selected = {}, ""
            country, area_code, contains = self.country, self.area_code, self.contains
        call = await self._call_in_thread(
            lambda s, p: phone_numbers.search_numbers(
                s, principal=p, country=country, area_code=area_code, contains=contains
            ),
            busy="search_busy",
            on_error=self._take_error,
        )
        if call.refused:
            yield call.event
            return
        offer = call.value
        async with self:
            lang, home = self.lang or "en", self.business_country
            self.searched, self.shown = True, PAGE
            self.results = [
                {
                    "key": item.phone_number or f"free-{item.area_code}",
                    "kind": item.kind,
                    "phone_number": item.phone_number or "",
                    "area_code": item.area_code or "",
                    "display": phones.display(item.phone_number, home)
                    if item.phone_number
                    else _free_display(item, home),
                    "place": ", ".join(
                        part for part in (item.locality, _region_name(item.country, item.region, lang)) if part
                    ),
                    "free": "1" if item.free else "",
                    "price": "" if item.free else _price_text(item.monthly_price, item.price_unit, lang),
                }
                for item in offer[:20]
            ]
            if self.results:
                self.selected = self.results[0]["key"]

    @rx.event(background=True)
    async def provision(self):
        """Get the confirmed number: free at Vapi, or bought at Twilio and connected."""
        async with self:
            offer = dict(self.selected_number)
            self.confirm_open, self.flow_errors = False, {}
            country = self.country
        if not offer:
            return
        choice = phone_numbers.NumberChoice(
            kind=offer["kind"],
            country=country,
            phone_number=offer["phone_number"] or None,
            area_code=offer["area_code"] or None,
        )
        call = await self._call_in_thread(
            lambda s, p: phone_numbers.provision_number(s, principal=p, choice=choice),
            busy="provisioning",
            on_error=self._take_error,
        )
        if call.refused:
            yield call.event
            return
        number = call.value
        async with self:
            shown = phones.display(number.e164, self.business_country) if number.e164 else offer["display"]
            self.added = [*self.added, shown]
            self.results, self.searched, self.selected = [], False, ""
            yield rx.toast.success(f"{translate('numflow.ready', self.lang or 'en')} {shown}")
            yield self._after_added()

    @rx.event(background=True)
    async def verify_twilio(self):
        """Check the Twilio credentials and list the account's numbers."""
        async with self:
            self.flow_errors, self.account_name = {}, ""
            self.twilio_numbers, self.chosen = [], []
            sid, token = self._twilio_credentials()

        def work(session, p):
            account = phone_numbers.verify_twilio_credentials(account_sid=sid, auth_token=token)
            owned = phone_numbers.list_twilio_numbers(session, principal=p, account_sid=sid, auth_token=token)
            return account, owned

        call = await self._call_in_thread(work, busy="verify_busy", on_error=self._take_error)
        if call.refused:
            yield call.event
            return
        account, owned = call.value
        async with self:
            self.account_name = account.friendly_name or account.sid
            self.twilio_numbers = [
                {"phone_number": n.phone_number, "name": n.friendly_name, "in_ava": "1" if n.in_ava else ""}
                for n in owned[:200]
            ]

    @rx.event(background=True)
    async def import_numbers(self):
        """Connect the chosen Twilio numbers to the assistant."""
        async with self:
            if not self.chosen:
                self.flow_errors = {"chosen": translate("numflow.choose_import", self.lang or "en")}
                return
            self.flow_errors = {}
            (sid, token), numbers = self._twilio_credentials(), list(self.chosen)
        call = await self._call_in_thread(
            lambda s, p: phone_numbers.import_twilio_numbers(
                s, principal=p, account_sid=sid, auth_token=token, numbers=numbers
            ),
            busy="import_busy",
            on_error=self._take_error,
        )
        if call.refused:
            yield call.event
            return
        result = call.value
        async with self:
            imported = [number.e164 for number in result.imported]
            shown = [phones.display(e164, self.business_country) for e164 in imported]
            self.added = [*self.added, *shown]
            self.skipped = [f"{skip.phone_number}: {skip.reason}" for skip in result.skipped]
            self.chosen = []
            in_ava = set(imported)
            self.twilio_numbers = [
                {**row, "in_ava": "1" if row["in_ava"] or row["phone_number"] in in_ava else ""}
                for row in self.twilio_numbers
            ]
            if imported:
                yield rx.toast.success(f"{translate('numflow.imported', self.lang or 'en')} {', '.join(shown)}")
            yield self._after_added()


class PhoneNumbersState(HoursMixin, AuthState):
    """/phone-numbers: the list, a number's settings, sync retry and release."""

    numbers: list[dict[str, str]] = []
    editing_id: int = 0
    editing_e164: str = ""
    holidays: list[str] = []
    new_holiday: str = ""
    after_hours: str = "voicemail"
    route_to: str = ""
    assistant_options: list[dict[str, str]] = []
    forwarding: str = ""
    voicemail: str = ""
    config_errors: dict[str, str] = {}
    config_saving: bool = False
    add_open: bool = False
    release_id: int = 0
    release_e164: str = ""
    busy_number: str = ""
    # The organisation's country: numbers are shown and typed as its people write them ("" until loaded).
    phone_country: str = ""
    editing_shown: str = ""
    release_shown: str = ""
    _raw: dict[int, dict] = {}
    # The business's zone: a number added late in the evening in New York was added that day, not the next.
    _timezone: str = "UTC"

    @rx.var
    def forwarding_placeholder(self) -> str:
        """An example number of the organisation's country ("06 12 34 56 78" in France)."""
        return phones.example(self.phone_country) if self.phone_country else phone_input.INTERNATIONAL_EXAMPLE

    def _shown(self, e164: str | None) -> str:
        """A stored number as the organisation's people write it: national at home, international otherwise."""
        return phones.display(e164, self.phone_country or None) if e164 else ""

    def _row(self, number: phone_numbers.NumberOut) -> dict[str, str]:
        lang = self.lang or "en"
        return {
            "id": str(number.id),
            "e164": number.e164 or "…",
            "shown": self._shown(number.e164) or "…",
            "forwarding": self._shown(number.forwarding_number),
            "label": number.label,
            "provider": "Vapi" if number.provider == "vapi" else "Twilio",
            "status": number.status,
            "assistant": number.assistant_name or "—",
            "hours": hours_text(number.business_hours, number.holidays, lang, self.business_country),
            "after_hours": number.after_hours_action,
            "created": regional.format_date(
                number.created_at, timezone=self._timezone, language=lang, country=self.business_country
            ),
            "sync_status": number.sync_status,
            "sync_error": number.sync_error or "",
        }

    @rx.event
    async def load_numbers(self):
        """The organisation's numbers (released ones are not shown)."""

        def load(session, principal) -> tuple[list[phone_numbers.NumberOut], str | None, str]:
            rows = phone_numbers.list_numbers(session, principal=principal)
            timezone = regional.get_business_region(session, principal=principal).timezone
            return rows, phone_input.caller_country(session, principal=principal), timezone

        call = await self._call_async(load)
        if call.refused:
            return call.event
        rows, country, self._timezone = call.value
        self.phone_country = country or ""
        self._raw = {row.id: row.model_dump(mode="json") for row in rows[:200]}
        self.numbers = [self._row(row) for row in rows[:200]]
        # "How calls reach AVA" on this page shows the first number: it follows the list.
        return ReachState.load_reach

    @rx.event
    def set_add_open(self, value: bool):
        """Open the "Add number" dialog with a fresh flow; closing it reloads the list."""
        self.add_open = value
        return NumberFlowState.reset_flow if value else PhoneNumbersState.load_numbers

    # --- a number's settings ---

    @rx.event
    async def open_config(self, number_id: str):
        """Open one number's settings."""
        number = self._raw.get(int(number_id)) if str(number_id).isdigit() else None
        if number is None:
            return
        call = await self._call_async(lambda s, p: assistants.get_or_create_assistant(s, principal=p))
        if call.refused:
            return call.event
        assistant = call.value
        self.assistant_options = [{"id": str(assistant.id), "name": assistant.name}]
        self.editing_id, self.editing_e164 = number["id"], number["e164"]
        self.editing_shown = self._shown(number["e164"])
        self._set_week(number["business_hours"])
        self.holidays = list(number["holidays"])
        self.after_hours = number["after_hours_action"]
        self.route_to = str(number["assistant_id"] or "none")
        self.forwarding = self._shown(number["forwarding_number"])
        self.voicemail = number["voicemail_message"] or ""
        self.config_errors, self.new_holiday = {}, ""

    @rx.event
    def close_config(self, _open: bool = False):
        self.editing_id = 0

    @rx.event
    def set_new_holiday(self, value: str):
        """The day typed (in the reader's order) or picked on the calendar, kept as ISO; a toast when it is no day."""
        day = self._read_day(str(value or "")[:20])
        if day is None:
            return self._bad_day()
        self.new_holiday = day
        return None

    @rx.var
    def holiday_items(self) -> list[dict[str, str]]:
        """The closed days as the business writes dates ("25 déc. 2026", "Dec 25, 2026"), each with its ISO value."""
        lang, country = self.lang or "en", self.business_country or None
        items = []
        for value in self.holidays:
            try:
                day = date.fromisoformat(value)
            except ValueError:
                items.append({"value": value, "label": value})
                continue
            items.append(
                {"value": value, "label": regional.format_day(day, language=lang, country=country, with_year=True)}
            )
        return items

    @rx.event
    def add_holiday(self):
        if self.new_holiday and self.new_holiday not in self.holidays:
            self.holidays = sorted([*self.holidays, self.new_holiday])
        self.new_holiday = ""

    @rx.event
    def remove_holiday(self, value: str):
        self.holidays = [day for day in self.holidays if day != value]

    @rx.event
    def set_after_hours(self, value: str):
        self.after_hours = value if value in phone_numbers.AFTER_HOURS_ACTIONS else self.after_hours

    @rx.event
    def set_route_to(self, value: str):
        self.route_to = value

    @rx.event
    def set_forwarding(self, value: str):
        self.forwarding = value[:40]

    @rx.event
    def set_voicemail(self, value: str):
        self.voicemail = value[:500]

    @rx.event
    def always_open(self):
        """No hours at all: calls are answered at any time."""
        self.week = []

    @rx.event
    def use_hours(self):
        self._set_week(None)

    def _take_config_errors(self, error: DomainError):
        if not isinstance(error, Invalid):
            return self._fail(error)
        fields = self._field_errors(error)
        self.config_errors = {key.split(".")[0]: message for key, message in fields.items()}
        self._take_hours_errors(fields, {day: translate(f"day.{day}", self.lang or "en") for day in WEEKDAY_KEYS})
        return None

    @rx.event
    async def save_config(self):
        """Save the number's settings; its routing is then pushed to the voice provider by a job."""
        self.config_errors, self.hours_error = {}, ""
        config = phone_numbers.NumberConfig(
            business_hours=hours_payload(self.week),
            holidays=self.holidays,
            after_hours_action=self.after_hours,
            assistant_id=int(self.route_to) if self.route_to.isdigit() else None,
            forwarding_number=self.forwarding or None,
            voicemail_message=self.voicemail,
        )
        number_id = self.editing_id
        call = await self._call_async(
            lambda s, p: phone_numbers.configure_number(s, principal=p, number_id=number_id, config=config),
            on_error=self._take_config_errors,
        )
        if call.refused:
            yield call.event
            return
        number_id, self.editing_id = self.editing_id, 0
        yield PhoneNumbersState.load_numbers
        yield rx.toast.success(translate("numbers.saved", self.lang or "en"))
        yield PhoneNumbersState.watch_sync(str(number_id))

    @rx.event(background=True)
    async def watch_sync(self, number_id: str):
        """Follow the push the job makes after a save, for a few seconds, then say where the number stands."""
        async with self:
            # Read once: the poll below reuses it (no new session check every half second).
            principal = self._principal_or_none()
        if principal is None:
            return

        def status() -> str:
            with session_scope() as session:
                rows = phone_numbers.list_numbers(session, principal=principal)
            return next((row.sync_status for row in rows if str(row.id) == str(number_id)), "")

        current = "pending"
        for _ in range(SYNC_WAIT_SECONDS * 2):
            await asyncio.sleep(0.5)
            current = await asyncio.to_thread(status)
            if current != "pending":
                break
        if not current:  # released meanwhile
            return
        async with self:
            lang = self.lang or "en"
            if current == "synced":
                yield rx.toast.success(translate("numbers.synced", lang))
            else:
                yield rx.toast.warning(translate("numbers.not_synced", lang))
        yield PhoneNumbersState.load_numbers

    # --- sync and release: both wait on the provider ---

    @rx.event(background=True)
    async def retry_sync(self, number_id: str):
        """Push this number's routing to the voice provider now (the service refuses viewers)."""
        async with self:
            self.busy_number = str(number_id)
        call = await self._call_in_thread(
            lambda s, p: phone_numbers.retry_sync(s, principal=p, number_id=int(number_id))
        )
        if call.refused:
            async with self:
                self.busy_number = ""
            yield call.event
            yield PhoneNumbersState.load_numbers
            return
        result = call.value
        async with self:
            self.busy_number = ""
            lang = self.lang or "en"
            if result.sync_status == "synced":
                yield rx.toast.success(translate("numbers.synced", lang))
            else:
                yield rx.toast.warning(translate("numbers.not_synced", lang))
        yield PhoneNumbersState.load_numbers

    @rx.event
    def ask_release(self, number_id: str, e164: str):
        self.release_id, self.release_e164 = int(number_id), e164
        self.release_shown = self._shown(e164)

    @rx.event
    def cancel_release(self, _open: bool = False):
        self.release_id = 0

    @rx.event(background=True)
    async def release(self):
        """Release the number chosen in the confirmation."""
        async with self:
            number_id, self.release_id = self.release_id, 0
            self.busy_number = str(number_id)
        call = await self._call_in_thread(
            lambda s, p: phone_numbers.release_number(s, principal=p, number_id=number_id)
        )
        if call.refused:
            async with self:
                self.busy_number = ""
            yield call.event
            return
        released = call.value
        async with self:
            self.busy_number = ""
            shown = self._shown(released.e164)
            yield rx.toast.success(translate("numbers.released", self.lang or "en", number=shown))
        yield PhoneNumbersState.load_numbers

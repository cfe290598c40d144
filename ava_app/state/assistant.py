"""The assistant's settings in the browser: the personalise form (wizard step 4 and /assistant) and /assistant itself.

States keep what is typed; the services validate and save. A save never loses the form: errors come back per field
and the values stay as typed. Pushing to the voice provider happens in a job; the page watches the sync status.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from ava_app.db import session_scope
from ava_app.i18n import translate
from ava_app.languages import LANGUAGES
from ava_app.services import assistants, knowledge, phone_numbers, phones, presets, regional, site_import
from ava_app.services.business_hours import WEEKDAY_KEYS, TimeRangeIn
from ava_app.services.errors import DomainError, Invalid
from ava_app.services.principal import Principal
from ava_app.state.auth import AuthState, Call
from ava_app.state.hours import HoursMixin, hours_payload, hours_text
from ava_app.state.test_call import TestCallState

# Service field names -> the form's field ids (errors are shown under the field that caused them).
FIELD_IDS = {
    "name": "name",
    "first_message": "greeting",
    "voice_id": "voice",
    "voice_provider": "voice",
    "language": "language",
    "tone": "tone",
    "summary_recipients": "recipients",
    "forwarding_number": "forwarding",
    "system_prompt": "system_prompt",
    "conversation_rules": "conversation_rules",
    "end_call_message": "end_call_message",
    "voicemail_message": "voicemail_message",
    "max_duration_seconds": "max_minutes",
}
# The business profile's fields (``business_profile.<field>`` in the service's errors) and the form's ids.
PROFILE_FIELDS = {"address": "address", "access": "access", "booking_mode": "booking", "booking_policy": "booking"}
SERVICE_FIELDS = ("name", "price", "duration")
SITE_KINDS = ("phone", "email", "address", "hours", "faq")
SYNC_WAIT_SECONDS = 15
TABS = ("voice", "instructions", "knowledge", "calls", "industry", "history", "test")


def voice_options(language: str) -> list[dict[str, str]]:
    """The catalogue's voices for ``language`` with their labels in both interface languages."""

    def label(voice: presets.VoiceOut, lang: str) -> str:
        style = ", ".join(translate(f"voice.style.{word.strip()}", lang) for word in voice.style.split(","))
        return f"{voice.label} · {translate(f'voice.gender.{voice.gender}', lang)} · {style}"

    return [
        {"value": f"{v.provider}|{v.voice_id}", "label_en": label(v, "en"), "label_fr": label(v, "fr")}
        for v in presets.list_voices(language)
    ]


def _service_row(name: str = "", price: str = "", duration: str = "") -> dict[str, str]:
    """One row of the services list: what is typed, the price as callers will hear it, and the row's errors."""
    return {"name": name, "price": price, "duration": duration, "shown": "", "error": ""}


class AssistantFormState(HoursMixin, AuthState):
    """Wizard step 4: name, language, voice, tone, greeting, hours, forwarding number, summary recipients, and what
    the assistant knows of the business (address, services and prices, bookings), with the website import."""

    a_name: str = ""
    language: str = "en"
    voice: str = ""
    tone: str = "professional"
    greeting: str = ""
    forwarding: str = ""
    recipients: str = ""
    voices: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    has_numbers: bool = False
    form_loaded: bool = False
    saving: bool = False
    # The business profile.
    address: str = ""
    access: str = ""
    services: list[dict[str, str]] = []
    booking_mode: str = "message"
    booking_policy: str = ""
    currency: str = "USD"
    currency_symbol: str = "$"
    region_language: str = "en"
    region_country: str = "US"
    # The website import: the page's findings wait here until the owner accepts them.
    site_url: str = ""
    site_busy: bool = False
    site_error: str = ""
    site_items: list[dict[str, str]] = []
    # Opening hours read from the page, proposed as the business hours until the owner takes them or not.
    site_hours: dict[str, list[dict[str, str]]] = {}
    site_hours_text: str = ""

    @rx.var
    def forwarding_placeholder(self) -> str:
        """An example number of the business's country ("06 12 34 56 78" in France)."""
        return phones.example(self.region_country)

    def _fill(self, assistant: assistants.AssistantOut) -> None:
        self.a_name, self.tone, self.greeting = assistant.name, assistant.tone, assistant.first_message
        self.language = presets.language_of(assistant.language)
        self.voice = f"{assistant.voice_provider}|{assistant.voice_id}"
        self.voices = voice_options(self.language)
        self.recipients = ", ".join(str(item) for item in assistant.summary_recipients)
        self.errors = {}
        profile = knowledge.profile_in(assistant.business_profile)
        self.address, self.access = profile.address, profile.access
        self.booking_mode, self.booking_policy = profile.booking_mode, profile.booking_policy
        self.services = [
            self._shown(_service_row(row.name, self._price_input(row.price), row.duration)) for row in profile.services
        ]

    def _load_region(self, session, principal: Principal) -> None:
        region = knowledge.business_region(session, principal=principal)
        self.currency, self.currency_symbol = region.currency, region.symbol
        self.region_language, self.region_country = region.language, region.country

    def _price_input(self, price: str) -> str:
        return knowledge.price_input(price, language=self.region_language, country=self.region_country)

    def _shown(self, row: dict[str, str]) -> dict[str, str]:
        """The row with its price as callers will hear it (``25,00 €``), or nothing while it is not a price."""
        shown = knowledge.format_price(
            row["price"], currency=self.currency, language=self.region_language, country=self.region_country
        )
        return {**row, "shown": shown}

    def _load_numbers(self, session, principal: Principal) -> None:
        numbers = phone_numbers.list_numbers(session, principal=principal)
        self.has_numbers = bool(numbers)
        first = numbers[0] if numbers else None
        self._set_week(first.business_hours if first else None)
        # Shown as the business's people write it; saving reads it back in the business's country.
        self.forwarding = phones.display(first.forwarding_number, self.region_country) if first else ""

    @rx.event
    async def load_form(self):
        """Fill the form from the assistant (made from the industry preset on first visit) and the first number."""

        def load(session, principal):
            self._load_region(session, principal)
            self._fill(assistants.get_or_create_assistant(session, principal=principal))
            self._load_numbers(session, principal)

        call = await self._call_async(load)
        if call.refused:
            return call.event
        self.form_loaded = True
        return None

    @rx.event
    def set_a_name(self, value: str):
        self.a_name = value[:200]

    @rx.event
    def set_greeting(self, value: str):
        self.greeting = value[:2000]

    @rx.event
    def set_tone(self, value: str):
        self.tone = value if value in presets.TONES else self.tone

    @rx.event
    def set_voice(self, value: str):
        self.voice = value[:300]

    @rx.event
    def set_forwarding(self, value: str):
        self.forwarding = value[:40]

    @rx.event
    def set_recipients(self, value: str):
        self.recipients = value[:2000]

    @rx.event
    def set_language(self, value: str):
        """Another spoken language: its voices, and its default voice when the chosen one does not speak it."""
        if value not in LANGUAGES:
            return
        self.language = value
        self.voices = voice_options(value)
        if self.voice not in {option["value"] for option in self.voices} and self.voices:
            self.voice = self.voices[0]["value"]

    # --- the business profile ---

    @rx.event
    def set_address(self, value: str):
        self.address = value[:400]

    @rx.event
    def set_access(self, value: str):
        self.access = value[:1200]

    @rx.event
    def set_booking_mode(self, value: str):
        self.booking_mode = value if value in knowledge.BOOKING_MODES else self.booking_mode

    @rx.event
    def set_booking_policy(self, value: str):
        self.booking_policy = value[:1200]

    @rx.event
    def add_service(self):
        if len(self.services) < knowledge.MAX_SERVICES:
            self.services = [*self.services, _service_row()]

    @rx.event
    def remove_service(self, index: int):
        index = int(index)
        self.services = [row for position, row in enumerate(self.services) if position != index]

    @rx.event
    def set_service_field(self, index: int, field: str, value: str):
        """Type into one cell of the services list (the price is shown as callers will hear it)."""
        index = int(index)
        if field not in SERVICE_FIELDS or not 0 <= index < len(self.services):
            return
        rows = list(self.services)
        rows[index] = self._shown({**rows[index], field: value[:100]})
        self.services = rows

    def _profile_changes(self) -> dict:
        return {
            "address": self.address,
            "access": self.access,
            "services": [{field: row[field] for field in SERVICE_FIELDS} for row in self.services],
            "booking_mode": self.booking_mode,
            "booking_policy": self.booking_policy,
        }

    def _take_profile_errors(self, fields: dict[str, str], errors: dict[str, str]) -> None:
        """Put the profile's errors under their fields, and each service row's under its row."""
        rows = [{**row, "error": ""} for row in self.services]
        for key, message in fields.items():
            parts = key.split(".")
            if parts[0] != "business_profile" or len(parts) < 2:
                continue
            if parts[1] == "services" and len(parts) >= 3 and parts[2].isdigit() and int(parts[2]) < len(rows):
                row = rows[int(parts[2])]
                row["error"] = f"{row['error']} {message}".strip()
            elif parts[1] == "services":
                errors.setdefault("services", message)
            elif parts[1] in PROFILE_FIELDS:
                errors.setdefault(PROFILE_FIELDS[parts[1]], message)
        self.services = rows

    # --- the website import ---

    @rx.event
    def set_site_url(self, value: str):
        self.site_url = value[:2000]

    @rx.event(background=True)
    async def import_site(self):
        """Read the business's page off the event loop; what it finds waits for the owner to accept it."""
        async with self:
            if self.site_busy:
                return
            url, self.site_error, self.site_items = self.site_url, "", []
            self.site_hours, self.site_hours_text = {}, ""
            asked_by = self._principal_or_none()

        def refused(error: DomainError) -> None:
            self.site_error = self._error_text(error)

        call = await self._call_in_thread(
            lambda s, p: site_import.read_website(s, principal=p, url=url), busy="site_busy", on_error=refused
        )
        if call.refused:
            if call.event is not None:
                yield call.event
            return
        async with self:
            now = self._principal_or_none()
            if (
                now is None
                or asked_by is None
                or (now.user_id, now.tenant_id) != (asked_by.user_id, asked_by.tenant_id)
            ):
                # Signed out, or another account or organisation in this tab, while the page was read: the findings
                # belong to the one that asked.
                return
            self.site_items = [
                {
                    "kind": item.kind,
                    "value": item.value,
                    "question": item.question,
                    "answer": item.answer,
                    "chosen": "",
                }
                for item in call.value.items
                if item.kind in SITE_KINDS
            ]

    @rx.event
    def toggle_site_item(self, index: int, chosen: bool):
        index = int(index)
        self.site_items = [
            {**item, "chosen": ("1" if chosen else "")} if position == index else item
            for position, item in enumerate(self.site_items)
        ]

    @rx.event
    def dismiss_site(self):
        self.site_items, self.site_error = [], ""

    @rx.event
    async def use_site_hours(self):
        """The owner takes the hours read from their website as the business hours."""
        return await self._use_site_hours()

    async def _use_site_hours(self):
        if not self.site_hours:
            return None
        week, self.site_hours, self.site_hours_text = self.site_hours, {}, ""
        return await self._take_site_hours(week)

    @rx.event
    def keep_own_hours(self):
        """The owner keeps the hours they have: the proposal goes, nothing is changed."""
        self.site_hours, self.site_hours_text = {}, ""

    def _proposes_hours(self) -> bool:
        """Whether readable website hours are proposed as the business hours (the wizard has its hours editor)."""
        return True

    async def _take_site_hours(self, week: dict[str, list[dict[str, str]]]):
        """The wizard fills its hours editor with them; they are saved with the step, like hours typed there."""
        self._set_week(week)
        return rx.toast.success(translate("knowledge.site.hours_in_form", self.lang or "en"))

    @rx.event
    async def accept_site_items(self):
        """Keep what the owner ticked: the address goes to the form, the rest to the knowledge base (saved now)."""
        return await self._accept_site_items()

    async def _accept_site_items(self):
        chosen = [
            site_import.Finding(
                kind=item["kind"], value=item["value"], question=item["question"], answer=item["answer"]
            )
            for item in self.site_items
            if item["chosen"]
        ]
        lang = self.lang or "en"
        if not chosen:
            return rx.toast.warning(translate("knowledge.site.none_chosen", lang))
        proposes = self._proposes_hours()
        address, entries = site_import.accepted_entries(chosen, language=self.language, propose_hours=proposes)
        hours = [item.value for item in chosen if item.kind == "hours"]
        week = site_import.proposed_week(hours) if hours and proposes else None
        if week:
            self.site_hours = week
            self.site_hours_text = hours_text(week, [], lang, self.business_country)
        if entries:
            items = [assistants.FaqItem(**entry) for entry in entries]
            call = await self._call_async(lambda s, p: assistants.add_faqs(s, principal=p, items=items))
            if call.refused:
                return call.event
            self._imported(call.value)
        if address:
            self.address = address[:400]
        self.site_items = []
        if week and not entries and not address:
            return None  # only hours: the proposal says what to do next
        return rx.toast.success(translate("knowledge.site.added", lang, count=len(entries)))

    def _imported(self, saved: assistants.AssistantOut) -> None:
        """After accepted findings were added to the knowledge base (the assistant page shows its list again)."""

    def _form_changes(self) -> dict:
        provider, _, voice_id = self.voice.partition("|")
        recipients = [item.strip() for item in self.recipients.replace(";", ",").split(",") if item.strip()]
        return {
            "name": self.a_name,
            "language": self.language,
            "voice_provider": provider,
            "voice_id": voice_id,
            "tone": self.tone,
            "first_message": self.greeting,
            "summary_recipients": recipients,
            "business_profile": self._profile_changes(),
        }

    def _record_errors(self, error: DomainError) -> None:
        fields = self._field_errors(error)
        errors: dict[str, str] = {}
        for key, message in fields.items():
            field = FIELD_IDS.get(key.split(".")[0])
            if field and field not in errors:
                errors[field] = message
        self._take_profile_errors(fields, errors)
        self.errors = errors
        self._take_hours_errors(fields, {day: translate(f"day.{day}", self.lang or "en") for day in WEEKDAY_KEYS})

    async def _save_form(self, extra: dict | None = None, *, with_numbers: bool = False) -> Call:
        """Save the assistant for the caller; a refused form keeps its field errors and says "fix the errors".

        ``with_numbers``: the wizard's personalise step also sets the hours and forwarding number of every number
        (a new organisation has one set for all). /assistant leaves them alone: each number keeps its own settings,
        edited on /phone-numbers.
        """
        self.errors, self.hours_error = {}, ""
        self.services = [{**row, "error": ""} for row in self.services]

        def save(session, principal) -> assistants.AssistantOut:
            changes = assistants.AssistantUpdate(**self._form_changes(), **(extra or {}))
            saved = assistants.update_assistant(session, principal=principal, changes=changes)
            if with_numbers:
                self._save_numbers(session, principal)
            return saved

        def refused(error: DomainError):
            if not isinstance(error, Invalid):
                return self._fail(error)
            self._record_errors(error)
            return rx.toast.error(translate("assistant.fix_errors", self.lang or "en"))

        return await self._call_async(save, busy="saving", on_error=refused)

    def _save_numbers(self, session, principal: Principal) -> None:
        config = phone_numbers.NumberConfig(
            business_hours=hours_payload(self.week), forwarding_number=self.forwarding or None
        )
        for number in phone_numbers.list_numbers(session, principal=principal):
            phone_numbers.configure_number(session, principal=principal, number_id=number.id, config=config)


def _faq_rows(entries: list[assistants.FaqItem]) -> list[dict[str, str]]:
    """The knowledge base for the page: ``review`` is "1" while an entry is to review ("" once confirmed), and
    ``placeholder`` "1" while its answer still holds a part to fill in."""
    return [
        {
            "question": item.question,
            "answer": item.answer,
            "review": "1" if item.review else "",
            # A part "[to fill: …]" is left: the owner must edit the answer, "Looks right" cannot apply.
            "placeholder": "1" if knowledge.PLACEHOLDER.search(item.answer) else "",
        }
        for item in entries[: assistants.MAX_FAQ_ENTRIES]
    ]


class AssistantState(AssistantFormState):
    """/assistant: the form above plus instructions, knowledge base, call handling, sync and version history."""

    industry: str = ""
    system_prompt: str = ""
    conversation_rules: str = ""
    preset_prompt: str = ""
    preset_rules: str = ""
    end_call_message: str = ""
    voicemail_message: str = ""
    max_minutes: str = "10"
    faq: list[dict[str, str]] = []
    faq_index: int = -1
    faq_open: bool = False
    faq_question: str = ""
    faq_answer: str = ""
    faq_error: str = ""
    import_text: str = ""
    import_error: str = ""
    versions: list[dict[str, str]] = []
    sync_status: str = ""
    sync_error: str = ""
    version: int = 0
    pushing: bool = False
    restore_version_number: int = 0
    preset_to_apply: str = ""
    industries: list[dict[str, str]] = []
    tab: str = "voice"

    def _proposes_hours(self) -> bool:
        """/assistant has no hours editor: website hours are proposed for the numbers, once there is one."""
        return self.has_numbers

    async def _take_site_hours(self, week: dict[str, list[dict[str, str]]]):
        """Saved on every number of the organisation now (the owner confirmed them on this page)."""
        config = phone_numbers.NumberConfig(
            business_hours={day: [TimeRangeIn(**item) for item in ranges] for day, ranges in week.items()}
        )

        def save(session, principal) -> None:
            for number in phone_numbers.list_numbers(session, principal=principal):
                phone_numbers.configure_number(session, principal=principal, number_id=number.id, config=config)
            self._load_numbers(session, principal)

        call = await self._call_async(save, busy="saving")
        if call.refused:
            return call.event
        return rx.toast.success(translate("knowledge.site.hours_saved", self.lang or "en"))

    def _fill_all(self, assistant: assistants.AssistantOut) -> None:
        self._fill(assistant)
        self.industry = assistant.industry or ""
        self.system_prompt, self.conversation_rules = assistant.system_prompt, assistant.conversation_rules
        self.end_call_message, self.voicemail_message = assistant.end_call_message, assistant.voicemail_message
        self.max_minutes = str(max(1, assistant.max_duration_seconds // 60))
        self.faq = _faq_rows(assistant.knowledge_base)
        self.sync_status, self.sync_error = assistant.sync_status, assistant.sync_error or ""
        self.version = assistant.version
        reference = presets.get_preset(assistant.industry or presets.OTHER, assistant.language)
        self.preset_prompt, self.preset_rules = reference.system_prompt, reference.escalation_rule

    def _load_versions(self, session, principal: Principal) -> None:
        rows = assistants.list_versions(session, principal=principal)[:30]
        timezone = regional.get_business_region(session, principal=principal).timezone
        self.versions = [
            {
                "version": str(row.version),
                "when": regional.format_datetime(
                    row.created_at, timezone=timezone, language=self.lang or "en", country=self.business_country
                ),
                "name": str(row.snapshot.get("name", "")),
                "greeting": str(row.snapshot.get("first_message", ""))[:140],
            }
            for row in rows
        ]

    @rx.event
    async def load_assistant(self):
        """Open /assistant: the assistant, its numbers' hours, its history, and the industries for presets."""

        def load(session, principal):
            self._load_region(session, principal)
            self._fill_all(assistants.get_or_create_assistant(session, principal=principal))
            self._load_numbers(session, principal)
            self._load_versions(session, principal)

        call = await self._call_async(load)
        if call.refused:
            return call.event
        self.industries = [
            {"key": en.key, "icon": en.icon, "label_en": en.label, "label_fr": fr.label}
            for en, fr in zip(presets.list_industries("en"), presets.list_industries("fr"), strict=True)
        ]
        self.faq_index, self.faq_question, self.faq_answer, self.faq_open = -1, "", "", False
        self.form_loaded = True
        # ``?tab=test`` opens the test call (the dashboard's empty state links there).
        requested = self.router.url.query_parameters.get("tab", "")
        self.tab = requested if requested in TABS else "voice"
        return TestCallState.reset_call

    @rx.event
    def set_tab(self, value: str):
        self.tab = value if value in TABS else "voice"

    @rx.event
    def set_system_prompt(self, value: str):
        self.system_prompt = value[:20000]

    @rx.event
    def set_conversation_rules(self, value: str):
        self.conversation_rules = value[:5000]

    @rx.event
    def set_end_call_message(self, value: str):
        self.end_call_message = value[:500]

    @rx.event
    def set_voicemail_message(self, value: str):
        self.voicemail_message = value[:500]

    @rx.event
    def set_max_minutes(self, value: str):
        self.max_minutes = value[:3]

    @rx.event
    def use_preset_prompt(self):
        """Copy the preset's instructions into the editor (saved only with Save)."""
        self.system_prompt, self.conversation_rules = self.preset_prompt, self.preset_rules

    @rx.event(background=True)
    async def save_assistant(self):
        """Save everything, then watch the push to the voice provider: a toast when it is there, or "not yet
        synced" with a retry when it is not (the saved change is kept either way)."""
        async with self:
            minutes = int(self.max_minutes) if self.max_minutes.strip().isdigit() else 0
            extra = {
                "system_prompt": self.system_prompt,
                "conversation_rules": self.conversation_rules,
                "end_call_message": self.end_call_message,
                "voicemail_message": self.voicemail_message,
                "max_duration_seconds": minutes * 60,
            }
            call = await self._save_form(extra)
            if call.refused:
                yield call.event
                return
            self._fill_all(call.value)
            self.pushing = True
        async for event in self._watch_sync():
            yield event

    async def _poll_sync(self) -> assistants.AssistantOut | None:
        """Read the assistant every half second, a few seconds at most, until the job's push is no longer pending;
        None without a live session. The caller is checked once, not on every read."""
        async with self:
            principal = self._principal_or_none()
        if principal is None:
            return None
        current = None
        for _ in range(SYNC_WAIT_SECONDS * 2):
            await asyncio.sleep(0.5)
            current = await asyncio.to_thread(self._read_assistant, principal)
            if current.sync_status != "pending":
                break
        return current

    async def _watch_sync(self):
        """Poll the sync status the job writes, for a few seconds; then say where the change is."""
        current = await self._poll_sync()
        async with self:
            self.pushing = False
            if current is None:
                return
            self.sync_status, self.sync_error = current.sync_status, current.sync_error or ""
            call = self._call(self._load_versions)
            if call.refused:
                yield call.event
                return
            lang = self.lang or "en"
            if current.sync_status == "synced":
                yield rx.toast.success(translate("assistant.synced_toast", lang))
            else:
                yield rx.toast.warning(translate("assistant.not_synced_toast", lang))

    @rx.event(background=True)
    async def follow_sync(self):
        """After a change saved at once (FAQ, restore, preset): keep the sync badge true while the job pushes it."""
        async with self:
            if self.sync_status != "pending":
                return
        current = await self._poll_sync()
        if current is not None:
            async with self:
                self.sync_status, self.sync_error = current.sync_status, current.sync_error or ""

    @staticmethod
    def _read_assistant(principal: Principal) -> assistants.AssistantOut:
        with session_scope() as session:
            return assistants.get_assistant(session, principal=principal)

    @rx.event(background=True)
    async def retry_sync(self):
        """Push the saved assistant to the voice provider now (it blocks on the network, so off the event loop)."""
        call = await self._call_in_thread(lambda s, p: assistants.retry_sync(s, principal=p), busy="pushing")
        if call.refused:
            yield call.event
            return
        result = call.value
        async with self:
            self.sync_status, self.sync_error = result.sync_status, result.sync_error or ""
            lang = self.lang or "en"
            if result.sync_status == "synced":
                yield rx.toast.success(translate("assistant.synced_toast", lang))
            else:
                yield rx.toast.warning(translate("assistant.not_synced_toast", lang))

    # --- knowledge base: each change is saved at once (the service keeps a version) ---

    def _with_versions(self, change):
        """``change``, then the version history read again in the same session; gives back what ``change`` did."""

        def work(session, principal):
            changed = change(session, principal)
            self._load_versions(session, principal)
            return changed

        return work

    async def _faq_call(self, operation) -> bool:
        """Run a knowledge-base change; any refusal, an ended session too, is the dialog's message (not a toast)."""
        call = await self._call_async(self._with_versions(operation))
        if call.refused:
            messages = list(self._field_errors(call.error).values())
            self.faq_error = messages[0] if messages else self._error_text(call.error)
            return False
        self._imported(call.value)
        self.faq_error = ""
        return True

    @rx.event
    async def accept_site_items(self):
        """The same as the form's, from /assistant, where the knowledge base list then shows the new entries."""
        return await self._accept_site_items()

    @rx.event
    async def use_site_hours(self):
        """The same as the form's, from /assistant, where the hours are saved on the numbers at once."""
        return await self._use_site_hours()

    def _imported(self, saved: assistants.AssistantOut) -> None:
        self.faq = _faq_rows(saved.knowledge_base)
        self.sync_status, self.version = saved.sync_status, saved.version

    @rx.event
    def set_faq_question(self, value: str):
        self.faq_question = value[:500]

    @rx.event
    def set_faq_answer(self, value: str):
        self.faq_answer = value[:2000]

    @rx.event
    def set_import_text(self, value: str):
        self.import_text = value[:50000]

    @rx.event
    def edit_faq(self, index: int):
        """Open an entry in the editor (index -1: a new one)."""
        index = int(index)
        self.faq_index, self.faq_open = index, True
        entry = self.faq[index] if 0 <= index < len(self.faq) else {"question": "", "answer": ""}
        self.faq_question, self.faq_answer, self.faq_error = entry["question"], entry["answer"], ""
        # The editor opens below the list: take the keyboard (and the eye) there, to the field written first: a new
        # entry's question, an existing entry's answer. (Focusing the answer of a new entry carried whatever the
        # owner typed into the question after the first 50 ms over to the answer.)
        field = "faq-a" if 0 <= index < len(self.faq) else "faq-q"
        return rx.call_script(f"setTimeout(() => document.getElementById('{field}')?.focus(), 50)")

    @rx.event
    async def save_faq(self):
        """Add the entry being edited, or replace the one opened."""
        index, question, answer = self.faq_index, self.faq_question, self.faq_answer
        if 0 <= index < len(self.faq):
            done = await self._faq_call(
                lambda s, p: assistants.edit_faq(s, principal=p, index=index, question=question, answer=answer)
            )
        else:
            done = await self._faq_call(
                lambda s, p: assistants.add_faq(s, principal=p, question=question, answer=answer)
            )
        if done:
            self.faq_index, self.faq_question, self.faq_answer, self.faq_open = -1, "", "", False
            return AssistantState.follow_sync
        return None

    @rx.event
    async def confirm_faq(self, index: int):
        """ "Looks right": the preset answer is the owner's now, no longer to review."""
        index = int(index)
        if await self._faq_call(lambda s, p: assistants.confirm_faq(s, principal=p, index=index)):
            return AssistantState.follow_sync
        message, self.faq_error = self.faq_error, ""
        return rx.toast.error(message)

    @rx.var
    def review_count(self) -> int:
        """How many entries are still preset guesses the owner has not confirmed."""
        return sum(1 for item in self.faq if item.get("review"))

    @rx.event
    def cancel_faq(self):
        self.faq_index, self.faq_question, self.faq_answer, self.faq_error = -1, "", "", ""
        self.faq_open = False

    @rx.event
    async def delete_faq(self, index: int):
        if await self._faq_call(lambda s, p: assistants.delete_faq(s, principal=p, index=int(index))):
            return AssistantState.follow_sync
        return None

    @rx.event
    async def move_faq(self, index: int, offset: int):
        """Move an entry up (-1) or down (+1)."""
        index, target = int(index), int(index) + int(offset)
        if not (0 <= index < len(self.faq) and 0 <= target < len(self.faq)):
            return
        order = list(range(len(self.faq)))
        order[index], order[target] = order[target], order[index]
        if await self._faq_call(lambda s, p: assistants.reorder_faq(s, principal=p, order=order)):
            return AssistantState.follow_sync
        return None

    @rx.event
    async def import_faq(self):
        """Add the questions found in the pasted text."""
        text = self.import_text
        if await self._faq_call(lambda s, p: assistants.import_faq(s, principal=p, text=text)):
            self.import_text, self.import_error = "", ""
            return AssistantState.follow_sync
        self.import_error, self.faq_error = self.faq_error, ""
        return None

    # --- history and presets ---

    @rx.event
    def ask_restore(self, version: str):
        self.restore_version_number = int(version) if str(version).isdigit() else 0

    @rx.event
    def cancel_restore(self, _open: bool = False):
        self.restore_version_number = 0

    @rx.event
    async def restore_version(self):
        """Make the chosen earlier version current again (the current one becomes a version too)."""
        version, self.restore_version_number = self.restore_version_number, 0
        call = await self._call_async(
            self._with_versions(lambda s, p: assistants.restore_version(s, principal=p, version=version))
        )
        if call.refused:
            yield call.event
            return
        self._fill_all(call.value)
        yield rx.toast.success(translate("assistant.restored", self.lang or "en", version=version))
        yield AssistantState.follow_sync

    @rx.event
    def ask_preset(self, industry: str):
        self.preset_to_apply = industry if industry in presets.INDUSTRIES else ""

    @rx.event
    def cancel_preset(self, _open: bool = False):
        self.preset_to_apply = ""

    @rx.event
    async def apply_preset(self):
        """Reset persona, instructions, greeting and questions to an industry preset in the interface language."""
        industry, self.preset_to_apply = self.preset_to_apply, ""
        locale = self.lang or "en"
        call = await self._call_async(
            self._with_versions(lambda s, p: assistants.apply_preset(s, principal=p, industry=industry, locale=locale))
        )
        if call.refused:
            yield call.event
            return
        self._fill_all(call.value)
        yield rx.toast.success(translate("onb.industry.applied", self.lang or "en"))
        yield AssistantState.follow_sync

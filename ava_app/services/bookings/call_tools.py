"""The assistant's booking tools, answered during a call (``assistant_tools.TOOLS`` takes them from here).

``check_availability``, ``book_appointment``, ``find_my_appointment``, ``reschedule_appointment`` and
``cancel_appointment`` work on AVA's own calendar (``services.bookings``). When the business connected a Google or
Microsoft calendar, its busy times block slots and every change is written to it after the commit
(``calendar_sync``); a calendar that cannot be read (reconnect needed, provider down) makes the tools offer a message
instead of a time that might be taken. Whatever the model sends, the answer is a
sentence the assistant can say or act on, in the call's language and the business's timezone: an unknown service,
an unreadable date, a time in the past or not free gets the services or the next free times to offer, never an
error the caller hears. Asked about a range of days (``date`` to ``date_to``), ``check_availability`` offers the first
time of each open day rather than the first three of the first day. A booking is found, moved or cancelled only
for the number the caller is calling from, or for a number they prove on the call: ``find_my_appointment`` with
``phone`` texts a one-time code to that number (Twilio Verify; a landline is called and hears it; only when it has
bookings to come, though the answer is the same either way, and rate-limited per call and per number), and the same
call with ``code`` checks it and keeps the number proven on the call for half an hour.

The tools are declared to Vapi only while the business takes bookings (``providers.vapi``), and each answer checks
again, so a call still running when the owner turns bookings off is told to take a message.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from babel import dates as babel_dates
from sqlmodel import Session, col, select

from ava_app.languages import Language
from ava_app.models import Booking, Call, Tenant, as_utc
from ava_app.services import rate_limits, regional, webhooks_out
from ava_app.services.async_bridge import run_coroutine_sync
from ava_app.services.bookings.availability import PARTS_OF_DAY, Interval, Slot, find_slots
from ava_app.services.bookings.booking import (
    BookingOut,
    SlotUnavailable,
    cancel_booking,
    create_booking,
    find_bookings_by_phone,
    reschedule_booking,
)
from ava_app.services.bookings.calendar_sync import CALENDAR_WINDOW_DAYS, calendar_busy, sync_after_commit
from ava_app.services.bookings.catalog import ServiceOut, booking_rules, list_services, list_staff, match_service
from ava_app.services.bookings.confirmations import checked_email, email_caller
from ava_app.services.bookings.texts import text_caller
from ava_app.services.errors import DomainError, Forbidden, Invalid, NotFound, ProviderError, RateLimited
from ava_app.services.ingest.calls import Routing, VapiEvent, ensure_call
from ava_app.services.phones import is_landline
from ava_app.services.phones import parse as parse_phone


class ToolContext(Protocol):
    """What a booking tool uses of ``assistant_tools.ToolContext`` (named here, so neither module imports the other
    back)."""

    session: Session
    event: VapiEvent
    call_id: int | None

    @property
    def routing(self) -> Routing | None: ...

    def language(self) -> Language: ...


# How many free times one answer offers.
OFFERED_SLOTS = 3
# A booking made this recently that holds the time asked for took it while the caller was choosing.
JUST_TAKEN = timedelta(minutes=30)
# How long a number proven by a texted code stays proven on the call.
PROOF_TTL = timedelta(minutes=30)

BOOKING_PHRASES: dict[Language, dict[str, str]] = {
    "en": {
        "disabled": "This business does not take bookings by phone. Offer to take a message for the team.",
        "no_services": "No service can be booked yet. Offer to take a message for the team.",
        "unknown_service": 'No service is called "{asked}". Services that can be booked: {services}. Ask the caller '
        "which one they want.",
        "which_service": "Ask the caller which service they want: {services}.",
        "bad_date": 'The day "{value}" could not be read. Ask the caller for the day again, and pass it as YYYY-MM-DD.',
        "bad_slot": 'The time "{value}" could not be read. Pass a slot exactly as check_availability gave it.',
        "slots": "Free times for {service}: {times}. Offer them to the caller; to book one, pass its slot.",
        "slots_later": "Nothing is free for {service} that day. The next free times: {times}. Offer them to the "
        "caller; to book one, pass its slot.",
        "no_slots": "Nothing is free for {service} in the coming weeks. Offer to take a message for the team.",
        "calendar_down": "The business's calendar cannot be checked right now, so no time can be offered or booked "
        "on this call. Apologise, and offer to take a message: the team will call back to book.",
        "past": "That time has already passed. {offer}",
        "taken": "Someone else has just booked that time. {offer}",
        "unavailable": "That time is not available. {offer}",
        "offer": "Free times to offer instead: {times}.",
        "offer_none": "Nothing else is free soon: offer to take a message for the team.",
        "need_name": "Ask for the caller's name, then book again.",
        "bad_phone": 'The number "{value}" is not a phone number. Ask the caller for it again.',
        "bad_email": 'The address "{value}" is not an email address. Ask the caller to spell it again, or book '
        "without it.",
        "booked": "Booked: {service} on {when} with {staff}, for {name} (booking {id}). Confirm the day and time to "
        "the caller.",
        "no_caller_number": "The caller's number is hidden. Ask which number they booked with and pass it as phone "
        "to find_my_appointment: a code will be texted to it.",
        "none_found": "No appointment to come was found for the number the caller is calling from. If they booked "
        "from another number, ask for it and pass it as phone to find_my_appointment: a code will be texted to it.",
        "code_sent": "If that number has appointments to come, a code was just texted to it. Ask the caller to read "
        "it out, then call find_my_appointment again with the same phone and the code.",
        "code_called": "If that number has appointments to come, it is being called right now by a voice that "
        "reads out a code (it is a landline, which cannot get texts). Ask the caller to answer that phone and read "
        "the code out, then call find_my_appointment again with the same phone and the code.",
        "code_wrong": "That code is not right, or has expired. Ask the caller to read it again; for a new one, call "
        "find_my_appointment with the phone and no code.",
        "too_many_codes": "Too many codes were asked for. Offer to take a message: the team will call back.",
        "code_unavailable": "No code can be sent right now. Offer to take a message: the team will call back.",
        "found": "Appointments to come for this caller: {items}.",
        "which_booking": "The caller has several appointments: {items}. Ask which one, and pass its booking number.",
        "other_number": "That appointment was made from another number. Ask for that number and pass it as phone "
        "to find_my_appointment: a code will be texted to it, which the caller reads back.",
        "not_theirs": "Booking {id} is not one of the appointments to come of the caller's number. If it was made "
        "from another number, ask for it and pass it as phone to find_my_appointment: a code will be texted to it.",
        "moved": "Moved: {service} is now on {when} with {staff}. Confirm the new day and time to the caller.",
        "cancelled": "Cancelled: {service} on {when}. Tell the caller it is cancelled.",
        "item": "{service} on {when} with {staff} (booking {id})",
        "when": "{day} at {time}",
        "slot": "{when} (slot {slot})",
    },
    "fr": {
        "disabled": "Cette entreprise ne prend pas de rendez-vous par téléphone. Proposez de prendre un message "
        "pour l'équipe.",
        "no_services": "Aucune prestation ne peut encore être réservée. Proposez de prendre un message pour l'équipe.",
        "unknown_service": "Aucune prestation ne s'appelle « {asked} ». Prestations proposées : {services}. "
        "Demandez à l'appelant laquelle il souhaite.",
        "which_service": "Demandez à l'appelant quelle prestation il souhaite : {services}.",
        "bad_date": "Le jour « {value} » est illisible. Redemandez le jour à l'appelant et passez-le au format "
        "AAAA-MM-JJ.",
        "bad_slot": "L'heure « {value} » est illisible. Passez un créneau tel que check_availability l'a donné.",
        "slots": "Créneaux libres pour {service} : {times}. Proposez-les à l'appelant ; pour en réserver un, "
        "passez son créneau.",
        "slots_later": "Rien n'est libre pour {service} ce jour-là. Prochains créneaux libres : {times}. "
        "Proposez-les à l'appelant ; pour en réserver un, passez son créneau.",
        "no_slots": "Rien n'est libre pour {service} dans les semaines à venir. Proposez de prendre un message "
        "pour l'équipe.",
        "calendar_down": "L'agenda de l'entreprise ne peut pas être consulté pour le moment : aucune heure ne peut "
        "être proposée ni réservée pendant cet appel. Excusez-vous et proposez de prendre un message : l'équipe "
        "rappellera pour fixer le rendez-vous.",
        "past": "Cette heure est déjà passée. {offer}",
        "taken": "Quelqu'un vient de réserver cette heure. {offer}",
        "unavailable": "Cette heure n'est pas disponible. {offer}",
        "offer": "Créneaux libres à proposer à la place : {times}.",
        "offer_none": "Rien d'autre n'est libre prochainement : proposez de prendre un message pour l'équipe.",
        "need_name": "Demandez le nom de l'appelant, puis réservez à nouveau.",
        "bad_phone": "Le numéro « {value} » n'est pas un numéro de téléphone. Redemandez-le à l'appelant.",
        "bad_email": "L'adresse « {value} » n'est pas une adresse e-mail. Demandez à l'appelant de l'épeler à "
        "nouveau, ou réservez sans.",
        "booked": "Réservé : {service} le {when} avec {staff}, pour {name} (réservation {id}). Confirmez le jour "
        "et l'heure à l'appelant.",
        "no_caller_number": "Le numéro de l'appelant est masqué. Demandez-lui avec quel numéro il a réservé et "
        "passez-le comme phone à find_my_appointment : un code lui sera envoyé par SMS.",
        "none_found": "Aucun rendez-vous à venir pour le numéro depuis lequel l'appelant appelle. S'il a réservé "
        "depuis un autre numéro, demandez-le et passez-le comme phone à find_my_appointment : un code y sera envoyé "
        "par SMS.",
        "code_sent": "Si ce numéro a des rendez-vous à venir, un code vient d'y être envoyé par SMS. Demandez à "
        "l'appelant de le lire, puis rappelez find_my_appointment avec le même phone et le code.",
        "code_called": "Si ce numéro a des rendez-vous à venir, il reçoit en ce moment un appel qui lui dicte un "
        "code (c'est un fixe, qui ne reçoit pas de SMS). Demandez à l'appelant de répondre sur ce téléphone et de "
        "lire le code, puis rappelez find_my_appointment avec le même phone et le code.",
        "code_wrong": "Ce code n'est pas le bon, ou a expiré. Demandez à l'appelant de le relire ; pour un nouveau "
        "code, appelez find_my_appointment avec le phone et sans code.",
        "too_many_codes": "Trop de codes ont été demandés. Proposez de prendre un message : l'équipe rappellera.",
        "code_unavailable": "Aucun code ne peut être envoyé pour le moment. Proposez de prendre un message : "
        "l'équipe rappellera.",
        "found": "Rendez-vous à venir de l'appelant : {items}.",
        "which_booking": "L'appelant a plusieurs rendez-vous : {items}. Demandez lequel, et passez son numéro de "
        "réservation.",
        "other_number": "Ce rendez-vous a été pris depuis un autre numéro. Demandez ce numéro et passez-le comme "
        "phone à find_my_appointment : un code y sera envoyé par SMS, que l'appelant vous lira.",
        "not_theirs": "La réservation {id} ne fait pas partie des rendez-vous à venir du numéro de l'appelant. Si "
        "elle a été prise depuis un autre numéro, demandez-le et passez-le comme phone à find_my_appointment : un "
        "code y sera envoyé par SMS.",
        "moved": "Déplacé : {service} est maintenant le {when} avec {staff}. Confirmez le nouveau jour et la "
        "nouvelle heure à l'appelant.",
        "cancelled": "Annulé : {service} le {when}. Dites à l'appelant que c'est annulé.",
        "item": "{service} le {when} avec {staff} (réservation {id})",
        "when": "{day} à {time}",
        "slot": "{when} (créneau {slot})",
    },
}

# The system prompt's paragraph while the business takes bookings (``providers.vapi`` adds it).
BOOKING_RULES: dict[Language, str] = {
    "en": "Bookings: you can book, move and cancel appointments in the business's calendar. Before offering a "
    "time, call check_availability and offer only the times it gives; never invent one. Before book_appointment, "
    "have the service, the time and the caller's name, and read them back; if the caller wants the confirmation by "
    "email too, have them spell the address and pass it. To move or cancel an appointment, call "
    "find_my_appointment first: only the appointments of the number the caller is calling from can be changed.",
    "fr": "Rendez-vous : vous pouvez prendre, déplacer et annuler des rendez-vous dans l'agenda de l'entreprise. "
    "Avant de proposer une heure, appelez check_availability et ne proposez que les heures qu'il donne ; n'en "
    "inventez jamais. Avant book_appointment, ayez la prestation, l'heure et le nom de l'appelant, et relisez-les ; "
    "si l'appelant veut aussi la confirmation par e-mail, faites-lui épeler l'adresse et passez-la. "
    "Pour déplacer ou annuler un rendez-vous, appelez d'abord find_my_appointment : seuls les rendez-vous du "
    "numéro depuis lequel l'appelant appelle peuvent être modifiés.",
}

_RELATIVE_DAYS = {"today": 0, "aujourd'hui": 0, "aujourdhui": 0, "tomorrow": 1, "demain": 1}
_WEEKDAY_NAMES = {
    **{
        name: index
        for index, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
    },
    **{
        name: index
        for index, name in enumerate(("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"))
    },
}


def booking_rule(language: Language) -> str:
    """The prompt's booking paragraph in ``language``."""
    return BOOKING_RULES[language]


class _Answer(Exception):
    """A sentence to answer with at once (an argument the caller must be asked about again)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class _Call:
    """One tool call's view of the business: tenant, language, now, and the sentences."""

    def __init__(self, context: ToolContext) -> None:
        routing = context.routing
        assert routing is not None, "ToolContext.run checks the routing first"
        tenant = context.session.get(Tenant, routing.tenant_id)
        assert tenant is not None
        self.context, self.session, self.tenant = context, context.session, tenant
        self.tenant_id: int = routing.tenant_id
        self.language: Language = context.language()
        self.now = as_utc(context.event.now)

    def say(self, key: str, **values: Any) -> str:
        return BOOKING_PHRASES[self.language][key].format(**values)

    def when(self, moment: datetime) -> str:
        local = regional.to_local(moment, self.tenant.timezone)
        day = babel_dates.format_date(local.date(), "EEEE d MMMM", locale=self.language)
        clock = regional.format_time(moment, timezone=self.tenant.timezone, language=self.language)
        return self.say("when", day=day, time=clock)

    def slot_code(self, moment: datetime) -> str:
        return regional.to_local(moment, self.tenant.timezone).strftime("%Y-%m-%dT%H:%M")

    def times(self, slots: list[Slot]) -> str:
        return ", ".join(
            self.say("slot", when=self.when(slot.start_at), slot=self.slot_code(slot.start_at)) for slot in slots
        )

    def item(self, booking: BookingOut) -> str:
        return self.say(
            "item",
            service=booking.service_name,
            when=self.when(booking.start_at),
            staff=booking.staff_name,
            id=booking.id,
        )

    def local_day(self, moment: datetime) -> date:
        return regional.to_local(moment, self.tenant.timezone).date()

    def today(self) -> date:
        return regional.to_local(self.now, self.tenant.timezone).date()

    def caller_number(self) -> str | None:
        event = self.context.event
        customer = event.call.get("customer") or event.message.get("customer") or {}
        number = customer.get("number") if isinstance(customer, dict) else None
        return parse_phone(str(number), self.tenant.country) if number else None

    def service(self, arguments: dict) -> ServiceOut:
        services = list_services(self.session, tenant_id=self.tenant_id)
        if not services:
            raise _Answer(self.say("no_services"))
        asked = _text(arguments.get("service"))
        names = ", ".join(service.name for service in services)
        if not asked:
            if len(services) == 1:
                return services[0]
            raise _Answer(self.say("which_service", services=names))
        found = match_service(services, asked)
        if found is None:
            raise _Answer(self.say("unknown_service", asked=asked[:80], services=names))
        return found

    def staff_id(self, arguments: dict) -> int | None:
        asked = _folded(_text(arguments.get("staff")))
        if not asked:
            return None
        staff = list_staff(self.session, tenant_id=self.tenant_id)
        matches = [member for member in staff if asked in _folded(member.name)]
        return matches[0].id if len(matches) == 1 else None

    def day(self, value: Any) -> date | None:
        text = _text(value)
        if not text:
            return None
        folded = _folded(text)
        if folded in _RELATIVE_DAYS:
            return self.today() + timedelta(days=_RELATIVE_DAYS[folded])
        if folded in _WEEKDAY_NAMES:
            return self.today() + timedelta(days=(_WEEKDAY_NAMES[folded] - self.today().weekday()) % 7)
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            raise _Answer(self.say("bad_date", value=text[:40])) from None

    def moment(self, value: Any) -> datetime:
        """A slot as check_availability gave it (local wall time), or any ISO time with its offset."""
        text = _text(value)
        try:
            parsed = (
                datetime.fromisoformat(text.replace("Z", "+00:00"))
                if re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d", text)
                else None
            )
        except ValueError:
            parsed = None
        if parsed is None:
            raise _Answer(self.say("bad_slot", value=text[:40]))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=regional.zone(self.tenant.timezone))
        return as_utc(parsed)

    def calendar(self, first_day: date | None) -> tuple[list[Interval], date | None]:
        """The connected calendars' busy times from ``first_day`` (default today) for ``CALENDAR_WINDOW_DAYS``, and
        the last day they cover (None: no calendar, no bound). _Answer("calendar_down") when they cannot be read."""
        first = max(first_day or self.today(), self.today())
        last = first + timedelta(days=CALENDAR_WINDOW_DAYS - 1)
        start, _ = regional.local_day_bounds(first, self.tenant.timezone)
        _, end = regional.local_day_bounds(last, self.tenant.timezone)
        try:
            busy = calendar_busy(self.session, tenant_id=self.tenant_id, start=start, end=end)
        except ProviderError:  # CalendarBroken, ProviderUnavailable and refusals alike
            raise _Answer(self.say("calendar_down")) from None
        if busy is None:  # no calendar connected: AVA's own calendar, unbounded
            return [], None
        return busy, last

    def refusal(self, exc: SlotUnavailable, start_at: datetime) -> str:
        slots = list(exc.details.get("next_slots") or [])
        offer = self.say("offer", times=self.times(slots)) if slots else self.say("offer_none")
        reason = str(exc.details.get("reason") or "unavailable")
        if reason == "unavailable" and self.just_taken(start_at):
            reason = "taken"
        return self.say(reason if reason in ("past", "taken") else "unavailable", offer=offer)

    def just_taken(self, start_at: datetime) -> bool:
        """Whether a booking made during the last ``JUST_TAKEN`` holds ``start_at``: the time was free when it was
        offered on this call, and someone took it meanwhile."""
        start_at = start_at.astimezone(UTC)
        query = select(Booking.id).where(
            col(Booking.tenant_id) == self.tenant_id,
            col(Booking.status) == "booked",
            col(Booking.start_at) <= start_at,
            col(Booking.busy_until) > start_at,
            col(Booking.created_at) >= self.now - JUST_TAKEN,
        )
        return self.session.exec(query).first() is not None

    def call_id(self) -> int | None:
        ref = ensure_call(self.session, self.context.event, routing=self.context.routing)
        if ref is None:
            return None
        self.context.call_id = ref.id
        return ref.id

    def on_this_call(self, booking: BookingOut) -> BookingOut:
        """The booking as the text about a change made on this call sees it: linked to this call (the call that
        made the booking keeps the booking itself)."""
        call_id = self.call_id()
        return booking if call_id is None else dataclasses.replace(booking, call_id=call_id)

    def proven_number(self) -> str | None:
        """A number the caller proved on this call with a texted code, while the proof lasts."""
        call_id = self.call_id()
        row = self.session.get(Call, call_id) if call_id is not None else None
        if row is None or not row.proven_phone or row.proven_phone_at is None:
            return None
        return row.proven_phone if as_utc(row.proven_phone_at) > self.now - PROOF_TTL else None

    def numbers(self) -> list[str]:
        """The numbers whose bookings this caller may change: the one they call from, and one they proved."""
        found = [number for number in (self.caller_number(), self.proven_number()) if number]
        return list(dict.fromkeys(found))

    def bookings_of(self, numbers: list[str]) -> list[BookingOut]:
        found = [
            booking
            for number in numbers
            for booking in find_bookings_by_phone(self.session, tenant_id=self.tenant_id, phone=number, now=self.now)
        ]
        return sorted(found, key=lambda booking: booking.start_at)

    def prove(self, number: str, code: str) -> str | None:
        """Text a code to ``number`` (no ``code`` yet) or check the one the caller read out: None once proven (kept
        on the call), else the sentence to say. The answer never tells whether the number has bookings."""
        from ava_app.services.providers import twilio

        if not code:
            key = str(self.context.event.call.get("id") or self.call_id() or "")
            try:
                rate_limits.hit_all([("booking_code_call", key), ("sms", number), ("sms_destination_day", number)])
            except RateLimited:
                return self.say("too_many_codes")
            # A landline cannot get a text: Verify calls it and says the code (decided from the number alone, so
            # the answer still says nothing of its bookings).
            channel = "call" if is_landline(number) else "sms"
            if self.bookings_of([number]):
                try:
                    run_coroutine_sync(twilio.send_verification_code(to=number, channel=channel, locale=self.language))
                except DomainError:
                    return self.say("code_unavailable")
            return self.say("code_called" if channel == "call" else "code_sent")
        try:
            approved = bool(run_coroutine_sync(twilio.check_verification_code(to=number, code=code)))
        except Invalid:
            approved = False
        except DomainError:
            return self.say("code_unavailable")
        if not approved:
            return self.say("code_wrong")
        call_id = self.call_id()
        row = self.session.get(Call, call_id) if call_id is not None else None
        if row is not None:
            row.proven_phone, row.proven_phone_at = number, self.now
            self.session.add(row)
            self.session.flush()
        return None

    def bookings_of_caller(self, arguments: dict) -> BookingOut:
        """The caller's booking the model means (its booking number, or the only one); _Answer otherwise."""
        numbers = self.numbers()
        if not numbers:
            raise _Answer(self.say("no_caller_number"))
        mine = self.bookings_of(numbers)
        wanted = _integer(arguments.get("booking_id"))
        if wanted is not None:
            chosen = [booking for booking in mine if booking.id == wanted]
            if chosen:
                return chosen[0]
            # Someone else's booking, one past or cancelled, or none at all: never said which.
            raise _Answer(self.say("not_theirs", id=wanted))
        if not mine:
            raise _Answer(self.say("none_found"))
        if len(mine) > 1:
            raise _Answer(self.say("which_booking", items="; ".join(self.item(booking) for booking in mine)))
        return mine[0]


def _booking_tool(handler: Callable[[_Call, dict], str]) -> Callable[[ToolContext, dict], str]:
    """A tool handler that answers "no bookings" while booking is off and turns ``_Answer`` into the result."""

    def tool(context: ToolContext, arguments: dict) -> str:
        call = _Call(context)
        if not booking_rules(call.session, tenant_id=call.tenant_id).enabled:
            return call.say("disabled")
        try:
            return handler(call, arguments)
        except _Answer as answer:
            return answer.text

    tool.__name__ = handler.__name__
    tool.__doc__ = handler.__doc__
    return tool


def _check_availability(call: _Call, arguments: dict) -> str:
    service = call.service(arguments)
    first = call.day(arguments.get("date") or arguments.get("day"))
    last = call.day(arguments.get("date_to")) or first
    if first is not None and first < call.today():
        first = None
    if last is not None and first is not None and last < first:
        last = first
    part = _text(arguments.get("part_of_day")).lower()
    part_of_day = part if part in PARTS_OF_DAY else None
    staff_id = call.staff_id(arguments)
    busy, known_until = call.calendar(first)

    def slots(
        first_day: date | None, last_day: date | None, part_of_day: str | None, per_day: int | None = None
    ) -> list[Slot]:
        if known_until is not None:
            last_day = min(last_day or known_until, known_until)
        return find_slots(
            call.session,
            tenant_id=call.tenant_id,
            service_id=service.id,
            staff_id=staff_id,
            first_day=first_day,
            last_day=last_day,
            now=call.now,
            limit=OFFERED_SLOTS,
            part_of_day=part_of_day,
            busy=busy,
            per_day=per_day,
        )

    if first is not None and last is not None and last > first:
        found = _spread(slots(first, last, part_of_day, per_day=1), slots(first, last, part_of_day))
    else:
        found = slots(first, last, part_of_day)
    if found:
        return call.say("slots", service=service.name, times=call.times(found))
    later = slots(first, None, None) if first is not None or part_of_day else []
    if later:
        return call.say("slots_later", service=service.name, times=call.times(later))
    return call.say("no_slots", service=service.name)


def _spread(one_a_day: list[Slot], soonest: list[Slot]) -> list[Slot]:
    """The times to offer over a range of days: the first of each open day, topped up with the soonest others
    when fewer days than ``OFFERED_SLOTS`` are open; in time order."""
    chosen = {slot.start_at: slot for slot in one_a_day}
    for slot in soonest:
        if len(chosen) >= OFFERED_SLOTS:
            break
        chosen.setdefault(slot.start_at, slot)
    return sorted(chosen.values(), key=lambda slot: slot.start_at)[:OFFERED_SLOTS]


def _book_appointment(call: _Call, arguments: dict) -> str:
    service = call.service(arguments)
    start_at = call.moment(arguments.get("slot") or arguments.get("start") or arguments.get("time"))
    name = _text(arguments.get("caller_name") or arguments.get("name"))
    if not name:
        return call.say("need_name")
    given_phone = _text(arguments.get("phone") or arguments.get("callback_number"))
    phone = call.caller_number()
    if given_phone:
        phone = parse_phone(given_phone, call.tenant.country)
        if phone is None:
            return call.say("bad_phone", value=given_phone[:40])
    given_email = _text(arguments.get("email"))
    email = checked_email(given_email)
    if given_email and email is None:
        return call.say("bad_email", value=given_email[:80])
    busy, known_until = call.calendar(call.local_day(start_at))
    try:
        booking = create_booking(
            call.session,
            tenant_id=call.tenant_id,
            service_id=service.id,
            start_at=start_at,
            caller_name=name,
            caller_phone=phone,
            caller_email=email,
            staff_id=call.staff_id(arguments),
            notes=_text(arguments.get("notes"))[:1000],
            source="assistant",
            call_id=call.call_id(),
            now=call.now,
            busy=busy,
            offer_until=known_until,
        )
    except SlotUnavailable as exc:
        return call.refusal(exc, start_at)
    sync_after_commit(call.session, tenant_id=call.tenant_id, booking_id=booking.id)
    webhooks_out.emit_booking(call.session, tenant_id=call.tenant_id, booking=booking, change="booked")
    text_caller(call.session, tenant_id=call.tenant_id, booking=booking, change="booked", language=call.language)
    email_caller(call.session, tenant_id=call.tenant_id, booking=booking, change="booked", language=call.language)
    return call.say(
        "booked",
        service=booking.service_name,
        when=call.when(booking.start_at),
        staff=booking.staff_name,
        name=booking.caller_name,
        id=booking.id,
    )


def _find_my_appointment(call: _Call, arguments: dict) -> str:
    asked = _text(arguments.get("phone") or arguments.get("booked_with"))
    if asked:
        other = parse_phone(asked, call.tenant.country)
        if other is None:
            return call.say("bad_phone", value=asked[:40])
        if other not in call.numbers():
            refusal = call.prove(other, re.sub(r"\D", "", _text(arguments.get("code"))))
            if refusal is not None:
                return refusal
    numbers = call.numbers()
    if not numbers:
        return call.say("no_caller_number")
    mine = call.bookings_of(numbers)
    if not mine:
        return call.say("none_found")
    return call.say("found", items="; ".join(call.item(booking) for booking in mine))


def _reschedule_appointment(call: _Call, arguments: dict) -> str:
    booking = call.bookings_of_caller(arguments)
    start_at = call.moment(arguments.get("slot") or arguments.get("start") or arguments.get("time"))
    busy, known_until = call.calendar(call.local_day(start_at))
    try:
        moved = reschedule_booking(
            call.session,
            tenant_id=call.tenant_id,
            booking_id=booking.id,
            start_at=start_at,
            caller_phone=booking.caller_phone,
            staff_id=call.staff_id(arguments),
            now=call.now,
            busy=busy,
            offer_until=known_until,
        )
    except SlotUnavailable as exc:
        return call.refusal(exc, start_at)
    except (Forbidden, NotFound):
        return call.say("other_number")
    sync_after_commit(call.session, tenant_id=call.tenant_id, booking_id=moved.id)
    webhooks_out.emit_booking(call.session, tenant_id=call.tenant_id, booking=moved, change="moved")
    text_caller(
        call.session, tenant_id=call.tenant_id, booking=call.on_this_call(moved), change="moved", language=call.language
    )
    email_caller(call.session, tenant_id=call.tenant_id, booking=moved, change="moved", language=call.language)
    return call.say("moved", service=moved.service_name, when=call.when(moved.start_at), staff=moved.staff_name)


def _cancel_appointment(call: _Call, arguments: dict) -> str:
    booking = call.bookings_of_caller(arguments)
    try:
        cancelled = cancel_booking(
            call.session,
            tenant_id=call.tenant_id,
            booking_id=booking.id,
            caller_phone=booking.caller_phone,
            now=call.now,
        )
    except (Forbidden, NotFound, Invalid):
        return call.say("other_number")
    sync_after_commit(call.session, tenant_id=call.tenant_id, booking_id=cancelled.id)
    webhooks_out.emit_booking(call.session, tenant_id=call.tenant_id, booking=cancelled, change="cancelled")
    text_caller(
        call.session,
        tenant_id=call.tenant_id,
        booking=call.on_this_call(cancelled),
        change="cancelled",
        language=call.language,
    )
    email_caller(call.session, tenant_id=call.tenant_id, booking=cancelled, change="cancelled", language=call.language)
    return call.say("cancelled", service=cancelled.service_name, when=call.when(cancelled.start_at))


BOOKING_TOOL_HANDLERS: dict[str, Callable[[ToolContext, dict], str]] = {
    "check_availability": _booking_tool(_check_availability),
    "book_appointment": _booking_tool(_book_appointment),
    "find_my_appointment": _booking_tool(_find_my_appointment),
    "reschedule_appointment": _booking_tool(_reschedule_appointment),
    "cancel_appointment": _booking_tool(_cancel_appointment),
}


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if isinstance(value, str | int | float) and value != "" else ""


def _integer(value: Any) -> int | None:
    try:
        number = int(str(value).strip().lstrip("#"))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


def _folded(text: str) -> str:
    lowered = unicodedata.normalize("NFKD", (text or "").casefold())
    return "".join(c for c in lowered if not unicodedata.combining(c)).strip()

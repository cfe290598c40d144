"""What a caller gets by email when their booking is made, moved or cancelled, and the day before it: a short
message in the call's language (else the business's) with the booking's ``.ics`` attached.

Queued by a job once the booking's transaction commits (``email_caller``), which reads the booking again: an email
never describes a booking that was rolled back, and one per change (a retried tool call sends nothing more). Only a
caller who gave an address gets one; the texts (``bookings.texts``) go to every caller with a number.

The event's UID is stable per booking, so a calendar that holds it replaces it when the booking moves (a higher
SEQUENCE, METHOD:REQUEST) and removes it when the booking is cancelled (METHOD:CANCEL). Times are written in the
business's timezone with a VTIMEZONE, so the caller's calendar shows the time the business means across DST changes.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo

import icalendar
from email_validator import EmailNotValidError, validate_email
from sqlmodel import Session, col, select

from ava_app.db import on_commit, session_scope
from ava_app.languages import DEFAULT_LANGUAGE, LANGUAGES
from ava_app.models import Booking, PhoneNumber, Tenant, as_utc
from ava_app.services import regional
from ava_app.services.bookings.booking import BookingOut, get_booking
from ava_app.task_queue import enqueue, task

log = logging.getLogger(__name__)

Change = Literal["booked", "moved", "cancelled", "reminder"]
PRODID = "-//AVA//Bookings//EN"

SUMMARY = {"en": "{service} at {business}", "fr": "{service} chez {business}"}


def booking_uid(booking_id: int, domain: str = "bookings.ava") -> str:
    """The event's UID: the same for every change of one booking."""
    return f"booking-{booking_id}@{domain}"


def booking_ics(
    booking: BookingOut,
    *,
    business: str,
    timezone: str,
    change: Change,
    sequence: int,
    language: str = "en",
    now: datetime | None = None,
) -> bytes:
    """The ``.ics`` for ``change`` of ``booking``, times in ``timezone`` (the business's)."""
    zone = ZoneInfo(timezone)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if change == "cancelled" else "REQUEST")
    event = icalendar.Event()
    event.add("uid", booking_uid(booking.id))
    event.add("sequence", sequence)
    event.add("dtstamp", (now or datetime.now(UTC)).astimezone(UTC))
    event.add("dtstart", booking.start_at.astimezone(zone))
    event.add("dtend", booking.end_at.astimezone(zone))
    summary = SUMMARY.get(language, SUMMARY["en"])
    event.add("summary", summary.format(service=booking.service_name, business=business))
    event.add("status", "CANCELLED" if change == "cancelled" else "CONFIRMED")
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


SUBJECTS: dict[str, dict[Change, str]] = {
    "en": {
        "booked": "{business}: your {service} is booked for {when}",
        "moved": "{business}: your {service} has moved to {when}",
        "cancelled": "{business}: your {service} of {when} is cancelled",
        "reminder": "{business}: reminder of your {service}, {when}",
    },
    "fr": {
        "booked": "{business} : votre rendez-vous {service} est réservé le {when}",
        "moved": "{business} : votre rendez-vous {service} est déplacé au {when}",
        "cancelled": "{business} : votre rendez-vous {service} du {when} est annulé",
        "reminder": "{business} : rappel de votre rendez-vous {service}, {when}",
    },
}
BODIES: dict[str, dict[Change, str]] = {
    "en": {
        "booked": "Hello {name},\n\nYour {service}{staff} is booked for {when}.\n\nThe attached invitation adds it "
        "to your calendar. To change or cancel it, call us{phone}.\n\n{business}",
        "moved": "Hello {name},\n\nYour {service}{staff} has moved to {when}.\n\nThe attached invitation updates "
        "your calendar. To change it again, call us{phone}.\n\n{business}",
        "cancelled": "Hello {name},\n\nYour {service} of {when} is cancelled.\n\nThe attached file removes it "
        "from your calendar. To book again, call us{phone}.\n\n{business}",
        "reminder": "Hello {name},\n\nA reminder of your {service}{staff}: {when}.\n\nIf you cannot come, "
        "call us{phone}.\n\n{business}",
    },
    "fr": {
        "booked": "Bonjour {name},\n\nVotre rendez-vous {service}{staff} est réservé le {when}.\n\nL'invitation "
        "jointe l'ajoute à votre agenda. Pour le modifier ou l'annuler, appelez-nous{phone}.\n\n{business}",
        "moved": "Bonjour {name},\n\nVotre rendez-vous {service}{staff} est déplacé au {when}.\n\nL'invitation "
        "jointe met à jour votre agenda. Pour le modifier encore, appelez-nous{phone}.\n\n{business}",
        "cancelled": "Bonjour {name},\n\nVotre rendez-vous {service} du {when} est annulé.\n\nLe fichier joint "
        "le retire de votre agenda. Pour en reprendre un, appelez-nous{phone}.\n\n{business}",
        "reminder": "Bonjour {name},\n\nUn rappel de votre rendez-vous {service}{staff} : {when}.\n\nSi vous ne "
        "pouvez pas venir, appelez-nous{phone}.\n\n{business}",
    },
}
WITH_STAFF = {"en": " with {staff}", "fr": " avec {staff}"}
AT_NUMBER = {"en": " at {number}", "fr": " au {number}"}
HELLO_NAMELESS = {"en": "there", "fr": "Madame, Monsieur"}


def checked_email(value: str) -> str | None:
    """An address good enough to send a confirmation to, normalised; None when it is not one (no DNS lookup: the
    address was spelt out on a call and the check must be instant)."""
    text = " ".join((value or "").split()).replace(" ", "")
    if not text:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def email_caller(
    session: Session, *, tenant_id: int, booking: BookingOut, change: Change, language: str | None = None
) -> None:
    """Have the caller emailed about ``change`` once this transaction commits, if the booking has their address.
    Never raises: the booking stands whatever happens to its email."""
    try:
        row = session.get(Booking, booking.id)
        if row is None or not row.caller_email:
            return
        stamp = int(booking.start_at.timestamp())
        on_commit(session, lambda: enqueue("send_booking_email", tenant_id, booking.id, change, language or "", stamp))
    except Exception:
        log.warning("booking %s: the caller's email could not be queued", booking.id, exc_info=True)


def confirmation_email(
    tenant: Tenant, booking: BookingOut, *, change: Change, language: str | None, sequence: int, number: str | None
) -> tuple[str, str, bytes]:
    """Subject, text and .ics of the email for ``change``, in ``language`` (else the business's)."""
    lang = language if language in LANGUAGES else regional.language_of(tenant.locale)
    if lang not in SUBJECTS:
        lang = DEFAULT_LANGUAGE
    when = regional.format_datetime(booking.start_at, timezone=tenant.timezone, language=lang, country=tenant.country)
    # CLDR's narrow no-break space ("11:00 AM") reads badly in some mail clients' subject lines.
    when = when.replace("\u202f", " ").replace("\xa0", " ")
    values = {
        "business": tenant.name,
        "service": booking.service_name,
        "when": when,
        "name": booking.caller_name or HELLO_NAMELESS[lang],
        "staff": WITH_STAFF[lang].format(staff=booking.staff_name) if booking.staff_name else "",
        "phone": AT_NUMBER[lang].format(number=number) if number else "",
    }
    ics = booking_ics(
        booking,
        business=tenant.name,
        timezone=tenant.timezone or "UTC",
        change="cancelled" if change == "cancelled" else "booked",
        sequence=sequence,
        language=lang,
    )
    return SUBJECTS[lang][change].format(**values), BODIES[lang][change].format(**values), ics


@task(retries=3, retry_delay=60, retry_backoff=2)
def send_booking_email(tenant_id: int, booking_id: int, change: Change, language: str, stamp: int) -> None:
    """Job: queue the caller's email about one change of their booking (the outbox delivers it and retries)."""
    from ava_app.services.messaging.email import send_email
    from ava_app.services.messaging.outbox import Attachment

    with session_scope() as session:
        tenant = session.get(Tenant, tenant_id)
        row = session.get(Booking, booking_id)
        if tenant is None or row is None or row.tenant_id != tenant_id or not row.caller_email:
            return
        booking = get_booking(session, tenant_id=tenant_id, booking_id=booking_id)
        number = _business_number(session, tenant_id=tenant_id)
        # Later changes carry a higher SEQUENCE, so the caller's calendar replaces the event.
        sequence = max(0, int((as_utc(row.updated_at) - as_utc(row.created_at)).total_seconds()))
        subject, body, ics = confirmation_email(
            tenant,
            booking,
            change=change,
            language=language or None,
            sequence=sequence,
            number=number,
        )
        send_email(
            session,
            to=row.caller_email,
            subject=subject,
            body_text=body,
            tenant_id=tenant_id,
            dedupe_key=f"booking-email:{booking_id}:{change}:{stamp}",
            purpose="reminder" if change == "reminder" else "booking",
            call_id=booking.call_id,
            attachments=[Attachment(filename="appointment.ics", content_type="text/calendar", data=ics)],
        )


def _business_number(session: Session, *, tenant_id: int) -> str | None:
    """The number callers reach the business on (its oldest active one), to call back about the booking."""
    return session.exec(
        select(PhoneNumber.e164)
        .where(col(PhoneNumber.tenant_id) == tenant_id, col(PhoneNumber.status) == "active")
        .order_by(col(PhoneNumber.id))
    ).first()

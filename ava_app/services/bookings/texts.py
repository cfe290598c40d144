"""The text a caller gets when their booking is made, moved or cancelled: from the business's number, in the call's
language (else the business's), with the time in the business's timezone and written as its country writes it.

Queued by a job into the SMS outbox (``messaging.sms``: this module cannot import it, the booking tools being
reached from Twilio's webhooks), so a number that replied STOP is never texted and a retried tool
call or a double click sends one text per change. A text that cannot go (no caller number, no number to send from)
is skipped, and so is a fixed line, which cannot receive texts; nothing here ever fails the booking itself.
"""

from __future__ import annotations

import logging
from typing import Literal

from sqlmodel import Session

from ava_app.db import on_commit
from ava_app.languages import DEFAULT_LANGUAGE, LANGUAGES
from ava_app.models import Tenant
from ava_app.services import phones, regional
from ava_app.services.bookings.booking import BookingOut
from ava_app.task_queue import enqueue

log = logging.getLogger(__name__)

Change = Literal["booked", "moved", "cancelled", "reminder"]

TEXTS: dict[str, dict[Change, str]] = {
    "en": {
        "booked": "{business}: your {service} is booked for {when}{staff}. Reply STOP to stop these texts.",
        "moved": "{business}: your {service} has moved to {when}{staff}. Reply STOP to stop these texts.",
        "cancelled": "{business}: your {service} of {when} is cancelled. Call us to book again. "
        "Reply STOP to stop these texts.",
        "reminder": "{business}: a reminder of your {service} on {when}{staff}. If you cannot come, call us. "
        "Reply STOP to stop these texts.",
    },
    "fr": {
        "booked": "{business} : votre rendez-vous {service} est réservé le {when}{staff}. "
        "Répondez STOP pour ne plus recevoir ces SMS.",
        "moved": "{business} : votre rendez-vous {service} est déplacé au {when}{staff}. "
        "Répondez STOP pour ne plus recevoir ces SMS.",
        "cancelled": "{business} : votre rendez-vous {service} du {when} est annulé. Appelez-nous pour en reprendre "
        "un. Répondez STOP pour ne plus recevoir ces SMS.",
        "reminder": "{business} : rappel de votre rendez-vous {service} le {when}{staff}. En cas d'empêchement, "
        "appelez-nous. Répondez STOP pour ne plus recevoir ces SMS.",
    },
}
WITH_STAFF = {"en": " with {staff}", "fr": " avec {staff}"}


def caller_text(tenant: Tenant, booking: BookingOut, change: Change, *, language: str | None = None) -> str:
    """The text for ``change`` of ``booking``, in ``language`` (else the business's)."""
    lang = language if language in LANGUAGES else regional.language_of(tenant.locale)
    if lang not in TEXTS:
        lang = DEFAULT_LANGUAGE
    when = regional.format_datetime(booking.start_at, timezone=tenant.timezone, language=lang, country=tenant.country)
    # Plain spaces: CLDR's narrow no-break space ("2:30 PM") is outside the GSM alphabet and would make every
    # text a Unicode one, half as long per SMS.
    when = when.replace("\u202f", " ").replace("\xa0", " ")
    staff = WITH_STAFF[lang].format(staff=booking.staff_name) if booking.staff_name else ""
    return TEXTS[lang][change].format(business=tenant.name, service=booking.service_name, when=when, staff=staff)


def text_caller(
    session: Session, *, tenant_id: int, booking: BookingOut, change: Change, language: str | None = None
) -> None:
    """Have the caller texted about ``change`` (a job queues the text: opt-outs, the sender number and duplicates
    are checked there). Never raises."""
    try:
        tenant = session.get(Tenant, tenant_id)
        if tenant is None or not booking.caller_phone or phones.is_landline(booking.caller_phone):
            return
        body = caller_text(tenant, booking, change, language=language)
        # One text per change: a retried tool call repeats the key, a new time, service or staff does not.
        at = int(booking.start_at.timestamp())
        key = f"booking-text:{booking.id}:{change}:{at}:{booking.service_id}:{booking.staff_id}"
        purpose = "reminder" if change == "reminder" else "booking"
        on_commit(
            session,
            lambda: enqueue("queue_text", tenant_id, booking.caller_phone, body, key, purpose, booking.call_id),
        )
    except Exception:
        log.warning("booking %s: the caller's text could not be queued", booking.id, exc_info=True)

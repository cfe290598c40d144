"""Strings of a booking's full edit on the Bookings page, a booking opened by its link, and the "Booking" card of a
call's page."""

EN: dict[str, str] = {
    "bookings.edit": "Edit",
    "bookings.edit_title": "Edit the booking",
    "bookings.saved": "Booking saved.",
    "bookings.current_time": "{time} (current)",
    "bookings.current": "Now booked for {when}. Keep that time, or pick another one.",
    "bookings.edit_hint": "If the time or the service changes, the caller gets a text (and an email when they gave "
    "one).",
    "bookings.status_moved": "Moved",
    "bookings.focus_title": "Booking",
    "call.booking.title": "Booking",
    "call.booking.when": "When",
    "call.booking.staff": "With",
    "call.booking.price": "Price",
    "call.booking.open": "Open on the Bookings page",
    "call.booking.booked": "Booked",
    "call.booking.moved": "Moved",
    "call.booking.cancelled": "Cancelled",
}

FR: dict[str, str] = {
    "bookings.edit": "Modifier",
    "bookings.edit_title": "Modifier le rendez-vous",
    "bookings.saved": "Rendez-vous enregistré.",
    "bookings.current_time": "{time} (actuel)",
    "bookings.current": "Réservé pour le {when}. Gardez cet horaire ou choisissez-en un autre.",
    "bookings.edit_hint": "Si l'horaire ou la prestation change, le client reçoit un SMS (et un e-mail s'il en a "
    "donné un).",
    "bookings.status_moved": "Déplacé",
    "bookings.focus_title": "Rendez-vous",
    "call.booking.title": "Rendez-vous",
    "call.booking.when": "Date",
    "call.booking.staff": "Avec",
    "call.booking.price": "Prix",
    "call.booking.open": "Ouvrir sur la page Rendez-vous",
    "call.booking.booked": "Réservé",
    "call.booking.moved": "Déplacé",
    "call.booking.cancelled": "Annulé",
}

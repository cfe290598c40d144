"""AVA's own booking calendar: services, staff and rules (``catalog``), free slots (``availability``) and bookings
(``booking``). Plain functions with keyword-only arguments, taking the tenant explicitly; they flush and the caller
commits. Connected calendars block slots through the ``busy`` / ``staff_busy`` arguments (UTC spans).
"""

from ava_app.services.bookings.availability import (
    Slot,
    StaffHours,
    business_week,
    find_slots,
    free_slots,
)
from ava_app.services.bookings.booking import (
    BookingOut,
    SlotUnavailable,
    bookings_of_call,
    cancel_booking,
    create_booking,
    find_bookings_by_phone,
    get_booking,
    list_bookings,
    reschedule_booking,
    same_number,
    update_booking,
)
from ava_app.services.bookings.catalog import (
    BookingRules,
    ServiceOut,
    StaffOut,
    add_service,
    add_staff,
    booking_enabled,
    booking_rules,
    get_service,
    list_services,
    list_staff,
    match_service,
    save_booking_rules,
    update_service,
    update_staff,
)

__all__ = [
    "BookingOut",
    "BookingRules",
    "ServiceOut",
    "Slot",
    "SlotUnavailable",
    "StaffHours",
    "StaffOut",
    "add_service",
    "add_staff",
    "booking_enabled",
    "booking_rules",
    "bookings_of_call",
    "business_week",
    "cancel_booking",
    "create_booking",
    "find_bookings_by_phone",
    "find_slots",
    "free_slots",
    "get_booking",
    "get_service",
    "list_bookings",
    "list_services",
    "list_staff",
    "match_service",
    "reschedule_booking",
    "same_number",
    "save_booking_rules",
    "update_booking",
    "update_service",
    "update_staff",
]

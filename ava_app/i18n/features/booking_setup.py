"""Strings of onboarding's "Appointments" card: booking on or off, the services and their prices, the calendar."""

EN: dict[str, str] = {
    "setup_bookings.title": "Appointments",
    "setup_bookings.hint": "Let your assistant book, move and cancel appointments during calls. You can change all "
    "of this later on the Bookings page.",
    "setup_bookings.switch": "Let the assistant book appointments",
    "setup_bookings.off_hint": "Off: callers who want an appointment leave a message for you instead.",
    "setup_bookings.on": "Your assistant now books appointments.",
    "setup_bookings.off": "Your assistant takes messages instead of booking.",
    "setup_bookings.service": "Service",
    "setup_bookings.minutes": "Minutes",
    "setup_bookings.price": "Price",
    "setup_bookings.remove": "Stop offering this service",
    "setup_bookings.new_service": "Add a service",
    "setup_bookings.new_placeholder": "e.g. First consultation",
    "setup_bookings.add": "Add",
    "setup_bookings.no_services": "No services yet: add the first one below.",
    "setup_bookings.name_needed": "Give the service a name.",
    "setup_bookings.duration_range": "Enter minutes between 5 and 480.",
    "setup_bookings.price_number": "Enter a price such as 45 or 45.50, or leave it empty.",
    "setup_bookings.too_many": "A business can offer at most 30 services here.",
}

FR: dict[str, str] = {
    "setup_bookings.title": "Rendez-vous",
    "setup_bookings.hint": "Laissez votre assistant prendre, déplacer et annuler des rendez-vous pendant les appels. "
    "Tout cela se modifie ensuite sur la page Rendez-vous.",
    "setup_bookings.switch": "Laisser l'assistant prendre des rendez-vous",
    "setup_bookings.off_hint": "Désactivé : les appelants qui veulent un rendez-vous vous laissent un message.",
    "setup_bookings.on": "Votre assistant prend désormais les rendez-vous.",
    "setup_bookings.off": "Votre assistant prend des messages au lieu de rendez-vous.",
    "setup_bookings.service": "Prestation",
    "setup_bookings.minutes": "Minutes",
    "setup_bookings.price": "Prix",
    "setup_bookings.remove": "Ne plus proposer cette prestation",
    "setup_bookings.new_service": "Ajouter une prestation",
    "setup_bookings.new_placeholder": "ex. Première consultation",
    "setup_bookings.add": "Ajouter",
    "setup_bookings.no_services": "Aucune prestation pour l'instant : ajoutez la première ci-dessous.",
    "setup_bookings.name_needed": "Donnez un nom à la prestation.",
    "setup_bookings.duration_range": "Saisissez une durée entre 5 et 480 minutes.",
    "setup_bookings.price_number": "Saisissez un prix comme 45 ou 45,50, ou laissez vide.",
    "setup_bookings.too_many": "Une entreprise peut proposer au plus 30 prestations ici.",
}

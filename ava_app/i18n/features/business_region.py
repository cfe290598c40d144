"""Strings of the business's region: /settings/business, its card on the settings hub and onboarding's welcome."""

EN: dict[str, str] = {
    "business.title": "Business",
    "business.hub_title": "Business",
    "business.hub_hint": "Country, time zone, language and currency of your business.",
    "business.intro": (
        "AVA uses these for your opening hours, the times in your emails and exports, and the language it writes in."
    ),
    "business.country": "Country",
    "business.timezone": "Time zone",
    "business.timezone_search": "Search time zones",
    "business.timezone_hint": "Your opening hours and every time AVA shows are in this zone.",
    "business.timezone_none": "No time zone matches this search.",
    "business.language": "Language",
    "business.language_hint": "The language of AVA's emails about your calls.",
    "business.currency": "Currency",
    "business.currency_hint": "Follows the country unless you pick another one.",
    "business.saved": "Business settings saved.",
    "business.read_only": "Only admins can change these.",
    "business.load_failed": "These settings could not be loaded. Reload the page to try again.",
    "business.current": "Your business",
    "business.change": "Change",
    "business.edit_title": "Your business's region",
    "business.confirm_hint": "Found from your browser. Check it: your opening hours depend on it.",
    "onb.welcome.ahead_steps": "A few short steps ahead",
    "audit.action.business_region_changed": "Business region changed",
}

FR: dict[str, str] = {
    "business.title": "Entreprise",
    "business.hub_title": "Entreprise",
    "business.hub_hint": "Pays, fuseau horaire, langue et devise de votre entreprise.",
    "business.intro": (
        "AVA s'en sert pour vos horaires d'ouverture, les heures de vos e-mails et exports, et la langue dans "
        "laquelle il écrit."
    ),
    "business.country": "Pays",
    "business.timezone": "Fuseau horaire",
    "business.timezone_search": "Rechercher un fuseau horaire",
    "business.timezone_hint": "Vos horaires d'ouverture et toutes les heures affichées par AVA suivent ce fuseau.",
    "business.timezone_none": "Aucun fuseau horaire ne correspond à cette recherche.",
    "business.language": "Langue",
    "business.language_hint": "La langue des e-mails d'AVA sur vos appels.",
    "business.currency": "Devise",
    "business.currency_hint": "Suit le pays, sauf si vous en choisissez une autre.",
    "business.saved": "Réglages de l'entreprise enregistrés.",
    "business.read_only": "Seuls les administrateurs peuvent les modifier.",
    "business.load_failed": "Impossible de charger ces réglages. Rechargez la page pour réessayer.",
    "business.current": "Votre entreprise",
    "business.change": "Modifier",
    "business.edit_title": "La région de votre entreprise",
    "business.confirm_hint": "Déduit de votre navigateur. Vérifiez-le : vos horaires d'ouverture en dépendent.",
    "onb.welcome.ahead_steps": "Quelques étapes rapides",
    "audit.action.business_region_changed": "Région de l'entreprise modifiée",
}

FR_SERVICE_MESSAGES: dict[str, str] = {
    "Choose a country from the list.": "Choisissez un pays dans la liste.",
    "Choose a time zone from the list.": "Choisissez un fuseau horaire dans la liste.",
    "Choose one of the offered languages.": "Choisissez l'une des langues proposées.",
    "Choose a currency from the list.": "Choisissez une devise dans la liste.",
}

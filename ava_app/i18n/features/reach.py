"""Strings of "How calls reach AVA" (the wizard's last step and the dashboard card), of the number step's
per-country hints, and the full names of the regions number searches return."""

EN: dict[str, str] = {
    "onb.step.reach": "Calls reach AVA",
    "reach.title": "How calls reach AVA",
    "reach.body": "Give out your AVA number, or keep the number your customers know and forward it to AVA.",
    "reach.your_number": "Your AVA number",
    "reach.give_out": "Put it on your website, your Google profile and your business cards.",
    "reach.call_now": "Call it now from your mobile",
    "reach.call_now_body": "AVA answers, and the call appears live on your dashboard.",
    "reach.sandbox_call": "Place a sandbox call",
    "reach.sandbox_note": "Sandbox: no real phone line exists, the emulator places the call.",
    "reach.call_placed": "Call placed: open your dashboard to see it live.",
    "reach.call_failed": "The sandbox could not place the call. Try again in a moment.",
    "reach.keep_title": "Keep your existing number",
    "reach.keep_body": "Forward your current line to AVA: your customers keep calling the number they know.",
    "reach.existing_line": "Your existing number",
    "reach.save_line": "Save",
    "reach.line_saved": "Existing number saved.",
    "reach.carrier": "Your phone company",
    "reach.carrier_other": "Other / not listed",
    "reach.landline": "Landline (most local phone companies)",
    "reach.bt_landline": "BT landline",
    "reach.recommended": "Recommended: AVA answers only the calls you cannot take",
    "reach.kind.busy": "When you are already on a call",
    "reach.kind.no_answer": "When you do not answer",
    "reach.kind.unreachable": "When your phone is off or has no signal",
    "reach.kind.conditional": "When you are busy or do not answer",
    "reach.kind.always": "All calls (AVA answers everything)",
    "reach.to_stop": "To stop:",
    "reach.cancel_all": "Stop all forwarding:",
    "reach.tap_hint": "On your mobile, tap a code to dial it, then press call. Dial it from the line you forward.",
    "reach.other_note": (
        "These are the standard mobile codes most networks accept. Landlines and business phone systems differ: "
        "if a code does not work, ask your phone company to forward calls on busy and no answer to your AVA number."
    ),
    "reach.status.no_line": "Enter your existing number to see what to dial.",
    "reach.status.waiting": (
        "Not confirmed yet. Dial a code, then call your existing number from another phone: AVA should answer."
    ),
    "reach.status.confirmed": "Forwarding works: a call to your existing number reached AVA.",
    "reach.status.carrier_note": "Some operators do not tell AVA a call was forwarded; if AVA answered, it works.",
    "reach.check": "Check again",
    "reach.start_check": "I'm calling my usual number now",
    "reach.check_how": (
        "Press the button below, then within 10 minutes call your usual number from another phone: the forwarded "
        "call confirms it."
    ),
    "reach.check_open": "Checking until {until}: call your usual number now from another phone.",
    "reach.simulate_forwarded": "Simulate a forwarded call",
    "reach.waiting_call": "Waiting for the forwarded call…",
    "reach.not_seen": "No forwarded call from this line has arrived yet.",
    "reach.no_number_title": "No AVA number yet",
    "reach.no_number_body": (
        "No phone line rings your assistant yet, so callers cannot reach it. Get a number to give out or to forward "
        "your existing line to."
    ),
    "reach.go_number": "Get a number",
    "reach.golive_title": "Ready when you are",
    "reach.golive_body": "Going live keeps your settings and opens your dashboard. You can change everything later.",
    "reach.golive_no_number": (
        "You can go live without a number: your assistant is ready, but no phone line rings it until you add one."
    ),
    "reach.live_toast": "You are live! AVA answers the calls to {number}.",
    "reach.ready_toast": "Your assistant is ready, but no phone line rings it yet. Add a number in Phone numbers.",
    "reach.card.title": "How calls reach AVA",
    "reach.card.instructions": "Forwarding instructions",
    "reach.card.call": "Call it now",
    "reach.card.forward_on": "Forwarding from {number} confirmed",
    "reach.card.forward_pending": "Forwarding from {number} not confirmed yet",
    "reach.card.forward_none": "Not forwarding an existing line",
    "reach.card.no_number": "Your assistant has no phone number: no call can reach it yet.",
    "error.no_number": "Get an AVA number first.",
    "error.forwarded_line_invalid": "Enter your existing phone number, for example {example}.",
    "error.forwarded_line_is_ava": "Enter the line your customers call today, not your AVA number.",
    "error.forwarded_line_missing": "Enter the existing number you forward to AVA first.",
    # number step, per country
    "numflow.more": "More numbers",
    "numflow.hint.US": "For a free US number, enter a 3-digit area code, e.g. 415.",
    "numflow.hint.CA": "Enter a 3-digit area code, e.g. 416 for Toronto or 514 for Montreal.",
    "numflow.hint.GB": "Leave the area code empty, or type the first digits in Contains, e.g. 4420 for London.",
    "numflow.hint.FR": "Leave the area code empty, or type the first digits in Contains, e.g. 331 for Paris.",
    "numflow.hint.ES": "Leave the area code empty, or type the first digits in Contains, e.g. 3491 for Madrid.",
    "numflow.hint.DE": "Leave the area code empty, or type the first digits in Contains, e.g. 4930 for Berlin.",
    "numflow.hint.AU": "Leave the area code empty, or type the first digits in Contains, e.g. 612 for Sydney.",
    "numflow.placeholder.US": "415",
    "numflow.placeholder.CA": "416",
    "numflow.advanced": "Advanced: import numbers from your own Twilio account",
    "numflow.price_note": "AVA's monthly price for a number of this country.",
}

_FR_HINT = "Laissez l'indicatif vide, ou tapez les premiers chiffres dans « Contient », ex. {}."

FR: dict[str, str] = {
    "onb.step.reach": "Recevoir les appels",
    "reach.title": "Comment vos appels arrivent à AVA",
    "reach.body": (
        "Communiquez votre numéro AVA, ou gardez le numéro que vos clients connaissent et renvoyez-le vers AVA."
    ),
    "reach.your_number": "Votre numéro AVA",
    "reach.give_out": "Mettez-le sur votre site, votre fiche Google et vos cartes de visite.",
    "reach.call_now": "Appelez-le maintenant depuis votre mobile",
    "reach.call_now_body": "AVA répond, et l'appel s'affiche en direct sur votre tableau de bord.",
    "reach.sandbox_call": "Passer un appel de test (bac à sable)",
    "reach.sandbox_note": "Bac à sable : aucune vraie ligne n'existe, l'émulateur passe l'appel.",
    "reach.call_placed": "Appel lancé : ouvrez votre tableau de bord pour le suivre en direct.",
    "reach.call_failed": "Le bac à sable n'a pas pu passer l'appel. Réessayez dans un instant.",
    "reach.keep_title": "Gardez votre numéro actuel",
    "reach.keep_body": (
        "Renvoyez votre ligne actuelle vers AVA : vos clients continuent d'appeler le numéro qu'ils connaissent."
    ),
    "reach.existing_line": "Votre numéro actuel",
    "reach.save_line": "Enregistrer",
    "reach.line_saved": "Numéro actuel enregistré.",
    "reach.carrier": "Votre opérateur",
    "reach.carrier_other": "Autre / pas dans la liste",
    "reach.landline": "Ligne fixe (la plupart des opérateurs locaux)",
    "reach.bt_landline": "Ligne fixe BT",
    "reach.recommended": "Conseillé : AVA ne prend que les appels que vous ne pouvez pas prendre",
    "reach.kind.busy": "Quand vous êtes déjà en ligne",
    "reach.kind.no_answer": "Quand vous ne répondez pas",
    "reach.kind.unreachable": "Quand votre téléphone est éteint ou sans réseau",
    "reach.kind.conditional": "Quand vous êtes occupé ou ne répondez pas",
    "reach.kind.always": "Tous les appels (AVA répond à tout)",
    "reach.to_stop": "Pour arrêter :",
    "reach.cancel_all": "Arrêter tous les renvois :",
    "reach.tap_hint": (
        "Sur votre mobile, touchez un code pour le composer, puis appelez. Composez-le depuis la ligne à renvoyer."
    ),
    "reach.other_note": (
        "Ce sont les codes mobiles standard, acceptés par la plupart des réseaux. Les lignes fixes et standards "
        "d'entreprise diffèrent : si un code ne marche pas, demandez à votre opérateur de renvoyer les appels "
        "sur occupation et non-réponse vers votre numéro AVA."
    ),
    "reach.status.no_line": "Saisissez votre numéro actuel pour voir quoi composer.",
    "reach.status.waiting": (
        "Pas encore confirmé. Composez un code, puis appelez votre numéro actuel depuis un autre téléphone : "
        "AVA doit répondre."
    ),
    "reach.status.confirmed": "Le renvoi fonctionne : un appel vers votre numéro actuel est arrivé chez AVA.",
    "reach.status.carrier_note": (
        "Certains opérateurs n'indiquent pas qu'un appel est renvoyé ; si AVA a répondu, le renvoi fonctionne."
    ),
    "reach.check": "Vérifier à nouveau",
    "reach.start_check": "J'appelle mon numéro habituel maintenant",
    "reach.check_how": (
        "Appuyez sur le bouton ci-dessous, puis dans les 10 minutes appelez votre numéro habituel depuis un autre "
        "téléphone : l'appel renvoyé le confirme."
    ),
    "reach.check_open": (
        "Vérification jusqu'à {until} : appelez maintenant votre numéro habituel depuis un autre téléphone."
    ),
    "reach.simulate_forwarded": "Simuler un appel renvoyé",
    "reach.waiting_call": "En attente de l'appel renvoyé…",
    "reach.not_seen": "Aucun appel renvoyé depuis cette ligne n'est encore arrivé.",
    "reach.no_number_title": "Pas encore de numéro AVA",
    "reach.no_number_body": (
        "Aucune ligne ne fait sonner votre assistant : vos clients ne peuvent pas le joindre. Prenez un numéro à "
        "communiquer, ou vers lequel renvoyer votre ligne actuelle."
    ),
    "reach.go_number": "Choisir un numéro",
    "reach.golive_title": "Prêt quand vous l'êtes",
    "reach.golive_body": (
        "Activer garde vos réglages et ouvre votre tableau de bord. Vous pourrez tout modifier ensuite."
    ),
    "reach.golive_no_number": (
        "Vous pouvez activer sans numéro : votre assistant est prêt, mais aucune ligne ne le fait sonner tant que "
        "vous n'en ajoutez pas."
    ),
    "reach.live_toast": "C'est parti ! AVA répond aux appels du {number}.",
    "reach.ready_toast": (
        "Votre assistant est prêt, mais aucune ligne ne le fait sonner. Ajoutez un numéro dans Numéros."
    ),
    "reach.card.title": "Comment vos appels arrivent à AVA",
    "reach.card.instructions": "Instructions de renvoi",
    "reach.card.call": "Appelez-le maintenant",
    "reach.card.forward_on": "Renvoi depuis le {number} confirmé",
    "reach.card.forward_pending": "Renvoi depuis le {number} pas encore confirmé",
    "reach.card.forward_none": "Aucune ligne existante renvoyée",
    "reach.card.no_number": "Votre assistant n'a pas de numéro : aucun appel ne peut l'atteindre.",
    "error.no_number": "Choisissez d'abord un numéro AVA.",
    "error.forwarded_line_invalid": "Saisissez votre numéro actuel, par exemple {example}.",
    "error.forwarded_line_is_ava": "Saisissez la ligne que vos clients appellent aujourd'hui, pas votre numéro AVA.",
    "error.forwarded_line_missing": "Saisissez d'abord le numéro actuel que vous renvoyez vers AVA.",
    "numflow.more": "Plus de numéros",
    "numflow.hint.US": "Pour un numéro américain gratuit, saisissez un indicatif à 3 chiffres, ex. 415.",
    "numflow.hint.CA": "Saisissez un indicatif à 3 chiffres, ex. 514 pour Montréal ou 416 pour Toronto.",
    "numflow.hint.GB": _FR_HINT.format("4420 pour Londres"),
    "numflow.hint.FR": _FR_HINT.format("331 pour Paris"),
    "numflow.hint.ES": _FR_HINT.format("3491 pour Madrid"),
    "numflow.hint.DE": _FR_HINT.format("4930 pour Berlin"),
    "numflow.hint.AU": _FR_HINT.format("612 pour Sydney"),
    "numflow.placeholder.US": "415",
    "numflow.placeholder.CA": "514",
    "numflow.advanced": "Avancé : importer les numéros de votre propre compte Twilio",
    "numflow.price_note": "Prix mensuel d'AVA pour un numéro de ce pays.",
}

# Full names of the region codes number searches return (Twilio gives "CA", "IDF", "NSW"...): "region.<country>.<code>".
_REGIONS_EN = {
    "US": {
        "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
        "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia", "FL": "Florida", "GA": "Georgia",
        "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
        "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan",
        "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
        "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina",
        "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
        "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas",
        "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington", "WV": "West Virginia",
        "WI": "Wisconsin", "WY": "Wyoming", "PR": "Puerto Rico",
    },
    "CA": {
        "AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba", "NB": "New Brunswick",
        "NL": "Newfoundland and Labrador", "NS": "Nova Scotia", "NT": "Northwest Territories", "NU": "Nunavut",
        "ON": "Ontario", "PE": "Prince Edward Island", "QC": "Quebec", "SK": "Saskatchewan", "YT": "Yukon",
    },
    "FR": {
        "ARA": "Auvergne-Rhône-Alpes", "BFC": "Bourgogne-Franche-Comté", "BRE": "Brittany",
        "CVL": "Centre-Val de Loire", "COR": "Corsica", "GES": "Grand Est", "HDF": "Hauts-de-France",
        "IDF": "Île-de-France", "NOR": "Normandy", "NAQ": "Nouvelle-Aquitaine", "OCC": "Occitanie",
        "PDL": "Pays de la Loire", "PAC": "Provence-Alpes-Côte d'Azur",
    },
    "GB": {"ENG": "England", "SCT": "Scotland", "WLS": "Wales", "NIR": "Northern Ireland"},
    "ES": {"MD": "Community of Madrid", "CT": "Catalonia", "AN": "Andalusia", "VC": "Valencian Community"},
    "DE": {"BE": "Berlin", "HH": "Hamburg", "BY": "Bavaria", "NW": "North Rhine-Westphalia", "HE": "Hesse"},
    "AU": {
        "NSW": "New South Wales", "VIC": "Victoria", "QLD": "Queensland", "WA": "Western Australia",
        "SA": "South Australia", "TAS": "Tasmania", "ACT": "Australian Capital Territory",
        "NT": "Northern Territory",
    },
}  # fmt: skip
# French names where they differ from the English ones.
_REGIONS_FR = {
    "US": {
        "CA": "Californie", "DC": "District de Columbia", "FL": "Floride", "GA": "Géorgie", "HI": "Hawaï",
        "LA": "Louisiane", "NY": "État de New York", "NC": "Caroline du Nord", "ND": "Dakota du Nord",
        "NM": "Nouveau-Mexique", "PA": "Pennsylvanie", "SC": "Caroline du Sud", "SD": "Dakota du Sud",
        "VA": "Virginie", "WV": "Virginie-Occidentale", "PR": "Porto Rico",
    },
    "CA": {
        "BC": "Colombie-Britannique", "NB": "Nouveau-Brunswick", "NL": "Terre-Neuve-et-Labrador",
        "NS": "Nouvelle-Écosse", "NT": "Territoires du Nord-Ouest", "PE": "Île-du-Prince-Édouard", "QC": "Québec",
    },
    "FR": {"BRE": "Bretagne", "COR": "Corse", "NOR": "Normandie"},
    "GB": {"ENG": "Angleterre", "SCT": "Écosse", "WLS": "Pays de Galles", "NIR": "Irlande du Nord"},
    "ES": {"MD": "Communauté de Madrid", "CT": "Catalogne", "AN": "Andalousie", "VC": "Communauté valencienne"},
    "DE": {"BY": "Bavière", "NW": "Rhénanie-du-Nord-Westphalie", "HE": "Hesse"},
    "AU": {
        "NSW": "Nouvelle-Galles du Sud", "WA": "Australie-Occidentale", "SA": "Australie-Méridionale",
        "TAS": "Tasmanie", "ACT": "Territoire de la capitale australienne", "NT": "Territoire du Nord",
    },
}  # fmt: skip

for _country, _names in _REGIONS_EN.items():
    for _code, _name in _names.items():
        EN[f"region.{_country}.{_code}"] = _name
        FR[f"region.{_country}.{_code}"] = _REGIONS_FR.get(_country, {}).get(_code, _name)

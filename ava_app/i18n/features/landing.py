"""Strings of the public landing page at /: what AVA does for a small business, and the way in.

Every point says only what AVA does today (no figures, no customers): answering, the email after each call,
messages and booking requests taken for the owner to confirm, and the setup wizard.
"""

EN: dict[str, str] = {
    "landing.nav": "Account",
    "landing.skip": "Skip to content",
    "landing.title": "An AI receptionist that answers your business's phone",
    "landing.lead": (
        "AVA picks up your calls in your business's name, helps your callers, and tells you what each call was "
        "about. Made for small businesses."
    ),
    "landing.signup": "Create an account",
    "landing.login": "Log in",
    "landing.have_account": "Already have an account?",
    "landing.points_title": "What AVA does for you",
    "landing.answers.title": "Answers every call",
    "landing.answers.body": (
        "AVA picks up in your business's name, even when you are with a customer or closed, and answers common "
        "questions from what you tell it."
    ),
    "landing.email.title": "Tells you what each call was about",
    "landing.email.body": (
        "After each call you get an email: who called, a short summary, and what to do next. Every call stays "
        "in your call list."
    ),
    "landing.messages.title": "Takes messages and booking requests",
    "landing.messages.body": (
        "Callers can leave a message or ask for an appointment. AVA notes their name and number so you can call "
        "back and confirm."
    ),
    "landing.setup.title": "Sets up in ten minutes",
    "landing.setup.body": (
        "Choose your trade, get a new number or forward your existing line, then try AVA with a test call."
    ),
    "landing.footer": "AVA, the AI receptionist for small businesses.",
}

FR: dict[str, str] = {
    "landing.nav": "Compte",
    "landing.skip": "Aller au contenu",
    "landing.title": "Un standardiste IA qui répond au téléphone de votre entreprise",
    "landing.lead": (
        "AVA décroche au nom de votre entreprise, renseigne vos correspondants et vous dit de quoi parlait chaque "
        "appel. Conçu pour les petites entreprises."
    ),
    "landing.signup": "Créer un compte",
    "landing.login": "Se connecter",
    "landing.have_account": "Vous avez déjà un compte ?",
    "landing.points_title": "Ce qu'AVA fait pour vous",
    "landing.answers.title": "Répond à chaque appel",
    "landing.answers.body": (
        "AVA décroche au nom de votre entreprise, même quand vous êtes avec un client ou fermé, et répond aux "
        "questions courantes à partir de ce que vous lui indiquez."
    ),
    "landing.email.title": "Vous résume chaque appel par e-mail",
    "landing.email.body": (
        "Après chaque appel, vous recevez un e-mail : qui a appelé, un court résumé et ce qu'il reste à faire. "
        "Chaque appel reste dans votre liste d'appels."
    ),
    "landing.messages.title": "Prend les messages et les demandes de rendez-vous",
    "landing.messages.body": (
        "Vos correspondants peuvent laisser un message ou demander un rendez-vous. AVA note leur nom et leur "
        "numéro pour que vous rappeliez et confirmiez."
    ),
    "landing.setup.title": "Se configure en dix minutes",
    "landing.setup.body": (
        "Choisissez votre métier, prenez un nouveau numéro ou renvoyez votre ligne actuelle, puis essayez AVA avec "
        "un appel de test."
    ),
    "landing.footer": "AVA, le standardiste IA des petites entreprises.",
}

"""Strings of /admin/dead-letters (platform admins)."""

EN: dict[str, str] = {
    "dead_letters.title": "Failed webhook events",
    "dead_letters.subtitle": (
        "Provider events AVA stored but could not apply, after every automatic retry. Retry one once the cause is "
        "fixed: it goes back to the job queue."
    ),
    "dead_letters.empty": "No failed events. Every stored webhook event was applied.",
    "dead_letters.tenant": "Organisation",
    "dead_letters.type": "Event",
    "dead_letters.call": "Provider call",
    "dead_letters.error": "Error",
    "dead_letters.attempts": "Attempts",
    "dead_letters.attempts_prefix": "Attempts: ",
    "dead_letters.received": "Received",
    "dead_letters.retry": "Retry",
    "dead_letters.more": "Show more",
    "dead_letters.retried": "Sent back to the job queue. The list shows it again if it fails.",
    "error.platform_admin_only": "Only the platform's operators can see this page.",
    "error.dead_letter_not_found": "This event is no longer waiting for a retry: it was applied, or is gone.",
}

FR: dict[str, str] = {
    "dead_letters.title": "Événements webhook en échec",
    "dead_letters.subtitle": (
        "Événements des fournisseurs qu'AVA a enregistrés sans pouvoir les appliquer, après toutes les nouvelles "
        "tentatives automatiques. Relancez-en un une fois la cause corrigée : il repart dans la file de tâches."
    ),
    "dead_letters.empty": "Aucun événement en échec. Chaque événement webhook enregistré a été appliqué.",
    "dead_letters.tenant": "Organisation",
    "dead_letters.type": "Événement",
    "dead_letters.call": "Appel fournisseur",
    "dead_letters.error": "Erreur",
    "dead_letters.attempts": "Tentatives",
    "dead_letters.attempts_prefix": "Tentatives : ",
    "dead_letters.received": "Reçu",
    "dead_letters.retry": "Relancer",
    "dead_letters.more": "Afficher plus",
    "dead_letters.retried": "Renvoyé dans la file de tâches. La liste l'affichera de nouveau s'il échoue.",
    "error.platform_admin_only": "Seuls les opérateurs de la plateforme peuvent voir cette page.",
    "error.dead_letter_not_found": "Cet événement n'attend plus de relance : il a été appliqué, ou n'existe plus.",
}

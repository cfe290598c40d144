"""Strings of the webhook-secret section of /settings/integrations."""

EN: dict[str, str] = {
    "webhook_secret.title": "Webhook secret",
    "webhook_secret.body": (
        "Vapi sends AVA the events of your calls with a secret of your own. Replace it if it may have leaked: "
        "AVA pushes the new one to your assistants and numbers."
    ),
    "webhook_secret.since": "In use since",
    "webhook_secret.previous_until": "The previous secret is still accepted until",
    "webhook_secret.rotate": "Replace the secret",
    "webhook_secret.confirm_title": "Replace the webhook secret?",
    "webhook_secret.confirm_body": (
        "AVA makes a new secret and pushes it to your assistants and numbers on your Vapi account. The current one "
        "stays valid for 24 hours, then events sent with it are refused."
    ),
    "webhook_secret.rotated": "New secret made. Your assistants and numbers are being updated.",
    "audit.action.webhook_secret_rotated": "Webhook secret replaced",
    "error.no_own_vapi_account": "Only an organisation on its own Vapi account has a webhook secret of its own.",
}

FR: dict[str, str] = {
    "webhook_secret.title": "Secret des webhooks",
    "webhook_secret.body": (
        "Vapi envoie à AVA les événements de vos appels avec un secret qui vous est propre. Remplacez-le s'il a pu "
        "fuiter : AVA transmet le nouveau à vos assistants et numéros."
    ),
    "webhook_secret.since": "Utilisé depuis le",
    "webhook_secret.previous_until": "L'ancien secret est encore accepté jusqu'au",
    "webhook_secret.rotate": "Remplacer le secret",
    "webhook_secret.confirm_title": "Remplacer le secret des webhooks ?",
    "webhook_secret.confirm_body": (
        "AVA crée un nouveau secret et le transmet à vos assistants et numéros sur votre compte Vapi. L'actuel reste "
        "valable 24 heures, puis les événements envoyés avec lui sont refusés."
    ),
    "webhook_secret.rotated": "Nouveau secret créé. Vos assistants et numéros sont en cours de mise à jour.",
    "audit.action.webhook_secret_rotated": "Secret des webhooks remplacé",
    "error.no_own_vapi_account": (
        "Seule une organisation sur son propre compte Vapi a un secret de webhooks qui lui est propre."
    ),
}

"""Strings of outgoing webhooks: the audit labels and the service's messages in French."""

EN: dict[str, str] = {
    "audit.action.webhook_endpoint_created": "Webhook endpoint added",
    "audit.action.webhook_endpoint_updated": "Webhook endpoint changed",
    "audit.action.webhook_endpoint_deleted": "Webhook endpoint deleted",
    "audit.action.webhook_endpoint_disabled": "Webhook endpoint turned off by AVA",
    "audit.action.webhook_endpoint_secret_rotated": "Webhook signing secret rotated",
}

FR: dict[str, str] = {
    "audit.action.webhook_endpoint_created": "Webhook ajouté",
    "audit.action.webhook_endpoint_updated": "Webhook modifié",
    "audit.action.webhook_endpoint_deleted": "Webhook supprimé",
    "audit.action.webhook_endpoint_disabled": "Webhook désactivé par AVA",
    "audit.action.webhook_endpoint_secret_rotated": "Secret de signature du webhook renouvelé",
}

FR_SERVICE_MESSAGES: dict[str, str] = {
    "An organisation can have at most 20 webhook endpoints.": "Une organisation peut avoir au plus 20 webhooks.",
    "Enable this endpoint before sending it a test event.": "Activez ce webhook avant de lui envoyer un test.",
    "Enable this endpoint before resending to it.": "Activez ce webhook avant de renvoyer un événement.",
    "This webhook endpoint does not exist.": "Ce webhook n'existe pas.",
    "This delivery does not exist.": "Cette livraison n'existe pas.",
    "Enter the endpoint's full URL, starting with https://.": "Saisissez l'URL complète, commençant par https://.",
    "Choose at least one event from the list.": "Choisissez au moins un événement dans la liste.",
}

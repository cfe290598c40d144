"""Strings of /settings/api-keys (API keys and "Use the API") and the key service's messages in French."""

EN: dict[str, str] = {
    "settings.api_keys": "API keys",
    "settings.api_keys_hint": "Let your own tools read calls and manage AVA through the REST API.",
    "api_keys.title": "API keys",
    "api_keys.intro": (
        "A key lets a script or another service call AVA's REST API for this organisation, with only the scopes you "
        "give it. It stops working when it expires, when you revoke it, or when the admin who created it leaves or "
        "is no longer an admin."
    ),
    "api_keys.admin_only": "Only admins can create and revoke API keys.",
    "api_keys.load_error": "The API keys could not be loaded. Reload the page.",
    "api_keys.create": "Create API key",
    "api_keys.create_title": "Create an API key",
    "api_keys.name": "Name",
    "api_keys.name_hint": "What uses it, for example “CRM sync” or “Data warehouse”.",
    "api_keys.name_required": "Name the key after what uses it.",
    "api_keys.scopes": "What the key may do",
    "api_keys.scopes_required": "Choose at least one scope.",
    "api_keys.scope.calls:read": "Read calls",
    "api_keys.scope.calls:write": "Write calls",
    "api_keys.scope.assistant:manage": "Manage numbers and assistant",
    "api_keys.scope.webhooks:manage": "Webhooks",
    "api_keys.scope_hint.calls:read": "Calls, transcripts, summaries and dashboard figures.",
    "api_keys.scope_hint.calls:write": "Delete calls and mark follow-ups done.",
    "api_keys.scope_hint.assistant:manage": "Phone numbers, the assistant and the business setup.",
    "api_keys.scope_hint.webhooks:manage": "Outgoing webhook endpoints.",
    "api_keys.expiry": "Expires",
    "api_keys.expiry.30": "In 30 days",
    "api_keys.expiry.90": "In 90 days",
    "api_keys.expiry.365": "In a year",
    "api_keys.expiry.never": "Never",
    "api_keys.key_once": "Copy your new key now. You will not see it again: AVA keeps only a fingerprint of it.",
    "api_keys.copy": "Copy key",
    "api_keys.copied": "Key copied",
    "api_keys.key_saved": "I have saved it",
    "api_keys.col.name": "Name",
    "api_keys.col.prefix": "Key",
    "api_keys.col.scopes": "Scopes",
    "api_keys.col.created_by": "Created by",
    "api_keys.col.last_used": "Last used",
    "api_keys.col.expires": "Expires",
    "api_keys.col.status": "Status",
    "api_keys.col.actions": "Actions",
    "api_keys.never": "Never",
    "api_keys.status.active": "Active",
    "api_keys.status.expired": "Expired",
    "api_keys.status.revoked": "Revoked",
    "api_keys.revoke": "Revoke",
    "api_keys.revoke_title": "Revoke this API key?",
    "api_keys.revoke_body": "Whatever uses it is refused from its next request. This cannot be undone. Key:",
    "api_keys.revoked": "API key revoked",
    "api_keys.empty_title": "No API keys yet",
    "api_keys.empty_body": "Create one to connect a CRM, a spreadsheet or your own code to your calls.",
    "api_keys.use_title": "Use the API",
    "api_keys.use_intro": (
        "Send the key in the Authorization header of every request. These examples call this server; replace "
        "CALL_ID with the id of one of your calls."
    ),
    "api_keys.example_export": "Keep the key in an environment variable",
    "api_keys.example_list": "List your five latest calls (scope calls:read)",
    "api_keys.example_get": "Get one call with its transcript (scope calls:read)",
    "api_keys.copy_example": "Copy this command",
    "api_keys.use_errors": (
        "401: the key is wrong, expired or revoked. 403: the key lacks the scope the route needs. 429: too many "
        "requests for this key; wait the seconds given in Retry-After."
    ),
    "api_keys.docs_link": "API reference: every route and the scope it needs",
}

FR: dict[str, str] = {
    "settings.api_keys": "Clés d'API",
    "settings.api_keys_hint": "Laissez vos propres outils lire les appels et gérer AVA par l'API REST.",
    "api_keys.title": "Clés d'API",
    "api_keys.intro": (
        "Une clé permet à un script ou à un autre service d'appeler l'API REST d'AVA pour cette organisation, avec "
        "les seules autorisations que vous lui donnez. Elle cesse de fonctionner à son expiration, quand vous la "
        "révoquez, ou quand l'admin qui l'a créée quitte l'organisation ou n'en est plus admin."
    ),
    "api_keys.admin_only": "Seuls les admins peuvent créer et révoquer des clés d'API.",
    "api_keys.load_error": "Les clés d'API n'ont pas pu être chargées. Rechargez la page.",
    "api_keys.create": "Créer une clé d'API",
    "api_keys.create_title": "Créer une clé d'API",
    "api_keys.name": "Nom",
    "api_keys.name_hint": "Ce qui l'utilise, par exemple « Synchro CRM » ou « Entrepôt de données ».",
    "api_keys.name_required": "Nommez la clé d'après ce qui l'utilise.",
    "api_keys.scopes": "Ce que la clé peut faire",
    "api_keys.scopes_required": "Choisissez au moins une autorisation.",
    "api_keys.scope.calls:read": "Lire les appels",
    "api_keys.scope.calls:write": "Modifier les appels",
    "api_keys.scope.assistant:manage": "Gérer les numéros et l'assistant",
    "api_keys.scope.webhooks:manage": "Webhooks",
    "api_keys.scope_hint.calls:read": "Appels, transcriptions, résumés et chiffres du tableau de bord.",
    "api_keys.scope_hint.calls:write": "Supprimer des appels et marquer les suivis comme faits.",
    "api_keys.scope_hint.assistant:manage": "Numéros de téléphone, assistant et réglages de l'entreprise.",
    "api_keys.scope_hint.webhooks:manage": "Webhooks sortants.",
    "api_keys.expiry": "Expiration",
    "api_keys.expiry.30": "Dans 30 jours",
    "api_keys.expiry.90": "Dans 90 jours",
    "api_keys.expiry.365": "Dans un an",
    "api_keys.expiry.never": "Jamais",
    "api_keys.key_once": (
        "Copiez votre nouvelle clé maintenant. Vous ne la reverrez plus : AVA n'en garde qu'une empreinte."
    ),
    "api_keys.copy": "Copier la clé",
    "api_keys.copied": "Clé copiée",
    "api_keys.key_saved": "Je l'ai enregistrée",
    "api_keys.col.name": "Nom",
    "api_keys.col.prefix": "Clé",
    "api_keys.col.scopes": "Autorisations",
    "api_keys.col.created_by": "Créée par",
    "api_keys.col.last_used": "Dernière utilisation",
    "api_keys.col.expires": "Expiration",
    "api_keys.col.status": "État",
    "api_keys.col.actions": "Actions",
    "api_keys.never": "Jamais",
    "api_keys.status.active": "Active",
    "api_keys.status.expired": "Expirée",
    "api_keys.status.revoked": "Révoquée",
    "api_keys.revoke": "Révoquer",
    "api_keys.revoke_title": "Révoquer cette clé d'API ?",
    "api_keys.revoke_body": "Ce qui l'utilise sera refusé dès sa prochaine requête. C'est définitif. Clé :",
    "api_keys.revoked": "Clé d'API révoquée",
    "api_keys.empty_title": "Aucune clé d'API pour l'instant",
    "api_keys.empty_body": "Créez-en une pour relier un CRM, un tableur ou votre propre code à vos appels.",
    "api_keys.use_title": "Utiliser l'API",
    "api_keys.use_intro": (
        "Envoyez la clé dans l'en-tête Authorization de chaque requête. Ces exemples appellent ce serveur ; "
        "remplacez CALL_ID par l'identifiant d'un de vos appels."
    ),
    "api_keys.example_export": "Gardez la clé dans une variable d'environnement",
    "api_keys.example_list": "Lister vos cinq derniers appels (autorisation calls:read)",
    "api_keys.example_get": "Lire un appel et sa transcription (autorisation calls:read)",
    "api_keys.copy_example": "Copier cette commande",
    "api_keys.use_errors": (
        "401 : la clé est fausse, expirée ou révoquée. 403 : il manque à la clé l'autorisation que la route demande. "
        "429 : trop de requêtes pour cette clé ; attendez le nombre de secondes indiqué par Retry-After."
    ),
    "api_keys.docs_link": "Référence de l'API : chaque route et l'autorisation qu'elle demande",
}

FR_SERVICE_MESSAGES: dict[str, str] = {
    "Name the key after what uses it.": "Nommez la clé d'après ce qui l'utilise.",
    "API key not found.": "Clé d'API introuvable.",
    "Choose between 1 and 3650 days, or no expiry.": "Choisissez entre 1 et 3650 jours, ou aucune expiration.",
}

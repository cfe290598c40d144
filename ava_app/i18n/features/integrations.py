"""Strings of /settings/integrations."""

EN: dict[str, str] = {
    "integrations.title": "Integrations",
    "integrations.subtitle": (
        "Use your own Vapi, Twilio, OpenAI or mail accounts. Without them AVA uses its platform accounts "
        "(or the sandbox). Keys are stored encrypted and never shown again."
    ),
    "integrations.own": "Your key",
    "integrations.platform": "AVA's account",
    "integrations.unreadable": "This saved key can no longer be read. Please enter it again.",
    "integrations.keep_saved": "Leave blank to keep the saved value",
    "integrations.save": "Save",
    "integrations.test": "Test connection",
    "integrations.remove": "Remove",
    "integrations.saved": "Saved. The key is stored encrypted.",
    "integrations.removed": "Removed. AVA uses its platform account again.",
    "integrations.admins_only": "Only admins can manage integrations.",
    "integrations.smtp": "Email (SMTP)",
    "integrations.field.api_key": "API key",
    "integrations.field.public_key": "Public key (optional, for browser test calls)",
    "integrations.field.account_sid": "Account SID",
    "integrations.field.auth_token": "Auth token",
    "integrations.field.host": "SMTP host",
    "integrations.field.username": "Username",
    "integrations.field.password": "Password",
    "integrations.field.port": "Port",
    "integrations.field.tls": "Security (none, starttls or ssl)",
    "integrations.error.required": "Needed to save this account.",
    "integrations.error.port": "A port number from 1 to 65535.",
    "integrations.error.tls": "One of none, starttls or ssl.",
    "integrations.error.retype_password": (
        "Type the password again: a saved password is only used with the server it was saved for "
        "(same host, port and security)."
    ),
    "integrations.error.tls_required": (
        "A username and password are only sent over an encrypted connection: choose starttls or ssl."
    ),
    "integrations.error.port_not_allowed": "Mail servers are reached on port 25, 465 or 587.",
    "integrations.error.host_not_allowed": "This address is on a private network: enter the mail server's public name.",
    "integrations.smtp_failed": "The connection test failed. Check the host, port, security, username and password.",
    "audit.action.integration_tested": "Connection tested",
    "settings.integrations": "Integrations",
    "settings.integrations_hint": "Your own Vapi, Twilio, OpenAI and mail accounts, with a connection test.",
}

FR: dict[str, str] = {
    "integrations.title": "Intégrations",
    "integrations.subtitle": (
        "Utilisez vos propres comptes Vapi, Twilio, OpenAI ou e-mail. Sinon AVA utilise ses comptes plateforme "
        "(ou le bac à sable). Les clés sont chiffrées et ne sont plus jamais affichées."
    ),
    "integrations.own": "Votre clé",
    "integrations.platform": "Compte AVA",
    "integrations.unreadable": "Cette clé enregistrée ne peut plus être lue. Saisissez-la à nouveau.",
    "integrations.keep_saved": "Laisser vide pour garder la valeur enregistrée",
    "integrations.save": "Enregistrer",
    "integrations.test": "Tester la connexion",
    "integrations.remove": "Supprimer",
    "integrations.saved": "Enregistré. La clé est stockée chiffrée.",
    "integrations.removed": "Supprimé. AVA utilise de nouveau son compte plateforme.",
    "integrations.admins_only": "Seuls les administrateurs peuvent gérer les intégrations.",
    "integrations.smtp": "E-mail (SMTP)",
    "integrations.field.api_key": "Clé API",
    "integrations.field.public_key": "Clé publique (facultative, pour les appels test depuis le navigateur)",
    "integrations.field.account_sid": "Account SID",
    "integrations.field.auth_token": "Jeton d'authentification",
    "integrations.field.host": "Serveur SMTP",
    "integrations.field.username": "Nom d'utilisateur",
    "integrations.field.password": "Mot de passe",
    "integrations.field.port": "Port",
    "integrations.field.tls": "Sécurité (none, starttls ou ssl)",
    "integrations.error.required": "Nécessaire pour enregistrer ce compte.",
    "integrations.error.port": "Un numéro de port de 1 à 65535.",
    "integrations.error.tls": "none, starttls ou ssl.",
    "integrations.error.retype_password": (
        "Saisissez à nouveau le mot de passe : un mot de passe enregistré ne sert qu'avec le serveur pour lequel "
        "il a été enregistré (même serveur, port et sécurité)."
    ),
    "integrations.error.tls_required": (
        "Un nom d'utilisateur et un mot de passe ne sont envoyés que sur une connexion chiffrée : "
        "choisissez starttls ou ssl."
    ),
    "integrations.error.port_not_allowed": "Les serveurs de messagerie se joignent sur le port 25, 465 ou 587.",
    "integrations.error.host_not_allowed": (
        "Cette adresse est sur un réseau privé : saisissez le nom public du serveur de messagerie."
    ),
    "integrations.smtp_failed": (
        "Le test de connexion a échoué. Vérifiez le serveur, le port, la sécurité, le nom d'utilisateur "
        "et le mot de passe."
    ),
    "audit.action.integration_tested": "Connexion testée",
    "settings.integrations": "Intégrations",
    "settings.integrations_hint": "Vos propres comptes Vapi, Twilio, OpenAI et e-mail, avec un test de connexion.",
}

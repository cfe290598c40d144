"""Strings of the "HubSpot" card of /settings/integrations (CRM connection) and its audit actions."""

EN: dict[str, str] = {
    "crm.subtitle": (
        "After each call, AVA adds the caller to HubSpot (found by phone number), logs the call with its summary and "
        "a link back to AVA, and creates a task when someone needs to call back."
    ),
    "crm.connected": "Connected",
    "crm.broken": "Needs reconnecting",
    "crm.not_connected": "Not connected",
    "crm.broken_body": (
        "HubSpot no longer accepts AVA's access (the app was uninstalled or its token deleted). Calls are not logged "
        "there until you reconnect."
    ),
    "crm.account": "Account:",
    "crm.since": "connected on",
    "crm.via_oauth": "Through the HubSpot app",
    "crm.via_token": "With a private app token",
    "crm.connect_oauth": "Connect with HubSpot",
    "crm.reconnect": "Reconnect",
    "crm.token_label": "Or paste a private app access token",
    "crm.token_help": "In HubSpot: Settings › Integrations › Private apps, with the contacts read and write scopes.",
    "crm.save_token": "Connect",
    "crm.disconnect": "Disconnect",
    "crm.confirm_title": "Disconnect HubSpot?",
    "crm.confirm_body": "AVA stops logging calls in HubSpot. Contacts, calls and tasks it already created stay there.",
    "crm.disconnected": "HubSpot disconnected.",
    "crm.connected_notice": "HubSpot is connected. Your next calls will appear there.",
    "crm.error.crm_token_invalid": "Paste the private app's access token.",
    "crm.error.crm_token_refused": "HubSpot did not accept this token. Check it and its scopes.",
    "crm.error.crm_denied": "The connection was cancelled on HubSpot's page. Nothing was connected.",
    "crm.error.crm_failed": "HubSpot did not complete the connection. Start again.",
    "crm.error.crm_state_invalid": "This connection link is not valid or was already used. Start again.",
    "crm.error.crm_state_expired": "The connection took too long. Start again.",
    "crm.error.crm_state_other_browser": "This connection was started in another browser. Start again from this page.",
    "crm.error.crm_state_other_session": "You are logged in as someone else in this browser. Start again.",
    "crm.error.crm_session_ended": "Your session ended during the connection. Log in and start again.",
    "crm.error.crm_not_admin": "Only an admin of the organisation can connect HubSpot.",
    "crm.error.admin_only": "Only an admin of the organisation can connect HubSpot.",
    "crm.error.crm_code_refused": "HubSpot did not accept the connection. Start again.",
    "crm.error.crm_not_configured": "HubSpot is not set up on this server.",
    "crm.error.crm_unavailable": "HubSpot cannot be reached right now. Try again in a moment.",
    "crm.error.other": "HubSpot could not be connected. Try again.",
    "error.crm_not_connected": "HubSpot is not connected.",
    "error.crm_auth_revoked": "HubSpot needs to be reconnected in Settings › Integrations.",
    "audit.action.crm_connected": "HubSpot connected",
    "audit.action.crm_disconnected": "HubSpot disconnected",
    "audit.action.crm_broken": "HubSpot access lost",
}

FR: dict[str, str] = {
    "crm.subtitle": (
        "Après chaque appel, AVA ajoute l'appelant dans HubSpot (retrouvé par son numéro), y enregistre l'appel avec "
        "son résumé et un lien vers AVA, et crée une tâche quand il faut rappeler."
    ),
    "crm.connected": "Connecté",
    "crm.broken": "À reconnecter",
    "crm.not_connected": "Non connecté",
    "crm.broken_body": (
        "HubSpot n'accepte plus l'accès d'AVA (l'application a été désinstallée ou son jeton supprimé). Les appels n'y "
        "sont plus enregistrés tant que vous ne le reconnectez pas."
    ),
    "crm.account": "Compte :",
    "crm.since": "connecté le",
    "crm.via_oauth": "Par l'application HubSpot",
    "crm.via_token": "Avec un jeton d'application privée",
    "crm.connect_oauth": "Connecter avec HubSpot",
    "crm.reconnect": "Reconnecter",
    "crm.token_label": "Ou collez le jeton d'accès d'une application privée",
    "crm.token_help": (
        "Dans HubSpot : Paramètres › Intégrations › Applications privées, avec les droits de lecture et d'écriture "
        "des contacts."
    ),
    "crm.save_token": "Connecter",
    "crm.disconnect": "Déconnecter",
    "crm.confirm_title": "Déconnecter HubSpot ?",
    "crm.confirm_body": (
        "AVA n'enregistre plus les appels dans HubSpot. Les contacts, appels et tâches déjà créés y restent."
    ),
    "crm.disconnected": "HubSpot déconnecté.",
    "crm.connected_notice": "HubSpot est connecté. Vos prochains appels y apparaîtront.",
    "crm.error.crm_token_invalid": "Collez le jeton d'accès de l'application privée.",
    "crm.error.crm_token_refused": "HubSpot n'a pas accepté ce jeton. Vérifiez-le, ainsi que ses droits.",
    "crm.error.crm_denied": "La connexion a été annulée sur la page de HubSpot. Rien n'a été connecté.",
    "crm.error.crm_failed": "HubSpot n'a pas terminé la connexion. Recommencez.",
    "crm.error.crm_state_invalid": "Ce lien de connexion n'est pas valide ou a déjà servi. Recommencez.",
    "crm.error.crm_state_expired": "La connexion a pris trop de temps. Recommencez.",
    "crm.error.crm_state_other_browser": (
        "Cette connexion a été commencée dans un autre navigateur. Recommencez depuis cette page."
    ),
    "crm.error.crm_state_other_session": "Une autre personne est connectée dans ce navigateur. Recommencez.",
    "crm.error.crm_session_ended": "Votre session a pris fin pendant la connexion. Connectez-vous et recommencez.",
    "crm.error.crm_not_admin": "Seul un administrateur de l'organisation peut connecter HubSpot.",
    "crm.error.admin_only": "Seul un administrateur de l'organisation peut connecter HubSpot.",
    "crm.error.crm_code_refused": "HubSpot n'a pas accepté la connexion. Recommencez.",
    "crm.error.crm_not_configured": "HubSpot n'est pas configuré sur ce serveur.",
    "crm.error.crm_unavailable": "HubSpot est injoignable pour le moment. Réessayez dans un instant.",
    "crm.error.other": "HubSpot n'a pas pu être connecté. Réessayez.",
    "error.crm_not_connected": "HubSpot n'est pas connecté.",
    "error.crm_auth_revoked": "HubSpot doit être reconnecté dans Paramètres › Intégrations.",
    "audit.action.crm_connected": "HubSpot connecté",
    "audit.action.crm_disconnected": "HubSpot déconnecté",
    "audit.action.crm_broken": "Accès à HubSpot perdu",
}

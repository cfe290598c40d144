"""Strings of the "Calendar" section of /settings/integrations (Google and Microsoft 365 connections)."""

EN: dict[str, str] = {
    "calendar.title": "Calendar",
    "calendar.subtitle": (
        "Connect the calendar you already use. AVA never offers a caller a time that is busy in it, and writes every "
        "booking it makes, moves or cancels there. If AVA cannot open it during a call, it takes a message instead."
    ),
    "calendar.connect_google": "Connect Google",
    "calendar.connect_microsoft": "Connect Microsoft",
    "calendar.connected": "Connected",
    "calendar.broken": "Needs reconnecting",
    "calendar.broken_body": (
        "AVA can no longer open this calendar (access was removed or expired). Reconnect it to keep it linked."
    ),
    "calendar.reconnect": "Reconnect",
    "calendar.account": "Account:",
    "calendar.since": "Connected on",
    "calendar.not_connected": "Not connected",
    "calendar.not_available": "Not set up on this server.",
    "calendar.disconnect": "Disconnect",
    "calendar.confirm_title": "Disconnect this calendar?",
    "calendar.confirm_body": (
        "AVA stops reading your busy times and stops writing bookings to it. Events it already wrote stay there."
    ),
    "calendar.disconnected": "Calendar disconnected.",
    "calendar.connected_notice": "{provider} is connected. Your bookings to come are being added to it.",
    "calendar.error.calendar_denied": "The connection was cancelled on the provider's page. Nothing was connected.",
    "calendar.error.calendar_state_invalid": "This connection link is not valid or was already used. Start again.",
    "calendar.error.calendar_state_expired": "The connection took too long. Start again.",
    "calendar.error.calendar_state_other_browser": (
        "This connection was started in another browser. Start again from this page."
    ),
    "calendar.error.calendar_state_other_session": (
        "You are logged in as someone else in this browser. Start again from this page."
    ),
    "calendar.error.calendar_session_ended": "Your session ended during the connection. Log in and start again.",
    "calendar.error.calendar_not_admin": "Only an admin of the organisation can connect its calendar.",
    "calendar.error.admin_only": "Only an admin of the organisation can connect its calendar.",
    "calendar.error.user_required": "Connect the calendar while logged in as a person.",
    "calendar.error.calendar_code_refused": "The provider did not accept the connection. Start again.",
    "calendar.error.calendar_provider_error": "The provider reported a problem. Nothing was connected.",
    "calendar.error.calendar_not_configured": "This calendar provider is not set up on this server.",
    "calendar.error.calendar_unavailable": "The provider cannot be reached right now. Try again in a moment.",
    "calendar.error.other": "The calendar could not be connected. Start again.",
    "error.calendar_broken": "The connected calendar needs to be reconnected in Settings › Integrations.",
    "error.calendar_not_connected": "No calendar of this provider is connected.",
    "audit.action.calendar_connected": "Calendar connected",
    "audit.action.calendar_disconnected": "Calendar disconnected",
    "audit.action.calendar_broken": "Calendar access lost",
}

FR: dict[str, str] = {
    "calendar.title": "Agenda",
    "calendar.subtitle": (
        "Connectez l'agenda que vous utilisez déjà. AVA ne propose jamais à un appelant une heure déjà occupée dans "
        "cet agenda, et y inscrit chaque rendez-vous qu'il prend, déplace ou annule. S'il ne peut pas l'ouvrir "
        "pendant un appel, il prend un message à la place."
    ),
    "calendar.connect_google": "Connecter Google",
    "calendar.connect_microsoft": "Connecter Microsoft",
    "calendar.connected": "Connecté",
    "calendar.broken": "À reconnecter",
    "calendar.broken_body": (
        "AVA ne peut plus ouvrir cet agenda (l'accès a été retiré ou a expiré). Reconnectez-le pour qu'il reste relié."
    ),
    "calendar.reconnect": "Reconnecter",
    "calendar.account": "Compte :",
    "calendar.since": "Connecté le",
    "calendar.not_connected": "Non connecté",
    "calendar.not_available": "Non configuré sur ce serveur.",
    "calendar.disconnect": "Déconnecter",
    "calendar.confirm_title": "Déconnecter cet agenda ?",
    "calendar.confirm_body": (
        "AVA cesse de lire vos disponibilités et d'y inscrire les rendez-vous. Les événements déjà inscrits restent."
    ),
    "calendar.disconnected": "Agenda déconnecté.",
    "calendar.connected_notice": "{provider} est connecté. Vos rendez-vous à venir y sont ajoutés.",
    "calendar.error.calendar_denied": "La connexion a été annulée sur la page du fournisseur. Rien n'a été connecté.",
    "calendar.error.calendar_state_invalid": "Ce lien de connexion n'est pas valide ou a déjà servi. Recommencez.",
    "calendar.error.calendar_state_expired": "La connexion a pris trop de temps. Recommencez.",
    "calendar.error.calendar_state_other_browser": (
        "Cette connexion a été commencée dans un autre navigateur. Recommencez depuis cette page."
    ),
    "calendar.error.calendar_state_other_session": (
        "Vous êtes connecté sous un autre compte dans ce navigateur. Recommencez depuis cette page."
    ),
    "calendar.error.calendar_session_ended": (
        "Votre session a pris fin pendant la connexion. Reconnectez-vous et recommencez."
    ),
    "calendar.error.calendar_not_admin": "Seul un administrateur de l'organisation peut connecter son agenda.",
    "calendar.error.admin_only": "Seul un administrateur de l'organisation peut connecter son agenda.",
    "calendar.error.user_required": "Connectez l'agenda en étant connecté en personne.",
    "calendar.error.calendar_code_refused": "Le fournisseur n'a pas accepté la connexion. Recommencez.",
    "calendar.error.calendar_provider_error": "Le fournisseur a signalé un problème. Rien n'a été connecté.",
    "calendar.error.calendar_not_configured": "Ce fournisseur d'agenda n'est pas configuré sur ce serveur.",
    "calendar.error.calendar_unavailable": "Le fournisseur est injoignable pour le moment. Réessayez dans un instant.",
    "calendar.error.other": "L'agenda n'a pas pu être connecté. Recommencez.",
    "error.calendar_broken": "L'agenda connecté doit être reconnecté dans Paramètres › Intégrations.",
    "error.calendar_not_connected": "Aucun agenda de ce fournisseur n'est connecté.",
    "audit.action.calendar_connected": "Agenda connecté",
    "audit.action.calendar_disconnected": "Agenda déconnecté",
    "audit.action.calendar_broken": "Accès à l'agenda perdu",
}

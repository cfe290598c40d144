"""Strings of /settings/privacy: redaction of personal data, and what AVA keeps about calls."""

EN: dict[str, str] = {
    "settings.privacy": "Privacy",
    "settings.privacy_hint": "What AVA takes out of calls and what it keeps",
    "privacy.title": "Privacy",
    "privacy.redact": "Take personal data out of calls",
    "privacy.redact_hint": (
        "Card numbers, bank accounts and ID numbers (social security, national insurance, NHS…) are replaced by a "
        "label such as [card number] before AVA stores, emails or sends anything, even when read out digit by digit."
    ),
    "privacy.default_note": (
        "On by default for clinics and law firms, off for other businesses, until an admin chooses."
    ),
    "privacy.also": "Also take out",
    "privacy.emails": "Email addresses",
    "privacy.emails_hint": "Turn this off if you want callers' addresses in your summaries.",
    "privacy.other_phones": "Phone numbers other than the caller's own",
    "privacy.other_phones_hint": "The number the call came from is always kept, so you can call back.",
    "privacy.birth_dates": "Dates of birth",
    "privacy.birth_dates_hint": 'A date said after "born" or "date of birth".',
    "privacy.applies": "Applies to calls from now on. Turning it on, or adding a kind, also takes that data out of "
    "the calls already stored, within minutes. Turning it off puts nothing back.",
    "privacy.save": "Save",
    "privacy.saved": "Privacy settings saved.",
    "privacy.admin_only": "Only admins can change these settings.",
    "privacy.load_error": "Privacy settings could not be loaded. Reload the page to try again.",
    "privacy.keeps": "What AVA keeps",
    "privacy.keeps.calls": (
        "Calls: who called, when, how long, the transcript, the AI summary and the details the assistant noted. "
        "Kept for the period you choose above, or until you delete the call. A deleted call can be restored from "
        "Recently deleted for the days you choose there (7 by default), then it is erased for good."
    ),
    "privacy.keeps.recordings": (
        "Recordings: copied from the voice provider into AVA's own storage, played only to members of your team. "
        "The retention period, and the end of a deleted call's grace, delete AVA's copy and the providers' copies "
        "(the voice provider's, and Twilio's for a voicemail)."
    ),
    "privacy.keeps.messages": (
        "Emails and texts AVA sent for you (summaries, digests, booking confirmations): kept with their delivery "
        "status so you can see that nothing failed."
    ),
    "privacy.keeps.raw": (
        "The provider's raw call messages: kept for support and to replay a call that failed to process, 30 days at "
        "most. With redaction on, they are redacted like the transcript."
    ),
    "privacy.keeps.audit": "The audit log: who changed what in your organisation, with the time.",
    "privacy.keeps.exports": "Exports you prepare below: kept two days after they are ready, then deleted.",
    "audit.action.privacy_redaction_changed": "Privacy redaction changed",
    "audit.action.privacy_redaction_applied": "Redaction applied to stored calls",
    "call.content_purged": (
        "The transcript, summary and noted details of this call were deleted after the period set in Settings › "
        "Privacy. Who called, when and for how long are kept."
    ),
    "caller.title": "A caller's data",
    "caller.intro": (
        "When a caller asks what AVA holds about them, or asks you to erase it: find them by phone number or e-mail, "
        "download everything, or erase it here and at the voice provider."
    ),
    "caller.query": "Phone number or e-mail address",
    "caller.find": "Find",
    "caller.not_a_caller": "Type a phone number (as you would dial it) or an e-mail address.",
    "caller.found_for": "AVA holds about",
    "caller.nothing": "AVA holds nothing about",
    "caller.count.calls": "calls (with their recordings and transcripts)",
    "caller.count.bookings": "bookings",
    "caller.count.messages": "emails and texts sent to them or naming them",
    "caller.count.raw": "raw provider messages",
    "caller.export": "Prepare a download (ZIP)",
    "caller.erase": "Erase everything",
    "caller.erase_title": "Erase this caller's data?",
    "caller.erase_body": (
        "Their calls, recordings, transcripts, bookings and the messages about them are deleted from AVA and from the "
        "voice provider. This cannot be undone. Caller:"
    ),
    "caller.erase_confirm": "Erase for good",
    "caller.erased": (
        "Erased for {caller}. Calls: {calls}, bookings: {bookings}, messages: {messages}, raw provider messages: "
        "{raw}. A STOP they sent is kept, so AVA never texts them again."
    ),
    "audit.action.caller_erased": "A caller's data erased",
    "data_export.title": "Downloads of your data",
    "data_export.intro": (
        "A ZIP with the data as JSON files and the recordings AVA holds. It is prepared in the background, so you can "
        "leave this page; the file is deleted two days after it is ready."
    ),
    "data_export.organisation": "Export all of the business's data",
    "data_export.queued": "Export started: its progress shows under Downloads of your data.",
    "data_export.none": "Nothing exported yet.",
    "data_export.caller_title": "Caller {caller}",
    "data_export.organisation_title": "All of the business's data",
    "data_export.requested": "Asked {when}",
    "data_export.progress": "{done} of {total} items written",
    "data_export.ready_until": "{size}, available until {until}",
    "data_export.size_kb": "{size} kB",
    "data_export.size_mb": "{size} MB",
    "data_export.status.queued": "Waiting to start",
    "data_export.status.running": "Being prepared",
    "data_export.status.ready": "Ready",
    "data_export.status.failed": "Failed",
    "data_export.status.expired": "Expired: the file was deleted",
    "data_export.error.failed": "The export could not be prepared. Try again; if it fails again, contact support.",
    "data_export.error.not_admin": "The person who asked is no longer an admin. An admin can try again.",
    "data_export.error.interrupted": "The export was interrupted. Try again.",
    "data_export.error.caller_erased": (
        "Withdrawn: a caller was erased after this export was started, and it held their data. Export again."
    ),
    "data_export.download": "Download",
    "data_export.retry": "Try again",
    "data_export.progress_label": "Export progress",
    "error.export_not_ready": "This export is not ready or has expired. Reload the page.",
    "audit.action.data_export_requested": "Data export requested",
    "audit.action.data_export_downloaded": "Data export downloaded",
    "org_delete.title": "Delete this organisation",
    "org_delete.intro": (
        "Everything of this business is deleted seven days from now: calls, recordings, bookings, settings and the "
        "team's access. Its numbers are released and its assistant is deleted at the voice provider. You can cancel "
        "until then, and download what you need meanwhile."
    ),
    "org_delete.type_name": "Type the organisation's name to confirm",
    "org_delete.submit": "Delete in 7 days",
    "org_delete.mismatch": "That is not this organisation's name. Type it exactly as shown at the top of the page.",
    "org_delete.scheduled": "The organisation will be deleted in 7 days. You can cancel until then.",
    "org_delete.banner": "This organisation and all its data will be deleted on",
    "org_delete.banner_cancel": "Cancel the deletion",
    "org_delete.cancel": "Keep this organisation",
    "org_delete.cancelled": "The deletion is cancelled: nothing will be deleted.",
    "audit.action.org_deletion_requested": "Organisation deletion requested",
    "audit.action.org_deletion_cancelled": "Organisation deletion cancelled",
    "account_delete.title": "Delete my account",
    "account_delete.intro": (
        "Your account, your sessions and the API keys you created are deleted. Organisations keep their calls and "
        "data. If you are the only admin of an organisation, make someone else admin first, or delete that "
        "organisation (Settings › Privacy)."
    ),
    "account_delete.password": "Your password, to confirm",
    "account_delete.email": "Your email address, to confirm",
    "account_delete.submit": "Delete my account",
    "account_delete.confirm_needed": "Type it to confirm it is you.",
    "account_delete.wrong_password": "That is not your password.",
    "account_delete.wrong_email": "That is not your account's email address.",
    "account_delete.dialog_title": "Delete your account for good?",
    "account_delete.dialog_body": "You will be logged out everywhere. This cannot be undone.",
    "account_delete.dialog_confirm": "Delete my account",
    "account_delete.done": "Your account is deleted.",
    "error.account_hand_over": "{organisation} would have no admin left. Make someone else admin of it first.",
    "error.account_alone": (
        "You are alone in {organisation}. Delete that organisation first (Settings › Privacy), or invite someone to "
        "take it over."
    ),
    "audit.action.account_deleted": "A member deleted their account",
    "retention.title": "How long AVA keeps it",
    "retention.intro": (
        "Every night AVA deletes what is older than you chose, here and at the voice provider. The calls stay in your "
        "counts and charts."
    ),
    "retention.recordings": "Recordings",
    "retention.recordings_hint": "After this, the recording is deleted from AVA and from the voice provider.",
    "retention.transcripts": "Transcripts, summaries and noted details",
    "retention.transcripts_hint": "After this, the call keeps its caller, time and length only.",
    "retention.payloads": "Raw provider messages",
    "retention.payloads_hint": "Kept for support; 30 days at most.",
    "retention.days.7": "7 days",
    "retention.days.14": "14 days",
    "retention.days.30": "30 days",
    "retention.days.90": "90 days",
    "retention.days.180": "6 months",
    "retention.days.365": "1 year",
    "retention.days.730": "2 years",
    "retention.days.forever": "Until I delete the call",
    "retention.save": "Save periods",
    "retention.saved": "Retention periods saved.",
    "audit.action.retention_changed": "Retention periods changed",
    "audit.action.retention_purged": "Old call data deleted",
}

FR: dict[str, str] = {
    "settings.privacy": "Confidentialité",
    "settings.privacy_hint": "Ce qu'AVA retire des appels et ce qu'elle conserve",
    "privacy.title": "Confidentialité",
    "privacy.redact": "Retirer les données personnelles des appels",
    "privacy.redact_hint": (
        "Les numéros de carte, de compte bancaire et d'identité (sécurité sociale, AVS, registre national…) sont "
        "remplacés par une mention comme [numéro de carte] avant qu'AVA n'enregistre, n'envoie ou ne transmette quoi "
        "que ce soit, même dictés chiffre par chiffre."
    ),
    "privacy.default_note": (
        "Activé par défaut pour les cabinets médicaux et d'avocats, désactivé pour les autres, jusqu'au choix d'un "
        "administrateur."
    ),
    "privacy.also": "Retirer aussi",
    "privacy.emails": "Les adresses e-mail",
    "privacy.emails_hint": "Laissez désactivé si vous voulez l'adresse des appelants dans vos résumés.",
    "privacy.other_phones": "Les numéros de téléphone autres que celui de l'appelant",
    "privacy.other_phones_hint": "Le numéro d'où vient l'appel est toujours conservé, pour que vous puissiez rappeler.",
    "privacy.birth_dates": "Les dates de naissance",
    "privacy.birth_dates_hint": "Une date dite après « né le » ou « date de naissance ».",
    "privacy.applies": "S'applique aux appels à venir. L'activer, ou ajouter un type de données, les retire aussi "
    "des appels déjà enregistrés, en quelques minutes. Le désactiver ne remet rien.",
    "privacy.save": "Enregistrer",
    "privacy.saved": "Réglages de confidentialité enregistrés.",
    "privacy.admin_only": "Seuls les administrateurs peuvent modifier ces réglages.",
    "privacy.load_error": "Impossible de charger les réglages de confidentialité. Rechargez la page pour réessayer.",
    "privacy.keeps": "Ce qu'AVA conserve",
    "privacy.keeps.calls": (
        "Les appels : qui a appelé, quand, combien de temps, la transcription, le résumé et les informations notées "
        "par l'assistant. Conservés pendant la durée choisie ci-dessus, ou jusqu'à ce que vous supprimiez l'appel. Un "
        "appel supprimé peut être restauré depuis Récemment supprimés pendant le nombre de jours choisi (7 par "
        "défaut), puis il est effacé définitivement."
    ),
    "privacy.keeps.recordings": (
        "Les enregistrements : copiés depuis le fournisseur vocal dans le stockage d'AVA, écoutés seulement par votre "
        "équipe. La durée de conservation, et la fin du délai d'un appel supprimé, effacent la copie d'AVA et celles "
        "des fournisseurs (le fournisseur vocal, et Twilio pour un message vocal)."
    ),
    "privacy.keeps.messages": (
        "Les e-mails et SMS envoyés par AVA pour vous (résumés, récapitulatifs, confirmations de rendez-vous) : "
        "conservés avec leur statut d'envoi, pour que vous voyiez que rien n'a échoué."
    ),
    "privacy.keeps.raw": (
        "Les messages bruts du fournisseur : conservés pour le support et pour retraiter un appel qui a échoué, 30 "
        "jours au plus. Quand le retrait est activé, ils sont expurgés comme la transcription."
    ),
    "privacy.keeps.audit": "Le journal d'audit : qui a modifié quoi dans votre organisation, et quand.",
    "privacy.keeps.exports": "Les exports que vous préparez ci-dessous : conservés deux jours une fois prêts, puis "
    "supprimés.",
    "audit.action.privacy_redaction_changed": "Retrait des données personnelles modifié",
    "audit.action.privacy_redaction_applied": "Données personnelles retirées des appels enregistrés",
    "call.content_purged": (
        "La transcription, le résumé et les informations notées de cet appel ont été supprimés après la durée choisie "
        "dans Paramètres › Confidentialité. L'appelant, l'heure et la durée sont conservés."
    ),
    "caller.title": "Les données d'un appelant",
    "caller.intro": (
        "Quand un appelant demande ce qu'AVA conserve sur lui, ou demande son effacement : retrouvez-le par son numéro "
        "ou son e-mail, téléchargez tout, ou effacez tout ici et chez le fournisseur vocal."
    ),
    "caller.query": "Numéro de téléphone ou adresse e-mail",
    "caller.find": "Rechercher",
    "caller.not_a_caller": "Saisissez un numéro de téléphone (comme vous le composeriez) ou une adresse e-mail.",
    "caller.found_for": "AVA conserve sur",
    "caller.nothing": "AVA ne conserve rien sur",
    "caller.count.calls": "appels (avec enregistrements et transcriptions)",
    "caller.count.bookings": "rendez-vous",
    "caller.count.messages": "e-mails et SMS envoyés à cette personne ou la nommant",
    "caller.count.raw": "messages bruts du fournisseur",
    "caller.export": "Préparer un téléchargement (ZIP)",
    "caller.erase": "Tout effacer",
    "caller.erase_title": "Effacer les données de cet appelant ?",
    "caller.erase_body": (
        "Ses appels, enregistrements, transcriptions, rendez-vous et les messages le concernant sont supprimés d'AVA "
        "et du fournisseur vocal. C'est définitif. Appelant :"
    ),
    "caller.erase_confirm": "Effacer définitivement",
    "caller.erased": (
        "Effacé pour {caller}. Appels : {calls}, rendez-vous : {bookings}, messages : {messages}, messages bruts du "
        "fournisseur : {raw}. Un STOP envoyé est conservé, pour qu'AVA ne lui écrive plus jamais."
    ),
    "audit.action.caller_erased": "Données d'un appelant effacées",
    "data_export.title": "Téléchargements de vos données",
    "data_export.intro": (
        "Un ZIP avec les données en fichiers JSON et les enregistrements conservés par AVA. Il est préparé en "
        "arrière-plan : vous pouvez quitter cette page. Le fichier est supprimé deux jours après être prêt."
    ),
    "data_export.organisation": "Exporter toutes les données de l'entreprise",
    "data_export.queued": "Export lancé : son avancement s'affiche sous Téléchargements de vos données.",
    "data_export.none": "Aucun export pour l'instant.",
    "data_export.caller_title": "Appelant {caller}",
    "data_export.organisation_title": "Toutes les données de l'entreprise",
    "data_export.requested": "Demandé le {when}",
    "data_export.progress": "{done} éléments écrits sur {total}",
    "data_export.ready_until": "{size}, disponible jusqu'au {until}",
    "data_export.size_kb": "{size} ko",
    "data_export.size_mb": "{size} Mo",
    "data_export.status.queued": "En attente",
    "data_export.status.running": "En préparation",
    "data_export.status.ready": "Prêt",
    "data_export.status.failed": "Échec",
    "data_export.status.expired": "Expiré : le fichier a été supprimé",
    "data_export.error.failed": (
        "L'export n'a pas pu être préparé. Réessayez ; si cela échoue encore, contactez le support."
    ),
    "data_export.error.not_admin": "La personne qui l'a demandé n'est plus admin. Un admin peut réessayer.",
    "data_export.error.interrupted": "L'export a été interrompu. Réessayez.",
    "data_export.error.caller_erased": (
        "Retiré : un appelant a été effacé après le début de cet export, qui contenait ses données. Exportez à nouveau."
    ),
    "data_export.download": "Télécharger",
    "data_export.retry": "Réessayer",
    "data_export.progress_label": "Avancement de l'export",
    "error.export_not_ready": "Cet export n'est pas prêt ou a expiré. Rechargez la page.",
    "audit.action.data_export_requested": "Export de données demandé",
    "audit.action.data_export_downloaded": "Export de données téléchargé",
    "org_delete.title": "Supprimer cette organisation",
    "org_delete.intro": (
        "Tout ce qui concerne cette entreprise est supprimé dans sept jours : appels, enregistrements, rendez-vous, "
        "réglages et accès de l'équipe. Ses numéros sont libérés et son assistant supprimé chez le fournisseur vocal. "
        "Vous pouvez annuler d'ici là, et télécharger ce dont vous avez besoin."
    ),
    "org_delete.type_name": "Saisissez le nom de l'organisation pour confirmer",
    "org_delete.submit": "Supprimer dans 7 jours",
    "org_delete.mismatch": (
        "Ce n'est pas le nom de cette organisation. Saisissez-le tel qu'il s'affiche en haut de la page."
    ),
    "org_delete.scheduled": "L'organisation sera supprimée dans 7 jours. Vous pouvez annuler d'ici là.",
    "org_delete.banner": "Cette organisation et toutes ses données seront supprimées le",
    "org_delete.banner_cancel": "Annuler la suppression",
    "org_delete.cancel": "Garder cette organisation",
    "org_delete.cancelled": "Suppression annulée : rien ne sera supprimé.",
    "audit.action.org_deletion_requested": "Suppression de l'organisation demandée",
    "audit.action.org_deletion_cancelled": "Suppression de l'organisation annulée",
    "account_delete.title": "Supprimer mon compte",
    "account_delete.intro": (
        "Votre compte, vos sessions et les clés d'API que vous avez créées sont supprimés. Les organisations gardent "
        "leurs appels et leurs données. Si vous êtes le seul administrateur d'une organisation, nommez d'abord "
        "quelqu'un d'autre administrateur, ou supprimez cette organisation (Paramètres › Confidentialité)."
    ),
    "account_delete.password": "Votre mot de passe, pour confirmer",
    "account_delete.email": "Votre adresse e-mail, pour confirmer",
    "account_delete.submit": "Supprimer mon compte",
    "account_delete.confirm_needed": "Saisissez-le pour confirmer que c'est bien vous.",
    "account_delete.wrong_password": "Ce n'est pas votre mot de passe.",
    "account_delete.wrong_email": "Ce n'est pas l'adresse e-mail de votre compte.",
    "account_delete.dialog_title": "Supprimer définitivement votre compte ?",
    "account_delete.dialog_body": "Vous serez déconnecté partout. C'est définitif.",
    "account_delete.dialog_confirm": "Supprimer mon compte",
    "account_delete.done": "Votre compte est supprimé.",
    "error.account_hand_over": (
        "{organisation} n'aurait plus d'administrateur. Nommez d'abord quelqu'un d'autre administrateur."
    ),
    "error.account_alone": (
        "Vous êtes seul dans {organisation}. Supprimez d'abord cette organisation (Paramètres › Confidentialité), ou "
        "invitez quelqu'un à la reprendre."
    ),
    "audit.action.account_deleted": "Un membre a supprimé son compte",
    "retention.title": "Combien de temps AVA conserve",
    "retention.intro": (
        "Chaque nuit, AVA supprime ce qui est plus ancien que votre choix, chez elle et chez le fournisseur vocal. Les "
        "appels restent dans vos totaux et graphiques."
    ),
    "retention.recordings": "Enregistrements",
    "retention.recordings_hint": "Ensuite, l'enregistrement est supprimé d'AVA et du fournisseur vocal.",
    "retention.transcripts": "Transcriptions, résumés et informations notées",
    "retention.transcripts_hint": "Ensuite, l'appel ne garde que l'appelant, l'heure et la durée.",
    "retention.payloads": "Messages bruts du fournisseur",
    "retention.payloads_hint": "Conservés pour le support ; 30 jours au plus.",
    "retention.days.7": "7 jours",
    "retention.days.14": "14 jours",
    "retention.days.30": "30 jours",
    "retention.days.90": "90 jours",
    "retention.days.180": "6 mois",
    "retention.days.365": "1 an",
    "retention.days.730": "2 ans",
    "retention.days.forever": "Jusqu'à ce que je supprime l'appel",
    "retention.save": "Enregistrer les durées",
    "retention.saved": "Durées de conservation enregistrées.",
    "audit.action.retention_changed": "Durées de conservation modifiées",
    "audit.action.retention_purged": "Anciennes données d'appels supprimées",
}

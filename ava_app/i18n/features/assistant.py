"""Strings of /assistant."""

EN: dict[str, str] = {
    "assistant.title": "Assistant",
    "assistant.subtitle": "How your receptionist speaks, what it knows and how it ends calls.",
    "assistant.save": "Save",
    "assistant.saving": "Saving…",
    "assistant.pushing": "Sending your changes to the voice provider…",
    "assistant.fix_errors": "Some fields need a change; see the messages under them.",
    "assistant.synced_toast": "Saved. Your assistant is up to date on the phone line.",
    "assistant.not_synced_toast": "Saved in AVA, but not yet on the phone line. It will retry; you can retry now.",
    "assistant.sync.synced": "Live on the phone line",
    "assistant.sync.pending": "Sending to the voice provider…",
    "assistant.sync.failed": "Not yet synced",
    "assistant.retry": "Retry now",
    "assistant.version": "Version",
    "assistant.tab.voice": "Voice",
    "assistant.tab.instructions": "Instructions",
    "assistant.tab.knowledge": "Knowledge base",
    "assistant.tab.calls": "Call handling",
    "assistant.tab.industry": "Industry preset",
    "assistant.tab.history": "History",
    "assistant.tab.test": "Test call",
    "assistant.test_hint": (
        "Try your assistant as a caller would: type what a caller says and read its answers. The call is saved as a "
        "test call, with its summary."
    ),
    "assistant.hours_elsewhere": "Opening hours and the forwarding number are set per number in",
    "assistant.numbers_link": "Phone numbers",
    "assistant.system_prompt": "Instructions (system prompt)",
    "assistant.conversation_rules": "Conversation rules",
    "assistant.conversation_rules_hint": "When to hand over to a person, what never to say.",
    "assistant.preset_reference": "Your industry preset's instructions, for reference",
    "assistant.use_preset": "Use the preset's text",
    "assistant.faq_empty": "No questions yet. Add the ones your callers ask most.",
    "assistant.faq_add": "Add a question",
    "assistant.faq_question": "Question",
    "assistant.faq_answer": "Answer",
    "assistant.faq_save": "Save the question",
    "assistant.faq_edit": "Edit",
    "assistant.faq_delete": "Delete",
    "assistant.faq_up": "Move up",
    "assistant.faq_down": "Move down",
    "assistant.faq_import": "Import from text",
    "assistant.faq_import_hint": (
        "Paste questions and answers: one per line as “Question? Answer”, or “Q: …” then “A: …”."
    ),
    "assistant.faq_import_button": "Import",
    "assistant.end_call_message": "Goodbye message",
    "assistant.voicemail_message": "Voicemail message",
    "assistant.max_minutes": "Longest call (minutes)",
    "assistant.max_minutes_hint": "Between 1 and 60 minutes.",
    "assistant.preset_hint": (
        "Applying a preset replaces the persona, instructions, greeting and questions with the industry's, in the "
        "interface language. The current settings stay in the history."
    ),
    "assistant.preset_confirm_title": "Apply this industry preset?",
    "assistant.preset_confirm": "Apply the preset",
    "assistant.history_empty": "No earlier versions yet: each save keeps the previous one here.",
    "assistant.restore": "Restore",
    "assistant.restore_confirm_title": "Restore this version?",
    "assistant.restore_confirm_body": "The current settings are kept in the history, so you can come back to them.",
    "assistant.restored": "Version {version} restored.",
    "assistant.read_only": "You have read-only access: ask an admin to change the assistant.",
    "nav.onboarding": "Setup",
}

FR: dict[str, str] = {
    "assistant.title": "Assistant",
    "assistant.subtitle": "Comment votre réceptionniste parle, ce qu'il sait et comment il termine les appels.",
    "assistant.save": "Enregistrer",
    "assistant.saving": "Enregistrement…",
    "assistant.pushing": "Envoi de vos modifications au fournisseur vocal…",
    "assistant.fix_errors": "Certains champs sont à corriger ; voyez les messages en dessous.",
    "assistant.synced_toast": "Enregistré. Votre assistant est à jour sur la ligne.",
    "assistant.not_synced_toast": (
        "Enregistré dans AVA, mais pas encore sur la ligne. Nouvel essai automatique ; vous pouvez réessayer."
    ),
    "assistant.sync.synced": "En ligne",
    "assistant.sync.pending": "Envoi au fournisseur vocal…",
    "assistant.sync.failed": "Pas encore synchronisé",
    "assistant.retry": "Réessayer",
    "assistant.version": "Version",
    "assistant.tab.voice": "Voix",
    "assistant.tab.instructions": "Instructions",
    "assistant.tab.knowledge": "Base de connaissances",
    "assistant.tab.calls": "Gestion des appels",
    "assistant.tab.industry": "Modèle d'activité",
    "assistant.tab.history": "Historique",
    "assistant.tab.test": "Appel test",
    "assistant.test_hint": (
        "Essayez votre assistant comme le ferait un appelant : tapez ce que dit l'appelant et lisez ses réponses. "
        "L'appel est enregistré comme appel test, avec son résumé."
    ),
    "assistant.hours_elsewhere": "Les horaires et le numéro de transfert se règlent par numéro dans",
    "assistant.numbers_link": "Numéros",
    "assistant.system_prompt": "Instructions (prompt système)",
    "assistant.conversation_rules": "Règles de conversation",
    "assistant.conversation_rules_hint": "Quand passer la main à une personne, ce qu'il ne faut jamais dire.",
    "assistant.preset_reference": "Les instructions du modèle de votre activité, pour référence",
    "assistant.use_preset": "Reprendre le texte du modèle",
    "assistant.faq_empty": "Aucune question pour l'instant. Ajoutez celles que vos clients posent le plus.",
    "assistant.faq_add": "Ajouter une question",
    "assistant.faq_question": "Question",
    "assistant.faq_answer": "Réponse",
    "assistant.faq_save": "Enregistrer la question",
    "assistant.faq_edit": "Modifier",
    "assistant.faq_delete": "Supprimer",
    "assistant.faq_up": "Monter",
    "assistant.faq_down": "Descendre",
    "assistant.faq_import": "Importer depuis un texte",
    "assistant.faq_import_hint": (
        "Collez des questions-réponses : une par ligne « Question ? Réponse », ou « Q : … » puis « R : … »."
    ),
    "assistant.faq_import_button": "Importer",
    "assistant.end_call_message": "Message de fin d'appel",
    "assistant.voicemail_message": "Message de messagerie vocale",
    "assistant.max_minutes": "Durée maximale d'un appel (minutes)",
    "assistant.max_minutes_hint": "Entre 1 et 60 minutes.",
    "assistant.preset_hint": (
        "Appliquer un modèle remplace la personnalité, les instructions, l'accueil et les questions par ceux de "
        "l'activité, dans la langue de l'interface. Les réglages actuels restent dans l'historique."
    ),
    "assistant.preset_confirm_title": "Appliquer ce modèle d'activité ?",
    "assistant.preset_confirm": "Appliquer le modèle",
    "assistant.history_empty": "Aucune version antérieure : chaque enregistrement garde ici la précédente.",
    "assistant.restore": "Restaurer",
    "assistant.restore_confirm_title": "Restaurer cette version ?",
    "assistant.restore_confirm_body": "Les réglages actuels restent dans l'historique : vous pourrez y revenir.",
    "assistant.restored": "Version {version} restaurée.",
    "assistant.read_only": "Accès en lecture seule : demandez à un administrateur de modifier l'assistant.",
    "nav.onboarding": "Configuration",
}

FR_SERVICE_MESSAGES: dict[str, str] = {
    "Some settings are not valid.": "Certains réglages ne sont pas valides.",
    "This field cannot be empty.": "Ce champ ne peut pas être vide.",
    "The assistant's name is required.": "Le nom de l'assistant est obligatoire.",
    "The greeting is required.": "Le message d'accueil est obligatoire.",
    "This Vapi voice does not exist; choose one from the list.": "Cette voix n'existe pas ; choisissez-en une.",
    "Get or import a phone number first.": "Obtenez ou importez d'abord un numéro de téléphone.",
    "Choose your industry first.": "Choisissez d'abord votre activité.",
    "Say something as the caller before ending the test call.": (
        "Dites quelque chose en tant qu'appelant avant de raccrocher."
    ),
    # The knowledge base's entries, numbered from 1 (``{n}``: see ``translate_message``).
    "Question {n} is empty.": "La question {n} est vide.",
    "Question {n} can be at most {n} characters.": "La question {n} peut compter au plus {n} caractères.",
    "The answer to question {n} is empty.": "La réponse à la question {n} est vide.",
    "The answer to question {n} can be at most {n} characters.": (
        "La réponse à la question {n} peut compter au plus {n} caractères."
    ),
}

"""Chaînes de l'interface en français. Mêmes clés que en.py."""

MESSAGES: dict[str, str] = {
    "app.name": "AVA",
    "app.tagline": "Votre réceptionniste IA répond à chaque appel.",
    "nav.dashboard": "Tableau de bord",
    "nav.calls": "Appels",
    "nav.phone_numbers": "Numéros",
    "nav.assistant": "Assistant",
    "nav.settings": "Paramètres",
    "nav.outbox": "Boîte d'envoi (dev)",
    "nav.menu": "Ouvrir le menu",
    "shell.language": "Langue",
    "shell.theme": "Basculer entre thème clair et sombre",
    "shell.user_menu": "Menu du compte",
    "shell.logout": "Se déconnecter",
    "shell.organisation": "Organisation",
    "shell.sandbox": "Mode bac à sable",
    "shell.sandbox_hint": "Aucune clé fournisseur : appels, numéros, e-mails et SMS passent par des émulateurs locaux.",
    "login.title": "Connexion à AVA",
    "login.subtitle": "Bon retour. Votre réceptionniste a continué de répondre en votre absence.",
    "login.email": "E-mail",
    "login.password": "Mot de passe",
    "login.submit": "Se connecter",
    "login.no_account": "Pas encore de compte ?",
    "login.signup": "Créer un compte",
    "login.forgot": "Mot de passe oublié ?",
    "login.with_password": "Mot de passe",
    "login.with_magic_link": "Lien par e-mail",
    "login.with_sms": "Code SMS",
    "dashboard.title": "Tableau de bord",
    "dashboard.empty_title": "Aucun appel pour l'instant",
    "dashboard.empty_body": "Dès que votre assistant répond à son premier appel, il apparaît ici avec un résumé.",
    "outbox.title": "Boîte d'envoi (dev)",
    "outbox.subtitle": "E-mails et SMS envoyés par AVA en mode bac à sable. Les liens fonctionnent.",
    "outbox.empty": (
        "Rien n'a encore été envoyé. Inscrivez-vous ou demandez un lien de connexion et le message apparaîtra ici."
    ),
    "outbox.refresh": "Actualiser",
    "outbox.to": "À",
    "outbox.status": "Statut",
    "outbox.channel.email": "E-mail",
    "outbox.channel.sms": "SMS",
    "error.rate_limited": "Trop de tentatives. Réessayez dans {retry_after} secondes.",
    "error.session_ended": "Votre session a expiré. Veuillez vous reconnecter.",
    "error.read_only": "Les lecteurs ont un accès en lecture seule.",
    "common.loading": "Chargement…",
    "common.not_found": "Page introuvable",
    "common.back_home": "Retour à AVA",
}


# Services speak English; their user-facing messages are translated here by their exact English text.
SERVICE_MESSAGES: dict[str, str] = {
    "Invalid email or password.": "E-mail ou mot de passe incorrect.",
    "Enter a valid email address.": "Saisissez une adresse e-mail valide.",
    "Enter your name.": "Saisissez votre nom.",
    "Enter the name of your business.": "Saisissez le nom de votre entreprise.",
    "This login link is invalid or has expired.": "Ce lien de connexion est invalide ou a expiré.",
    "This code is invalid or has expired.": "Ce code est invalide ou a expiré.",
    "This link is invalid or has expired.": "Ce lien est invalide ou a expiré.",
    "Please log in again.": "Veuillez vous reconnecter.",
    "The current password is wrong.": "Le mot de passe actuel est incorrect.",
    "Wrong password.": "Mot de passe incorrect.",
    "Please choose a stronger password.": "Choisissez un mot de passe plus solide.",
    "An account already exists for this email. Log in instead.": (
        "Un compte existe déjà pour cet e-mail. Connectez-vous plutôt."
    ),
}

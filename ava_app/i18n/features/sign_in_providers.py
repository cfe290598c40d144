"""Strings of "Continue with Google / Microsoft" (login and signup pages) and of linked accounts in security."""

EN: dict[str, str] = {
    "signin.continue_google": "Continue with Google",
    "signin.continue_microsoft": "Continue with Microsoft",
    "signin.or": "or",
    "signin.confirm_title": "This address already has an AVA account",
    "signin.confirm_body": (
        "{provider} signed you in as {email}. To link {provider} to your AVA account, prove it is yours: open the "
        "login link we just emailed to this address, in this browser, or log in below with your password."
    ),
    "signin.new_title": "Create your organisation",
    "signin.new_body": "Signed in with {provider} as {email}.",
    "signin.new_unverified": "We will email you a link to confirm this address.",
    "signin.finish": "Create my account",
    "signin.cancel": "Use another way",
    "signin.unknown_error": "This sign-in could not be completed. Try again.",
    "error.sign_in_refused": "This sign-in could not be completed. Try again.",
    "error.sign_in_cancelled": "Sign-in was cancelled on the provider's page. Nothing was changed.",
    "error.sign_in_state_invalid": "This sign-in link is not valid or was already used. Start again.",
    "error.sign_in_expired": "This sign-in has expired. Start again.",
    "error.sign_in_other_browser": "This sign-in was started in another browser. Start again here.",
    "error.sign_in_email_taken": (
        "An AVA account already uses this address, and the provider has not verified it. Log in, then link the "
        "provider in Security settings."
    ),
    "error.sign_in_no_email": "The provider did not give an email address. Sign up with your email instead.",
    "error.sign_in_not_configured": "Sign-in with this provider is not set up on this server.",
    "error.sign_in_session_ended": "Your session ended meanwhile. Log in and start again.",
    "error.sign_in_identity_taken": "This account is already linked to another AVA user.",
    "error.sign_in_provider_linked": "An account of this provider is already linked. Unlink it first.",
    "error.sign_in_unavailable": "The provider cannot be reached right now. Try again in a moment.",
    "error.sign_in_last_method": "This is your only way to sign in. Set a password before unlinking it.",
    "security.sessions_title": "Where you're logged in",
    "security.providers_title": "Sign in with Google or Microsoft",
    "security.providers_subtitle": "Link an account to sign in to AVA with it. Linking asks the provider first.",
    "security.provider_linked": "Linked as {email}",
    "security.provider_not_linked": "Not linked",
    "security.provider_link": "Link",
    "security.provider_unlink": "Unlink",
    "security.provider_linked_notice": "{provider} is linked. You can now sign in with it.",
    "security.provider_unlinked_notice": "{provider} is unlinked.",
    "audit.action.identity_linked": "Sign-in account linked",
    "audit.action.identity_unlinked": "Sign-in account unlinked",
}

FR: dict[str, str] = {
    "signin.continue_google": "Continuer avec Google",
    "signin.continue_microsoft": "Continuer avec Microsoft",
    "signin.or": "ou",
    "signin.confirm_title": "Cette adresse a déjà un compte AVA",
    "signin.confirm_body": (
        "{provider} vous a identifié comme {email}. Pour lier {provider} à votre compte AVA, prouvez qu'il est le "
        "vôtre : ouvrez dans ce navigateur le lien de connexion que nous venons d'envoyer à cette adresse, ou "
        "connectez-vous ci-dessous avec votre mot de passe."
    ),
    "signin.new_title": "Créez votre organisation",
    "signin.new_body": "Connecté avec {provider} en tant que {email}.",
    "signin.new_unverified": "Nous vous enverrons un lien pour confirmer cette adresse.",
    "signin.finish": "Créer mon compte",
    "signin.cancel": "Utiliser un autre moyen",
    "signin.unknown_error": "Cette connexion n'a pas abouti. Réessayez.",
    "error.sign_in_refused": "Cette connexion n'a pas abouti. Réessayez.",
    "error.sign_in_cancelled": "La connexion a été annulée sur la page du fournisseur. Rien n'a changé.",
    "error.sign_in_state_invalid": "Ce lien de connexion n'est pas valide ou a déjà servi. Recommencez.",
    "error.sign_in_expired": "Cette connexion a expiré. Recommencez.",
    "error.sign_in_other_browser": "Cette connexion a commencé dans un autre navigateur. Recommencez ici.",
    "error.sign_in_email_taken": (
        "Un compte AVA utilise déjà cette adresse, et le fournisseur ne l'a pas vérifiée. Connectez-vous, puis liez "
        "le fournisseur dans les paramètres de sécurité."
    ),
    "error.sign_in_no_email": (
        "Le fournisseur n'a pas donné d'adresse e-mail. Inscrivez-vous plutôt avec votre adresse e-mail."
    ),
    "error.sign_in_not_configured": "La connexion avec ce fournisseur n'est pas configurée sur ce serveur.",
    "error.sign_in_session_ended": "Votre session a pris fin entre-temps. Connectez-vous et recommencez.",
    "error.sign_in_identity_taken": "Ce compte est déjà lié à un autre utilisateur AVA.",
    "error.sign_in_provider_linked": "Un compte de ce fournisseur est déjà lié. Déliez-le d'abord.",
    "error.sign_in_unavailable": "Le fournisseur est injoignable pour le moment. Réessayez dans un instant.",
    "error.sign_in_last_method": (
        "C'est votre seul moyen de connexion. Définissez un mot de passe avant de le délier."
    ),
    "security.sessions_title": "Où vous êtes connecté",
    "security.providers_title": "Connexion avec Google ou Microsoft",
    "security.providers_subtitle": (
        "Liez un compte pour vous connecter à AVA avec lui. Le fournisseur vous le demande d'abord."
    ),
    "security.provider_linked": "Lié en tant que {email}",
    "security.provider_not_linked": "Non lié",
    "security.provider_link": "Lier",
    "security.provider_unlink": "Délier",
    "security.provider_linked_notice": "{provider} est lié. Vous pouvez maintenant vous connecter avec.",
    "security.provider_unlinked_notice": "{provider} n'est plus lié.",
    "audit.action.identity_linked": "Compte de connexion lié",
    "audit.action.identity_unlinked": "Compte de connexion délié",
}

"""/settings/integrations: the organisation's own provider credentials (admins only)."""

from __future__ import annotations

import reflex as rx

from ava_app.services import integrations
from ava_app.services.errors import DomainError
from ava_app.state.auth import AuthState

FIELD_ERRORS = {
    "required": "integrations.error.required",
    "port": "integrations.error.port",
    "tls": "integrations.error.tls",
    "retype_password": "integrations.error.retype_password",
    "tls_required": "integrations.error.tls_required",
    "port_not_allowed": "integrations.error.port_not_allowed",
    "host_not_allowed": "integrations.error.host_not_allowed",
}


class IntegrationsState(AuthState):
    """Masked credentials and the last test result per provider; typed secrets are never kept in state."""

    providers: list[dict] = []
    results: dict[str, dict] = {}
    busy_provider: str = ""
    # provider -> field -> message of the last refused save (messages only: what was typed stays in the browser)
    errors: dict[str, dict[str, str]] = {}

    @rx.event
    async def load_integrations(self):
        """List providers with their masked hints (admins only)."""
        call = await self._call_async(lambda s, p: integrations.list_integrations(s, principal=p))
        self.providers = [] if call.refused else call.value
        return call.event

    @rx.event
    async def save(self, form: dict):
        """Save the credential typed in one provider's form (blank fields keep the saved value)."""
        provider = str(form.pop("provider", ""))
        secret = {key: value.strip() for key, value in form.items() if isinstance(value, str) and value.strip()}

        def save(session, principal):
            merged = integrations.secret_for_test(session, principal=principal, provider=provider, entered=secret)
            integrations.save_integration(session, principal=principal, provider=provider, secret=merged)
            return integrations.list_integrations(session, principal=principal)

        def refused(error: DomainError):
            self._show_field_errors(provider, error)
            return self._fail(error)

        call = await self._call_async(save, on_error=refused)
        if call.refused:
            return call.event
        self.providers = call.value
        self.results.pop(provider, None)
        self._clear_field_errors(provider)
        # Saved: the typed secrets leave the form (a refused save keeps them there to be corrected).
        return [
            rx.call_script(f"document.getElementById('integration-form-{provider}')?.reset()"),
            rx.toast.success(self._text("integrations.saved")),
        ]

    @rx.event
    async def test(self, form: dict):
        """Try the typed (or saved) credential against the provider, off the event loop.

        A saved SMTP password is only tried on the server it was saved for: aimed elsewhere, the password field asks
        for it again. The attempt goes to the audit log.
        """
        provider = str(form.pop("provider", ""))
        entered = {key: value.strip() for key, value in form.items() if isinstance(value, str) and value.strip()}
        self.busy_provider = provider
        yield

        def refused(error: DomainError):
            self.results.pop(provider, None)
            self._show_field_errors(provider, error)
            return self._fail(error)

        try:
            call = await self._call_async(
                lambda s, p: integrations.secret_for_test(s, principal=p, provider=provider, entered=entered),
                on_error=refused,
            )
            if call.refused:
                yield call.event
                return
            secret = call.value
            # No session is held while the provider answers.
            result = await integrations.test_connection(provider=provider, secret=secret)
            call = await self._call_async(
                lambda s, p: integrations.record_test(s, principal=p, provider=provider, secret=secret, result=result),
                on_error=refused,
            )
            if call.refused:
                yield call.event
                return
            shown = result.model_dump()
            if result.message_key:
                shown["message"] = self._text(result.message_key)
            self.results[provider] = shown
            self._clear_field_errors(provider)
        finally:
            self.busy_provider = ""

    @rx.event
    async def remove(self, provider: str):
        """Forget the organisation's credential: AVA uses the platform's again."""

        def remove(session, principal):
            integrations.remove_integration(session, principal=principal, provider=provider)
            return integrations.list_integrations(session, principal=principal)

        call = await self._call_async(remove)
        if call.refused:
            return call.event
        self.providers = call.value
        self.results.pop(provider, None)
        return rx.toast.success(self._text("integrations.removed"))

    def _show_field_errors(self, provider: str, error: DomainError) -> None:
        codes = error.details.get("fields") or {}
        self.errors = {
            **self.errors,
            provider: {
                name: self._text(FIELD_ERRORS.get(code, FIELD_ERRORS["required"])) for name, code in codes.items()
            },
        }

    def _clear_field_errors(self, provider: str) -> None:
        self.errors = {key: value for key, value in self.errors.items() if key != provider}

    def _text(self, key: str) -> str:
        from ava_app.i18n import translate

        return translate(key, self.lang or "en")

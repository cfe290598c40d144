"""What the shell shows around every signed-in page: organisation, sandbox badge, logout."""

from __future__ import annotations

import reflex as rx

from ava_app.settings import get_settings


class ShellState(rx.State):
    """Plain display data for the frame; the signed-in checks live in the auth state."""

    organisation_name: str = ""
    sandbox: bool = False

    @rx.event
    def load_shell(self):
        """Fill the frame's data for the current page."""
        self.sandbox = get_settings().sandbox

    @rx.event
    def logout(self):
        """Leave and go back to the login page."""
        return rx.redirect("/login")

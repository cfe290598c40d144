"""/settings/team and /invite: members and roles, invitations, leaving; accepting an invitation.

Member and invitation ids from the browser are only looked up by the services inside the caller's organisation.
"""

from __future__ import annotations

from contextlib import suppress

import reflex as rx

from ava_app import routes
from ava_app.db import session_scope
from ava_app.i18n import translate
from ava_app.models import ROLES
from ava_app.services import accounts, team
from ava_app.services.errors import DomainError, Forbidden
from ava_app.state.account import FieldChecks


class TeamState(FieldChecks):
    """Members and pending invitations of the current organisation, and one pending confirmation at a time."""

    members: list[dict] = []
    invites: list[dict] = []
    my_user_id: int = 0
    loaded: bool = False
    invite_busy: bool = False
    invite_role: str = "user"
    # The action waiting for confirmation: kind is "role", "remove", "revoke_invite" or "leave".
    confirm_kind: str = ""
    confirm_id: int = 0
    confirm_role: str = ""
    confirm_label: str = ""

    @rx.event
    async def load_team(self):
        self.errors, self.confirm_kind = {}, ""

        def read(session, principal):
            # Only admins see the invitations (the service refuses anyone else).
            invites = team.list_invites(session, principal=principal) if principal.is_admin else []
            return principal, team.list_members(session, principal=principal), invites

        def refused(error: DomainError):
            if error.code != "no_organisation":
                return self._fail(error)
            self.members, self.invites, self.loaded = [], [], True
            return None

        call = await self._call_async(read, on_error=refused)
        if call.refused:
            return call.event
        principal, members, invites = call.value
        self.my_user_id = principal.user_id or 0
        self.members = [
            {
                "user_id": row.user_id,
                "name": row.name,
                "email": row.email,
                "role": row.role,
                "joined": self._local_time(row.joined_at),
            }
            for row in members[:500]
        ]
        self.invites = [
            {"id": row.id, "email": row.email, "role": row.role, "expires": self._local_time(row.expires_at)}
            for row in invites
            if row.status == "pending"
        ][:100]
        self.loaded = True
        return None

    @rx.event
    def set_invite_role(self, value: str):
        if value in ROLES:
            self.invite_role = value

    @rx.event
    async def invite(self, form: dict):
        """Invite someone by email with the chosen role (admins only: the service checks)."""
        self.invite_busy = True
        yield
        email, role, ip = str(form.get("email", ""))[:320], self.invite_role, self._client_info()[0]

        def refused(error: DomainError):
            self.errors = self._field_errors(error)
            if error.code == "already_member":
                self.errors = {"email": self._error_text(error)}
            return None if self.errors else self._fail(error)

        call = await self._call_async(
            lambda s, p: team.invite_member(s, principal=p, email=email, role=role, ip=ip),
            busy="invite_busy",
            on_error=refused,
        )
        if call.refused:
            yield call.event
            return
        self.errors = {}
        yield rx.set_value("invite-email", "")
        yield TeamState.load_team
        yield rx.toast.success(translate("team.invite_sent", self.lang or "en"))

    @rx.event
    def ask_change_role(self, user_id: int, label: str, role: str):
        if role in ROLES:
            self.confirm_kind, self.confirm_id, self.confirm_label, self.confirm_role = "role", user_id, label, role

    @rx.event
    def ask_remove(self, user_id: int, label: str):
        self.confirm_kind, self.confirm_id, self.confirm_label = "remove", user_id, label

    @rx.event
    def ask_revoke_invite(self, invite_id: int, label: str):
        self.confirm_kind, self.confirm_id, self.confirm_label = "revoke_invite", invite_id, label

    @rx.event
    def ask_leave(self):
        self.confirm_kind, self.confirm_id, self.confirm_label = "leave", 0, self.tenant_name

    @rx.event
    def cancel(self, _open: bool = False):
        self.confirm_kind = ""

    @rx.event
    async def confirm(self):
        """Carry out the confirmed action; the last-admin and permission refusals come back as toasts."""
        kind, target, role = self.confirm_kind, int(self.confirm_id), self.confirm_role
        self.confirm_kind = ""
        if kind not in ("role", "remove", "revoke_invite", "leave"):
            return None
        ip = self._client_info()[0]

        def act(session, principal):
            if kind == "role":
                team.change_role(session, principal=principal, user_id=target, role=role, ip=ip)
            elif kind == "remove":
                team.remove_member(session, principal=principal, user_id=target, ip=ip)
            elif kind == "revoke_invite":
                team.revoke_invite(session, principal=principal, invite_id=target, ip=ip)
            else:
                left = team.leave_organisation(session, principal=principal, ip=ip)
                # Open another organisation of theirs, if any, rather than an empty shell (refused, and so
                # skipped, while their email is not verified).
                others = team.list_organisations(session, principal=left)
                if others:
                    with suppress(Forbidden):
                        team.switch_organisation(session, principal=left, tenant_id=others[0].id)
            return principal

        call = await self._call_async(act)
        if call.refused:
            return call.event
        if kind == "leave":
            return rx.call_script("window.location.assign('/dashboard')")
        if kind == "role" and target == call.value.user_id:
            # An admin who made themself user or viewer sees the page as such at once.
            return rx.call_script("window.location.reload()")
        return [TeamState.load_team, rx.toast.success(translate("team.done", self.lang or "en"))]


class InviteState(FieldChecks):
    """/invite?token=: what the invitation offers; accept as the logged-in user or create an account from it."""

    invite_status: str = "checking"  # checking | ready | invalid | joined
    invite_message: str = ""
    organisation_name: str = ""
    invited_email: str = ""
    invited_role: str = ""
    account_exists: bool = False
    # An existing account never confirmed: the invitee takes it over by setting a name and password here.
    account_verified: bool = False
    logged_in_email: str = ""
    logged_in_verified: bool = False
    login_href: str = routes.LOGIN

    def _token(self) -> str:
        return self.router.url.query_parameters.get("token", "")[:200]

    @rx.event
    def load_invite(self):
        self.invite_status, self.invite_message, self.errors, self.form_error = "checking", "", {}, ""
        try:
            with session_scope() as session:
                preview = team.preview_invite(session, token=self._token())
        except DomainError as error:
            self.invite_status, self.invite_message = "invalid", self._error_text(error)
            return
        self.organisation_name, self.invited_email = preview.organisation_name, preview.email
        self.invited_role, self.account_exists = preview.role, preview.account_exists
        self.account_verified = preview.account_verified
        self._email = preview.email
        # Back here after logging in (the token is already in this browser's address bar).
        self.login_href = routes.with_query(routes.LOGIN, next=routes.with_query(routes.INVITE, token=self._token()))
        self.logged_in_email, self.logged_in_verified = "", False
        me = self._call_quietly(lambda s, p: accounts.get_me(s, principal=p))
        if me is not None:
            self.logged_in_email, self.logged_in_verified = me.email, me.email_verified
        self.invite_status = "ready"

    @rx.event
    async def accept(self):
        """Join as the logged-in user (the service checks the invitation was sent to their address)."""
        self.busy = True
        yield
        token, ip = self._token(), self._client_info()[0]

        def refused(error: DomainError) -> None:
            self.form_error = self._error_text(error)

        call = await self._call_async(
            lambda s, p: team.accept_invite(s, principal=p, token=token, ip=ip), on_error=refused
        )
        self.busy = False
        if call.refused:
            yield call.event
            return
        yield rx.call_script("window.location.assign('/dashboard')")

    @rx.event
    def signup_and_accept(self, form: dict):
        """Create the invited person's account (or take over one never confirmed) with a name and password, join,
        and open the dashboard."""
        self.form_error = ""
        self.busy = True
        yield
        ip, user_agent = self._client_info()
        try:
            with session_scope() as session:
                result = team.accept_invite_with_signup(
                    session,
                    token=self._token(),
                    name=str(form.get("name", ""))[:200],
                    password=str(form.get("password", ""))[:1024],
                    ip=ip,
                    user_agent=user_agent,
                )
        except DomainError as error:
            self.errors = self._field_errors(error)
            if not self.errors:
                self.form_error = self._error_text(error)
            return
        finally:
            self.busy = False
        yield self._signed_in(result, routes.DASHBOARD)

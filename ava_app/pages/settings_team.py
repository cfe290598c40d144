"""/settings/team: members and roles, invitations (admins), leaving the organisation (everybody)."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.forms import confirm_dialog, form_field, select_field
from ava_app.components.i18n import t
from ava_app.components.layout import app_layout
from ava_app.state.auth import AuthState
from ava_app.state.team import TeamState

ROLE_OPTIONS = [("admin", "role.admin"), ("user", "role.user"), ("viewer", "role.viewer")]


def role_label(role: rx.Var) -> rx.Component:
    return rx.match(role, ("admin", t("role.admin")), ("user", t("role.user")), t("role.viewer"))


def member_row(member: dict) -> rx.Component:
    is_me = member["user_id"] == TeamState.my_user_id
    admin_controls = rx.hstack(
        rx.select.root(
            rx.select.trigger(aria_label=t("team.role_of") + " " + member["email"].to(str)),
            rx.select.content(*[rx.select.item(t(key), value=value) for value, key in ROLE_OPTIONS]),
            value=member["role"],
            on_change=lambda role: TeamState.ask_change_role(member["user_id"], member["email"], role),
            size="2",
        ),
        rx.icon_button(
            rx.icon("user-minus", size=16),
            variant="soft",
            color_scheme="red",
            on_click=TeamState.ask_remove(member["user_id"], member["email"]),
            aria_label=t("team.remove") + " " + member["email"].to(str),
            title=t("team.remove"),
        ),
        spacing="2",
        align="center",
    )
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.hstack(
                    rx.text(member["name"], weight="bold", size="3"),
                    rx.cond(is_me, rx.badge(t("team.you"), variant="soft")),
                    spacing="2",
                    align="center",
                ),
                rx.text(member["email"], size="2", color_scheme="gray", overflow_wrap="anywhere"),
                spacing="1",
                min_width="min(100%, 220px)",
                flex="1",
            ),
            rx.cond(
                AuthState.is_admin,
                admin_controls,
                rx.badge(role_label(member["role"]), variant="surface", size="2"),
            ),
            gap="12px",
            align="center",
            justify="between",
            wrap="wrap",
            width="100%",
        ),
        width="100%",
    )


def invite_row(invite: dict) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.text(invite["email"], weight="medium", size="2", overflow_wrap="anywhere"),
            rx.text(
                role_label(invite["role"]),
                " · ",
                t("team.expires"),
                " ",
                invite["expires"],
                size="1",
                color_scheme="gray",
            ),
            spacing="0",
            min_width="0",
            flex="1",
        ),
        rx.button(
            t("team.revoke_invite"),
            variant="soft",
            color_scheme="red",
            size="1",
            on_click=TeamState.ask_revoke_invite(invite["id"], invite["email"]),
            aria_label=t("team.revoke_invite") + " " + invite["email"].to(str),
        ),
        gap="12px",
        align="center",
        justify="between",
        wrap="wrap",
        width="100%",
        padding_y="8px",
        border_top=f"1px solid {rx.color('gray', 4)}",
    )


def invite_section() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("team.invite_title"), size="4"),
            rx.form(
                rx.flex(
                    rx.box(
                        form_field(
                            "login.email",
                            id="invite-email",
                            name="email",
                            type="email",
                            auto_complete="off",
                            error=TeamState.errors["email"],
                        ),
                        flex="2",
                        min_width="220px",
                    ),
                    rx.box(
                        select_field(
                            "team.role",
                            ROLE_OPTIONS,
                            id="invite-role",
                            value=TeamState.invite_role,
                            on_change=TeamState.set_invite_role,
                            error=TeamState.errors["role"],
                        ),
                        flex="1",
                        min_width="140px",
                    ),
                    rx.button(t("team.invite_submit"), type="submit", size="3", loading=TeamState.invite_busy),
                    gap="12px",
                    align="end",
                    wrap="wrap",
                    width="100%",
                ),
                on_submit=TeamState.invite,
                reset_on_submit=False,
                no_validate=True,
                width="100%",
            ),
            rx.heading(t("team.pending"), size="3", margin_top="8px"),
            rx.cond(
                TeamState.invites.length() > 0,
                rx.vstack(rx.foreach(TeamState.invites, invite_row), spacing="0", width="100%"),
                rx.text(t("team.no_pending"), size="2", color_scheme="gray"),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def confirm_body() -> rx.Component:
    return rx.match(
        TeamState.confirm_kind,
        (
            "role",
            rx.text(
                t("team.confirm_role"),
                " ",
                rx.text.strong(TeamState.confirm_label),
                " → ",
                role_label(TeamState.confirm_role),
                rx.cond(TeamState.confirm_role != "admin", rx.fragment(" ", t("team.confirm_role_keys"))),
            ),
        ),
        ("remove", rx.text(t("team.confirm_remove"), " ", rx.text.strong(TeamState.confirm_label))),
        ("revoke_invite", rx.text(t("team.confirm_revoke"), " ", rx.text.strong(TeamState.confirm_label))),
        rx.text(t("team.confirm_leave"), " ", rx.text.strong(TeamState.confirm_label)),
    )


def team_page() -> rx.Component:
    return app_layout(
        rx.cond(AuthState.is_admin, invite_section()),
        rx.vstack(
            rx.heading(t("team.members"), size="4"),
            rx.cond(
                TeamState.loaded,
                rx.cond(
                    TeamState.members.length() > 0,
                    rx.vstack(rx.foreach(TeamState.members, member_row), spacing="2", width="100%"),
                    rx.callout(t("team.no_organisation"), icon="building-2", width="100%"),
                ),
                rx.spinner(),
            ),
            spacing="3",
            width="100%",
        ),
        rx.cond(
            TeamState.members.length() > 0,
            rx.box(
                rx.button(
                    rx.icon("log-out", size=16),
                    t("team.leave"),
                    variant="outline",
                    color_scheme="red",
                    on_click=TeamState.ask_leave,
                ),
                padding_top="8px",
            ),
        ),
        confirm_dialog(
            open=TeamState.confirm_kind != "",
            title=rx.match(
                TeamState.confirm_kind,
                ("role", t("team.confirm_role_title")),
                ("remove", t("team.confirm_remove_title")),
                ("revoke_invite", t("team.confirm_revoke_title")),
                t("team.confirm_leave_title"),
            ),
            body=confirm_body(),
            confirm_label=rx.match(
                TeamState.confirm_kind,
                ("role", t("team.change_role")),
                ("remove", t("team.remove")),
                ("revoke_invite", t("team.revoke_invite")),
                t("team.leave"),
            ),
            on_confirm=TeamState.confirm,
            on_cancel=TeamState.cancel,
        ),
        title_key="settings.team",
        back=("settings.title", routes.SETTINGS),
    )

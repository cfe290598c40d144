"""/settings/api-keys: create (shown once), list and revoke the organisation's API keys, and how to use the API."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.forms import confirm_dialog, field_error, form_field
from ava_app.components.i18n import t
from ava_app.components.layout import app_layout
from ava_app.state.api_keys import EXPIRY_CHOICES, SCOPES, ApiKeysState

CARD_WIDTH = "1100px"
USE_API_ANCHOR = "use-the-api"
# Read by screen readers, not shown (the actions column needs a header, not a visible one).
VISUALLY_HIDDEN = {
    "position": "absolute",
    "width": "1px",
    "height": "1px",
    "overflow": "hidden",
    "clip": "rect(0 0 0 0)",
    "whiteSpace": "nowrap",
}


def key_callout() -> rx.Component:
    """The key just created, with a copy button: shown this once."""
    return rx.cond(
        ApiKeysState.shown_key != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("key-round")),
            rx.vstack(
                rx.text(t("api_keys.key_once"), size="2", weight="bold"),
                rx.code(ApiKeysState.shown_key, id="api-key-value", style={"wordBreak": "break-all"}, size="2"),
                rx.flex(
                    rx.button(
                        rx.icon("copy", size=16), t("api_keys.copy"), variant="soft", on_click=ApiKeysState.copy_key
                    ),
                    rx.button(t("api_keys.key_saved"), variant="outline", on_click=ApiKeysState.hide_key),
                    spacing="2",
                    wrap="wrap",
                ),
                spacing="2",
                width="100%",
            ),
            color_scheme="amber",
            width="100%",
            max_width=CARD_WIDTH,
            role="status",
        ),
    )


def _scope_checkbox(scope: str) -> rx.Component:
    box_id = f"api-key-scope-{scope.replace(':', '-')}"
    return rx.el.label(
        rx.hstack(
            rx.checkbox(
                checked=ApiKeysState.new_scopes.contains(scope),
                on_change=lambda checked: ApiKeysState.toggle_scope(scope, checked),
                id=box_id,
            ),
            rx.vstack(
                rx.text(t(f"api_keys.scope.{scope}"), size="2", weight="medium"),
                rx.text(
                    rx.code(scope, size="1"), " ", t(f"api_keys.scope_hint.{scope}"), size="1", color_scheme="gray"
                ),
                spacing="0",
            ),
            spacing="2",
            align="start",
        ),
        html_for=box_id,
    )


def _legend(key: str) -> rx.Component:
    return rx.el.legend(t(key), style={"fontSize": "var(--font-size-2)", "fontWeight": "500", "paddingBottom": "8px"})


def create_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("api_keys.create_title")),
            rx.vstack(
                form_field(
                    "api_keys.name",
                    id="api-key-name",
                    hint_key="api_keys.name_hint",
                    value=ApiKeysState.new_name,
                    on_change=ApiKeysState.set_new_name,
                    error=ApiKeysState.new_name_error,
                    max_length=80,
                ),
                rx.el.fieldset(
                    _legend("api_keys.scopes"),
                    rx.vstack(*[_scope_checkbox(scope) for scope in SCOPES], spacing="3"),
                    field_error(ApiKeysState.new_scopes_error, id="api-key-scopes"),
                    style={"border": "none", "padding": "0", "margin": "0"},
                ),
                rx.el.fieldset(
                    _legend("api_keys.expiry"),
                    rx.radio_group.root(
                        rx.flex(
                            *[
                                rx.el.label(
                                    rx.flex(
                                        rx.radio_group.item(value=choice, id=f"api-key-expiry-{choice}"),
                                        rx.text(t(f"api_keys.expiry.{choice}"), size="2"),
                                        gap="6px",
                                        align="center",
                                    ),
                                    html_for=f"api-key-expiry-{choice}",
                                )
                                for choice in EXPIRY_CHOICES
                            ],
                            gap="16px",
                            wrap="wrap",
                        ),
                        value=ApiKeysState.new_expiry,
                        on_change=ApiKeysState.set_new_expiry,
                    ),
                    style={"border": "none", "padding": "0", "margin": "0"},
                ),
                rx.flex(
                    rx.dialog.close(rx.button(t("common.cancel"), variant="soft", color_scheme="gray")),
                    rx.button(
                        t("api_keys.create"),
                        on_click=ApiKeysState.create_key,
                        loading=ApiKeysState.keys_busy,
                        id="api-key-create-submit",
                    ),
                    spacing="3",
                    justify="end",
                    width="100%",
                ),
                spacing="4",
                width="100%",
            ),
            max_width="560px",
        ),
        open=ApiKeysState.create_open,
        on_open_change=ApiKeysState.close_create,
    )


def key_row(key: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.text(key["name"], weight="medium", overflow_wrap="anywhere")),
        rx.table.cell(rx.code(key["prefix"], size="1"), white_space="nowrap"),
        rx.table.cell(rx.text(key["scopes"], size="1", style={"fontFamily": "var(--code-font-family)"})),
        rx.table.cell(rx.text(key["created_by"], size="2"), white_space="nowrap"),
        rx.table.cell(rx.text(key["last_used"], size="2"), white_space="nowrap"),
        rx.table.cell(rx.text(key["expires"], size="2"), white_space="nowrap"),
        rx.table.cell(rx.badge(key["status"], color_scheme=key["color"])),
        rx.table.cell(
            rx.cond(
                key["revocable"] != "",
                rx.button(
                    t("api_keys.revoke"),
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=ApiKeysState.ask_revoke(key["id"], key["name"]),
                    aria_label=t("api_keys.revoke"),
                ),
            )
        ),
    )


def key_card(key: rx.Var) -> rx.Component:
    """One key on a phone, where the table's eight columns do not fit."""
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.text(key["name"], weight="bold", size="3", overflow_wrap="anywhere"),
                rx.badge(key["status"], color_scheme=key["color"]),
                justify="between",
                align="start",
                gap="8px",
                width="100%",
            ),
            rx.code(key["prefix"], size="1"),
            rx.text(key["scopes"], size="1", style={"fontFamily": "var(--code-font-family)"}),
            rx.text(t("api_keys.col.created_by"), ": ", key["created_by"], size="1", color_scheme="gray"),
            rx.text(t("api_keys.col.last_used"), ": ", key["last_used"], size="1", color_scheme="gray"),
            rx.text(t("api_keys.col.expires"), ": ", key["expires"], size="1", color_scheme="gray"),
            rx.cond(
                key["revocable"] != "",
                rx.button(
                    t("api_keys.revoke"),
                    size="2",
                    variant="soft",
                    color_scheme="red",
                    on_click=ApiKeysState.ask_revoke(key["id"], key["name"]),
                ),
            ),
            spacing="1",
            align="start",
            width="100%",
        ),
        width="100%",
    )


def keys_list() -> rx.Component:
    """A table from tablet width up, cards on a phone."""
    return rx.fragment(
        rx.box(keys_table(), display=rx.breakpoints(initial="none", sm="block"), width="100%", max_width=CARD_WIDTH),
        rx.vstack(
            rx.foreach(ApiKeysState.keys, key_card),
            display=rx.breakpoints(initial="flex", sm="none"),
            spacing="3",
            width="100%",
        ),
    )


def keys_table() -> rx.Component:
    headers = ("name", "prefix", "scopes", "created_by", "last_used", "expires", "status")
    return rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[rx.table.column_header_cell(t(f"api_keys.col.{name}")) for name in headers],
                    rx.table.column_header_cell(rx.el.span(t("api_keys.col.actions"), style=VISUALLY_HIDDEN)),
                )
            ),
            rx.table.body(rx.foreach(ApiKeysState.keys, key_row)),
            variant="surface",
            width="100%",
            # Phones scroll the table sideways rather than squeezing a date into one word per line.
            min_width="900px",
        ),
        width="100%",
        max_width=CARD_WIDTH,
        overflow_x="auto",
    )


def empty_state() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.box(rx.icon("key-round", size=28), color=rx.color("accent", 11)),
            rx.text(t("api_keys.empty_title"), weight="bold", size="3"),
            rx.text(t("api_keys.empty_body"), size="2", color_scheme="gray", text_align="center"),
            rx.button(rx.icon("plus", size=16), t("api_keys.create"), on_click=ApiKeysState.open_create),
            spacing="3",
            align="center",
            padding="24px",
        ),
        width="100%",
        max_width=CARD_WIDTH,
    )


def _example(title_key: str, command: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.text(t(title_key), size="2", weight="medium"),
            rx.icon_button(
                rx.icon("copy", size=14),
                size="1",
                variant="ghost",
                on_click=rx.set_clipboard(command),
                aria_label=t("api_keys.copy_example"),
                title=t("api_keys.copy_example"),
            ),
            justify="between",
            align="center",
            width="100%",
        ),
        rx.el.pre(
            command,
            style={
                "margin": "0",
                "padding": "12px",
                "width": "100%",
                "overflowX": "auto",
                "fontSize": "var(--font-size-1)",
                "fontFamily": "var(--code-font-family)",
                "background": rx.color("gray", 3),
                "border": f"1px solid {rx.color('gray', 5)}",
                "borderRadius": "var(--radius-3)",
                "whiteSpace": "pre",
            },
        ),
        spacing="1",
        width="100%",
    )


def use_the_api() -> rx.Component:
    """How to call the API: the header, two curl examples built from this deployment's address, the docs."""
    return rx.card(
        rx.vstack(
            rx.heading(t("api_keys.use_title"), size="4", as_="h2", id=USE_API_ANCHOR),
            rx.text(t("api_keys.use_intro"), size="2"),
            _example("api_keys.example_export", rx.Var.create('export AVA_API_KEY="ava_…"')),
            _example("api_keys.example_list", ApiKeysState.curl_list_calls),
            _example("api_keys.example_get", ApiKeysState.curl_get_call),
            rx.text(t("api_keys.use_errors"), size="2", color_scheme="gray"),
            rx.link(
                rx.flex(rx.icon("book-open", size=16), t("api_keys.docs_link"), gap="6px", align="center"),
                href=ApiKeysState.docs_url,
                is_external=True,
                size="2",
            ),
            spacing="3",
            align="start",
            width="100%",
        ),
        width="100%",
        max_width=CARD_WIDTH,
    )


def api_keys_content() -> rx.Component:
    return rx.vstack(
        rx.card(
            rx.flex(
                rx.text(t("api_keys.intro"), size="2", max_width="620px"),
                rx.button(
                    rx.icon("plus", size=16), t("api_keys.create"), on_click=ApiKeysState.open_create, flex_shrink="0"
                ),
                justify="between",
                align="center",
                gap="12px",
                wrap="wrap",
            ),
            width="100%",
            max_width=CARD_WIDTH,
        ),
        key_callout(),
        rx.cond(ApiKeysState.keys.length() > 0, keys_list(), empty_state()),
        use_the_api(),
        create_dialog(),
        confirm_dialog(
            open=ApiKeysState.confirm_revoke_id != "",
            title=t("api_keys.revoke_title"),
            body=rx.text(t("api_keys.revoke_body"), " ", rx.text.strong(ApiKeysState.confirm_revoke_name)),
            confirm_label=t("api_keys.revoke"),
            on_confirm=ApiKeysState.revoke_key,
            on_cancel=ApiKeysState.cancel_revoke,
        ),
        spacing="4",
        width="100%",
    )


def api_keys_page() -> rx.Component:
    return app_layout(
        rx.cond(
            ApiKeysState.keys_admin_only,
            rx.vstack(
                rx.callout(t("api_keys.admin_only"), icon="lock", color_scheme="gray", max_width=CARD_WIDTH),
                use_the_api(),
                spacing="4",
                width="100%",
            ),
            rx.cond(
                ApiKeysState.keys_loaded,
                api_keys_content(),
                rx.cond(
                    ApiKeysState.keys_failed,
                    rx.callout(
                        t("api_keys.load_error"), icon="triangle-alert", color_scheme="red", max_width=CARD_WIDTH
                    ),
                    rx.center(rx.spinner(size="3"), width="100%", padding="48px"),
                ),
            ),
        ),
        title_key="api_keys.title",
        back=("settings.title", routes.SETTINGS),
    )

"""/settings/webhooks: outgoing webhook endpoints (admins edit, members read) and each endpoint's delivery log."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.forms import confirm_dialog, form_field
from ava_app.components.i18n import t
from ava_app.components.layout import app_layout
from ava_app.state.webhooks import EVENT_TYPES, WebhooksState

CARD_WIDTH = "760px"


def secret_callout() -> rx.Component:
    """The secret of the endpoint just added or rotated, with a copy button: shown this once."""
    return rx.cond(
        WebhooksState.shown_secret != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("key-round")),
            rx.vstack(
                rx.text(t("webhooks.secret_once"), size="2", weight="medium"),
                rx.code(WebhooksState.shown_secret, id="webhook-secret", style={"wordBreak": "break-all"}, size="2"),
                rx.flex(
                    rx.button(
                        rx.icon("copy", size=16),
                        t("webhooks.copy"),
                        variant="soft",
                        on_click=WebhooksState.copy_secret,
                    ),
                    rx.button(t("webhooks.secret_saved"), variant="outline", on_click=WebhooksState.hide_secret),
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


def _event_checkbox(event_type: str) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.checkbox(
                checked=WebhooksState.new_events.contains(event_type),
                on_change=lambda checked: WebhooksState.toggle_event(event_type, checked),
                id=f"webhook-event-{event_type}",
            ),
            rx.vstack(
                rx.text(rx.code(event_type), size="2"),
                rx.text(t(f"webhooks.event.{event_type}"), size="1", color_scheme="gray"),
                spacing="0",
            ),
            spacing="2",
            align="start",
        ),
        html_for=f"webhook-event-{event_type}",
    )


def add_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("webhooks.add_title")),
            rx.vstack(
                form_field(
                    "webhooks.url",
                    id="webhook-url",
                    hint_key="webhooks.url_hint",
                    value=WebhooksState.new_url,
                    on_change=WebhooksState.set_new_url,
                    placeholder="https://example.com/ava-webhooks",
                    type="url",
                ),
                form_field(
                    "webhooks.description",
                    id="webhook-description",
                    value=WebhooksState.new_description,
                    on_change=WebhooksState.set_new_description,
                ),
                rx.el.fieldset(
                    rx.el.legend(t("webhooks.events"), style={"fontSize": "var(--font-size-2)", "fontWeight": "500"}),
                    rx.grid(
                        *[_event_checkbox(event_type) for event_type in EVENT_TYPES if event_type != "test.ping"],
                        columns=rx.breakpoints(initial="1", sm="2"),
                        spacing="3",
                        padding_top="8px",
                    ),
                    style={"border": "none", "padding": "0", "margin": "0"},
                ),
                rx.flex(
                    rx.dialog.close(rx.button(t("common.cancel"), variant="soft", color_scheme="gray")),
                    rx.button(
                        t("webhooks.add"),
                        on_click=WebhooksState.add_endpoint,
                        loading=WebhooksState.webhooks_busy,
                        id="webhook-add-submit",
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
        open=WebhooksState.add_open,
        on_open_change=WebhooksState.close_add,
    )


def endpoint_card(endpoint: rx.Var) -> rx.Component:
    endpoint_id = endpoint["id"]
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.text(endpoint["url"], weight="bold", size="3", style={"wordBreak": "break-all"}),
                rx.badge(endpoint["status"], color_scheme=endpoint["color"]),
                justify="between",
                align="start",
                gap="8px",
                width="100%",
            ),
            rx.cond(endpoint["description"] != "", rx.text(endpoint["description"], size="2")),
            rx.text(t("webhooks.events"), ": ", endpoint["events"], size="1", color_scheme="gray"),
            rx.cond(endpoint["rotating"] != "", rx.text(endpoint["rotating"], size="1", color_scheme="amber")),
            rx.flex(
                rx.cond(
                    WebhooksState.is_admin,
                    rx.fragment(
                        rx.button(
                            rx.icon("send", size=14),
                            t("webhooks.send_test"),
                            size="2",
                            on_click=WebhooksState.send_test(endpoint_id),
                            disabled=endpoint["enabled"] == "",
                        ),
                        rx.button(
                            t("webhooks.rotate"),
                            size="2",
                            variant="soft",
                            on_click=WebhooksState.rotate_secret(endpoint_id),
                        ),
                        rx.button(
                            rx.cond(endpoint["enabled"] != "", t("webhooks.turn_off"), t("webhooks.turn_on")),
                            size="2",
                            variant="soft",
                            on_click=WebhooksState.set_endpoint_enabled(endpoint_id, endpoint["enabled"] == ""),
                        ),
                    ),
                ),
                rx.button(t("webhooks.log"), size="2", variant="outline", on_click=WebhooksState.show_log(endpoint_id)),
                rx.cond(
                    WebhooksState.is_admin,
                    rx.button(
                        t("webhooks.delete"),
                        size="2",
                        variant="soft",
                        color_scheme="red",
                        on_click=WebhooksState.ask_delete(endpoint_id),
                    ),
                ),
                gap="8px",
                wrap="wrap",
            ),
            rx.cond(WebhooksState.log_endpoint_id == endpoint_id, delivery_log()),
            spacing="2",
            width="100%",
            align="start",
        ),
        width="100%",
        max_width=CARD_WIDTH,
    )


def delivery_row(delivery: rx.Var) -> rx.Component:
    return rx.box(
        rx.flex(
            rx.badge(delivery["status"], color_scheme=delivery["color"]),
            rx.code(delivery["event"], size="1"),
            rx.text(delivery["time"], size="1", color_scheme="gray"),
            rx.text("HTTP ", delivery["code"], size="1"),
            rx.button(
                t("webhooks.attempts"),
                " ",
                delivery["attempts"],
                rx.cond(
                    WebhooksState.open_attempts.contains(delivery["id"]),
                    rx.icon("chevron-up", size=14),
                    rx.icon("chevron-down", size=14),
                ),
                size="1",
                variant="ghost",
                aria_expanded=rx.cond(WebhooksState.open_attempts.contains(delivery["id"]), "true", "false"),
                on_click=WebhooksState.toggle_attempts(delivery["id"]),
            ),
            rx.text(delivery["latency"], size="1"),
            rx.cond(
                delivery["next"] != "",
                rx.text(t("webhooks.next_try"), " ", delivery["next"], size="1", color_scheme="amber"),
            ),
            rx.cond(
                WebhooksState.is_admin,
                rx.button(
                    rx.cond(delivery["retry_now"] != "", t("webhooks.retry_now"), t("webhooks.resend")),
                    size="1",
                    variant="ghost",
                    on_click=WebhooksState.resend(delivery["id"]),
                ),
            ),
            gap="8px",
            wrap="wrap",
            align="center",
        ),
        _response(delivery["response"]),
        rx.cond(
            WebhooksState.open_attempts.contains(delivery["id"]),
            rx.vstack(
                rx.foreach(
                    WebhooksState.attempt_rows,
                    lambda attempt: rx.cond(attempt["delivery"] == delivery["id"], attempt_row(attempt)),
                ),
                spacing="1",
                width="100%",
                class_name="webhook-attempts",
                padding_left="12px",
                border_left=f"2px solid {rx.color('gray', 5)}",
                margin_top="6px",
            ),
        ),
        padding_y="8px",
        border_top=f"1px solid {rx.color('gray', 5)}",
        width="100%",
    )


def _response(text: rx.Var) -> rx.Component:
    """What the receiver answered (or the error), as code: long bodies break anywhere rather than overflow."""
    return rx.cond(
        text != "",
        rx.text(
            text,
            size="1",
            color_scheme="gray",
            style={"wordBreak": "break-all", "fontFamily": "var(--code-font-family)"},
        ),
    )


def attempt_row(attempt: rx.Var) -> rx.Component:
    """One try at delivering: its number, when, the answer's status (or the error), latency and what came back."""
    return rx.box(
        rx.flex(
            rx.text("#", attempt["number"], size="1", weight="medium"),
            rx.text(attempt["time"], size="1", color_scheme="gray"),
            rx.badge(attempt["code"], color_scheme=rx.cond(attempt["ok"] != "", "green", "red"), size="1"),
            rx.text(attempt["latency"], size="1"),
            gap="8px",
            wrap="wrap",
            align="center",
        ),
        _response(attempt["response"]),
        width="100%",
    )


def delivery_log() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.heading(t("webhooks.log_title"), size="3", as_="h3"),
            rx.flex(
                rx.button(
                    t("webhooks.refresh"),
                    size="1",
                    variant="soft",
                    on_click=WebhooksState.show_log(WebhooksState.log_endpoint_id),
                ),
                rx.button(t("webhooks.close_log"), size="1", variant="soft", on_click=WebhooksState.hide_log),
                gap="8px",
            ),
            justify="between",
            width="100%",
            padding_top="12px",
        ),
        rx.cond(
            WebhooksState.deliveries.length() > 0,
            rx.foreach(WebhooksState.deliveries, delivery_row),
            rx.text(t("webhooks.log_empty"), size="2", color_scheme="gray"),
        ),
        spacing="1",
        width="100%",
    )


def webhooks_list() -> rx.Component:
    return rx.vstack(
        rx.card(
            rx.vstack(
                rx.text(t("webhooks.intro"), size="2"),
                rx.link(t("webhooks.docs_link"), href="https://www.standardwebhooks.com/", is_external=True, size="2"),
                rx.cond(
                    WebhooksState.is_admin,
                    rx.button(rx.icon("plus", size=16), t("webhooks.add"), on_click=WebhooksState.open_add),
                    rx.callout(t("webhooks.admin_only"), icon="lock", color_scheme="gray", size="1"),
                ),
                spacing="3",
                align="start",
            ),
            width="100%",
            max_width=CARD_WIDTH,
        ),
        secret_callout(),
        rx.cond(
            WebhooksState.endpoints.length() > 0,
            rx.foreach(WebhooksState.endpoints, endpoint_card),
            rx.text(t("webhooks.none"), size="2", color_scheme="gray"),
        ),
        add_dialog(),
        confirm_dialog(
            open=WebhooksState.confirm_delete_id != "",
            title=t("webhooks.delete_title"),
            body=rx.text(t("webhooks.delete_body")),
            confirm_label=t("webhooks.delete"),
            on_confirm=WebhooksState.delete_endpoint,
            on_cancel=WebhooksState.cancel_delete,
        ),
        spacing="4",
        width="100%",
    )


def webhooks_page() -> rx.Component:
    return app_layout(
        rx.cond(
            WebhooksState.webhooks_loaded,
            webhooks_list(),
            rx.cond(
                WebhooksState.webhooks_failed,
                rx.callout(t("webhooks.load_error"), icon="triangle-alert", color_scheme="red", max_width=CARD_WIDTH),
                rx.center(rx.spinner(size="3"), width="100%", padding="48px"),
            ),
        ),
        title_key="webhooks.title",
        back=("settings.title", routes.SETTINGS),
    )

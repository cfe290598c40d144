"""/settings/deliveries: every email, text and webhook AVA sent for the business, filterable, with "Send again"."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.i18n import t
from ava_app.components.layout import app_layout
from ava_app.services import deliveries
from ava_app.state.deliveries import DeliveriesState as S


def filter_select(label_key: str, *, id: str, value: rx.Var, on_change, options: tuple[str, ...], prefix: str):
    return rx.flex(
        rx.text(t(label_key), size="1", color_scheme="gray", as_="label", html_for=id),
        rx.select.root(
            rx.select.trigger(id=id, aria_label=t(label_key), min_width="160px"),
            rx.select.content(
                rx.select.item(t(f"{prefix}.all"), value="all"),
                *[rx.select.item(t(f"{prefix}.{option}"), value=option) for option in options],
            ),
            value=value,
            on_change=on_change,
        ),
        direction="column",
        gap="4px",
    )


def filters() -> rx.Component:
    return rx.flex(
        filter_select(
            "deliveries.filter_channel",
            id="deliveries-channel",
            value=S.channel_filter,
            on_change=S.set_channel_filter,
            options=deliveries.CHANNELS,
            prefix="deliveries.channel",
        ),
        filter_select(
            "deliveries.filter_status",
            id="deliveries-status",
            value=S.status_filter,
            on_change=S.set_status_filter,
            options=deliveries.STATUSES,
            prefix="deliveries.status",
        ),
        rx.cond(
            S.call_filter != "",
            rx.flex(
                rx.link(
                    rx.badge(rx.icon("phone", size=12), t("deliveries.call_badge"), " #", S.call_filter, size="2"),
                    href="/calls/" + S.call_filter,
                ),
                rx.button(
                    t("deliveries.all_calls"), size="1", variant="ghost", on_click=S.clear_call_filter, id="all-calls"
                ),
                gap="8px",
                align="center",
                align_self="end",
                padding_bottom="4px",
            ),
        ),
        gap="12px",
        wrap="wrap",
        align="end",
        width="100%",
    )


def delivery_row(row: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.flex(
                rx.icon(row["icon"], size=16, color=rx.color("gray", 10)),
                rx.text(row["what"], size="2", weight="medium"),
                rx.badge(row["status"], color_scheme=row["color"], variant="soft"),
                gap="8px",
                align="center",
                wrap="wrap",
            ),
            rx.spacer(),
            rx.text(row["time"], size="1", color_scheme="gray", class_name="tabular"),
            gap="8px",
            align="center",
            width="100%",
            wrap="wrap",
        ),
        rx.text(
            rx.text.span(row["channel"], " · ", color=rx.color("gray", 10)),
            row["to"],
            size="2",
            word_break="break-word",
        ),
        rx.cond(row["subject"] != "", rx.text(row["subject"], size="1", color_scheme="gray", trim="both")),
        rx.cond(
            row["error"] != "",
            rx.text(row["error"], size="1", color_scheme="red", word_break="break-word", class_name="delivery-error"),
        ),
        rx.flex(
            rx.text(row["attempts"], size="1", color_scheme="gray"),
            rx.cond(row["next"] != "", rx.text(row["next"], size="1", color_scheme="gray")),
            rx.spacer(),
            rx.cond(
                row["call"] != "",
                rx.link(t("deliveries.open_call"), href="/calls/" + row["call"], size="1"),
            ),
            rx.cond(
                S.is_admin & (row["retry"] != ""),
                rx.button(
                    row["retry"],
                    size="1",
                    variant="soft",
                    on_click=S.retry_delivery(row["ref"]),
                    loading=S.deliveries_busy,
                    class_name="delivery-retry",
                ),
            ),
            gap="12px",
            align="center",
            width="100%",
            wrap="wrap",
        ),
        spacing="1",
        padding_y="10px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        width="100%",
        class_name="delivery-row",
    )


def log_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(t("deliveries.intro"), size="2", color_scheme="gray"),
            filters(),
            rx.cond(
                S.delivery_rows.length() > 0,
                rx.vstack(rx.foreach(S.delivery_rows, delivery_row), spacing="0", width="100%", id="deliveries-list"),
                rx.text(
                    rx.cond(
                        (S.channel_filter == "all") & (S.status_filter == "all") & (S.call_filter == ""),
                        t("deliveries.empty"),
                        t("deliveries.empty_filtered"),
                    ),
                    size="2",
                    color_scheme="gray",
                    id="deliveries-empty",
                ),
            ),
            rx.cond(
                S.more_deliveries,
                rx.button(t("deliveries.more"), variant="soft", on_click=S.load_more_deliveries, id="deliveries-more"),
            ),
            spacing="4",
            width="100%",
        ),
        width="100%",
        max_width="860px",
    )


def deliveries_page() -> rx.Component:
    return app_layout(
        rx.cond(
            S.deliveries_loaded,
            log_card(),
            rx.cond(
                S.deliveries_failed,
                rx.callout(t("deliveries.load_error"), icon="triangle-alert", color_scheme="red", max_width="640px"),
                rx.center(rx.spinner(size="3"), width="100%", padding="48px"),
            ),
        ),
        title_key="deliveries.title",
        back=("settings.title", routes.SETTINGS),
    )

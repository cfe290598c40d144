"""/deleted-calls: "Recently deleted" — calls deleted by hand, restorable until their purge date; admins choose the
grace period. Writers only (viewers never delete, so they have nothing to restore)."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.i18n import t
from ava_app.components.layout import app_layout
from ava_app.state.trash import GRACE_OPTIONS
from ava_app.state.trash import DeletedCallsState as S


def grace_card() -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.text(t("trash.grace"), size="2", weight="medium", as_="label", html_for="trash-grace"),
                rx.text(t("trash.grace_hint"), size="1", color_scheme="gray"),
                spacing="1",
                flex="1",
                min_width="200px",
            ),
            rx.select.root(
                rx.select.trigger(id="trash-grace", aria_label=t("trash.grace")),
                rx.select.content(
                    *[rx.select.item(t(f"trash.days_{days}"), value=days) for days in GRACE_OPTIONS],
                ),
                value=S.grace_days,
                on_change=S.set_grace_days,
            ),
            gap="12px",
            align="center",
            wrap="wrap",
            width="100%",
        ),
        width="100%",
        max_width="760px",
    )


def deleted_row(row: rx.Var) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.flex(
                    rx.text(row["caller"], size="3", weight="medium", class_name="tabular"),
                    rx.text(row["when"], size="2", color_scheme="gray"),
                    rx.badge(row["outcome"], color_scheme="gray", variant="soft"),
                    rx.text(row["duration"], size="2", color_scheme="gray", class_name="tabular"),
                    gap="8px",
                    align="center",
                    wrap="wrap",
                ),
                rx.cond(row["summary"] != "", rx.text(row["summary"], size="2", class_name="trash-summary")),
                rx.text(row["deleted"], " · ", row["purge"], size="1", color_scheme="gray"),
                spacing="1",
                flex="1",
                min_width="0",
            ),
            rx.button(
                rx.icon("undo-2", size=14),
                t("trash.restore"),
                size="2",
                variant="soft",
                loading=S.restoring == row["id"],
                on_click=S.restore_call(row["id"]),
                class_name="trash-restore",
            ),
            gap="12px",
            align="center",
            wrap="wrap",
            width="100%",
        ),
        width="100%",
        class_name="trash-row",
    )


def trash_list() -> rx.Component:
    return rx.cond(
        S.trash_rows.length() > 0,
        rx.vstack(
            rx.text(S.trash_count_text, size="2", weight="medium", id="trash-count", class_name="tabular"),
            rx.foreach(S.trash_rows, deleted_row),
            rx.cond(
                S.trash_next != "",
                rx.button(
                    t("trash.load_more"),
                    size="2",
                    variant="soft",
                    color_scheme="gray",
                    loading=S.loading_more,
                    on_click=S.load_more_deleted,
                    id="trash-more",
                    align_self="center",
                ),
            ),
            spacing="3",
            width="100%",
            max_width="760px",
            id="trash-list",
        ),
        rx.card(
            rx.vstack(
                rx.icon("trash-2", size=28, color=rx.color("gray", 9)),
                rx.text(t("trash.empty"), size="3", weight="medium"),
                rx.text(t("trash.empty_hint"), size="2", color_scheme="gray", text_align="center"),
                rx.link(t("trash.back_to_calls"), href=routes.CALLS, size="2"),
                align="center",
                spacing="2",
                padding="24px",
            ),
            width="100%",
            max_width="760px",
            id="trash-empty",
        ),
    )


def deleted_calls_page() -> rx.Component:
    return app_layout(
        rx.cond(
            S.trash_loaded,
            rx.vstack(
                rx.text(S.trash_intro, size="2", color_scheme="gray", max_width="760px"),
                rx.cond(S.is_admin, grace_card()),
                trash_list(),
                spacing="4",
                width="100%",
            ),
            rx.cond(
                S.trash_failed,
                rx.callout(t("trash.load_error"), icon="triangle-alert", color_scheme="red", max_width="760px"),
                rx.center(rx.spinner(size="3"), width="100%", padding="48px"),
            ),
        ),
        title_key="trash.title",
        back=("calls.title", routes.CALLS),
    )

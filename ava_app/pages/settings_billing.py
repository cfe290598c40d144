"""/settings/billing: the current plan and its status, the plans side by side, Checkout and the customer portal."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.i18n import t
from ava_app.components.layout import app_layout
from ava_app.state.billing import BillingState as S

_STATUS_COLOURS = {
    "active": "green",
    "managed": "green",
    "trial": "blue",
    "past_due": "red",
    "unpaid": "red",
    "canceled": "gray",
}


def status_badge() -> rx.Component:
    return rx.match(
        S.plan_status,
        *[
            (status, rx.badge(t(f"billing.status.{status}"), color_scheme=colour, size="2"))  # type: ignore[arg-type]
            for status, colour in _STATUS_COLOURS.items()
        ],
        rx.badge(t("billing.status.other"), color_scheme="amber", size="2"),
    )


def grace_callout() -> rx.Component:
    return rx.cond(
        S.grace_end != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("credit-card")),
            rx.callout.text(rx.text.strong(t("billing.grace_title"))),
            rx.callout.text(t("billing.grace_text"), " ", rx.text.strong(S.grace_end), "."),
            rx.callout.text(
                rx.cond(
                    S.after_grace == "pause",
                    t("billing.grace_after.pause"),
                    t("billing.grace_after.messages_only"),
                )
            ),
            color_scheme="red",
            width="100%",
            max_width="880px",
        ),
    )


def current_card() -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.text(t("billing.current"), size="2", color_scheme="gray"),
                rx.hstack(
                    rx.heading(S.plan_name, size="6", as_="h2", id="billing-plan-name"),
                    rx.cond(S.plan_status != "trial", status_badge()),
                    align="center",
                    spacing="3",
                    wrap="wrap",
                ),
                rx.cond(
                    S.plan_status == "trial",
                    rx.text(
                        t("billing.trial_hint"),
                        rx.cond(
                            S.trial_end != "",
                            rx.fragment(
                                " ",
                                rx.cond(S.trial_ended, t("billing.trial_ended"), t("billing.trial_ends")),
                                " ",
                                rx.text.strong(S.trial_end),
                                ".",
                            ),
                        ),
                        size="2",
                        color_scheme="gray",
                        id="billing-trial-hint",
                    ),
                    rx.cond(
                        S.plan_status == "managed",
                        rx.text(t("billing.managed_hint"), size="2", color_scheme="gray"),
                    ),
                ),
                rx.cond(
                    S.plan_status != "trial",
                    rx.cond(
                        S.period_end != "",
                        rx.text(
                            rx.cond(S.ends_at_period, t("billing.ends"), t("billing.renews")),
                            " ",
                            S.period_end,
                            size="2",
                            color_scheme="gray",
                        ),
                    ),
                ),
                spacing="2",
                flex="1",
                min_width="220px",
            ),
            rx.cond(
                S.has_customer,
                rx.vstack(
                    rx.button(
                        rx.icon("external-link", size=16),
                        t("billing.manage"),
                        on_click=S.manage_billing,
                        loading=S.billing_busy == "portal",
                        variant="outline",
                    ),
                    rx.text(t("billing.manage_hint"), size="1", color_scheme="gray", max_width="260px"),
                    spacing="1",
                ),
            ),
            gap="16px",
            wrap="wrap",
            align="start",
            width="100%",
        ),
        width="100%",
        max_width="880px",
    )


def plan_card(row: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(row["name"], size="4", as_="h3"),
                rx.cond(row["current"], rx.badge(t("billing.your_plan"), color_scheme="green")),
                justify="between",
                align="center",
                width="100%",
            ),
            rx.hstack(
                rx.text(row["price"], size="6", weight="bold", class_name="tabular"),
                rx.cond(row["per_month"], rx.text(t("billing.per_month"), size="2", color_scheme="gray")),
                align="baseline",
                spacing="2",
            ),
            rx.vstack(
                rx.foreach(
                    row["lines"].to(list[str]),
                    lambda line: rx.hstack(
                        rx.icon("check", size=14, color=rx.color("accent", 10), flex_shrink="0"),
                        rx.text(line, size="2"),
                        spacing="2",
                        align="center",
                    ),
                ),
                spacing="1",
            ),
            rx.spacer(),
            rx.cond(
                ~row["trial"] & ~row["current"],
                rx.button(
                    row["action"],
                    on_click=S.choose_plan(row["code"]),
                    loading=S.billing_busy == row["code"],
                    width="100%",
                    aria_label=row["action"].to(str) + " · " + row["name"].to(str),
                ),
            ),
            spacing="3",
            height="100%",
        ),
        width="100%",
    )


def billing_page() -> rx.Component:
    return app_layout(
        rx.cond(
            S.billing_loaded,
            rx.vstack(
                rx.cond(
                    S.checkout_done & (S.plan_status == "trial"),
                    rx.callout(t("billing.checkout_done"), icon="circle-check", color_scheme="green", width="100%"),
                ),
                grace_callout(),
                current_card(),
                rx.cond(S.ends_at_period, rx.text(t("billing.ends_at_period"), size="2", color_scheme="gray")),
                rx.heading(t("billing.plans"), size="4", as_="h2"),
                rx.grid(
                    rx.foreach(S.plan_rows, plan_card),
                    columns=rx.breakpoints(initial="1", sm="2", lg="4"),
                    spacing="4",
                    width="100%",
                ),
                spacing="4",
                width="100%",
            ),
            rx.cond(
                S.billing_failed,
                rx.callout(t("billing.load_error"), icon="triangle-alert", color_scheme="red", max_width="640px"),
                rx.center(rx.spinner(size="3"), width="100%", padding="48px"),
            ),
        ),
        title_key="billing.title",
        back=("settings.title", routes.SETTINGS),
    )

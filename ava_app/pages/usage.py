"""/usage: minutes used against the plan, projection, cost figures, the day-by-day chart with the included line,
and the calls never billed, by reason, with a link to them. /admin/usage: the operators' margins per organisation."""

from __future__ import annotations

import reflex as rx

from ava_app.components.charts import chart_card
from ava_app.components.i18n import t
from ava_app.components.layout import app_layout
from ava_app.components.stats import stat_card
from ava_app.state.usage import AdminUsageState, UsageState

U = UsageState.usage


def minutes_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(U["period_text"], size="2", color_scheme="gray", id="usage-period"),
            rx.heading(U["minutes_text"], size="6", id="usage-minutes"),
            rx.progress(
                value=U["percent"].to(int),
                max=100,
                color_scheme=U["bar_color"].to(str),
                size="3",
                aria_label=U["percent_text"],
                width="100%",
            ),
            rx.hstack(
                rx.text(U["percent_text"], size="2"),
                rx.cond(U["over_text"] != "", rx.badge(U["over_text"], color_scheme="red", variant="soft")),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.text(U["plan_text"], size="1", color_scheme="gray"),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def cost_figures() -> rx.Component:
    return rx.vstack(
        rx.grid(
            stat_card(
                t("usage.projected"),
                U["projected_text"],
                rx.text(U["projected_hint"], size="1", color_scheme="gray"),
                icon="trending-up",
            ),
            stat_card(
                t("usage.cost_so_far"),
                U["cost_text"],
                rx.text(t("usage.cost_hint"), size="1", color_scheme="gray"),
                icon="receipt",
            ),
            stat_card(
                t("usage.per_call"),
                U["per_call"],
                rx.text(U["calls_text"], size="1", color_scheme="gray"),
                icon="phone",
            ),
            stat_card(
                t("usage.per_booking"),
                U["per_booking"],
                rx.text(U["bookings_text"], size="1", color_scheme="gray"),
                icon="calendar-check",
            ),
            stat_card(
                t("usage.per_lead"), U["per_lead"], rx.text(U["leads_text"], size="1", color_scheme="gray"), icon="user"
            ),
            columns=rx.breakpoints(initial="2", md="5"),
            spacing="3",
            width="100%",
        ),
        rx.text(t("usage.lead_definition"), size="1", color_scheme="gray", id="usage-lead-definition"),
        spacing="2",
        width="100%",
    )


def not_billed_row(row: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.text(row["label"], size="2"),
        rx.spacer(),
        rx.text(row["count"], size="2", weight="bold", class_name="tabular"),
        rx.link(t("usage.see_calls"), href=row["href"].to(str), size="2"),
        width="100%",
        align="center",
        spacing="3",
        padding_y="4px",
    )


def not_billed_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("usage.not_billed_title"), size="4"),
            rx.cond(
                UsageState.not_billed.length() > 0,
                rx.vstack(rx.foreach(UsageState.not_billed, not_billed_row), spacing="1", width="100%"),
                rx.text(t("usage.none_not_billed"), size="2", color_scheme="gray"),
            ),
            rx.text(t("usage.not_billed_rule"), size="1", color_scheme="gray"),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="usage-not-billed",
    )


def empty_state() -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon("gauge")),
        rx.vstack(
            rx.text(t("usage.empty_title"), weight="bold"),
            rx.text(t("usage.empty_body"), size="2"),
            spacing="1",
        ),
        width="100%",
    )


def usage_body() -> rx.Component:
    return rx.vstack(
        minutes_card(),
        rx.cond(U["is_empty"].to(bool), empty_state()),
        cost_figures(),
        chart_card(t("usage.chart_title"), UsageState.usage_figure, height="280px"),
        not_billed_card(),
        spacing="4",
        width="100%",
    )


def usage_page() -> rx.Component:
    return app_layout(
        rx.cond(
            UsageState.usage_loaded,
            rx.cond(
                UsageState.usage_failed,
                rx.callout(t("usage.load_error"), icon="triangle-alert", color_scheme="red", width="100%"),
                usage_body(),
            ),
            rx.center(
                rx.vstack(
                    rx.spinner(size="3"), rx.text(t("usage.loading"), size="2", color_scheme="gray"), align="center"
                ),
                width="100%",
                padding="48px",
            ),
        ),
        title_key="usage.title",
    )


def plan_cell(row: rx.Var) -> rx.Component:
    """The plan, as a select the operator changes in place."""
    return rx.select.root(
        rx.select.trigger(aria_label=t("admin_usage.change_plan"), variant="ghost"),
        rx.select.content(rx.foreach(AdminUsageState.plan_options, lambda o: rx.select.item(o[1], value=o[0]))),
        value=row["plan_code"].to(str),
        on_change=lambda code: AdminUsageState.change_plan(row["id"], code),
        disabled=AdminUsageState.acting_on == row["id"],
        size="1",
    )


def action_cell(row: rx.Var) -> rx.Component:
    return rx.cond(
        row["suspended"],
        rx.button(
            rx.icon("play", size=14),
            t("admin_usage.resume"),
            on_click=AdminUsageState.resume(row["id"]),
            loading=AdminUsageState.acting_on == row["id"],
            size="1",
            variant="soft",
            color_scheme="green",
        ),
        rx.button(
            rx.icon("pause", size=14),
            t("admin_usage.suspend"),
            on_click=AdminUsageState.open_suspend(row["id"]),
            size="1",
            variant="soft",
            color_scheme="red",
        ),
    )


def margin_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.link(row["name"], href=row["href"].to(str), overflow_wrap="anywhere", weight="medium"),
            rx.cond(row["reason"] != "", rx.text(row["reason"], size="1", color_scheme="red")),
        ),
        rx.table.cell(rx.badge(row["status_text"], color_scheme=row["status_color"].to(str))),
        rx.table.cell(action_cell(row)),
        rx.table.cell(plan_cell(row)),
        rx.table.cell(row["minutes"], class_name="tabular"),
        rx.table.cell(row["revenue"], class_name="tabular"),
        rx.table.cell(row["cost"], class_name="tabular"),
        rx.table.cell(row["margin"], class_name="tabular"),
        rx.table.cell(rx.text(row["last_call"], size="1", white_space="nowrap"), class_name="tabular"),
        id=f"tenant-row-{row['id']}",
    )


def margins_table() -> rx.Component:
    header = [
        "admin_usage.tenant",
        "admin_usage.status",
        "admin_usage.actions",
        "admin_usage.plan",
        "admin_usage.minutes",
        "admin_usage.revenue",
        "admin_usage.provider_cost",
        "admin_usage.margin",
        "admin_usage.last_call",
    ]
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(t(key)) for key in header])),
            rx.table.body(rx.foreach(AdminUsageState.shown_margins, margin_row)),
            width="100%",
            size="1",
        ),
        overflow_x="auto",
        width="100%",
    )


def suspend_dialog() -> rx.Component:
    """The reason is required: the organisation's admins are emailed it."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("admin_usage.suspend_title")),
            rx.text(AdminUsageState.suspend_name, weight="bold", size="3"),
            rx.dialog.description(t("admin_usage.suspend_body"), size="2", margin_top="8px"),
            rx.form(
                rx.vstack(
                    rx.el.label(
                        t("admin_usage.reason"),
                        html_for="suspend-reason",
                        style={"fontSize": "var(--font-size-2)", "fontWeight": "500"},
                    ),
                    rx.text_area(
                        id="suspend-reason",
                        value=AdminUsageState.suspend_reason,
                        on_change=AdminUsageState.set_suspend_reason,
                        placeholder=t("admin_usage.reason_placeholder"),
                        max_length=200,
                        auto_focus=True,
                        width="100%",
                    ),
                    rx.cond(
                        AdminUsageState.suspend_error != "",
                        rx.text(AdminUsageState.suspend_error, size="1", color_scheme="red", id="suspend-error"),
                    ),
                    rx.hstack(
                        rx.dialog.close(rx.button(t("admin_usage.cancel"), variant="soft", color_scheme="gray")),
                        rx.button(t("admin_usage.suspend"), type="submit", color_scheme="red", id="suspend-confirm"),
                        spacing="3",
                        justify="end",
                        width="100%",
                    ),
                    spacing="2",
                    width="100%",
                    margin_top="12px",
                ),
                on_submit=lambda _: AdminUsageState.confirm_suspend(),
                reset_on_submit=False,
            ),
            max_width="480px",
        ),
        open=AdminUsageState.suspend_open,
        on_open_change=AdminUsageState.set_suspend_open,
    )


def admin_usage_page() -> rx.Component:
    return app_layout(
        rx.cond(
            AdminUsageState.margins_loaded,
            rx.cond(
                AdminUsageState.margins_refused != "",
                rx.callout(AdminUsageState.margins_refused, icon="shield-alert", color_scheme="red", width="100%"),
                rx.vstack(
                    rx.text(t("admin_usage.hint"), size="2", color_scheme="gray"),
                    rx.segmented_control.root(
                        rx.segmented_control.item(t("admin_usage.filter_all"), value="all"),
                        rx.segmented_control.item(t("admin_usage.filter_attention"), value="attention"),
                        value=rx.cond(AdminUsageState.attention_only, "attention", "all"),
                        on_change=AdminUsageState.set_attention_only,
                        id="tenant-filter",
                    ),
                    rx.cond(
                        AdminUsageState.shown_margins.length() > 0,
                        margins_table(),
                        rx.text(
                            rx.cond(
                                AdminUsageState.attention_only,
                                t("admin_usage.nothing_needs_attention"),
                                t("admin_usage.empty"),
                            ),
                            size="2",
                            color_scheme="gray",
                        ),
                    ),
                    suspend_dialog(),
                    spacing="3",
                    width="100%",
                ),
            ),
            rx.center(rx.spinner(size="3"), width="100%", padding="48px"),
        ),
        title_key="admin_usage.title",
    )

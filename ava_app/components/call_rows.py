"""Calls as lines: the dashboard's last and live calls, and the badges every call list shares (outcome, sentiment)."""

from __future__ import annotations

import reflex as rx

from ava_app.components.i18n import t

# Small page-level styles: live dot pulse, one-line clamp, numbers that do not jitter when they change.
PAGE_CSS = """
.live-dot{width:10px;height:10px;border-radius:50%;background:var(--grass-9);animation:ava-pulse 1.4s infinite}
@keyframes ava-pulse{0%{box-shadow:0 0 0 0 var(--grass-a7)}70%{box-shadow:0 0 0 8px transparent}100%{box-shadow:none}}
.line-clamp-1{display:-webkit-box;-webkit-line-clamp:1;-webkit-box-orient:vertical;overflow:hidden}
.line-clamp-2{display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}
.tabular,.kpi-value{font-variant-numeric:tabular-nums}
"""


def page_styles() -> rx.Component:
    return rx.el.style(PAGE_CSS)


def outcome_badge(label: rx.Var, color: rx.Var) -> rx.Component:
    return rx.badge(label, color_scheme=color, variant="soft", radius="full")


def test_badge(is_test: rx.Var) -> rx.Component:
    """Marks a call the owner made to try the assistant (from the wizard or /assistant)."""
    return rx.cond(is_test, rx.badge(rx.icon("flask-conical", size=12), t("call.test_call"), color_scheme="violet"))


def recent_call_row(call: rx.Var) -> rx.Component:
    """One of the last calls: time, caller, outcome, duration and its summary line; the whole line opens the call."""
    return rx.link(
        rx.flex(
            rx.text(call["when"], size="2", color_scheme="gray", min_width="96px", class_name="tabular"),
            rx.vstack(
                rx.hstack(
                    rx.text(call["caller"], size="2", weight="medium"),
                    test_badge(call["is_test"]),
                    outcome_badge(call["outcome"], call["color"]),
                    rx.text(call["duration"], size="1", color_scheme="gray"),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                rx.text(call["summary"], size="2", color_scheme="gray", trim="both", class_name="line-clamp-1"),
                spacing="1",
                min_width="0",
                flex="1",
            ),
            rx.icon("chevron-right", size=16, color=rx.color("gray", 9), flex_shrink="0"),
            gap="12px",
            align="center",
            width="100%",
        ),
        href=call["href"],
        underline="none",
        color="inherit",
        padding="10px 8px",
        border_radius="8px",
        width="100%",
        _hover={"bg": rx.color("gray", 3)},
    )


def live_strip(calls: rx.Var) -> rx.Component:
    """Calls in progress right now, each a link to its page (where the transcript grows)."""
    return rx.cond(
        calls.length() > 0,
        rx.callout.root(
            rx.flex(
                rx.hstack(
                    rx.box(class_name="live-dot"),
                    rx.text(t("dash.live_now"), weight="bold", size="2"),
                    align="center",
                    spacing="2",
                ),
                rx.foreach(
                    calls,
                    lambda call: rx.link(
                        rx.hstack(
                            rx.icon("phone-incoming", size=14),
                            rx.text(call["caller"], size="2"),
                            rx.text(call["when"], size="1", color_scheme="gray"),
                            spacing="1",
                            align="center",
                        ),
                        href=call["href"],
                        underline="hover",
                    ),
                ),
                gap="16px",
                align="center",
                wrap="wrap",
                width="100%",
            ),
            color_scheme="grass",
            width="100%",
            role="status",
        ),
    )

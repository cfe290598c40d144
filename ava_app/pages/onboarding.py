"""/onboarding: the six-step wizard (welcome, industry, phone number, personalise, test call, how calls reach AVA and
go live)."""

from __future__ import annotations

import reflex as rx

from ava_app.components.assistant_form import personalise_form
from ava_app.components.booking_setup import booking_setup_card
from ava_app.components.business_region import region_confirmation
from ava_app.components.i18n import t
from ava_app.components.industry_cards import industry_cards
from ava_app.components.layout import app_layout
from ava_app.components.number_flows import number_flows
from ava_app.components.reach import reach_panel
from ava_app.components.stepper import stepper
from ava_app.components.test_call import test_call_panel
from ava_app.state.assistant import AssistantFormState
from ava_app.state.auth import AuthState
from ava_app.state.onboarding import OnboardingState
from ava_app.state.phone_numbers import NumberFlowState
from ava_app.state.reach import ReachState

S = OnboardingState
STEPS = [
    "onb.step.welcome",
    "onb.step.industry",
    "onb.step.number",
    "onb.step.personalise",
    "onb.step.test",
    "onb.step.reach",
]
NUMBER_STEP, PERSONALISE_STEP, REACH_STEP = 3, 4, 6


def _heading(title_key: str, body_key: str) -> rx.Component:
    return rx.vstack(
        rx.heading(t(title_key), size="6"),
        rx.text(t(body_key), color_scheme="gray", size="3"),
        spacing="1",
        width="100%",
    )


def _bullet(icon: str, key: str) -> rx.Component:
    return rx.hstack(
        rx.icon(icon, size=18, color=rx.color("accent", 10), flex_shrink="0"),
        rx.text(t(key)),
        spacing="2",
        align="start",
    )


def welcome_step() -> rx.Component:
    ahead = [
        ("shapes", "onb.welcome.ahead1"),
        ("phone", "onb.welcome.ahead2"),
        ("sliders-horizontal", "onb.welcome.ahead3"),
        ("messages-square", "onb.welcome.ahead4"),
    ]
    return rx.vstack(
        _heading("onb.welcome.title", "onb.welcome.body"),
        rx.vstack(
            _bullet("phone-incoming", "onb.welcome.does1"),
            _bullet("message-circle-question", "onb.welcome.does2"),
            _bullet("mail", "onb.welcome.does3"),
            spacing="2",
        ),
        region_confirmation(),
        rx.card(
            rx.vstack(
                rx.text(t("onb.welcome.ahead_steps"), weight="bold"),
                rx.el.ol(
                    *[rx.el.li(_bullet(icon, key), style={"listStyle": "none"}) for icon, key in ahead],
                    style={"display": "flex", "flexDirection": "column", "gap": "8px", "padding": 0, "margin": 0},
                ),
                rx.hstack(
                    rx.icon("timer", size=16),
                    rx.text(t("onb.welcome.time"), size="2"),
                    color=rx.color("gray", 11),
                    align="center",
                    spacing="2",
                ),
                spacing="3",
            ),
            width="100%",
        ),
        rx.button(t("onb.welcome.start"), rx.icon("arrow-right", size=16), on_click=S.go_to(2), size="3"),
        spacing="5",
        width="100%",
    )


def industry_step() -> rx.Component:
    return rx.vstack(
        _heading("onb.industry.title", "onb.industry.body"),
        industry_cards(S.industries, selected=S.industry, busy=S.applying, on_choose=S.choose_industry),
        spacing="4",
        width="100%",
    )


def number_step() -> rx.Component:
    skip = rx.vstack(
        rx.text(t("onb.number.skip_body")),
        rx.button(t("onb.number.skip"), on_click=S.go_to(4), variant="soft"),
        spacing="3",
    )
    return rx.vstack(
        _heading("onb.number.title", "onb.number.body"),
        rx.cond(
            S.numbers.length() > 0,
            rx.hstack(
                rx.text(t("onb.number.have"), size="2", weight="medium"),
                rx.foreach(S.numbers, lambda n: rx.badge(n, size="2", color_scheme="green")),
                wrap="wrap",
                spacing="2",
                align="center",
            ),
        ),
        number_flows(skip=skip),
        spacing="4",
        width="100%",
    )


def personalise_step() -> rx.Component:
    note = rx.cond(
        ~AssistantFormState.has_numbers, rx.callout(t("onb.personalise.no_number"), icon="info", size="1", width="100%")
    )
    return rx.vstack(
        _heading("onb.personalise.title", "onb.personalise.body"),
        rx.cond(AssistantFormState.form_loaded, personalise_form(AssistantFormState, hours_note=note), rx.spinner()),
        rx.cond(AuthState.is_admin, booking_setup_card()),
        rx.button(
            t("onb.personalise.save"),
            rx.icon("arrow-right", size=16),
            on_click=S.save_personalise,
            loading=AssistantFormState.saving,
            size="3",
        ),
        spacing="4",
        width="100%",
    )


def test_step() -> rx.Component:
    return rx.vstack(
        _heading("onb.test.title", "onb.test.body"),
        test_call_panel(),
        spacing="4",
        width="100%",
    )


def reach_step() -> rx.Component:
    """How calls reach AVA, then going live: never called "live" while no number rings the assistant."""
    return rx.vstack(
        _heading("reach.title", "reach.body"),
        reach_panel(on_get_number=S.go_to(NUMBER_STEP)),
        rx.card(
            rx.flex(
                rx.vstack(
                    rx.text(t("reach.golive_title"), weight="bold"),
                    rx.text(
                        rx.cond(ReachState.has_number, t("reach.golive_body"), t("reach.golive_no_number")),
                        size="2",
                        color_scheme="gray",
                    ),
                    spacing="1",
                    flex="1",
                    min_width="220px",
                ),
                rx.button(
                    rx.icon("rocket", size=16),
                    t("onb.test.golive"),
                    on_click=S.go_live,
                    loading=S.going_live,
                    size="3",
                    color_scheme="green",
                ),
                gap="12px",
                align="center",
                wrap="wrap",
                width="100%",
            ),
            width="100%",
        ),
        rx.cond(
            S.live_error != "",
            rx.callout(S.live_error, icon="triangle-alert", color_scheme="red", role="alert", width="100%"),
        ),
        spacing="4",
        width="100%",
    )


def _nav_buttons() -> rx.Component:
    # Once the number step has a number, "Next" is the obvious way on: the solid, primary button.
    has_number = (S.numbers.length() > 0) | (NumberFlowState.added.length() > 0)
    primary = (S.step == NUMBER_STEP) & has_number
    return rx.hstack(
        rx.cond(
            S.step > 1,
            rx.button(
                rx.icon("arrow-left", size=16), t("onb.back"), on_click=S.back, variant="soft", color_scheme="gray"
            ),
        ),
        rx.spacer(),
        rx.cond(
            (S.step > 1) & (S.step < REACH_STEP) & (S.step != PERSONALISE_STEP),
            rx.button(
                t("onb.next"),
                rx.icon("arrow-right", size=16),
                on_click=S.next_step,
                variant=rx.cond(primary, "solid", "outline"),
                size=rx.cond(primary, "3", "2"),
            ),
        ),
        width="100%",
    )


def onboarding_page() -> rx.Component:
    return app_layout(
        rx.cond(
            S.loaded,
            rx.vstack(
                stepper(STEPS, current=S.step, reached=S.reached, on_select=S.go_to),
                rx.text(t("onb.step"), " ", S.step, " ", t("onb.of"), f" {len(STEPS)}", size="1", color_scheme="gray"),
                rx.card(
                    rx.match(
                        S.step,
                        (1, welcome_step()),
                        (2, industry_step()),
                        (3, number_step()),
                        (4, personalise_step()),
                        (5, test_step()),
                        reach_step(),
                    ),
                    size=rx.breakpoints(initial="2", sm="3"),
                    width="100%",
                ),
                _nav_buttons(),
                spacing="4",
                width="100%",
                max_width="880px",
            ),
            rx.center(rx.spinner(size="3"), width="100%", padding="40px"),
        ),
        title_key="onb.title",
    )

"""The business's region: the form that edits it (/settings/business, and a dialog of onboarding's welcome step), the
read-only view members who are not admins get, and the welcome step's confirmation card."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.forms import field_error, field_label
from ava_app.components.i18n import t
from ava_app.state.business import BusinessRegionState

S = BusinessRegionState

# A native select: hundreds of zones and countries stay fast, keyboard type-ahead works, and phones show their own
# picker. Styled like the Radix inputs around it, in light and dark.
SELECT_STYLE = {
    "width": "100%",
    "height": "var(--space-7)",
    "padding": "0 var(--space-3)",
    "borderRadius": "var(--radius-2)",
    "border": "1px solid var(--gray-a7)",
    "background": "var(--color-surface)",
    "color": "var(--gray-12)",
    "fontSize": "var(--font-size-3)",
}


def _hint(key: str, *, id: str) -> rx.Component:
    return rx.text(t(key), id=f"{id}-hint", size="1", color_scheme="gray")


def _select(*, id: str, options, value, on_change, error) -> rx.Component:
    return rx.el.select(
        rx.foreach(options, lambda option: rx.el.option(option[1], value=option[0])),
        id=id,
        value=value,
        on_change=on_change,
        aria_invalid=rx.cond(error, "true", "false"),
        aria_describedby=f"{id}-hint {id}-error",
        style=SELECT_STYLE,
    )


def _field(label_key: str, hint_key: str, *, id: str, control: rx.Component, error) -> rx.Component:
    return rx.vstack(
        field_label(label_key, id=id),
        control,
        _hint(hint_key, id=id) if hint_key else rx.fragment(),
        field_error(error, id=id),
        spacing="1",
        width="100%",
    )


def region_form(*, prefix: str = "business") -> rx.Component:
    """Country, searchable time zone, language and currency, then Save. ``prefix`` keeps ids unique per page."""
    errors = S.errors
    return rx.form(
        rx.vstack(
            _field(
                "business.country",
                "",
                id=f"{prefix}-country",
                control=_select(
                    id=f"{prefix}-country",
                    options=S.country_options,
                    value=S.country,
                    on_change=S.set_country,
                    error=errors["country"],
                ),
                error=errors["country"],
            ),
            rx.vstack(
                field_label("business.timezone", id=f"{prefix}-timezone"),
                rx.input(
                    id=f"{prefix}-timezone-search",
                    type="search",
                    value=S.timezone_query,
                    on_change=S.set_timezone_query,
                    placeholder=t("business.timezone_search"),
                    aria_label=t("business.timezone_search"),
                    aria_controls=f"{prefix}-timezone",
                    width="100%",
                    size="2",
                ),
                _select(
                    id=f"{prefix}-timezone",
                    options=S.timezone_options,
                    value=S.timezone,
                    on_change=S.set_timezone,
                    error=errors["timezone"],
                ),
                rx.cond(
                    S.timezone_no_match,
                    rx.text(t("business.timezone_none"), size="1", color_scheme="amber", role="status"),
                ),
                _hint("business.timezone_hint", id=f"{prefix}-timezone"),
                field_error(errors["timezone"], id=f"{prefix}-timezone"),
                spacing="1",
                width="100%",
            ),
            _field(
                "business.language",
                "business.language_hint",
                id=f"{prefix}-language",
                control=_select(
                    id=f"{prefix}-language",
                    options=S.language_options,
                    value=S.language,
                    on_change=S.set_language,
                    error=errors["language"],
                ),
                error=errors["language"],
            ),
            _field(
                "business.currency",
                "business.currency_hint",
                id=f"{prefix}-currency",
                control=_select(
                    id=f"{prefix}-currency",
                    options=S.currency_options,
                    value=S.currency,
                    on_change=S.set_currency,
                    error=errors["currency"],
                ),
                error=errors["currency"],
            ),
            rx.button(t("common.save"), type="submit", loading=S.saving, id=f"{prefix}-save"),
            spacing="4",
            width="100%",
            align="start",
        ),
        on_submit=lambda _form: S.save_region(),
        reset_on_submit=False,
        no_validate=True,
        width="100%",
    )


def _fact(label_key: str, value) -> rx.Component:
    return rx.vstack(
        rx.text(t(label_key), size="1", color_scheme="gray"),
        rx.text(value, size="3", weight="medium"),
        spacing="0",
    )


def region_read_only() -> rx.Component:
    """What a member who is not an admin sees: the four values and who can change them."""
    return rx.vstack(
        rx.grid(
            _fact("business.country", S.country_label),
            _fact("business.timezone", S.zone_label),
            _fact("business.language", S.language_label),
            _fact("business.currency", S.currency_label),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="4",
            width="100%",
        ),
        rx.callout(t("business.read_only"), icon="lock", color_scheme="gray", size="1"),
        spacing="4",
        width="100%",
    )


def region_loading() -> rx.Component:
    return rx.hstack(rx.spinner(size="2"), rx.text(t("common.loading"), size="2"), align="center", role="status")


def region_load_failed() -> rx.Component:
    return rx.callout(t("business.load_failed"), icon="triangle-alert", color_scheme="red", role="alert")


def region_confirmation() -> rx.Component:
    """The region guessed at signup, to confirm before hours are set; "Change" edits it in a dialog."""
    region = S
    editor = rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("business.edit_title")),
            rx.dialog.description(t("business.intro"), size="2", color_scheme="gray", margin_bottom="12px"),
            region_form(prefix="welcome-region"),
            rx.dialog.close(
                rx.icon_button(
                    rx.icon("x", size=16),
                    variant="ghost",
                    color_scheme="gray",
                    aria_label=t("common.cancel"),
                    position="absolute",
                    top="12px",
                    right="12px",
                )
            ),
            max_width="520px",
        ),
        open=region.editing,
        on_open_change=region.stop_editing,
    )
    return rx.card(
        rx.cond(
            region.loaded,
            rx.flex(
                rx.hstack(
                    rx.icon("globe", size=18, color=rx.color("accent", 10), flex_shrink="0"),
                    rx.vstack(
                        rx.text(t("business.current"), size="1", color_scheme="gray"),
                        rx.text(region.summary, id="welcome-region-summary", weight="medium"),
                        rx.text(t("business.confirm_hint"), size="1", color_scheme="gray"),
                        spacing="1",
                    ),
                    spacing="2",
                    align="start",
                    min_width="0",
                ),
                rx.cond(
                    region.can_edit,
                    rx.button(
                        t("business.change"),
                        id="welcome-region-change",
                        variant="soft",
                        on_click=region.start_editing,
                    ),
                    rx.link(t("business.change"), href=routes.SETTINGS_BUSINESS, size="2"),
                ),
                editor,
                justify="between",
                align="center",
                gap="3",
                wrap="wrap",
                width="100%",
            ),
            rx.cond(region.load_failed, region_load_failed(), region_loading()),
        ),
        on_mount=region.load_region,
        width="100%",
    )

"""Getting a phone number, shared by wizard step 3 and the "Add number" dialog of /phone-numbers:
search and buy a new number (with a confirmation saying free, or the monthly price), or, under "Advanced", import the
numbers of the business's own Twilio account."""

from __future__ import annotations

import reflex as rx

from ava_app.components.forms import field_error, field_label
from ava_app.components.i18n import t
from ava_app.state.phone_numbers import COUNTRIES, NumberFlowState

S = NumberFlowState


def _input(field: str, label_key: str, value, on_change, *, secret: bool = False, **props) -> rx.Component:
    """A labelled field; a ``secret`` one is uncontrolled, so what is typed is sent but never echoed back."""
    error = S.flow_errors.get(field, "")
    return rx.vstack(
        field_label(label_key, id=f"nf-{field}"),
        rx.input(
            id=f"nf-{field}",
            **({"default_value": value} if secret else {"value": value}),
            on_change=on_change,
            width="100%",
            size="3",
            aria_invalid=rx.cond(error, "true", "false"),
            **props,
        ),
        field_error(error, id=f"nf-{field}"),
        spacing="1",
        width="100%",
    )


def _offer(item: dict) -> rx.Component:
    chosen = S.selected == item["key"]
    return rx.el.label(
        rx.hstack(
            rx.radio_group.item(value=item["key"]),
            rx.vstack(
                rx.text(item["display"], weight="bold", size="3", style={"fontVariantNumeric": "tabular-nums"}),
                rx.cond(item["place"] != "", rx.text(item["place"], size="1", color_scheme="gray")),
                spacing="0",
                flex="1",
                min_width="0",
            ),
            rx.cond(
                item["free"] != "",
                rx.badge(t("numflow.free"), color_scheme="green"),
                rx.text(item["price"], " ", t("numflow.per_month"), size="2", color_scheme="gray"),
            ),
            align="center",
            spacing="3",
            width="100%",
        ),
        style={
            "display": "block",
            "width": "100%",
            "padding": "10px 12px",
            "borderRadius": "8px",
            "cursor": "pointer",
            "border": rx.cond(chosen, f"1px solid {rx.color('accent', 8)}", f"1px solid {rx.color('gray', 5)}"),
            "background": rx.cond(chosen, rx.color("accent", 2), "transparent"),
        },
    )


def _confirm_dialog() -> rx.Component:
    offer = S.selected_number
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("numflow.confirm_title")),
            rx.alert_dialog.description(
                rx.vstack(
                    rx.text(offer["display"], weight="bold", size="4"),
                    rx.cond(
                        offer["free"] != "",
                        rx.text(t("numflow.confirm_free")),
                        rx.text(
                            t("numflow.confirm_paid"), " ", rx.text.strong(offer["price"], " ", t("numflow.per_month"))
                        ),
                    ),
                    spacing="2",
                ),
                size="2",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("common.cancel"), variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button(t("numflow.confirm"), on_click=S.provision)),
                spacing="3",
                justify="end",
                margin_top="16px",
            ),
            max_width="460px",
        ),
        open=S.confirm_open,
        on_open_change=S.set_confirm_open,
    )


def _progress(text_key: str) -> rx.Component:
    return rx.callout(
        rx.hstack(rx.spinner(size="2"), rx.text(t(text_key)), spacing="2", align="center"),
        color_scheme="blue",
        width="100%",
        role="status",
    )


def get_number_flow() -> rx.Component:
    """Country, area code or digits, the numbers on offer, then a confirmation."""
    return rx.vstack(
        rx.form(
            rx.grid(
                rx.vstack(
                    field_label("numflow.country", id="nf-country"),
                    rx.select.root(
                        rx.select.trigger(id="nf-country", width="100%"),
                        rx.select.content(*[rx.select.item(t(f"country.{c}"), value=c) for c in COUNTRIES]),
                        value=S.country,
                        on_change=S.set_country,
                        size="3",
                    ),
                    field_error(S.flow_errors.get("country", ""), id="nf-country"),
                    spacing="1",
                    width="100%",
                ),
                _input(
                    "area_code",
                    "numflow.area_code",
                    S.area_code,
                    S.set_area_code,
                    input_mode="numeric",
                    placeholder=S.area_code_placeholder,
                ),
                _input("contains", "numflow.contains", S.contains, S.set_contains, placeholder=S.contains_placeholder),
                columns=rx.breakpoints(initial="1", sm="3"),
                gap="12px",
                width="100%",
            ),
            rx.text(S.country_hint, size="1", color_scheme="gray", margin_top="4px", id="nf-hint"),
            rx.button(
                rx.icon("search", size=16),
                t("numflow.search"),
                type="submit",
                loading=S.search_busy,
                margin_top="12px",
            ),
            on_submit=lambda _form: S.search,
            width="100%",
        ),
        rx.cond(
            S.flow_errors.contains("form"),
            rx.callout(S.flow_errors["form"], color_scheme="red", role="alert", icon="triangle-alert", width="100%"),
        ),
        rx.cond(
            S.searched,
            rx.cond(
                S.results.length() > 0,
                rx.vstack(
                    rx.text(t("numflow.results"), size="2", weight="medium"),
                    rx.radio_group.root(
                        rx.vstack(rx.foreach(S.visible_results, _offer), spacing="2", width="100%"),
                        value=S.selected,
                        on_change=S.select_number,
                        width="100%",
                        aria_label=t("numflow.results"),
                    ),
                    rx.cond(
                        S.has_more,
                        rx.button(
                            rx.icon("chevron-down", size=16),
                            t("numflow.more"),
                            on_click=S.show_more,
                            variant="ghost",
                            size="2",
                        ),
                    ),
                    field_error(S.flow_errors.get("selected", ""), id="nf-selected"),
                    rx.button(t("numflow.get"), on_click=S.ask_confirm, size="3", disabled=S.provisioning),
                    spacing="2",
                    width="100%",
                ),
                rx.text(t("numflow.none_found"), color_scheme="gray"),
            ),
        ),
        rx.cond(S.provisioning, _progress("numflow.provisioning")),
        _confirm_dialog(),
        spacing="4",
        width="100%",
    )


def _twilio_number(item: dict) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.checkbox(
                checked=S.chosen.contains(item["phone_number"]) | (item["in_ava"] != ""),
                disabled=item["in_ava"] != "",
                on_change=lambda checked: S.toggle_import(item["phone_number"], checked),
            ),
            rx.text(item["phone_number"], weight="bold", style={"fontVariantNumeric": "tabular-nums"}),
            rx.text(item["name"], size="2", color_scheme="gray", truncate=True, flex="1"),
            rx.cond(item["in_ava"] != "", rx.badge(t("numflow.in_ava"), color_scheme="gray")),
            align="center",
            spacing="3",
            width="100%",
        ),
        style={
            "display": "block",
            "padding": "8px 10px",
            "border": f"1px solid {rx.color('gray', 5)}",
            "borderRadius": "8px",
            "cursor": "pointer",
        },
    )


def import_flow() -> rx.Component:
    """Account SID and Auth Token, Verify, the account's numbers, import."""
    return rx.vstack(
        rx.text(t("numflow.twilio_intro"), size="2", color_scheme="gray"),
        rx.cond(
            S.sandbox_creds,
            rx.callout(t("numflow.sandbox_creds"), icon="flask-conical", color_scheme="amber", size="1", width="100%"),
        ),
        rx.form(
            rx.vstack(
                rx.cond(
                    S.sandbox_creds,
                    rx.checkbox(
                        t("numflow.use_sandbox"),
                        checked=S.use_sandbox_account,
                        on_change=S.set_use_sandbox_account,
                        size="2",
                    ),
                ),
                _input(
                    "account_sid",
                    "numflow.account_sid",
                    S.account_sid,
                    S.set_account_sid,
                    auto_complete="off",
                    placeholder="AC…",
                    read_only=S.use_sandbox_account,
                ),
                # The sandbox account's token stays on the server: with that choice there is nothing to type.
                rx.cond(
                    S.use_sandbox_account,
                    rx.fragment(),
                    _input(
                        "auth_token",
                        "numflow.auth_token",
                        "",
                        S.set_auth_token,
                        secret=True,
                        type="password",
                        auto_complete="off",
                    ),
                ),
                rx.button(rx.icon("shield-check", size=16), t("numflow.verify"), type="submit", loading=S.verify_busy),
                spacing="3",
                width="100%",
            ),
            on_submit=lambda _form: S.verify_twilio,
            width="100%",
        ),
        rx.cond(
            S.flow_errors.contains("form"),
            rx.callout(S.flow_errors["form"], color_scheme="red", role="alert", icon="triangle-alert", width="100%"),
        ),
        rx.cond(
            S.account_name != "",
            rx.vstack(
                rx.callout(
                    rx.text(t("numflow.verified"), " ", rx.text.strong(S.account_name)),
                    icon="circle-check",
                    color_scheme="green",
                    width="100%",
                ),
                rx.cond(
                    S.twilio_numbers.length() > 0,
                    rx.vstack(
                        rx.text(t("numflow.twilio_numbers"), size="2", weight="medium"),
                        rx.foreach(S.twilio_numbers, _twilio_number),
                        field_error(S.flow_errors.get("chosen", ""), id="nf-chosen"),
                        rx.button(t("numflow.import"), on_click=S.import_numbers, loading=S.import_busy, size="3"),
                        spacing="2",
                        width="100%",
                    ),
                    rx.text(t("numflow.no_twilio_numbers"), color_scheme="gray"),
                ),
                spacing="3",
                width="100%",
            ),
        ),
        rx.cond(S.import_busy, _progress("numflow.importing")),
        rx.cond(
            S.skipped.length() > 0,
            rx.callout(
                rx.vstack(rx.text(t("numflow.skipped"), weight="bold"), rx.foreach(S.skipped, rx.text), spacing="1"),
                color_scheme="amber",
                width="100%",
            ),
        ),
        spacing="3",
        width="100%",
    )


def added_numbers() -> rx.Component:
    """What this flow connected, as a confirmation."""
    return rx.cond(
        S.added.length() > 0,
        rx.callout(
            rx.hstack(
                rx.text(t("numflow.ready")),
                rx.foreach(S.added, lambda n: rx.badge(n, size="2")),
                wrap="wrap",
                spacing="2",
                align="center",
            ),
            icon="circle-check",
            color_scheme="green",
            width="100%",
            role="status",
        ),
    )


def advanced_import() -> rx.Component:
    """Importing from the business's own Twilio account: for the few who have one, folded away by default."""
    return rx.el.details(
        rx.el.summary(
            rx.text(t("numflow.advanced"), size="2", weight="medium", as_="span"),
            style={"cursor": "pointer", "padding": "6px 0"},
        ),
        rx.box(import_flow(), padding_top="12px"),
        style={"width": "100%", "borderTop": f"1px solid {rx.color('gray', 5)}", "paddingTop": "8px"},
    )


def number_flows(*, skip: rx.Component | None = None) -> rx.Component:
    """Tabs: get a new number and (in the wizard) skip; the Twilio import under "Advanced"."""
    triggers = [rx.tabs.trigger(t("numflow.tab.get"), value="get")]
    contents = [
        rx.tabs.content(rx.vstack(get_number_flow(), advanced_import(), spacing="4"), value="get", padding_top="16px")
    ]
    if skip is not None:
        triggers.append(rx.tabs.trigger(t("numflow.tab.skip"), value="skip"))
        contents.append(rx.tabs.content(skip, value="skip", padding_top="16px"))
    return rx.vstack(
        added_numbers(),
        rx.tabs.root(
            rx.tabs.list(*triggers, style={"flexWrap": "wrap"}),
            *contents,
            value=S.mode,
            on_change=S.set_mode,
            width="100%",
        ),
        spacing="3",
        width="100%",
    )

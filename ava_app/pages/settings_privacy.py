"""/settings/privacy: redaction of personal data in calls (admins change it, members see it), and what AVA keeps."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.downloads import download_script
from ava_app.components.forms import confirm_dialog, field_label, form_field
from ava_app.components.i18n import t
from ava_app.components.layout import app_layout
from ava_app.pages.settings_notifications import switch_row
from ava_app.services import retention
from ava_app.state.privacy import PrivacyState

OPTIONAL = (
    ("emails", PrivacyState.redact_emails, PrivacyState.set_redact_emails),
    ("other_phones", PrivacyState.redact_other_phones, PrivacyState.set_redact_other_phones),
    ("birth_dates", PrivacyState.redact_birth_dates, PrivacyState.set_redact_birth_dates),
)
KEPT = ("calls", "recordings", "messages", "raw", "exports", "audit")
# The periods offered (days), as ``services.retention`` accepts them.
PERIODS = (
    ("recordings", PrivacyState.keep_recordings, PrivacyState.set_keep_recordings, retention.RECORDING_CHOICES),
    ("transcripts", PrivacyState.keep_transcripts, PrivacyState.set_keep_transcripts, retention.TRANSCRIPT_CHOICES),
    ("payloads", PrivacyState.keep_payloads, PrivacyState.set_keep_payloads, retention.PAYLOAD_CHOICES),
)


def _switch(key: str, checked, on_change, *, disabled) -> rx.Component:
    return rx.switch(
        checked=checked, on_change=on_change, id=f"privacy-{key}", aria_label=t(f"privacy.{key}"), disabled=disabled
    )


def redaction_form() -> rx.Component:
    read_only = ~PrivacyState.is_admin
    return rx.card(
        rx.vstack(
            switch_row(
                "privacy.redact",
                "privacy.redact_hint",
                _switch("redact", PrivacyState.redact_pii, PrivacyState.set_redact_pii, disabled=read_only),
            ),
            rx.cond(
                PrivacyState.follows_business_kind,
                rx.text(t("privacy.default_note"), size="1", color_scheme="gray"),
            ),
            rx.separator(size="4"),
            rx.heading(t("privacy.also"), size="3", as_="h2"),
            *[
                switch_row(
                    f"privacy.{key}",
                    f"privacy.{key}_hint",
                    _switch(key, checked, on_change, disabled=read_only | ~PrivacyState.redact_pii),
                )
                for key, checked, on_change in OPTIONAL
            ],
            rx.text(t("privacy.applies"), size="1", color_scheme="gray"),
            rx.cond(
                PrivacyState.is_admin,
                rx.button(
                    t("privacy.save"),
                    on_click=PrivacyState.save_privacy,
                    loading=PrivacyState.privacy_busy,
                    id="privacy-save",
                ),
                rx.callout(t("privacy.admin_only"), icon="lock", color_scheme="gray", size="1"),
            ),
            spacing="4",
            width="100%",
            align="start",
        ),
        width="100%",
        max_width="640px",
    )


def _period(key: str, value, on_change, days: tuple[int | None, ...]) -> rx.Component:
    choices = [str(day) for day in days if day is not None] + (["forever"] if None in days else [])
    return rx.vstack(
        field_label(f"retention.{key}", id=f"retention-{key}"),
        rx.select.root(
            rx.select.trigger(id=f"retention-{key}", width="100%"),
            rx.select.content(*[rx.select.item(t(f"retention.days.{choice}"), value=choice) for choice in choices]),
            value=value,
            on_change=on_change,
            disabled=~PrivacyState.is_admin,
        ),
        rx.text(t(f"retention.{key}_hint"), size="1", color_scheme="gray"),
        spacing="1",
        width="100%",
    )


def retention_form() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("retention.title"), size="3", as_="h2"),
            rx.text(t("retention.intro"), size="2", color_scheme="gray"),
            *[_period(key, value, on_change, days) for key, value, on_change, days in PERIODS],
            rx.cond(
                PrivacyState.is_admin,
                rx.button(
                    t("retention.save"),
                    on_click=PrivacyState.save_retention,
                    loading=PrivacyState.retention_busy,
                    id="retention-save",
                ),
            ),
            spacing="4",
            width="100%",
            align="start",
        ),
        width="100%",
        max_width="640px",
    )


def _count(key: str) -> rx.Component:
    return rx.hstack(
        rx.text(PrivacyState.caller_found[key], weight="bold", size="3"),
        rx.text(t(f"caller.count.{key}"), size="2"),
        spacing="2",
        align="baseline",
    )


def caller_results() -> rx.Component:
    found = PrivacyState.caller_found
    return rx.cond(
        found.contains("caller"),
        rx.vstack(
            rx.cond(
                found["anything"] != "",
                rx.vstack(
                    rx.text(t("caller.found_for"), " ", rx.text.strong(found["caller"]), size="2"),
                    rx.grid(
                        *[_count(key) for key in ("calls", "bookings", "messages", "raw")],
                        columns=rx.breakpoints(initial="1", sm="2"),
                        spacing="2",
                        width="100%",
                    ),
                    rx.flex(
                        rx.button(
                            rx.icon("download", size=16),
                            t("caller.export"),
                            variant="soft",
                            on_click=PrivacyState.export_caller,
                            loading=PrivacyState.export_busy,
                            id="caller-export",
                        ),
                        rx.button(
                            rx.icon("trash-2", size=16),
                            t("caller.erase"),
                            color_scheme="red",
                            variant="soft",
                            on_click=PrivacyState.ask_erase,
                            id="caller-erase",
                        ),
                        gap="12px",
                        wrap="wrap",
                    ),
                    spacing="3",
                    width="100%",
                ),
                rx.text(t("caller.nothing"), " ", rx.text.strong(found["caller"]), ".", size="2"),
            ),
            width="100%",
        ),
    )


def caller_form() -> rx.Component:
    """Admins only: find, export or erase one caller's data."""
    return rx.card(
        rx.vstack(
            rx.heading(t("caller.title"), size="3", as_="h2"),
            rx.text(t("caller.intro"), size="2", color_scheme="gray"),
            rx.form(
                rx.flex(
                    rx.box(
                        form_field(
                            "caller.query",
                            id="caller-query",
                            name="caller",
                            value=PrivacyState.caller_query,
                            on_change=PrivacyState.set_caller_query,
                            error=PrivacyState.caller_error,
                            auto_complete="off",
                        ),
                        flex="1",
                        min_width="200px",
                    ),
                    rx.button(t("caller.find"), type="submit", loading=PrivacyState.caller_busy, margin_top="22px"),
                    gap="12px",
                    align="start",
                    wrap="wrap",
                    width="100%",
                ),
                on_submit=PrivacyState.find_caller,
                reset_on_submit=False,
                width="100%",
            ),
            caller_results(),
            rx.cond(
                PrivacyState.caller_erased != "",
                rx.callout(PrivacyState.caller_erased, icon="circle-check", color_scheme="green", width="100%"),
            ),
            confirm_dialog(
                open=PrivacyState.confirm_erase,
                title=t("caller.erase_title"),
                body=rx.text(t("caller.erase_body"), " ", rx.text.strong(PrivacyState.caller_found["caller"])),
                confirm_label=t("caller.erase_confirm"),
                on_confirm=PrivacyState.erase_caller,
                on_cancel=PrivacyState.cancel_erase,
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        max_width="640px",
    )


# How often the page reads an export's progress while one is being built (the job writes it every few hundred rows).
EXPORT_REFRESH_MS = 2000
STATUS_COLOURS = (("ready", "green"), ("failed", "red"), ("expired", "gray"))


def _bar(percent) -> rx.Component:
    """A progress bar drawn from the row's percentage (a string, as the row's other values; Radix's needs a number)."""
    return rx.box(
        rx.box(
            height="100%", width=percent + "%", background="var(--accent-9)", border_radius="inherit",
            transition="width 0.4s ease",
        ),
        role="progressbar",
        aria_valuenow=percent,
        aria_valuemin="0",
        aria_valuemax="100",
        aria_label=t("data_export.progress_label"),
        height="8px",
        width="100%",
        background="var(--gray-a4)",
        border_radius="9999px",
        overflow="hidden",
    )  # fmt: skip


def _export_row(row) -> rx.Component:
    building = (row["status"] == "queued") | (row["status"] == "running")
    return rx.vstack(
        rx.flex(
            rx.vstack(
                rx.text(row["title"], weight="medium", size="2"),
                rx.text(row["requested"], size="1", color_scheme="gray"),
                spacing="0",
                min_width="0",
            ),
            rx.badge(row["status_text"], color_scheme=rx.match(row["status"], *STATUS_COLOURS, "blue")),
            justify="between",
            align="start",
            gap="8px",
            width="100%",
        ),
        rx.cond(building, _bar(row["percent"])),
        rx.flex(
            rx.text(row["detail"], size="1", color_scheme=rx.cond(row["status"] == "failed", "red", "gray")),
            rx.cond(
                row["status"] == "ready",
                rx.button(
                    rx.icon("download", size=16),
                    t("data_export.download"),
                    size="2",
                    on_click=PrivacyState.download_export(row["id"]),
                    id="export-download-" + row["id"],
                ),
            ),
            rx.cond(
                row["status"] == "failed",
                rx.button(
                    rx.icon("rotate-ccw", size=16),
                    t("data_export.retry"),
                    size="2",
                    variant="soft",
                    on_click=PrivacyState.retry_export(row["id"]),
                ),
            ),
            justify="between",
            align="center",
            gap="8px",
            wrap="wrap",
            width="100%",
        ),
        spacing="2",
        width="100%",
        padding_y="8px",
        border_top="1px solid var(--gray-a5)",
    )


def exports_form() -> rx.Component:
    """Admins only: export all of the business's data, and the exports under way or ready (a caller's included)."""
    return rx.card(
        rx.vstack(
            rx.heading(t("data_export.title"), size="3", as_="h2"),
            rx.text(t("data_export.intro"), size="2", color_scheme="gray"),
            rx.button(
                rx.icon("archive", size=16),
                t("data_export.organisation"),
                variant="soft",
                on_click=PrivacyState.export_organisation,
                loading=PrivacyState.export_busy,
                id="org-export",
            ),
            rx.cond(
                PrivacyState.exports.length() > 0,
                rx.vstack(rx.foreach(PrivacyState.exports, _export_row), spacing="0", width="100%", id="exports"),
                rx.text(t("data_export.none"), size="2", color_scheme="gray"),
            ),
            rx.cond(
                PrivacyState.exports_running,
                rx.moment(interval=EXPORT_REFRESH_MS, on_change=PrivacyState.refresh_exports, display="none"),
            ),
            spacing="3",
            width="100%",
            align="start",
        ),
        width="100%",
        max_width="640px",
        id="data-exports",
    )


def delete_organisation_form() -> rx.Component:
    """Admins only: delete the organisation after seven days, or cancel a deletion under way."""
    return rx.card(
        rx.vstack(
            rx.heading(t("org_delete.title"), size="3", as_="h2", color_scheme="red"),
            rx.cond(
                PrivacyState.org_deletion_due != "",
                rx.vstack(
                    rx.text(t("org_delete.banner"), " ", rx.text.strong(PrivacyState.org_deletion_due), ".", size="2"),
                    rx.button(
                        t("org_delete.cancel"),
                        on_click=PrivacyState.cancel_org_deletion,
                        loading=PrivacyState.delete_busy,
                        id="org-delete-cancel",
                    ),
                    spacing="3",
                    align="start",
                ),
                rx.form(
                    rx.vstack(
                        rx.text(t("org_delete.intro"), size="2", color_scheme="gray"),
                        form_field(
                            "org_delete.type_name",
                            id="org-delete-name",
                            name="typed_name",
                            value=PrivacyState.delete_typed,
                            on_change=PrivacyState.set_delete_typed,
                            error=PrivacyState.delete_error,
                            placeholder=PrivacyState.tenant_name,
                            auto_complete="off",
                        ),
                        rx.button(
                            t("org_delete.submit"),
                            type="submit",
                            color_scheme="red",
                            loading=PrivacyState.delete_busy,
                            disabled=PrivacyState.delete_typed == "",
                        ),
                        spacing="3",
                        align="start",
                        width="100%",
                    ),
                    on_submit=PrivacyState.request_org_deletion,
                    reset_on_submit=False,
                    width="100%",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        max_width="640px",
    )


def what_ava_keeps() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("privacy.keeps"), size="3", as_="h2"),
            rx.el.ul(
                *[rx.el.li(rx.text(t(f"privacy.keeps.{key}"), size="2")) for key in KEPT],
                padding_left="20px",
                display="flex",
                flex_direction="column",
                gap="8px",
                margin="0",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        max_width="640px",
    )


def privacy_page() -> rx.Component:
    return app_layout(
        download_script(),
        rx.cond(
            PrivacyState.privacy_loaded,
            rx.vstack(
                redaction_form(),
                retention_form(),
                rx.cond(PrivacyState.is_admin, caller_form()),
                rx.cond(PrivacyState.is_admin, exports_form()),
                what_ava_keeps(),
                rx.cond(PrivacyState.is_admin, delete_organisation_form()),
                spacing="5",
                width="100%",
            ),
            rx.cond(
                PrivacyState.privacy_failed,
                rx.callout(t("privacy.load_error"), icon="triangle-alert", color_scheme="red", max_width="640px"),
                rx.center(rx.spinner(size="3"), width="100%", padding="48px"),
            ),
        ),
        title_key="privacy.title",
        back=("settings.title", routes.SETTINGS),
    )

"""Chart cards: a titled card around a plotly figure built by a state from a service's figures."""

from __future__ import annotations

import reflex as rx


def chart_card(
    title: rx.Var | str, figure: rx.Var, *, controls: rx.Component | None = None, label: str = ""
) -> rx.Component:
    """A card with ``title`` (and optional ``controls`` on its right) and the figure, full width, no plotly toolbar.

    ``label`` names the chart for screen readers (plotly's SVG says nothing useful on its own).
    """
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(title, size="4"),
                rx.spacer(),
                controls or rx.fragment(),
                align="center",
                width="100%",
                wrap="wrap",
                spacing="2",
            ),
            rx.box(
                rx.plotly(
                    data=figure,
                    config={"displayModeBar": False, "responsive": True},
                    use_resize_handler=True,
                    width="100%",
                ),
                width="100%",
                role="img",
                aria_label=label or title,
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        min_width="0",
    )

"""Chart cards: a titled card around a plotly figure built by a state from a service's figures.

AVA draws bars only, so the cards use plotly's basic bundle (bar, scatter, pie: about a quarter of the full one).
Reflex loads it with a dynamic import once a chart mounts, so the page and its figures show first and the charts
follow; ``height`` keeps the chart's room meanwhile, so nothing below jumps when it arrives.

The states keep their figures as plain dicts in Plotly's JSON shape (``state/dashboard.py`` says why); the component
spreads whatever dict it gets over react-plotly's props, so the var is only re-typed for its prop check.
"""

from __future__ import annotations

import plotly.graph_objects as go
import reflex as rx


def chart_card(
    title: rx.Var | str,
    figure: rx.Var[dict],
    *,
    controls: rx.Component | None = None,
    label: str = "",
    height: str = "240px",
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
                rx.plotly.basic(
                    data=figure.to(go.Figure),
                    config={"displayModeBar": False, "responsive": True},
                    use_resize_handler=True,
                    width="100%",
                ),
                width="100%",
                min_height=height,
                role="img",
                aria_label=label or title,
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        min_width="0",
    )

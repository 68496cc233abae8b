"""Server-side SVG bar charts for the KPIs: plain Python, no script, no external files.

The caller formats every label and tooltip (so numbers follow the active
language) and passes values already in chart units; this module only lays
them out. Every piece of text is escaped, so the result can be inlined in a
page as is.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

# Sized for a card about 26rem wide, so 11-unit text stays readable.
WIDTH = 480
HEIGHT = 220
MARGIN_LEFT = 48
MARGIN_RIGHT = 12
MARGIN_TOP = 36
MARGIN_BOTTOM = 44
# At most this many week labels fit under the axis without overlapping.
MAX_X_LABELS = 7

BAR_COLOUR = "#1f4e79"
GRID_COLOUR = "#dde3ea"
TEXT_COLOUR = "#5b6675"
INK_COLOUR = "#1b2430"

_CHART_ID = re.compile(r"[a-z][a-z0-9-]*")


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: axis label, value in chart units (None: no data) and tooltip."""

    label: str
    value: float | None
    tooltip: str


@dataclass(frozen=True, slots=True)
class Tick:
    """A labelled line across the chart at ``value`` (in chart units)."""

    value: float
    label: str


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is >= ``value``.

    Returns 1.0 for values of 0 or less, so an empty chart still has an axis.
    """
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * power:
            return step * power
    return 10.0 * power  # pragma: no cover - the loop always returns


def even_ticks(y_max: float, *, count: int = 4) -> list[float]:
    """``count + 1`` evenly spaced values from 0 to ``y_max``."""
    return [y_max * index / count for index in range(count + 1)]


def _number(value: float) -> str:
    return f"{value:.1f}"


def bar_chart(
    *,
    chart_id: str,
    title: str,
    bars: Sequence[Bar],
    y_max: float,
    y_ticks: Sequence[Tick],
    x_axis_label: str = "",
) -> str:
    """An SVG bar chart as a string, one bar per item of ``bars``.

    ``chart_id`` (lower-case letters, digits and hyphens, unique on the page)
    names the chart for screen readers. Values above ``y_max`` are drawn at
    the top. Raises ValueError for a bad ``chart_id`` or a ``y_max`` <= 0.
    """
    if not _CHART_ID.fullmatch(chart_id):
        raise ValueError(
            f'chart_id "{chart_id}" must be lower-case letters, digits and hyphens.'
        )
    if y_max <= 0:
        raise ValueError(f"y_max must be above 0, got {y_max}.")
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    baseline = MARGIN_TOP + plot_height

    def y_of(value: float) -> float:
        clamped = min(max(value, 0.0), y_max)
        return baseline - clamped / y_max * plot_height

    title_id = f"{chart_id}-title"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="chart" role="img" aria-labelledby="{title_id}" '
        f'font-family="system-ui, sans-serif" font-size="11">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<text x="{MARGIN_LEFT}" y="18" font-size="13" font-weight="600" '
        f'fill="{INK_COLOUR}">{escape(title)}</text>',
    ]
    for tick in y_ticks:
        y = _number(y_of(tick.value))
        parts.append(
            f'<line x1="{MARGIN_LEFT}" y1="{y}" x2="{WIDTH - MARGIN_RIGHT}" y2="{y}" '
            f'stroke="{GRID_COLOUR}" stroke-width="1"/>'
            f'<text x="{MARGIN_LEFT - 6}" y="{y}" text-anchor="end" '
            f'dominant-baseline="middle" fill="{TEXT_COLOUR}">'
            f"{escape(tick.label)}</text>"
        )
    parts.append(
        f'<line x1="{MARGIN_LEFT}" y1="{baseline}" x2="{WIDTH - MARGIN_RIGHT}" '
        f'y2="{baseline}" stroke="{TEXT_COLOUR}" stroke-width="1"/>'
    )
    if bars:
        slot = plot_width / len(bars)
        label_every = max(1, math.ceil(len(bars) / MAX_X_LABELS))
        for index, bar in enumerate(bars):
            left = MARGIN_LEFT + index * slot
            centre = _number(left + slot / 2)
            parts.append(f"<g><title>{escape(bar.tooltip)}</title>")
            # A transparent slot as tall as the plot makes every tooltip easy to hit.
            parts.append(
                f'<rect x="{_number(left)}" y="{MARGIN_TOP}" width="{_number(slot)}" '
                f'height="{plot_height}" fill="transparent"/>'
            )
            if bar.value is not None:
                top = y_of(bar.value)
                parts.append(
                    f'<rect x="{_number(left + slot * 0.15)}" y="{_number(top)}" '
                    f'width="{_number(slot * 0.7)}" height="{_number(baseline - top)}" '
                    f'fill="{BAR_COLOUR}"/>'
                )
            parts.append("</g>")
            if index % label_every == 0:
                parts.append(
                    f'<text x="{centre}" y="{baseline + 16}" text-anchor="middle" '
                    f'fill="{TEXT_COLOUR}">{escape(bar.label)}</text>'
                )
    if x_axis_label:
        parts.append(
            f'<text x="{MARGIN_LEFT + plot_width / 2:.1f}" y="{HEIGHT - 6}" '
            f'text-anchor="middle" fill="{TEXT_COLOUR}">{escape(x_axis_label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


SPARK_WIDTH = 120
SPARK_HEIGHT = 28
SPARK_PAD = 3


def sparkline(
    *, chart_id: str, title: str, values: Sequence[float | None], y_max: float
) -> str:
    """A small SVG line of ``values`` (one per week, oldest first) as a string.

    ``title`` says in words what the line shows, for screen readers and as a
    tooltip. A None value (no data that week) breaks the line; the last
    known value gets a dot. Values are drawn between 0 and ``y_max``.
    Raises ValueError for a bad ``chart_id`` or a ``y_max`` <= 0.
    """
    if not _CHART_ID.fullmatch(chart_id):
        raise ValueError(
            f'chart_id "{chart_id}" must be lower-case letters, digits and hyphens.'
        )
    if y_max <= 0:
        raise ValueError(f"y_max must be above 0, got {y_max}.")
    inner_width = SPARK_WIDTH - 2 * SPARK_PAD
    inner_height = SPARK_HEIGHT - 2 * SPARK_PAD
    step = inner_width / max(len(values) - 1, 1)

    def point(index: int, value: float) -> tuple[str, str]:
        clamped = min(max(value, 0.0), y_max)
        x = SPARK_PAD + index * step
        y = SPARK_PAD + inner_height - clamped / y_max * inner_height
        return _number(x), _number(y)

    runs: list[list[tuple[str, str]]] = [[]]
    last: tuple[str, str] | None = None
    for index, value in enumerate(values):
        if value is None:
            if runs[-1]:
                runs.append([])
            continue
        last = point(index, value)
        runs[-1].append(last)
    title_id = f"{chart_id}-title"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SPARK_WIDTH} '
        f'{SPARK_HEIGHT}" width="{SPARK_WIDTH}" height="{SPARK_HEIGHT}" '
        f'class="sparkline" role="img" aria-labelledby="{title_id}">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<line x1="{SPARK_PAD}" y1="{SPARK_HEIGHT - SPARK_PAD}" '
        f'x2="{SPARK_WIDTH - SPARK_PAD}" y2="{SPARK_HEIGHT - SPARK_PAD}" '
        f'stroke="{GRID_COLOUR}" stroke-width="1"/>',
    ]
    for run in runs:
        if len(run) == 1:
            x, y = run[0]
            parts.append(f'<circle cx="{x}" cy="{y}" r="1.5" fill="{BAR_COLOUR}"/>')
        elif run:
            points = " ".join(f"{x},{y}" for x, y in run)
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{BAR_COLOUR}" '
                f'stroke-width="1.5" stroke-linejoin="round"/>'
            )
    if last is not None:
        parts.append(
            f'<circle cx="{last[0]}" cy="{last[1]}" r="2.5" fill="{BAR_COLOUR}"/>'
        )
    parts.append("</svg>")
    return "".join(parts)

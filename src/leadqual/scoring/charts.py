"""A small server-rendered SVG line chart of a lead's score over time.

Pure Python: the caller passes the points, the guide lines and every text
already translated and formatted; this module only draws. Every text and
attribute value is escaped here, so the result may be marked safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

# Drawing area in SVG user units; the chart scales to its container (class "chart").
WIDTH = 600
HEIGHT = 200
_LEFT = 36  # room for the y-axis labels
_RIGHT = 12
_TOP = 12
_BOTTOM = 28  # room for the first and last date
MAX_VALUE = 100  # scores run 0-100


@dataclass(frozen=True, slots=True)
class ChartPoint:
    """One score at one moment; ``label`` is its tooltip, e.g. "27 Nov 10:30: 72"."""

    at: datetime
    value: int
    label: str


@dataclass(frozen=True, slots=True)
class GuideLine:
    """A horizontal line at ``value`` (a band threshold), with its text."""

    value: int
    label: str
    css_class: str = ""


def _number(value: float) -> str:
    """Coordinates with at most one decimal, without trailing zeros."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _y(value: float) -> float:
    clamped = min(max(value, 0), MAX_VALUE)
    plot_height = HEIGHT - _TOP - _BOTTOM
    return _TOP + plot_height * (1 - clamped / MAX_VALUE)


def _x_positions(points: Sequence[ChartPoint]) -> list[float]:
    """Spread points by time; a single point (or one moment) sits in the middle."""
    plot_width = WIDTH - _LEFT - _RIGHT
    first, last = points[0].at, points[-1].at
    span = (last - first).total_seconds()
    if span <= 0:
        if len(points) == 1:
            return [_LEFT + plot_width / 2]
        step = plot_width / (len(points) - 1)
        return [_LEFT + step * index for index in range(len(points))]
    return [
        _LEFT + plot_width * (point.at - first).total_seconds() / span
        for point in points
    ]


def score_history_svg(
    points: Sequence[ChartPoint],
    *,
    title: str,
    guides: Sequence[GuideLine] = (),
    first_label: str = "",
    last_label: str = "",
) -> str:
    """An ``<svg>`` line chart of ``points`` (oldest first) on a 0-100 scale.

    ``guides`` become dashed horizontal lines (the band thresholds);
    ``first_label`` and ``last_label`` are written under the start and end of
    the x axis. Returns an SVG element as text, every value escaped. With no
    points the chart holds only its axes and guides (and no polyline).
    """
    ordered = sorted(points, key=lambda point: point.at)
    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart score-chart" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="score-chart-title" preserveAspectRatio="xMidYMid meet">',
        f'<title id="score-chart-title">{escape(title)}</title>',
    ]
    left, right = _number(_LEFT), _number(WIDTH - _RIGHT)
    bottom = _number(_y(0))
    parts.append(
        f'<line class="chart-axis" x1="{left}" y1="{_number(_y(MAX_VALUE))}" '
        f'x2="{left}" y2="{bottom}" stroke="currentColor" />'
    )
    parts.append(
        f'<line class="chart-axis" x1="{left}" y1="{bottom}" x2="{right}" '
        f'y2="{bottom}" stroke="currentColor" />'
    )
    for tick in (0, MAX_VALUE):
        parts.append(
            f'<text class="chart-tick" x="{_number(_LEFT - 6)}" '
            f'y="{_number(_y(tick) + 4)}" text-anchor="end">{tick}</text>'
        )
    for guide in guides:
        y = _number(_y(guide.value))
        css = escape(f"chart-guide {guide.css_class}".strip(), {'"': "&quot;"})
        parts.append(
            f'<line class="{css}" x1="{left}" y1="{y}" x2="{right}" y2="{y}" '
            f'stroke="currentColor" stroke-dasharray="4 4" />'
        )
        parts.append(
            f'<text class="chart-tick" x="{_number(_LEFT - 6)}" '
            f'y="{_number(_y(guide.value) + 4)}" text-anchor="end">{guide.value}</text>'
        )
        parts.append(
            f'<text class="chart-guide-label" x="{right}" '
            f'y="{_number(_y(guide.value) - 4)}" text-anchor="end">'
            f"{escape(guide.label)}</text>"
        )
    if ordered:
        xs = _x_positions(ordered)
        coordinates = " ".join(
            f"{_number(x)},{_number(_y(point.value))}"
            for x, point in zip(xs, ordered, strict=True)
        )
        parts.append(
            f'<polyline class="chart-line" points="{coordinates}" fill="none" '
            f'stroke="currentColor" stroke-width="2" />'
        )
        for x, point in zip(xs, ordered, strict=True):
            parts.append(
                f'<circle class="chart-point" cx="{_number(x)}" '
                f'cy="{_number(_y(point.value))}" r="3.5">'
                f"<title>{escape(point.label)}</title></circle>"
            )
    label_y = _number(HEIGHT - 8)
    if first_label:
        parts.append(
            f'<text class="chart-tick" x="{left}" y="{label_y}" '
            f'text-anchor="start">{escape(first_label)}</text>'
        )
    if last_label:
        parts.append(
            f'<text class="chart-tick" x="{right}" y="{label_y}" '
            f'text-anchor="end">{escape(last_label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)

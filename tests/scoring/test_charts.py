"""The score history chart: valid SVG, a line through the scores, escaped text."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from leadqual.scoring.charts import (
    HEIGHT,
    ChartPoint,
    GuideLine,
    score_history_svg,
)

SVG = "{http://www.w3.org/2000/svg}"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _points(*values: int) -> list[ChartPoint]:
    return [
        ChartPoint(at=START + timedelta(days=day), value=value, label=f"day {day}")
        for day, value in enumerate(values)
    ]


def _coordinates(svg: ET.Element) -> list[tuple[float, float]]:
    polyline = svg.find(f"{SVG}polyline")
    assert polyline is not None
    pairs = [pair.split(",") for pair in polyline.attrib["points"].split()]
    return [(float(x), float(y)) for x, y in pairs]


def test_the_chart_is_valid_svg_with_a_polyline_through_every_score() -> None:
    svg = ET.fromstring(score_history_svg(_points(20, 45, 80), title="Score"))

    assert svg.tag == f"{SVG}svg"
    coordinates = _coordinates(svg)
    assert len(coordinates) == 3
    xs = [x for x, _y in coordinates]
    ys = [y for _x, y in coordinates]
    assert xs == sorted(xs)
    assert ys[0] > ys[1] > ys[2]  # a higher score is drawn higher up


def test_points_are_placed_by_time() -> None:
    points = [
        ChartPoint(at=START, value=10, label="a"),
        ChartPoint(at=START + timedelta(days=1), value=10, label="b"),
        ChartPoint(at=START + timedelta(days=4), value=10, label="c"),
    ]

    xs = [
        x for x, _y in _coordinates(ET.fromstring(score_history_svg(points, title="t")))
    ]

    assert round((xs[1] - xs[0]) * 4) == round(xs[2] - xs[0])


def test_scores_stay_inside_the_chart() -> None:
    coordinates = _coordinates(
        ET.fromstring(score_history_svg(_points(0, 100), title="t"))
    )

    assert all(0 <= y <= HEIGHT for _x, y in coordinates)


def test_a_single_score_still_draws_a_line() -> None:
    svg = ET.fromstring(score_history_svg(_points(55), title="t"))

    assert len(_coordinates(svg)) == 1
    assert len(svg.findall(f"{SVG}circle")) == 1


def test_band_thresholds_become_dashed_guide_lines() -> None:
    guides = [
        GuideLine(40, "warm from 40", "chart-guide-warm"),
        GuideLine(70, "hot from 70", "chart-guide-hot"),
    ]
    svg = ET.fromstring(score_history_svg(_points(30, 75), title="t", guides=guides))

    lines = [
        line
        for line in svg.findall(f"{SVG}line")
        if "chart-guide" in line.attrib.get("class", "")
    ]
    assert [line.attrib["class"] for line in lines] == [
        "chart-guide chart-guide-warm",
        "chart-guide chart-guide-hot",
    ]
    assert all(line.attrib["stroke-dasharray"] for line in lines)
    assert float(lines[1].attrib["y1"]) < float(lines[0].attrib["y1"])
    texts = [text.text for text in svg.iter(f"{SVG}text")]
    assert "warm from 40" in texts and "hot from 70" in texts


def test_every_text_is_escaped() -> None:
    hostile = '<script>alert("x")</script> & "quotes"'
    points = [ChartPoint(at=START, value=50, label=hostile)]
    guides = [GuideLine(40, hostile, 'x" onload="alert(1)')]

    source = score_history_svg(
        points, title=hostile, guides=guides, first_label=hostile
    )

    assert "<script>" not in source
    svg = ET.fromstring(source)  # still well-formed
    title = svg.find(f"{SVG}title")
    assert title is not None and title.text == hostile
    assert not any("onload" in element.attrib for element in svg.iter())


def test_without_scores_there_is_no_line() -> None:
    svg = ET.fromstring(score_history_svg([], title="Score"))

    assert svg.find(f"{SVG}polyline") is None

"""KPI charts are valid, self-contained SVG with labels and tooltips."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from leadqual.insights.charts import Bar, Tick, bar_chart, even_ticks, nice_ceiling

SVG = "{http://www.w3.org/2000/svg}"


def _chart(bars: list[Bar], *, title: str = "Sales-ready per week") -> ET.Element:
    svg = bar_chart(
        chart_id="chart-sales-ready",
        title=title,
        bars=bars,
        y_max=1.0,
        y_ticks=[Tick(value, f"{value * 100:.0f}%") for value in even_ticks(1.0)],
        x_axis_label="Week starting",
    )
    return ET.fromstring(svg)


def _texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def _tooltips(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}title")]


WEEKS = [
    Bar("23 Nov", 0.5, "Week of Nov. 23, 2026: 50.0%"),
    Bar("30 Nov", None, "Week of Nov. 30, 2026: \N{EN DASH}"),
    Bar("7 Dec", 1.0, "Week of Dec. 7, 2026: 100.0%"),
]


def test_a_chart_parses_as_svg_with_its_title_and_accessible_name() -> None:
    root = _chart(WEEKS)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == "Sales-ready per week"
    assert root.get("aria-labelledby") == title.get("id") == "chart-sales-ready-title"


def test_the_axes_carry_week_dates_and_percentages_from_0_to_100() -> None:
    texts = _texts(_chart(WEEKS))
    assert {"23 Nov", "30 Nov", "7 Dec", "Week starting"} <= set(texts)
    assert {"0%", "25%", "50%", "75%", "100%"} <= set(texts)


def test_every_week_has_its_value_as_a_tooltip() -> None:
    tooltips = _tooltips(_chart(WEEKS))
    assert tooltips[1:] == [bar.tooltip for bar in WEEKS]


def test_a_week_without_data_gets_no_bar() -> None:
    root = _chart(WEEKS)
    groups = root.findall(f"{SVG}g")
    bar_counts = [len(group.findall(f"{SVG}rect")) for group in groups]
    # Each week has its transparent tooltip area; only weeks with data a bar.
    assert bar_counts == [2, 1, 2]


def test_a_full_bar_reaches_the_top_line_and_a_half_bar_half_way() -> None:
    root = _chart(WEEKS)
    groups = root.findall(f"{SVG}g")
    half = groups[0].findall(f"{SVG}rect")[1]
    full = groups[2].findall(f"{SVG}rect")[1]
    assert float(full.get("height", "0")) == pytest.approx(
        2 * float(half.get("height", "0")), abs=0.2
    )


def test_text_is_escaped_so_the_svg_stays_valid() -> None:
    root = _chart(
        [Bar("<b>", 0.1, 'Week "1" & <script>alert(1)</script>')],
        title="Leads & <friends>",
    )
    assert _tooltips(root) == [
        "Leads & <friends>",
        'Week "1" & <script>alert(1)</script>',
    ]
    assert root.find(f".//{SVG}script") is None


def test_a_chart_has_no_script_and_no_external_references() -> None:
    svg = bar_chart(
        chart_id="chart-a",
        title="A",
        bars=WEEKS,
        y_max=1.0,
        y_ticks=[],
    )
    assert "<script" not in svg
    assert "href" not in svg
    assert "url(" not in svg


def test_many_weeks_label_only_every_few_weeks() -> None:
    bars = [Bar(f"w{number}", 0.5, f"week {number}") for number in range(26)]
    texts = _texts(_chart(bars))
    week_labels = [text for text in texts if text.startswith("w")]
    assert week_labels == ["w0", "w4", "w8", "w12", "w16", "w20", "w24"]


def test_a_chart_without_weeks_still_parses() -> None:
    root = _chart([])
    assert root.findall(f"{SVG}g") == []


def test_a_chart_id_with_odd_characters_is_refused() -> None:
    with pytest.raises(ValueError, match="chart_id"):
        bar_chart(chart_id='x" onload="', title="A", bars=[], y_max=1.0, y_ticks=[])


def test_a_zero_maximum_is_refused() -> None:
    with pytest.raises(ValueError, match="y_max"):
        bar_chart(chart_id="a", title="A", bars=[], y_max=0.0, y_ticks=[])


@pytest.mark.parametrize(
    ("value", "ceiling"),
    [(0, 1.0), (0.3, 0.5), (1, 1.0), (7, 10.0), (12, 20.0), (21, 25.0), (260, 500.0)],
)
def test_the_axis_maximum_is_a_round_number_at_or_above_the_largest_value(
    value: float, ceiling: float
) -> None:
    assert nice_ceiling(value) == ceiling


def test_even_ticks_split_the_axis_in_four() -> None:
    assert even_ticks(20.0) == [0.0, 5.0, 10.0, 15.0, 20.0]

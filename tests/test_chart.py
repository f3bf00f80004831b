"""The summary page's bar charts as geometry (reports/chart.py): bars in
proportion to their values on a round scale, for no value, one month, three
years of months and very large numbers, with labels that never overlap."""

import pytest

from reports import chart
from reports.chart import axis_ticks, bar_chart, month_series, monthly_chart, short_number

ROUND_STEPS = {m * 10**k for k in range(20) for m in (1, 2, 5, 25)}


def months(count, first_year=2024, first_month=1):
    """`count` consecutive months as YYYY-MM, from first_year-first_month."""
    start = first_year * 12 + first_month - 1
    return [f"{n // 12}-{n % 12 + 1:02}" for n in range(start, start + count)]


def assert_on_the_baseline(drawn):
    for bar in drawn.bars:
        assert bar.height >= 0
        assert bar.y + bar.height == pytest.approx(drawn.baseline, abs=0.02)


def assert_no_overlap(labels, width):
    """Labels on one line are at least their half-widths apart, and inside the chart."""
    for line in {label.y for label in labels}:
        row = sorted((label for label in labels if label.y == line), key=lambda label: label.x)
        for left, right in zip(row, row[1:], strict=False):
            room = (chart.text_width(left.text) + chart.text_width(right.text)) / 2
            assert right.x - left.x >= room, (left, right)
        assert row[0].x - chart.text_width(row[0].text) / 2 >= 0, row[0]
        assert row[-1].x + chart.text_width(row[-1].text) / 2 <= width, row[-1]


# The scale -----------------------------------------------------------------------------


def test_bar_heights_are_proportional_to_the_values():
    drawn = bar_chart([("a", 1), ("b", 2), ("c", 4), ("d", 3)])

    heights = [bar.height for bar in drawn.bars]
    unit = (drawn.baseline - drawn.ticks[-1].y) / drawn.maximum
    assert heights == pytest.approx([value * unit for value in (1, 2, 4, 3)], abs=0.01)
    assert_on_the_baseline(drawn)


def test_a_bar_of_the_top_tick_s_value_reaches_the_top_gridline():
    drawn = bar_chart([("a", 5), ("b", 10)])

    assert drawn.maximum == 10
    assert drawn.bars[1].y == drawn.ticks[-1].y == drawn.top
    assert drawn.bars[0].y == pytest.approx((drawn.top + drawn.baseline) / 2, abs=0.01)


def test_bars_are_in_order_side_by_side_within_the_plot():
    drawn = bar_chart([(str(n), n) for n in range(7)])

    assert [bar.label for bar in drawn.bars] == [str(n) for n in range(7)]
    for left, right in zip(drawn.bars, drawn.bars[1:], strict=False):
        assert left.x + left.width < right.x
    assert drawn.left <= drawn.bars[0].x and drawn.bars[-1].x + drawn.bars[-1].width <= drawn.right
    assert drawn.right <= drawn.width


@pytest.mark.parametrize(
    ("largest", "ticks"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (10, [0, 5, 10]),
        (12, [0, 5, 10, 15]),
        (99, [0, 25, 50, 75, 100]),
        (101, [0, 50, 100, 150]),
        (12_345, [0, 5000, 10_000, 15_000]),
    ],
)
def test_the_gridlines_are_at_round_values(largest, ticks):
    assert axis_ticks(largest) == ticks


def test_the_scale_is_a_round_step_just_above_the_largest_value():
    for largest in [*range(0, 3000), 10**9 + 1, 7 * 10**14, 10**18 - 1]:
        ticks = axis_ticks(largest)
        step = ticks[1]

        assert ticks == [step * n for n in range(len(ticks))], largest
        assert step in ROUND_STEPS, largest
        assert 2 <= len(ticks) <= chart.MOST_INTERVALS + 1, largest
        assert max(largest, 1) <= ticks[-1] < max(largest, 1) + step, largest


def test_the_gridlines_are_evenly_spaced_from_the_baseline_to_the_top():
    drawn = bar_chart([("a", 37)])

    assert [tick.value for tick in drawn.ticks] == [0, 10, 20, 30, 40]
    assert drawn.ticks[0].y == drawn.baseline and drawn.ticks[-1].y == drawn.top
    gaps = {
        round(upper.y - lower.y, 1)
        for lower, upper in zip(drawn.ticks, drawn.ticks[1:], strict=False)
    }
    assert len(gaps) == 1


# Zero, one, many --------------------------------------------------------------------------


def test_zero_values_have_no_height_on_a_scale_of_0_to_1():
    drawn = bar_chart([("a", 0), ("b", 0)])

    assert [bar.height for bar in drawn.bars] == [0, 0]
    assert [tick.label for tick in drawn.ticks] == ["0", "1"]
    assert_on_the_baseline(drawn)


def test_a_tiny_value_beside_a_huge_one_is_still_seen_and_zero_is_not():
    drawn = bar_chart([("a", 1), ("b", 0), ("c", 10**9)])

    assert drawn.bars[0].height == chart.MIN_BAR_HEIGHT
    assert drawn.bars[1].height == 0


def test_no_values_draw_an_empty_chart():
    drawn = monthly_chart([])

    assert drawn.bars == () and drawn.labels == ()
    assert [tick.value for tick in drawn.ticks] == [0, 1]


def test_one_month_is_one_bar_of_the_widest_width_in_the_middle():
    drawn = monthly_chart([("2026-03", 12)])

    (bar,) = drawn.bars
    assert bar.width == chart.MAX_BAR_WIDTH
    assert bar.middle == pytest.approx((drawn.left + drawn.right) / 2, abs=0.01)
    assert bar.value_label == "12"
    assert [(label.text, label.x) for label in drawn.labels] == [
        ("Mar", bar.middle),
        ("2026", bar.middle),
    ]


def test_a_year_of_months_labels_every_other_month_by_name_and_the_year_under_january():
    series = list(zip(months(14, 2025, 11), range(1, 15), strict=True))

    drawn = monthly_chart(series)

    first_line = [label.text for label in drawn.labels if label.y == drawn.labels[0].y]
    second_line = [label for label in drawn.labels if label.y != drawn.labels[0].y]
    # A month's name takes more room than its number: every other one has room. Its
    # short name is British English's, as Babel (CLDR) writes it: "Sept".
    assert first_line == ["Nov", "Jan", "Mar", "May", "Jul", "Sept", "Nov"]
    assert [label.text for label in second_line] == ["2025", "2026"]
    assert second_line[1].x == drawn.bars[2].middle
    assert all(bar.value_label == str(bar.value) for bar in drawn.bars)
    assert_no_overlap(drawn.labels, drawn.width)


def test_36_months_are_36_bars_with_labels_half_a_year_apart_and_no_values_written():
    series = [(month, 100 + n) for n, month in enumerate(months(36))]

    drawn = monthly_chart(series)

    assert len(drawn.bars) == 36
    assert_on_the_baseline(drawn)
    assert drawn.bars[-1].x + drawn.bars[-1].width <= drawn.right
    first_line = [label.text for label in drawn.labels if label.y == drawn.labels[0].y]
    assert first_line == ["Jan", "Jul"] * 3
    assert [label.text for label in drawn.labels if label.text.startswith("20")] == [
        "2024",
        "2025",
        "2026",
    ]
    assert all(bar.value_label is None for bar in drawn.bars)
    assert_no_overlap(drawn.labels, drawn.width)


@pytest.mark.parametrize("count", [2, 5, 13, 24, 36, 48, 61, 100, 120])
@pytest.mark.parametrize("first_month", [1, 2, 6, 11, 12])
def test_month_labels_never_overlap(count, first_month):
    series = [(month, 1) for month in months(count, 2020, first_month)]

    drawn = monthly_chart(series)

    assert_no_overlap(drawn.labels, drawn.width)
    assert drawn.labels, "every chart names at least one month or year"
    middles = {bar.middle for bar in drawn.bars}
    assert all(label.x in middles for label in drawn.labels)


def test_ten_years_of_months_are_labelled_by_their_years_only():
    series = [(month, 1) for month in months(120, 2017)]

    drawn = monthly_chart(series)

    texts = [label.text for label in drawn.labels]
    assert texts and all(len(text) == 4 for text in texts)
    assert set(texts) <= {str(year) for year in range(2017, 2027)}
    assert_no_overlap(drawn.labels, drawn.width)


# Very large numbers -------------------------------------------------------------------------


def test_very_large_values_keep_their_proportions_and_short_labels():
    drawn = bar_chart([("a", 2 * 10**12), ("b", 5 * 10**11), ("c", 10**12 + 1)])

    assert [tick.label for tick in drawn.ticks] == ["0", "500B", "1T", "1.5T", "2T"]
    assert drawn.bars[0].height == pytest.approx(4 * drawn.bars[1].height, abs=0.02)
    assert drawn.left < 60  # the gridlines' labels take little room
    assert_on_the_baseline(drawn)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (999, "999"),
        (1000, "1k"),
        (1234, "1.23k"),
        (9995, "10k"),
        (12_345, "12.3k"),
        (99_949, "99.9k"),
        (250_000, "250k"),
        (999_500, "1M"),
        (1_500_000, "1.5M"),
        (2_250_000_000, "2.25B"),
        (10**15, "1000T"),
    ],
)
def test_numbers_are_written_short(value, text):
    assert short_number(value) == text


# The months ------------------------------------------------------------------------------------


def test_the_months_between_are_filled_with_zero_across_a_new_year():
    series = month_series({"2025-11": 3, "2026-02": 5})

    assert series == [("2025-11", 3), ("2025-12", 0), ("2026-01", 0), ("2026-02", 5)]


def test_one_month_is_a_series_of_one_and_none_is_empty():
    assert month_series({"2026-03": 0}) == [("2026-03", 0)]
    assert month_series({}) == []


def test_only_the_last_months_are_charted():
    series = month_series({"0001-01": 1, "2019-12": 2, "2026-03": 4})

    assert len(series) == chart.MAX_MONTHS
    assert series[0] == ("2016-04", 0) and series[-1] == ("2026-03", 4)
    assert ("2019-12", 2) in series

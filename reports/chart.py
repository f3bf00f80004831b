"""The summary page's bar charts, as geometry: where each bar, gridline and
label of one series per month goes in an SVG of a given size. Numbers in,
numbers out; the template draws them (web/summary.html) and style.css colours
them. No chart library.

The SVG scales with its viewBox, so sizes here are in the SVG's own units: the
page shows a chart from about 330 (a phone) to 450 (a desk) wide, so FONT_SIZE
units stay readable on a phone."""

import dataclasses
import math
from dataclasses import dataclass

from reports import human

WIDTH, HEIGHT = 380, 200
FONT_SIZE = 14
# A digit's width as a share of the font size: an estimate for system-ui, a little high.
DIGIT_WIDTH = 0.62
# Room above the tallest bar (for its value), below the baseline (two lines of
# labels), and right of the last bar (for half a year under it).
TOP, BOTTOM = FONT_SIZE + 8, 2 * FONT_SIZE + 12
RIGHT = math.ceil(2 * DIGIT_WIDTH * FONT_SIZE) + 1
# At most this many intervals between gridlines.
MOST_INTERVALS = 4
# A bar takes this share of its slot, and no more than MAX_BAR_WIDTH.
BAR_SHARE = 0.72
MAX_BAR_WIDTH = 44
# A bar for a value above 0 is never drawn lower than this, so that it can be seen.
MIN_BAR_HEIGHT = 1
# The chart shows at most this many months: the last ones.
MAX_MONTHS = 120
# How many months apart month labels may be, and years.
MONTH_STEPS = (1, 2, 3, 6)
YEAR_STEPS = (1, 2, 5, 10)


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    # The value written above the bar, when every bar has room for its own.
    value_label: str | None
    # What the bar's title calls it, for people; its label by default.
    title: str | None = None

    @property
    def middle(self):
        return round(self.x + self.width / 2, 2)


@dataclass(frozen=True)
class Tick:
    """A gridline across the chart at `value`, at height `y`."""

    value: int
    y: float
    label: str


@dataclass(frozen=True)
class Label:
    """A text under the bars, centred on `x`."""

    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    # The plot: bars stand on `baseline` between `left` and `right`; `top` is the top tick's.
    left: float
    right: float
    top: float
    baseline: float
    bars: tuple
    ticks: tuple
    labels: tuple

    @property
    def maximum(self):
        return self.ticks[-1].value


def axis_ticks(largest, most=MOST_INTERVALS):
    """Round values from 0 up to at least `largest`: a step of 1, 2, 2.5 or 5
    times a power of ten (an integer), at most `most` steps. Integers all
    through, so that very large values stay exact; for 0, the ticks 0 and 1."""
    largest = max(int(largest), 1)
    step = next(step for step in _round_steps() if step * most >= largest)
    steps = -(-largest // step)  # ceiling division
    return [step * n for n in range(steps + 1)]


def _round_steps():
    """1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, ..."""
    yield from (1, 2, 5)
    power = 10
    while True:
        yield from (power, 2 * power, 5 * power // 2, 5 * power)
        power *= 10


def short_number(value):
    """A count written in at most 5 characters: 950, 1k, 1.23k, 12.3k, 1.5M, 2.25B."""
    if value < 1000:
        return str(value)
    for size, suffix in ((10**3, "k"), (10**6, "M"), (10**9, "B"), (10**12, "T")):
        scaled = value / size
        if scaled < 999.5 or suffix == "T":
            text = f"{scaled:.{2 if scaled < 9.995 else 1 if scaled < 99.95 else 0}f}"
            return (text.rstrip("0").rstrip(".") if "." in text else text) + suffix


def text_width(text, font_size=FONT_SIZE):
    return len(text) * DIGIT_WIDTH * font_size


def bar_chart(series, width=WIDTH, height=HEIGHT, font_size=FONT_SIZE):
    """The bars of `series`, a list of (label, value) with values of 0 or more,
    left to right, with gridlines at round values; no labels under the bars
    (see monthly_chart). Bar heights are proportional to the values."""
    values = [value for _, value in series]
    ticks = axis_ticks(max(values, default=0))
    tick_labels = [short_number(tick) for tick in ticks]
    left = max(text_width(label, font_size) for label in tick_labels) + 10
    right = width - RIGHT
    top, baseline = TOP, height - BOTTOM
    plot_height = baseline - top
    slot = (right - left) / max(len(series), 1)
    bar_width = min(slot * BAR_SHARE, MAX_BAR_WIDTH)
    # Values are written above the bars only if each fits over its own bar's slot.
    value_labels = [short_number(value) for value in values]
    room = all(text_width(label, font_size) + 2 <= slot for label in value_labels)
    bars = []
    for index, (label, value) in enumerate(series):
        bar_height = value / ticks[-1] * plot_height
        if value > 0:
            bar_height = max(bar_height, MIN_BAR_HEIGHT)
        bars.append(
            Bar(
                label=label,
                value=value,
                x=_round(left + index * slot + (slot - bar_width) / 2),
                y=_round(baseline - bar_height),
                width=_round(bar_width),
                height=_round(bar_height),
                value_label=value_labels[index] if room else None,
            )
        )
    return Chart(
        width=width,
        height=height,
        left=_round(left),
        right=right,
        top=top,
        baseline=baseline,
        bars=tuple(bars),
        ticks=tuple(
            Tick(tick, _round(baseline - tick / ticks[-1] * plot_height), tick_label)
            for tick, tick_label in zip(ticks, tick_labels, strict=True)
        ),
        labels=(),
    )


def monthly_chart(series, width=WIDTH, height=HEIGHT, font_size=FONT_SIZE):
    """bar_chart of `series`, a list of (YYYY-MM, value) one per month in order,
    with the months under the bars: the month's short name ("Jun", see
    reports/human.py) under as many bars as have room for it, at 1, 2, 3 or 6
    months apart, January always among them, and the year under each January
    and under the first bar. Where even 6 months apart is too close, only the
    years, under Januaries."""
    chart = bar_chart(series, width, height, font_size)
    if not chart.bars:
        return chart
    slot = (chart.right - chart.left) / len(chart.bars)
    first_line = chart.baseline + font_size + 4
    second_line = first_line + font_size + 2
    month_room = max(text_width(human.month_name(n), font_size) for n in range(1, 13)) + 4
    year_room = text_width("0000", font_size) + 6
    months = [(bar, int(bar.label[:4]), int(bar.label[5:7])) for bar in chart.bars]
    januaries = [index for index, (_, _, month) in enumerate(months) if month == 1]
    labels = []
    every = next((step for step in MONTH_STEPS if step * slot >= month_room), None)
    if every is not None:
        shown = [index for index, (_, _, month) in enumerate(months) if (month - 1) % every == 0]
        if 0 not in shown and (not shown or shown[0] * slot >= month_room):
            shown.insert(0, 0)
        for index in shown:
            bar, year, month = months[index]
            labels.append(Label(bar.middle, first_line, human.month_name(month)))
        # The year under each January, and under the first bar if it has room before the next.
        years = [index for index in januaries if index in shown]
        if 0 in shown and 0 not in years and (not years or years[0] * slot >= year_room):
            years.insert(0, 0)
        for index in years:
            bar, year, _ = months[index]
            labels.append(Label(bar.middle, second_line, str(year)))
    else:
        apart = next((step for step in YEAR_STEPS if step * 12 * slot >= year_room), None)
        apart = apart or math.ceil(year_room / (12 * slot))
        years = [index for index in januaries if months[index][1] % apart == 0]
        if 0 not in years and (not years or years[0] * slot >= year_room):
            years.insert(0, 0)
        for index in years:
            bar, year, _ = months[index]
            labels.append(Label(bar.middle, first_line, str(year)))
    bars = tuple(dataclasses.replace(bar, title=human.month(bar.label)) for bar in chart.bars)
    return dataclasses.replace(chart, bars=bars, labels=tuple(labels))


def month_series(values, most=MAX_MONTHS):
    """[(YYYY-MM, value)] for every month from the first to the last of `values`
    (a dict of YYYY-MM to value), 0 for the months it does not name; only the
    last `most` months."""
    if not values:
        return []
    first, last = _month_number(min(values)), _month_number(max(values))
    first = max(first, last - most + 1)
    months = (f"{number // 12:04}-{number % 12 + 1:02}" for number in range(first, last + 1))
    return [(month, values.get(month, 0)) for month in months]


def _month_number(month):
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def _round(value):
    return round(value, 2)

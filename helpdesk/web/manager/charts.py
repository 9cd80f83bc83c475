"""Server-drawn SVG charts: the geometry is computed here and drawn by one template macro.

Colours come from classes in static/css/app.css and sizes from SVG presentation attributes,
so the charts need no JavaScript, no inline styles (the CSP forbids them) and print as they are.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import format_decimal, format_number
from flask_babel import lazy_gettext as _l

WIDTH = 640


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str
    opacity: float | None = None


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "middle"
    css: str = "chart-label"


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    css: str = "chart-grid"


@dataclass
class Chart:
    key: str
    title: str
    width: int
    height: int
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (css class, label)


def nice_maximum(value: float) -> float:
    """A round axis maximum (1, 2 or 5 times a power of ten) at or above `value`."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _value_text(value, percent: bool, digits: str = "0.0") -> str:
    if percent:
        return f"{format_decimal(value, digits)}\u00a0%"
    return format_number(value)


def axis_steps(maximum: float) -> int:
    """How many equal steps divide a round maximum into round tick values."""
    for steps in (4, 5, 2):
        if (maximum / steps) == int(maximum / steps):
            return steps
    return 1


def column_chart(key: str, title: str, categories: list[str], series: list[tuple[str, str]],
                 values: list[list[float | Decimal | None]], *, percent: bool = False) -> Chart:
    """Vertical bars, one group per category and one bar per series in it."""
    height, left, bottom, top = 220, 56, 36, 10
    plot_height = height - bottom - top
    maximum = 100 if percent else nice_maximum(
        max((float(v) for row in values for v in row if v is not None), default=0))
    chart = Chart(key, title, WIDTH, height, legend=list(series))
    steps = axis_steps(maximum)
    for step in range(steps + 1):
        y = top + plot_height * (1 - step / steps)
        chart.lines.append(Line(left, y, WIDTH, y))
        chart.texts.append(Text(left - 6, y + 4,
                                _value_text(maximum * step / steps, percent, "0"), "end"))
    slot = (WIDTH - left) / max(len(categories), 1)
    bar = slot * 0.8 / max(len(series), 1)
    label_every = math.ceil(len(categories) / 12)
    for index, category in enumerate(categories):
        x0 = left + slot * index + slot * 0.1
        for number, (css, name) in enumerate(series):
            value = values[index][number]
            if value is None:
                continue
            bar_height = plot_height * float(value) / maximum
            chart.rects.append(Rect(x0 + bar * number, top + plot_height - bar_height, bar,
                                    bar_height, css,
                                    f"{category} · {name}: {_value_text(value, percent)}"))
        if index % label_every == 0:
            chart.texts.append(Text(left + slot * (index + 0.5), height - bottom + 16, category))
    return chart


def bar_chart(key: str, title: str, labels: list[str], series: list[tuple[str, str]],
              values: list[list[float]], *, percent: bool = False) -> Chart:
    """Horizontal bars, stacked when there is more than one series."""
    row, left, top = 26, 150, 6
    height = top + row * len(labels) + 24
    plot_width = WIDTH - left - 60
    totals = [sum(float(v or 0) for v in row_values) for row_values in values]
    maximum = 100 if percent else nice_maximum(max(totals, default=0))
    chart = Chart(key, title, WIDTH, height, legend=list(series) if len(series) > 1 else [])
    for index, label in enumerate(labels):
        y = top + row * index
        chart.texts.append(Text(left - 8, y + row / 2 + 4, label, "end"))
        x = left
        for number, (css, name) in enumerate(series):
            value = float(values[index][number] or 0)
            width = plot_width * value / maximum
            if width:
                chart.rects.append(Rect(x, y + 4, width, row - 8, css,
                                        f"{label} · {name}: {_value_text(value, percent)}"))
            x += width
        if values[index] and any(v is not None for v in values[index]):
            total = Decimal(str(totals[index])) if percent else int(totals[index])
            chart.texts.append(Text(x + 6, y + row / 2 + 4, _value_text(total, percent), "start"))
    chart.lines.append(Line(left, top, left, top + row * len(labels), "chart-axis"))
    return chart


def heatmap_chart(key: str, title: str, weekdays: list[str], grid: list[list[int]],
                  office_hours: set[tuple[int, int]]) -> Chart:
    """Weekday rows by hour columns; darker is busier, outlined cells are office hours."""
    left, top, cell = 96, 20, (WIDTH - 96) / 24
    height = int(top + cell * 7 + 8)
    busiest = max((count for counts in grid for count in counts), default=0)
    chart = Chart(key, title, WIDTH, height,
                  legend=[("heat-cell heat-empty heat-office", str(_l("office hours")))])
    for hour in range(0, 24, 3):
        chart.texts.append(Text(left + cell * (hour + 0.5), top - 6, f"{hour:02d}"))
    for day, counts in enumerate(grid):
        y = top + cell * day
        chart.texts.append(Text(left - 8, y + cell / 2 + 4, weekdays[day], "end"))
        for hour, count in enumerate(counts):
            css = "heat-cell heat-office" if (day, hour) in office_hours else "heat-cell"
            opacity = round(0.12 + 0.88 * count / busiest, 3) if count else None
            chart.rects.append(Rect(left + cell * hour + 1, y + 1, cell - 2, cell - 2,
                                    css if count else f"{css} heat-empty",
                                    f"{weekdays[day]} {hour:02d}:00: {format_number(count)}",
                                    opacity))
    return chart

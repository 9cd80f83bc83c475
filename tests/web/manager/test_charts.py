"""Chart geometry: bars in proportion, a round axis, and a heatmap that marks office hours."""
import pytest

from helpdesk.web.manager.charts import (
    axis_steps,
    bar_chart,
    column_chart,
    heatmap_chart,
    nice_maximum,
)


@pytest.mark.parametrize(("value", "maximum"), [(0, 1), (1, 1), (7, 10), (10, 10), (11, 20),
                                                (42, 50), (120, 200), (0.3, 0.5)])
def test_axis_maximum_is_a_round_number_at_or_above_the_largest_value(value, maximum):
    assert nice_maximum(value) == maximum


@pytest.mark.parametrize(("maximum", "steps"), [(100, 4), (50, 5), (20, 4), (10, 5), (2, 2),
                                                (1, 1)])
def test_axis_ticks_fall_on_round_values(maximum, steps):
    assert axis_steps(maximum) == steps


def test_column_heights_are_proportional_and_missing_values_draw_nothing(app):
    with app.test_request_context():
        chart = column_chart("c", "Title", ["a", "b", "c"], [("bar-received", "Received")],
                             [[40], [20], [None]])
    heights = [rect.height for rect in chart.rects]
    assert len(heights) == 2 and heights[0] == pytest.approx(2 * heights[1])
    assert chart.rects[0].title == "a · Received: 40"


def test_percentages_use_a_fixed_hundred_percent_axis(app):
    with app.test_request_context():
        chart = bar_chart("b", "Title", ["x"], [("bar-on-time", "On time")], [[50]], percent=True)
    [rect] = chart.rects
    assert rect.width == pytest.approx((640 - 150 - 60) / 2)


def test_stacked_bars_start_where_the_previous_series_ends(app):
    with app.test_request_context():
        chart = bar_chart("b", "Title", ["x"], [("one", "One"), ("two", "Two")], [[3, 1]])
    first, second = chart.rects
    assert second.x == pytest.approx(first.x + first.width)
    assert chart.legend == [("one", "One"), ("two", "Two")]


def test_heatmap_shades_by_count_and_outlines_office_hours(app):
    grid = [[0] * 24 for _ in range(7)]
    grid[0][9], grid[5][3] = 4, 2
    with app.test_request_context():
        chart = heatmap_chart("h", "Title", [str(d) for d in range(7)], grid, {(0, 9)})
    cells = {rect.title.split(":")[0]: rect for rect in chart.rects}
    assert cells["0 09"].opacity == 1.0 and "heat-office" in cells["0 09"].css
    assert cells["5 03"].opacity == pytest.approx(0.56) and "heat-office" not in cells["5 03"].css
    assert "heat-empty" in cells["1 12"].css and cells["1 12"].opacity is None
    assert len(chart.rects) == 7 * 24

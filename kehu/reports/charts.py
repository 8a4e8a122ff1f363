"""ECharts options built on the server for `static/kehu/report-charts.js`: plain dicts, amounts
as decimal strings from exact Decimals (never floats), no functions. A template draws one with
`{{ option|json_script:"chart-x" }}` and `<div class="kehu-chart" data-option="chart-x"></div>`."""

from __future__ import annotations

from decimal import Decimal


def _value(v):
    if v is None:
        return None
    if isinstance(v, Decimal):
        return str(v)
    return v


def bar(categories: list[str], series: list[tuple[str, list]], *, horizontal: bool = False, stack: bool = False) -> dict:
    """A bar chart: one bar per category for each (name, values) series."""
    cat_axis = {"type": "category", "data": [str(c) for c in categories], "axisLabel": {"interval": 0, "rotate": 0 if horizontal else 30}}
    val_axis = {"type": "value", "axisLabel": {"hideOverlap": True}}  # a phone's narrow chart: no labels over each other
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"show": len(series) > 1, "top": 0},
        "grid": {"left": 90 if horizontal else 50, "right": 20, "bottom": 60, "top": 30, "containLabel": True},
        "xAxis": val_axis if horizontal else cat_axis,
        "yAxis": cat_axis if horizontal else val_axis,
        "series": [{"type": "bar", "name": str(name), "data": [_value(v) for v in values], **({"stack": "all"} if stack else {})}
                   for name, values in series],
    }


def line(categories: list[str], series: list[tuple[str, list]]) -> dict:
    option = bar(categories, series)
    for s in option["series"]:
        s["type"] = "line"
    return option


def funnel(items: list[tuple[str, object]]) -> dict:
    """A funnel, widest first (items in stage order: (name, count))."""
    return {
        "tooltip": {"trigger": "item"},
        "series": [{"type": "funnel", "sort": "none", "left": "10%", "width": "80%", "gap": 2, "minSize": "10%",
                    "label": {"show": True, "position": "inside", "formatter": "{b} {c}"},  # the stage and its count
                    "data": [{"name": str(name), "value": _value(value)} for name, value in items]}],
    }


def pie(items: list[tuple[str, object]]) -> dict:
    return {
        "tooltip": {"trigger": "item"},
        "legend": {"bottom": 0},
        "series": [{"type": "pie", "radius": ["35%", "65%"], "data": [{"name": str(n), "value": _value(v)} for n, v in items]}],
    }

"""Inline SVG charts of a key result: its history, the goal, the expected pace, the forecast band.

The chart is drawn in a fixed viewBox and scales with its container; every text from the data is
escaped. Time runs over the cycle when there is one (else over the history), values over a range
padded to round ticks that holds the history, the goal, the baseline and the forecast band.
"""

from __future__ import annotations

import datetime as dt
import math
from html import escape as _escape
from typing import TYPE_CHECKING, Any

from okrkit.report import _format as f

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["chart_svg"]

_W, _H = 320, 168
_LEFT, _RIGHT, _TOP, _BOTTOM = 40, 10, 10, 22
_PLOT_W = _W - _LEFT - _RIGHT
_PLOT_H = _H - _TOP - _BOTTOM


def escape(text: Any) -> str:
    """Text for SVG: control characters dropped, markup escaped."""
    return _escape(f.printable(text), quote=True)


def _ticks(low: float, high: float, count: int = 4) -> tuple[float, float, float]:
    """A round step and the domain widened to whole steps: (start, stop, step)."""
    if high <= low:
        spread = abs(low) * 0.1 or 1.0
        low, high = low - spread, high + spread
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


def _compact(value: float, step: float) -> str:
    """An axis label: ``100k``, ``1.5M``, ``240``, ``0.5``."""
    size = abs(value)
    if size >= 1_000_000 and step >= 100_000:
        return f"{value / 1_000_000:.3g}M"
    if size >= 10_000 and step >= 1_000:
        return f"{value / 1_000:.3g}k"
    return f.number(round(value, 10))


def _num(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


class _Scale:
    def __init__(self, start: dt.datetime, end: dt.datetime, low: float, high: float) -> None:
        self.start = start.timestamp()
        self.span = max(end.timestamp() - self.start, 1.0)
        self.low, self.high = low, high

    def x(self, moment: dt.datetime) -> float:
        return _LEFT + (moment.timestamp() - self.start) / self.span * _PLOT_W

    def y(self, value: float) -> float:
        return _TOP + (self.high - value) / (self.high - self.low) * _PLOT_H


def _points(key_result: Mapping[str, Any]) -> list[tuple[dt.datetime, float]]:
    points = []
    for point in key_result.get("history") or ():
        moment = f.parse_moment(point.get("at"))
        value = point.get("value")
        if moment is not None and isinstance(value, int | float) and math.isfinite(value):
            points.append((moment, float(value)))
    return sorted(points, key=lambda point: point[0])


def _usable_forecast(
    key_result: Mapping[str, Any], bounds: tuple[dt.datetime, dt.datetime] | None
) -> Mapping[str, Any] | None:
    forecast = key_result.get("forecast") or {}
    needed = ("value_at_end", "low", "high")
    if bounds and forecast.get("enough_data") and all(forecast.get(k) is not None for k in needed):
        return forecast
    return None


def chart_svg(
    key_result: Mapping[str, Any], report: Mapping[str, Any], element_id: str
) -> tuple[str, list[str]]:
    """The chart's ``<svg>`` and the legend items it drew; ``("", [])`` without any history."""
    points = _points(key_result)
    if not points:
        return "", []
    bounds = f.cycle_bounds(report)
    at = f.parse_moment(report.get("at"))
    forecast = _usable_forecast(key_result, bounds)
    if bounds:
        start, end = bounds
    else:
        start, end = points[0][0], max(points[-1][0], at or points[-1][0])
        if end <= start:
            start, end = start - dt.timedelta(days=1), end + dt.timedelta(days=1)
    target, baseline = key_result.get("target"), key_result.get("baseline")
    pace = bool(bounds) and baseline is not None and target is not None
    pace = pace and not key_result.get("threshold")
    values = [value for _, value in points]
    values += [v for v in (target, baseline if pace else None) if v is not None]
    if forecast:
        values += [forecast["low"], forecast["high"], forecast["value_at_end"]]
    low, high, step = _ticks(min(values), max(values))
    scale = _Scale(start, end, low, high)
    parts = _grid(scale, step)
    parts += _date_labels(scale, start, end, at if bounds else None)
    legend = ["value"]
    if pace and baseline is not None and target is not None:
        parts.append(
            f'<line class="pace" x1="{_num(scale.x(start))}" y1="{_num(scale.y(baseline))}" '
            f'x2="{_num(scale.x(end))}" y2="{_num(scale.y(target))}"/>'
        )
        legend.append("pace")
    if target is not None:
        word = "limit" if key_result.get("threshold") else "goal"
        parts += _goal(scale, f"{word} {f.number(target, key_result.get('unit'))}", target)
        legend.append(word)
    if forecast and scale.x(end) > scale.x(points[-1][0]):
        parts += _band(scale, points[-1], end, forecast)
        legend.append("forecast")
    parts += _history(scale, points, key_result.get("unit"))
    title = f"History of {key_result.get('id')}"
    svg = (
        f'<svg class="chart-svg" viewBox="0 0 {_W} {_H}" role="img" '
        f'aria-labelledby="{element_id}-title {element_id}-desc" '
        f'preserveAspectRatio="xMidYMid meet">'
        f'<title id="{element_id}-title">{escape(title)}</title>'
        f'<desc id="{element_id}-desc">{escape(describe(key_result, report, points, forecast))}'
        f"</desc>{''.join(parts)}</svg>"
    )
    return svg, legend


def _grid(scale: _Scale, step: float) -> list[str]:
    """Horizontal grid lines at each round step, labelled on the left."""
    parts = []
    for number in range(round((scale.high - scale.low) / step) + 1):
        tick = scale.low + number * step
        y = scale.y(tick)
        parts.append(
            f'<line class="grid" x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{_num(y)}" y2="{_num(y)}"/>'
            f'<text class="axis" x="{_LEFT - 4}" y="{_num(y + 3.5)}" text-anchor="end">'
            f"{escape(_compact(tick, step))}</text>"
        )
    return parts


def _goal(scale: _Scale, label: str, target: float) -> list[str]:
    """The goal as a dashed line across the chart, labelled above it (below at the top)."""
    y = scale.y(target)
    label_y = y - 4 if y - 14 > _TOP else y + 12
    return [
        f'<line class="goal" x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{_num(y)}" y2="{_num(y)}"/>',
        f'<text class="goal-label" x="{_LEFT + 4}" y="{_num(label_y)}">{escape(label)}</text>',
    ]


def _band(
    scale: _Scale, last: tuple[dt.datetime, float], end: dt.datetime, forecast: Mapping[str, Any]
) -> list[str]:
    """The forecast: a shaded low..high fan from the last value, and a dashed line to the end."""
    x0, y0, x1 = _num(scale.x(last[0])), _num(scale.y(last[1])), _num(scale.x(end))
    high, low = _num(scale.y(forecast["high"])), _num(scale.y(forecast["low"]))
    y1 = _num(scale.y(forecast["value_at_end"]))
    return [
        f'<polygon class="band" points="{x0},{y0} {x1},{high} {x1},{low}"/>',
        f'<line class="forecast" x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}"/>',
    ]


def _history(
    scale: _Scale, points: Sequence[tuple[dt.datetime, float]], unit: str | None
) -> list[str]:
    """The values as a line with a dot (and a tooltip) at each."""
    line = " ".join(f"{_num(scale.x(m))},{_num(scale.y(v))}" for m, v in points)
    return [f'<polyline class="value" points="{line}"/>'] + [
        f'<circle class="dot" cx="{_num(scale.x(moment))}" cy="{_num(scale.y(value))}" r="2.6">'
        f"<title>{escape(f.day(moment.isoformat()))}: {escape(f.number(value, unit))}</title>"
        "</circle>"
        for moment, value in points
    ]


def _date_labels(
    scale: _Scale, start: dt.datetime, end: dt.datetime, at: dt.datetime | None
) -> list[str]:
    base = _H - 6
    last_day = end - dt.timedelta(seconds=1)
    labels = [
        (
            f'<text class="axis" x="{_LEFT}" y="{base}" text-anchor="start">'
            f"{escape(f.day(start.isoformat(), year=False))}</text>"
        ),
        (
            f'<text class="axis" x="{_W - _RIGHT}" y="{base}" text-anchor="end">'
            f"{escape(f.day(last_day.isoformat(), year=False))}</text>"
        ),
    ]
    if at is not None and start < at < end:
        x = scale.x(at)
        labels.append(
            f'<line class="now" x1="{_num(x)}" x2="{_num(x)}" y1="{_TOP}" y2="{_H - _BOTTOM}"/>'
        )
        if _LEFT + 44 < x < _W - _RIGHT - 44:
            labels.append(
                f'<text class="axis now-label" x="{_num(x)}" y="{base}" text-anchor="middle">'
                f"{escape(f.day(at.isoformat(), year=False))}</text>"
            )
    return labels


def describe(
    key_result: Mapping[str, Any],
    report: Mapping[str, Any],
    points: Sequence[tuple[dt.datetime, float]],
    forecast: Mapping[str, Any] | None,
) -> str:
    """The chart in words, for screen readers and tooltips."""
    unit = key_result.get("unit")
    first, last = points[0], points[-1]
    text = (
        f"{len(points)} value{'s' if len(points) != 1 else ''}, from "
        f"{f.number(first[1], unit)} on {f.day(first[0].isoformat())} to "
        f"{f.number(last[1], unit)} on {f.day(last[0].isoformat())}"
    )
    if key_result.get("target") is not None:
        text += f"; goal {f.number(key_result['target'], unit)}"
    if forecast:
        text += f"; forecast {f.forecast_phrase(key_result, report)}"
    return text + "."

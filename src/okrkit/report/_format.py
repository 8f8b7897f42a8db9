"""Words and numbers for people, shared by every renderer of the report mapping.

Nothing here knows about a output format: these helpers turn the plain values of the report
mapping (see `okrkit.report`) into short phrases such as ``"1,778 / 5,000"``, ``"on track"`` or
``"on course for 4,220 by 30 Sep (80%: 3,900-4,550), 4% chance; needs 501/week"``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

__all__ = [
    "INTERVAL",
    "STATUS_WORDS",
    "by_id",
    "cycle_bounds",
    "cycle_phrase",
    "day",
    "forecast_phrase",
    "key_results",
    "kind_phrase",
    "moment",
    "number",
    "parse_moment",
    "percent",
    "plan_heading",
    "printable",
    "ratio",
    "review_lines",
    "rounded",
    "status_word",
    "tasks_phrase",
    "value_phrase",
]

# The share of outcomes the forecast's low..high range holds, as the builder computes it.
INTERVAL = 0.8

STATUS_WORDS = {
    "on_track": "on track",
    "at_risk": "at risk",
    "off_track": "off track",
    "achieved": "achieved",
    "no_data": "no data",
}
_PREFIX_UNITS = frozenset({"$", "€", "£", "¥"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def printable(text: Any) -> str:
    """`text` as a string without control characters (a title cannot send terminal codes)."""
    return _CONTROL.sub("", "" if text is None else str(text))


def status_word(status: str | None) -> str:
    """``"at_risk"`` -> ``"at risk"``; unknown statuses pass through with spaces."""
    if status is None:
        return "no data"
    return STATUS_WORDS.get(status, str(status).replace("_", " "))


def _trimmed(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def number(value: float | None, unit: str | None = None) -> str:
    """A number for people: ``1778`` -> ``1,778``, ``240.8`` -> ``240.8``, ``0.005`` -> ``0.005``.

    Whole numbers get thousands separators, numbers of 1,000 or more are rounded to whole
    numbers, smaller ones keep up to two decimals, and numbers below 1 three significant digits.
    A unit is appended (``12 ms``, ``0.8%``) or, for a currency sign, prefixed (``$35,000``).
    ``None`` is ``"?"``.
    """
    if value is None:
        return "?"
    value = float(value)
    if not math.isfinite(value):
        text = str(value)
    elif value.is_integer() or abs(value) >= 1000:
        text = f"{value:,.0f}"
    elif abs(value) >= 1:
        text = _trimmed(f"{value:,.2f}")
    else:
        text = _trimmed(f"{value:.3g}") if "e" not in f"{value:.3g}" else f"{value:.3g}"
    if text in ("-0", "-0.0"):
        text = "0"
    if not unit:
        return text
    if unit in _PREFIX_UNITS:
        return f"-{unit}{text[1:]}" if text.startswith("-") else f"{unit}{text}"
    if unit == "%":
        return f"{text}%"
    return f"{text} {unit}"


def rounded(value: float | None, digits: int = 3) -> float | None:
    """`value` to `digits` significant digits: forecasts are not more precise than that."""
    if value is None or value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def ratio(value: float | None) -> str:
    """A score or progress: two decimals (``0.35``), ``"-"`` when unknown."""
    return "-" if value is None else f"{value:.2f}"


def percent(value: float | None) -> str:
    """A share as a percentage: ``0.62`` -> ``62%``; never rounds to a false 0% or 100%."""
    if value is None:
        return "?"
    shown = round(value * 100)
    if shown == 0 and value > 0:
        return "<1%"
    if shown == 100 and value < 1:
        return ">99%"
    return f"{shown}%"


def parse_moment(text: str | None) -> dt.datetime | None:
    """An ISO-8601 date or time from the mapping as an aware datetime (UTC when naive)."""
    if not text:
        return None
    moment = dt.datetime.fromisoformat(str(text))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def day(text: str | None, *, year: bool = True) -> str:
    """``"2026-08-15T23:59:59+00:00"`` -> ``"15 Aug 2026"`` (in UTC)."""
    moment = parse_moment(text)
    if moment is None:
        return "?"
    moment = moment.astimezone(dt.UTC) if len(str(text)) > 10 else moment
    return f"{moment.day} {moment:%b}" + (f" {moment:%Y}" if year else "")


def moment(text: str | None) -> str:
    """``"2026-08-15T23:59:59+00:00"`` -> ``"15 Aug 2026 23:59 UTC"``."""
    parsed = parse_moment(text)
    if parsed is None:
        return "?"
    if len(str(text)) <= 10:
        return day(text)
    parsed = parsed.astimezone(dt.UTC)
    return f"{parsed.day} {parsed:%b %Y %H:%M} UTC"


def cycle_bounds(report: Mapping[str, Any]) -> tuple[dt.datetime, dt.datetime] | None:
    """The cycle as instants: from the start day's midnight to the end day's last instant."""
    cycle = (report.get("plan") or {}).get("cycle")
    if not cycle:
        return None
    start, end = parse_moment(cycle.get("start")), parse_moment(cycle.get("end"))
    if start is None or end is None:
        return None
    if len(str(cycle.get("end"))) <= 10:
        end += dt.timedelta(days=1)
    return start, end


def cycle_phrase(report: Mapping[str, Any]) -> str | None:
    """``"2026-Q3 (1 Jul to 30 Sep 2026)"``, or None without a cycle."""
    cycle = (report.get("plan") or {}).get("cycle")
    if not cycle:
        return None
    start, end = cycle.get("start"), cycle.get("end")
    same_year = str(start)[:4] == str(end)[:4]
    span = f"{day(start, year=not same_year)} to {day(end)}"
    label = cycle.get("label")
    return f"{label} ({span})" if label else span


def plan_heading(report: Mapping[str, Any]) -> str:
    """The plan's title (or key), with its cycle label: ``"Acme widget launch - 2026-Q3"``."""
    plan = report.get("plan") or {}
    title = str(plan.get("title") or plan.get("key") or "OKRs")
    label = (plan.get("cycle") or {}).get("label")
    return f"{title} - {label}" if label else title


def kind_phrase(objective: Mapping[str, Any]) -> str:
    """``"aspirational, aims at 0.7"``: the kind and the score it is judged against."""
    bar = objective.get("bar")
    aim = "" if bar is None else f", aims at {float(bar):.1f}"
    return f"{objective.get('kind')}{aim}"


def objective_details(objective: Mapping[str, Any], owner: Callable[[str], str] = str) -> list[str]:
    """What a renderer says after an objective's score: expected by now, kind, coverage when
    some key results have no data, owner (through `owner`, a renderer's escaping)."""
    details = []
    if objective.get("expected") is not None:
        details.append(f"expected by now {ratio(objective['expected'])}")
    if objective.get("kind"):
        details.append(kind_phrase(objective))
    coverage = objective.get("coverage")
    if coverage is not None and coverage < 1:
        details.append(f"{percent(coverage)} of key results have data")
    if objective.get("owner"):
        details.append(f"owner {owner(objective['owner'])}")
    return details


def key_results(report: Mapping[str, Any]) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """Every (objective, key result) pair, in the report's order."""
    for objective in report.get("objectives") or ():
        for key_result in objective.get("key_results") or ():
            yield objective, key_result


def by_id(report: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The key results by id."""
    return {str(kr.get("id")): kr for _, kr in key_results(report)}


def value_phrase(key_result: Mapping[str, Any]) -> str:
    """``"1,778 / 5,000"``; ``"no data / 5,000"``; a threshold reads ``"0.6% (at most 1%)"``."""
    unit = key_result.get("unit")
    value = key_result.get("value")
    shown = "no data" if value is None else number(value, unit)
    target = number(key_result.get("target"), unit)
    if key_result.get("threshold"):
        bound = "at most" if key_result.get("direction") in ("at_most", "decrease") else "at least"
        return f"{shown} ({bound} {target})"
    return f"{shown} / {target}"


def tasks_phrase(done: Any, total: Any) -> str:
    """``"1/14 tasks done"``; ``"no tasks"`` when there are none."""
    if not total:
        return "no tasks"
    return f"{done or 0}/{total} tasks done"


def forecast_phrase(
    key_result: Mapping[str, Any],
    report: Mapping[str, Any],
    *,
    chance: str = "chance",
    missing: str = "none ({reason})",
) -> str | None:
    """The forecast in one line, or why there is none; None when there is no forecast at all.

    ``"on course for 4,220 by 30 Sep (80%: 3,900-4,550), 4% chance; needs 501/week"``; without
    enough data, `missing` with the forecast's reason filled in.
    """
    forecast = key_result.get("forecast")
    if not forecast:
        return None
    if not forecast.get("enough_data") or forecast.get("value_at_end") is None:
        return missing.format(reason=forecast.get("reason") or "not enough data")
    unit = key_result.get("unit")
    cycle = (report.get("plan") or {}).get("cycle")
    end = f"by {day(cycle.get('end'), year=False)}" if cycle else "by the end"
    text = f"on course for {number(rounded(forecast['value_at_end']), unit)} {end}"
    low, high = forecast.get("low"), forecast.get("high")
    if low is not None and high is not None:
        text += f" ({percent(INTERVAL)}: {number(rounded(low))}-{number(rounded(high), unit)})"
    if forecast.get("probability") is not None:
        text += f", {percent(forecast['probability'])} {chance}"
    needed = _needed(key_result, forecast.get("needed_per_week"))
    if needed:
        text += f"; {needed}"
    return text


def _needed(key_result: Mapping[str, Any], needed: float | None) -> str | None:
    if needed is None or key_result.get("status") == "achieved":
        return None
    unit = key_result.get("unit")
    lower_is_better = key_result.get("direction") in ("decrease", "at_most")
    if lower_is_better and needed < 0:
        return f"needs a drop of {number(rounded(-needed), unit)}/week"
    if not lower_is_better and needed > 0:
        return f"needs {number(rounded(needed), unit)}/week"
    return None


def review_lines(report: Mapping[str, Any]) -> list[tuple[str, list[str]]]:
    """The review's highlights as (heading, lines), skipping empty sections."""
    review = report.get("review")
    if not review:
        return []
    known = by_id(report)

    def unit_of(key_result_id: Any) -> str | None:
        return (known.get(str(key_result_id)) or {}).get("unit")

    sections: list[tuple[str, Sequence[Mapping[str, Any]], Callable[[Any], str]]] = [
        ("Moved", review.get("moved") or (), lambda item: _moved(item, unit_of)),
        (
            "At risk",
            review.get("at_risk") or (),
            lambda item: f"{item.get('key_result')}: {status_word(item.get('status'))}",
        ),
        ("Stale", review.get("stale") or (), _stale),
        ("Missed check-ins", review.get("missed_check_ins") or (), _missed),
        (
            "Activity without impact",
            review.get("activity_without_impact") or (),
            lambda item: _idle(item, unit_of),
        ),
    ]
    return [(heading, [line(item) for item in items]) for heading, items, line in sections if items]


def _moved(item: Mapping[str, Any], unit_of: Callable[[Any], str | None]) -> str:
    unit = unit_of(item.get("key_result"))
    text = (
        f"{item.get('key_result')}: {number(item.get('before'), unit)} → "
        f"{number(item.get('now'), unit)}"
    )
    if item.get("progress_before") is not None or item.get("progress_now") is not None:
        text += (
            f" (progress {ratio(item.get('progress_before'))} → {ratio(item.get('progress_now'))})"
        )
    return text


def _stale(item: Mapping[str, Any]) -> str:
    last = item.get("last_observed")
    seen = f"last observed {day(last)}" if last else "never observed"
    grace = item.get("grace_days")
    return f"{item.get('key_result')}: {seen}" + (
        f" (expected every {grace} days)" if grace else ""
    )


def _missed(item: Mapping[str, Any]) -> str:
    last = item.get("last_check_in")
    return f"{item.get('key_result')}: " + (
        f"last check-in {day(last)}" if last else "no check-in yet"
    )


def _idle(item: Mapping[str, Any], unit_of: Callable[[Any], str | None]) -> str:
    change = item.get("value_change")
    if change is None:
        moved = "no value yet"
    elif change == 0:
        moved = "value unchanged"
    else:
        moved = f"value {_signed(change, unit_of(item.get('key_result')))}"
    tasks = tasks_phrase(item.get("tasks_done"), item.get("tasks_total"))
    return f"{item.get('key_result')}: {tasks}, {moved}"


def _signed(value: float, unit: str | None) -> str:
    text = number(value, unit)
    return text if text.startswith("-") or value == 0 else f"+{text}"

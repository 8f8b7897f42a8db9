"""The terminal view of a report: objectives, key results with bars, forecasts, tasks, review.

Every line fits in `width` columns (ANSI colour codes, when asked for, do not count). Tasks are
shown on their own "activity" line under each key result, never mixed into its value or bar.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

from okrkit.report import _format as f

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["render_text"]

_RESET = "\x1b[0m"
_BOLD = "1"
_DIM = "90"
_STATUS_COLOURS = {
    "achieved": "32",
    "on_track": "32",
    "at_risk": "33",
    "off_track": "31",
    "no_data": _DIM,
}
_GRADE_COLOURS = {"green": "32", "yellow": "33", "red": "31"}
_MIN_WIDTH = 20
_INDENT = "   "


class _Lines:
    """Collects wrapped, optionally coloured lines no wider than `width`."""

    def __init__(self, width: int, *, color: bool) -> None:
        self.width = width
        self.color = color
        self.lines: list[str] = []

    def add(self, text: str = "", *, indent: str = "", hanging: str = "", sgr: str = "") -> None:
        if not text:
            self.lines.append("")
            return
        wrapped = textwrap.wrap(
            f.printable(text),
            width=self.width,
            initial_indent=indent,
            subsequent_indent=hanging or indent,
            break_on_hyphens=False,
        ) or [indent.rstrip()]
        for line in wrapped:
            self.lines.append(f"\x1b[{sgr}m{line}{_RESET}" if self.color and sgr else line)


def _bar(progress: float | None, width: int) -> str:
    if progress is None:
        return "·" * width
    filled = round(min(1.0, max(0.0, progress)) * width)
    return "█" * filled + "░" * (width - filled)


def render_text(report: Mapping[str, Any], *, color: bool = False, width: int = 100) -> str:
    """The report as terminal text, each line at most `width` columns."""
    if width < _MIN_WIDTH:
        raise ValueError(f"width must be at least {_MIN_WIDTH} columns, got {width}")
    out = _Lines(width, color=color)
    span = f.cycle_phrase(report)
    heading = f.plan_heading(report)
    cycle = (report.get("plan") or {}).get("cycle") or {}
    if span and cycle.get("label"):
        heading += span.removeprefix(str(cycle.get("label")))
    elif span:
        heading += f" ({span})"
    out.add(heading, sgr=_BOLD)
    when = f"as of {f.moment(report.get('at'))}"
    if report.get("elapsed") is not None:
        when += f", {f.percent(report['elapsed'])} of the cycle passed"
    out.add(when, sgr=_DIM)
    if not report.get("objectives"):
        out.add()
        out.add("no objectives yet", sgr=_DIM)
    id_width = min(
        max((len(str(kr.get("id"))) for _, kr in f.key_results(report)), default=0),
        max(8, width // 4),
    )
    values = max((len(f.value_phrase(kr)) for _, kr in f.key_results(report)), default=0)
    fixed = len(_INDENT) + id_width + 2 + len(" 0.00  on track   ")
    bar_width = max(5, min(20, width - fixed - values))
    for objective in report.get("objectives") or ():
        _objective(out, objective, report, id_width, bar_width)
    _projects(out, report)
    _review(out, report)
    return "\n".join(out.lines) + "\n"


def _objective(
    out: _Lines,
    objective: Mapping[str, Any],
    report: Mapping[str, Any],
    id_width: int,
    bar_width: int,
) -> None:
    out.add()
    out.add(f"{objective.get('id')}: {objective.get('title')}", hanging=_INDENT, sgr=_BOLD)
    grade = objective.get("grade")
    line = (
        f"score {f.ratio(objective.get('score'))}  {grade or 'no grade'}  "
        f"{f.status_word(objective.get('status'))}"
    )
    details = f.objective_details(objective)
    if details:
        line += f"  ({'; '.join(details)})"
    out.add(line, indent=_INDENT, hanging=_INDENT * 2, sgr=_GRADE_COLOURS.get(grade or "", _DIM))
    for key_result in objective.get("key_results") or ():
        _key_result(out, key_result, report, id_width, bar_width)


def _key_result(
    out: _Lines,
    key_result: Mapping[str, Any],
    report: Mapping[str, Any],
    id_width: int,
    bar_width: int,
) -> None:
    status = key_result.get("status") or "no_data"
    word = f.status_word(status)
    value = f.value_phrase(key_result)
    head = f"{_INDENT}{key_result.get('id')!s:<{id_width}}  "
    rest = f" {f.ratio(key_result.get('progress')):>4}  {word:<9}  "
    detail = " " * min(len(head), out.width // 3)
    line = head + _bar(key_result.get("progress"), bar_width) + rest + value
    sgr = _STATUS_COLOURS.get(status, _DIM)
    if len(line) <= out.width:
        out.add(line, sgr=sgr)
    else:  # too narrow for one line: the value goes under the bar
        out.add((head + _bar(key_result.get("progress"), bar_width) + rest).rstrip(), sgr=sgr)
        out.add(value, indent=detail, sgr=sgr)
    out.add(str(key_result.get("title") or ""), indent=detail)
    forecast = f.forecast_phrase(key_result, report)
    if forecast:
        out.add(f"forecast: {forecast}", indent=detail, hanging=detail + "  ")
    check_in = []
    if key_result.get("confidence") is not None:
        check_in.append(f"confidence {f.percent(key_result['confidence'])}")
    if key_result.get("note"):
        check_in.append(f'"{key_result["note"]}"')
    if check_in:
        out.add(f"check-in: {', '.join(check_in)}", indent=detail, hanging=detail + "  ")
    if key_result.get("reason"):
        out.add(str(key_result["reason"]), indent=detail, hanging=detail + "  ", sgr=_DIM)
    if key_result.get("tasks_total"):
        activity = f.tasks_phrase(key_result.get("tasks_done"), key_result.get("tasks_total"))
        out.add(f"activity: {activity}", indent=detail, sgr=_DIM)


def _projects(out: _Lines, report: Mapping[str, Any]) -> None:
    projects = report.get("projects") or ()
    if not projects:
        return
    out.add()
    out.add("projects (tasks done: activity, not results)", sgr=_BOLD)
    for project in projects:
        tasks = f.tasks_phrase(project.get("tasks_done"), project.get("tasks_total"))
        serves = f", serves {project['objective']}" if project.get("objective") else ""
        out.add(
            f"{project.get('id')}: {tasks}{serves} - {project.get('title')}",
            indent=_INDENT,
            hanging=_INDENT * 2,
        )


def _review(out: _Lines, report: Mapping[str, Any]) -> None:
    review = report.get("review")
    if not review:
        return
    out.add()
    since = f" since {f.day(review['since'])}" if review.get("since") else ""
    sections = f.review_lines(report)
    out.add(f"review{since}" + ("" if sections else ": nothing to flag"), sgr=_BOLD)
    for heading, lines in sections:
        out.add(heading.lower(), indent=_INDENT)
        for line in lines:
            out.add(line, indent=_INDENT * 2, hanging=_INDENT * 3)

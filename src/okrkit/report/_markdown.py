"""The report as Markdown, for a pull request, a wiki page or a chat message.

A heading per objective with a table of its key results (a text bar, status, value / goal,
forecast), the tasks done apart under the table, then projects and the review's highlights.
Text from the data is escaped so a title cannot break a table or inject markup.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from okrkit.report import _format as f

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["render_markdown"]

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_BAR_WIDTH = 10


def escape(text: Any) -> str:
    """Text safe inside Markdown (and a table cell): specials backslashed, one line."""
    return _SPECIAL.sub(r"\\\1", " ".join(f.printable(text).split()))


def _bar(progress: float | None) -> str:
    if progress is None:
        return "·" * _BAR_WIDTH + " -"
    filled = round(min(1.0, max(0.0, progress)) * _BAR_WIDTH)
    return "▓" * filled + "░" * (_BAR_WIDTH - filled) + f" {progress:.2f}"


def render_markdown(report: Mapping[str, Any]) -> str:
    """The report as GitHub-flavoured Markdown."""
    lines = [f"# {escape(f.plan_heading(report))}", ""]
    when = f"As of {f.moment(report.get('at'))}"
    span = f.cycle_phrase(report)
    if span and report.get("elapsed") is not None:
        when += f": {f.percent(report['elapsed'])} of {escape(span)} has passed"
    elif span:
        when += f", cycle {escape(span)}"
    lines += [when + ".", ""]
    if not report.get("objectives"):
        lines += ["No objectives yet.", ""]
    for objective in report.get("objectives") or ():
        lines += _objective(objective, report)
    lines += _projects(report)
    lines += _review(report)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


def _objective(objective: Mapping[str, Any], report: Mapping[str, Any]) -> list[str]:
    lines = [f"## {escape(objective.get('id'))}: {escape(objective.get('title'))}", ""]
    summary = (
        f"**Score {f.ratio(objective.get('score'))}**, {objective.get('grade') or 'no grade'}, "
        f"{f.status_word(objective.get('status'))}"
    )
    details = f.objective_details(objective, escape)
    if details:
        summary += f" ({'; '.join(details)})"
    lines += [summary, ""]
    key_results = objective.get("key_results") or ()
    if key_results:
        lines += [
            "| Key result | Progress | Status | Value / goal | Forecast |",
            "| --- | --- | --- | --- | --- |",
        ]
        for key_result in key_results:
            name = f"**{escape(key_result.get('id'))}** {escape(key_result.get('title') or '')}"
            forecast = f.forecast_phrase(key_result, report) or ""
            lines.append(
                f"| {name.strip()} | `{_bar(key_result.get('progress'))}` | "
                f"{f.status_word(key_result.get('status'))} | "
                f"{escape(f.value_phrase(key_result))} | {escape(forecast)} |"
            )
        lines.append("")
    notes = [_notes(key_result) for key_result in key_results]
    lines += [note for note in notes if note]
    if any(notes):
        lines.append("")
    activity = [
        f"{escape(kr.get('id'))} {kr.get('tasks_done') or 0}/{kr.get('tasks_total')}"
        for kr in key_results
        if kr.get("tasks_total")
    ]
    if activity:
        lines += [f"Activity (tasks done, not results): {', '.join(activity)}.", ""]
    return lines


def _notes(key_result: Mapping[str, Any]) -> str:
    parts = []
    if key_result.get("confidence") is not None:
        parts.append(f"confidence {f.percent(key_result['confidence'])}")
    if key_result.get("note"):
        parts.append(f"“{escape(key_result['note'])}”")
    if key_result.get("reason"):
        parts.append(escape(key_result["reason"]))
    if not parts:
        return ""
    return f"- **{escape(key_result.get('id'))}**: {'; '.join(parts)}"


def _projects(report: Mapping[str, Any]) -> list[str]:
    projects = report.get("projects") or ()
    if not projects:
        return []
    lines = [
        "## Projects",
        "",
        "Tasks done are activity, not results: they are counted apart from the key results.",
        "",
        "| Project | Serves | Tasks done |",
        "| --- | --- | --- |",
    ]
    lines.extend(
        f"| **{escape(project.get('id'))}** {escape(project.get('title') or '')} | "
        f"{escape(project.get('objective') or '-')} | "
        f"{project.get('tasks_done') or 0}/{project.get('tasks_total') or 0} |"
        for project in projects
    )
    return [*lines, ""]


def _review(report: Mapping[str, Any]) -> list[str]:
    review = report.get("review")
    if not review:
        return []
    since = f" since {f.day(review['since'])}" if review.get("since") else ""
    lines = [f"## Review{since}", ""]
    sections = f.review_lines(report)
    if not sections:
        return [*lines, "Nothing to flag.", ""]
    for heading, items in sections:
        lines.append(f"- **{heading}**")
        lines.extend(f"  - {escape(item)}" for item in items)
    return [*lines, ""]

"""Reports: one plain mapping describing a plan at a moment, rendered for people and programs.

`build(plan, store, at)` makes the report mapping from a plan and the store;
`render(report, format)` turns it into ``text`` (a terminal view with bars),
``markdown`` (for a pull request or a chat message), ``json`` (the mapping itself), ``csv`` (one
row per key result) or ``html`` (a self-contained dashboard with charts); `to_dataframe(report)`
gives the CSV's rows as a pandas DataFrame. The renderers are pure functions of the mapping: they
read no clock and no files. The mapping's shape is documented in ``docs/reference/reports.md``.

`render` also takes a sequence of report mappings, one per plan, and renders them together: one
after another (text, markdown), as ``{"plans": [...]}`` (json), as one table with a leading
``plan`` column (csv), or as one HTML page with a section per plan and a contents list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from okrkit.report._build import build
from okrkit.report._html import render_html, render_html_plans
from okrkit.report._markdown import render_markdown
from okrkit.report._tabular import (
    COLUMNS,
    render_csv,
    render_csv_plans,
    render_json,
    render_json_plans,
    to_dataframe,
)
from okrkit.report._text import render_text

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["COLUMNS", "FORMATS", "build", "render", "to_dataframe"]

FORMATS = ("text", "markdown", "json", "csv", "html")

_PLAIN: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "markdown": render_markdown,
    "json": render_json,
    "csv": render_csv,
    "html": render_html,
}


_PLANS: dict[str, Callable[[Sequence[Mapping[str, Any]]], str]] = {
    "markdown": lambda reports: "\n".join(render_markdown(report) for report in reports),
    "json": render_json_plans,
    "csv": render_csv_plans,
    "html": render_html_plans,
}


def render(
    report: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    format: str = "text",  # noqa: A002  # the documented name, as in `--format`
    *,
    color: bool = False,
    width: int = 100,
) -> str:
    """The report mapping as a string in one of the `FORMATS`; a sequence of report mappings
    (one per plan) as one output holding every plan, in the order given.

    `color` (ANSI colours) and `width` (the longest line, at least 20) apply to ``text`` only.
    Raises `ValueError` for an unknown format, or an empty sequence.
    """
    if format not in FORMATS:
        raise ValueError(f"unknown report format {format!r}: choose one of {', '.join(FORMATS)}")
    if isinstance(report, Mapping):
        if format == "text":
            return render_text(report, color=color, width=width)
        return _PLAIN[format](report)
    reports = list(report)
    if not reports:
        raise ValueError("no reports to render: give at least one report mapping")
    if format == "text":
        return "\n".join(render_text(one, color=color, width=width) for one in reports)
    return _PLANS[format](reports)

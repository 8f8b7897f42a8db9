"""The report as one self-contained HTML page: a dashboard that needs no network.

Inline CSS, inline SVG charts, no script, no fonts, images or styles from elsewhere; a Content
Security Policy says so to the browser too. Every text from the data is escaped. The layout is a
grid of key-result cards that collapses to one column on a phone; status and grade are always
written out, never shown by colour alone. Elements carry ``data-objective``,
``data-key-result``, ``data-project`` and ``data-field`` attributes for tests and scripts.

Several plans make one page: a contents list, then a ``data-plan`` section per plan holding what
the page of one plan holds, its headings one level down and its element ids prefixed (``p1-``,
``p2-``...) so that no id is used twice.
"""

from __future__ import annotations

import re
from html import escape
from typing import TYPE_CHECKING, Any

import attrs

from okrkit.report import _format as f
from okrkit.report._chart import chart_svg
from okrkit.report._style import CSS, PLANS_CSS

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

__all__ = ["render_html", "render_html_plans"]

_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_LEGEND = {
    "value": "value",
    "pace": "expected pace",
    "goal": "goal",
    "limit": "limit",
    "forecast": f"forecast ({f.percent(f.INTERVAL)} range)",
}


@attrs.frozen
class _Frame:
    """Where a plan's part of the page sits: a prefix that keeps its element ids apart from
    another plan's, and how many levels its headings go down (0 alone, 1 among several)."""

    prefix: str = ""
    depth: int = 0

    def h(self, level: int) -> str:
        """The heading tag of a heading at `level` on a page with one plan."""
        return f"h{level + self.depth}"


_ALONE = _Frame()


def _e(text: Any) -> str:
    return escape(f.printable(text), quote=True)


def _slug(text: Any, number: int) -> str:
    return f"{re.sub(r'[^A-Za-z0-9_-]+', '-', str(text))}-{number}"


def _share(value: float | None) -> str:
    """A CSS width for a 0..1 share."""
    return f"{min(1.0, max(0.0, value or 0.0)) * 100:.1f}%"


def _status(status: Any) -> str:
    key = status if status in f.STATUS_WORDS else "no_data"
    return f'<span class="pill status-{key}" data-field="status">{_e(f.status_word(status))}</span>'


def render_html(report: Mapping[str, Any]) -> str:
    """The report as a complete, self-contained HTML document."""
    heading = f.plan_heading(report)
    body = [_plan_head(report, _ALONE), "<main>", *_plan_body(report, _ALONE), "</main>"]
    body.append(_page_foot(report))
    title = f"{heading} · OKR report, {f.day(report.get('at'))}"
    return _document(title, CSS, body)


def render_html_plans(reports: Sequence[Mapping[str, Any]]) -> str:
    """Several reports as one self-contained HTML document: a contents list linking to one
    section per plan, in the order given. Element ids carry a prefix per plan (``p1-``,
    ``p2-``...), so two plans with the same key result ids never share an id."""
    sections, contents = [], []
    for number, report in enumerate(reports, start=1):
        plan = report.get("plan") or {}
        frame = _Frame(prefix=f"p{number}-", depth=1)
        anchor = _slug(f"plan-{plan.get('key') or 'plan'}", number)
        sections.append(
            f'<section class="plan" id="{anchor}" data-plan="{_e(plan.get("key"))}" '
            f'aria-labelledby="{frame.prefix}plan-heading">\n'
            + "\n".join(b for b in (_plan_head(report, frame), *_plan_body(report, frame)) if b)
            + "\n</section>"
        )
        contents.append(_contents_entry(report, anchor))
    moments = {report.get("at") for report in reports}
    first = reports[0] if reports else {}
    meta = [f"{len(reports)} plan{'s' if len(reports) != 1 else ''}"]
    if len(moments) == 1 and first.get("at"):
        meta.append(
            f'as of <time datetime="{_e(first.get("at"))}">{_e(f.moment(first.get("at")))}</time>'
        )
    head = (
        '<header class="page-head">\n<h1>OKR report</h1>\n'
        f'<p class="meta">{" · ".join(meta)}</p>\n'
        '<nav class="contents" aria-label="Plans in this report"><h2 class="contents-title">'
        f"Plans</h2><ol>{''.join(contents)}</ol></nav>\n</header>"
    )
    body = [head, "<main>", *sections, "</main>", _page_foot(first)]
    day = f.day(first.get("at")) if len(moments) == 1 and first.get("at") else None
    title = f"OKR report · {meta[0]}" + (f", {day}" if day else "")
    return _document(title, CSS + PLANS_CSS, body)


def _contents_entry(report: Mapping[str, Any], anchor: str) -> str:
    """One plan in the contents list: its title, cycle, key and objective scores."""
    plan = report.get("plan") or {}
    cycle = plan.get("cycle") or {}
    label = f' <span class="cycle-label">{_e(cycle["label"])}</span>' if cycle.get("label") else ""
    key = f' <span class="id">{_e(plan["key"])}</span>' if plan.get("key") else ""
    scores = [
        f"{o.get('id')} {f.ratio(o.get('score'))} {o.get('grade') or 'no grade'}"
        for o in report.get("objectives") or ()
    ]
    summary = f'<span class="muted"> · {_e(", ".join(scores))}</span>' if scores else ""
    return (
        f'<li><a href="#{anchor}">{_e(plan.get("title") or plan.get("key") or "OKRs")}</a>'
        f"{label}{key}{summary}</li>"
    )


def _document(title: str, css: str, body: Sequence[str]) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="color-scheme" content="light dark">\n'
        '<meta name="generator" content="okrkit">\n'
        f"<title>{_e(title)}</title>\n"
        f"<style>{css}</style>\n</head>\n<body>\n"
        + "\n".join(b for b in body if b)
        + "\n</body>\n</html>\n"
    )


def _plan_body(report: Mapping[str, Any], frame: _Frame) -> list[str]:
    """A plan's objectives, projects and review."""
    counter = iter(range(1, 1_000_000))
    body = []
    if not report.get("objectives"):
        body.append('<p class="empty">No objectives yet.</p>')
    body.extend(_objective(o, report, counter, frame) for o in report.get("objectives") or ())
    body.append(_projects(report, frame))
    body.append(_review(report, frame))
    return body


def _page_foot(report: Mapping[str, Any]) -> str:
    generated = report.get("generated_at")
    return (
        '<footer class="page-foot">'
        + (f"Generated by okrkit on {_e(f.moment(generated))}. " if generated else "")
        + "Value is progress towards each goal; activity is tasks done, counted apart."
        "</footer>"
    )


def _plan_head(report: Mapping[str, Any], frame: _Frame) -> str:
    """The plan's title, cycle, moment and share of the cycle passed: the page's header for
    one plan, the head of its section among several."""
    plan = report.get("plan") or {}
    cycle = plan.get("cycle") or {}
    title = plan.get("title") or plan.get("key") or "OKRs"
    label = f' <span class="cycle-label">{_e(cycle["label"])}</span>' if cycle.get("label") else ""
    span = f.cycle_phrase(report)
    meta = [
        f'As of <time datetime="{_e(report.get("at"))}">{_e(f.moment(report.get("at")))}</time>'
    ]
    if span:
        meta.append(f"cycle {_e(span.removeprefix(str(cycle.get('label') or '')).strip(' ()'))}")
    if frame.depth:
        key = f' · <span class="id">{_e(plan["key"])}</span>' if plan.get("key") else ""
        heading = (
            f'<header class="plan-head">\n<p class="eyebrow">Plan{key}</p>'
            f'<h2 id="{frame.prefix}plan-heading">{_e(title)}{label}</h2>'
        )
    else:
        heading = (
            '<header class="page-head">\n'
            f'<p class="eyebrow">OKR report</p><h1>{_e(title)}{label}</h1>'
        )
    parts = [heading, f'<p class="meta">{" · ".join(meta)}</p>']
    elapsed = report.get("elapsed")
    if elapsed is not None:
        parts.append(
            f'<div class="elapsed"><div class="track" role="progressbar" aria-valuemin="0" '
            f'aria-valuemax="100" aria-valuenow="{round(elapsed * 100)}" '
            f'aria-label="Share of the cycle passed"><span style="width:{_share(elapsed)}"></span>'
            f'</div><span data-field="elapsed">{_e(f.percent(elapsed))} of the cycle passed</span>'
            "</div>"
        )
    parts.append("</header>")
    return "\n".join(parts)


def _objective(
    objective: Mapping[str, Any],
    report: Mapping[str, Any],
    counter: Iterator[int],
    frame: _Frame = _ALONE,
) -> str:
    number = next(counter)
    heading_id = frame.prefix + _slug(f"objective-{objective.get('id')}", number)
    grade = objective.get("grade")
    grade_class = grade if grade in ("red", "yellow", "green") else "none"
    facts = [f'<span class="id">{_e(objective.get("id"))}</span>']
    if objective.get("kind"):
        facts.append(_e(f.kind_phrase(objective)))
    if objective.get("owner"):
        facts.append(f"owner {_e(objective['owner'])}")
    pace = [_status(objective.get("status"))]
    if objective.get("expected") is not None:
        pace.append(f"expected by now {_e(f.ratio(objective['expected']))}")
    coverage = objective.get("coverage")
    if coverage is not None and coverage < 1:
        pace.append(f"{_e(f.percent(coverage))} of key results have data")
    cards = [
        _key_result(kr, objective, report, next(counter), frame)
        for kr in objective.get("key_results") or ()
    ]
    return (
        f'<section class="objective" data-objective="{_e(objective.get("id"))}" '
        f'aria-labelledby="{heading_id}">\n'
        '<div class="objective-head"><div class="objective-title">'
        f'<p class="eyebrow">Objective · {" · ".join(facts)}</p>'
        f'<{frame.h(2)} id="{heading_id}">{_e(objective.get("title"))}</{frame.h(2)}>'
        f'<p class="pace">{" · ".join(pace)}</p></div>'
        f'<div class="score grade-{grade_class}" aria-label="Score and grade">'
        f'<span class="score-value" data-field="score">{_e(f.ratio(objective.get("score")))}</span>'
        f'<span class="grade-word" data-field="grade">{_e(grade or "no grade")}</span></div>'
        "</div>\n"
        f'<div class="cards">\n{chr(10).join(cards)}\n</div>\n</section>'
    )


def _key_result(
    key_result: Mapping[str, Any],
    objective: Mapping[str, Any],
    report: Mapping[str, Any],
    number: int,
    frame: _Frame = _ALONE,
) -> str:
    unit = key_result.get("unit")
    status = key_result.get("status") or "no_data"
    status_class = status if status in f.STATUS_WORDS else "no_data"
    progress = key_result.get("progress")
    element_id = frame.prefix + _slug(f"kr-{key_result.get('id')}", number)
    value = key_result.get("value")
    value_text = "no data" if value is None else f.number(value, unit)
    goal_word = "limit" if key_result.get("threshold") else "goal"
    expected = None if key_result.get("threshold") else objective.get("expected")
    tick = (
        ""
        if expected is None
        else f'<span class="expected-tick" style="left:{_share(expected)}" '
        f'title="expected by now: {_e(f.ratio(expected))}"></span>'
    )
    owner = f" · owner {_e(key_result['owner'])}" if key_result.get("owner") else ""
    return (
        f'<article class="card status-{status_class}" data-key-result="{_e(key_result.get("id"))}" '
        f'data-status="{_e(status)}" aria-labelledby="{element_id}">\n'
        f'<p class="eyebrow"><span class="id">{_e(key_result.get("id"))}</span>{owner}</p>'
        f'<{frame.h(3)} id="{element_id}">{_e(key_result.get("title"))}</{frame.h(3)}>\n'
        f'<p class="figure"><span class="big" data-field="value">{_e(value_text)}</span> '
        f'<span class="of">{goal_word} <span data-field="target">'
        f"{_e(f.number(key_result.get('target'), unit))}</span></span> {_status(status)}</p>\n"
        f'<div class="meter" role="progressbar" aria-valuemin="0" aria-valuemax="100" '
        f'aria-valuenow="{round((progress or 0) * 100)}" '
        f'aria-label="Progress of {_e(key_result.get("id"))}">'
        f'<span class="fill" style="width:{_share(progress)}"></span>{tick}</div>\n'
        f"{_value_line(key_result, expected)}\n{_chart(key_result, report, element_id)}\n"
        f"{_details(key_result, report)}\n{_activity(key_result)}\n</article>"
    )


def _value_line(key_result: Mapping[str, Any], expected: float | None) -> str:
    """ "Value: 0.35 of the way from 172 to 240.8", kept apart from the activity line."""
    unit = key_result.get("unit")
    progress = key_result.get("progress")
    target = _e(f.number(key_result.get("target"), unit))
    if key_result.get("threshold"):
        met = "unknown" if progress is None else "met" if progress >= 1 else "not met"
        lower = key_result.get("direction") in ("at_most", "decrease")
        span = f" ({met}: {'at most' if lower else 'at least'} {target})"
    elif key_result.get("baseline") is not None:
        span = f" of the way from {_e(f.number(key_result['baseline'], unit))} to {target}"
    else:
        span = ""
    if expected is not None:
        span += f'<span class="muted"> · expected by now {_e(f.ratio(expected))}</span>'
    return (
        f'<p class="value-line"><b>Value:</b> <span data-field="progress">'
        f"{_e(f.ratio(progress))}</span>{span}</p>"
    )


def _chart(key_result: Mapping[str, Any], report: Mapping[str, Any], element_id: str) -> str:
    svg, legend = chart_svg(key_result, report, element_id)
    if not svg:
        return '<p class="empty">No values recorded in this cycle yet.</p>'
    keys = "".join(f'<span class="key key-{item}">{_e(_LEGEND[item])}</span>' for item in legend)
    return f'<figure class="chart">{svg}<figcaption class="legend">{keys}</figcaption></figure>'


def _details(key_result: Mapping[str, Any], report: Mapping[str, Any]) -> str:
    """The forecast, the latest check-in and why the value is what it is."""
    parts = []
    forecast = f.forecast_phrase(key_result, report, chance="chance of reaching the goal")
    if forecast:
        parts.append(
            f'<p class="forecast" data-field="forecast"><b>Forecast:</b> {_e(forecast)}</p>'
        )
    check_in = []
    if key_result.get("confidence") is not None:
        check_in.append(f"confidence {_e(f.percent(key_result['confidence']))}")
    if key_result.get("note"):
        check_in.append(f"“{_e(key_result['note'])}”")
    if check_in:
        parts.append(f'<p class="check-in"><b>Check-in:</b> {" · ".join(check_in)}</p>')
    if key_result.get("reason"):
        parts.append(f'<p class="reason">{_e(key_result["reason"])}</p>')
    return "".join(parts)


def _tasks(tasks: Any, *, with_project: bool) -> str:
    items = []
    for task in tasks or ():
        status = task.get("status") or "todo"
        status_class = status if status in ("todo", "doing", "done", "dropped") else "todo"
        where = (
            f' <span class="muted">({_e(task["project"])})</span>'
            if with_project and task.get("project")
            else ""
        )
        who = f' <span class="muted">· {_e(task["owner"])}</span>' if task.get("owner") else ""
        due = (
            f' <span class="muted">· due {_e(f.day(task["due"]))}</span>' if task.get("due") else ""
        )
        moves = ", ".join(str(kr) for kr in task.get("key_results") or ())
        moves = f' <span class="muted">→ {_e(moves)}</span>' if moves else ""
        items.append(
            f'<li class="task task-{status_class}"><span class="task-status">{_e(status)}</span> '
            f"<span>{_e(task.get('title'))}{where}{moves}{who}{due}</span></li>"
        )
    return f'<ul class="tasks">{"".join(items)}</ul>' if items else ""


def _activity(key_result: Mapping[str, Any]) -> str:
    total = key_result.get("tasks_total") or 0
    tasks = _tasks(key_result.get("tasks"), with_project=True)
    text = f"{key_result.get('tasks_done') or 0}/{total} tasks done" if total else "no tasks"
    listing = f"<details><summary>Tasks</summary>{tasks}</details>" if tasks else ""
    return (
        '<div class="activity"><p><b>Activity:</b> '
        f'<span data-field="tasks">{_e(text)}</span></p>{listing}</div>'
    )


def _projects(report: Mapping[str, Any], frame: _Frame = _ALONE) -> str:
    projects = report.get("projects") or ()
    if not projects:
        return ""
    cards = []
    for project in projects:
        done, total = project.get("tasks_done") or 0, project.get("tasks_total") or 0
        serves = (
            f' · serves <span class="id">{_e(project["objective"])}</span>'
            if project.get("objective")
            else ""
        )
        tasks = _tasks(project.get("tasks"), with_project=False)
        cards.append(
            f'<article class="card project" data-project="{_e(project.get("id"))}">'
            f'<p class="eyebrow"><span class="id">{_e(project.get("id"))}</span>{serves}</p>'
            f"<{frame.h(3)}>{_e(project.get('title'))}</{frame.h(3)}>"
            f'<div class="meter activity-meter" role="progressbar" aria-valuemin="0" '
            f'aria-valuemax="{total}" aria-valuenow="{done}" aria-label="Tasks done">'
            f'<span class="fill" style="width:{_share(done / total if total else 0)}"></span></div>'
            f'<p><b>Activity:</b> <span data-field="tasks">{done}/{total} tasks done</span></p>'
            + (f"<details><summary>Tasks</summary>{tasks}</details>" if tasks else "")
            + "</article>"
        )
    return (
        f'<section class="projects" aria-labelledby="{frame.prefix}projects-heading">'
        f'<{frame.h(2)} id="{frame.prefix}projects-heading">Projects</{frame.h(2)}>'
        '<p class="hint">Tasks done are activity, not results: '
        "they never count towards a score.</p>"
        f'<div class="cards">{"".join(cards)}</div></section>'
    )


def _review(report: Mapping[str, Any], frame: _Frame = _ALONE) -> str:
    review = report.get("review")
    if not review:
        return ""
    since = f" since {_e(f.day(review['since']))}" if review.get("since") else ""
    sections = f.review_lines(report)
    blocks = [
        f'<div class="review-block" data-review="{_e(heading.lower().replace(" ", "-"))}">'
        f"<{frame.h(3)}>{_e(heading)}</{frame.h(3)}>"
        f"<ul>{''.join(f'<li>{_e(line)}</li>' for line in lines)}</ul></div>"
        for heading, lines in sections
    ]
    inner = "".join(blocks) if blocks else '<p class="empty">Nothing to flag.</p>'
    return (
        f'<section class="review" aria-labelledby="{frame.prefix}review-heading">'
        f'<{frame.h(2)} id="{frame.prefix}review-heading">Review{since}</{frame.h(2)}>'
        f'<div class="review-grid">{inner}</div></section>'
    )

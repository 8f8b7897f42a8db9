"""The commands that look back and report: review, retro, carry-over, report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

import okrkit
from okrkit.cli import (
    _echo,
    _format_option,
    _moment,
    _number,
    _print_json,
    _unusable_input,
    main,
)
from okrkit.cli._live import _load, _load_plans, _opened, _store_option

# -- review -----------------------------------------------------------------------------------


def _day(moment: str | None) -> str:
    return moment[:10] if moment else "never"


def _show_review(data: dict[str, Any]) -> None:
    since = _day(data["since"]) if data["since"] else "the cycle's start"
    _echo(f"review at {_day(data['at'])}, since {since}", bold=True)
    sections = [
        (
            "moved",
            [
                f"{m['key_result']}: {_number(m['before']) if m['before'] is not None else '-'}"
                f" -> {_number(m['now'])}"
                + (
                    f"  (progress {m['progress_before'] or 0:.2f} -> {m['progress_now']:.2f})"
                    if m["progress_now"] is not None
                    else ""
                )
                for m in data["moved"]
            ],
        ),
        (
            "at risk or off track",
            [f"{r['key_result']}: {r['status'].replace('_', ' ')}" for r in data["at_risk"]],
        ),
        (
            "stale (no new value within its grace period)",
            [
                f"{s['key_result']}: last value {_day(s['last_observed'])}, "
                f"grace {s['grace_days']:g} days"
                for s in data["stale"]
            ],
        ),
        (
            "missed check-ins",
            [
                f"{m['key_result']}: last check-in {_day(m['last_check_in'])}"
                for m in data["missed_check_ins"]
            ],
        ),
        (
            "activity without impact (tasks done, value not moving)",
            [
                f"{a['key_result']}: {a['tasks_done']}/{a['tasks_total']} tasks done, value "
                + (
                    "unchanged"
                    if not a["value_change"]
                    else f"changed by {_number(a['value_change'])}"
                )
                for a in data["activity_without_impact"]
            ],
        ),
    ]
    for title, lines in sections:
        _echo()
        _echo(f"{title}: {'none' if not lines else ''}".rstrip(), bold=bool(lines))
        for line in lines:
            _echo(f"  {line}")


@main.command("review")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--since", metavar="DATE", help="Compare with this date (default: the last review).")
@click.option("--at", "at_text", metavar="DATE", help="Review as of this date (default: now).")
@click.option("--no-record", is_flag=True, help="Do not record this review for the next one.")
@_store_option
@_format_option("text", "json")
def review_command(
    *,
    file: str,
    since: str | None,
    at_text: str | None,
    no_record: bool,
    store_url: str | None,
    output_format: str,
) -> None:
    """Review a plan: what moved since the last review, what is at risk, what is stale,
    missed check-ins, and activity without impact. The review is recorded so the next one
    compares against it."""
    from okrkit.review import run_review  # noqa: PLC0415

    plan = _load(file)
    with _opened(file, store_url) as store, _unusable_input():
        result = run_review(
            plan,
            store,
            at=_moment(at_text) if at_text else None,
            since=_moment(since) if since else None,
            path=file,
            record=not no_record,
        )
    data = result.to_dict()
    if output_format == "json":
        _print_json(data)
    else:
        _show_review(data)


# -- retro ------------------------------------------------------------------------------------


@main.command("retro")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--at", "at_text", metavar="DATE", help="Score as of this date (default: the end).")
@_store_option
@_format_option("text", "json")
def retro_command(
    *, file: str, at_text: str | None, store_url: str | None, output_format: str
) -> None:
    """Look back on a cycle at or after its end: final scores and grades, committed OKRs that
    missed 1.0, and calibration across the cycles in the store."""
    from okrkit.retro import run_retrospective  # noqa: PLC0415

    plan = _load(file)
    with _opened(file, store_url) as store, _unusable_input():
        result = run_retrospective(plan, store, at=_moment(at_text) if at_text else None, path=file)
    data = result.to_dict()
    if output_format == "json":
        _print_json(data)
        return
    _echo(f"retrospective of {data['cycle']['label'] or 'the cycle'}", bold=True)
    for objective in data["objectives"]:
        score = "-" if objective["score"] is None else f"{objective['score']:.2f}"
        _echo()
        _echo(
            f"{objective['id']}: {score} {objective['grade'] or ''} ({objective['kind']})",
            bold=True,
        )
        for kr in objective["key_results"]:
            score = "-" if kr["score"] is None else f"{kr['score']:.2f}"
            value = "no data" if kr["value"] is None else _number(kr["value"])
            goal = "?" if kr["target"] is None else _number(kr["target"])
            _echo(f"  {kr['id']}: {score} {kr['grade'] or ''}  {value} / {goal}".rstrip())
    if data["committed_missed"]:
        _echo()
        _echo("committed objectives that missed 1.0:", bold=True)
        for missed in data["committed_missed"]:
            _echo(f"  {missed['objective']}: {', '.join(missed['key_results']) or '-'}")
    _echo()
    _echo(f"calibration: {data['calibration']['message']}", bold=True)


# -- carry-over -------------------------------------------------------------------------------


@main.command("carry-over")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--to", "to", required=True, metavar="CYCLE", help="The next cycle, as 2026-Q4.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write here (default: print)."
)
@_store_option
def carry_over_command(*, file: str, to: str, output: str | None, store_url: str | None) -> None:
    """Write the next cycle's OKR file from the unfinished objectives, with baselines set to
    where this cycle ended."""
    from okrkit.retro import run_carry_over  # noqa: PLC0415

    plan = _load(file)
    with _opened(file, store_url, create=False) as store, _unusable_input():
        carried = run_carry_over(plan, store, to, path=file)
    text = okrkit.dumps(carried)
    if output is None:
        click.echo(text, nl=False)
        return
    Path(output).write_text(text, encoding="utf-8")
    kept = len(carried.objectives)
    _echo(f"wrote {output}: {kept} objective{'s' if kept != 1 else ''} carried to {to}", err=True)


# -- report -----------------------------------------------------------------------------------


@main.command("report")
@click.argument(
    "files", metavar="FILE...", nargs=-1, required=True, type=click.Path(dir_okay=False)
)
@click.option("--at", "at_text", metavar="DATE", help="Report as of this date (default: now).")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write here (default: print)."
)
@_store_option
@_format_option("text", "markdown", "json", "csv", "html")
def report_command(
    *,
    files: tuple[str, ...],
    at_text: str | None,
    output: str | None,
    store_url: str | None,
    output_format: str,
) -> None:
    """Report on plans: scores, histories, forecasts, tasks and the last review, as a
    terminal view, Markdown, JSON, CSV or a self-contained HTML dashboard.

    With several files, each plan is read from its own store (or all from --store) and the
    report holds them all, in the order given: one after another, {"plans": [...]} in JSON,
    one table with a leading plan column in CSV, one page with a contents list in HTML. Every
    file is loaded first, so one that cannot be read stops the command before anything is
    written."""
    from okrkit.report import build, render  # noqa: PLC0415

    plans = _load_plans(files, store_url)
    at = _moment(at_text) if at_text or len(plans) > 1 else None  # one moment for every plan
    reports = []
    for file, plan, key in plans:
        with _opened(file, store_url, create=False) as store, _unusable_input():
            reports.append(build(plan, store, at, key=key, path=file))
    colour = output is None and output_format == "text" and sys.stdout.isatty()
    data = reports[0] if len(reports) == 1 else reports
    text = render(data, output_format, color=colour and not _no_colour())
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    Path(output).write_text(text, encoding="utf-8")
    _echo(f"wrote {output} ({output_format})", err=True)


def _no_colour() -> bool:
    import os  # noqa: PLC0415

    return bool(os.environ.get("NO_COLOR"))

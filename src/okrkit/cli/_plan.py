"""The commands that read an OKR file: lint, parse, schema, show."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, TypeVar

import click

import okrkit
from okrkit.cli import (
    _SEVERITY_COLOURS,
    EXIT_FAILED,
    EXIT_UNUSABLE,
    _colour,
    _echo,
    _format_option,
    _number,
    _plan_heading,
    _print_json,
    _unusable_input,
    main,
)
from okrkit.errors import OkrkitError
from okrkit.model import Direction, KeyResult, Plan, Target
from okrkit.parsing import parse
from okrkit.rules import Finding, Severity, lint, rule

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

_T = TypeVar("_T")

# -- lint -------------------------------------------------------------------------------------


def _finding_text(finding: Finding) -> str:
    where = ":".join(
        str(part) for part in (finding.path or "<plan>", finding.line, finding.column) if part
    )
    severity = click.style(finding.severity.value, fg=_SEVERITY_COLOURS[finding.severity])
    return f"{where}: {finding.code} {severity} {finding.message} [{finding.name}]"


def _github_escape(text: str, *, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def _finding_github(finding: Finding) -> str:
    level = {"error": "error", "warning": "warning", "info": "notice"}[finding.severity.value]
    properties = [f"file={_github_escape(finding.path or '', property_value=True)}"]
    if finding.line:
        properties.append(f"line={finding.line}")
    if finding.column:
        properties.append(f"col={finding.column}")
    title = _github_escape(f"{finding.code} {finding.name}", property_value=True)
    properties.append(f"title={title}")
    return f"::{level} {','.join(properties)}::{_github_escape(finding.message)}"


def _finding_data(finding: Finding) -> dict[str, Any]:
    return {
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.value,
        "message": finding.message,
        "objective": finding.objective,
        "key_result": finding.key_result,
        "pointer": finding.pointer,
    }


def _summary(findings: Sequence[Finding], checked: int) -> str:
    counts = [
        f"{n} {severity.value}{'s' if n != 1 and severity is not Severity.INFO else ''}"
        for severity in Severity
        if (n := sum(f.severity is severity for f in findings))
    ]
    detail = f" ({', '.join(counts)})" if counts else ""
    noun = "finding" if len(findings) == 1 else "findings"
    return f"{len(findings)} {noun}{detail} in {checked} file{'s' if checked != 1 else ''}"


@main.command("lint")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_format_option("text", "json", "github")
@click.option(
    "--disable", multiple=True, metavar="RULE", help="Skip a rule (code or name); repeatable."
)
@click.option(
    "--select", multiple=True, metavar="RULE", help="Run only these rules (code or name)."
)
def lint_command(
    files: Sequence[str], output_format: str, disable: Sequence[str], select: Sequence[str]
) -> None:
    """Check OKR files for quality: measurable key results, time-bound objectives, and more.

    Exits 0 when clean (warnings allowed), 1 when a finding has error severity, 2 when a file
    could not be read.
    """
    with _unusable_input():  # an unknown rule stops the run before any file is read
        for name in (*disable, *select):
            rule(name)
    findings: list[Finding] = []
    unreadable: list[dict[str, Any]] = []
    for name in files:
        try:
            plan = okrkit.load(name, strict=False)
        except OkrkitError as error:
            unreadable.append({"path": name, "error": str(error)})
            continue
        findings.extend(lint(plan, disable=disable, select=select or None))
    if output_format == "json":
        _print_json({"findings": [_finding_data(f) for f in findings], "unreadable": unreadable})
    else:
        for item in unreadable:
            if output_format == "github":
                click.echo(
                    f"::error file={_github_escape(item['path'], property_value=True)}::"
                    f"{_github_escape(item['error'])}"
                )
            click.echo(f"error: {item['error']}", err=True)
        for finding in findings:
            line = _finding_github(finding) if output_format == "github" else _finding_text(finding)
            click.echo(line, color=_colour())
        if output_format == "text":
            click.echo(_summary(findings, len(files) - len(unreadable)), err=True)
    if unreadable:
        sys.exit(EXIT_UNUSABLE)
    if any(f.severity is Severity.ERROR for f in findings):
        sys.exit(EXIT_FAILED)


# -- parse ------------------------------------------------------------------------------------


def _describe_target(target: Target | None, unit: str | None) -> str:
    if target is None:
        return "no measurable target"
    if target.relative:
        sign = "+" if target.direction is Direction.INCREASE else "-"
        text = f"{sign}{target.value * 100:g}% on the baseline"
        if target.baseline is not None:
            text += f" ({_number(target.baseline, unit)} -> {_number(target.goal(), unit)})"
        return text
    words = {
        Direction.INCREASE: "increase to",
        Direction.DECREASE: "decrease to",
        Direction.AT_LEAST: "stay at or above" if target.threshold else "at least",
        Direction.AT_MOST: "stay at or below" if target.threshold else "at most",
    }
    text = f"{words[target.direction]} {_number(target.value, unit)}"
    if target.baseline is not None:
        text += f" from {_number(target.baseline, unit)}"
    return text


@main.command("parse")
@click.argument("text")
@_format_option("text", "json")
def parse_command(text: str, output_format: str) -> None:
    """Read the target from a key-result sentence, such as "Pre-release sign-ups over 5k".

    Exits 1 when the sentence has no measurable target.
    """
    with _unusable_input():
        sentence = parse(text)
    if output_format == "json":
        _print_json(sentence.to_dict())
    else:
        data = sentence.to_dict()
        for key in ("metric", "direction", "target", "relative", "baseline", "unit"):
            value = data[key]
            shown = (
                "-" if value is None else str(value).lower() if isinstance(value, bool) else value
            )
            click.echo(f"{key + ':':<11}{shown}")
    if not sentence.measurable:
        click.echo(
            f"not measurable: {text!r} has no target number; write it as a value to reach, "
            "such as 'Pre-release sign-ups over 5k'",
            err=True,
        )
        sys.exit(EXIT_FAILED)


# -- schema -----------------------------------------------------------------------------------


@main.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of OKR files (for editor completion and validation)."""
    from okrkit.schema import json_schema  # noqa: PLC0415  # only this command needs it

    _print_json(json_schema())


# -- show -------------------------------------------------------------------------------------


def _key_result_data(key_result: KeyResult) -> dict[str, Any]:
    target = key_result.target
    return {
        "id": key_result.id,
        "title": key_result.title,
        "metric": key_result.metric,
        "unit": key_result.unit,
        "direction": target.direction.value if target else None,
        "target": target.value if target else None,
        "relative": target.relative if target else None,
        "baseline": target.baseline if target else None,
        "threshold": target.threshold if target else None,
        "goal": target.goal() if target else None,
        "weight": key_result.weight,
        "owner": key_result.owner,
        "current": key_result.current,
        "connector": key_result.source["connector"] if key_result.source else None,
    }


def _show_data(plan: Plan) -> dict[str, Any]:
    return {
        "title": plan.title,
        "cycle": (
            {
                "label": str(plan.cycle),
                "start": plan.cycle.start.isoformat(),
                "end": plan.cycle.end.isoformat(),
            }
            if plan.cycle
            else None
        ),
        "objectives": [
            {
                "id": objective.id,
                "title": objective.title,
                "owner": objective.owner,
                "kind": objective.kind.value,
                "weight": objective.weight,
                "parent": objective.parent,
                "cycle": str(plan.cycle_of(objective) or "") or None,
                "key_results": [_key_result_data(kr) for kr in objective.key_results],
            }
            for objective in plan.objectives
        ],
        "projects": [
            {
                "id": project.id,
                "title": project.title,
                "objective": project.objective,
                "tasks_done": sum(task.done for task in project.tasks),
                "tasks_total": sum(task.status.value != "dropped" for task in project.tasks),
                "tasks": [
                    {
                        "title": task.title,
                        "status": task.status.value,
                        "key_results": list(task.key_results),
                    }
                    for task in project.tasks
                ],
            }
            for project in plan.projects
        ],
    }


def _tree(items: Sequence[_T]) -> Iterator[tuple[str, _T]]:
    for index, item in enumerate(items):
        last = index == len(items) - 1
        yield ("└─ " if last else "├─ "), item


@main.command("show")
@click.argument("file", type=click.Path(dir_okay=False))
@_format_option("text", "json")
def show_command(file: str, output_format: str) -> None:
    """Show a plan as a tree: objectives, key results with their targets, projects and tasks."""
    with _unusable_input():
        plan = okrkit.load(file)
    if output_format == "json":
        _print_json(_show_data(plan))
        return
    _echo(_plan_heading(plan), bold=True)
    width = max((len(kr.id) for kr in plan.key_results()), default=0)
    for objective in plan.objectives:
        extras = ", ".join(
            part
            for part in (objective.kind.value, objective.owner and f"owner {objective.owner}")
            if part
        )
        _echo(f"\n{objective.id}: {objective.title}", bold=True)
        _echo(f"   {extras}", fg="bright_black")
        for branch, kr in _tree(objective.key_results):
            target = _describe_target(kr.target, kr.unit)
            source = f"  [{kr.source['connector']}]" if kr.source else ""
            _echo(f"{branch}{kr.id:<{width}}  {kr.title}")
            _echo(f"   {'':<{width}}  -> {target}{source}", fg="bright_black")
    for project in plan.projects:
        done = sum(task.done for task in project.tasks)
        total = sum(task.status.value != "dropped" for task in project.tasks)
        serves = f" (serves {project.objective})" if project.objective else ""
        _echo(f"\nproject {project.id}: {project.title}{serves}", bold=True)
        _echo(f"   tasks done {done}/{total} (activity, not results)", fg="bright_black")
        for branch, task in _tree(project.tasks):
            mark = {"done": "[x]", "doing": "[~]", "dropped": "[-]"}.get(task.status.value, "[ ]")
            moves = f"  -> {', '.join(task.key_results)}" if task.key_results else ""
            _echo(f"{branch}{mark} {task.title}{moves}")

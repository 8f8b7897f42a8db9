"""The `okrkit` command: a thin shell over the public Python API.

Exit codes, for every command: 0 success; 1 the command worked and found what it reports as a
failure (lint errors, a sentence with no measurable target); 2 the input could not be used (a
file that cannot be read, a bad option).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click

import okrkit
from okrkit.errors import OkrkitError
from okrkit.rules import Severity
from okrkit.scoring import Grade, Status

if TYPE_CHECKING:
    from okrkit.model import Plan

__all__ = ["main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNUSABLE = 2
#: Other refreshes hold every key result this one would fetch: try again later (sysexits'
#: EX_TEMPFAIL, which schedulers can tell from bad input).
EXIT_BUSY = 75

_F = TypeVar("_F", bound=Callable[..., Any])

_GRADE_COLOURS = {Grade.RED: "red", Grade.YELLOW: "yellow", Grade.GREEN: "green"}
_STATUS_COLOURS = {
    Status.ACHIEVED: "green",
    Status.ON_TRACK: "green",
    Status.AT_RISK: "yellow",
    Status.OFF_TRACK: "red",
    Status.NO_DATA: "bright_black",
}
_SEVERITY_COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _format_option(*choices: str) -> Callable[[_F], _F]:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help="How to print the result.",
    )


def _colour() -> bool | None:
    return False if os.environ.get("NO_COLOR") else None


def _echo(text: str = "", *, err: bool = False, **style: Any) -> None:
    click.echo(click.style(text, **style) if style else text, err=err, color=_colour())


@contextmanager
def _unusable_input() -> Iterator[None]:
    """Turn okrkit's own errors into a one-line message and exit code 2, never a traceback."""
    try:
        yield
    except OkrkitError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_UNUSABLE)


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(okrkit.__version__, "--version", prog_name="okrkit")
def main() -> None:
    """okrkit: Objectives and Key Results, checked and scored.

    Exit codes: 0 success; 1 findings or failures the command reports; 2 input that could not be
    used (unreadable file, bad option).
    """


def _plan_heading(plan: Plan) -> str:
    cycle = plan.cycle
    when = f"{cycle} ({cycle.start}..{cycle.end})" if cycle else "no cycle"
    return f"{plan.title or 'OKRs'} - {when}"


def _number(value: float | None, unit: str | None = None) -> str:
    if value is None:
        return "?"
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.6g}"
    if unit == "%":
        return f"{text}%"
    return f"{text} {unit}" if unit else text


def _moment(value: str | None) -> dt.datetime:
    """`--at`: a date means the end of that day (UTC); no value means now."""
    if value is None:
        return dt.datetime.now(dt.UTC)
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC) - (
                dt.timedelta(microseconds=1)
            )
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD) or a date and time (ISO 8601)",
            param_hint="--at",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# The commands register themselves on `main` when their modules are imported.
from okrkit.cli import _live, _plan, _reflect  # noqa: E402, F401

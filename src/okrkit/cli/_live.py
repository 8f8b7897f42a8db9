"""The commands over live values and the store: status, refresh, connectors, history, checkin."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

import okrkit
from okrkit.cli import (
    _GRADE_COLOURS,
    _STATUS_COLOURS,
    EXIT_BUSY,
    _echo,
    _format_option,
    _moment,
    _number,
    _plan_heading,
    _print_json,
    _unusable_input,
    main,
)
from okrkit.errors import StoreLockedError
from okrkit.model import CheckIn, Plan

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from okrkit.scoring import Scorecard
    from okrkit.sharing import Shard

_STORE_HELP = (
    "The store: a path, sqlite:///path.db, or postgresql://... "
    "(default: <file>.okrkit.db beside the OKR file)."
)
_FILE_HELP = "The OKR file (default: okrs.yaml in this folder)."


def _store_option(function: Any) -> Any:
    return click.option("--store", "store_url", metavar="URL", help=_STORE_HELP)(function)


def _file_option(function: Any) -> Any:
    return click.option(
        "-f",
        "--file",
        "file",
        default="okrs.yaml",
        show_default=True,
        type=click.Path(dir_okay=False),
        help=_FILE_HELP,
    )(function)


@contextmanager
def _opened(file: str, store_url: str | None, *, create: bool = True) -> Iterator[Any]:
    """The store for a file: `--store`, or the default beside the file. Without `create`,
    a default store that does not exist yet yields None instead of creating one."""
    from okrkit.store import default_store_path, open_store  # noqa: PLC0415

    if store_url is None:
        path = default_store_path(file)
        if not create and not path.exists():
            yield None
            return
        store_url = str(path)
    with _unusable_input():
        store = open_store(store_url)
    try:
        yield store
    finally:
        store.close()


def _load(file: str) -> Plan:
    with _unusable_input():
        return okrkit.load(file)


# -- status -----------------------------------------------------------------------------------


def _bar(progress: float | None, width: int = 20) -> str:
    if progress is None:
        return "·" * width
    filled = round(progress * width)
    return "█" * filled + "░" * (width - filled)


def _show_status(plan: Plan, card: Scorecard, *, source: str | None = None) -> None:
    """A plan's status block; `source` (among several plans) names its file and store key."""
    _echo(_plan_heading(plan), bold=True)
    _echo(f"as of {card.at:%Y-%m-%d %H:%M} UTC", fg="bright_black")
    if source:
        _echo(source, fg="bright_black")
    width = max((len(kr.id) for kr in plan.key_results()), default=0)
    for objective in card.objectives:
        score_text = "  -" if objective.score is None else f"{objective.score:.2f}"
        grade = objective.grade.value if objective.grade else "-"
        _echo()
        _echo(f"{objective.id}: {objective.title}", bold=True)
        line = f"   score {score_text}  {grade}  {objective.status.value.replace('_', ' ')}"
        if objective.expected is not None:
            line += f"  (expected by now {objective.expected:.2f})"
        _echo(line, fg=_GRADE_COLOURS.get(objective.grade) if objective.grade else "bright_black")
        for kr in objective.key_results:
            progress = "  -" if kr.progress is None else f"{kr.progress:.2f}"
            status = kr.status.value.replace("_", " ")
            value = _number(kr.value) if kr.value is not None else "no data"
            goal = _number(kr.goal) if kr.goal is not None else "?"
            tasks = f"  tasks {kr.tasks_done}/{kr.tasks_total}" if kr.tasks_total else ""
            _echo(
                f"   {kr.id:<{width}}  {_bar(kr.progress)} {progress}  {status:<9}  "
                f"{value} / {goal}{tasks}",
                fg=_STATUS_COLOURS[kr.status],
            )
            if kr.reason:
                _echo(f"   {'':<{width}}  {kr.reason}", fg="bright_black")
    if card.projects:
        _echo()
        _echo("projects (tasks done: activity, not results)", bold=True)
        for project in card.projects:
            _echo(f"   {project.id}: {project.tasks_done}/{project.tasks_total} tasks done")


def _load_plans(files: Sequence[str], store_url: str | None) -> list[tuple[str, Plan, str]]:
    """Every file's plan with its key in the store, all loaded before any store is read.

    A file that cannot be loaded stops the command (exit 2) before anything is shown. Two files
    whose plans would be read from the same store under the same key (two `okrs.yaml` with no
    `id` into one `--store`) are refused: the store cannot tell their values apart.
    """
    from pathlib import Path  # noqa: PLC0415

    from okrkit.runner import plan_key  # noqa: PLC0415
    from okrkit.store import default_store_path  # noqa: PLC0415
    from okrkit.store._base import mask_url  # noqa: PLC0415

    loaded: list[tuple[str, Plan, str]] = []
    given: dict[Path, str] = {}
    readers: dict[tuple[str, str], str] = {}
    for file in files:
        path = Path(file).resolve()
        if path in given:
            raise _refusal(f"{file} is given twice (as {given[path]} too): name each OKR file once")
        given[path] = file
        plan = _load(file)
        with _unusable_input():
            key = plan_key(plan, file)
            where = mask_url(store_url) if store_url else str(default_store_path(path))
        other = readers.get((where, key))
        if other is not None:
            raise _refusal(
                f"{other} and {file} would both be read as plan {key!r} from the store {where}, "
                "so one plan's values would show under the other: give each plan an id of its "
                "own in its file (`id: ...` at the top), refresh them, and try again"
            )
        readers[where, key] = file
        loaded.append((file, plan, key))
    return loaded


def _refusal(message: str) -> SystemExit:
    """Say why the input cannot be used; the exit (code 2) to raise."""
    from okrkit.cli import EXIT_UNUSABLE  # noqa: PLC0415

    click.echo(f"error: {message}", err=True)
    return SystemExit(EXIT_UNUSABLE)


@main.command("status")
@click.argument(
    "files", metavar="FILE...", nargs=-1, required=True, type=click.Path(dir_okay=False)
)
@click.option("--at", "at_text", metavar="DATE", help="Score as of this date (default: now).")
@_store_option
@_format_option("text", "json")
def status_command(
    *, files: tuple[str, ...], at_text: str | None, store_url: str | None, output_format: str
) -> None:
    """Score plans: progress, grade and pace of every key result and objective.

    Values are the latest in the store at that moment (after `okrkit refresh`), or the file's
    `current` values for key results the store has none for. With several files, each plan is
    read from its own store (or all from --store) and shown in the order given; every file is
    loaded first, so one that cannot be read stops the command before anything is shown.
    """
    at = _moment(at_text)
    plans = _load_plans(files, store_url)
    cards = []
    for file, plan, _key in plans:
        with _opened(file, store_url, create=False) as store, _unusable_input():
            cards.append(okrkit.status(plan, store, at, path=file))
    if len(plans) == 1:
        if output_format == "json":
            _print_json(cards[0].to_dict())
        else:
            _show_status(plans[0][1], cards[0])
        return
    if output_format == "json":
        _print_json(
            {
                "plans": [
                    {"file": file, "key": key, "title": plan.title, **card.to_dict()}
                    for (file, plan, key), card in zip(plans, cards, strict=True)
                ]
            }
        )
        return
    for number, ((file, plan, key), card) in enumerate(zip(plans, cards, strict=True)):
        if number:
            _echo()
        _show_status(plan, card, source=f"{file}, plan {key}")


# -- refresh ----------------------------------------------------------------------------------

_OUTCOME_COLOURS = {
    "measured": "green",
    "failed": "red",
    "invalid": "red",
    "skipped": "yellow",
    "planned": "cyan",
    "held": "cyan",
    "fresh": "bright_black",
}


@main.command("refresh")
@click.argument("file", type=click.Path(dir_okay=False))
@_store_option
@click.option(
    "--at", "at_text", metavar="DATE", help="Ask the sources about this moment (default: now)."
)
@click.option(
    "--only", multiple=True, metavar="KR", help="Refresh only this key result; repeatable."
)
@click.option(
    "--dry-run", is_flag=True, help="Show what would be fetched; fetch and store nothing."
)
@click.option("--strict", is_flag=True, help="Exit 1 when a key result was skipped, too.")
@click.option(
    "--concurrency",
    default=8,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Requests at once.",
)
@click.option(
    "--timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.1, 600),
    help="Seconds per request.",
)
@click.option(
    "--retries",
    default=2,
    show_default=True,
    type=click.IntRange(0, 10),
    help="Retries of a transient failure.",
)
@click.option(
    "--rate-limit",
    "rate_limits",
    multiple=True,
    metavar="HOST=N",
    help="At most N requests a second to HOST; repeatable.",
)
@click.option(
    "--policy",
    "policy_file",
    metavar="FILE",
    envvar="OKRKIT_POLICY",
    type=click.Path(dir_okay=False),
    help="The operator's policy: which connectors, hosts, files, databases and environment "
    "variables the file may use; what it does not list is refused (default: $OKRKIT_POLICY, "
    "or everything allowed).",
)
@click.option(
    "--shard",
    metavar="K/N",
    help="Refresh only the K-th of N parts of the key results (one of N workers).",
)
@click.option(
    "--fresh-for",
    metavar="DURATION",
    help="Skip key results fetched less than this long ago (30m, 6h, 1d), by any refresh.",
)
@click.option(
    "--lease-ttl",
    metavar="DURATION",
    help="How long this run's leases outlive it if it crashes (default 2m; renewed while it runs).",
)
@click.option(
    "--key",
    "plan_key_text",
    metavar="KEY",
    help="The plan's key in the store (default: its id, or the file's name).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@_format_option("text", "json")
def refresh_command(
    *,
    file: str,
    store_url: str | None,
    at_text: str | None,
    only: Sequence[str],
    dry_run: bool,
    strict: bool,
    concurrency: int,
    timeout: float,
    retries: int,
    rate_limits: Sequence[str],
    policy_file: str | None,
    shard: str | None,
    fresh_for: str | None,
    lease_ttl: str | None,
    plan_key_text: str | None,
    quiet: bool,
    output_format: str,
) -> None:
    """Fetch every key result's value from its source and record it in the store.

    Exits 0 when every key result with a source was measured (or skipped, say for a missing
    credential: see --strict), 1 when any failed, 2 when the file or a key result's settings
    are invalid.
    """
    from okrkit.runner import Retry, refresh  # noqa: PLC0415

    at = _moment(at_text) if at_text else None
    limits = _rate_limits(rate_limits)
    policy = _policy(policy_file)
    part = _shard(shard)
    fresh = _duration(fresh_for, "--fresh-for")
    ttl = _duration(lease_ttl, "--lease-ttl")
    plan = _load(file)
    show_progress = not quiet and output_format == "text" and sys.stderr.isatty() and not dry_run
    bar: Any = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if not show_progress:
            return
        if bar is None:
            bar = click.progressbar(length=total, label="refreshing", file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    # a dry run reads baselines from an existing store, but never creates or writes one
    with _opened(file, store_url, create=not dry_run) as store, _unusable_input():
        try:
            result = refresh(
                plan,
                store,
                at=at,
                only=only or None,
                dry_run=dry_run,
                concurrency=concurrency,
                timeout=timeout,
                retry=Retry(attempts=retries + 1),
                rate_limits=limits,
                progress=progress,
                policy=policy,
                key=plan_key_text,
                shard=part,
                fresh_for=fresh,
                lease_ttl=ttl,
            )
        except StoreLockedError as error:  # not bad input: the same run later will work
            click.echo(f"error: {error}", err=True)
            sys.exit(EXIT_BUSY)
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
    if output_format == "json":
        _print_json(result.to_dict())
    else:
        width = max((len(o.key_result) for o in result.outcomes), default=0)
        where = "" if dry_run or store is None else f" into {store.url}"
        _echo(f"refresh of {result.plan} (run {result.run_id[:8]}){where}", bold=True)
        for outcome in result.outcomes:
            value = _number(outcome.value) if outcome.value is not None else ""
            detail = outcome.error or outcome.note or ""
            _echo(
                f"  {outcome.key_result:<{width}}  {outcome.status:<8}  {value:>12}  "
                f"{outcome.connector or ''}  {detail}".rstrip(),
                fg=_OUTCOME_COLOURS.get(outcome.status),
            )
        costs = ", ".join(f"{unit} {amount:g}" for unit, amount in sorted(result.costs.items()))
        summary = (
            f"{result.measured} measured, {result.failed + result.invalid} failed, "
            f"{result.skipped} skipped"
            + (f", {result.held} held by another refresh" if result.held else "")
            + (f", {result.fresh} fresh" if result.fresh else "")
        )
        _echo(summary + (f"; spent {costs}" if costs else ""))
    sys.exit(result.exit_code(strict=strict))


def _policy(path: str | None) -> Any:
    """The policy file's `Policy`, or None without one (everything allowed)."""
    if not path:
        return None
    from okrkit.policy import Policy  # noqa: PLC0415

    with _unusable_input():
        return Policy.load(path)


def _shard(text: str | None) -> Shard | None:
    from okrkit.sharing import Shard, ShardError  # noqa: PLC0415

    if text is None:
        return None
    try:
        return Shard.parse(text)
    except ShardError as error:
        raise click.BadParameter(str(error), param_hint="--shard") from None


def _duration(text: str | None, option: str) -> dt.timedelta | None:
    from okrkit.connectors._settings import parse_duration  # noqa: PLC0415

    if text is None:
        return None
    try:
        return parse_duration(text)
    except ValueError as error:
        message = str(error).replace("7d, 24h, 30m or 2w", "90s, 30m, 6h or 1d")
        raise click.BadParameter(message, param_hint=option) from None


def _rate_limits(values: Sequence[str]) -> dict[str, float]:
    limits: dict[str, float] = {}
    for value in values:
        host, _, rate = value.partition("=")
        try:
            limits[host.strip().lower()] = float(rate)
        except ValueError:
            raise click.BadParameter(
                f"{value!r} is not HOST=N, as in api.example.com=5", param_hint="--rate-limit"
            ) from None
        if not host.strip() or limits[host.strip().lower()] <= 0:
            raise click.BadParameter(
                f"{value!r}: name a host and a rate above 0", param_hint="--rate-limit"
            )
    return limits


# -- connectors -------------------------------------------------------------------------------


@main.command("connectors")
@_format_option("text", "json")
def connectors_command(output_format: str) -> None:
    """List the installed connectors, where each comes from, and the settings it takes.

    Plugins that fail to load are listed with the error. OKRKIT_CONNECTORS (a comma-separated
    list of names) narrows which load.
    """
    from okrkit.connectors import Registry  # noqa: PLC0415

    infos, problems = Registry().load_all()
    if output_format == "json":
        _print_json(
            {
                "connectors": [info.to_dict() for info in infos],
                "problems": [
                    {"name": p.name, "distribution": p.distribution, "error": p.error}
                    for p in problems
                ],
            }
        )
        return
    for info in infos:
        origin = f"{info.distribution or '?'} {info.version or ''}".strip()
        traits = ", ".join(
            t for t, on in (("windowed", info.windowed), ("batch", info.batch)) if on
        )
        _echo(f"{info.name}  ({origin}){f'  [{traits}]' if traits else ''}", bold=True)
        if info.summary:
            _echo(f"    {info.summary}")
        for setting in info.settings:
            needed = "required" if setting["required"] else f"default {setting['default']!r}"
            help_text = f": {setting['help']}" if setting["help"] else ""
            _echo(
                f"    {setting['name']} ({setting['type']}, {needed}){help_text}", fg="bright_black"
            )
    for problem in problems:
        _echo(f"not loaded: {problem}", fg="red", err=True)


# -- history ----------------------------------------------------------------------------------


@main.command("history")
@click.argument("key_result")
@_file_option
@_store_option
@click.option("--since", metavar="DATE", help="Only values observed on or after this date.")
@click.option("--until", metavar="DATE", help="Only values observed up to this date.")
@_format_option("text", "json", "csv")
def history_command(
    *,
    key_result: str,
    file: str,
    store_url: str | None,
    since: str | None,
    until: str | None,
    output_format: str,
) -> None:
    """Show every stored value of a key result, with where it came from."""
    from okrkit.runner import plan_key  # noqa: PLC0415

    plan = _load(file)
    with _unusable_input():
        plan.key_result(key_result)
    start = _day_start(since) if since else None
    end = _moment(until) if until else None
    with _opened(file, store_url, create=False) as store, _unusable_input():
        records = (
            []
            if store is None
            else store.history(plan_key(plan, file), key_result, since=start, until=end)
        )
    rows = [
        {
            "observed_at": record.observed_at.isoformat(),
            "value": record.value,
            "source": record.source,
            "fetched_at": record.fetched_at.isoformat() if record.fetched_at else None,
            "run_id": record.run_id,
        }
        for record in records
    ]
    if output_format == "json":
        _print_json({"key_result": key_result, "history": rows})
    elif output_format == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(
            out, fieldnames=["observed_at", "value", "source", "fetched_at", "run_id"]
        )
        writer.writeheader()
        writer.writerows(rows)
        click.echo(out.getvalue(), nl=False)
    else:
        if not rows:
            _echo(f"no stored values for {key_result!r} yet: run okrkit refresh", err=True)
        for row in rows:
            _echo(f"{row['observed_at'][:19]}  {_number(row['value']):>14}  {row['source']}")


def _day_start(text: str) -> dt.datetime:
    moment = _moment(text)
    if len(text) == 10:
        return dt.datetime.combine(moment.date(), dt.time(), dt.UTC)
    return moment


# -- checkin ----------------------------------------------------------------------------------


@main.command("checkin")
@click.argument("key_result")
@click.argument("value", type=float, required=False)
@click.option(
    "--confidence", type=click.FloatRange(0, 1), help="How likely the key result is met, 0 to 1."
)
@click.option("--note", help="What changed, what is blocking.")
@click.option(
    "--author", default=lambda: os.environ.get("USER"), help="Who checks in (default: $USER)."
)
@click.option("--at", "at_text", metavar="DATE", help="When (default: now).")
@_file_option
@_store_option
def checkin_command(
    *,
    key_result: str,
    value: float | None,
    confidence: float | None,
    note: str | None,
    author: str | None,
    at_text: str | None,
    file: str,
    store_url: str | None,
) -> None:
    """Record a check-in on a key result: a value, a confidence, or both, with a note."""
    from okrkit.runner import plan_key  # noqa: PLC0415

    plan = _load(file)
    with _unusable_input():
        plan.key_result(key_result)
        check_in = CheckIn(
            key_result,
            _moment(at_text),
            value=value,
            confidence=confidence,
            note=note,
            author=author,
        )
    with _opened(file, store_url) as store, _unusable_input():
        store.add_check_in(plan_key(plan, file), check_in)
    parts = [
        f"value {_number(value)}" if value is not None else "",
        f"confidence {confidence:g}" if confidence is not None else "",
    ]
    _echo(f"checked in {key_result}: {', '.join(p for p in parts if p)}")

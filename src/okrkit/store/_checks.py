"""What the store backends decide alike, free of SQL: the checks of every write, and decisions.

Each check raises `StoreError` saying what is wrong, or returns the value to store: `check_records`
is the hot path of a refresh. The decisions are the rows of cycle results, which key results a
claim leases (`decide_claim`) and what a plan key stands for once a plan registers under it
(`decide_plan_key`). A backend (`okrkit.store.sqlite`, `okrkit.store.postgres`) only turns times
into what it stores and runs the statements.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from okrkit.errors import StoreError
from okrkit.model import CheckIn, Cycle, Kind
from okrkit.store._base import (
    RUN_STATUSES,
    Baseline,
    Claim,
    CycleResult,
    Lease,
    PlanInfo,
    Record,
    RunRecord,
)

__all__ = [
    "check_baseline",
    "check_baselines",
    "check_check_in",
    "check_claim",
    "check_cycle",
    "check_cycle_result",
    "check_instant",
    "check_limit",
    "check_lock",
    "check_plan",
    "check_plan_title",
    "check_record",
    "check_records",
    "check_release",
    "check_review",
    "check_run",
    "check_ttl",
    "cycle_result_rows",
    "decide_claim",
    "decide_plan_key",
    "is_plan_conflict",
    "lease_from_row",
    "plan_conflict",
    "plan_info_from_row",
    "results_text",
]


_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")

# -- Checks: each raises StoreError saying what is wrong, or returns the value to store ---------


def check_plan(plan: Any, what: str = "plan") -> str:
    if not isinstance(plan, str) or not plan.strip() or plan != plan.strip():
        raise StoreError(
            f"{what} {plan!r} is not a plan key: use non-empty text without surrounding spaces"
        )
    return plan


def check_instant(value: Any, what: str, *, optional: bool = False) -> dt.datetime | None:
    """A datetime with a time zone (`None` too when `optional`); naive times are never guessed."""
    if value is None and optional:
        return None
    if not isinstance(value, dt.datetime):
        raise StoreError(f"{what} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise StoreError(
            f"{what} {value.isoformat()} has no time zone: okrkit never guesses one; "
            "give it one (for example datetime.UTC)"
        )
    return value


def _check_number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StoreError(f"{what} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise StoreError(f"{what} is {value!r}: only finite numbers can be stored")
    return float(value)


def _check_text(value: Any, what: str, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or (not optional and not value.strip()):
        raise StoreError(
            f"{what} must be {'text' if optional else 'non-empty text'}, got {value!r}"
        )
    return value


def _check_key_result(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise StoreError(
            f"{what}: {value!r} is not a key result id (letters, digits, '-', '_' or '.', "
            "starting with a letter or digit)"
        )
    return value


def _check_run_id(value: Any, what: str, run_id: str | None) -> str | None:
    if run_id is not None:
        if value is not None and value != run_id:
            raise StoreError(f"{what} belongs to run {value!r}, not to run {run_id!r}")
        return run_id
    return _check_text(value, f"{what}: run_id", optional=True)


def check_record(record: Any, index: int, *, plan: str | None, run_id: str | None) -> Record:
    """Check every field of the record at `index` of a write; raise StoreError on the first bad.

    With `plan` and `run_id` (a run's records), the record must be of that plan and run.
    """
    if not isinstance(record, Record):
        raise StoreError(f"record {index} is a {type(record).__name__}, not an okrkit Record")
    key = getattr(record, "key_result", None)
    what = f"record {index} (key result {key!r})"
    if plan is not None and record.plan != plan:
        raise StoreError(f"{what} is for plan {record.plan!r}, but the run is for plan {plan!r}")
    check_plan(record.plan, f"{what}: plan")
    _check_key_result(record.key_result, f"record {index}")
    _check_number(record.value, f"{what}: value")
    check_instant(record.observed_at, f"{what}: observed_at")
    _check_text(record.source, f"{what}: source")
    check_instant(record.fetched_at, f"{what}: fetched_at", optional=True)
    _check_text(record.fingerprint, f"{what}: fingerprint", optional=True)
    _check_text(record.raw, f"{what}: raw", optional=True)
    _check_run_id(record.run_id, what, run_id)
    return record


def check_records(
    records: Iterable[Record], *, plan: str | None, run_id: str | None
) -> list[Record]:
    """The records of a write as they are stored, every one checked; StoreError on the first bad.

    With `plan` and `run_id` (a run's records), every record must be of that plan and run, and a
    record without a run_id takes `run_id`. Each value is a float. A record that needs no change
    is returned itself: a backend builds its rows from the list in a second, cheap pass.

    The loop is the hot path of a refresh: it checks each record with a few identity tests and
    set lookups, and calls the full `check_record` (which names what is wrong) only when one
    fails. Plans, key results and sources are checked once each, not once per record, and a
    `fetched_at` once for the run of records that share it.
    """
    checked: list[Record] = []
    append = checked.append
    plans: set[str] = set() if plan is None else {plan}
    key_results: set[str] = set()
    sources: set[str] = set()
    isfinite, record_type, datetime_type, utc = math.isfinite, Record, dt.datetime, dt.UTC
    make = tuple.__new__  # a Record from a tuple, three times as fast as _replace
    last_fetched: object = None
    for record in records:
        try:
            value = record.value
            fingerprint = record.fingerprint
            raw = record.raw
            run = record.run_id
            observed = record.observed_at
            fetched = record.fetched_at
            if (
                record.__class__ is not record_type
                or value.__class__ is not float
                or not isfinite(value)
                or record.plan not in plans
                or record.key_result not in key_results
                or record.source not in sources
                or observed.__class__ is not datetime_type
                or (observed.tzinfo is not utc and observed.utcoffset() is None)
                or (
                    fetched is not last_fetched
                    and fetched is not None
                    and (
                        fetched.__class__ is not datetime_type
                        or (fetched.tzinfo is not utc and fetched.utcoffset() is None)
                    )
                )
                or (fingerprint is not None and fingerprint.__class__ is not str)
                or (raw is not None and raw.__class__ is not str)
                or (
                    run is not None
                    and run != run_id
                    and (run_id is not None or run.__class__ is not str)
                )
            ):
                check_record(record, len(checked), plan=plan, run_id=run_id)
                plans.add(record.plan)
                key_results.add(record.key_result)
                sources.add(record.source)
                if value.__class__ is not float:
                    record = record._replace(value=float(value))  # noqa: PLW2901
            else:
                last_fetched = fetched
        except (AttributeError, TypeError):
            check_record(record, len(checked), plan=plan, run_id=run_id)
            raise  # pragma: no cover - check_record names the problem first
        if run is None and run_id is not None:
            record = make(record_type, (*record[:8], run_id))  # noqa: PLW2901
        append(record)
    return checked


def check_run(run: Any) -> RunRecord:
    if not isinstance(run, RunRecord):
        raise StoreError(f"a run must be an okrkit RunRecord, not a {type(run).__name__}")
    what = f"run {run.id!r}"
    _check_text(run.id, "run id")
    check_plan(run.plan, f"{what}: plan")
    check_instant(run.started_at, f"{what}: started_at")
    check_instant(run.finished_at, f"{what}: finished_at", optional=True)
    if run.status not in RUN_STATUSES:
        raise StoreError(
            f"{what}: status {run.status!r} is not one of {', '.join(sorted(RUN_STATUSES))}"
        )
    for field in ("measured", "failed", "skipped"):
        count = getattr(run, field)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise StoreError(f"{what}: {field} must be a whole number, zero or more; got {count!r}")
    for index, result in enumerate(run.results):
        if not isinstance(result, Mapping):
            raise StoreError(f"{what}: result {index} must be a mapping, got {result!r}")
    return run


def results_text(run: RunRecord) -> str:
    """The run's results as the JSON text a store keeps, or StoreError when they are not
    JSON-ready."""
    try:
        return json.dumps(
            [dict(result) for result in run.results],
            allow_nan=False,
            ensure_ascii=False,
            separators=(",", ":"),
        )
    except (TypeError, ValueError) as error:
        raise StoreError(
            f"run {run.id!r}: its results are not JSON-ready ({error}): "
            "use text, numbers, booleans, None, lists and mappings"
        ) from error


def check_baseline(baseline: Any, index: int, *, plan: str, run_id: str) -> Baseline:
    if not isinstance(baseline, Baseline):
        raise StoreError(f"baseline {index} is a {type(baseline).__name__}, not an okrkit Baseline")
    what = f"baseline {index} (key result {baseline.key_result!r})"
    if baseline.plan != plan:
        raise StoreError(f"{what} is for plan {baseline.plan!r}, but the run is for plan {plan!r}")
    _check_key_result(baseline.key_result, f"baseline {index}")
    _check_number(baseline.value, f"{what}: value")
    check_instant(baseline.measured_at, f"{what}: measured_at")
    check_instant(baseline.since, f"{what}: since", optional=True)
    check_instant(baseline.until, f"{what}: until", optional=True)
    _check_text(baseline.source, f"{what}: source")
    _check_run_id(baseline.run_id, what, run_id)
    return baseline


def check_baselines(baselines: Iterable[Any], run: RunRecord) -> list[Baseline]:
    """The baselines a run measured, each checked (`check_baseline`)."""
    return [
        check_baseline(baseline, index, plan=run.plan, run_id=run.id)
        for index, baseline in enumerate(baselines)
    ]


def check_release(release: Any) -> str | None:
    """The lease token whose leases a write ends (`Store.record_run`), or None."""
    if release is not None and (not isinstance(release, str) or not release):
        raise StoreError(f"release must be a lease token, got {release!r}")
    return release


def check_check_in(plan: Any, check_in: Any) -> CheckIn:
    """A check-in to add to the plan (`Store.add_check_in`)."""
    check_plan(plan)
    if not isinstance(check_in, CheckIn):
        raise StoreError(f"a check-in must be an okrkit CheckIn, not {check_in!r}")
    return check_in


def check_limit(limit: Any) -> int:
    """How many runs to read (`Store.runs`): a whole number, 1 or more."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise StoreError(f"limit must be a whole number, 1 or more; got {limit!r}")
    return limit


def check_lock(plan: Any, holder: Any, ttl: Any) -> None:
    """Check a `Store.lock` call: a plan key, a holder (non-empty text), a positive ttl."""
    check_plan(plan)
    if not isinstance(holder, str) or not holder.strip():
        raise StoreError(f"a lock holder must be non-empty text, got {holder!r}")
    check_ttl(ttl, "a lock")


def check_review(review: Any, what: str = "review") -> str:
    """The review as JSON text, or StoreError when it is not a JSON-ready mapping."""
    if not isinstance(review, Mapping):
        raise StoreError(f"{what} must be a mapping of JSON-ready data, got {review!r}")
    try:
        return json.dumps(
            _plain_data(review), allow_nan=False, ensure_ascii=False, separators=(",", ":")
        )
    except (TypeError, ValueError) as error:
        raise StoreError(
            f"{what} is not JSON-ready ({error}): use text, numbers, booleans, None, lists and "
            "mappings"
        ) from error


def _plain_data(value: Any) -> Any:
    """Mappings and tuples as JSON takes them (a frozen mapping is a mapping too)."""
    if isinstance(value, Mapping):
        return {key: _plain_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_data(item) for item in value]
    return value


def check_cycle(cycle: Any, what: str = "cycle") -> Cycle:
    if not isinstance(cycle, Cycle):
        raise StoreError(f"{what} must be an okrkit Cycle, not {cycle!r}")
    return cycle


def check_cycle_result(result: Any, index: int, *, plan: str, cycle: Cycle) -> CycleResult:
    """Check the cycle result at `index` of a write: of that plan and cycle, every field valid."""
    if not isinstance(result, CycleResult):
        raise StoreError(
            f"cycle result {index} is a {type(result).__name__}, not an okrkit CycleResult"
        )
    what = f"cycle result {index} (key result {result.key_result!r})"
    if result.plan != plan:
        raise StoreError(f"{what} is for plan {result.plan!r}, not for plan {plan!r}")
    if not isinstance(result.cycle, Cycle) or result.cycle != cycle:
        raise StoreError(f"{what} is for cycle {result.cycle}, not for cycle {cycle}")
    _check_key_result(result.key_result, f"cycle result {index}")
    if not isinstance(result.objective, str) or not _ID.match(result.objective):
        raise StoreError(f"{what}: {result.objective!r} is not an objective id")
    kind: Any = result.kind  # typed Kind, but a plain container holds what it is given
    if kind not in tuple(member.value for member in Kind):
        raise StoreError(
            f"{what}: kind {kind!r} is not one of {', '.join(member.value for member in Kind)}"
        )
    if result.score is not None:
        score = _check_number(result.score, f"{what}: score")
        if not 0 <= score <= 1:
            raise StoreError(f"{what}: score must be between 0 and 1, got {score!r}")
    check_instant(result.recorded_at, f"{what}: recorded_at")
    return result


def _as_is(value: Any) -> Any:
    return value


def cycle_result_rows(
    plan: str,
    cycle: Cycle,
    results: Iterable[CycleResult],
    *,
    day: Callable[[dt.date], Any] = _as_is,
    instant: Callable[[dt.datetime], Any] = _as_is,
) -> list[tuple[Any, ...]]:
    """Rows of the ``cycle_results`` table for the plan's results of `cycle`, every one checked
    (one result per key result); StoreError on the first bad.

    A row holds plan, cycle, cycle_start, cycle_end, key_result, objective, kind, score and
    recorded_at; `day` and `instant` turn the cycle's dates and the times into what the backend
    stores (as they are, by default).
    """
    check_plan(plan)
    check_cycle(cycle)
    label, start, end = str(cycle), day(cycle.start), day(cycle.end)
    rows: list[tuple[Any, ...]] = []
    seen: set[str] = set()
    for index, result in enumerate(results):
        check_cycle_result(result, index, plan=plan, cycle=cycle)
        if result.key_result in seen:
            raise StoreError(
                f"cycle result {index}: key result {result.key_result!r} appears twice; "
                "give one result per key result"
            )
        seen.add(result.key_result)
        rows.append(
            (
                plan,
                label,
                start,
                end,
                result.key_result,
                result.objective,
                Kind(result.kind).value,
                None if result.score is None else float(result.score),
                instant(result.recorded_at),
            )
        )
    return rows


def check_claim(
    plan: Any,
    key_results: Any,
    *,
    holder: Any,
    token: Any,
    ttl: Any,
    fresh_after: Any,
    dead: Any,
    host: Any,
    pid: Any,
) -> tuple[list[str], frozenset[str]]:
    """Check a `Store.claim` call; the key results (sorted, each once) and the dead tokens."""
    check_plan(plan)
    if isinstance(key_results, str) or not isinstance(key_results, Iterable):
        raise StoreError(f"key_results must be a list of key result ids, got {key_results!r}")
    ids = sorted({_check_key_result(key, "a claimed key result") for key in key_results})
    _check_text(holder, "a lease's holder")
    _check_text(token, "a lease's token")
    check_ttl(ttl, "a lease")
    check_instant(fresh_after, "fresh_after", optional=True)
    if isinstance(dead, str) or not isinstance(dead, Iterable):
        raise StoreError(f"dead must be a list of lease tokens, got {dead!r}")
    tokens = frozenset(_check_text(item, "a dead lease's token") or "" for item in dead)
    _check_text(host, "a lease's host", optional=True)
    if pid is not None and (isinstance(pid, bool) or not isinstance(pid, int) or pid < 0):
        raise StoreError(f"a lease's pid must be a whole number, zero or more; got {pid!r}")
    return ids, tokens


def decide_claim(
    key_results: Iterable[str],
    *,
    token: str,
    now: dt.datetime,
    leases: Mapping[str, Lease],
    dead: frozenset[str] = frozenset(),
    fetched: Mapping[str, dt.datetime] | None = None,
    fresh_after: dt.datetime | None = None,
) -> Claim:
    """What `Store.claim` does with each key result, given the stored `leases` (by key result)
    and, with `fresh_after`, when each was last `fetched`.

    A key result is `held` when another token holds a live lease on it (not expired at `now`,
    its token not in `dead`); else `fresh` when it was fetched at or after `fresh_after`; else
    `claimed` by `token` (leasing a key result the token already holds renews it).
    """
    claimed: list[str] = []
    held: dict[str, Lease] = {}
    fresh: dict[str, dt.datetime] = {}
    last_fetched = {} if fetched is None or fresh_after is None else fetched
    for key_result in key_results:
        lease = leases.get(key_result)
        if (
            lease is not None
            and lease.token != token
            and lease.expires_at > now
            and lease.token not in dead
        ):
            held[key_result] = lease
            continue
        last = last_fetched.get(key_result)
        if last is not None and fresh_after is not None and last >= fresh_after:
            fresh[key_result] = last
        else:
            claimed.append(key_result)
    return Claim(token, tuple(claimed), held, fresh)


def lease_from_row(row: Sequence[Any], instant: Callable[[Any], dt.datetime] = _as_is) -> Lease:
    """The lease a ``leases`` row holds (plan, key_result, holder, token, acquired_at,
    expires_at, host, pid); `instant` turns a stored time into a datetime."""
    plan, key_result, holder, token, acquired_at, expires_at, host, pid = row
    return Lease(
        plan, key_result, holder, token, instant(acquired_at), instant(expires_at), host, pid
    )


def plan_info_from_row(
    row: Sequence[Any], instant: Callable[[Any], dt.datetime] = _as_is
) -> PlanInfo:
    """What a ``plan_keys`` row holds (plan, title, explicit, first_seen, last_seen); `instant`
    turns a stored time into a datetime."""
    plan, title, explicit, first_seen, last_seen = row
    return PlanInfo(plan, title, bool(explicit), instant(first_seen), instant(last_seen))


def check_ttl(ttl: Any, what: str) -> dt.timedelta:
    if not isinstance(ttl, dt.timedelta) or ttl <= dt.timedelta(0):
        raise StoreError(f"{what}'s ttl must be a positive timedelta, got {ttl!r}")
    return ttl


def check_plan_title(title: Any, explicit: Any) -> str:
    if not isinstance(title, str):
        raise StoreError(f"a plan's title must be text, got {title!r}")
    if not isinstance(explicit, bool):
        raise StoreError(f"explicit must be True or False, got {explicit!r}")
    return title


def plan_conflict(where: str, stored: PlanInfo, title: str) -> StoreError:
    """The error for a plan key that already stands for another plan (see `register_plan`)."""
    return StoreError(
        f"{where} already holds plan {stored.plan!r}, titled {stored.title!r}, and this plan "
        f"(titled {title!r}) has the same key: give this plan an id of its "
        f"own in its file (for example `id: {_suggest_key(title)}`) or a key on purpose "
        "(okrkit refresh --key); if it is the same plan renamed, give it `id: "
        f"{stored.plan}` to keep its history"
    )


def _suggest_key(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower())[:4]
    return "-".join(words) or "my-plan"


def is_plan_conflict(stored: PlanInfo | None, title: str, explicit: bool) -> bool:
    """Whether a plan titled `title` may not take the key `stored` stands for.

    A key is one plan's: a plan whose key comes from its file's name (no ``id``) may not take a
    key that a plan of another title holds (two teams' ``okrs.yaml``); a plan that names itself
    (``id``, or a key given on purpose) may, when the stored one named itself too: that is the
    same plan, renamed.
    """
    if stored is None or stored.title == title:
        return False
    return not (explicit and stored.explicit)


def decide_plan_key(
    stored: PlanInfo | None,
    plan: str,
    *,
    title: str,
    explicit: bool,
    at: dt.datetime,
    where: str,
) -> PlanInfo:
    """What the key `plan` stands for once the plan titled `title` registers under it `at`;
    `stored` is what it stood for (None: nothing yet).

    Raises `StoreError` when the key stands for another plan (see `is_plan_conflict`; `where`
    names the store). A plan registering again keeps its first sighting, takes the new title and
    stays explicit once it was.
    """
    if stored is None:
        return PlanInfo(plan, title, explicit, at, at)
    if is_plan_conflict(stored, title, explicit):
        raise plan_conflict(where, stored, title)
    return PlanInfo(
        plan, title, stored.explicit or explicit, stored.first_seen, max(stored.last_seen, at)
    )

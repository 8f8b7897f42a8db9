"""Reviews: what moved since the last review, and what needs the team's attention now.

`review` is pure: a plan, its measurements and check-ins, and the moment `at` give a `Review`
naming the key results that moved since the last review, those at risk or off track, those whose
values are stale, those nobody checked in on, and those whose tasks are mostly done while their
value has not moved (activity without impact). `run_review` is the shell around it: it reads the
store, compares with the review recorded last, and records the new one for the next to compare
with. The rules, with their thresholds, are in ``docs/how-to/review.md``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from okrkit.errors import OkrkitError
from okrkit.scoring import KeyResultScore, Pace, Scorecard, Status, score

if TYPE_CHECKING:
    import os

    from okrkit.model import CheckIn, Cycle, KeyResult, Measurement, Plan
    from okrkit.store import Store

__all__ = [
    "BUSY_SHARE",
    "BUSY_TASKS",
    "CHECK_IN_DAYS",
    "FLAT_PROGRESS",
    "STALE_CAP",
    "STALE_FLOOR",
    "STALE_MANUAL",
    "STALE_SOURCED",
    "ActivityWithoutImpact",
    "MissedCheckIn",
    "Movement",
    "Review",
    "ReviewError",
    "Risk",
    "Staleness",
    "grace_period",
    "review",
    "run_review",
]

#: A key result nobody checked in on for more than this many days has missed its check-in.
CHECK_IN_DAYS = 7
#: Stale grace: twice the median interval between a key result's values, within these bounds.
STALE_FLOOR = dt.timedelta(days=1)
STALE_CAP = dt.timedelta(days=14)
#: Stale grace with fewer than two dated values: a key result read from a source, or typed by hand.
STALE_SOURCED = dt.timedelta(days=2)
STALE_MANUAL = dt.timedelta(days=14)
#: Activity without impact: at least this share of at least this many tasks done, while the
#: progress gained since the cycle started is below `FLAT_PROGRESS`.
BUSY_SHARE = 0.6
BUSY_TASKS = 2
FLAT_PROGRESS = 0.05

_DAY = dt.timedelta(days=1)
_TOLERANCE = 1e-9


class ReviewError(OkrkitError, ValueError):
    """A review, retrospective or carry-over was asked for something that cannot be done: a
    retrospective before the cycle's end, a plan without a cycle, a `since` after `at`."""


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _utc(moment: dt.datetime) -> dt.datetime:
    """The moment in UTC; a naive one is taken as UTC, as `okrkit.score` does."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


# -- What a review holds -------------------------------------------------------------------


@attrs.frozen
class Movement:
    """A key result whose value changed between the review's `since` and `at`.

    `change` is the change in value (None when there was no value before).
    """

    key_result: str
    before: float | None
    now: float | None
    progress_before: float | None
    progress_now: float | None
    change: float | None

    @property
    def progress_change(self) -> float | None:
        if self.progress_now is None:
            return None
        return self.progress_now - (self.progress_before or 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key_result": self.key_result,
            "before": self.before,
            "now": self.now,
            "progress_before": self.progress_before,
            "progress_now": self.progress_now,
            "change": self.change,
        }


@attrs.frozen
class Risk:
    """A key result at risk or off track at the review's moment."""

    key_result: str
    status: Status
    progress: float | None
    expected: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"key_result": self.key_result, "status": self.status.value}


@attrs.frozen
class Staleness:
    """A key result with no new value within its grace period (or no dated value at all)."""

    key_result: str
    last_observed: dt.datetime | None
    grace: dt.timedelta

    @property
    def grace_days(self) -> float:
        return self.grace / _DAY

    def to_dict(self) -> dict[str, Any]:
        return {
            "key_result": self.key_result,
            "last_observed": _iso(self.last_observed),
            "grace_days": self.grace_days,
        }


@attrs.frozen
class MissedCheckIn:
    """A key result nobody checked in on within the review's check-in period."""

    key_result: str
    last_check_in: dt.datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {"key_result": self.key_result, "last_check_in": _iso(self.last_check_in)}


@attrs.frozen
class ActivityWithoutImpact:
    """A key result whose tasks are mostly done while its value has not moved.

    `value_change` and `progress_change` are counted from the start of the key result's cycle;
    None when there is no value now (or, for `value_change`, none at the start either).
    """

    key_result: str
    tasks_done: int
    tasks_total: int
    value_change: float | None
    progress_change: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key_result": self.key_result,
            "tasks_done": self.tasks_done,
            "tasks_total": self.tasks_total,
            "value_change": self.value_change,
        }


@attrs.frozen
class Review:
    """A plan reviewed at `at`, compared with `since` (the last review, or the cycle's start).

    Every list follows the plan's order of key results. `scorecard` is the plan scored at `at`.
    """

    at: dt.datetime
    since: dt.datetime | None
    moved: tuple[Movement, ...]
    at_risk: tuple[Risk, ...]
    stale: tuple[Staleness, ...]
    missed_check_ins: tuple[MissedCheckIn, ...]
    activity_without_impact: tuple[ActivityWithoutImpact, ...]
    scorecard: Scorecard = attrs.field(eq=False, repr=False)
    check_in_days: int = CHECK_IN_DAYS

    def to_dict(self) -> dict[str, Any]:
        """The ``review`` object of the report data: JSON-ready, times as ISO 8601 text."""
        return {
            "since": _iso(self.since),
            "at": self.at.isoformat(),
            "moved": [item.to_dict() for item in self.moved],
            "at_risk": [item.to_dict() for item in self.at_risk],
            "stale": [item.to_dict() for item in self.stale],
            "missed_check_ins": [item.to_dict() for item in self.missed_check_ins],
            "activity_without_impact": [item.to_dict() for item in self.activity_without_impact],
        }


# -- The rules ------------------------------------------------------------------------------


def grace_period(key_result: KeyResult, observed: Iterable[dt.datetime]) -> dt.timedelta:
    """How long the key result may go without a new value before it is stale.

    Twice the median interval between the moments it was `observed` (distinct moments), at
    least `STALE_FLOOR` and at most `STALE_CAP`; with fewer than two moments,
    `STALE_SOURCED` for a key result with a `source` and `STALE_MANUAL` for one typed by hand.
    """
    moments = sorted(set(observed))
    if len(moments) < 2:
        return STALE_SOURCED if key_result.source is not None else STALE_MANUAL
    intervals = [later - earlier for earlier, later in itertools.pairwise(moments)]
    median = statistics.median(interval / _DAY for interval in intervals) * _DAY
    return min(STALE_CAP, max(STALE_FLOOR, 2 * median))


def _since_of(
    plan: Plan,
    moment: dt.datetime,
    since: dt.datetime | None,
    previous: Review | Mapping[str, Any] | None,
) -> dt.datetime | None:
    cycle_start = plan.cycle.starts_at if plan.cycle is not None else None
    if since is not None:
        chosen = _utc(since)
        what = "since"
    elif previous is not None:
        chosen = _previous_moment(previous)
        what = "the previous review"
        if cycle_start is not None and chosen < cycle_start:
            chosen = min(cycle_start, moment)  # a review of the last cycle: from this start
    elif cycle_start is not None:
        return min(cycle_start, moment)
    else:
        return None
    if chosen > moment:
        raise ReviewError(
            f"{what} ({chosen.isoformat()}) is after the review's moment ({moment.isoformat()}): "
            "a review compares with an earlier moment"
        )
    return chosen


def _previous_moment(previous: Review | Mapping[str, Any]) -> dt.datetime:
    if isinstance(previous, Review):
        return _utc(previous.at)
    text = previous.get("at") if isinstance(previous, Mapping) else None
    try:
        moment = dt.datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ReviewError(
            f"the previous review must be a Review or its data with an 'at' time with a time "
            f"zone, got {previous!r:.200}"
        )
    return _utc(moment)


def _by_key_result(items: Iterable[Any], moment: dt.datetime, when: str) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for item in items:
        if getattr(item, when) <= moment:
            grouped.setdefault(item.key_result, []).append(item)
    return grouped


def _stale(
    key_result: KeyResult,
    cycle: Cycle | None,
    moment: dt.datetime,
    measured: list[Measurement],
    checked: list[CheckIn],
) -> Staleness | None:
    observed = [m.observed_at for m in measured]
    observed += [c.at for c in checked if c.value is not None]
    grace = grace_period(key_result, observed)
    if not observed:
        return Staleness(key_result.id, None, grace)
    last = _utc(max(observed))
    # after the cycle's end, values observed at its end are as fresh as they can be
    reference = min(moment, cycle.ends_at) if cycle is not None else moment
    return Staleness(key_result.id, last, grace) if reference - last > grace else None


def _missed(
    key_result: KeyResult,
    cycle: Cycle | None,
    moment: dt.datetime,
    checked: list[CheckIn],
    days: int,
) -> MissedCheckIn | None:
    period = dt.timedelta(days=days)
    if cycle is not None and not cycle.starts_at + period <= moment < cycle.ends_at:
        return None  # the cycle has not run a whole period yet, or it is over
    last = max((c.at for c in checked), default=None)
    if last is not None and moment - last <= period:
        return None
    return MissedCheckIn(key_result.id, None if last is None else _utc(last))


def _difference(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else now - before


def _without_impact(
    now: KeyResultScore, first: KeyResultScore | None
) -> ActivityWithoutImpact | None:
    """Activity without impact: most tasks done, progress flat since `first` (the cycle's start).

    A key result already met is not reported: there is nothing left for its tasks to move.
    """
    if now.tasks_total < BUSY_TASKS or now.met:
        return None
    if now.tasks_done < BUSY_SHARE * now.tasks_total - _TOLERANCE:
        return None
    gained = None
    if now.progress is not None:
        gained = now.progress - (first.progress if first and first.progress else 0.0)
        if gained >= FLAT_PROGRESS - _TOLERANCE:
            return None
    before = None if first is None else first.value
    return ActivityWithoutImpact(
        now.id, now.tasks_done, now.tasks_total, _difference(now.value, before), gained
    )


def review(
    plan: Plan,
    measurements: Iterable[Measurement],
    check_ins: Iterable[CheckIn],
    at: dt.datetime,
    *,
    since: dt.datetime | None = None,
    previous: Review | Mapping[str, Any] | None = None,
    check_in_days: int = CHECK_IN_DAYS,
    pace: Pace = Pace(),  # noqa: B008  # an immutable value
) -> Review:
    """Review `plan` at `at` against `since`: the previous review's moment, else the cycle's start.

    - `since`: compare with this moment (it wins over `previous`);
    - `previous`: the last review (a `Review`, or its `to_dict()` data with its ``at``); a
      review from before the cycle began counts from the cycle's start;
    - `check_in_days`: a key result without a check-in for more days has missed its check-in.

    Only measurements and check-ins at or before `at` count. Raises `ReviewError` when the
    moment compared with is after `at`.
    """
    if isinstance(check_in_days, bool) or not isinstance(check_in_days, int) or check_in_days < 1:
        raise ReviewError(
            f"check_in_days must be a whole number of days, 1 or more: {check_in_days!r}"
        )
    moment = _utc(at)
    start = _since_of(plan, moment, since, previous)
    measured = list(measurements)
    checked = list(check_ins)
    now_card = score(plan, moment, measured, checked, pace)
    cards: dict[dt.datetime, dict[str, KeyResultScore]] = {}

    def scored_at(when: dt.datetime) -> dict[str, KeyResultScore]:
        if when not in cards:
            card = score(plan, when, measured, checked, pace)
            cards[when] = {found.id: found for found in card.key_results()}
        return cards[when]

    now_scores = {found.id: found for found in now_card.key_results()}
    then_scores = None if start is None else scored_at(start)
    measured_by = _by_key_result(measured, moment, "observed_at")
    checked_by = _by_key_result(checked, moment, "at")

    moved: list[Movement] = []
    at_risk: list[Risk] = []
    stale: list[Staleness] = []
    missed: list[MissedCheckIn] = []
    busy: list[ActivityWithoutImpact] = []
    for objective in plan.objectives:
        cycle = plan.cycle_of(objective)
        for key_result in objective.key_results:
            now = now_scores[key_result.id]
            then = None if then_scores is None else then_scores[key_result.id]
            before = None if then is None else then.value
            if before != now.value:
                moved.append(
                    Movement(
                        key_result.id,
                        before,
                        now.value,
                        None if then is None else then.progress,
                        now.progress,
                        _difference(now.value, before),
                    )
                )
            if now.status in (Status.AT_RISK, Status.OFF_TRACK):
                at_risk.append(Risk(key_result.id, now.status, now.progress, now.expected))
            own = checked_by.get(key_result.id, [])
            if found := _stale(key_result, cycle, moment, measured_by.get(key_result.id, []), own):
                stale.append(found)
            if found_missed := _missed(key_result, cycle, moment, own, check_in_days):
                missed.append(found_missed)
            if cycle is None:
                first = then
            else:
                first = scored_at(min(cycle.starts_at, moment))[key_result.id]
            if found_busy := _without_impact(now, first):
                busy.append(found_busy)
    return Review(
        at=moment,
        since=start,
        moved=tuple(moved),
        at_risk=tuple(at_risk),
        stale=tuple(stale),
        missed_check_ins=tuple(missed),
        activity_without_impact=tuple(busy),
        scorecard=now_card,
        check_in_days=check_in_days,
    )


# -- The shell -----------------------------------------------------------------------------


def _store_key(
    plan: Plan,
    key: str | None = None,
    path: str | os.PathLike[str] | None = None,
    store: Store | None = None,
) -> str:
    """The plan's key in the store, as `okrkit.status` finds it; checked against what `store`
    knows of it, when given (see `okrkit.runner.stored_key`)."""
    from okrkit.runner import plan_key, stored_key  # noqa: PLC0415  # the runner is heavy

    if store is not None:
        return stored_key(plan, store, key, path)
    source = path or (plan.source_map.path if plan.source_map else None)
    return key or plan_key(plan, source)


def run_review(
    plan: Plan,
    store: Store,
    at: dt.datetime | None = None,
    since: dt.datetime | None = None,
    key: str | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
    check_in_days: int = CHECK_IN_DAYS,
    pace: Pace = Pace(),  # noqa: B008  # an immutable value
    record: bool = True,
) -> Review:
    """Review the plan at `at` (default: now) from the store, and record the review.

    Compares with `since` when given, else with the last review recorded before `at`, else
    with the cycle's start. Baselines measured by refreshes apply as in `okrkit.status`. With
    `record` false the review is computed but not stored. `key` is the plan's key in the store
    (default: its `id`, or the file's name from `path` or the plan's own source).
    """
    moment = _utc(at) if at is not None else dt.datetime.now(dt.UTC)
    name = _store_key(plan, key, path, store)
    baselines = {kr: baseline.value for kr, baseline in store.baselines(name).items()}
    previous: dict[str, Any] | None = None
    if since is None and (last := store.last_review(name, before=moment)) is not None:
        previous = {**last[1], "at": last[0].isoformat()}
    result = review(
        plan.with_baselines(baselines),
        store.measurements(name, until=moment),
        store.check_ins(name, until=moment),
        moment,
        since=since,
        previous=previous,
        check_in_days=check_in_days,
        pace=pace,
    )
    if record:
        store.record_review(name, result.to_dict(), moment)
    return result
